//! Golden tests of the prompt-cache breakpoints operators add to Anthropic requests: the
//! reference's example rule sets applied to the fixture request (which carries a marker of
//! its own), and a request translated from Chat.

use super::{CHAT, MESSAGES, decode, fixture};
use gproxy_protocol::anthropic::messages::cache::{CacheRule, apply};
use gproxy_protocol::openai::chat::Dialect;
use gproxy_protocol::translate;
use serde_json::{Value, json};

fn rules(v: Value) -> Vec<CacheRule> {
    serde_json::from_value(v).expect("rules")
}

#[test]
fn breakpoints_are_injected_as_the_reference_describes() {
    let anthropic_rules = rules(json!([
        {"target": "top_level", "ttl": "auto"},
        {"target": "messages", "position": "last_nth", "index": 1, "ttl": "5m"},
        {"target": "messages", "position": "last_nth", "index": 1,
         "content_position": "last_nth", "content_index": 1, "ttl": "5m"}
    ]));
    let mut body: Value =
        serde_json::from_slice(&fixture("requests/anthropic.json")).expect("fixture");
    let added = apply(&mut body, &anthropic_rules);
    assert_eq!(added, 2, "the third rule finds its block already marked");
    insta::assert_json_snapshot!("cache_breakpoints_on_the_anthropic_fixture", body);

    let claudecode_rules = rules(json!([
        {"target": "top_level", "ttl": "auto"},
        {"target": "tools", "ttl": "1h"},
        {"target": "system", "position": "nth", "index": 1, "ttl": "1h"},
        {"target": "messages", "position": "last_nth", "index": 1,
         "content_position": "last_nth", "content_index": 1, "ttl": "1h"}
    ]));
    let request = decode("chat", CHAT);
    let encoded = translate::encode_request(MESSAGES, &request, Dialect::OpenAi)
        .expect("encodes for Anthropic");
    let mut body: Value = serde_json::from_slice(&encoded).expect("json");
    apply(&mut body, &claudecode_rules);
    insta::assert_json_snapshot!("cache_breakpoints_on_a_translated_request", body);
}
