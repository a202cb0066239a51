//! Golden tests of translation: every fixture request decoded and encoded for every other
//! upstream protocol, every fixture upstream stream translated for every other client
//! protocol, and whole answers; insta snapshots of the JSON and SSE produced, plus asserts on
//! what must hold whatever the snapshot says (ids pairing, usage, stop reasons).

use gproxy_protocol::frame::{Framer, Framing};
use gproxy_protocol::openai::chat::Dialect;
use gproxy_protocol::translate::{self, ClientStream, StreamTranslator};
use gproxy_protocol::{Endpoint, Operation, Protocol, ir};
use serde_json::{Value, json};

mod cache;
mod properties;

const CHAT: Endpoint = Endpoint::new(Protocol::OpenAi, Operation::ChatCompletions);
const RESPONSES: Endpoint = Endpoint::new(Protocol::OpenAi, Operation::Responses);
const MESSAGES: Endpoint = Endpoint::new(Protocol::Anthropic, Operation::Messages);
const GEMINI: Endpoint = Endpoint::new(Protocol::Gemini, Operation::GenerateContent);
const GEMINI_STREAM: Endpoint = Endpoint::new(Protocol::Gemini, Operation::StreamGenerateContent);

const UPSTREAMS: [(&str, Endpoint); 3] =
    [("chat", CHAT), ("anthropic", MESSAGES), ("gemini", GEMINI)];

fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn decode(name: &str, from: Endpoint) -> ir::Request {
    translate::decode_request(from, &fixture(&format!("requests/{name}.json")))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn requests_translate_to_every_other_upstream() {
    for (name, from) in [
        ("chat", CHAT),
        ("anthropic", MESSAGES),
        ("gemini", GEMINI_STREAM),
        ("responses", RESPONSES),
    ] {
        let mut request = decode(name, from);
        request.model = "upstream-model".into();
        for (to_name, to) in UPSTREAMS {
            if to.protocol == from.protocol && from != RESPONSES {
                continue;
            }
            let out = match translate::encode_request(to, &request, Dialect::OpenAi) {
                Ok(bytes) => serde_json::from_slice::<Value>(&bytes).expect("json"),
                Err(err) => json!({"refused": err.to_string()}),
            };
            insta::assert_json_snapshot!(format!("request__{name}__to__{to_name}"), out);
        }
    }
}

#[test]
fn tool_calls_and_results_keep_their_pairing() {
    // Anthropic's two calls and results become chat's calls and tool messages, ids kept.
    let request = decode("anthropic", MESSAGES);
    let chat: Value = serde_json::from_slice(
        &translate::encode_request(CHAT, &request, Dialect::Compatible).expect("encodes"),
    )
    .expect("json");
    let messages = chat["messages"].as_array().expect("messages");
    let assistant = messages
        .iter()
        .find(|m| m["role"] == "assistant")
        .expect("assistant");
    let ids: Vec<&str> = assistant["tool_calls"]
        .as_array()
        .expect("calls")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(ids, ["toolu_1", "toolu_2"]);
    let results: Vec<(&str, &str)> = messages
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| {
            (
                m["tool_call_id"].as_str().expect("id"),
                m["content"].as_str().expect("text"),
            )
        })
        .collect();
    assert_eq!(
        results,
        [("toolu_1", "sunny"), ("toolu_2", "Error: unknown city")]
    );
    assert_eq!(
        chat["max_tokens"], 1024,
        "compatible servers take max_tokens"
    );

    // Gemini's call has no id: the result is paired with it by name.
    let request = decode("gemini", GEMINI);
    let ids: Vec<String> = request
        .messages
        .iter()
        .flat_map(|m| &m.parts)
        .filter_map(|p| match p {
            ir::Part::ToolCall { id, signature, .. } => {
                assert_eq!(signature.as_deref(), Some("Z2VtaW5pLXNpZw=="));
                Some(id.clone())
            }
            ir::Part::ToolResult { id, .. } => Some(id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1], "call and result paired");
}

#[test]
fn requests_round_trip_through_their_own_protocol() {
    // Decode → IR → encode in the same protocol → decode again: the same conversation.
    for (name, endpoint) in [("chat", CHAT), ("anthropic", MESSAGES), ("gemini", GEMINI)] {
        let first = decode(name, endpoint);
        let bytes = translate::encode_request(endpoint, &first, Dialect::OpenAi).expect("encodes");
        let second = translate::decode_request(endpoint, &bytes).expect("decodes");
        assert_eq!(first.messages.len(), second.messages.len(), "{name}");
        for (a, b) in first.messages.iter().zip(&second.messages) {
            let keep = |p: &&ir::Part| !matches!(p, ir::Part::Reasoning { .. });
            let a: Vec<&ir::Part> = a.parts.iter().filter(keep).collect();
            let b: Vec<&ir::Part> = b.parts.iter().filter(keep).collect();
            assert_eq!(a.len(), b.len(), "{name}");
            for (x, y) in a.iter().zip(&b) {
                match (x, y) {
                    (
                        ir::Part::ToolCall {
                            name: n1,
                            arguments: a1,
                            ..
                        },
                        ir::Part::ToolCall {
                            name: n2,
                            arguments: a2,
                            ..
                        },
                    ) => {
                        assert_eq!(n1, n2);
                        let a1: Value = serde_json::from_str(a1).expect("json");
                        let a2: Value = serde_json::from_str(a2).expect("json");
                        assert_eq!(a1, a2, "{name}: arguments survive");
                    }
                    _ => assert_eq!(x, y, "{name}"),
                }
            }
        }
        assert_eq!(first.tools, second.tools, "{name}");
        assert_eq!(first.system, second.system, "{name}");
    }
}

/// Feeds an upstream stream fixture through a translator for `client`.
fn translate_stream(upstream: Endpoint, file: &str, client: Endpoint, framing: Framing) -> String {
    let stream = ClientStream {
        model: "client-model".into(),
        created: 1_700_000_000,
        include_usage: true,
        input_estimate: 42,
        framing,
        id_seed: "t".into(),
    };
    let mut t = StreamTranslator::new(upstream, client, stream).expect("a translated pair");
    let mut framer = Framer::new(Framing::Sse);
    let mut out = Vec::new();
    // Byte by byte: events split anywhere must translate the same.
    for byte in fixture(&format!("streams/{file}")) {
        for frame in framer.push(&[byte]) {
            out.extend(t.push(&frame));
        }
    }
    if let Some(frame) = framer.finish() {
        out.extend(t.push(&frame));
    }
    out.extend(t.finish());
    assert!(
        t.stopped(),
        "{file} → {client:?}: the stream ended with its stop"
    );
    out.iter()
        .map(|b| String::from_utf8(b.to_vec()).expect("utf8"))
        .collect()
}

#[test]
fn streams_translate_to_every_other_client() {
    let clients = [
        ("chat", CHAT, Framing::Sse),
        ("responses", RESPONSES, Framing::Sse),
        ("anthropic", MESSAGES, Framing::Sse),
        ("gemini_sse", GEMINI_STREAM, Framing::Sse),
        ("gemini_array", GEMINI_STREAM, Framing::JsonArray),
    ];
    let upstreams = [
        ("chat", CHAT, "chat.sse"),
        ("anthropic", MESSAGES, "anthropic.sse"),
        ("gemini", GEMINI_STREAM, "gemini.sse"),
        ("responses", RESPONSES, "responses.sse"),
    ];
    for (up_name, upstream, file) in upstreams {
        for (client_name, client, framing) in clients {
            // Same protocol (and Responses on Responses) is passthrough.
            if !translate::supported(client, upstream) {
                continue;
            }
            let text = translate_stream(upstream, file, client, framing);
            insta::assert_snapshot!(format!("stream__{up_name}__to__{client_name}"), text);
        }
    }
}

#[test]
fn interleaved_parallel_calls_reach_an_anthropic_client_whole() {
    for (upstream, file) in [(CHAT, "chat.sse"), (RESPONSES, "responses.sse")] {
        assert_eq!(
            anthropic_calls(&translate_stream(upstream, file, MESSAGES, Framing::Sse)),
            [
                ("call_p".to_owned(), json!({"city": "Paris"})),
                ("call_r".to_owned(), json!({"city": "Rome"}))
            ],
            "{file}"
        );
    }
}

/// The tool calls (id, whole arguments) of an Anthropic client's stream, by block.
fn anthropic_calls(text: &str) -> Vec<(String, Value)> {
    // Join each tool_use block's argument pieces by its index.
    let mut blocks: std::collections::BTreeMap<u64, (String, String)> = Default::default();
    for data in text.lines().filter_map(|l| l.strip_prefix("data: ")) {
        let v: Value = serde_json::from_str(data).expect("json");
        let index = v["index"].as_u64().unwrap_or(u64::MAX);
        if v["type"] == "content_block_start" && v["content_block"]["type"] == "tool_use" {
            let id = v["content_block"]["id"].as_str().expect("id").to_owned();
            blocks.insert(index, (id, String::new()));
        }
        if v["delta"]["type"] == "input_json_delta"
            && let Some(b) = blocks.get_mut(&index)
        {
            b.1.push_str(v["delta"]["partial_json"].as_str().unwrap_or_default());
        }
    }
    blocks
        .into_values()
        .map(|(id, args)| (id, serde_json::from_str(&args).expect("whole arguments")))
        .collect()
}

#[test]
fn answers_translate_with_usage_meaning_the_same() {
    let chat_body = json!({"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4.1",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant",
            "content": "One moment.", "tool_calls": [{"id": "call_1", "type": "function",
            "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]}}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20,
                  "prompt_tokens_details": {"cached_tokens": 30},
                  "completion_tokens_details": {"reasoning_tokens": 5}}});
    let body = serde_json::to_vec(&chat_body).expect("bytes");
    for (name, client) in [
        ("anthropic", MESSAGES),
        ("gemini", GEMINI),
        ("responses", RESPONSES),
    ] {
        let (out, usage) =
            translate::translate_response(CHAT, &body, client, "client-model", 1_700_000_000, "t")
                .expect("translates");
        assert_eq!(
            (
                usage.input_tokens,
                usage.cache_read_tokens,
                usage.output_tokens
            ),
            (100, 30, 20)
        );
        let v: Value = serde_json::from_slice(&out).expect("json");
        insta::assert_json_snapshot!(format!("answer__chat__to__{name}"), v);
    }
}

#[test]
fn parallel_calls_to_one_function_pair_with_their_results_in_order() {
    let body = json!({"contents": [
        {"role": "user", "parts": [{"text": "Paris and Rome?"}]},
        {"role": "model", "parts": [
            {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}},
            {"functionCall": {"name": "get_weather", "args": {"city": "Rome"}}}]},
        {"role": "user", "parts": [
            {"functionResponse": {"name": "get_weather", "response": {"result": "sunny"}}},
            {"functionResponse": {"name": "get_weather", "response": {"result": "rain"}}}]}]});
    let req = translate::decode_request(GEMINI, body.to_string().as_bytes()).expect("decodes");
    let pairs: Vec<(String, String)> = req.messages[2]
        .parts
        .iter()
        .filter_map(|p| match p {
            ir::Part::ToolResult { id, content, .. } => match content.as_slice() {
                [ir::Part::Text(t)] => Some((id.clone(), t.clone())),
                _ => None,
            },
            _ => None,
        })
        .collect();
    let calls: Vec<String> = req.messages[1]
        .parts
        .iter()
        .filter_map(|p| match p {
            ir::Part::ToolCall { id, .. } => Some(id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        pairs,
        [
            (calls[0].clone(), "sunny".to_owned()),
            (calls[1].clone(), "rain".to_owned())
        ]
    );
    assert_ne!(calls[0], calls[1]);
}

#[test]
fn anthropic_gets_thinking_only_where_it_accepts_it() {
    let mut req = decode("chat", CHAT);
    req.reasoning = Some(ir::Reasoning::Effort("high".into()));
    req.max_output_tokens = Some(4096);
    let encode = |req: &ir::Request| -> Value {
        serde_json::from_slice(
            &translate::encode_request(MESSAGES, req, Dialect::OpenAi).expect("encodes"),
        )
        .expect("json")
    };
    // The fixture's last assistant turn has calls and no signed thinking.
    assert!(encode(&req).get("thinking").is_none());
    // A fresh question (no tool loop): thinking on.
    req.messages.truncate(1);
    assert_eq!(encode(&req)["thinking"]["type"], "adaptive");
    // A forced tool choice: off.
    req.tool_choice = Some(ir::ToolChoice::Required);
    assert!(encode(&req).get("thinking").is_none());
    // No room for the 1,024-token minimum: off.
    req.tool_choice = None;
    req.max_output_tokens = Some(512);
    assert!(encode(&req).get("thinking").is_none());
}

#[test]
fn zero_argument_calls_and_truncated_calls_reach_chat_clients_right() {
    use gproxy_protocol::ir::{BlockKind, StopReason, StreamEvent};
    use gproxy_protocol::openai::chat::stream::Encoder;
    let mut e = Encoder::new("m", 0, false);
    let mut text = String::new();
    for ev in [
        StreamEvent::Start {
            id: "x".into(),
            model: "m".into(),
        },
        StreamEvent::BlockStart {
            index: 0,
            kind: BlockKind::ToolCall {
                id: "c".into(),
                name: "now".into(),
            },
        },
        StreamEvent::ArgumentsDelta {
            index: 0,
            json: String::new(),
        },
        StreamEvent::BlockStop { index: 0 },
        StreamEvent::Stop(StopReason::MaxTokens),
    ] {
        for b in e.push(ev) {
            text.push_str(std::str::from_utf8(&b).expect("utf8"));
        }
    }
    let args: String = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| {
            v["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(args, "{}", "a call without arguments has `{{}}`");
    assert!(
        text.contains("\"finish_reason\":\"length\""),
        "a cut call shows the cut: {text}"
    );
}

#[test]
fn images_a_tool_returned_cross_to_and_from_gemini() {
    // An Anthropic screenshot tool: Gemini gets the JSON result and the image beside it.
    let body = json!({"model": "m", "max_tokens": 64, "messages": [
        {"role": "user", "content": "What is on screen?"},
        {"role": "assistant", "content": [
            {"type": "tool_use", "id": "toolu_1", "name": "screenshot", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": [
            {"type": "text", "text": "captured"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0K"}}]}]}]});
    let req = translate::decode_request(MESSAGES, body.to_string().as_bytes()).expect("decodes");
    let gemini: Value = serde_json::from_slice(
        &translate::encode_request(GEMINI, &req, Dialect::OpenAi).expect("encodes"),
    )
    .expect("json");
    assert_eq!(
        gemini["contents"][2]["parts"],
        json!([
            {"functionResponse": {"name": "screenshot", "id": "toolu_1", "response": {"result": "captured"}}},
            {"inlineData": {"mimeType": "image/png", "data": "iVBORw0K"}}
        ])
    );
    // Gemini 3 takes them inside the function response.
    let mut req = req;
    req.model = "gemini-3-pro-preview".into();
    let gemini: Value = serde_json::from_slice(
        &translate::encode_request(GEMINI, &req, Dialect::OpenAi).expect("encodes"),
    )
    .expect("json");
    assert_eq!(
        gemini["contents"][2]["parts"],
        json!([{"functionResponse": {"name": "screenshot", "id": "toolu_1",
            "response": {"result": "captured"},
            "parts": [{"inlineData": {"mimeType": "image/png", "data": "iVBORw0K"}}]}}])
    );

    // A Gemini client's multimodal function response: the image stays in the tool result.
    let body = json!({"contents": [
        {"role": "user", "parts": [{"text": "What is on screen?"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "screenshot", "args": {}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "screenshot",
            "response": {"result": "captured"},
            "parts": [{"inlineData": {"mimeType": "image/png", "data": "iVBORw0K"}}]}}]}]});
    let req = translate::decode_request(GEMINI, body.to_string().as_bytes()).expect("decodes");
    let anthropic: Value = serde_json::from_slice(
        &translate::encode_request(MESSAGES, &req, Dialect::OpenAi).expect("encodes"),
    )
    .expect("json");
    let result = &anthropic["messages"][2]["content"][0];
    assert_eq!(result["type"], "tool_result");
    assert_eq!(
        result["content"],
        json!([
            {"type": "text", "text": "captured"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0K"}}
        ])
    );
}

/// The client's bytes for an upstream stream of `events` (Anthropic's with their `event:`
/// lines), and whether the client's stream ended with its stop.
fn stream_events_to(upstream: Endpoint, client: Endpoint, events: &[Value]) -> (String, bool) {
    let stream = ClientStream {
        model: "client-model".into(),
        created: 1_700_000_000,
        include_usage: true,
        input_estimate: 42,
        framing: Framing::Sse,
        id_seed: "t".into(),
    };
    let mut t = StreamTranslator::new(upstream, client, stream).expect("a translated pair");
    let mut framer = Framer::new(Framing::Sse);
    let mut out = Vec::new();
    for ev in events {
        let event = match ev["type"].as_str() {
            Some(kind) if upstream == MESSAGES => format!("event: {kind}\ndata: {ev}\n\n"),
            _ => format!("data: {ev}\r\n\r\n"),
        };
        for frame in framer.push(event.as_bytes()) {
            out.extend(t.push(&frame));
        }
    }
    out.extend(t.finish());
    let text = out
        .iter()
        .map(|b| String::from_utf8(b.to_vec()).expect("utf8"))
        .collect();
    (text, t.stopped())
}

#[test]
fn an_upstream_that_failed_without_an_answer_is_an_error_not_an_empty_success() {
    let failed = json!({"candidates": [{"content": {"role": "model", "parts": []},
        "finishReason": "MALFORMED_FUNCTION_CALL", "index": 0}],
        "usageMetadata": {"promptTokenCount": 9, "totalTokenCount": 9}});
    let err =
        translate::translate_response(GEMINI, failed.to_string().as_bytes(), CHAT, "m", 0, "t")
            .expect_err("no empty success");
    assert!(
        matches!(&err, translate::TranslateError::Stopped(m) if m.contains("malformed")),
        "{err}"
    );
    let unknown = json!({"candidates": [{"finishReason": "LANGUAGE", "index": 0}]});
    let err = translate::translate_response(
        GEMINI,
        unknown.to_string().as_bytes(),
        MESSAGES,
        "m",
        0,
        "t",
    )
    .expect_err("no empty success");
    assert!(err.to_string().contains("`LANGUAGE`"), "{err}");

    // With text, an unknown stop is the plain stop.
    let answered = json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "Hi"}]},
        "finishReason": "LANGUAGE", "index": 0}]});
    let (body, _) =
        translate::translate_response(GEMINI, answered.to_string().as_bytes(), CHAT, "m", 0, "t")
            .expect("an answer");
    let body: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(body["choices"][0]["finish_reason"], "stop");

    // Streams: the client's error event in its framing, and the stream is not complete.
    let (anthropic, stopped) =
        stream_events_to(GEMINI_STREAM, MESSAGES, std::slice::from_ref(&failed));
    assert!(!stopped);
    assert!(anthropic.contains("event: error"), "{anthropic}");
    assert!(!anthropic.contains("message_stop"), "{anthropic}");
    let (chat, stopped) = stream_events_to(GEMINI_STREAM, CHAT, &[failed]);
    assert!(!stopped);
    assert!(chat.contains("\"error\""), "{chat}");
    assert!(!chat.contains("finish_reason\":\"stop"), "{chat}");

    let text = json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "Hi"}]}, "index": 0}]});
    let end = json!({"candidates": [{"content": {"role": "model", "parts": []},
        "finishReason": "OTHER", "index": 0}]});
    let (anthropic, stopped) = stream_events_to(GEMINI_STREAM, MESSAGES, &[text, end]);
    assert!(stopped, "text came first: the plain stop");
    assert!(anthropic.contains("message_stop"), "{anthropic}");
}

#[test]
fn each_claude_generation_gets_thinking_its_own_way() {
    let mut req = decode("chat", CHAT);
    req.messages.truncate(1);
    req.max_output_tokens = Some(32_000);
    let encode = |req: &ir::Request| -> Value {
        serde_json::from_slice(
            &translate::encode_request(MESSAGES, req, Dialect::OpenAi).expect("encodes"),
        )
        .expect("json")
    };
    // An effort on a budget-only model: enabled thinking with the effort's budget.
    req.model = "claude-sonnet-4-5-20250929".into();
    req.reasoning = Some(ir::Reasoning::Effort("high".into()));
    let body = encode(&req);
    assert_eq!(
        body["thinking"],
        json!({"type": "enabled", "budget_tokens": 16_384})
    );
    assert!(body.get("output_config").is_none(), "{body}");
    // A budget on an adaptive-only model: adaptive thinking with the budget's effort.
    req.model = "claude-opus-4-6".into();
    req.reasoning = Some(ir::Reasoning::Budget(10_000));
    let body = encode(&req);
    assert_eq!(body["thinking"], json!({"type": "adaptive"}));
    assert_eq!(body["output_config"], json!({"effort": "medium"}));
    // A name the gateway cannot date keeps the request's form.
    req.model = "my-claude-alias".into();
    assert_eq!(
        encode(&req)["thinking"],
        json!({"type": "enabled", "budget_tokens": 10_000})
    );
    // Models before 3.7 do not think: nothing is asked.
    req.model = "claude-3-5-sonnet-20241022".into();
    assert!(encode(&req).get("thinking").is_none());
    // OpenAI's `none` turns thinking off.
    let body = json!({"model": "m", "reasoning_effort": "none",
        "messages": [{"role": "user", "content": "hi"}]});
    let mut req = translate::decode_request(CHAT, body.to_string().as_bytes()).expect("decodes");
    req.model = "claude-opus-4-6".into();
    assert_eq!(encode(&req)["thinking"], json!({"type": "disabled"}));
}

#[test]
fn anthropic_thinking_survives_a_responses_client_tool_loop() {
    // Claude thinks, then calls a tool; a Responses client (Codex) gets a reasoning item.
    let answer = json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-opus-4-6",
        "content": [
            {"type": "thinking", "thinking": "Need the weather.", "signature": "c2ln"},
            {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}],
        "stop_reason": "tool_use", "stop_sequence": null,
        "usage": {"input_tokens": 10, "output_tokens": 5}});
    let (out, _) = translate::translate_response(
        MESSAGES,
        answer.to_string().as_bytes(),
        RESPONSES,
        "claude-opus-4-6",
        0,
        "t",
    )
    .expect("translates");
    let out: Value = serde_json::from_slice(&out).expect("json");
    let output = out["output"].as_array().expect("output");
    assert_eq!(output[0]["type"], "reasoning");
    assert!(output[0]["encrypted_content"].is_string(), "{out}");

    // The client sends its output back with the result: Claude gets its signed block back,
    // first in the assistant turn, and thinking stays on.
    let mut input = output.clone();
    input.insert(0, json!({"role": "user", "content": "Weather in Paris?"}));
    input.push(json!({"type": "function_call_output", "call_id": "toolu_1", "output": "sunny"}));
    let body = json!({"model": "claude-opus-4-6", "input": input, "store": false,
        "reasoning": {"effort": "high"}, "max_output_tokens": 8192,
        "include": ["reasoning.encrypted_content"]});
    let req = translate::decode_request(RESPONSES, body.to_string().as_bytes()).expect("decodes");
    let anthropic: Value = serde_json::from_slice(
        &translate::encode_request(MESSAGES, &req, Dialect::OpenAi).expect("encodes"),
    )
    .expect("json");
    assert_eq!(
        anthropic["messages"][1]["content"][0],
        json!({"type": "thinking", "thinking": "Need the weather.", "signature": "c2ln"})
    );
    assert_eq!(anthropic["messages"][1]["content"][1]["type"], "tool_use");
    assert_eq!(anthropic["thinking"]["type"], "adaptive", "{anthropic}");
}

#[test]
fn anthropic_thinking_survives_a_gemini_client_tool_loop() {
    let answer = json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-opus-4-6",
        "content": [
            {"type": "thinking", "thinking": "Need the weather.", "signature": "c2ln"},
            {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}],
        "stop_reason": "tool_use", "stop_sequence": null,
        "usage": {"input_tokens": 10, "output_tokens": 5}});
    let (out, _) = translate::translate_response(
        MESSAGES,
        answer.to_string().as_bytes(),
        GEMINI,
        "claude-opus-4-6",
        0,
        "t",
    )
    .expect("translates");
    let out: Value = serde_json::from_slice(&out).expect("json");
    let model_turn = out["candidates"][0]["content"].clone();
    let call = model_turn["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .find(|p| p.get("functionCall").is_some())
        .expect("a call");
    assert!(call["thoughtSignature"].is_string(), "{out}");

    // The streamed answer seals the same thinking onto the call.
    let sse = [
        json!({"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant",
            "model": "claude-opus-4-6", "content": [], "stop_reason": null, "usage": {"input_tokens": 10, "output_tokens": 0}}}),
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}}),
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Need the weather."}}),
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "c2ln"}}),
        json!({"type": "content_block_stop", "index": 0}),
        json!({"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}}),
        json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"city\": \"Paris\"}"}}),
        json!({"type": "content_block_stop", "index": 1}),
        json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 5}}),
        json!({"type": "message_stop"}),
    ];
    let (text, _) = stream_events_to(MESSAGES, GEMINI_STREAM, &sse);
    let streamed_signature = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .find_map(|v| {
            v["candidates"][0]["content"]["parts"][0]["thoughtSignature"]
                .as_str()
                .map(str::to_owned)
        })
        .expect("the streamed call carries the thinking");
    assert_eq!(
        streamed_signature,
        call["thoughtSignature"].as_str().expect("sig")
    );

    // The client sends the turn back (with a text part before the call): Claude gets its
    // signed block first in the assistant turn, and thinking stays on.
    let mut parts = vec![json!({"text": "Checking."})];
    parts.extend(
        model_turn["parts"]
            .as_array()
            .expect("parts")
            .iter()
            .cloned(),
    );
    let body = json!({"contents": [
            {"role": "user", "parts": [{"text": "Weather in Paris?"}]},
            {"role": "model", "parts": parts},
            {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"result": "sunny"}}}]}],
        "generationConfig": {"maxOutputTokens": 8192, "thinkingConfig": {"thinkingBudget": 8192}}});
    let mut req = translate::decode_request(GEMINI, body.to_string().as_bytes()).expect("decodes");
    req.model = "claude-opus-4-6".into();
    let anthropic: Value = serde_json::from_slice(
        &translate::encode_request(MESSAGES, &req, Dialect::OpenAi).expect("encodes"),
    )
    .expect("json");
    let turn = &anthropic["messages"][1]["content"];
    assert_eq!(
        turn[0],
        json!({"type": "thinking", "thinking": "Need the weather.", "signature": "c2ln"}),
        "{anthropic}"
    );
    assert_eq!(turn[1]["type"], "text");
    assert_eq!(turn[2]["type"], "tool_use");
    assert_eq!(anthropic["thinking"]["type"], "adaptive", "{anthropic}");
}

#[test]
fn redacted_thinking_streams_through_to_responses_and_gemini_clients() {
    let sse = [
        json!({"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant",
            "model": "claude-opus-4-6", "content": [], "stop_reason": null, "usage": {"input_tokens": 10, "output_tokens": 0}}}),
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "redacted_thinking", "data": "b3BhcXVl"}}),
        json!({"type": "content_block_stop", "index": 0}),
        json!({"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}}),
        json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{}"}}),
        json!({"type": "content_block_stop", "index": 1}),
        json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 5}}),
        json!({"type": "message_stop"}),
    ];
    let expected = vec![ir::Part::Reasoning {
        text: String::new(),
        signature: None,
        redacted: Some("b3BhcXVl".into()),
    }];
    for (client, field) in [
        (RESPONSES, "encrypted_content"),
        (GEMINI_STREAM, "thoughtSignature"),
    ] {
        let (text, _) = stream_events_to(MESSAGES, client, &sse);
        let marker = format!("\"{field}\":\"");
        let start = text
            .find(&marker)
            .unwrap_or_else(|| panic!("{field}: {text}"))
            + marker.len();
        let sealed = &text[start..start + text[start..].find('"').expect("end")];
        assert_eq!(
            translate::carry::open(sealed),
            Some(expected.clone()),
            "{field}"
        );
    }
}

#[test]
fn stream_only_upstreams_aggregate_and_whole_answers_replay() {
    // Every upstream stream fixture aggregates into a whole answer for every client.
    for (file, upstream) in [
        ("chat.sse", CHAT),
        ("anthropic.sse", MESSAGES),
        ("gemini.sse", GEMINI_STREAM),
        ("responses.sse", RESPONSES),
    ] {
        let body = fixture(&format!("streams/{file}"));
        for client in [CHAT, RESPONSES, MESSAGES, GEMINI] {
            if !translate::supported(client, upstream) {
                continue;
            }
            let (out, usage) =
                translate::aggregate_response(upstream, &body, client, "client-model", 0, "t")
                    .unwrap_or_else(|e| panic!("{file} → {client:?}: {e}"));
            let v: Value = serde_json::from_slice(&out).expect("json");
            assert!(usage.output_tokens > 0, "{file}: {usage:?}");
            let text = v.to_string();
            assert!(
                text.contains("get_weather"),
                "{file} → {client:?}: the call survives: {v}"
            );
        }
        // A cut stream is no answer.
        let cut = &body[..body.len() / 2];
        let client = if upstream == RESPONSES {
            MESSAGES
        } else {
            RESPONSES
        };
        assert!(translate::aggregate_response(upstream, cut, client, "m", 0, "t").is_err());
    }

    // A whole Anthropic answer replayed as a Chat client's stream.
    let answer = json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-opus-4-6",
        "content": [{"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}],
        "stop_reason": "tool_use", "stop_sequence": null,
        "usage": {"input_tokens": 10, "output_tokens": 5}});
    let stream = ClientStream {
        model: "client-model".into(),
        created: 0,
        include_usage: true,
        input_estimate: 0,
        framing: Framing::Sse,
        id_seed: "t".into(),
    };
    let (out, usage) =
        translate::replay_response(MESSAGES, answer.to_string().as_bytes(), CHAT, stream)
            .expect("replays");
    assert_eq!(usage.output_tokens, 5);
    let text = String::from_utf8(out).expect("utf8");
    assert!(text.contains("\"content\":\"Checking.\""), "{text}");
    assert!(text.contains("\"finish_reason\":\"tool_calls\""), "{text}");
    assert!(text.trim_end().ends_with("data: [DONE]"), "{text}");
}

#[test]
fn requests_encode_for_a_responses_upstream() {
    for (name, from) in [("chat", CHAT), ("anthropic", MESSAGES), ("gemini", GEMINI)] {
        let mut request = decode(name, from);
        request.model = "gpt-5-codex".into();
        let encoded = translate::encode_request(RESPONSES, &request, Dialect::OpenAi);
        if request.stop.is_empty() {
            assert!(encoded.is_ok(), "{name}");
        } else {
            // Responses has no stop sequences: refused by name, never dropped.
            let err = encoded.expect_err("stop refused");
            assert!(
                matches!(&err, translate::TranslateError::Unsupported { field, .. } if field == "stop"),
                "{name}: {err}"
            );
            request.stop.clear();
        }
        let bytes = translate::encode_request(RESPONSES, &request, Dialect::OpenAi)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let out: Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(out["store"], false, "{name}");
        assert_eq!(
            out["include"],
            json!(["reasoning.encrypted_content"]),
            "{name}"
        );
        assert!(out["tools"].as_array().is_some_and(|t| {
            t.iter()
                .all(|t| t["type"] == "function" && t["strict"] == false)
        }));
        insta::assert_json_snapshot!(format!("request__{name}__to__responses"), out);
    }
}

/// A whole Responses answer: reasoning OpenAI encrypted, text, a call; usage with cache
/// and reasoning tokens.
fn responses_answer() -> Value {
    json!({"id": "resp_1", "object": "response", "created_at": 1, "status": "completed",
        "model": "gpt-5-codex", "error": null, "incomplete_details": null,
        "output": [
            {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "Look it up."}],
             "encrypted_content": "gAAAAABo-encrypted"},
            {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
             "content": [{"type": "output_text", "text": "One moment.", "annotations": []}]},
            {"type": "function_call", "id": "fc_1", "status": "completed", "call_id": "call_1",
             "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}],
        "usage": {"input_tokens": 100, "input_tokens_details": {"cached_tokens": 30},
                  "output_tokens": 20, "output_tokens_details": {"reasoning_tokens": 5},
                  "total_tokens": 120}})
}

#[test]
fn responses_answers_translate_with_usage_meaning_the_same() {
    let body = serde_json::to_vec(&responses_answer()).expect("bytes");
    for (name, client) in [("chat", CHAT), ("anthropic", MESSAGES), ("gemini", GEMINI)] {
        let (out, usage) = translate::translate_response(
            RESPONSES,
            &body,
            client,
            "client-model",
            1_700_000_000,
            "t",
        )
        .expect("translates");
        assert_eq!(
            (
                usage.input_tokens,
                usage.cache_read_tokens,
                usage.output_tokens,
                usage.reasoning_tokens
            ),
            (100, 30, 20, 5)
        );
        let v: Value = serde_json::from_slice(&out).expect("json");
        let text = v.to_string();
        assert!(
            text.contains("One moment.") && text.contains("Paris"),
            "{name}: {v}"
        );
        insta::assert_json_snapshot!(format!("answer__responses__to__{name}"), v);
    }
    let (out, _) =
        translate::translate_response(RESPONSES, &body, MESSAGES, "m", 0, "t").expect("ok");
    let v: Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(v["stop_reason"], "tool_use");
    assert_eq!(v["content"][2]["id"], "call_1");
    assert_eq!(
        (
            v["usage"]["input_tokens"].as_u64(),
            v["usage"]["cache_read_input_tokens"].as_u64()
        ),
        (Some(70), Some(30)),
        "Anthropic counts input without the cache"
    );
}

#[test]
fn openai_reasoning_goes_back_to_a_responses_upstream_through_anthropic_and_gemini_clients() {
    let body = serde_json::to_vec(&responses_answer()).expect("bytes");
    // Claude Code gets the reasoning as a thinking block and sends it back whole.
    let (out, _) =
        translate::translate_response(RESPONSES, &body, MESSAGES, "m", 0, "t").expect("ok");
    let answer: Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(answer["content"][0]["type"], "thinking");
    let next = json!({"model": "m", "max_tokens": 100, "messages": [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": answer["content"]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_1", "content": "sunny"}]}]});
    let mut req = translate::decode_request(MESSAGES, next.to_string().as_bytes()).expect("ok");
    req.model = "gpt-5-codex".into();
    let sent: Value = serde_json::from_slice(
        &translate::encode_request(RESPONSES, &req, Dialect::OpenAi).expect("encodes"),
    )
    .expect("json");
    let kinds: Vec<&str> = sent["input"]
        .as_array()
        .expect("input")
        .iter()
        .filter_map(|i| i["type"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "message",
            "reasoning",
            "message",
            "function_call",
            "function_call_output"
        ]
    );
    assert_eq!(sent["input"][1]["encrypted_content"], "gAAAAABo-encrypted");
    assert_eq!(sent["input"][3]["call_id"], "call_1");
    assert_eq!(sent["input"][4]["call_id"], "call_1");
    assert_eq!(sent["input"][4]["output"], "sunny");
    // On its way to Anthropic instead, OpenAI's reasoning is dropped (Anthropic would
    // reject it).
    let anthropic: Value = serde_json::from_slice(
        &translate::encode_request(MESSAGES, &req, Dialect::OpenAi).expect("encodes"),
    )
    .expect("json");
    assert!(!anthropic.to_string().contains("gAAAAABo-encrypted"));

    // The Gemini CLI carries it in the call's thoughtSignature.
    let (out, _) =
        translate::translate_response(RESPONSES, &body, GEMINI, "m", 0, "t").expect("ok");
    let answer: Value = serde_json::from_slice(&out).expect("json");
    let model_turn = &answer["candidates"][0]["content"];
    let next = json!({"contents": [
        {"role": "user", "parts": [{"text": "Weather in Paris?"}]},
        model_turn,
        {"role": "user", "parts": [{"functionResponse": {"id": "call_1", "name": "get_weather",
            "response": {"result": "sunny"}}}]}]});
    let mut req = translate::decode_request(GEMINI, next.to_string().as_bytes()).expect("ok");
    req.model = "gpt-5-codex".into();
    let sent: Value = serde_json::from_slice(
        &translate::encode_request(RESPONSES, &req, Dialect::OpenAi).expect("encodes"),
    )
    .expect("json");
    let reasoning: Vec<&Value> = sent["input"]
        .as_array()
        .expect("input")
        .iter()
        .filter(|i| i["type"] == "reasoning")
        .collect();
    assert_eq!(reasoning.len(), 1, "{sent}");
    assert_eq!(reasoning[0]["encrypted_content"], "gAAAAABo-encrypted");
}

#[test]
fn a_failed_or_cut_responses_upstream_is_an_error() {
    let failed = json!({"id": "resp_1", "status": "failed", "output": [],
        "error": {"code": "server_error", "message": "The model crashed."}});
    let err =
        translate::translate_response(RESPONSES, failed.to_string().as_bytes(), CHAT, "m", 0, "t")
            .expect_err("no empty success");
    assert!(err.to_string().contains("The model crashed."), "{err}");

    let created = json!({"type": "response.created", "response": {"id": "resp_1", "model": "gpt-5", "status": "in_progress"}});
    let text = json!({"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0, "content_index": 0, "delta": "Hi"});
    let failed_event = json!({"type": "response.failed", "response": failed});
    let (anthropic, stopped) = stream_events_to(
        RESPONSES,
        MESSAGES,
        &[created.clone(), text.clone(), failed_event],
    );
    assert!(!stopped);
    assert!(anthropic.contains("event: error") && anthropic.contains("The model crashed."));
    // An `error` event, and a stream that just ends: the client's error, not a stop.
    let error = json!({"type": "error", "code": "rate_limit_exceeded", "message": "Slow down."});
    let (chat, stopped) = stream_events_to(RESPONSES, CHAT, &[created.clone(), error]);
    assert!(!stopped && chat.contains("Slow down."), "{chat}");
    let (gemini, stopped) = stream_events_to(RESPONSES, GEMINI_STREAM, &[created, text]);
    assert!(!stopped && gemini.contains("\"error\""), "{gemini}");
}

#[test]
fn a_responses_stream_truncated_by_the_limit_keeps_the_truncation() {
    let events = [
        json!({"type": "response.created", "response": {"id": "resp_1", "model": "gpt-5"}}),
        json!({"type": "response.output_item.added", "output_index": 0, "item": {"type": "message", "id": "msg_1"}}),
        json!({"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0, "delta": "Once upon"}),
        json!({"type": "response.incomplete", "response": {"id": "resp_1", "status": "incomplete",
            "incomplete_details": {"reason": "max_output_tokens"},
            "usage": {"input_tokens": 3, "output_tokens": 16}}}),
    ];
    let (chat, stopped) = stream_events_to(RESPONSES, CHAT, &events);
    assert!(stopped);
    assert!(chat.contains("\"finish_reason\":\"length\""), "{chat}");
    assert!(chat.contains("\"completion_tokens\":16"), "{chat}");
    let (anthropic, _) = stream_events_to(RESPONSES, MESSAGES, &events);
    assert!(
        anthropic.contains("\"stop_reason\":\"max_tokens\""),
        "{anthropic}"
    );
}
