//! Where a passthrough request goes upstream (the one function that builds upstream URLs),
//! and how the provider's credential travels.

use crate::path::{PathError, check_model_id, encode_model_path};
use crate::query;
use gproxy_protocol::{Endpoint, Operation, Protocol};
use http::{HeaderMap, HeaderName, HeaderValue};

/// The default `anthropic-version` sent when the caller gave none.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// Whether a base URL already ends in an API version segment (`/v1`, `/v1beta`, `/v4`).
fn has_version_suffix(base: &str) -> bool {
    let last = base.rsplit('/').next().unwrap_or("");
    let mut chars = last.chars();
    chars.next() == Some('v') && chars.next().is_some_and(|c| c.is_ascii_digit())
}

/// Why no upstream URL can be built for a call.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// The channel does not speak the endpoint's protocol, or has no such operation.
    #[error("the channel has no URL for this operation")]
    NoRoute,
    /// The client's model id cannot be part of a path.
    #[error(transparent)]
    Path(#[from] PathError),
}

/// The upstream URL for `endpoint` on a provider at `base_url`: the only place an upstream
/// URL is built. `model` is the upstream model id (Gemini paths and model get; checked and
/// percent-encoded here), `gemini_version` the caller's path version, `client_query` the
/// caller's raw query string, of which only what the operation defines is kept.
///
/// OpenAI-style and Anthropic bases may or may not carry `/v1`; it is added when missing.
/// Gemini keeps the API version the caller used (`v1beta` or `v1`) unless the base fixes one.
pub fn url(
    base_url: &str,
    endpoint: Endpoint,
    model: Option<&str>,
    gemini_version: &str,
    client_query: Option<&str>,
) -> Result<String, UrlError> {
    let base = base_url.trim_end_matches('/');
    // The model as path text, for the operations whose path names one.
    let model_path = || -> Result<String, UrlError> {
        // Callers strip Gemini's `models/` prefix once, before checking permissions, so the
        // id checked is the id sent.
        let id = model.unwrap_or_default();
        check_model_id(id)?;
        Ok(encode_model_path(id))
    };
    let mut url = match endpoint.protocol {
        Protocol::OpenAi | Protocol::Anthropic => {
            let prefix = if has_version_suffix(base) {
                base.to_owned()
            } else {
                format!("{base}/v1")
            };
            let path = match endpoint.operation {
                Operation::ChatCompletions => "/chat/completions".to_owned(),
                Operation::Responses => "/responses".to_owned(),
                Operation::ResponsesInputTokens => "/responses/input_tokens".to_owned(),
                Operation::Embeddings => "/embeddings".to_owned(),
                Operation::Messages => "/messages".to_owned(),
                Operation::CountTokens => "/messages/count_tokens".to_owned(),
                Operation::ModelsList => "/models".to_owned(),
                Operation::ModelsGet => format!("/models/{}", model_path()?),
                _ => return Err(UrlError::NoRoute),
            };
            format!("{prefix}{path}")
        }
        Protocol::Gemini => {
            let prefix = if has_version_suffix(base) {
                base.to_owned()
            } else {
                format!("{base}/{gemini_version}")
            };
            match endpoint.operation {
                Operation::ModelsList => format!("{prefix}/models"),
                Operation::ModelsGet => format!("{prefix}/models/{}", model_path()?),
                op => {
                    let action = op.gemini_action().ok_or(UrlError::NoRoute)?;
                    format!("{prefix}/models/{}:{action}", model_path()?)
                }
            }
        }
    };
    if let Some(q) = query::encode(&query::forwarded(endpoint, client_query)) {
        url.push('?');
        url.push_str(&q);
    }
    Ok(url)
}

/// Puts the provider's credential on an upstream request the way `protocol` expects (the
/// protocol the request is sent in, per the dispatch table), and the headers it requires.
pub fn apply_auth(
    protocol: Protocol,
    headers: &mut HeaderMap,
    api_key: &str,
) -> Result<(), http::Error> {
    // Sensitive: never HPACK-indexed by HTTP/2, and `Debug` of the header map hides it.
    let sensitive = |value: &str| -> Result<HeaderValue, http::Error> {
        let mut v = HeaderValue::try_from(value)?;
        v.set_sensitive(true);
        Ok(v)
    };
    match protocol {
        Protocol::OpenAi => {
            headers.insert(
                http::header::AUTHORIZATION,
                sensitive(&format!("Bearer {api_key}"))?,
            );
        }
        Protocol::Anthropic => {
            headers.insert(HeaderName::from_static("x-api-key"), sensitive(api_key)?);
            headers
                .entry(HeaderName::from_static("anthropic-version"))
                .or_insert(HeaderValue::from_static(ANTHROPIC_VERSION));
        }
        Protocol::Gemini => {
            headers.insert(
                HeaderName::from_static("x-goog-api-key"),
                sensitive(api_key)?,
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHAT: Endpoint = Endpoint::new(Protocol::OpenAi, Operation::ChatCompletions);

    #[test]
    fn openai_urls_with_and_without_v1() {
        let u = url("https://api.openai.com/v1", CHAT, None, "v1beta", None);
        assert_eq!(
            u.as_deref().ok(),
            Some("https://api.openai.com/v1/chat/completions")
        );
        let u = url("https://api.deepseek.com", CHAT, None, "v1beta", None);
        assert_eq!(
            u.as_deref().ok(),
            Some("https://api.deepseek.com/v1/chat/completions")
        );
        let get = Endpoint::new(Protocol::OpenAi, Operation::ModelsGet);
        let u = url("http://h/api/v4", get, Some("m-1"), "v1beta", None);
        assert_eq!(u.as_deref().ok(), Some("http://h/api/v4/models/m-1"));
    }

    #[test]
    fn gemini_keeps_the_callers_version() {
        let ep = Endpoint::new(Protocol::Gemini, Operation::StreamGenerateContent);
        let base = "https://generativelanguage.googleapis.com";
        let u = url(base, ep, Some("gemini-2.5-flash"), "v1", None);
        assert_eq!(
            u.as_deref().ok(),
            Some(
                "https://generativelanguage.googleapis.com/v1/models/gemini-2.5-flash:streamGenerateContent"
            )
        );
        let list = Endpoint::new(Protocol::Gemini, Operation::ModelsList);
        let u = url("http://m/v1beta", list, None, "v1", None);
        assert_eq!(u.as_deref().ok(), Some("http://m/v1beta/models"));
    }

    #[test]
    fn client_model_ids_are_checked_and_encoded() {
        let get = Endpoint::new(Protocol::OpenAi, Operation::ModelsGet);
        let u = |model: &str| url("http://h/v1", get, Some(model), "v1", None);
        assert_eq!(
            u("meta/llama-3.1-8b-instruct").as_deref().ok(),
            Some("http://h/v1/models/meta/llama-3.1-8b-instruct")
        );
        assert_eq!(
            u("a%2Fb").as_deref().ok(),
            Some("http://h/v1/models/a%252Fb")
        );
        for bad in ["../files", "..%2Ffiles", "..\\files", "x?y", ""] {
            assert!(matches!(u(bad), Err(UrlError::Path(_))), "{bad}");
        }
        let generate = Endpoint::new(Protocol::Gemini, Operation::GenerateContent);
        let g = |model: &str| url("http://g", generate, Some(model), "v1beta", None);
        assert_eq!(
            g("gemini-2.5-flash").as_deref().ok(),
            Some("http://g/v1beta/models/gemini-2.5-flash:generateContent")
        );
        assert!(g("../../v1beta/corpora/x?delete").is_err());
    }

    #[test]
    fn only_allowed_query_goes_upstream() {
        let ep = Endpoint::new(Protocol::Gemini, Operation::StreamGenerateContent);
        let u = url(
            "http://g",
            ep,
            Some("m"),
            "v1beta",
            Some("k%65y=sk-client&alt=sse&x=1"),
        );
        assert_eq!(
            u.as_deref().ok(),
            Some("http://g/v1beta/models/m:streamGenerateContent?alt=sse")
        );
    }

    #[test]
    fn operations_without_a_path_have_no_url() {
        let odd = Endpoint::new(Protocol::Gemini, Operation::ChatCompletions);
        assert_eq!(
            url("http://a", odd, Some("m"), "v1beta", None),
            Err(UrlError::NoRoute)
        );
        let odd = Endpoint::new(Protocol::Anthropic, Operation::GenerateContent);
        assert_eq!(
            url("http://a", odd, None, "v1", None),
            Err(UrlError::NoRoute)
        );
    }

    #[test]
    fn auth_per_channel() {
        let mut h = HeaderMap::new();
        apply_auth(Protocol::Anthropic, &mut h, "k").expect("valid");
        assert_eq!(h["x-api-key"], "k");
        assert_eq!(h["anthropic-version"], ANTHROPIC_VERSION);
        let mut h = HeaderMap::new();
        h.insert("anthropic-version", HeaderValue::from_static("2024-01-01"));
        apply_auth(Protocol::Anthropic, &mut h, "k").expect("valid");
        assert_eq!(
            h["anthropic-version"], "2024-01-01",
            "the caller's version wins"
        );
        let mut h = HeaderMap::new();
        apply_auth(Protocol::OpenAi, &mut h, "k").expect("valid");
        assert_eq!(h["authorization"], "Bearer k");
        let mut h = HeaderMap::new();
        apply_auth(Protocol::Gemini, &mut h, "k").expect("valid");
        assert_eq!(h["x-goog-api-key"], "k");
        assert!(h["x-goog-api-key"].is_sensitive());
        assert!(!format!("{h:?}").contains("\"k\""), "{h:?}");
        assert!(apply_auth(Protocol::OpenAi, &mut HeaderMap::new(), "bad\nkey").is_err());
    }
}
