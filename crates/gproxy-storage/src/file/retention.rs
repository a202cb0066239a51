//! Retention on the file backend: the oldest rows created before a cutoff deleted, or their
//! bodies emptied, at most a batch at a time, by rewriting the table's file (under its lock,
//! held by the caller).

use super::log::{Edit, Log, parse_line};
use crate::store::StoreError;
use serde::de::IgnoredAny;
use std::collections::{BinaryHeap, HashSet};

/// What retention needs of a row: its id, age, and whether it still holds a body.
#[derive(serde::Deserialize)]
struct Age {
    id: i64,
    created_at: i64,
    #[serde(default)]
    request_body: Option<IgnoredAny>,
    #[serde(default)]
    response_body: Option<IgnoredAny>,
}

/// The ids of at most `batch` rows created before `before`, oldest first (by creation time,
/// then id); with `with_body`, only rows that still hold a body.
fn oldest(log: &Log, before: i64, batch: u64, with_body: bool) -> Result<HashSet<i64>, StoreError> {
    let batch = usize::try_from(batch).unwrap_or(usize::MAX);
    if batch == 0 {
        return Ok(HashSet::new());
    }
    // A max-heap of the `batch` oldest so far: the newest of them is the one to drop.
    let mut heap: BinaryHeap<(i64, i64)> = BinaryHeap::new();
    log.for_each_line(|number, line| {
        let row: Age = log.parse(number, line)?;
        let has_body = row.request_body.is_some() || row.response_body.is_some();
        if row.created_at < before && (!with_body || has_body) {
            heap.push((row.created_at, row.id));
            if heap.len() > batch {
                heap.pop();
            }
        }
        Ok(())
    })?;
    Ok(heap.into_iter().map(|(_, id)| id).collect())
}

/// Deletes at most `batch` of the oldest rows created before `before`; returns how many.
pub(super) fn delete_old(log: &mut Log, before: i64, batch: u64) -> Result<u64, StoreError> {
    let ids = oldest(log, before, batch, false)?;
    if ids.is_empty() {
        return Ok(0);
    }
    let mut deleted = 0;
    let name = log.name();
    log.rewrite(|number, line| {
        let row: Age = parse_line(name, number, line)?;
        Ok(if ids.contains(&row.id) {
            deleted += 1;
            Edit::Drop
        } else {
            Edit::Keep
        })
    })?;
    Ok(deleted)
}

/// Empties the bodies of at most `batch` of the oldest rows created before `before` that
/// still hold one; returns how many.
pub(super) fn empty_old_bodies(log: &mut Log, before: i64, batch: u64) -> Result<u64, StoreError> {
    let ids = oldest(log, before, batch, true)?;
    if ids.is_empty() {
        return Ok(0);
    }
    let mut emptied = 0;
    let name = log.name();
    log.rewrite(|number, line| {
        let row: Age = parse_line(name, number, line)?;
        if !ids.contains(&row.id) {
            return Ok(Edit::Keep);
        }
        let mut full: serde_json::Map<String, serde_json::Value> = parse_line(name, number, line)?;
        full.insert("request_body".into(), serde_json::Value::Null);
        full.insert("response_body".into(), serde_json::Value::Null);
        emptied += 1;
        serde_json::to_vec(&full)
            .map(Edit::Replace)
            .map_err(|e| StoreError::Invalid(format!("{} line {number}: {e}", name)))
    })?;
    Ok(emptied)
}
