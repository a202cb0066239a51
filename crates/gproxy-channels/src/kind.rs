//! The channel kinds gproxy ships and what each serves without translation.

use gproxy_protocol::{Endpoint, Operation, Protocol};
use std::fmt;
use std::str::FromStr;

/// A kind of upstream. `Custom` is any OpenAI-compatible server at a configured `base_url`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChannelKind {
    OpenAi,
    Anthropic,
    AiStudio,
    DeepSeek,
    Nvidia,
    Custom,
}

/// How a channel serves an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dispatch {
    /// The upstream speaks the caller's protocol: bytes are relayed as they are.
    Passthrough,
    /// The upstream serves the operation as this endpoint of its own protocol: requests
    /// and answers are translated (through the IR).
    Transform(Endpoint),
    /// The gateway answers itself (a token count across protocols, with the bundled
    /// tokenizer): the upstream is not called.
    Local,
    /// The upstream has the operation in another protocol only, and this build does not
    /// translate that pair yet.
    NeedsTranslation,
    /// The upstream has no such operation at all.
    Unsupported,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 6] = [
        ChannelKind::OpenAi,
        ChannelKind::Anthropic,
        ChannelKind::AiStudio,
        ChannelKind::DeepSeek,
        ChannelKind::Nvidia,
        ChannelKind::Custom,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::OpenAi => "openai",
            ChannelKind::Anthropic => "anthropic",
            ChannelKind::AiStudio => "aistudio",
            ChannelKind::DeepSeek => "deepseek",
            ChannelKind::Nvidia => "nvidia",
            ChannelKind::Custom => "custom",
        }
    }

    /// The base URL used when a provider's settings give none. `Custom` has none.
    pub fn default_base_url(self) -> Option<&'static str> {
        Some(match self {
            ChannelKind::OpenAi => "https://api.openai.com/v1",
            ChannelKind::Anthropic => "https://api.anthropic.com",
            ChannelKind::AiStudio => "https://generativelanguage.googleapis.com",
            ChannelKind::DeepSeek => "https://api.deepseek.com",
            ChannelKind::Nvidia => "https://integrate.api.nvidia.com/v1",
            ChannelKind::Custom => return None,
        })
    }

    /// The protocol the upstream speaks natively.
    pub fn protocol(self) -> Protocol {
        match self {
            ChannelKind::Anthropic => Protocol::Anthropic,
            ChannelKind::AiStudio => Protocol::Gemini,
            ChannelKind::OpenAi
            | ChannelKind::DeepSeek
            | ChannelKind::Nvidia
            | ChannelKind::Custom => Protocol::OpenAi,
        }
    }

    /// Whether the upstream has `op` in its own protocol.
    fn has_native(self, op: Operation) -> bool {
        use Operation::*;
        match self {
            ChannelKind::OpenAi | ChannelKind::Custom => matches!(
                op,
                ChatCompletions
                    | Responses
                    | ResponsesInputTokens
                    | Embeddings
                    | ModelsList
                    | ModelsGet
            ),
            ChannelKind::DeepSeek => matches!(op, ChatCompletions | ModelsList | ModelsGet),
            ChannelKind::Nvidia => {
                matches!(op, ChatCompletions | Embeddings | ModelsList | ModelsGet)
            }
            ChannelKind::Anthropic => matches!(op, Messages | CountTokens | ModelsList | ModelsGet),
            ChannelKind::AiStudio => matches!(
                op,
                GenerateContent
                    | StreamGenerateContent
                    | GeminiCountTokens
                    | EmbedContent
                    | BatchEmbedContents
                    | ModelsList
                    | ModelsGet
            ),
        }
    }

    /// How this channel serves a caller's endpoint.
    pub fn dispatch(self, endpoint: Endpoint) -> Dispatch {
        let counts_tokens = matches!(
            endpoint.operation,
            Operation::CountTokens | Operation::GeminiCountTokens | Operation::ResponsesInputTokens
        );
        let native = endpoint.protocol == self.protocol() && self.has_native(endpoint.operation);
        if counts_tokens && !native {
            return Dispatch::Local;
        }
        if endpoint.protocol == self.protocol() {
            let chat = Endpoint::new(Protocol::OpenAi, Operation::ChatCompletions);
            if self.has_native(endpoint.operation) {
                Dispatch::Passthrough
            } else if gproxy_protocol::translate::supported(endpoint, chat) {
                // Responses on a Chat-only server (DeepSeek, NVIDIA): through Chat.
                Dispatch::Transform(chat)
            } else {
                Dispatch::Unsupported
            }
        } else if gproxy_protocol::translate::embeddings::is_embedding(endpoint) {
            // Embeddings go to the channel's own embeddings endpoint, where it has one.
            let target = match self.protocol() {
                Protocol::OpenAi if self.has_native(Operation::Embeddings) => {
                    Some(Endpoint::new(Protocol::OpenAi, Operation::Embeddings))
                }
                Protocol::Gemini => Some(Endpoint::new(
                    Protocol::Gemini,
                    Operation::BatchEmbedContents,
                )),
                _ => None,
            };
            target.map_or(Dispatch::NeedsTranslation, Dispatch::Transform)
        } else {
            // Generation is served by the channel's own generation endpoint (Gemini's
            // streaming variant is picked per request).
            let generation = match self.protocol() {
                Protocol::OpenAi => Operation::ChatCompletions,
                Protocol::Anthropic => Operation::Messages,
                Protocol::Gemini => Operation::GenerateContent,
            };
            let target = Endpoint::new(self.protocol(), generation);
            if gproxy_protocol::translate::supported(endpoint, target) {
                Dispatch::Transform(target)
            } else {
                Dispatch::NeedsTranslation
            }
        }
    }

    /// How a provider of this channel with `settings` serves a caller's endpoint: its
    /// `settings.dispatch` entry for the operation, else the channel's table.
    pub fn dispatch_with(self, settings: &crate::ChannelSettings, endpoint: Endpoint) -> Dispatch {
        let rule = settings
            .dispatch
            .iter()
            .find(|(op, _)| *op == endpoint.operation)
            .map(|(_, rule)| *rule);
        match rule {
            None => self.dispatch(endpoint),
            Some(crate::settings::DispatchRule::Passthrough) => Dispatch::Passthrough,
            Some(crate::settings::DispatchRule::Local) => Dispatch::Local,
            Some(crate::settings::DispatchRule::Unsupported) => Dispatch::Unsupported,
            Some(crate::settings::DispatchRule::To(target)) if target == endpoint => {
                Dispatch::Passthrough
            }
            Some(crate::settings::DispatchRule::To(target)) => {
                if gproxy_protocol::translate::supported(endpoint, target) {
                    Dispatch::Transform(target)
                } else {
                    Dispatch::NeedsTranslation
                }
            }
        }
    }

    /// Which Chat request fields the upstream understands.
    pub fn chat_dialect(self) -> gproxy_protocol::openai::chat::Dialect {
        match self {
            ChannelKind::OpenAi => gproxy_protocol::openai::chat::Dialect::OpenAi,
            _ => gproxy_protocol::openai::chat::Dialect::Compatible,
        }
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown channel name; the message lists the known ones.
#[derive(Debug, thiserror::Error)]
#[error(
    "unknown channel `{0}` (expected one of: openai, anthropic, aistudio, deepseek, nvidia, custom)"
)]
pub struct UnknownChannel(pub String);

impl FromStr for ChannelKind {
    type Err = UnknownChannel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ChannelKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownChannel(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in ChannelKind::ALL {
            assert_eq!(kind.as_str().parse::<ChannelKind>().expect("known"), kind);
        }
        assert!("claude".parse::<ChannelKind>().is_err());
    }

    #[test]
    fn dispatch_by_protocol() {
        let chat = Endpoint::new(Protocol::OpenAi, Operation::ChatCompletions);
        let messages = Endpoint::new(Protocol::Anthropic, Operation::Messages);
        let embed = Endpoint::new(Protocol::OpenAi, Operation::Embeddings);
        assert_eq!(ChannelKind::OpenAi.dispatch(chat), Dispatch::Passthrough);
        assert_eq!(
            ChannelKind::Anthropic.dispatch(messages),
            Dispatch::Passthrough
        );
        assert_eq!(
            ChannelKind::Anthropic.dispatch(chat),
            Dispatch::Transform(messages)
        );
        assert_eq!(
            ChannelKind::OpenAi.dispatch(messages),
            Dispatch::Transform(chat)
        );
        let responses = Endpoint::new(Protocol::OpenAi, Operation::Responses);
        assert_eq!(
            ChannelKind::Anthropic.dispatch(responses),
            Dispatch::Transform(messages)
        );
        assert_eq!(
            ChannelKind::DeepSeek.dispatch(responses),
            Dispatch::Transform(chat)
        );
        assert_eq!(
            ChannelKind::OpenAi.dispatch(responses),
            Dispatch::Passthrough
        );
        let count = Endpoint::new(Protocol::Anthropic, Operation::CountTokens);
        assert_eq!(ChannelKind::OpenAi.dispatch(count), Dispatch::Local);
        assert_eq!(
            ChannelKind::Anthropic.dispatch(count),
            Dispatch::Passthrough
        );
        let input_tokens = Endpoint::new(Protocol::OpenAi, Operation::ResponsesInputTokens);
        assert_eq!(
            ChannelKind::DeepSeek.dispatch(input_tokens),
            Dispatch::Local
        );
        let gemini_embed = Endpoint::new(Protocol::Gemini, Operation::EmbedContent);
        assert_eq!(
            ChannelKind::OpenAi.dispatch(gemini_embed),
            Dispatch::Transform(embed)
        );
        assert_eq!(
            ChannelKind::DeepSeek.dispatch(gemini_embed),
            Dispatch::NeedsTranslation
        );
        assert_eq!(
            ChannelKind::AiStudio.dispatch(embed),
            Dispatch::Transform(Endpoint::new(
                Protocol::Gemini,
                Operation::BatchEmbedContents
            ))
        );
        let generate = Endpoint::new(Protocol::Gemini, Operation::GenerateContent);
        let stream = Endpoint::new(Protocol::Gemini, Operation::StreamGenerateContent);
        assert_eq!(
            ChannelKind::AiStudio.dispatch(chat),
            Dispatch::Transform(generate)
        );
        assert_eq!(
            ChannelKind::OpenAi.dispatch(stream),
            Dispatch::Transform(chat)
        );
        assert_eq!(ChannelKind::DeepSeek.dispatch(embed), Dispatch::Unsupported);
        assert_eq!(ChannelKind::Nvidia.dispatch(embed), Dispatch::Passthrough);
    }

    #[test]
    fn dispatch_can_send_generation_to_the_responses_endpoint() {
        let settings = crate::ChannelSettings::parse(
            ChannelKind::OpenAi,
            &serde_json::json!({"dispatch": {
                "messages": "openai.responses", "chat_completions": "openai.responses",
                "generate_content": "openai.responses",
                "stream_generate_content": "openai.responses",
                "responses": "openai.responses"}}),
        )
        .expect("valid");
        let responses = Endpoint::new(Protocol::OpenAi, Operation::Responses);
        for client in [
            Endpoint::new(Protocol::Anthropic, Operation::Messages),
            Endpoint::new(Protocol::OpenAi, Operation::ChatCompletions),
            Endpoint::new(Protocol::Gemini, Operation::GenerateContent),
            Endpoint::new(Protocol::Gemini, Operation::StreamGenerateContent),
        ] {
            assert_eq!(
                ChannelKind::OpenAi.dispatch_with(&settings, client),
                Dispatch::Transform(responses),
                "{client:?}"
            );
        }
        // A Responses client on it stays passthrough; the defaults stay Chat.
        assert_eq!(
            ChannelKind::OpenAi.dispatch_with(&settings, responses),
            Dispatch::Passthrough
        );
        let chat = Endpoint::new(Protocol::OpenAi, Operation::ChatCompletions);
        assert_eq!(ChannelKind::OpenAi.dispatch(chat), Dispatch::Passthrough);
        assert_eq!(
            ChannelKind::OpenAi.dispatch(Endpoint::new(Protocol::Anthropic, Operation::Messages)),
            Dispatch::Transform(chat)
        );
    }
}
