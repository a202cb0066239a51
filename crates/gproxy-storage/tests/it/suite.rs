//! The conformance suite, instantiated once per backend by `conformance!`.

use crate::backends::{MASTER_KEY, TestDb, sealer};
use gproxy_storage::model::*;
use gproxy_storage::{QueueConfig, SeaStore, Sealer, Store, WriteQueue, key_digest};
use sea_orm::{ConnectionTrait, Statement};
use secrecy::ExposeSecret;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub fn seed() -> Seed {
    Seed {
        providers: vec![SeedProvider {
            name: "openai-main".into(),
            channel: "openai".into(),
            settings: json!({"base_url": "http://127.0.0.1:1/v1"}),
            credentials: vec![
                json!({"api_key": "sk-upstream-1"}),
                json!({"api_key": "sk-upstream-2"}),
            ],
            health: vec![
                None,
                Some(CredentialStatusRecord {
                    credential_id: 0,
                    state: "dead".into(),
                    cooling: Vec::new(),
                    last_error: None,
                }),
            ],
            enabled: true,
        }],
        models: vec![SeedModel {
            provider_name: "openai-main".into(),
            model_id: "gpt-4.1".into(),
            display_name: Some("GPT 4.1".into()),
            enabled: true,
            pricing: json!({"price_each_call": "0.01"}),
        }],
        aliases: vec![SeedAlias {
            alias: "chat-default".into(),
            provider_name: "openai-main".into(),
            model_id: "gpt-4.1".into(),
            enabled: true,
        }],
        routes: vec![SeedRoute {
            name: "smart".into(),
            enabled: true,
            members: vec![
                SeedRouteMember {
                    provider_name: "openai-main".into(),
                    model_id: "gpt-4.1".into(),
                    tier: 0,
                    weight: 3,
                },
                SeedRouteMember {
                    provider_name: "openai-main".into(),
                    model_id: "gpt-4.1-mini".into(),
                    tier: 1,
                    weight: 1,
                },
            ],
        }],
        users: vec![SeedUser {
            name: "alice".into(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA".into(),
            is_admin: false,
            enabled: true,
            keys: vec![SeedKey {
                api_key: "sk-alice-1".into(),
                label: Some("default".into()),
                enabled: true,
                expires_at: Some(4_102_444_800_000),
            }],
        }],
        permissions: vec![SeedPermission {
            user_name: "alice".into(),
            provider_name: Some("openai-main".into()),
            model_pattern: "gpt-*".into(),
        }],
        ..Seed::default()
    }
}

pub fn usage(i: i64) -> Record {
    Record::Usage(UsageRecord {
        request_id: format!("req-{i}"),
        created_at: 1_700_000_000_000 + i,
        provider: "openai-main".into(),
        model: "gpt-4.1".into(),
        operation: "chat_completions".into(),
        protocol: "openai".into(),
        status: 200,
        complete: true,
        input_tokens: i,
        output_tokens: 2 * i,
        // An odd record is unpriced: its cost stays unknown.
        cost_nano: (i % 2 == 0).then_some(1_000_000_007 * i),
        ..Default::default()
    })
}

pub async fn fresh_database_is_empty_and_sync_is_idempotent(db: TestDb) {
    assert!(db.store.is_empty().await.expect("is_empty"));
    db.store.ping().await.expect("ping");
    let states = db.store.migrations().await.expect("migrations");
    assert!(states.iter().all(|s| s.applied_at.is_some()), "{states:?}");
    assert_eq!(
        gproxy_storage::migrate::current(&states),
        gproxy_storage::migrate::LATEST
    );
    // A second start-up on the same database syncs again without error.
    let again = db.reopen(sealer()).await;
    assert!(
        again.store.migrate().await.expect("migrate").is_empty(),
        "nothing pending"
    );
    let Some(sea) = &again.sea else {
        let stamp: serde_json::Value = serde_json::from_slice(
            &std::fs::read(std::path::Path::new(&again.dsn).join("schema_version.json"))
                .expect("schema_version.json"),
        )
        .expect("json");
        assert_eq!(stamp["version"], gproxy_storage::migrate::LATEST);
        return;
    };
    let stamp = sea
        .connection()
        .query_one_raw(Statement::from_string(
            sea.connection().get_database_backend(),
            if sea.connection().get_database_backend() == sea_orm::DbBackend::MySql {
                "SELECT value FROM instance_settings WHERE `key` = 'schema_version'"
            } else {
                "SELECT value FROM instance_settings WHERE \"key\" = 'schema_version'"
            },
        ))
        .await
        .expect("query")
        .expect("stamp row");
    assert_eq!(
        stamp.try_get::<String>("", "value").expect("value"),
        gproxy_storage::sea::SCHEMA_VERSION.to_string()
    );
}

pub async fn seed_round_trips_with_secrets_sealed(db: TestDb) {
    db.store.import_seed(&seed()).await.expect("import");
    assert!(!db.store.is_empty().await.expect("is_empty"));
    let cp = db.store.load().await.expect("load");
    assert_eq!(cp.providers.len(), 1);
    assert_eq!(cp.providers[0].name, "openai-main");
    let pid = cp.providers[0].id;
    let keys: Vec<_> = cp
        .credentials
        .iter()
        .map(|c| (c.provider_id, c.secret["api_key"].clone()))
        .collect();
    assert_eq!(
        keys,
        vec![(pid, json!("sk-upstream-1")), (pid, json!("sk-upstream-2"))]
    );
    assert_eq!(cp.models[0].model_id, "gpt-4.1");
    assert_eq!(cp.aliases[0].alias, "chat-default");
    assert_eq!(cp.users[0].name, "alice");
    assert_eq!(cp.keys[0].digest, key_digest("sk-alice-1"));
    assert_eq!(cp.keys[0].api_key.expose_secret(), "sk-alice-1");
    assert_eq!(
        cp.keys[0].expires_at,
        Some(4_102_444_800_000),
        "expiry kept"
    );
    assert!(
        !format!("{:?}", cp.keys[0]).contains("sk-alice-1"),
        "Debug redacts the key"
    );
    assert_eq!(cp.permissions[0].provider_id, Some(pid));
    assert_eq!(cp.permissions[0].model_pattern, "gpt-*");

    // At rest, neither the upstream key nor the user key appears in plaintext.
    let Some(sea) = &db.sea else {
        crate::file::assert_sealed_at_rest(std::path::Path::new(&db.dsn), &["sk-"]);
        return;
    };
    let conn = sea.connection();
    for sql in [
        "SELECT secret FROM credentials",
        "SELECT secret FROM user_keys",
    ] {
        let rows = conn
            .query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
            .await
            .expect("raw select");
        assert!(!rows.is_empty());
        for row in rows {
            let secret: String = row.try_get("", "secret").expect("secret");
            assert!(secret.starts_with("sealed:v1:"), "{sql}: {secret}");
            assert!(!secret.contains("sk-"), "{sql}: plaintext at rest");
        }
    }
}

pub async fn reimport_updates_in_place(db: TestDb) {
    db.store.import_seed(&seed()).await.expect("import");
    let before = db.store.load().await.expect("load");
    let mut changed = seed();
    changed.providers[0].settings = json!({"base_url": "http://127.0.0.1:2/v1"});
    changed.providers[0].credentials = vec![json!({"api_key": "sk-upstream-3"})];
    changed.providers[0].health = vec![None];
    changed.permissions[0].model_pattern = "*".into();
    db.store.import_seed(&changed).await.expect("reimport");
    let after = db.store.load().await.expect("load");
    assert_eq!(after.providers.len(), 1);
    assert_eq!(
        after.providers[0].id, before.providers[0].id,
        "provider keeps its id"
    );
    assert!(after.providers[0].settings.contains("127.0.0.1:2"));
    assert_eq!(after.credentials.len(), 1);
    assert_eq!(after.credentials[0].secret["api_key"], "sk-upstream-3");
    assert_eq!(after.users.len(), 1);
    assert_eq!(after.users[0].id, before.users[0].id);
    assert_eq!(after.keys.len(), 1, "the same key is not added twice");
    assert_eq!(after.permissions.len(), 1);
    assert_eq!(after.permissions[0].model_pattern, "*");
    assert_eq!(after.models.len(), 1);
    assert_eq!(after.routes.len(), 1, "the route is replaced, not added");
    assert_eq!(after.route_members.len(), 2);
    assert_eq!(after.route_members[0].route_id, after.routes[0].id);
    assert_eq!(
        (after.route_members[0].tier, after.route_members[0].weight),
        (0, 3)
    );
    assert_eq!(after.route_members[1].model_id, "gpt-4.1-mini");
}

pub async fn seed_with_unknown_provider_changes_nothing(db: TestDb) {
    let mut bad = seed();
    bad.models[0].provider_name = "nope".into();
    let err = db
        .store
        .import_seed(&bad)
        .await
        .expect_err("unknown provider");
    assert!(err.to_string().contains("unknown provider `nope`"), "{err}");
    assert!(
        db.store.is_empty().await.expect("is_empty"),
        "the transaction rolled back"
    );
}

pub async fn added_keys_are_found_by_digest(db: TestDb) {
    db.store.import_seed(&seed()).await.expect("import");
    let uid = db.store.load().await.expect("load").users[0].id;
    let id = db
        .store
        .add_user_key(uid, "sk-alice-2", Some("login"))
        .await
        .expect("add");
    let cp = db.store.load().await.expect("load");
    let key = cp.keys.iter().find(|k| k.id == id).expect("new key");
    assert_eq!(key.digest, key_digest("sk-alice-2"));
    assert_eq!(key.label.as_deref(), Some("login"));
    let dup = db
        .store
        .add_user_key(uid, "sk-alice-2", None)
        .await
        .expect_err("digests are unique");
    assert!(
        matches!(dup, gproxy_storage::StoreError::Conflict(_)),
        "a clear conflict: {dup:?}"
    );
    assert!(!dup.to_string().contains("sk-alice-2"), "{dup}");
    assert_eq!(
        db.store.load().await.expect("load").keys.len(),
        cp.keys.len(),
        "nothing added"
    );
}

pub async fn records_batch_and_drain_on_shutdown(db: TestDb) {
    let store: Arc<dyn Store> = Arc::clone(&db.store);
    let tracker = TaskTracker::new();
    let cancel = CancellationToken::new();
    let config = QueueConfig {
        capacity: 64,
        max_batch: 7,
        window: Duration::from_millis(5),
    };
    let queue = WriteQueue::start(Arc::clone(&store), config, &tracker, cancel.clone());
    for i in 0..20 {
        queue.push(usage(i)).await;
    }
    queue.flush().await;
    assert_eq!(store.recent_usages(100).await.expect("usages").len(), 20);

    queue
        .push(Record::Downstream(DownstreamRecord {
            request_id: "req-d".into(),
            method: "POST".into(),
            path: "/v1/chat/completions".into(),
            status: 200,
            ..Default::default()
        }))
        .await;
    queue
        .push(Record::Upstream(UpstreamRecord {
            request_id: "req-d".into(),
            provider: "openai-main".into(),
            method: "POST".into(),
            url: "http://127.0.0.1:1/v1/chat/completions".into(),
            status: Some(200),
            ..Default::default()
        }))
        .await;
    for i in 20..30 {
        queue.push(usage(i)).await;
    }
    // Shutdown without a flush: the worker drains what is queued before it exits.
    cancel.cancel();
    tracker.close();
    tracker.wait().await;
    let usages = store.recent_usages(100).await.expect("usages");
    assert_eq!(usages.len(), 30);
    assert_eq!(usages[0].request_id, "req-29", "newest first");
    assert_eq!(usages[0].output_tokens, 58);
    assert_eq!(
        (usages[0].cost_nano, usages[1].cost_nano),
        (None, Some(28_000_000_196)),
        "costs exact to the nano-USD, unknown ones kept unknown"
    );
    assert_eq!(
        store.recent_downstream(10).await.expect("down")[0].path,
        "/v1/chat/completions"
    );
    assert_eq!(
        store.recent_upstream(10).await.expect("up")[0].status,
        Some(200)
    );
}

/// A database written by schema version 1 (no `usages.estimated`) is brought up to date at
/// connect, keeping its rows, and the stamp moves forward.
pub async fn version_1_usages_gain_the_estimated_column(db: TestDb) {
    let conn = db.sea().connection();
    db.store.write_records(&[usage(1)]).await.expect("write");
    conn.execute_unprepared("ALTER TABLE usages DROP COLUMN estimated")
        .await
        .expect("drop column");
    let key = if conn.get_database_backend() == sea_orm::DbBackend::MySql {
        "`key`"
    } else {
        "\"key\""
    };
    conn.execute_unprepared(&format!(
        "UPDATE instance_settings SET value = '1' WHERE {key} = 'schema_version'"
    ))
    .await
    .expect("stamp v1");
    // A version-1 database predates the migration tracker: only the stamp says where it is.
    conn.execute_unprepared("DELETE FROM schema_migrations")
        .await
        .expect("no tracker rows");

    let store = SeaStore::connect(&db.dsn, Sealer::from_base64(MASTER_KEY).expect("key"))
        .await
        .expect("reconnect upgrades");
    let mut estimated = usage(2);
    if let Record::Usage(u) = &mut estimated {
        u.estimated = true;
    }
    store.write_records(&[estimated]).await.expect("write v2");
    let rows = store.recent_usages(10).await.expect("usages");
    assert_eq!(rows.len(), 2);
    assert!(rows[0].estimated && !rows[1].estimated, "{rows:?}");
    let stamp = store
        .connection()
        .query_one_raw(Statement::from_string(
            store.connection().get_database_backend(),
            format!("SELECT value FROM instance_settings WHERE {key} = 'schema_version'"),
        ))
        .await
        .expect("query")
        .expect("stamp row");
    assert_eq!(
        stamp.try_get::<String>("", "value").expect("value"),
        gproxy_storage::sea::SCHEMA_VERSION.to_string()
    );
}

/// Seeded health lands on the right credential; saved statuses replace earlier ones, a
/// healthy one removes its row, and a reimport drops the statuses of replaced credentials.
pub async fn credential_statuses_round_trip(db: TestDb) {
    db.store.import_seed(&seed()).await.expect("import");
    let ids: Vec<i64> = db
        .store
        .load()
        .await
        .expect("load")
        .credentials
        .iter()
        .map(|c| c.id)
        .collect();
    let seeded = db.store.credential_statuses().await.expect("statuses");
    assert_eq!(seeded.len(), 1);
    assert_eq!(
        (seeded[0].credential_id, seeded[0].state.as_str()),
        (ids[1], "dead")
    );
    let partial = CredentialStatusRecord {
        credential_id: ids[0],
        state: "partial".into(),
        cooling: vec![
            ("gpt-4.1".into(), 1_780_000_000_000),
            ("o3".into(), 1_780_000_060_000),
        ],
        last_error: Some("rate limited: status 429".into()),
    };
    let healthy = CredentialStatusRecord {
        credential_id: ids[1],
        state: "healthy".into(),
        cooling: Vec::new(),
        last_error: None,
    };
    db.store
        .save_credential_statuses(&[partial.clone(), healthy])
        .await
        .expect("save");
    assert_eq!(
        db.store.credential_statuses().await.expect("statuses"),
        vec![partial.clone()]
    );
    db.store
        .save_credential_statuses(std::slice::from_ref(&partial))
        .await
        .expect("save again");
    assert_eq!(
        db.store
            .credential_statuses()
            .await
            .expect("statuses")
            .len(),
        1
    );
    let mut changed = seed();
    changed.providers[0].credentials = vec![json!({"api_key": "sk-upstream-3"})];
    changed.providers[0].health = vec![None];
    db.store.import_seed(&changed).await.expect("reimport");
    assert!(
        db.store
            .credential_statuses()
            .await
            .expect("statuses")
            .is_empty(),
        "replaced credentials leave no status behind"
    );
}

/// Route writes through the admin API: each with its audit entry, a duplicate name or an
/// unknown row refused without a trace.
pub async fn route_writes_are_audited_and_refusals_change_nothing(db: TestDb) {
    db.store.import_seed(&seed()).await.expect("import");
    let cp = db.store.load().await.expect("load");
    let provider_id = cp.providers[0].id;
    let route = db
        .store
        .create_route(
            &NewRoute {
                name: "fast".into(),
                enabled: true,
            },
            "root",
        )
        .await
        .expect("create");
    for taken in ["fast", "smart", "chat-default"] {
        let err = db
            .store
            .create_route(
                &NewRoute {
                    name: taken.into(),
                    enabled: true,
                },
                "root",
            )
            .await
            .expect_err("taken");
        assert!(
            matches!(err, gproxy_storage::StoreError::Conflict(_)),
            "{taken}: {err}"
        );
    }
    let member = db
        .store
        .create_route_member(
            route.id,
            &NewRouteMember {
                provider_id,
                model_id: "gpt-4.1".into(),
                tier: 0,
                weight: 2,
            },
            "root",
        )
        .await
        .expect("member");
    let err = db
        .store
        .create_route_member(
            route.id,
            &NewRouteMember {
                provider_id: 999_999,
                model_id: "m".into(),
                tier: 0,
                weight: 1,
            },
            "root",
        )
        .await
        .expect_err("unknown provider");
    assert!(
        matches!(err, gproxy_storage::StoreError::NotFound(_)),
        "{err}"
    );
    let patched = db
        .store
        .update_route_member(
            route.id,
            member.id,
            &RouteMemberPatch {
                tier: Some(1),
                ..Default::default()
            },
            "root",
        )
        .await
        .expect("patch");
    assert_eq!((patched.tier, patched.weight), (1, 2));
    let renamed = db
        .store
        .update_route(
            route.id,
            &RoutePatch {
                name: Some("quick".into()),
                enabled: None,
            },
            "root",
        )
        .await
        .expect("rename");
    assert_eq!(renamed.name, "quick");
    db.store
        .delete_route(route.id, "root")
        .await
        .expect("delete");
    let cp = db.store.load().await.expect("load");
    assert!(cp.routes.iter().all(|r| r.id != route.id));
    assert!(
        cp.route_members.iter().all(|m| m.route_id != route.id),
        "members go too"
    );
    let audit = db.store.audit_entries(10).await.expect("audit");
    let actions: Vec<(&str, &str)> = audit
        .iter()
        .map(|a| (a.action.as_str(), a.resource.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("delete", "routes"),
            ("update", "routes"),
            ("update", "route_members"),
            ("create", "route_members"),
            ("create", "routes"),
        ],
        "newest first; refused writes left no entry"
    );
    assert_eq!(audit[0].actor, "root");
    assert!(
        audit[1]
            .before
            .as_deref()
            .is_some_and(|b| b.contains("\"fast\""))
    );
    assert!(
        audit[1]
            .after
            .as_deref()
            .is_some_and(|a| a.contains("\"quick\""))
    );
}

/// Retention deletes old usage and request logs and empties old bodies, a batch at a time,
/// and leaves everything newer alone.
pub async fn retention_prunes_in_batches(db: TestDb) {
    let mut batch = Vec::new();
    for i in 0..10 {
        batch.push(usage(i));
        batch.push(Record::Downstream(DownstreamRecord {
            request_id: format!("req-{i}"),
            created_at: 1_700_000_000_000 + i,
            method: "POST".into(),
            path: "/v1/chat/completions".into(),
            status: 200,
            request_body: Some(format!("body {i}")),
            ..Default::default()
        }));
        batch.push(Record::Upstream(UpstreamRecord {
            request_id: format!("req-{i}"),
            created_at: 1_700_000_000_000 + i,
            provider: "openai-main".into(),
            method: "POST".into(),
            url: "http://x/v1/chat/completions".into(),
            response_body: Some(format!("answer {i}")),
            ..Default::default()
        }));
    }
    db.store.write_records(&batch).await.expect("write");
    // Rows 0..6 are older than the cutoff.
    let cutoff = 1_700_000_000_006;
    assert_eq!(
        db.store
            .prune(Prune::Bodies, cutoff, 4)
            .await
            .expect("bodies"),
        8,
        "4 per table"
    );
    assert_eq!(
        db.store
            .prune(Prune::Bodies, cutoff, 4)
            .await
            .expect("bodies"),
        4
    );
    assert_eq!(
        db.store
            .prune(Prune::Bodies, cutoff, 4)
            .await
            .expect("bodies"),
        0
    );
    let logs = db.store.recent_downstream(100).await.expect("logs");
    assert_eq!(logs.len(), 10, "envelopes stay");
    assert_eq!(logs.iter().filter(|l| l.request_body.is_some()).count(), 4);
    let mut total = 0;
    loop {
        let n = db
            .store
            .prune(Prune::Usages, cutoff, 4)
            .await
            .expect("usages");
        assert!(n <= 4);
        if n == 0 {
            break;
        }
        total += n;
    }
    assert_eq!(total, 6);
    let left = db.store.recent_usages(100).await.expect("usages");
    assert!(left.iter().all(|u| u.created_at >= cutoff) && left.len() == 4);
    assert_eq!(
        db.store
            .prune(Prune::RequestLogs, cutoff, 100)
            .await
            .expect("logs"),
        12
    );
    assert_eq!(
        db.store.recent_upstream(100).await.expect("upstream").len(),
        4
    );
}

/// Rotating the master key re-seals every secret: the new key opens them, the old one no
/// longer does, and the plaintext never reaches the tables.
pub async fn the_master_key_rotates(db: TestDb) {
    const NEW: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
    db.store.import_seed(&seed()).await.expect("import");
    let new = Sealer::from_base64(NEW).expect("key");
    let (credentials, keys) = db.store.reseal(&new).await.expect("reseal");
    assert_eq!((credentials, keys), (2, 1));
    let err = db
        .store
        .load()
        .await
        .expect_err("the old key opens nothing now");
    assert!(err.to_string().contains("could not be opened"), "{err}");
    let rotated = db.reopen(new).await;
    let cp = rotated
        .store
        .load()
        .await
        .expect("the new key opens everything");
    assert_eq!(cp.credentials[0].secret["api_key"], "sk-upstream-1");
    assert_eq!(cp.keys[0].api_key.expose_secret(), "sk-alice-1");
}

fn limit(user: &str, pattern: &str, rpm: Option<i64>, tpd: Option<i64>) -> SeedRateLimit {
    SeedRateLimit {
        user_name: user.into(),
        model_pattern: pattern.into(),
        rpm,
        rpd: None,
        tpm: None,
        tpd,
    }
}

fn quota(user: &str, limit_nano: i64, used_nano: i64, period: &str) -> SeedQuota {
    SeedQuota {
        user_name: user.into(),
        limit_nano,
        used_nano,
        period: period.into(),
    }
}

/// `(user name, pattern, rpm, rpd, tpm, tpd)` of every loaded rate limit, in id order.
fn limits_of(cp: &ControlPlane) -> Vec<(String, String, [Option<i64>; 4])> {
    cp.rate_limits
        .iter()
        .map(|r| {
            let user = cp.users.iter().find(|u| u.id == r.user_id).expect("user");
            (
                user.name.clone(),
                r.model_pattern.clone(),
                [r.rpm, r.rpd, r.tpm, r.tpd],
            )
        })
        .collect()
}

/// Usage costs are added to their users' quotas in the records' transaction, and a replayed
/// batch charges only the records it stores.
pub async fn usage_costs_are_charged_to_quotas(db: TestDb) {
    let mut s = seed();
    s.quotas = vec![SeedQuota {
        user_name: "alice".into(),
        limit_nano: 1_000_000_000,
        used_nano: 5,
        period: "none".into(),
    }];
    db.store.import_seed(&s).await.expect("import");
    let uid = db.store.load().await.expect("load").users[0].id;
    let spent = |id: &str, cost: i64| {
        Record::Usage(UsageRecord {
            request_id: id.into(),
            created_at: gproxy_storage::now_ms(),
            user_id: Some(uid),
            cost_nano: Some(cost),
            ..Default::default()
        })
    };
    let used = || async { db.store.load().await.expect("load").quotas[0].used_nano };
    db.store
        .write_records(&[spent("q1", 100), spent("q2", 20), usage(3)])
        .await
        .expect("write");
    assert_eq!(used().await, 125);
    db.store
        .replay_records(&[spent("q1", 100), spent("q3", 1)])
        .await
        .expect("replay");
    assert_eq!(
        used().await,
        126,
        "q1 was stored already: not charged twice"
    );
}

/// Usage listings filter by user, key, provider, model and time, newest first, and page by
/// id.
pub async fn usage_rows_are_listed_by_filter_and_page(db: TestDb) {
    let row = |i: i64, user: i64, model: &str| {
        Record::Usage(UsageRecord {
            request_id: format!("list-{i}"),
            created_at: 1_000 + i,
            user_id: Some(user),
            user_key_id: Some(user * 10),
            provider: "openai-main".into(),
            model: model.into(),
            ..Default::default()
        })
    };
    let batch: Vec<Record> = (0..10)
        .map(|i| row(i, 1 + i % 2, if i < 5 { "gpt-4.1" } else { "gpt-4.1-mini" }))
        .collect();
    db.store.write_records(&batch).await.expect("write");
    let ids =
        |rows: Vec<UsageRow>| -> Vec<String> { rows.into_iter().map(|r| r.request_id).collect() };
    let all = UsageFilter::default();
    assert_eq!(
        ids(db.store.usages(&all, None, 3).await.expect("page")),
        ["list-9", "list-8", "list-7"]
    );
    let first = db.store.usages(&all, None, 3).await.expect("page");
    let next = db
        .store
        .usages(
            &all,
            Some(TimeCursor {
                created_at: first[2].created_at,
                id: first[2].id,
            }),
            3,
        )
        .await
        .expect("next");
    assert_eq!(ids(next), ["list-6", "list-5", "list-4"]);
    let alice = UsageFilter {
        user_id: Some(1),
        model: Some("gpt-4.1".into()),
        ..UsageFilter::default()
    };
    assert_eq!(
        ids(db.store.usages(&alice, None, 10).await.expect("filtered")),
        ["list-4", "list-2", "list-0"]
    );
    let window = UsageFilter {
        key_id: Some(20),
        from_ms: Some(1_003),
        to_ms: Some(1_008),
        provider: Some("openai-main".into()),
        ..UsageFilter::default()
    };
    assert_eq!(
        ids(db.store.usages(&window, None, 10).await.expect("window")),
        ["list-7", "list-5", "list-3"]
    );
    let none = UsageFilter {
        provider: Some("nobody".into()),
        ..UsageFilter::default()
    };
    assert!(
        db.store
            .usages(&none, None, 10)
            .await
            .expect("none")
            .is_empty()
    );
}

/// The audit log pages newest first.
pub async fn audit_pages_newest_first(db: TestDb) {
    for i in 0..5 {
        db.store
            .write_audit(&AuditRecord {
                actor: "root".into(),
                action: "reset".into(),
                resource: "credentials".into(),
                resource_id: Some(i.to_string()),
                before: None,
                after: Some(json!({"n": i})),
            })
            .await
            .expect("audit");
    }
    let ids = |rows: Vec<AuditRow>| -> Vec<Option<String>> {
        rows.into_iter().map(|r| r.resource_id).collect()
    };
    let first = db.store.audit_page(None, 2).await.expect("page");
    let cursor = first[1].id;
    assert_eq!(ids(first), [Some("4".into()), Some("3".into())]);
    let second = db.store.audit_page(Some(cursor), 2).await.expect("page");
    let cursor = second[1].id;
    assert_eq!(ids(second), [Some("2".into()), Some("1".into())]);
    let last = db.store.audit_page(Some(cursor), 5).await.expect("page");
    assert_eq!(ids(last), [Some("0".into())]);
}

pub async fn rate_limits_and_quotas_import_per_user(db: TestDb) {
    let mut first = seed();
    first.users.push(SeedUser {
        name: "bob".into(),
        keys: Vec::new(),
        ..first.users[0].clone()
    });
    first.rate_limits = vec![
        limit("alice", "gpt-*", Some(60), Some(200_000)),
        limit("alice", "*", None, None),
        limit("bob", "*", Some(5), None),
    ];
    first.rate_limits[1].rpd = Some(1_000);
    first.rate_limits[1].tpm = Some(9_000_000_000);
    first.quotas = vec![quota("alice", 100_000_000_000, 2_500_000_001, "monthly")];
    db.store.import_seed(&first).await.expect("import");
    let cp = db.store.load().await.expect("load");
    assert_eq!(
        limits_of(&cp),
        vec![
            (
                "alice".into(),
                "gpt-*".into(),
                [Some(60), None, None, Some(200_000)]
            ),
            (
                "alice".into(),
                "*".into(),
                [None, Some(1_000), Some(9_000_000_000), None]
            ),
            ("bob".into(), "*".into(), [Some(5), None, None, None]),
        ]
    );
    let alice = cp
        .users
        .iter()
        .find(|u| u.name == "alice")
        .expect("alice")
        .id;
    assert_eq!(cp.quotas.len(), 1);
    let q = &cp.quotas[0];
    assert_eq!(
        (q.user_id, q.limit_nano, q.used_nano, q.period.as_str()),
        (alice, 100_000_000_000, 2_500_000_001, "monthly")
    );
    assert!(q.period_start > 0 && q.period_start == q.created_at);

    // Re-import: alice's limits are replaced, bob's (not named) stay; alice's quota is
    // updated in place and keeps its period start while the period is the same.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let mut second = seed();
    second.rate_limits = vec![limit("alice", "claude-*", None, Some(50))];
    second.quotas = vec![quota("alice", 7, 3, "monthly")];
    db.store.import_seed(&second).await.expect("reimport");
    let again = db.store.load().await.expect("load");
    assert_eq!(
        limits_of(&again),
        vec![
            ("bob".into(), "*".into(), [Some(5), None, None, None]),
            (
                "alice".into(),
                "claude-*".into(),
                [None, None, None, Some(50)]
            ),
        ]
    );
    assert_eq!(again.quotas.len(), 1, "one quota per user");
    let q2 = &again.quotas[0];
    assert_eq!(
        (q2.id, q2.limit_nano, q2.used_nano, q2.period_start),
        (q.id, 7, 3, q.period_start)
    );
    assert!(q2.updated_at > q.updated_at, "updated_at moves");

    // A new period starts at the import; a second user gets a quota of their own.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let third = Seed {
        quotas: vec![quota("alice", 7, 0, "daily"), quota("bob", 1, 0, "none")],
        ..Seed::default()
    };
    db.store.import_seed(&third).await.expect("period change");
    let cp = db.store.load().await.expect("load");
    assert_eq!(cp.quotas.len(), 2);
    assert_eq!(cp.quotas[0].id, q.id);
    assert_eq!(cp.quotas[0].period, "daily");
    assert!(
        cp.quotas[0].period_start > q.period_start,
        "the period restarts"
    );
    assert_eq!(cp.quotas[1].period, "none");

    // Refusals change nothing: not the limits, not the rest of the seed.
    let unchanged = |cp: &ControlPlane| {
        (
            cp.rate_limits.clone(),
            cp.quotas.clone(),
            cp.providers.clone(),
        )
    };
    let before = unchanged(&cp);
    let mut provider_change = seed();
    provider_change.providers[0].settings = json!({"base_url": "http://127.0.0.1:3/v1"});
    let refusals = [
        (
            Seed {
                rate_limits: vec![
                    limit("alice", "*", Some(1), None),
                    limit("nobody", "*", Some(1), None),
                ],
                ..provider_change.clone()
            },
            "rate_limits: unknown user `nobody`",
        ),
        (
            Seed {
                rate_limits: vec![limit("alice", "*", Some(1), None)],
                quotas: vec![quota("nobody", 1, 0, "none")],
                ..provider_change.clone()
            },
            "quotas: unknown user `nobody`",
        ),
        (
            Seed {
                quotas: vec![quota("alice", 1, 0, "weekly")],
                ..provider_change.clone()
            },
            "period `weekly`",
        ),
    ];
    for (bad, want) in refusals {
        let err = db.store.import_seed(&bad).await.expect_err(want);
        assert!(
            matches!(err, gproxy_storage::StoreError::Invalid(_)),
            "{err:?}"
        );
        assert!(err.to_string().contains(want), "{err}");
        let cp = db.store.load().await.expect("load");
        assert_eq!(unchanged(&cp), before, "{want}: nothing changed");
    }
    // The limits survive a reopen (the file backend re-reads its tables).
    let reopened = db.reopen(sealer()).await;
    let cp = reopened.store.load().await.expect("load");
    assert_eq!(unchanged(&cp), before);
}

/// Admin writes of rate limits and quotas: each success is audited, each refusal (bad
/// input, unknown user or id, a second quota) changes nothing.
pub async fn limit_and_quota_writes_are_audited_and_refusals_change_nothing(db: TestDb) {
    use gproxy_storage::StoreError;
    db.store.import_seed(&seed()).await.expect("import");
    let uid = db.store.load().await.expect("load").users[0].id;
    let audited = || async { db.store.audit_entries(1_000).await.expect("audit").len() };
    let state = || async {
        let cp = db.store.load().await.expect("load");
        (cp.rate_limits, cp.quotas)
    };
    let start = audited().await;

    // Rate limits: create, set one ceiling and clear another, delete.
    let new = NewRateLimit {
        user_id: uid,
        model_pattern: "gpt-*".into(),
        rpm: Some(60),
        rpd: None,
        tpm: None,
        tpd: Some(1_000),
    };
    let limit = db
        .store
        .create_rate_limit(&new, "root")
        .await
        .expect("create");
    assert_eq!(
        (
            limit.user_id,
            limit.model_pattern.as_str(),
            limit.rpm,
            limit.tpd
        ),
        (uid, "gpt-*", Some(60), Some(1_000))
    );
    let patched = db
        .store
        .update_rate_limit(
            limit.id,
            &RateLimitPatch {
                rpm: Some(None),
                rpd: Some(Some(10)),
                ..Default::default()
            },
            "root",
        )
        .await
        .expect("patch");
    assert_eq!(
        (patched.rpm, patched.rpd, patched.tpm, patched.tpd),
        (None, Some(10), None, Some(1_000))
    );
    assert_eq!(state().await.0, vec![patched.clone()]);

    // Quotas: create, then a limit change keeps what is used and moves updated_at.
    let quota = db
        .store
        .create_quota(
            &NewQuota {
                user_id: uid,
                limit_nano: 1_000,
                period: "none".into(),
            },
            "root",
        )
        .await
        .expect("quota");
    assert_eq!((quota.used_nano, quota.limit_nano), (0, 1_000));
    assert!(quota.period_start > 0);
    assert_eq!(
        (quota.created_at, quota.updated_at),
        (quota.period_start, quota.period_start)
    );
    let spend = |id: &str, cost: i64| {
        Record::Usage(UsageRecord {
            request_id: id.into(),
            created_at: gproxy_storage::now_ms(),
            user_id: Some(uid),
            cost_nano: Some(cost),
            ..Default::default()
        })
    };
    db.store
        .write_records(&[spend("l1", 25)])
        .await
        .expect("spend");
    let frozen = db
        .store
        .update_quota(
            quota.id,
            &QuotaPatch {
                limit_nano: Some(0),
                period: None,
            },
            "root",
        )
        .await
        .expect("freeze");
    assert_eq!(
        (frozen.limit_nano, frozen.used_nano, frozen.period.as_str()),
        (0, 25, "none")
    );
    assert_eq!(frozen.period_start, quota.period_start);
    assert!(frozen.updated_at > quota.updated_at, "updated_at moves");

    // A new period starts with nothing used; a reset empties the current one.
    let daily = db
        .store
        .update_quota(
            quota.id,
            &QuotaPatch {
                limit_nano: None,
                period: Some("daily".into()),
            },
            "root",
        )
        .await
        .expect("period");
    assert_eq!((daily.period.as_str(), daily.used_nano), ("daily", 0));
    assert_eq!(daily.limit_nano, 0);
    assert!(daily.period_start >= frozen.period_start);
    assert!(daily.updated_at > frozen.updated_at);
    db.store
        .write_records(&[spend("l2", 7)])
        .await
        .expect("spend");
    assert_eq!(state().await.1[0].used_nano, 7);
    let reset = db.store.reset_quota(quota.id, "root").await.expect("reset");
    assert_eq!(reset.used_nano, 0);
    assert!(reset.updated_at > daily.updated_at);
    assert!(reset.period_start >= daily.period_start);
    assert_eq!(state().await.1, vec![reset.clone()]);

    // Refusals: nothing changes, nothing is audited.
    let before = (state().await, audited().await);
    assert_eq!(before.1, start + 6);
    let missing = 999_999;
    let refusals: Vec<(Result<(), StoreError>, &str)> = vec![
        (
            db.store
                .create_rate_limit(
                    &NewRateLimit {
                        rpm: Some(0),
                        ..new.clone()
                    },
                    "root",
                )
                .await
                .map(|_| ()),
            "rpm must be 1 or more",
        ),
        (
            db.store
                .create_rate_limit(
                    &NewRateLimit {
                        model_pattern: String::new(),
                        ..new.clone()
                    },
                    "root",
                )
                .await
                .map(|_| ()),
            "model_pattern must not be empty",
        ),
        (
            db.store
                .update_rate_limit(
                    limit.id,
                    &RateLimitPatch {
                        tpm: Some(Some(-5)),
                        ..Default::default()
                    },
                    "root",
                )
                .await
                .map(|_| ()),
            "tpm must be 1 or more",
        ),
        (
            db.store
                .create_rate_limit(
                    &NewRateLimit {
                        user_id: missing,
                        ..new.clone()
                    },
                    "root",
                )
                .await
                .map(|_| ()),
            "no user `999999`",
        ),
        (
            db.store
                .update_rate_limit(missing, &RateLimitPatch::default(), "root")
                .await
                .map(|_| ()),
            "no rate limit `999999`",
        ),
        (
            db.store
                .create_quota(
                    &NewQuota {
                        user_id: uid,
                        limit_nano: 1,
                        period: "none".into(),
                    },
                    "root",
                )
                .await
                .map(|_| ()),
            "already has a quota",
        ),
        (
            db.store
                .create_quota(
                    &NewQuota {
                        user_id: missing,
                        limit_nano: 1,
                        period: "none".into(),
                    },
                    "root",
                )
                .await
                .map(|_| ()),
            "no user `999999`",
        ),
        (
            db.store
                .update_quota(
                    quota.id,
                    &QuotaPatch {
                        limit_nano: Some(-1),
                        period: None,
                    },
                    "root",
                )
                .await
                .map(|_| ()),
            "limit_nano must not be negative",
        ),
        (
            db.store
                .update_quota(
                    quota.id,
                    &QuotaPatch {
                        limit_nano: None,
                        period: Some("weekly".into()),
                    },
                    "root",
                )
                .await
                .map(|_| ()),
            "period `weekly`",
        ),
        (
            db.store
                .update_quota(missing, &QuotaPatch::default(), "root")
                .await
                .map(|_| ()),
            "no quota `999999`",
        ),
        (
            db.store.reset_quota(missing, "root").await.map(|_| ()),
            "no quota `999999`",
        ),
        (
            db.store.delete_quota(missing, "root").await,
            "no quota `999999`",
        ),
        (
            db.store.delete_rate_limit(missing, "root").await,
            "no rate limit `999999`",
        ),
    ];
    for (result, want) in refusals {
        let err = result.expect_err(want);
        let kind_ok = match want {
            w if w.starts_with("no ") => matches!(err, StoreError::NotFound(_)),
            w if w.contains("already") => matches!(err, StoreError::Conflict(_)),
            _ => matches!(err, StoreError::Invalid(_)),
        };
        assert!(kind_ok, "{want}: {err:?}");
        assert!(err.to_string().contains(want), "{want}: {err}");
    }
    assert_eq!(
        (state().await, audited().await),
        before,
        "refusals change nothing"
    );

    // Deletes.
    db.store
        .delete_rate_limit(limit.id, "root")
        .await
        .expect("delete limit");
    db.store
        .delete_quota(quota.id, "root")
        .await
        .expect("delete quota");
    assert_eq!(state().await, (Vec::new(), Vec::new()));

    // One entry per successful write, newest first, with ids as strings.
    let audit = db.store.audit_entries(8).await.expect("audit");
    let entries: Vec<(&str, &str, Option<&str>)> = audit
        .iter()
        .map(|a| {
            (
                a.action.as_str(),
                a.resource.as_str(),
                a.resource_id.as_deref(),
            )
        })
        .collect();
    let (l, q) = (limit.id.to_string(), quota.id.to_string());
    assert_eq!(
        entries,
        [
            ("delete", "quotas", Some(q.as_str())),
            ("delete", "rate-limits", Some(l.as_str())),
            ("reset", "quotas", Some(q.as_str())),
            ("update", "quotas", Some(q.as_str())),
            ("update", "quotas", Some(q.as_str())),
            ("create", "quotas", Some(q.as_str())),
            ("update", "rate-limits", Some(l.as_str())),
            ("create", "rate-limits", Some(l.as_str())),
        ]
    );
    assert_eq!(audited().await, start + 8);
    let json = |s: Option<&str>| -> serde_json::Value {
        serde_json::from_str(s.expect("present")).expect("json")
    };
    let reset_entry = &audit[2];
    let (was, now) = (
        json(reset_entry.before.as_deref()),
        json(reset_entry.after.as_deref()),
    );
    assert_eq!(was["used_nano"], json!(7));
    assert_eq!(now["used_nano"], json!(0));
    assert_eq!(now["id"], json!(q));
    assert_eq!(now["user_id"], json!(uid.to_string()));
    assert_eq!(now["period"], json!("daily"));
    assert_eq!(now["limit_nano"], json!(0));
    let limit_update = json(audit[6].after.as_deref());
    assert_eq!(limit_update["id"], json!(l));
    assert_eq!(limit_update["rpm"], json!(null));
    assert_eq!(limit_update["rpd"], json!(10));
    assert!(audit[0].after.is_none() && audit[0].before.is_some());
    assert!(audit[7].before.is_none() && audit[7].after.is_some());
}

macro_rules! conformance {
    ($backend:ident: $($test:ident),* $(,)?) => {
        mod $backend {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$test(crate::backends::$backend().await).await;
                }
            )*
        }
    };
}

/// Runs the `common` tests on every backend and the `sql` ones (which look at the database
/// with raw SQL) on the SeaORM backends only.
macro_rules! all_backends {
    (common: [$($test:ident),* $(,)?], sql: [$($sql:ident),* $(,)?] $(,)?) => {
        conformance!(sqlite: $($test,)* $($sql),*);
        conformance!(postgres: $($test,)* $($sql),*);
        conformance!(mysql: $($test,)* $($sql),*);
        conformance!(file: $($test),*);
    };
}

all_backends!(
    common: [
        fresh_database_is_empty_and_sync_is_idempotent,
        seed_round_trips_with_secrets_sealed,
        reimport_updates_in_place,
        seed_with_unknown_provider_changes_nothing,
        added_keys_are_found_by_digest,
        records_batch_and_drain_on_shutdown,
        credential_statuses_round_trip,
        route_writes_are_audited_and_refusals_change_nothing,
        retention_prunes_in_batches,
        the_master_key_rotates,
        rate_limits_and_quotas_import_per_user,
        usage_costs_are_charged_to_quotas,
        usage_rows_are_listed_by_filter_and_page,
        audit_pages_newest_first,
        limit_and_quota_writes_are_audited_and_refusals_change_nothing,
    ],
    sql: [version_1_usages_gain_the_estimated_column],
);

/// The embedded SQLite file is tuned on every pooled connection (WAL, `synchronous=NORMAL`,
/// a busy timeout, foreign keys) and created readable by its owner only.
#[tokio::test]
async fn sqlite_connections_are_tuned_and_the_file_is_private() {
    let db = crate::backends::sqlite().await;
    let conn = db.sea().connection();
    for (pragma, want) in [
        ("journal_mode", "wal"),
        ("synchronous", "1"),
        ("busy_timeout", "5000"),
        ("foreign_keys", "1"),
    ] {
        for _ in 0..4 {
            let row = conn
                .query_one_raw(Statement::from_string(
                    sea_orm::DbBackend::Sqlite,
                    format!("PRAGMA {pragma}"),
                ))
                .await
                .expect("pragma")
                .expect("a row");
            let value: String = row
                .try_get_by_index::<String>(0)
                .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
                .expect("value");
            assert_eq!(value, want, "{pragma}");
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let path = db
            .dsn
            .trim_start_matches("sqlite://")
            .split('?')
            .next()
            .expect("path")
            .to_owned();
        let mode = std::fs::metadata(&path).expect("file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{path}");
    }
}
