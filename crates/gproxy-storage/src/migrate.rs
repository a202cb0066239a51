//! The schema's history: every migration this build knows, in order, and their state in a
//! store. Each backend applies them its own way (the SeaORM backend creates what its entities
//! describe, then records each version in `schema_migrations`; the file backend stamps
//! `schema_version.json`), and both answer with the same [`MigrationState`] list.
//!
//! A new migration adds an entry here. A column added to an entity also carries
//! `#[serde(default)]`, so that rows the file backend wrote before it still load.

/// One step of the schema's history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
}

/// Every migration, oldest first. Version 1 is the first released schema.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation: providers, credentials, models, aliases, users, keys, permissions, usages, request logs, settings",
    },
    Migration {
        version: 2,
        name: "usages.estimated",
    },
    Migration {
        version: 3,
        name: "credential_statuses, routes, route_members, audit_logs",
    },
    Migration {
        version: 4,
        name: "schema_migrations tracker",
    },
    Migration {
        version: 5,
        name: "usages.cost_nano",
    },
    Migration {
        version: 6,
        name: "rate_limits, quotas",
    },
    Migration {
        version: 7,
        name: "user_keys.expires_at",
    },
    Migration {
        version: 8,
        name: "usage_rollups (hourly and daily, backfilled from usages)",
    },
    Migration {
        version: 9,
        name: "request logs: request_headers, response_headers; downstream_requests.user_id index",
    },
    Migration {
        version: 10,
        name: "usages and downstream_requests: (user_id, created_at, id) indexes",
    },
];

/// The version this build's schema is at once every migration is applied.
pub const LATEST: i64 = MIGRATIONS[MIGRATIONS.len() - 1].version;

/// A migration as a store reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationState {
    pub version: i64,
    pub name: String,
    /// When it was applied (Unix ms); `None` while pending.
    pub applied_at: Option<i64>,
}

/// Every known migration, marked applied (at `applied_at(version)`) or pending.
pub fn states(applied_at: impl Fn(i64) -> Option<i64>) -> Vec<MigrationState> {
    MIGRATIONS
        .iter()
        .map(|m| MigrationState {
            version: m.version,
            name: m.name.to_owned(),
            applied_at: applied_at(m.version),
        })
        .collect()
}

/// The highest version applied with every one before it applied too (0: none).
pub fn current(states: &[MigrationState]) -> i64 {
    states
        .iter()
        .take_while(|s| s.applied_at.is_some())
        .last()
        .map_or(0, |s| s.version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_count_up_from_one() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "{m:?}");
        }
    }

    #[test]
    fn current_stops_at_the_first_gap() {
        assert_eq!(current(&states(|_| None)), 0);
        assert_eq!(current(&states(|v| (v <= 2).then_some(7))), 2);
        assert_eq!(current(&states(|v| (v != 2).then_some(7))), 1);
        assert_eq!(current(&states(|_| Some(7))), LATEST);
    }
}
