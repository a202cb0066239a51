//! What a call reserves before anything goes upstream (DESIGN §8): a request and its
//! worst-case tokens on every rate-limit rule of its user that covers its model, then its
//! worst-case cost on its user's quota. Both grants wait on the [`CallContext`] for the usage
//! record, which settles them; a call that never reaches an answer voids them. A full
//! window or budget is refused in the caller's shape before the upstream sees anything.

use super::records::CallContext;
use super::{Prepared, resolve};
use crate::billing::Tokens;
use crate::error::ApiError;
use crate::limits::{self, Grant, RateRule};
use crate::state::AppState;
use axum::http::StatusCode;
use gproxy_protocol::ErrorKind;

/// Reserves `call` (to `model_id` on `target`, `body_len` bytes as sent) on its rate limits
/// and quota.
pub(super) fn reserve(
    state: &AppState,
    ctx: &mut CallContext,
    call: &Prepared<'_>,
    target: &resolve::Target,
    model_id: &str,
    body_len: usize,
) -> Result<(), ApiError> {
    // A route member tried before this one handed its reservations back.
    ctx.grant = None;
    ctx.quota = None;
    let now = gproxy_storage::now_ms();
    let input = (body_len as u64).div_ceil(4);
    let output = call.max_output.unwrap_or(limits::DEFAULT_MAX_OUTPUT);
    let rules = call
        .snap
        .rate_rules(call.principal.user_id, model_id, target.alias.as_deref());
    if !rules.is_empty() {
        let tokens = if rules.iter().any(RateRule::counts_tokens) {
            input + output
        } else {
            0
        };
        let grant = Grant::reserve(&state.counters, &rules, tokens, now).map_err(|r| {
            let need = if r.what.starts_with("tokens") {
                format!(" (this request may use up to {tokens} tokens)")
            } else {
                String::new()
            };
            ApiError::too_many_requests(
                format!(
                    "rate limit reached: {} {} for user `{}` on `{model_id}`{need}",
                    r.limit, r.what, call.principal.user_name
                ),
                r.retry_after_secs,
            )
        })?;
        ctx.grant = Some(grant);
    }
    let Some(quota) = call.snap.quota(call.principal.user_id) else {
        return Ok(());
    };
    let provider = &target.provider;
    let price = call.snap.price(provider, model_id).ok_or_else(|| {
        ApiError::forbidden(format!(
            "model `{model_id}` on provider `{}` has no price, and user `{}` has a quota: only priced models can be billed (an operator who wants it free prices it at 0)",
            provider.name, call.principal.user_name
        ))
    })?;
    // The worst case: every input token at the dearest input price (a cache write may
    // cost more than plain input), and the whole allowed output.
    let writes_dearer = price.cache_write.is_some_and(|w| w > price.input);
    let worst = price.cost(&Tokens {
        input,
        output,
        cache_read: 0,
        cache_write: if writes_dearer { input } else { 0 },
    });
    let ttl = i64::try_from(state.config().upstream_timeout.as_millis())
        .unwrap_or(i64::MAX)
        .saturating_add(60_000);
    let grant = state
        .ledger
        .reserve(call.principal.user_id, quota, worst, now, ttl)
        .map_err(|r| {
            let message = format!(
                "quota exhausted for user `{}`: {} USD used and {} USD reserved of {} USD; this request may cost up to {} USD",
                call.principal.user_name, r.used, r.reserved, r.limit, r.worst_case
            );
            match r.retry_after_secs {
                Some(secs) => ApiError::too_many_requests(message, secs),
                // A fixed budget does not come back by waiting.
                None => ApiError::new(StatusCode::PAYMENT_REQUIRED, ErrorKind::RateLimit, message),
            }
        })?;
    ctx.quota = Some(grant);
    Ok(())
}
