//! What an upstream attempt's result says about the credential that made it: the outcome
//! classes of DESIGN.md §7 (dead, quota exhausted, rate limited, transient, the caller's own
//! fault, success) read from the status, the headers and, for 429s, the error body, with the
//! provider's recovery time where it gives one.

use http::HeaderMap;
use serde::Deserialize;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long each kind of failure keeps a (credential, model) out of rotation when the
/// provider does not say; configurable per provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cooldowns {
    /// A 429 without `retry-after`.
    pub rate_limit: Duration,
    /// Quota exhausted (402, `insufficient_quota`, ...) without a reset time.
    pub quota: Duration,
    /// 5xx, 529, timeouts before the first byte, connection errors.
    pub transient: Duration,
}

impl Default for Cooldowns {
    fn default() -> Self {
        Cooldowns {
            rate_limit: Duration::from_secs(60),
            quota: Duration::from_secs(3600),
            transient: Duration::from_secs(15),
        }
    }
}

/// The class of one attempt's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx: the credential works (a dead one comes back).
    Success,
    /// 401/403: the key is revoked or wrong; out until a success or an admin reset.
    Dead,
    /// The quota is spent: out until the provider's reset (`retry_after` from now) or the
    /// configured quota cooldown; never retried before.
    QuotaExhausted { retry_after: Option<Duration> },
    /// A plain 429: out for `retry-after`, else the rate-limit cooldown.
    RateLimited { retry_after: Option<Duration> },
    /// The provider failed (5xx, 529 overloaded, a timeout before the first byte, a
    /// connection error): a short cooldown, and counted by the breaker.
    Transient { retry_after: Option<Duration> },
    /// Any other 4xx: the request's own fault. Returned to the client, no rotation, no
    /// penalty.
    ClientError,
}

impl Outcome {
    /// Whether another credential or route member may be tried instead.
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            Outcome::Dead
                | Outcome::QuotaExhausted { .. }
                | Outcome::RateLimited { .. }
                | Outcome::Transient { .. }
        )
    }

    /// How long the (credential, model) cools; `None` when it does not.
    pub fn cooldown(&self, c: &Cooldowns) -> Option<Duration> {
        match self {
            Outcome::QuotaExhausted { retry_after } => Some(retry_after.unwrap_or(c.quota)),
            Outcome::RateLimited { retry_after } => Some(retry_after.unwrap_or(c.rate_limit)),
            Outcome::Transient { retry_after } => {
                Some(retry_after.map_or(c.transient, |r| r.max(c.transient)))
            }
            Outcome::Success | Outcome::Dead | Outcome::ClientError => None,
        }
    }

    /// Whether the breaker counts it as a failure of the path (429s are cooldowns' business).
    pub fn is_path_failure(&self) -> bool {
        matches!(self, Outcome::Transient { .. })
    }

    /// A short name for logs and the status rows' `last_error`.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Dead => "unauthorized",
            Outcome::QuotaExhausted { .. } => "quota exhausted",
            Outcome::RateLimited { .. } => "rate limited",
            Outcome::Transient { .. } => "upstream failure",
            Outcome::ClientError => "client error",
        }
    }
}

/// The outcome of an answer with `status`, its headers and (for error statuses) the start
/// of its body; `now` is the wall clock, to turn reset times into durations.
pub fn classify(status: u16, headers: &HeaderMap, body: &[u8], now: SystemTime) -> Outcome {
    match status {
        200..=399 => Outcome::Success,
        401 | 403 => Outcome::Dead,
        402 => Outcome::QuotaExhausted {
            retry_after: retry_after(headers, now).or_else(|| anthropic_reset(headers, now)),
        },
        429 => {
            let error = ErrorBody::parse(body);
            let anthropic_rejected = header(headers, "anthropic-ratelimit-unified-status")
                .is_some_and(|s| s.eq_ignore_ascii_case("rejected"));
            if anthropic_rejected {
                Outcome::QuotaExhausted {
                    retry_after: anthropic_reset(headers, now)
                        .or_else(|| retry_after(headers, now)),
                }
            } else if error.insufficient_quota() {
                Outcome::QuotaExhausted {
                    retry_after: retry_after(headers, now),
                }
            } else if error.daily_quota_failure() {
                Outcome::QuotaExhausted {
                    retry_after: retry_after(headers, now).or_else(|| error.retry_delay()),
                }
            } else {
                Outcome::RateLimited {
                    retry_after: retry_after(headers, now).or_else(|| error.retry_delay()),
                }
            }
        }
        500..=599 => Outcome::Transient {
            retry_after: retry_after(headers, now),
        },
        _ => Outcome::ClientError,
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok().map(str::trim)
}

/// `retry-after-ms` (OpenAI), else `retry-after` in seconds or as an HTTP date.
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(ms) = header(headers, "retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_millis(ms.ceil() as u64));
    }
    let value = header(headers, "retry-after")?;
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs(secs.ceil() as u64));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    until(at.timestamp(), now)
}

/// Anthropic's unified limit reset: epoch seconds, or an RFC 3339 time.
fn anthropic_reset(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = header(headers, "anthropic-ratelimit-unified-reset")?;
    let at = match value.parse::<i64>() {
        Ok(secs) => secs,
        Err(_) => chrono::DateTime::parse_from_rfc3339(value)
            .ok()?
            .timestamp(),
    };
    until(at, now)
}

/// The time from `now` to the epoch second `at` (zero when it has passed).
fn until(at: i64, now: SystemTime) -> Option<Duration> {
    let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
    let at = u64::try_from(at).ok()?;
    Some(Duration::from_secs(at.saturating_sub(now)))
}

/// How long a credential counts as short of room when the provider gives no reset time.
const LOW_FOR: Duration = Duration::from_secs(10);

/// Whether a successful answer's rate-limit headers say the credential is about to hit its
/// limit (no request left, or at most 5% of its requests or tokens), and until when:
/// OpenAI's `x-ratelimit-{remaining,limit,reset}-{requests,tokens}` (resets like `6m0s`),
/// Anthropic's `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-
/// {remaining,limit,reset}` (RFC 3339). `None`: room enough, or nothing said.
pub fn short_of_room(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let num = |name: &str| header(headers, name).and_then(|v| v.parse::<u64>().ok());
    let mut low: Option<Duration> = None;
    let families: [(&str, &str, &str, bool); 6] = [
        (
            "x-ratelimit-remaining-requests",
            "x-ratelimit-limit-requests",
            "x-ratelimit-reset-requests",
            true,
        ),
        (
            "x-ratelimit-remaining-tokens",
            "x-ratelimit-limit-tokens",
            "x-ratelimit-reset-tokens",
            false,
        ),
        (
            "anthropic-ratelimit-requests-remaining",
            "anthropic-ratelimit-requests-limit",
            "anthropic-ratelimit-requests-reset",
            true,
        ),
        (
            "anthropic-ratelimit-tokens-remaining",
            "anthropic-ratelimit-tokens-limit",
            "anthropic-ratelimit-tokens-reset",
            false,
        ),
        (
            "anthropic-ratelimit-input-tokens-remaining",
            "anthropic-ratelimit-input-tokens-limit",
            "anthropic-ratelimit-input-tokens-reset",
            false,
        ),
        (
            "anthropic-ratelimit-output-tokens-remaining",
            "anthropic-ratelimit-output-tokens-limit",
            "anthropic-ratelimit-output-tokens-reset",
            false,
        ),
    ];
    for (remaining, limit, reset, requests) in families {
        let Some(left) = num(remaining) else {
            continue;
        };
        let short = match num(limit) {
            Some(limit) if limit > 0 => left * 20 <= limit,
            _ => left == 0 || (requests && left <= 1),
        };
        if !short {
            continue;
        }
        let until = header(headers, reset)
            .and_then(|v| reset_in(v, now))
            .unwrap_or(LOW_FOR)
            .min(Duration::from_secs(60));
        low = Some(low.map_or(until, |l| l.max(until)));
    }
    low
}

/// A reset time as OpenAI (`1s`, `6m0s`, `20ms`, `1h2m3.5s`) or Anthropic (RFC 3339) sends it.
fn reset_in(value: &str, now: SystemTime) -> Option<Duration> {
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(value) {
        return until(at.timestamp(), now);
    }
    let mut total = 0.0_f64;
    let mut rest = value;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let n: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let (scale, unit_len) = if rest.starts_with("ms") {
            (0.001, 2)
        } else if rest.starts_with('h') {
            (3600.0, 1)
        } else if rest.starts_with('m') {
            (60.0, 1)
        } else if rest.starts_with('s') {
            (1.0, 1)
        } else {
            return None;
        };
        total += n * scale;
        rest = &rest[unit_len..];
    }
    (total.is_finite() && total >= 0.0)
        .then(|| Duration::from_millis((total * 1000.0).ceil() as u64))
}

/// An error body as far as classification reads it: OpenAI's `code`/`type`, Google's
/// `details` (`QuotaFailure` violations, `RetryInfo`).
#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: ErrorDetail,
}

#[derive(Debug, Default, Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    code: Option<serde_json::Value>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    details: Vec<GoogleDetail>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GoogleDetail {
    #[serde(default, rename = "@type")]
    kind: String,
    #[serde(default)]
    violations: Vec<QuotaViolation>,
    /// `RetryInfo`: `"34s"` or `"1.5s"`.
    #[serde(default)]
    retry_delay: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct QuotaViolation {
    #[serde(default)]
    quota_id: String,
    #[serde(default)]
    quota_metric: String,
}

impl ErrorBody {
    fn parse(body: &[u8]) -> ErrorBody {
        serde_json::from_slice(body).unwrap_or_default()
    }

    /// OpenAI's `insufficient_quota` (in `code` or `type`).
    fn insufficient_quota(&self) -> bool {
        let code = self.error.code.as_ref().and_then(serde_json::Value::as_str);
        code == Some("insufficient_quota")
            || self.error.kind.as_deref() == Some("insufficient_quota")
    }

    /// Google's `QuotaFailure` for a per-day quota (it resets tomorrow, not in a minute).
    fn daily_quota_failure(&self) -> bool {
        self.error
            .details
            .iter()
            .filter(|d| d.kind.ends_with("google.rpc.QuotaFailure"))
            .flat_map(|d| &d.violations)
            .any(|v| {
                let id = format!("{} {}", v.quota_id, v.quota_metric).to_ascii_lowercase();
                id.contains("perday") || id.contains("per_day") || id.contains("per day")
            })
    }

    /// Google's `RetryInfo.retryDelay`.
    fn retry_delay(&self) -> Option<Duration> {
        let delay = self
            .error
            .details
            .iter()
            .filter(|d| d.kind.ends_with("google.rpc.RetryInfo"))
            .find_map(|d| d.retry_delay.as_deref())?;
        let secs: f64 = delay.strip_suffix('s')?.parse().ok()?;
        (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::from_millis((secs * 1000.0).ceil() as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    const NOW: u64 = 1_780_000_000;

    #[test]
    fn statuses_map_to_their_classes() {
        let none = HeaderMap::new();
        assert_eq!(classify(200, &none, b"", at(NOW)), Outcome::Success);
        assert_eq!(classify(401, &none, b"", at(NOW)), Outcome::Dead);
        assert_eq!(classify(403, &none, b"", at(NOW)), Outcome::Dead);
        assert_eq!(
            classify(402, &none, b"", at(NOW)),
            Outcome::QuotaExhausted { retry_after: None }
        );
        assert_eq!(
            classify(429, &none, b"", at(NOW)),
            Outcome::RateLimited { retry_after: None }
        );
        for s in [500, 502, 503, 529] {
            assert_eq!(
                classify(s, &none, b"", at(NOW)),
                Outcome::Transient { retry_after: None }
            );
        }
        for s in [400, 404, 413, 422] {
            let o = classify(s, &none, b"", at(NOW));
            assert_eq!(o, Outcome::ClientError);
            assert!(!o.retryable());
        }
    }

    #[test]
    fn retry_after_in_seconds_milliseconds_or_a_date() {
        let now = at(NOW);
        let h = headers(&[("retry-after", "7")]);
        assert_eq!(
            classify(429, &h, b"", now),
            Outcome::RateLimited {
                retry_after: Some(Duration::from_secs(7))
            }
        );
        let h = headers(&[("retry-after-ms", "1500"), ("retry-after", "9")]);
        assert_eq!(retry_after(&h, now), Some(Duration::from_millis(1500)));
        let date = chrono::DateTime::from_timestamp(i64::try_from(NOW + 30).expect("fits"), 0)
            .expect("valid")
            .to_rfc2822();
        let h = headers(&[("retry-after", &date)]);
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(30)));
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")]), now), None);
    }

    #[test]
    fn exhausted_quotas_are_told_apart_from_rate_limits() {
        let now = at(NOW);
        let openai = br#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#;
        assert_eq!(
            classify(429, &HeaderMap::new(), openai, now),
            Outcome::QuotaExhausted { retry_after: None }
        );
        let reset = (NOW + 7200).to_string();
        let h = headers(&[
            ("anthropic-ratelimit-unified-status", "rejected"),
            ("anthropic-ratelimit-unified-reset", &reset),
            ("retry-after", "5"),
        ]);
        assert_eq!(
            classify(429, &h, b"{}", now),
            Outcome::QuotaExhausted {
                retry_after: Some(Duration::from_secs(7200))
            }
        );
        let gemini = br#"{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","details":[
            {"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]},
            {"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"43s"}]}}"#;
        assert_eq!(
            classify(429, &HeaderMap::new(), gemini, now),
            Outcome::QuotaExhausted {
                retry_after: Some(Duration::from_secs(43))
            }
        );
        let per_minute = br#"{"error":{"code":429,"details":[
            {"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaId":"GenerateRequestsPerMinutePerProjectPerModel"}]},
            {"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"2.5s"}]}}"#;
        assert_eq!(
            classify(429, &HeaderMap::new(), per_minute, now),
            Outcome::RateLimited {
                retry_after: Some(Duration::from_millis(2500))
            }
        );
    }

    #[test]
    fn rate_limit_headers_tell_when_a_credential_is_short_of_room() {
        let now = at(NOW);
        let plenty = headers(&[
            ("x-ratelimit-remaining-requests", "499"),
            ("x-ratelimit-limit-requests", "500"),
        ]);
        assert_eq!(short_of_room(&plenty, now), None);
        let openai = headers(&[
            ("x-ratelimit-remaining-requests", "10"),
            ("x-ratelimit-limit-requests", "500"),
            ("x-ratelimit-reset-requests", "6m0s"),
            ("x-ratelimit-remaining-tokens", "1000"),
            ("x-ratelimit-limit-tokens", "30000"),
            ("x-ratelimit-reset-tokens", "1.5s"),
        ]);
        assert_eq!(
            short_of_room(&openai, now),
            Some(Duration::from_secs(60)),
            "the longer reset, capped at a minute"
        );
        let reset = chrono::DateTime::from_timestamp(i64::try_from(NOW + 20).expect("fits"), 0)
            .expect("valid")
            .to_rfc3339();
        let anthropic = headers(&[
            ("anthropic-ratelimit-requests-remaining", "0"),
            ("anthropic-ratelimit-requests-reset", &reset),
        ]);
        assert_eq!(
            short_of_room(&anthropic, now),
            Some(Duration::from_secs(20))
        );
        assert_eq!(reset_in("20ms", now), Some(Duration::from_millis(20)));
        assert_eq!(reset_in("1h2m3s", now), Some(Duration::from_secs(3723)));
        assert_eq!(reset_in("soon", now), None);
    }

    #[test]
    fn cooldowns_follow_the_provider_else_the_defaults() {
        let c = Cooldowns::default();
        assert_eq!(
            Outcome::RateLimited { retry_after: None }.cooldown(&c),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            Outcome::QuotaExhausted { retry_after: None }.cooldown(&c),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(
            Outcome::Transient {
                retry_after: Some(Duration::from_secs(1))
            }
            .cooldown(&c),
            Some(Duration::from_secs(15))
        );
        assert_eq!(Outcome::Dead.cooldown(&c), None);
        assert!(Outcome::Transient { retry_after: None }.is_path_failure());
        assert!(!Outcome::RateLimited { retry_after: None }.is_path_failure());
    }
}
