//! Property tests: conversations of text, tool calls and results survive a round trip
//! through every protocol (IR → wire → IR), and no decoder panics on arbitrary input, valid
//! JSON or not (a bounded, deterministic fuzz of the request and stream decoders).

use super::{CHAT, GEMINI, MESSAGES, RESPONSES};
use gproxy_protocol::frame::{Framer, Framing};
use gproxy_protocol::ir;
use gproxy_protocol::openai::chat::Dialect;
use gproxy_protocol::translate::{self, ClientStream, StreamTranslator};
use proptest::prelude::*;
use serde_json::json;

fn text() -> impl Strategy<Value = String> {
    // Printable text with quotes, escapes and non-ASCII.
    "[a-zA-Z0-9 ,.!?\"\\\\éß中🙂\n]{1,40}"
}

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,15}"
}

/// One turn of a tool conversation: a user question, an assistant answer with calls, and
/// the user's results for them (ids unique by construction).
fn turn(n: usize) -> impl Strategy<Value = Vec<ir::Message>> {
    (
        text(),
        proptest::option::of(text()),
        prop::collection::vec((name(), text(), text()), 0..3),
    )
        .prop_map(move |(question, answer, calls)| {
            let mut out = vec![ir::Message {
                role: ir::Role::User,
                parts: vec![ir::Part::Text(question)],
            }];
            let mut assistant = Vec::new();
            if let Some(a) = answer {
                assistant.push(ir::Part::Text(a));
            }
            let mut results = Vec::new();
            for (k, (tool, arg, result)) in calls.into_iter().enumerate() {
                let id = format!("call_{n}_{k}");
                assistant.push(ir::Part::ToolCall {
                    id: id.clone(),
                    name: tool,
                    arguments: json!({"value": arg}).to_string(),
                    signature: None,
                });
                results.push(ir::Part::ToolResult {
                    id,
                    content: vec![ir::Part::Text(result)],
                    is_error: false,
                });
            }
            if !assistant.is_empty() {
                out.push(ir::Message {
                    role: ir::Role::Assistant,
                    parts: assistant,
                });
            }
            if !results.is_empty() {
                out.push(ir::Message {
                    role: ir::Role::User,
                    parts: results,
                });
            }
            out
        })
}

fn request() -> impl Strategy<Value = ir::Request> {
    (text(), turn(0), turn(1)).prop_map(|(system, a, b)| ir::Request {
        model: "m".into(),
        system: vec![system],
        messages: a.into_iter().chain(b).collect(),
        max_output_tokens: Some(100),
        ..ir::Request::default()
    })
}

/// The text, calls (name and arguments) and results (id-free, paired by position) of a
/// conversation: what must survive any protocol.
fn content(req: &ir::Request) -> Vec<String> {
    let mut calls: Vec<(String, String)> = Vec::new();
    let mut out = Vec::new();
    for m in &req.messages {
        for p in &m.parts {
            match p {
                ir::Part::Text(t) => out.push(format!("text:{t}")),
                ir::Part::ToolCall {
                    id,
                    name,
                    arguments,
                    ..
                } => {
                    let args: serde_json::Value =
                        serde_json::from_str(arguments).unwrap_or_default();
                    calls.push((id.clone(), name.clone()));
                    out.push(format!("call:{name}:{args}"));
                }
                ir::Part::ToolResult { id, content, .. } => {
                    let called = calls.iter().find(|(c, _)| c == id).map(|(_, n)| n.clone());
                    let text: String = content
                        .iter()
                        .filter_map(|c| match c {
                            ir::Part::Text(t) => Some(t.as_str()),
                            _ => None,
                        })
                        .collect();
                    out.push(format!("result:{called:?}:{text}"));
                }
                _ => {}
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn conversations_survive_every_protocol(req in request()) {
        for to in [CHAT, MESSAGES, GEMINI, RESPONSES] {
            let bytes = translate::encode_request(to, &req, Dialect::OpenAi).expect("encodes");
            let back = translate::decode_request(to, &bytes).expect("decodes");
            prop_assert_eq!(content(&req), content(&back), "through {:?}", to);
            prop_assert_eq!(&req.system, &back.system);
        }
    }

    #[test]
    fn request_decoders_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        for from in [CHAT, MESSAGES, GEMINI, RESPONSES] {
            let _ = translate::decode_request(from, &bytes);
        }
    }

    #[test]
    fn request_decoders_never_panic_on_json(v in json_value()) {
        let bytes = serde_json::to_vec(&v).expect("json");
        for from in [CHAT, MESSAGES, GEMINI, RESPONSES] {
            let _ = translate::decode_request(from, &bytes);
        }
    }

    #[test]
    fn stream_translators_never_panic(events in prop::collection::vec(json_value(), 0..12), cut in any::<bool>()) {
        for (upstream, client) in [(CHAT, MESSAGES), (MESSAGES, CHAT), (GEMINI, RESPONSES), (CHAT, GEMINI),
                (RESPONSES, MESSAGES), (RESPONSES, CHAT), (RESPONSES, GEMINI)] {
            let stream = ClientStream {
                model: "m".into(), created: 0, include_usage: true, input_estimate: 0, framing: Framing::Sse,
                id_seed: "t".into(),
            };
            let mut t = StreamTranslator::new(upstream, client, stream).expect("pair");
            let mut framer = Framer::new(Framing::Sse);
            for e in &events {
                for frame in framer.push(format!("data: {e}\n\n").as_bytes()) {
                    let _ = t.push(&frame);
                }
            }
            if !cut {
                let _ = t.finish();
                prop_assert!(t.ended(), "a finished stream always ends (stop or error)");
            }
        }
    }
}

/// Arbitrary JSON shaped like the protocols' messages often enough to reach deep paths.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let key = prop::sample::select(vec![
        "type",
        "role",
        "content",
        "text",
        "messages",
        "choices",
        "delta",
        "index",
        "id",
        "name",
        "tool_calls",
        "function",
        "arguments",
        "input",
        "parts",
        "candidates",
        "functionCall",
        "usage",
        "finish_reason",
        "stop_reason",
        "contents",
        "model",
        "tools",
        "output",
        "output_index",
        "item_id",
        "item",
        "response",
        "status",
    ]);
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        prop::sample::select(vec![
            "text",
            "tool_use",
            "user",
            "assistant",
            "message_start",
            "content_block_delta",
            "input_json_delta",
            "tool",
            "function",
            "model",
            "STOP",
            "response.output_item.added",
            "response.output_item.done",
            "response.function_call_arguments.delta",
            "response.output_text.delta",
            "response.completed",
            "function_call",
            "reasoning",
            "incomplete"
        ])
        .prop_map(|s| json!(s)),
        "[a-z{}\\[\\]\":]{0,12}".prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..5).prop_map(|m| {
                serde_json::Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}
