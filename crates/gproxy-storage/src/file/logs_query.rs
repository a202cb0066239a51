//! Request log queries on the file backend: the filtered listing and one request's entries,
//! each a scan of the table (the file backend serves small installs).

use super::log::Log;
use crate::model::{DownstreamRow, LogFilter, TimeCursor, UpstreamRow};
use crate::store::StoreError;

/// See [`crate::Store::request_logs`]: the bodies are dropped as rows are read.
pub(super) fn list(
    log: &Log,
    filter: &LogFilter,
    before: Option<TimeCursor>,
    limit: u64,
) -> Result<Vec<DownstreamRow>, StoreError> {
    log.top_where(
        limit,
        |mut row: DownstreamRow| {
            let wanted =
                before.is_none_or(|b| b.older(row.created_at, row.id)) && filter.matches(&row);
            row.request_body = None;
            row.response_body = None;
            wanted.then_some(row)
        },
        |row| (row.created_at, row.id),
    )
}

/// The newest downstream entry with `request_id`.
pub(super) fn downstream(log: &Log, request_id: &str) -> Result<Option<DownstreamRow>, StoreError> {
    Ok(log
        .newest_where(1, |row: &DownstreamRow| row.request_id == request_id)?
        .pop())
}

/// Every upstream attempt of `request_id`, oldest first.
pub(super) fn attempts(log: &Log, request_id: &str) -> Result<Vec<UpstreamRow>, StoreError> {
    let mut rows = log.newest_where(u64::MAX, |row: &UpstreamRow| row.request_id == request_id)?;
    rows.sort_by_key(|r| (r.created_at, r.id));
    Ok(rows)
}
