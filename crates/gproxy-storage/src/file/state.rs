//! The control plane held in memory: every control-plane table as its rows, loaded at open,
//! the id counters kept in `instance_settings`, and the write path (build the new state,
//! stage the changed tables, rename them into place, then swap the memory).

use super::table::{self, Staged};
use crate::entity::{credential, credential_status, instance_setting, user_key};
use crate::model::{
    AliasRow, ModelRow, PermissionRow, ProviderRow, QuotaRow, RateLimitRow, RouteMemberRow,
    RouteRow, UserRow,
};
use crate::store::StoreError;
use std::path::Path;

/// The `instance_settings` key prefix of a table's next id. Ids are never reused: the
/// counter outlives deleted rows (and a restart), as a database sequence does.
const NEXT_ID: &str = "file.next_id.";

/// Declares [`Tables`] with one field per control-plane table and its file.
macro_rules! tables {
    ($($field:ident: $row:ty => $file:literal),* $(,)?) => {
        /// Every control-plane table's rows, in id order (no `Debug`: it holds sealed
        /// secrets).
        #[derive(Clone, Default, PartialEq)]
        pub(super) struct Tables {
            $(pub(super) $field: Vec<$row>,)*
        }

        /// The control-plane table files.
        pub(super) const FILES: &[&str] = &[$($file),*];

        impl Tables {
            /// Reads every table file in `dir` (a missing one is empty).
            pub(super) fn load(dir: &Path) -> Result<Self, StoreError> {
                Ok(Tables { $($field: table::read(dir, $file)?,)* })
            }

            /// The files of the tables that differ from `old`, encoded.
            fn changed(&self, old: &Self) -> Result<Vec<(&'static str, Vec<u8>)>, StoreError> {
                let mut files = Vec::new();
                $(
                    if self.$field != old.$field {
                        files.push(($file, table::encode($file, &self.$field)?));
                    }
                )*
                Ok(files)
            }
        }
    };
}

tables! {
    providers: ProviderRow => "providers.json",
    credentials: credential::Model => "credentials.json",
    credential_statuses: credential_status::Model => "credential_statuses.json",
    provider_models: ModelRow => "provider_models.json",
    aliases: AliasRow => "aliases.json",
    users: UserRow => "users.json",
    user_keys: user_key::Model => "user_keys.json",
    routes: RouteRow => "routes.json",
    route_members: RouteMemberRow => "route_members.json",
    route_permissions: PermissionRow => "route_permissions.json",
    rate_limits: RateLimitRow => "rate_limits.json",
    quotas: QuotaRow => "quotas.json",
    instance_settings: instance_setting::Model => "instance_settings.json",
}

/// The highest of `ids` (0 for none).
pub(super) fn max_id(ids: impl Iterator<Item = i64>) -> i64 {
    ids.max().unwrap_or(0)
}

impl Tables {
    /// The stored next id of `table` (`None` before its first row).
    pub(super) fn stored_next_id(&self, table: &str) -> Result<Option<i64>, StoreError> {
        let key = format!("{NEXT_ID}{table}");
        self.instance_settings
            .iter()
            .find(|s| s.key == key)
            .map(|s| {
                s.value
                    .parse()
                    .map_err(|_| StoreError::Invalid(format!("instance_settings `{key}`")))
            })
            .transpose()
    }

    /// Records that ids below `next` are taken in `table` (never lowers the counter).
    pub(super) fn set_next_id(
        &mut self,
        table: &str,
        next: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        if self.stored_next_id(table)?.is_some_and(|n| n >= next) {
            return Ok(());
        }
        let key = format!("{NEXT_ID}{table}");
        let value = next.to_string();
        match self.instance_settings.iter_mut().find(|s| s.key == key) {
            Some(s) => {
                s.value = value;
                s.updated_at = now;
            }
            None => self.instance_settings.push(instance_setting::Model {
                key,
                value,
                updated_at: now,
            }),
        }
        Ok(())
    }

    /// Takes the next id of `table`, whose rows' highest id is `max`.
    pub(super) fn take_id(&mut self, table: &str, max: i64, now: i64) -> Result<i64, StoreError> {
        let id = self.stored_next_id(table)?.unwrap_or(1).max(max + 1);
        self.set_next_id(table, id + 1, now)?;
        Ok(id)
    }

    /// Stages the tables `next` changes against `self` (the current state).
    pub(super) fn stage(&self, dir: &Path, next: &Tables) -> Result<Staged, StoreError> {
        table::stage(dir, next.changed(self)?)
    }
}

/// Runs `change` on a copy of `current`; when it succeeds, writes the tables it changed
/// and only then takes the copy as the current state. A refused change (an error from
/// `change`) leaves memory and files as they were.
pub(super) fn write<T>(
    dir: &Path,
    current: &mut Tables,
    change: impl FnOnce(&mut Tables) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut next = current.clone();
    let out = change(&mut next)?;
    current.stage(dir, &next)?.commit()?;
    *current = next;
    Ok(out)
}
