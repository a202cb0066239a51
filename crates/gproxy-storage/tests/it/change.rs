//! `Store::apply_changes` on every backend: change sets insert, update and delete every
//! control-plane row kind with one audit entry, and a refused set changes nothing.

use crate::backends::TestDb;
use crate::suite::seed;
use RowChange::{Delete, Insert, Update};
use gproxy_storage::model::{ControlPlane, CredentialStatusRecord, NewQuota, NewRateLimit};
use gproxy_storage::{RowChange, Sealer, StoreError, Table, key_digest};
use secrecy::ExposeSecret;
use serde_json::json;
use std::time::Duration;

mod rows;

use rows::*;

pub async fn change_sets_insert_every_kind(db: TestDb) {
    let start = audited(&db).await;
    let r = populate(&db).await;
    let cp = db.store.load().await.expect("load");
    let p = cp
        .providers
        .iter()
        .find(|p| p.id == r.provider)
        .expect("provider");
    assert_eq!(
        (p.name.as_str(), p.channel.as_str(), p.enabled),
        ("p1", "openai", true)
    );
    assert_eq!(
        parse(&p.settings),
        json!({"base_url": "http://127.0.0.1:1/p1"})
    );
    assert_eq!(p.created_at, p.updated_at);
    let c = cp
        .credentials
        .iter()
        .find(|c| c.id == r.credential)
        .expect("credential");
    assert_eq!(
        (c.provider_id, c.label.as_deref()),
        (r.provider, Some("label-sk-up-1"))
    );
    assert_eq!(c.secret, json!({"api_key": "sk-up-1"}), "opened");
    let m = cp.models.iter().find(|m| m.id == r.model).expect("model");
    assert_eq!((m.provider_id, m.model_id.as_str()), (r.provider, "m1"));
    assert_eq!(m.display_name.as_deref(), Some("M1"));
    assert_eq!(parse(&m.pricing), json!({"price_each_call": "0.01"}));
    let a = cp.aliases.iter().find(|a| a.id == r.alias).expect("alias");
    assert_eq!(
        (a.alias.as_str(), a.provider_id, a.model_id.as_str()),
        ("fast", r.provider, "m1")
    );
    let u = cp.users.iter().find(|u| u.id == r.user).expect("user");
    assert_eq!(
        (u.name.as_str(), u.is_admin, u.enabled),
        ("bob", false, true)
    );
    assert!(u.password_hash.ends_with("hash-of-bob"));
    // The key is found by its digest, as the server looks keys up, and opens to itself.
    let k = cp
        .keys
        .iter()
        .find(|k| k.digest == key_digest("sk-bob-1"))
        .expect("key");
    assert_eq!(
        (k.id, k.user_id, k.api_key.expose_secret()),
        (r.key, r.user, "sk-bob-1")
    );
    assert_eq!(
        (k.label.as_deref(), k.expires_at),
        (Some("cli"), Some(4_102_444_800_000))
    );
    let perm = cp
        .permissions
        .iter()
        .find(|p| p.id == r.permission)
        .expect("permission");
    assert_eq!((perm.user_id, perm.provider_id), (r.user, Some(r.provider)));
    assert_eq!(perm.model_pattern, "gpt-*");
    // One digest space with `add_user_key`.
    let dup = db.store.add_user_key(r.user, "sk-bob-1", None).await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    assert_eq!(audited(&db).await, start + 2);
    // The secrets are sealed at rest: without the master key they do not open.
    let plain = db.reopen(Sealer::plaintext()).await;
    let refused = plain.store.load().await;
    assert!(matches!(refused, Err(StoreError::Seal(_))), "{refused:?}");
}

pub async fn change_sets_update_rows_keeping_created_at(db: TestDb) {
    let r = populate(&db).await;
    let before = db.store.load().await.expect("load");
    tokio::time::sleep(Duration::from_millis(5)).await;
    let ids = apply(
        &db,
        &[
            // The provider keeps its own name: not a conflict with itself.
            Update(r.provider, provider("p1", "anthropic")),
            Update(r.credential, credential(r.provider, "sk-up-2")),
            Update(r.model, model(r.provider, "m2")),
            Update(r.alias, alias("faster", r.provider, "m2")),
            Update(r.user, user("robert")),
            Update(r.key, key(r.user, "sk-bob-2")),
            Update(r.permission, permission(r.user, None)),
        ],
    )
    .await;
    assert!(ids.is_empty(), "no inserts: {ids:?}");
    let cp = db.store.load().await.expect("load");
    let (p0, p) = (&before.providers[0], &cp.providers[0]);
    assert_eq!(
        (p.id, p.name.as_str(), p.channel.as_str()),
        (r.provider, "p1", "anthropic")
    );
    assert_eq!(p.created_at, p0.created_at);
    assert!(p.updated_at > p0.updated_at, "{p:?} after {p0:?}");
    assert_eq!(cp.credentials[0].secret, json!({"api_key": "sk-up-2"}));
    assert_eq!(cp.credentials[0].label.as_deref(), Some("label-sk-up-2"));
    assert_eq!(cp.models[0].model_id, "m2");
    assert_eq!(cp.models[0].created_at, before.models[0].created_at);
    assert_eq!(
        (
            cp.aliases[0].alias.as_str(),
            cp.aliases[0].model_id.as_str()
        ),
        ("faster", "m2")
    );
    assert_eq!(cp.aliases[0].created_at, before.aliases[0].created_at);
    assert_eq!(cp.users[0].name, "robert");
    assert_eq!(cp.users[0].created_at, before.users[0].created_at);
    let k = &cp.keys[0];
    assert_eq!(
        (k.id, k.digest.as_str()),
        (r.key, key_digest("sk-bob-2").as_str())
    );
    assert_eq!(k.api_key.expose_secret(), "sk-bob-2");
    assert_eq!(cp.permissions[0].provider_id, None);
    assert_eq!(
        cp.permissions[0].created_at,
        before.permissions[0].created_at
    );
    assert_eq!(
        (
            cp.credentials.len(),
            cp.models.len(),
            cp.aliases.len(),
            cp.keys.len()
        ),
        (1, 1, 1, 1),
        "replaced, not added"
    );
}

pub async fn change_sets_delete_rows(db: TestDb) {
    let r = populate(&db).await;
    let dead = CredentialStatusRecord {
        credential_id: r.credential,
        state: "dead".into(),
        cooling: Vec::new(),
        last_error: None,
    };
    db.store
        .save_credential_statuses(&[dead])
        .await
        .expect("status");
    let start = audited(&db).await;
    let ids = apply(
        &db,
        &[
            Delete(Table::CredentialStatus, r.credential),
            Delete(Table::Credential, r.credential),
            Delete(Table::Alias, r.alias),
            Delete(Table::Model, r.model),
            Delete(Table::Permission, r.permission),
            Delete(Table::Key, r.key),
            Delete(Table::User, r.user),
            Delete(Table::Provider, r.provider),
            // Rows already gone are no error.
            Delete(Table::Provider, r.provider),
            Delete(Table::RateLimit, 987_654),
            Delete(Table::Quota, 987_654),
        ],
    )
    .await;
    assert!(ids.is_empty());
    let cp = db.store.load().await.expect("load");
    assert_eq!(snapshot(&cp), snapshot(&ControlPlane::default()));
    assert!(
        db.store
            .credential_statuses()
            .await
            .expect("statuses")
            .is_empty()
    );
    assert_eq!(audited(&db).await, start + 1);
}

pub async fn change_sets_cascade_a_user_and_a_provider(db: TestDb) {
    db.store.import_seed(&seed()).await.expect("import");
    let carol = apply(&db, &[Insert(user("carol"))]).await[0];
    let cp = db.store.load().await.expect("load");
    let alice = cp
        .users
        .iter()
        .find(|u| u.name == "alice")
        .expect("alice")
        .id;
    let limit = NewRateLimit {
        user_id: alice,
        model_pattern: "*".into(),
        rpm: Some(5),
        rpd: None,
        tpm: None,
        tpd: None,
    };
    db.store
        .create_rate_limit(&limit, "root")
        .await
        .expect("limit");
    let quota = NewQuota {
        user_id: alice,
        limit_nano: 1_000,
        period: "daily".into(),
    };
    db.store.create_quota(&quota, "root").await.expect("quota");
    let cp = db.store.load().await.expect("load");
    assert!(!cp.keys.is_empty() && !cp.permissions.is_empty());

    // The server lists the dependents first, then the user.
    let mut changes = Vec::new();
    changes.extend(
        cp.keys
            .iter()
            .filter(|k| k.user_id == alice)
            .map(|k| Delete(Table::Key, k.id)),
    );
    changes.extend(
        cp.permissions
            .iter()
            .filter(|p| p.user_id == alice)
            .map(|p| Delete(Table::Permission, p.id)),
    );
    changes.extend(
        cp.rate_limits
            .iter()
            .map(|l| Delete(Table::RateLimit, l.id)),
    );
    changes.extend(cp.quotas.iter().map(|q| Delete(Table::Quota, q.id)));
    changes.push(Delete(Table::User, alice));
    apply(&db, &changes).await;
    let after = db.store.load().await.expect("load");
    assert_eq!(
        after.users.iter().map(|u| u.id).collect::<Vec<_>>(),
        [carol]
    );
    assert!(after.keys.is_empty() && after.permissions.is_empty());
    assert!(after.rate_limits.is_empty() && after.quotas.is_empty());
    assert_eq!(after.providers.len(), 1, "the provider stays");

    // A provider: its credentials' statuses, credentials, models and aliases, then itself.
    let pid = cp.providers[0].id;
    assert!(
        !db.store
            .credential_statuses()
            .await
            .expect("statuses")
            .is_empty()
    );
    let mut changes = Vec::new();
    for c in &cp.credentials {
        changes.push(Delete(Table::CredentialStatus, c.id));
        changes.push(Delete(Table::Credential, c.id));
    }
    changes.extend(cp.models.iter().map(|m| Delete(Table::Model, m.id)));
    changes.extend(cp.aliases.iter().map(|a| Delete(Table::Alias, a.id)));
    changes.push(Delete(Table::Provider, pid));
    apply(&db, &changes).await;
    let after = db.store.load().await.expect("load");
    assert!(after.providers.is_empty() && after.credentials.is_empty());
    assert!(after.models.is_empty() && after.aliases.is_empty());
    assert!(
        db.store
            .credential_statuses()
            .await
            .expect("statuses")
            .is_empty()
    );
    assert_eq!(after.users.len(), 1, "carol stays");
}

pub async fn change_sets_with_a_taken_value_change_nothing(db: TestDb) {
    db.store.import_seed(&seed()).await.expect("import");
    let bob = apply(&db, &[Insert(user("bob"))]).await[0];
    db.store
        .add_user_key(bob, "sk-bob-added", None)
        .await
        .expect("add key");
    let cp = db.store.load().await.expect("load");
    let pid = cp.providers[0].id;
    let alice = cp
        .users
        .iter()
        .find(|u| u.name == "alice")
        .expect("alice")
        .id;
    let (was, start) = (snapshot(&cp), audited(&db).await);

    let sets: Vec<(&str, Vec<RowChange>)> = vec![
        (
            "provider name",
            vec![
                Insert(provider("fresh", "openai")),
                Update(bob, user("bobby")),
                Insert(provider("openai-main", "openai")),
            ],
        ),
        (
            "user name",
            vec![Insert(provider("fresh", "openai")), Insert(user("alice"))],
        ),
        (
            "renamed user",
            vec![Insert(user("dave")), Update(bob, user("alice"))],
        ),
        (
            "alias",
            vec![
                Insert(model(pid, "fresh-model")),
                Insert(alias("chat-default", pid, "fresh-model")),
            ],
        ),
        (
            "model",
            vec![
                Insert(alias("fresh-alias", pid, "gpt-4.1")),
                Insert(model(pid, "gpt-4.1")),
            ],
        ),
        (
            "renamed model",
            vec![
                Insert(model(pid, "other")),
                Update(cp.models[0].id, model(pid, "other")),
            ],
        ),
        (
            "seeded key",
            vec![
                Delete(Table::Permission, cp.permissions[0].id),
                Insert(key(bob, "sk-alice-1")),
            ],
        ),
        (
            "added key",
            vec![
                Delete(Table::User, alice),
                Insert(key(alice, "sk-bob-added")),
            ],
        ),
        (
            "twin providers",
            vec![
                Insert(provider("twin", "openai")),
                Insert(provider("twin", "x")),
            ],
        ),
    ];
    for (what, changes) in sets {
        let refused = db
            .store
            .apply_changes(&changes, &entry("create", "test", None))
            .await
            .expect_err(what);
        assert!(
            matches!(refused, StoreError::Conflict(_)),
            "{what}: {refused:?}"
        );
        assert!(!refused.to_string().contains("sk-"), "{what}: {refused}");
        let now = db.store.load().await.expect("load");
        assert_eq!(snapshot(&now), was, "{what}: nothing applied");
        assert_eq!(audited(&db).await, start, "{what}: not audited");
    }
    // The store is not wedged by the refusals.
    let ids = apply(&db, &[Insert(provider("fresh", "openai"))]).await;
    assert_eq!(ids.len(), 1);
    assert_eq!(audited(&db).await, start + 1);
}

pub async fn change_sets_naming_a_missing_row_are_not_found(db: TestDb) {
    let r = populate(&db).await;
    let was = snapshot(&db.store.load().await.expect("load"));
    let start = audited(&db).await;
    for (table, value) in [
        ("user", user("ghost")),
        ("provider", provider("ghost", "x")),
        ("key", key(r.user, "sk-ghost")),
    ] {
        let changes = [Insert(provider("fresh", "openai")), Update(987_654, value)];
        let refused = db
            .store
            .apply_changes(&changes, &entry("update", "test", None))
            .await
            .expect_err("a missing row");
        let StoreError::NotFound(message) = &refused else {
            panic!("{table}: {refused:?}");
        };
        assert!(
            message.contains(table) && message.contains("987654"),
            "{message}"
        );
        assert_eq!(
            snapshot(&db.store.load().await.expect("load")),
            was,
            "{table}"
        );
        assert_eq!(audited(&db).await, start, "{table}: not audited");
    }
}

pub async fn change_sets_are_audited_once_per_call(db: TestDb) {
    let start = audited(&db).await;
    let first = entry("create", "providers", None);
    let ids = db
        .store
        .apply_changes(
            &[Insert(provider("p1", "openai")), Insert(user("bob"))],
            &first,
        )
        .await
        .expect("create");
    let second = entry("delete", "users", Some(ids[1]));
    db.store
        .apply_changes(&[Delete(Table::User, ids[1])], &second)
        .await
        .expect("delete");
    let page = db.store.audit_page(None, 1_000).await.expect("audit");
    assert_eq!(page.len(), start + 2);
    let shown: Vec<_> = page[..2]
        .iter()
        .map(|a| {
            (
                a.actor.as_str(),
                a.action.as_str(),
                a.resource.as_str(),
                a.resource_id.clone(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("root", "delete", "users", Some(ids[1].to_string())),
            // A create names no row: the entry names the first row it inserted.
            ("root", "create", "providers", Some(ids[0].to_string())),
        ]
    );
    assert_eq!(page[0].after.as_deref().map(parse), second.after);
    assert!(page[0].before.is_none());
}

/// Runs each test on one backend.
/// Live settings: stored by name (a second write replaces the value), audited with each
/// write, kept apart from the backend's own `instance_settings` rows, and kept across a
/// reopen.
async fn settings_are_stored_by_name_and_audited(db: TestDb) {
    let store = &db.store;
    assert!(store.settings().await.expect("read").is_empty());
    let audit = |n: i64| gproxy_storage::model::AuditRecord::of("root", "update", "settings", n);
    let first = [("enable_usage".to_owned(), "false".to_owned())];
    store.save_settings(&first, &audit(1)).await.expect("save");
    let second = [
        ("enable_usage".to_owned(), "true".to_owned()),
        ("proxy".to_owned(), "\"http://p:3128\"".to_owned()),
    ];
    store.save_settings(&second, &audit(2)).await.expect("save");
    let mut stored = store.settings().await.expect("read");
    stored.sort();
    assert_eq!(stored, {
        let mut s = second.to_vec();
        s.sort();
        s
    });
    let entries = store.audit_page(None, 10).await.expect("audit");
    assert_eq!(
        entries.iter().filter(|e| e.resource == "settings").count(),
        2
    );
    let db = db.reopen(crate::backends::sealer()).await;
    assert_eq!(db.store.settings().await.expect("read").len(), 2);
}

every_backend!(
    change_sets_insert_every_kind,
    change_sets_update_rows_keeping_created_at,
    change_sets_delete_rows,
    change_sets_cascade_a_user_and_a_provider,
    change_sets_with_a_taken_value_change_nothing,
    change_sets_naming_a_missing_row_are_not_found,
    change_sets_are_audited_once_per_call,
    settings_are_stored_by_name_and_audited,
);
