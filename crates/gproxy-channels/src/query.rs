//! Which query parameters of a client's request go upstream: only those the operation
//! defines (an allow-list per operation), compared after percent-decoding, and re-encoded
//! when the upstream URL is built. Everything else, client credentials in any spelling
//! (`key`, `k%65y`, `api_key`, ...) included, stays at the gateway.

use gproxy_protocol::{Endpoint, Operation, Protocol};

/// The query parameters `endpoint` defines, by their decoded names.
pub fn allowed(endpoint: Endpoint) -> &'static [&'static str] {
    use Operation::*;
    match (endpoint.protocol, endpoint.operation) {
        // `alt=sse` picks SSE framing for streams; harmless on the others.
        (Protocol::Gemini, ModelsList) => &["pageSize", "pageToken"],
        (Protocol::Gemini, _) => &["alt"],
        // Claude Code sends `?beta=true`.
        (Protocol::Anthropic, Messages | CountTokens) => &["beta"],
        (Protocol::Anthropic, ModelsList) => &["after_id", "before_id", "limit", "beta"],
        (Protocol::OpenAi, ModelsList) => &["after", "limit"],
        _ => &[],
    }
}

/// The allowed `(name, value)` pairs of a raw query string, decoded, in their order.
pub fn forwarded(endpoint: Endpoint, raw: Option<&str>) -> Vec<(String, String)> {
    let Some(raw) = raw else {
        return Vec::new();
    };
    let allow = allowed(endpoint);
    form_urlencoded::parse(raw.as_bytes())
        .filter(|(name, _)| allow.contains(&name.as_ref()))
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

/// The pairs as a query string (without `?`), `None` when there are none.
pub fn encode(pairs: &[(String, String)]) -> Option<String> {
    if pairs.is_empty() {
        return None;
    }
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        ser.append_pair(name, value);
    }
    Some(ser.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GEMINI: Endpoint = Endpoint::new(Protocol::Gemini, Operation::StreamGenerateContent);
    const MESSAGES: Endpoint = Endpoint::new(Protocol::Anthropic, Operation::Messages);
    const CHAT: Endpoint = Endpoint::new(Protocol::OpenAi, Operation::ChatCompletions);

    fn fwd(endpoint: Endpoint, raw: &str) -> Option<String> {
        encode(&forwarded(endpoint, Some(raw)))
    }

    #[test]
    fn only_what_the_operation_defines() {
        assert_eq!(
            fwd(GEMINI, "alt=sse&key=secret").as_deref(),
            Some("alt=sse")
        );
        assert_eq!(fwd(MESSAGES, "beta=true").as_deref(), Some("beta=true"));
        assert_eq!(fwd(CHAT, "beta=true&foo=1"), None);
        assert_eq!(fwd(GEMINI, "key=secret"), None);
        assert_eq!(encode(&forwarded(GEMINI, None)), None);
    }

    #[test]
    fn credentials_in_any_spelling_stay_behind() {
        for raw in [
            "k%65y=secret",
            "%6B%65%79=secret",
            "key=secret",
            "api_key=secret",
            "access_token=secret",
            "alt%00=x&key=s",
        ] {
            assert_eq!(fwd(GEMINI, raw), None, "{raw}");
        }
    }

    #[test]
    fn names_match_after_decoding_and_values_are_reencoded() {
        assert_eq!(fwd(GEMINI, "%61lt=sse").as_deref(), Some("alt=sse"));
        assert_eq!(
            fwd(GEMINI, "alt=a%26key%3Dx").as_deref(),
            Some("alt=a%26key%3Dx"),
            "an `&` inside a value never becomes a new parameter"
        );
        let list = Endpoint::new(Protocol::Gemini, Operation::ModelsList);
        assert_eq!(
            fwd(list, "pageSize=5&pageToken=a%2Fb&alt=sse").as_deref(),
            Some("pageSize=5&pageToken=a%2Fb")
        );
    }
}
