//! The text a request sends and a response or stream relays, for estimating tokens when the upstream
//! reported none (a client that went away before OpenAI's final usage chunk). Only what a
//! tokenizer should count is kept: message text, reasoning, tool names and arguments; not
//! JSON syntax, ids or inline binary data.

use crate::peek::find;
use crate::{Endpoint, Operation, Protocol};
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;

/// Accumulates the generated text of a stream, event by event.
#[derive(Clone, Debug)]
pub struct OutputText {
    endpoint: Endpoint,
    text: String,
}

impl OutputText {
    pub fn new(endpoint: Endpoint) -> Self {
        OutputText {
            endpoint,
            text: String::new(),
        }
    }

    /// The text relayed so far.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Takes the text relayed so far, leaving none.
    pub fn take_text(&mut self) -> String {
        std::mem::take(&mut self.text)
    }

    /// Takes the text generated in one event's JSON data. Events that carry none (usage,
    /// lifecycle, pings) are skipped by a byte search, without parsing.
    pub fn observe(&mut self, data: &[u8]) {
        let Endpoint {
            protocol,
            operation,
        } = self.endpoint;
        match (protocol, operation) {
            (Protocol::OpenAi, Operation::ChatCompletions) if find(data, b"delta").is_some() => {
                self.chat(data)
            }
            (Protocol::OpenAi, Operation::Responses) if find(data, b"delta").is_some() => {
                self.responses(data)
            }
            (Protocol::Anthropic, _) if find(data, b"delta").is_some() => self.anthropic(data),
            (Protocol::Gemini, _) if find(data, b"parts").is_some() => self.gemini(data),
            _ => {}
        }
    }

    fn push(&mut self, piece: &str) {
        self.text.push_str(piece);
    }

    fn chat(&mut self, data: &[u8]) {
        #[derive(Deserialize)]
        struct Chunk<'a> {
            #[serde(default, borrow)]
            choices: Vec<Choice<'a>>,
        }
        #[derive(Deserialize)]
        struct Choice<'a> {
            #[serde(default, borrow)]
            delta: Option<Delta<'a>>,
        }
        #[derive(Deserialize)]
        struct Delta<'a> {
            #[serde(default, borrow)]
            content: Option<Cow<'a, str>>,
            #[serde(default, borrow)]
            reasoning_content: Option<Cow<'a, str>>,
            #[serde(default, borrow)]
            refusal: Option<Cow<'a, str>>,
            #[serde(default, borrow)]
            tool_calls: Vec<ToolCall<'a>>,
        }
        #[derive(Deserialize)]
        struct ToolCall<'a> {
            #[serde(default, borrow)]
            function: Option<Function<'a>>,
        }
        #[derive(Deserialize)]
        struct Function<'a> {
            #[serde(default, borrow)]
            name: Option<Cow<'a, str>>,
            #[serde(default, borrow)]
            arguments: Option<Cow<'a, str>>,
        }
        let Ok(chunk) = serde_json::from_slice::<Chunk>(data) else {
            return;
        };
        for delta in chunk.choices.into_iter().filter_map(|c| c.delta) {
            for piece in [delta.content, delta.reasoning_content, delta.refusal]
                .into_iter()
                .flatten()
            {
                self.push(&piece);
            }
            for f in delta.tool_calls.into_iter().filter_map(|t| t.function) {
                for piece in [f.name, f.arguments].into_iter().flatten() {
                    self.push(&piece);
                }
            }
        }
    }

    fn responses(&mut self, data: &[u8]) {
        #[derive(Deserialize)]
        struct Event<'a> {
            #[serde(rename = "type", borrow)]
            kind: Cow<'a, str>,
            #[serde(default, borrow)]
            delta: Option<Cow<'a, str>>,
        }
        let Ok(event) = serde_json::from_slice::<Event>(data) else {
            return;
        };
        // Text, refusals, reasoning and tool arguments; not audio (base64) deltas.
        let counts = event.kind.ends_with(".delta") && !event.kind.contains("audio");
        if let Some(delta) = event.delta.filter(|_| counts) {
            self.push(&delta);
        }
    }

    fn anthropic(&mut self, data: &[u8]) {
        #[derive(Deserialize)]
        struct Event<'a> {
            #[serde(default, borrow)]
            delta: Option<Delta<'a>>,
        }
        #[derive(Deserialize)]
        struct Delta<'a> {
            #[serde(default, borrow)]
            text: Option<Cow<'a, str>>,
            #[serde(default, borrow)]
            partial_json: Option<Cow<'a, str>>,
            #[serde(default, borrow)]
            thinking: Option<Cow<'a, str>>,
        }
        let Ok(Event { delta: Some(d) }) = serde_json::from_slice::<Event>(data) else {
            return;
        };
        for piece in [d.text, d.partial_json, d.thinking].into_iter().flatten() {
            self.push(&piece);
        }
    }

    fn gemini(&mut self, data: &[u8]) {
        #[derive(Deserialize)]
        struct Chunk {
            #[serde(default)]
            candidates: Vec<Candidate>,
        }
        #[derive(Deserialize)]
        struct Candidate {
            #[serde(default)]
            content: Option<Content>,
        }
        #[derive(Deserialize)]
        struct Content {
            #[serde(default)]
            parts: Vec<Value>,
        }
        let Ok(chunk) = serde_json::from_slice::<Chunk>(data) else {
            return;
        };
        for part in chunk
            .candidates
            .into_iter()
            .filter_map(|c| c.content)
            .flat_map(|c| c.parts)
        {
            if let Some(text) = part.get("text").and_then(Value::as_str) {
                self.push(text);
            }
            if let Some(call) = part.get("functionCall") {
                self.push(&call.to_string());
            }
        }
    }
}

/// The text of a JSON body a tokenizer should count: every string value (messages,
/// system prompts, tool descriptions and schemas; a response's content) except ids and
/// inline binary data, joined by newlines. Empty when the body is not JSON.
pub fn body_text(body: &[u8]) -> String {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return String::new();
    };
    let mut out = String::new();
    collect(&value, None, &mut out);
    out
}

/// Keys whose string values are inline binary data (base64 images, audio, files).
const BINARY_KEYS: &[&str] = &["data", "b64_json", "file_data", "image_url", "bytes"];

fn collect(value: &Value, key: Option<&str>, out: &mut String) {
    match value {
        Value::String(s) => {
            let binary = key.is_some_and(|k| BINARY_KEYS.contains(&k)) || s.starts_with("data:");
            if !binary {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(s);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect(v, key, out)),
        Value::Object(map) => {
            for (k, v) in map {
                // Field names that are ids or settings, not text the model reads.
                if matches!(k.as_str(), "model" | "id" | "tool_call_id" | "tool_use_id") {
                    continue;
                }
                collect(v, Some(k), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relayed(endpoint: Endpoint, events: &[&str]) -> String {
        let mut t = OutputText::new(endpoint);
        for e in events {
            t.observe(e.as_bytes());
        }
        t.text().to_owned()
    }

    #[test]
    fn each_protocols_output_text() {
        let chat = Endpoint::new(Protocol::OpenAi, Operation::ChatCompletions);
        assert_eq!(
            relayed(
                chat,
                &[
                    r#"{"choices":[{"delta":{"role":"assistant","content":"Hel"}}]}"#,
                    r#"{"choices":[{"delta":{"content":"lo\n"}}]}"#,
                    r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"name":"f","arguments":"{\"a\""}}]}}]}"#,
                    r#"{"choices":[],"usage":{"prompt_tokens":3}}"#,
                ]
            ),
            "Hello\nf{\"a\""
        );
        let responses = Endpoint::new(Protocol::OpenAi, Operation::Responses);
        assert_eq!(
            relayed(
                responses,
                &[
                    r#"{"type":"response.output_text.delta","delta":"Hi"}"#,
                    r#"{"type":"response.function_call_arguments.delta","delta":"{}"}"#,
                    r#"{"type":"response.audio.delta","delta":"AAAA"}"#,
                    r#"{"type":"response.output_text.done","text":"Hi"}"#,
                ]
            ),
            "Hi{}"
        );
        let messages = Endpoint::new(Protocol::Anthropic, Operation::Messages);
        assert_eq!(
            relayed(
                messages,
                &[
                    r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}}"#,
                    r#"{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"ok"}}"#,
                    r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":3}}"#,
                ]
            ),
            "hmmok"
        );
        let gemini = Endpoint::new(Protocol::Gemini, Operation::StreamGenerateContent);
        assert_eq!(
            relayed(
                gemini,
                &[
                    r#"{"candidates":[{"content":{"parts":[{"text":"a"},{"functionCall":{"name":"f","args":{}}}]}}]}"#
                ]
            ),
            "a{\"args\":{},\"name\":\"f\"}"
        );
    }

    #[test]
    fn body_text_skips_ids_and_binary() {
        let body = br#"{"model":"gpt-4.1","messages":[{"role":"user","content":[
            {"type":"text","text":"describe"},
            {"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}],
            "tools":[{"type":"function","function":{"name":"f","description":"does f"}}]}"#;
        let text = body_text(body);
        assert!(
            text.contains("describe") && text.contains("does f"),
            "{text}"
        );
        assert!(
            !text.contains("AAAA") && !text.contains("gpt-4.1"),
            "{text}"
        );
        assert_eq!(body_text(b"not json"), "");
    }
}
