//! Times as the API shows them: RFC 3339 in UTC (`2026-11-30T07:30:00Z`, or with
//! milliseconds for records).

use chrono::SecondsFormat;

/// Unix milliseconds as RFC 3339 UTC, to the second or (`millis`) the millisecond; empty
/// for a time chrono cannot represent.
pub fn rfc3339(ms: i64, millis: bool) -> String {
    let precision = if millis {
        SecondsFormat::Millis
    } else {
        SecondsFormat::Secs
    };
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(precision, true))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn seconds_and_milliseconds() {
        assert_eq!(
            super::rfc3339(1_764_516_600_123, false),
            "2025-11-30T15:30:00Z"
        );
        assert_eq!(
            super::rfc3339(1_764_516_600_123, true),
            "2025-11-30T15:30:00.123Z"
        );
    }
}
