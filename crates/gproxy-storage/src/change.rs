//! A set of control-plane row changes the admin API applies as one: the rows' values as the
//! server sets them ([`RowValues`]), and their stored form ([`StoredRow`], secrets sealed and
//! JSON as text) that both backends write with [`crate::Store::apply_changes`].

use crate::entity::{credential, user_key};
use crate::model::{AliasRow, AuditRecord, ModelRow, PermissionRow, ProviderRow, UserRow};
use crate::seal::{Sealer, key_digest};
use crate::store::StoreError;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

/// A control-plane table a change can touch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Table {
    Provider,
    Credential,
    /// Keyed by the credential's id.
    CredentialStatus,
    Model,
    Alias,
    User,
    Key,
    Permission,
    RateLimit,
    Quota,
}

impl Table {
    /// The table's stored name (also the file backend's id counter).
    pub fn name(self) -> &'static str {
        match self {
            Table::Provider => "providers",
            Table::Credential => "credentials",
            Table::CredentialStatus => "credential_statuses",
            Table::Model => "provider_models",
            Table::Alias => "aliases",
            Table::User => "users",
            Table::Key => "user_keys",
            Table::Permission => "route_permissions",
            Table::RateLimit => "rate_limits",
            Table::Quota => "quotas",
        }
    }

    /// What one row is called in messages.
    fn noun(self) -> &'static str {
        match self {
            Table::Provider => "provider",
            Table::Credential => "credential",
            Table::CredentialStatus => "credential status",
            Table::Model => "model",
            Table::Alias => "alias",
            Table::User => "user",
            Table::Key => "key",
            Table::Permission => "permission",
            Table::RateLimit => "rate limit",
            Table::Quota => "quota",
        }
    }

    /// The error for a change naming row `id` of this table, which does not exist.
    pub(crate) fn not_found(self, id: i64) -> StoreError {
        StoreError::NotFound(format!("no {} `{id}`", self.noun()))
    }
}

/// A row's values as the admin API sets them (secrets in plaintext: the store seals them and
/// digests keys). Its `Debug` leaves the secrets and the password hash out.
#[derive(Clone)]
pub enum RowValues {
    Provider {
        name: String,
        channel: String,
        settings: Value,
        enabled: bool,
    },
    Credential {
        provider_id: i64,
        label: Option<String>,
        /// The credential JSON: secret.
        secret: Value,
        enabled: bool,
    },
    Model {
        provider_id: i64,
        model_id: String,
        display_name: Option<String>,
        enabled: bool,
        /// Pricing fields (decimal strings).
        pricing: Value,
    },
    Alias {
        alias: String,
        provider_id: i64,
        model_id: String,
        enabled: bool,
    },
    User {
        name: String,
        /// An Argon2 PHC string.
        password_hash: String,
        is_admin: bool,
        enabled: bool,
    },
    Key {
        user_id: i64,
        api_key: SecretString,
        label: Option<String>,
        enabled: bool,
        /// When the key stops working (Unix ms).
        expires_at: Option<i64>,
    },
    Permission {
        user_id: i64,
        provider_id: Option<i64>,
        model_pattern: String,
    },
}

impl RowValues {
    /// The table these values are a row of.
    pub fn table(&self) -> Table {
        match self {
            RowValues::Provider { .. } => Table::Provider,
            RowValues::Credential { .. } => Table::Credential,
            RowValues::Model { .. } => Table::Model,
            RowValues::Alias { .. } => Table::Alias,
            RowValues::User { .. } => Table::User,
            RowValues::Key { .. } => Table::Key,
            RowValues::Permission { .. } => Table::Permission,
        }
    }

    /// The stored row: secrets sealed, keys digested, JSON as text, stamped `now` (its id
    /// and, for an update, its creation time are the backend's to set).
    fn stored(&self, sealer: &Sealer, now: i64) -> Result<StoredRow, StoreError> {
        Ok(match self.clone() {
            RowValues::Provider {
                name,
                channel,
                settings,
                enabled,
            } => StoredRow::Provider(ProviderRow {
                id: 0,
                name,
                channel,
                settings: settings.to_string(),
                enabled,
                created_at: now,
                updated_at: now,
            }),
            RowValues::Credential {
                provider_id,
                label,
                secret,
                enabled,
            } => StoredRow::Credential(credential::Model {
                id: 0,
                provider_id,
                label,
                secret: sealer.seal(&secret.to_string())?,
                enabled,
                created_at: now,
            }),
            RowValues::Model {
                provider_id,
                model_id,
                display_name,
                enabled,
                pricing,
            } => StoredRow::Model(ModelRow {
                id: 0,
                provider_id,
                model_id,
                display_name,
                enabled,
                pricing: pricing.to_string(),
                created_at: now,
            }),
            RowValues::Alias {
                alias,
                provider_id,
                model_id,
                enabled,
            } => StoredRow::Alias(AliasRow {
                id: 0,
                alias,
                provider_id,
                model_id,
                enabled,
                created_at: now,
            }),
            RowValues::User {
                name,
                password_hash,
                is_admin,
                enabled,
            } => StoredRow::User(UserRow {
                id: 0,
                name,
                password_hash,
                is_admin,
                enabled,
                created_at: now,
            }),
            RowValues::Key {
                user_id,
                api_key,
                label,
                enabled,
                expires_at,
            } => StoredRow::Key(user_key::Model {
                id: 0,
                user_id,
                digest: key_digest(api_key.expose_secret()),
                secret: sealer.seal(api_key.expose_secret())?,
                label,
                enabled,
                expires_at,
                created_at: now,
            }),
            RowValues::Permission {
                user_id,
                provider_id,
                model_pattern,
            } => StoredRow::Permission(PermissionRow {
                id: 0,
                user_id,
                provider_id,
                model_pattern,
                created_at: now,
            }),
        })
    }
}

impl std::fmt::Debug for RowValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RowValues::Provider {
                name,
                channel,
                enabled,
                ..
            } => f
                .debug_struct("Provider")
                .field("name", name)
                .field("channel", channel)
                .field("enabled", enabled)
                .finish_non_exhaustive(),
            RowValues::Credential {
                provider_id,
                label,
                enabled,
                ..
            } => f
                .debug_struct("Credential")
                .field("provider_id", provider_id)
                .field("label", label)
                .field("enabled", enabled)
                .finish_non_exhaustive(),
            RowValues::Model {
                provider_id,
                model_id,
                display_name,
                enabled,
                pricing,
            } => f
                .debug_struct("Model")
                .field("provider_id", provider_id)
                .field("model_id", model_id)
                .field("display_name", display_name)
                .field("enabled", enabled)
                .field("pricing", pricing)
                .finish(),
            RowValues::Alias {
                alias,
                provider_id,
                model_id,
                enabled,
            } => f
                .debug_struct("Alias")
                .field("alias", alias)
                .field("provider_id", provider_id)
                .field("model_id", model_id)
                .field("enabled", enabled)
                .finish(),
            RowValues::User {
                name,
                is_admin,
                enabled,
                ..
            } => f
                .debug_struct("User")
                .field("name", name)
                .field("is_admin", is_admin)
                .field("enabled", enabled)
                .finish_non_exhaustive(),
            RowValues::Key {
                user_id,
                label,
                enabled,
                expires_at,
                ..
            } => f
                .debug_struct("Key")
                .field("user_id", user_id)
                .field("label", label)
                .field("enabled", enabled)
                .field("expires_at", expires_at)
                .finish_non_exhaustive(),
            RowValues::Permission {
                user_id,
                provider_id,
                model_pattern,
            } => f
                .debug_struct("Permission")
                .field("user_id", user_id)
                .field("provider_id", provider_id)
                .field("model_pattern", model_pattern)
                .finish(),
        }
    }
}

/// One change of a set [`crate::Store::apply_changes`] applies. Its derived `Debug` is
/// [`RowValues`]' and so leaves the secrets out.
#[derive(Clone, Debug)]
pub enum RowChange {
    /// Inserts a new row (id assigned by the store; created_at/updated_at now).
    Insert(RowValues),
    /// Replaces every value of row `id` of the values' table (created_at kept; updated_at
    /// now where the table has one). NotFound naming the table and id when absent.
    Update(i64, RowValues),
    /// Deletes row `id` of `table` (for CredentialStatus the id is the credential id).
    /// Deleting an absent row is not an error (cascades may list rows already gone).
    Delete(Table, i64),
}

/// A row as a backend stores it (no `Debug`: it holds sealed secrets and password hashes).
#[derive(Clone)]
pub(crate) enum StoredRow {
    Provider(ProviderRow),
    Credential(credential::Model),
    Model(ModelRow),
    Alias(AliasRow),
    User(UserRow),
    Key(user_key::Model),
    Permission(PermissionRow),
}

/// A [`RowChange`] in stored form, sealed before any lock or transaction is taken.
#[derive(Clone)]
pub(crate) enum SealedChange {
    Insert(StoredRow),
    Update(i64, StoredRow),
    Delete(Table, i64),
}

/// Seals every change of a set at time `now`.
pub(crate) fn seal(
    changes: &[RowChange],
    sealer: &Sealer,
    now: i64,
) -> Result<Vec<SealedChange>, StoreError> {
    changes
        .iter()
        .map(|c| {
            Ok(match c {
                RowChange::Insert(v) => SealedChange::Insert(v.stored(sealer, now)?),
                RowChange::Update(id, v) => SealedChange::Update(*id, v.stored(sealer, now)?),
                RowChange::Delete(table, id) => SealedChange::Delete(*table, *id),
            })
        })
        .collect()
}

/// A stored row an admin change writes: its table, and the stamps the store gives it.
pub(crate) trait Stamped {
    const TABLE: Table;
    fn id(&self) -> i64;
    fn created_at(&self) -> i64;
    /// Gives the row its id, its creation time (an update keeps the old one) and `now` as
    /// its update time where the table has one.
    fn stamp(&mut self, id: i64, created_at: i64, now: i64);
}

/// [`Stamped`] for rows with an id and a creation time only.
macro_rules! stamped {
    ($($row:ty => $table:ident),* $(,)?) => {$(
        impl Stamped for $row {
            const TABLE: Table = Table::$table;
            fn id(&self) -> i64 {
                self.id
            }
            fn created_at(&self) -> i64 {
                self.created_at
            }
            fn stamp(&mut self, id: i64, created_at: i64, _now: i64) {
                self.id = id;
                self.created_at = created_at;
            }
        }
    )*};
}

stamped! {
    credential::Model => Credential,
    ModelRow => Model,
    AliasRow => Alias,
    UserRow => User,
    user_key::Model => Key,
    PermissionRow => Permission,
}

impl Stamped for ProviderRow {
    const TABLE: Table = Table::Provider;
    fn id(&self) -> i64 {
        self.id
    }
    fn created_at(&self) -> i64 {
        self.created_at
    }
    fn stamp(&mut self, id: i64, created_at: i64, now: i64) {
        self.id = id;
        self.created_at = created_at;
        self.updated_at = now;
    }
}

/// The audit entry of an applied change set: an entry naming no row (a create) names the
/// first row inserted.
pub(crate) fn created(audit: &AuditRecord, ids: &[i64]) -> AuditRecord {
    let mut entry = audit.clone();
    if entry.resource_id.is_none() {
        entry.resource_id = ids.first().map(i64::to_string);
    }
    entry
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn debug_leaves_secrets_out() {
        let changes = [
            RowChange::Insert(RowValues::Credential {
                provider_id: 1,
                label: Some("main".into()),
                secret: json!({"api_key": "sk-upstream-secret"}),
                enabled: true,
            }),
            RowChange::Update(
                2,
                RowValues::Key {
                    user_id: 1,
                    api_key: "sk-user-secret".into(),
                    label: None,
                    enabled: true,
                    expires_at: None,
                },
            ),
            RowChange::Insert(RowValues::User {
                name: "alice".into(),
                password_hash: "$argon2id$hash-secret".into(),
                is_admin: false,
                enabled: true,
            }),
        ];
        let shown = format!("{changes:?}");
        assert!(shown.contains("alice") && shown.contains("main"), "{shown}");
        assert!(!shown.contains("secret"), "{shown}");
    }

    #[test]
    fn keys_are_digested_and_sealed() {
        let sealer =
            Sealer::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").expect("key");
        let sealed = seal(
            &[RowChange::Insert(RowValues::Key {
                user_id: 1,
                api_key: "sk-user-1".into(),
                label: None,
                enabled: true,
                expires_at: None,
            })],
            &sealer,
            7,
        )
        .expect("seal");
        let [SealedChange::Insert(StoredRow::Key(k))] = sealed.as_slice() else {
            panic!("one key insert");
        };
        assert_eq!(k.digest, key_digest("sk-user-1"));
        assert_ne!(k.secret, "sk-user-1");
        assert_eq!(sealer.open(&k.secret).expect("open"), "sk-user-1");
        assert_eq!(k.created_at, 7);
    }
}
