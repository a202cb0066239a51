//! Records on the file backend: rows built from records with their ids, a batch appended
//! to its tables as one unit, and which records of a replayed batch are already stored.

use super::log::{Log, Undo};
use crate::convert::{downstream_row, upstream_row, usage_row};
use crate::model::Record;
use crate::replay::{Stored, Table, request_ids};
use crate::store::StoreError;
use std::collections::HashSet;

/// The three record tables, locked by the caller.
pub(super) struct RecordLogs<'a> {
    pub(super) usages: &'a mut Log,
    pub(super) downstream: &'a mut Log,
    pub(super) upstream: &'a mut Log,
}

/// Appends `rows` to `log` numbered from its next id.
fn append_rows<R, T: serde::Serialize>(
    log: &mut Log,
    records: &[&R],
    row: impl Fn(i64, &R) -> T,
) -> Result<Undo, StoreError> {
    let first = log.next_id();
    let rows: Vec<T> = (first..).zip(records).map(|(id, r)| row(id, r)).collect();
    log.append(&rows, first + rows.len() as i64)
}

/// Appends `records` to their tables as one unit: when one table's append fails, those
/// already appended are cut back, so the batch is stored whole or not at all.
pub(super) fn insert<'r>(
    logs: &mut RecordLogs<'_>,
    records: impl Iterator<Item = &'r Record>,
) -> Result<(), StoreError> {
    let (mut usages, mut downstream, mut upstream) = (Vec::new(), Vec::new(), Vec::new());
    for record in records {
        match record {
            Record::Usage(u) => usages.push(u),
            Record::Downstream(d) => downstream.push(d),
            Record::Upstream(u) => upstream.push(u),
        }
    }
    let undo_usages = append_rows(logs.usages, &usages, usage_row)?;
    let undo_downstream = match append_rows(logs.downstream, &downstream, downstream_row) {
        Ok(undo) => undo,
        Err(e) => {
            let _ = logs.usages.undo(undo_usages);
            return Err(e);
        }
    };
    if let Err(e) = append_rows(logs.upstream, &upstream, upstream_row) {
        let _ = logs.downstream.undo(undo_downstream);
        let _ = logs.usages.undo(undo_usages);
        return Err(e);
    }
    Ok(())
}

/// The part of a record row that identifies it for a replay.
#[derive(serde::Deserialize)]
struct Key {
    request_id: String,
    created_at: i64,
}

/// The records of `batch` already stored: each table the batch touches is scanned for its
/// request ids.
pub(super) fn stored(logs: &RecordLogs<'_>, batch: &[Record]) -> Result<Stored, StoreError> {
    let scan = |log: &Log, table: Table, found: &mut dyn FnMut(Key)| {
        let wanted: HashSet<&str> = request_ids(batch, table).into_iter().collect();
        if wanted.is_empty() {
            return Ok(());
        }
        log.for_each_line(|number, line| {
            let key: Key = log.parse(number, line)?;
            if wanted.contains(key.request_id.as_str()) {
                found(key);
            }
            Ok(())
        })
    };
    let mut stored = Stored::default();
    scan(logs.usages, Table::Usages, &mut |k| {
        stored.usages.insert(k.request_id);
    })?;
    scan(logs.downstream, Table::Downstream, &mut |k| {
        stored.downstream.insert(k.request_id);
    })?;
    scan(logs.upstream, Table::Upstream, &mut |k| {
        stored.upstream.insert((k.request_id, k.created_at));
    })?;
    Ok(stored)
}
