//! Plain data the store takes and returns: the seed to import, the control-plane rows the
//! server builds its in-memory snapshot from, and the records the write queue persists.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::entity::{
    alias::Model as AliasRow, audit_log::Model as AuditRow,
    downstream_request::Model as DownstreamRow, provider::Model as ProviderRow,
    provider_model::Model as ModelRow, quota::Model as QuotaRow, rate_limit::Model as RateLimitRow,
    route::Model as RouteRow, route_member::Model as RouteMemberRow,
    route_permission::Model as PermissionRow, upstream_request::Model as UpstreamRow,
    usage::Model as UsageRow, user::Model as UserRow,
};

/// A provider to import; its `Debug` leaves the credentials out.
#[derive(Clone, PartialEq)]
pub struct SeedProvider {
    pub name: String,
    pub channel: String,
    pub settings: Value,
    /// Each `{ api_key = ..., label?, enabled? }`: secret.
    pub credentials: Vec<Value>,
    /// The seeded health of each credential (`state.health`), by position.
    pub health: Vec<Option<CredentialStatusRecord>>,
    pub enabled: bool,
}

impl std::fmt::Debug for SeedProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeedProvider")
            .field("name", &self.name)
            .field("channel", &self.channel)
            .field("credentials", &self.credentials.len())
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

/// A model to import.
#[derive(Clone, Debug, PartialEq)]
pub struct SeedModel {
    pub provider_name: String,
    pub model_id: String,
    pub display_name: Option<String>,
    pub enabled: bool,
    /// Pricing fields (decimal strings).
    pub pricing: Value,
}

/// An alias to import.
#[derive(Clone, Debug, PartialEq)]
pub struct SeedAlias {
    pub alias: String,
    pub provider_name: String,
    pub model_id: String,
    pub enabled: bool,
}

/// What retention prunes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prune {
    /// `usages` rows.
    Usages,
    /// `downstream_requests` and `upstream_requests` rows.
    RequestLogs,
    /// The request and response bodies kept in request logs (the envelopes stay).
    Bodies,
}

/// An audit entry to write with an admin write (`before`/`after` without secrets).
#[derive(Clone, Debug, PartialEq)]
pub struct AuditRecord {
    pub actor: String,
    /// `create`, `update`, `delete`, `reset`, `import`.
    pub action: String,
    pub resource: String,
    pub resource_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl AuditRecord {
    /// An entry for `action` on the row `id` of `resource`, before/after to be filled in.
    pub fn of(actor: &str, action: &str, resource: &str, id: i64) -> AuditRecord {
        AuditRecord {
            actor: actor.to_owned(),
            action: action.to_owned(),
            resource: resource.to_owned(),
            resource_id: Some(id.to_string()),
            before: None,
            after: None,
        }
    }
}

/// Where a time-ordered listing (usage, request logs) continues: the last row shown, by
/// creation time then id; the next page holds the rows before it in that order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeCursor {
    pub created_at: i64,
    pub id: i64,
}

impl TimeCursor {
    /// Whether the row created at `created_at` with `id` is older than the cursor's row,
    /// so on a later page.
    pub fn older(&self, created_at: i64, id: i64) -> bool {
        (created_at, id) < (self.created_at, self.id)
    }
}

/// Which usage rows a query wants: each filter given narrows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UsageFilter {
    pub user_id: Option<i64>,
    pub key_id: Option<i64>,
    /// The provider's name.
    pub provider: Option<String>,
    /// The upstream model id.
    pub model: Option<String>,
    /// Created at or after (Unix ms).
    pub from_ms: Option<i64>,
    /// Created before (Unix ms).
    pub to_ms: Option<i64>,
}

impl UsageFilter {
    /// Whether `row` passes every filter given.
    pub fn matches(&self, row: &UsageRow) -> bool {
        self.user_id.is_none_or(|u| row.user_id == Some(u))
            && self.key_id.is_none_or(|k| row.user_key_id == Some(k))
            && self.provider.as_ref().is_none_or(|p| &row.provider == p)
            && self.model.as_ref().is_none_or(|m| &row.model == m)
            && self.from_ms.is_none_or(|f| row.created_at >= f)
            && self.to_ms.is_none_or(|t| row.created_at < t)
    }
}

/// A rate limit to create through the admin API (each ceiling optional, at least 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRateLimit {
    pub user_id: i64,
    pub model_pattern: String,
    pub rpm: Option<i64>,
    pub rpd: Option<i64>,
    pub tpm: Option<i64>,
    pub tpd: Option<i64>,
}

/// A change to a rate limit: the fields given; a ceiling given as `Some(None)` is cleared.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RateLimitPatch {
    pub model_pattern: Option<String>,
    pub rpm: Option<Option<i64>>,
    pub rpd: Option<Option<i64>>,
    pub tpm: Option<Option<i64>>,
    pub tpd: Option<Option<i64>>,
}

/// A quota to create through the admin API (one per user), in nano-USD.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewQuota {
    pub user_id: i64,
    pub limit_nano: i64,
    /// `none`, `daily` or `monthly`.
    pub period: String,
}

/// A change to a quota: the fields given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QuotaPatch {
    pub limit_nano: Option<i64>,
    pub period: Option<String>,
}

/// A route to create through the admin API.
#[derive(Clone, Debug, PartialEq)]
pub struct NewRoute {
    pub name: String,
    pub enabled: bool,
}

/// A change to a route: the fields given.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RoutePatch {
    pub name: Option<String>,
    pub enabled: Option<bool>,
}

/// A route member to add through the admin API.
#[derive(Clone, Debug, PartialEq)]
pub struct NewRouteMember {
    pub provider_id: i64,
    pub model_id: String,
    pub tier: i32,
    pub weight: i32,
}

/// A change to a route member: the fields given.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RouteMemberPatch {
    pub provider_id: Option<i64>,
    pub model_id: Option<String>,
    pub tier: Option<i32>,
    pub weight: Option<i32>,
}

/// A route to import: a public model name served by several (provider, model) members.
#[derive(Clone, Debug, PartialEq)]
pub struct SeedRoute {
    pub name: String,
    pub enabled: bool,
    pub members: Vec<SeedRouteMember>,
}

/// One member of a [`SeedRoute`].
#[derive(Clone, Debug, PartialEq)]
pub struct SeedRouteMember {
    pub provider_name: String,
    pub model_id: String,
    /// Lower tiers are tried first.
    pub tier: i32,
    /// Share of the tier's traffic.
    pub weight: i32,
}

/// An API key to import, in plaintext (it is digested and sealed on the way in).
#[derive(Clone, Debug)]
pub struct SeedKey {
    pub api_key: SecretString,
    pub label: Option<String>,
    pub enabled: bool,
    /// When the key stops working (Unix ms).
    pub expires_at: Option<i64>,
}

/// A user to import; `password_hash` is already an Argon2 PHC string.
#[derive(Clone, Debug)]
pub struct SeedUser {
    pub name: String,
    pub password_hash: String,
    pub is_admin: bool,
    pub enabled: bool,
    pub keys: Vec<SeedKey>,
}

/// A permission to import.
#[derive(Clone, Debug, PartialEq)]
pub struct SeedPermission {
    pub user_name: String,
    pub provider_name: Option<String>,
    pub model_pattern: String,
}

/// A rate limit to import (each ceiling optional).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedRateLimit {
    pub user_name: String,
    pub model_pattern: String,
    pub rpm: Option<i64>,
    pub rpd: Option<i64>,
    pub tpm: Option<i64>,
    pub tpd: Option<i64>,
}

/// A user's USD quota to import, in nano-USD.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedQuota {
    pub user_name: String,
    pub limit_nano: i64,
    pub used_nano: i64,
    /// `none`, `daily` or `monthly`.
    pub period: String,
}

/// Everything a seed config imports. Import is an upsert by name: providers, models,
/// aliases and users that exist are updated, their credentials and permissions replaced.
#[derive(Clone, Debug, Default)]
pub struct Seed {
    pub providers: Vec<SeedProvider>,
    pub models: Vec<SeedModel>,
    pub aliases: Vec<SeedAlias>,
    pub routes: Vec<SeedRoute>,
    pub users: Vec<SeedUser>,
    pub permissions: Vec<SeedPermission>,
    /// Replace the named users' rate limits.
    pub rate_limits: Vec<SeedRateLimit>,
    /// Upsert by user.
    pub quotas: Vec<SeedQuota>,
}

/// A provider credential with its secret opened.
#[derive(Clone, PartialEq)]
pub struct CredentialRecord {
    pub id: i64,
    pub provider_id: i64,
    pub label: Option<String>,
    pub secret: Value,
    pub enabled: bool,
}

impl std::fmt::Debug for CredentialRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialRecord")
            .field("id", &self.id)
            .field("provider_id", &self.provider_id)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

/// A credential's health as persisted (`credential_statuses`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialStatusRecord {
    pub credential_id: i64,
    /// `healthy`, `partial` or `dead`.
    pub state: String,
    /// The models cooling, each until a Unix time in milliseconds.
    pub cooling: Vec<(String, i64)>,
    pub last_error: Option<String>,
}

/// A user key as the server needs it: digest for lookup, the plaintext for `/login`.
#[derive(Clone, Debug)]
pub struct KeyRecord {
    pub id: i64,
    pub user_id: i64,
    pub digest: String,
    pub api_key: SecretString,
    pub label: Option<String>,
    pub enabled: bool,
    /// When the key stops working (Unix ms); `None`: never.
    pub expires_at: Option<i64>,
}

/// The whole control plane, loaded at start-up and on change.
#[derive(Clone, Debug, Default)]
pub struct ControlPlane {
    pub providers: Vec<ProviderRow>,
    pub credentials: Vec<CredentialRecord>,
    pub models: Vec<ModelRow>,
    pub aliases: Vec<AliasRow>,
    pub routes: Vec<RouteRow>,
    pub route_members: Vec<RouteMemberRow>,
    pub users: Vec<UserRow>,
    pub keys: Vec<KeyRecord>,
    pub permissions: Vec<PermissionRow>,
    pub rate_limits: Vec<RateLimitRow>,
    pub quotas: Vec<QuotaRow>,
}

/// A usage record to persist (`usages`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageRecord {
    pub request_id: String,
    pub created_at: i64,
    pub user_id: Option<i64>,
    pub user_key_id: Option<i64>,
    pub provider: String,
    pub credential_id: Option<i64>,
    pub model: String,
    pub operation: String,
    pub protocol: String,
    pub status: i32,
    pub stream: bool,
    pub complete: bool,
    pub latency_ms: i64,
    pub ttfb_ms: Option<i64>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cache_read_tokens: i64,
    pub cache_write_tokens: i64,
    pub reasoning_tokens: i64,
    /// Some counts are the gateway's estimate, not the upstream's report.
    pub estimated: bool,
    /// What the tokens cost, in nano-USD; `None` when the model has no price.
    pub cost_nano: Option<i64>,
}

/// A downstream request log entry (`downstream_requests`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownstreamRecord {
    pub request_id: String,
    pub created_at: i64,
    pub user_id: Option<i64>,
    pub user_key_id: Option<i64>,
    pub method: String,
    pub path: String,
    pub status: i32,
    pub latency_ms: i64,
    /// Headers by name (repeated ones joined with `, `), credentials already redacted;
    /// `None` when not captured. Defaulted so spills from before them still load.
    #[serde(default)]
    pub request_headers: Option<Headers>,
    #[serde(default)]
    pub response_headers: Option<Headers>,
    pub request_body: Option<String>,
    pub response_body: Option<String>,
}

/// A request log entry's headers: name → value.
pub type Headers = std::collections::BTreeMap<String, String>;

/// Which request log entries a query wants: each filter given narrows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogFilter {
    pub request_id: Option<String>,
    pub user_id: Option<i64>,
    /// The status the client got.
    pub status: Option<i32>,
    /// Created at or after (Unix ms).
    pub from_ms: Option<i64>,
    /// Created before (Unix ms).
    pub to_ms: Option<i64>,
}

impl LogFilter {
    /// Whether `row` passes every filter given.
    pub fn matches(&self, row: &DownstreamRow) -> bool {
        self.request_id
            .as_ref()
            .is_none_or(|r| &row.request_id == r)
            && self.user_id.is_none_or(|u| row.user_id == Some(u))
            && self.status.is_none_or(|s| row.status == s)
            && self.from_ms.is_none_or(|f| row.created_at >= f)
            && self.to_ms.is_none_or(|t| row.created_at < t)
    }
}

/// An upstream attempt log entry (`upstream_requests`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamRecord {
    pub request_id: String,
    pub created_at: i64,
    pub provider: String,
    pub credential_id: Option<i64>,
    pub method: String,
    pub url: String,
    pub status: Option<i32>,
    pub latency_ms: i64,
    pub error: Option<String>,
    #[serde(default)]
    pub request_headers: Option<Headers>,
    #[serde(default)]
    pub response_headers: Option<Headers>,
    pub request_body: Option<String>,
    pub response_body: Option<String>,
}

/// Anything the write queue persists (and, while the database is away, spills as JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "table", rename_all = "snake_case")]
pub enum Record {
    Usage(UsageRecord),
    Downstream(DownstreamRecord),
    Upstream(UpstreamRecord),
}
