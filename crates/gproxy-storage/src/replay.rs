//! Which records of a replayed batch are already stored (see
//! [`crate::Store::replay_records`]): usage and downstream rows are known by request id,
//! upstream attempts by request id and start time. Each backend looks the keys up its own
//! way and fills a [`Stored`].

use crate::model::Record;
use std::collections::HashSet;

/// The keys of the records found stored.
#[derive(Debug, Default)]
pub(crate) struct Stored {
    pub(crate) usages: HashSet<String>,
    pub(crate) downstream: HashSet<String>,
    pub(crate) upstream: HashSet<(String, i64)>,
}

impl Stored {
    pub(crate) fn contains(&self, record: &Record) -> bool {
        match record {
            Record::Usage(u) => self.usages.contains(&u.request_id),
            Record::Downstream(d) => self.downstream.contains(&d.request_id),
            Record::Upstream(u) => self
                .upstream
                .contains(&(u.request_id.clone(), u.created_at)),
        }
    }
}

/// The record tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Table {
    Usages,
    Downstream,
    Upstream,
}

/// The distinct request ids of the batch's records in `table`, sorted.
pub(crate) fn request_ids(batch: &[Record], table: Table) -> Vec<&str> {
    let mut ids: Vec<&str> = batch
        .iter()
        .filter_map(|r| match (r, table) {
            (Record::Usage(u), Table::Usages) => Some(u.request_id.as_str()),
            (Record::Downstream(d), Table::Downstream) => Some(d.request_id.as_str()),
            (Record::Upstream(u), Table::Upstream) => Some(u.request_id.as_str()),
            _ => None,
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}
