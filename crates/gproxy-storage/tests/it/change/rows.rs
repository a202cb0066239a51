//! Builders for the change-set tests: row values, audit entries, and a populated store.

use crate::backends::TestDb;
use RowChange::Insert;
use gproxy_storage::model::{AuditRecord, ControlPlane};
use gproxy_storage::{RowChange, RowValues};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

pub(super) fn provider(name: &str, channel: &str) -> RowValues {
    RowValues::Provider {
        name: name.into(),
        channel: channel.into(),
        settings: json!({"base_url": format!("http://127.0.0.1:1/{name}")}),
        enabled: true,
    }
}

pub(super) fn credential(provider_id: i64, api_key: &str) -> RowValues {
    RowValues::Credential {
        provider_id,
        label: Some(format!("label-{api_key}")),
        secret: json!({"api_key": api_key}),
        enabled: true,
    }
}

pub(super) fn model(provider_id: i64, model_id: &str) -> RowValues {
    RowValues::Model {
        provider_id,
        model_id: model_id.into(),
        display_name: Some(model_id.to_uppercase()),
        enabled: true,
        pricing: json!({"price_each_call": "0.01"}),
    }
}

pub(super) fn alias(alias: &str, provider_id: i64, model_id: &str) -> RowValues {
    RowValues::Alias {
        alias: alias.into(),
        provider_id,
        model_id: model_id.into(),
        enabled: true,
    }
}

pub(super) fn user(name: &str) -> RowValues {
    RowValues::User {
        name: name.into(),
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$hash-of-{name}"),
        is_admin: false,
        enabled: true,
    }
}

pub(super) fn key(user_id: i64, api_key: &str) -> RowValues {
    RowValues::Key {
        user_id,
        api_key: api_key.into(),
        label: Some("cli".into()),
        enabled: true,
        expires_at: Some(4_102_444_800_000),
    }
}

pub(super) fn permission(user_id: i64, provider_id: Option<i64>) -> RowValues {
    RowValues::Permission {
        user_id,
        provider_id,
        model_pattern: "gpt-*".into(),
    }
}

/// The audit entry a test's change set carries.
pub(super) fn entry(action: &str, resource: &str, id: Option<i64>) -> AuditRecord {
    AuditRecord {
        actor: "root".into(),
        action: action.into(),
        resource: resource.into(),
        resource_id: id.map(|i| i.to_string()),
        before: None,
        after: Some(json!({"action": action, "resource": resource})),
    }
}

pub(super) async fn apply(db: &TestDb, changes: &[RowChange]) -> Vec<i64> {
    db.store
        .apply_changes(changes, &entry("update", "test", None))
        .await
        .expect("apply changes")
}

pub(super) async fn audited(db: &TestDb) -> usize {
    db.store.audit_page(None, 1_000).await.expect("audit").len()
}

/// Every row of the control plane with its opened secrets, to compare states.
pub(super) fn snapshot(cp: &ControlPlane) -> String {
    let credentials: Vec<_> = cp
        .credentials
        .iter()
        .map(|c| (c.id, c.provider_id, &c.label, &c.secret, c.enabled))
        .collect();
    let keys: Vec<_> = cp
        .keys
        .iter()
        .map(|k| {
            (
                k.id,
                k.user_id,
                &k.digest,
                k.api_key.expose_secret(),
                &k.label,
            )
        })
        .collect();
    format!(
        "{:?}\n{credentials:?}\n{:?}\n{:?}\n{:?}\n{keys:?}\n{:?}\n{:?}\n{:?}",
        cp.providers, cp.models, cp.aliases, cp.users, cp.permissions, cp.rate_limits, cp.quotas
    )
}

/// The ids of a provider, a user and one row of every other kind, inserted in two sets.
pub(super) struct Rows {
    pub(super) provider: i64,
    pub(super) user: i64,
    pub(super) credential: i64,
    pub(super) model: i64,
    pub(super) alias: i64,
    pub(super) key: i64,
    pub(super) permission: i64,
}

pub(super) async fn populate(db: &TestDb) -> Rows {
    let ids = apply(db, &[Insert(provider("p1", "openai")), Insert(user("bob"))]).await;
    let [provider_id, user_id] = ids[..] else {
        panic!("two ids: {ids:?}");
    };
    let ids = apply(
        db,
        &[
            Insert(credential(provider_id, "sk-up-1")),
            Insert(model(provider_id, "m1")),
            Insert(alias("fast", provider_id, "m1")),
            Insert(key(user_id, "sk-bob-1")),
            Insert(permission(user_id, Some(provider_id))),
        ],
    )
    .await;
    let [credential, model, alias, key, permission] = ids[..] else {
        panic!("five ids: {ids:?}");
    };
    Rows {
        provider: provider_id,
        user: user_id,
        credential,
        model,
        alias,
        key,
        permission,
    }
}

pub(super) fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("stored JSON")
}
