//! Usage rollups on the file backend, held in memory and kept with a snapshot file.
//!
//! Why memory plus a snapshot, not a rollup table rewritten per batch: the write path then
//! costs no extra file I/O (a batch's deltas are added in memory under the usages lock,
//! after its rows are appended), and a summary reads memory. `usage_rollups.json` holds the
//! rollups of every usage row up to `through_id`; at open, the rows of `usages.jsonl` after
//! it are added again (ids only grow), so memory equals snapshot + log after any restart or
//! crash. Retention is what makes the snapshot necessary: before usage rows are pruned the
//! snapshot is brought up to date (under the same lock), so rollups survive their raw rows.

use super::log::Log;
use super::table::{self, io_err};
use super::{FileStore, blocking};
use crate::entity::usage_rollup;
use crate::store::StoreError;
use crate::summary::{self, Dims, Fact, Level, RollupKey, SummaryQuery, SummaryRow, Sums};
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

/// The snapshot's file name.
pub(super) const FILE: &str = "usage_rollups.json";

/// A rebuild at open that added more rows than this saves a snapshot, so the next open
/// does not add them again.
const SAVE_AFTER_REBUILD: usize = 10_000;

/// The snapshot file: the rollups of every usage row with an id up to `through_id`.
#[derive(Default, serde::Deserialize, serde::Serialize)]
struct Snapshot {
    #[serde(default)]
    through_id: i64,
    #[serde(default)]
    rows: Vec<usage_rollup::Model>,
}

/// What a rollup needs of a usage line (old lines may lack `cost_nano`).
#[derive(serde::Deserialize)]
struct UsageLine {
    id: i64,
    created_at: i64,
    user_id: Option<i64>,
    user_key_id: Option<i64>,
    provider: String,
    model: String,
    status: i32,
    input_tokens: i64,
    output_tokens: i64,
    cache_read_tokens: i64,
    cache_write_tokens: i64,
    reasoning_tokens: i64,
    #[serde(default)]
    cost_nano: Option<i64>,
}

/// The rollups in memory.
#[derive(Debug, Default)]
pub(super) struct Rollups {
    /// Per level (hourly, daily), per bucket start: the sums of each dimension set.
    levels: [BTreeMap<i64, HashMap<Dims, Sums>>; 2],
    /// Every usage row with an id up to this one is counted.
    through_id: i64,
    /// The snapshot file counts the rows up to this id.
    saved_through: i64,
}

/// The shared handle [`FileStore`] keeps (a blocking lock: it is only taken on the
/// blocking pool, after the usages lock when both are held).
pub(super) type Shared = Arc<Mutex<Rollups>>;

fn index(level: Level) -> usize {
    match level {
        Level::Hour => 0,
        Level::Day => 1,
    }
}

impl Rollups {
    /// Loads the snapshot in `dir` (none: empty) and adds the rows of `usages` after it.
    pub(super) fn open(dir: &Path, usages: &Log) -> Result<Rollups, StoreError> {
        let path = dir.join(FILE);
        let snapshot: Snapshot = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| table::json_err(FILE, &e))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Snapshot::default(),
            Err(e) => return Err(io_err("reading", &path, e)),
        };
        let mut rollups = Rollups {
            through_id: snapshot.through_id,
            saved_through: snapshot.through_id,
            ..Rollups::default()
        };
        for row in snapshot.rows {
            let level = match row.granularity.as_str() {
                "hour" => Level::Hour,
                "day" => Level::Day,
                other => {
                    return Err(StoreError::Invalid(format!(
                        "{FILE}: unknown granularity {other:?}"
                    )));
                }
            };
            let sums = Sums {
                requests: row.requests,
                input_tokens: row.input_tokens,
                output_tokens: row.output_tokens,
                cache_read_tokens: row.cache_read_tokens,
                cache_write_tokens: row.cache_write_tokens,
                reasoning_tokens: row.reasoning_tokens,
                cost_nano: row.cost_nano,
            };
            let dims = Dims {
                user_id: row.user_id,
                user_key_id: row.user_key_id,
                provider: row.provider,
                model: row.model,
                status: row.status,
            };
            rollups.levels[index(level)]
                .entry(row.bucket_start)
                .or_default()
                .entry(dims)
                .or_default()
                .add(&sums);
        }
        let mut added = 0;
        let mut lines = Vec::new();
        usages.for_each_line(|number, line| {
            let row: UsageLine = usages.parse(number, line)?;
            if row.id > rollups.through_id {
                lines.push(row);
                // Added in slices so a large rebuild does not hold every line at once.
                if lines.len() >= SAVE_AFTER_REBUILD {
                    added += lines.len();
                    rollups.add_lines(std::mem::take(&mut lines));
                }
            }
            Ok(())
        })?;
        added += lines.len();
        rollups.add_lines(lines);
        rollups.through_id = rollups.through_id.max(usages.next_id() - 1);
        if added > SAVE_AFTER_REBUILD {
            rollups.save(dir)?;
        }
        Ok(rollups)
    }

    fn add_lines(&mut self, lines: Vec<UsageLine>) {
        let facts = lines.iter().map(|u| Fact {
            created_at: u.created_at,
            user_id: u.user_id,
            user_key_id: u.user_key_id,
            provider: &u.provider,
            model: &u.model,
            status: u.status,
            sums: Sums {
                requests: 1,
                input_tokens: u.input_tokens,
                output_tokens: u.output_tokens,
                cache_read_tokens: u.cache_read_tokens,
                cache_write_tokens: u.cache_write_tokens,
                reasoning_tokens: u.reasoning_tokens,
                cost_nano: u.cost_nano.unwrap_or(0),
            },
        });
        self.add(summary::deltas(facts), self.through_id);
    }

    /// Adds a batch's deltas; every usage row up to `through_id` is now counted.
    pub(super) fn add(&mut self, deltas: BTreeMap<RollupKey, Sums>, through_id: i64) {
        for ((level, bucket, dims), sums) in deltas {
            self.levels[index(level)]
                .entry(bucket)
                .or_default()
                .entry(dims)
                .or_default()
                .add(&sums);
        }
        self.through_id = self.through_id.max(through_id);
    }

    /// Writes the snapshot (atomically: a new file renamed over the old one).
    fn save(&mut self, dir: &Path) -> Result<(), StoreError> {
        let mut rows = Vec::new();
        for level in Level::ALL {
            for (&bucket_start, dims) in &self.levels[index(level)] {
                for (d, s) in dims {
                    rows.push(usage_rollup::Model {
                        granularity: level.as_str().to_owned(),
                        bucket_start,
                        user_id: d.user_id,
                        user_key_id: d.user_key_id,
                        provider: d.provider.clone(),
                        model: d.model.clone(),
                        status: d.status,
                        requests: s.requests,
                        input_tokens: s.input_tokens,
                        output_tokens: s.output_tokens,
                        cache_read_tokens: s.cache_read_tokens,
                        cache_write_tokens: s.cache_write_tokens,
                        reasoning_tokens: s.reasoning_tokens,
                        cost_nano: s.cost_nano,
                    });
                }
            }
        }
        let snapshot = Snapshot {
            through_id: self.through_id,
            rows,
        };
        let bytes = serde_json::to_vec(&snapshot)
            .map_err(|e| StoreError::Invalid(format!("encoding {FILE}: {e}")))?;
        table::replace(dir, FILE, bytes)?;
        self.saved_through = self.through_id;
        Ok(())
    }

    /// Saves the snapshot when it lags memory; called before usage rows are pruned, under
    /// the usages lock, so no pruned row is missing from the snapshot.
    pub(super) fn save_if_behind(&mut self, dir: &Path) -> Result<(), StoreError> {
        if self.saved_through < self.through_id {
            self.save(dir)?;
        }
        Ok(())
    }

    fn summarize(&self, q: &SummaryQuery) -> Vec<SummaryRow> {
        let mut groups = BTreeMap::new();
        for seg in summary::segments(q.granularity, q.from_ms, q.to_ms) {
            let buckets = &self.levels[index(seg.level)];
            let from = seg.from.map_or(Bound::Unbounded, Bound::Included);
            let to = seg.to.map_or(Bound::Unbounded, Bound::Excluded);
            for (&bucket, dims) in buckets.range((from, to)) {
                for (d, s) in dims.iter().filter(|(d, _)| summary::matches(q, d)) {
                    groups
                        .entry(summary::group_of(q, bucket, d))
                        .or_insert_with(Sums::default)
                        .add(s);
                }
            }
        }
        summary::rows(groups)
    }
}

/// Locks the rollups. Only in-memory sums run under this lock; should one have panicked
/// (an overflow), the rollups are still served rather than failing every later call.
pub(super) fn lock(rollups: &Mutex<Rollups>) -> std::sync::MutexGuard<'_, Rollups> {
    rollups.lock().unwrap_or_else(PoisonError::into_inner)
}

impl FileStore {
    pub(super) async fn summarize(&self, q: &SummaryQuery) -> Result<Vec<SummaryRow>, StoreError> {
        let rollups = Arc::clone(&self.inner.rollups);
        let q = q.clone();
        blocking(move || Ok(lock(&rollups).summarize(&q))).await
    }
}

/// Adds the usages among `fresh` (just appended to the log, which now ends before
/// `next_id`) to the rollups.
pub(super) fn add_records(rollups: &Mutex<Rollups>, fresh: &[&crate::model::Record], next_id: i64) {
    let deltas = summary::deltas(fresh.iter().filter_map(|r| match r {
        crate::model::Record::Usage(u) => Some(Fact::from(u)),
        _ => None,
    }));
    lock(rollups).add(deltas, next_id - 1);
}
