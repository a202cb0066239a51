//! The protocols and operations of the HTTP surface, named once so routing, dispatch and
//! records all agree on them.

use std::fmt;

/// A wire protocol a client or an upstream speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    OpenAi,
    Anthropic,
    Gemini,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::OpenAi => "openai",
            Protocol::Anthropic => "anthropic",
            Protocol::Gemini => "gemini",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An operation of the gateway's proxy surface. Model listing exists in every protocol, so
/// an operation is paired with its protocol in an [`Endpoint`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    /// OpenAI `POST /v1/chat/completions`.
    ChatCompletions,
    /// OpenAI `POST /v1/responses`.
    Responses,
    /// OpenAI `POST /v1/responses/input_tokens`.
    ResponsesInputTokens,
    /// OpenAI `POST /v1/embeddings`.
    Embeddings,
    /// Anthropic `POST /v1/messages`.
    Messages,
    /// Anthropic `POST /v1/messages/count_tokens`.
    CountTokens,
    /// Gemini `:generateContent`.
    GenerateContent,
    /// Gemini `:streamGenerateContent` (SSE with `alt=sse`, else a JSON array).
    StreamGenerateContent,
    /// Gemini `:countTokens`.
    GeminiCountTokens,
    /// Gemini `:embedContent`.
    EmbedContent,
    /// Gemini `:batchEmbedContents`.
    BatchEmbedContents,
    /// `GET .../models` in the endpoint's protocol.
    ModelsList,
    /// `GET .../models/{id}` in the endpoint's protocol.
    ModelsGet,
}

impl Operation {
    /// Whether the operation generates output (and is billed for it): a successful answer
    /// without usage is estimated rather than recorded as free.
    pub fn generates(self) -> bool {
        matches!(
            self,
            Operation::ChatCompletions
                | Operation::Responses
                | Operation::Messages
                | Operation::GenerateContent
                | Operation::StreamGenerateContent
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Operation::ChatCompletions => "chat_completions",
            Operation::Responses => "responses",
            Operation::ResponsesInputTokens => "responses_input_tokens",
            Operation::Embeddings => "embeddings",
            Operation::Messages => "messages",
            Operation::CountTokens => "count_tokens",
            Operation::GenerateContent => "generate_content",
            Operation::StreamGenerateContent => "stream_generate_content",
            Operation::GeminiCountTokens => "gemini_count_tokens",
            Operation::EmbedContent => "embed_content",
            Operation::BatchEmbedContents => "batch_embed_contents",
            Operation::ModelsList => "models_list",
            Operation::ModelsGet => "models_get",
        }
    }

    /// Every operation.
    pub const ALL: [Operation; 13] = [
        Operation::ChatCompletions,
        Operation::Responses,
        Operation::ResponsesInputTokens,
        Operation::Embeddings,
        Operation::Messages,
        Operation::CountTokens,
        Operation::GenerateContent,
        Operation::StreamGenerateContent,
        Operation::GeminiCountTokens,
        Operation::EmbedContent,
        Operation::BatchEmbedContents,
        Operation::ModelsList,
        Operation::ModelsGet,
    ];

    /// The operation named `name` (as [`Operation::as_str`] spells it).
    pub fn parse(name: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|op| op.as_str() == name)
    }

    /// The Gemini operation named by a `models/{model}:{action}` path suffix.
    pub fn from_gemini_action(action: &str) -> Option<Operation> {
        Some(match action {
            "generateContent" => Operation::GenerateContent,
            "streamGenerateContent" => Operation::StreamGenerateContent,
            "countTokens" => Operation::GeminiCountTokens,
            "embedContent" => Operation::EmbedContent,
            "batchEmbedContents" => Operation::BatchEmbedContents,
            _ => return None,
        })
    }

    /// The `:{action}` suffix of a Gemini operation.
    pub fn gemini_action(self) -> Option<&'static str> {
        Some(match self {
            Operation::GenerateContent => "generateContent",
            Operation::StreamGenerateContent => "streamGenerateContent",
            Operation::GeminiCountTokens => "countTokens",
            Operation::EmbedContent => "embedContent",
            Operation::BatchEmbedContents => "batchEmbedContents",
            _ => return None,
        })
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A protocol and one of its operations: what a client called.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Endpoint {
    pub protocol: Protocol,
    pub operation: Operation,
}

impl Endpoint {
    pub const fn new(protocol: Protocol, operation: Operation) -> Self {
        Endpoint {
            protocol,
            operation,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemini_actions_round_trip() {
        for action in [
            "generateContent",
            "streamGenerateContent",
            "countTokens",
            "embedContent",
            "batchEmbedContents",
        ] {
            let op = Operation::from_gemini_action(action).expect("known action");
            assert_eq!(op.gemini_action(), Some(action));
        }
        assert_eq!(Operation::from_gemini_action("predict"), None);
        assert_eq!(Operation::ChatCompletions.gemini_action(), None);
    }
}
