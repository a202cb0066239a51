//! Where a passthrough request goes upstream, and how the provider's credential travels.

use crate::ChannelKind;
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

/// The upstream URL (without query) for `endpoint` on a provider at `base_url`.
///
/// OpenAI-style and Anthropic bases may or may not carry `/v1`; it is added when missing.
/// Gemini keeps the API version the caller used (`v1beta` or `v1`) unless the base fixes one.
/// `model` is the upstream model id (Gemini paths and model get); `gemini_version` the
/// caller's path version.
pub fn url(
    kind: ChannelKind,
    base_url: &str,
    endpoint: Endpoint,
    model: Option<&str>,
    gemini_version: &str,
) -> Option<String> {
    let base = base_url.trim_end_matches('/');
    let model = model.unwrap_or_default();
    match endpoint.protocol {
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
                Operation::ModelsGet => format!("/models/{model}"),
                _ => return None,
            };
            Some(format!("{prefix}{path}"))
        }
        Protocol::Gemini => {
            let prefix = if has_version_suffix(base) {
                base.to_owned()
            } else {
                format!("{base}/{gemini_version}")
            };
            let model = model.strip_prefix("models/").unwrap_or(model);
            match endpoint.operation {
                Operation::ModelsList => Some(format!("{prefix}/models")),
                Operation::ModelsGet => Some(format!("{prefix}/models/{model}")),
                op => Some(format!("{prefix}/models/{model}:{}", op.gemini_action()?)),
            }
        }
    }
    .filter(|_| kind.protocol() == endpoint.protocol)
}

/// Puts the provider's credential on an upstream request the way `kind` expects, and the
/// headers its protocol requires.
pub fn apply_auth(
    kind: ChannelKind,
    headers: &mut HeaderMap,
    api_key: &str,
) -> Result<(), http::Error> {
    match kind.protocol() {
        Protocol::OpenAi => {
            headers.insert(
                http::header::AUTHORIZATION,
                HeaderValue::try_from(format!("Bearer {api_key}"))?,
            );
        }
        Protocol::Anthropic => {
            headers.insert(
                HeaderName::from_static("x-api-key"),
                HeaderValue::try_from(api_key)?,
            );
            headers
                .entry(HeaderName::from_static("anthropic-version"))
                .or_insert(HeaderValue::from_static(ANTHROPIC_VERSION));
        }
        Protocol::Gemini => {
            headers.insert(
                HeaderName::from_static("x-goog-api-key"),
                HeaderValue::try_from(api_key)?,
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
        let u = url(
            ChannelKind::OpenAi,
            "https://api.openai.com/v1",
            CHAT,
            None,
            "v1beta",
        );
        assert_eq!(
            u.as_deref(),
            Some("https://api.openai.com/v1/chat/completions")
        );
        let u = url(
            ChannelKind::DeepSeek,
            "https://api.deepseek.com",
            CHAT,
            None,
            "v1beta",
        );
        assert_eq!(
            u.as_deref(),
            Some("https://api.deepseek.com/v1/chat/completions")
        );
        let get = Endpoint::new(Protocol::OpenAi, Operation::ModelsGet);
        let u = url(
            ChannelKind::Custom,
            "http://h/api/v4",
            get,
            Some("m-1"),
            "v1beta",
        );
        assert_eq!(u.as_deref(), Some("http://h/api/v4/models/m-1"));
    }

    #[test]
    fn gemini_keeps_the_callers_version() {
        let ep = Endpoint::new(Protocol::Gemini, Operation::StreamGenerateContent);
        let base = "https://generativelanguage.googleapis.com";
        let u = url(
            ChannelKind::AiStudio,
            base,
            ep,
            Some("gemini-2.5-flash"),
            "v1",
        );
        assert_eq!(
            u.as_deref(),
            Some(
                "https://generativelanguage.googleapis.com/v1/models/gemini-2.5-flash:streamGenerateContent"
            )
        );
        let list = Endpoint::new(Protocol::Gemini, Operation::ModelsList);
        let u = url(ChannelKind::AiStudio, "http://m/v1beta", list, None, "v1");
        assert_eq!(u.as_deref(), Some("http://m/v1beta/models"));
    }

    #[test]
    fn no_url_across_protocols() {
        assert_eq!(
            url(ChannelKind::Anthropic, "http://a", CHAT, None, "v1beta"),
            None
        );
    }

    #[test]
    fn auth_per_channel() {
        let mut h = HeaderMap::new();
        apply_auth(ChannelKind::Anthropic, &mut h, "k").expect("valid");
        assert_eq!(h["x-api-key"], "k");
        assert_eq!(h["anthropic-version"], ANTHROPIC_VERSION);
        let mut h = HeaderMap::new();
        h.insert("anthropic-version", HeaderValue::from_static("2024-01-01"));
        apply_auth(ChannelKind::Anthropic, &mut h, "k").expect("valid");
        assert_eq!(
            h["anthropic-version"], "2024-01-01",
            "the caller's version wins"
        );
        let mut h = HeaderMap::new();
        apply_auth(ChannelKind::Nvidia, &mut h, "k").expect("valid");
        assert_eq!(h["authorization"], "Bearer k");
        let mut h = HeaderMap::new();
        apply_auth(ChannelKind::AiStudio, &mut h, "k").expect("valid");
        assert_eq!(h["x-goog-api-key"], "k");
        assert!(apply_auth(ChannelKind::OpenAi, &mut HeaderMap::new(), "bad\nkey").is_err());
    }
}
