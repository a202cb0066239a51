//! Usage summaries ([`crate::Store::usage_summary`]): the query and row types, and what both
//! backends share to answer them from rollups instead of raw usage rows: the rollup keys a
//! usage record adds to (its hour and its day, UTC), the split of a time range into hourly
//! and daily rollup segments, and the final grouping and order of the rows.
//!
//! Rollups are the long-term record: retention prunes raw usage rows, never rollups, so a
//! summary still answers for periods whose raw rows are gone. While the raw rows are
//! present, every summary equals the same aggregation over them, to the token and nano-USD.

use crate::model::{UsageRecord, UsageRow};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One hour in milliseconds.
pub const HOUR_MS: i64 = 3_600_000;
/// One day (UTC) in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// The buckets a summary answers in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    /// One row per hour (UTC) and group.
    Hour,
    /// One row per day (UTC) and group.
    Day,
    /// One row per group over the whole range.
    #[default]
    Total,
}

/// A dimension a summary can group by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupKey {
    User,
    Key,
    Provider,
    Model,
}

/// What a usage summary covers. The range `[from_ms, to_ms)` is truncated to whole hours
/// (UTC) on both ends: rollups are hourly at their finest, so a bound inside an hour counts
/// from (or stops before) the start of that hour.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SummaryQuery {
    /// The dimensions each row is grouped by (none: one row per bucket).
    pub group_by: Vec<GroupKey>,
    pub granularity: Granularity,
    /// From this time on (Unix ms, truncated to its hour); `None`: from the first record.
    pub from_ms: Option<i64>,
    /// Before this time (Unix ms, truncated to its hour); `None`: no upper bound.
    pub to_ms: Option<i64>,
    pub user_id: Option<i64>,
    pub key_id: Option<i64>,
    /// The provider's name.
    pub provider: Option<String>,
    /// The upstream model id.
    pub model: Option<String>,
    /// The HTTP status the request was answered with.
    pub status: Option<i32>,
}

/// One row of a usage summary. A dimension the query does not group by is `None`, and so is
/// a grouped user or key the usage had none of.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// The start of the hour or day (Unix ms, UTC); `None` for [`Granularity::Total`].
    pub bucket_start: Option<i64>,
    pub user_id: Option<i64>,
    pub key_id: Option<i64>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub requests: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cache_read_tokens: i64,
    pub cache_write_tokens: i64,
    pub reasoning_tokens: i64,
    /// What the requests cost in nano-USD (a usage without a price counts 0).
    pub cost_nano: i64,
}

/// The rollup levels kept: hourly and daily (`usage_rollups.granularity`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Level {
    Hour,
    Day,
}

impl Level {
    pub(crate) const ALL: [Level; 2] = [Level::Hour, Level::Day];

    /// The stored name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Level::Hour => "hour",
            Level::Day => "day",
        }
    }

    pub(crate) fn width(self) -> i64 {
        match self {
            Level::Hour => HOUR_MS,
            Level::Day => DAY_MS,
        }
    }

    /// The start of the bucket `ms` falls in.
    pub(crate) fn start(self, ms: i64) -> i64 {
        ms - ms.rem_euclid(self.width())
    }
}

/// The rollup dimensions of a usage: a usage without a user or key counts under 0 (a NULL
/// would make every such row distinct to a unique index).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Dims {
    pub(crate) user_id: i64,
    pub(crate) user_key_id: i64,
    pub(crate) provider: String,
    pub(crate) model: String,
    pub(crate) status: i32,
}

/// The counters a rollup sums.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Sums {
    pub(crate) requests: i64,
    pub(crate) input_tokens: i64,
    pub(crate) output_tokens: i64,
    pub(crate) cache_read_tokens: i64,
    pub(crate) cache_write_tokens: i64,
    pub(crate) reasoning_tokens: i64,
    pub(crate) cost_nano: i64,
}

impl Sums {
    pub(crate) fn add(&mut self, other: &Sums) {
        self.requests += other.requests;
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.cache_read_tokens += other.cache_read_tokens;
        self.cache_write_tokens += other.cache_write_tokens;
        self.reasoning_tokens += other.reasoning_tokens;
        self.cost_nano += other.cost_nano;
    }
}

/// What a usage row contributes to its rollups.
pub(crate) struct Fact<'a> {
    pub(crate) created_at: i64,
    pub(crate) user_id: Option<i64>,
    pub(crate) user_key_id: Option<i64>,
    pub(crate) provider: &'a str,
    pub(crate) model: &'a str,
    pub(crate) status: i32,
    pub(crate) sums: Sums,
}

/// Declares `From<&$t> for Fact` for the usage shapes with the same field names.
macro_rules! fact_from {
    ($($t:ty),*) => {$(
        impl<'a> From<&'a $t> for Fact<'a> {
            fn from(u: &'a $t) -> Self {
                Fact {
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
                }
            }
        }
    )*};
}
fact_from!(UsageRecord, UsageRow);

/// A rollup's key: level, bucket start and dimensions.
pub(crate) type RollupKey = (Level, i64, Dims);

/// Adds each usage to its hourly and daily rollup: a batch's deltas, one per key, in key
/// order (the order every writer upserts them in, so concurrent writers lock rows in the
/// same order).
pub(crate) fn deltas<'a>(facts: impl Iterator<Item = Fact<'a>>) -> BTreeMap<RollupKey, Sums> {
    let mut out: BTreeMap<RollupKey, Sums> = BTreeMap::new();
    for f in facts {
        let dims = Dims {
            user_id: f.user_id.unwrap_or(0),
            user_key_id: f.user_key_id.unwrap_or(0),
            provider: f.provider.to_owned(),
            model: f.model.to_owned(),
            status: f.status,
        };
        for level in Level::ALL {
            out.entry((level, level.start(f.created_at), dims.clone()))
                .or_default()
                .add(&f.sums);
        }
    }
    out
}

/// Bucket starts `[from, to)` of one rollup level that a query reads (`None`: unbounded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Segment {
    pub(crate) level: Level,
    pub(crate) from: Option<i64>,
    pub(crate) to: Option<i64>,
}

/// The rollup segments that cover a query's range: hourly buckets for [`Granularity::Hour`];
/// for `Day` and `Total`, daily buckets for the whole days inside the range and hourly ones
/// for the partial days at either end (so the answer is exact to the hour).
pub(crate) fn segments(g: Granularity, from: Option<i64>, to: Option<i64>) -> Vec<Segment> {
    let from = from.map(|f| Level::Hour.start(f));
    let to = to.map(|t| Level::Hour.start(t));
    if from.zip(to).is_some_and(|(f, t)| f >= t) {
        return Vec::new();
    }
    let hourly = |from, to| Segment {
        level: Level::Hour,
        from,
        to,
    };
    if g == Granularity::Hour {
        return vec![hourly(from, to)];
    }
    let day_from = from.map(|f| Level::Day.start(f.saturating_add(DAY_MS - 1)));
    let day_to = to.map(|t| Level::Day.start(t));
    if day_from.zip(day_to).is_some_and(|(f, t)| f >= t) {
        return vec![hourly(from, to)];
    }
    let mut out = Vec::with_capacity(3);
    if from != day_from {
        out.push(hourly(from, day_from));
    }
    out.push(Segment {
        level: Level::Day,
        from: day_from,
        to: day_to,
    });
    if to != day_to {
        out.push(hourly(day_to, to));
    }
    out
}

/// A summary row's group: bucket, user, key, provider, model (`None` where not grouped).
pub(crate) type Group = (
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
);

/// The group a rollup row falls in for `q`: its bucket at the query's granularity (an hourly
/// row read for a daily summary counts under its day), and the grouped dimensions (user and
/// key 0 read as none).
pub(crate) fn group_of(q: &SummaryQuery, bucket: i64, d: &Dims) -> Group {
    let by = |k| q.group_by.contains(&k);
    (
        match q.granularity {
            Granularity::Hour => Some(bucket),
            Granularity::Day => Some(Level::Day.start(bucket)),
            Granularity::Total => None,
        },
        (by(GroupKey::User) && d.user_id != 0).then_some(d.user_id),
        (by(GroupKey::Key) && d.user_key_id != 0).then_some(d.user_key_id),
        by(GroupKey::Provider).then(|| d.provider.clone()),
        by(GroupKey::Model).then(|| d.model.clone()),
    )
}

/// Whether a rollup row passes the query's filters.
pub(crate) fn matches(q: &SummaryQuery, d: &Dims) -> bool {
    q.user_id.is_none_or(|u| d.user_id == u)
        && q.key_id.is_none_or(|k| d.user_key_id == k)
        && q.provider.as_ref().is_none_or(|p| &d.provider == p)
        && q.model.as_ref().is_none_or(|m| &d.model == m)
        && q.status.is_none_or(|s| d.status == s)
}

/// The summary rows, sorted by bucket, then user, key, provider and model.
pub(crate) fn rows(groups: BTreeMap<Group, Sums>) -> Vec<SummaryRow> {
    groups
        .into_iter()
        .map(
            |((bucket_start, user_id, key_id, provider, model), s)| SummaryRow {
                bucket_start,
                user_id,
                key_id,
                provider,
                model,
                requests: s.requests,
                input_tokens: s.input_tokens,
                output_tokens: s.output_tokens,
                cache_read_tokens: s.cache_read_tokens,
                cache_write_tokens: s.cache_write_tokens,
                reasoning_tokens: s.reasoning_tokens,
                cost_nano: s.cost_nano,
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = HOUR_MS;
    const D: i64 = DAY_MS;

    fn seg(level: Level, from: Option<i64>, to: Option<i64>) -> Segment {
        Segment { level, from, to }
    }

    #[test]
    fn buckets_floor_to_utc_hours_and_days() {
        assert_eq!(Level::Hour.start(H + 5), H);
        assert_eq!(Level::Day.start(2 * D + 3 * H), 2 * D);
        assert_eq!(Level::Hour.start(-1), -H, "before the epoch floors too");
    }

    #[test]
    fn ranges_split_into_whole_days_and_edge_hours() {
        use Level::{Day, Hour};
        // Hourly: the bounds truncated to the hour.
        assert_eq!(
            segments(Granularity::Hour, Some(H + 1), Some(3 * H + 1)),
            [seg(Hour, Some(H), Some(3 * H))]
        );
        // Whole days only: daily rollups.
        assert_eq!(
            segments(Granularity::Day, Some(D), Some(3 * D)),
            [seg(Day, Some(D), Some(3 * D))]
        );
        assert_eq!(
            segments(Granularity::Total, None, None),
            [seg(Day, None, None)]
        );
        // Partial days at both ends: hours there, days between.
        assert_eq!(
            segments(Granularity::Total, Some(D - 2 * H + 7), Some(3 * D + H + 7)),
            [
                seg(Hour, Some(D - 2 * H), Some(D)),
                seg(Day, Some(D), Some(3 * D)),
                seg(Hour, Some(3 * D), Some(3 * D + H)),
            ]
        );
        assert_eq!(
            segments(Granularity::Day, Some(5 * H), None),
            [seg(Hour, Some(5 * H), Some(D)), seg(Day, Some(D), None)]
        );
        // Inside one day: hours only; an empty range: nothing.
        assert_eq!(
            segments(Granularity::Day, Some(D + H), Some(D + 5 * H)),
            [seg(Hour, Some(D + H), Some(D + 5 * H))]
        );
        assert!(segments(Granularity::Total, Some(H + 1), Some(H + 2)).is_empty());
    }

    #[test]
    fn a_batch_folds_into_one_delta_per_key() {
        let usage = |created_at, user_id| UsageRecord {
            created_at,
            user_id,
            provider: "p".into(),
            model: "m".into(),
            input_tokens: 10,
            cost_nano: Some(3),
            ..Default::default()
        };
        let batch = [
            usage(H + 1, Some(1)),
            usage(H + 2, Some(1)),
            usage(2 * H, None),
        ];
        let d = deltas(batch.iter().map(Fact::from));
        assert_eq!(d.len(), 4, "two hours and one day for user 1, user 0's day");
        let dims = |user_id| Dims {
            user_id,
            user_key_id: 0,
            provider: "p".into(),
            model: "m".into(),
            status: 0,
        };
        assert_eq!(d[&(Level::Hour, H, dims(1))].requests, 2);
        assert_eq!(d[&(Level::Day, 0, dims(1))].input_tokens, 20);
        assert_eq!(d[&(Level::Day, 0, dims(0))].cost_nano, 3);
    }
}
