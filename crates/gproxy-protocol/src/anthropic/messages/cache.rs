//! Prompt-cache breakpoints an operator adds to Anthropic Messages requests
//! (`settings.cache_breakpoints`): up to 4 `cache_control` markers in all, the request's own
//! included and never changed; rules fill the free slots in order. Targets: `top_level` (a
//! `cache_control` at the root: Anthropic's automatic caching), `tools`, `system` and
//! `messages` (blocks counted across all messages, or one message's blocks with
//! `content_position`/`content_index`); positions `nth`/`last_nth`, indices 1-based.

use serde::Deserialize;
use serde_json::{Map, Value, json};

/// Anthropic accepts at most this many `cache_control` markers per request.
pub const MAX_BREAKPOINTS: usize = 4;

/// One rule.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheRule {
    pub target: Target,
    #[serde(default)]
    pub position: Option<Position>,
    #[serde(default)]
    pub index: Option<usize>,
    #[serde(default)]
    pub content_position: Option<Position>,
    #[serde(default)]
    pub content_index: Option<usize>,
    #[serde(default)]
    pub ttl: Ttl,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// A `cache_control` at the request's root (automatic caching).
    TopLevel,
    Tools,
    System,
    Messages,
}

/// Counting from the start (`nth`) or from the end (`last_nth`: index 1 is the last).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    Nth,
    LastNth,
}

/// `auto` sends no `ttl` (Anthropic's default, 5 minutes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub enum Ttl {
    #[default]
    #[serde(rename = "auto")]
    Auto,
    #[serde(rename = "5m")]
    FiveMinutes,
    #[serde(rename = "1h")]
    OneHour,
}

impl CacheRule {
    /// Why the rule is unusable, if it is.
    pub fn check(&self) -> Result<(), String> {
        let positioned = self.position.is_some() || self.index.is_some();
        let in_message = self.content_position.is_some() || self.content_index.is_some();
        match self.target {
            Target::TopLevel if positioned || in_message => {
                Err("`top_level` takes no position or index".into())
            }
            Target::Tools | Target::System if in_message => {
                Err("`content_position`/`content_index` apply to `messages` only".into())
            }
            _ if self.index == Some(0) || self.content_index == Some(0) => {
                Err("indices start at 1".into())
            }
            _ => Ok(()),
        }
    }

    fn marker(&self) -> Value {
        match self.ttl {
            Ttl::Auto => json!({"type": "ephemeral"}),
            Ttl::FiveMinutes => json!({"type": "ephemeral", "ttl": "5m"}),
            Ttl::OneHour => json!({"type": "ephemeral", "ttl": "1h"}),
        }
    }
}

/// The 0-based index `position`/`index` (default: the last) picks among `len` items.
fn pick(position: Option<Position>, index: Option<usize>, len: usize) -> Option<usize> {
    let n = index.unwrap_or(1);
    if n == 0 || n > len {
        return None;
    }
    match position.unwrap_or(Position::LastNth) {
        Position::Nth => Some(n - 1),
        Position::LastNth => Some(len - n),
    }
}

/// Whether a block may carry a marker: thinking blocks and empty text blocks may not.
fn markable(block: &Value) -> bool {
    match block.get("type").and_then(Value::as_str) {
        Some("thinking" | "redacted_thinking") => false,
        Some("text") => block
            .get("text")
            .and_then(Value::as_str)
            .is_some_and(|t| !t.is_empty()),
        _ => block.is_object(),
    }
}

/// A string `content`/`system` made one text block, so it can carry a marker.
fn normalize(field: &mut Value) {
    if let Value::String(text) = field {
        *field = json!([{"type": "text", "text": std::mem::take(text)}]);
    }
}

fn markers_in(blocks: Option<&Value>) -> usize {
    blocks.and_then(Value::as_array).map_or(0, |b| {
        b.iter()
            .filter(|x| x.get("cache_control").is_some())
            .count()
    })
}

/// How many markers the request already has.
fn existing(body: &Map<String, Value>) -> usize {
    let top = usize::from(body.contains_key("cache_control"));
    let messages = body
        .get("messages")
        .and_then(Value::as_array)
        .map_or(0, |m| m.iter().map(|m| markers_in(m.get("content"))).sum());
    top + markers_in(body.get("tools")) + markers_in(body.get("system")) + messages
}

/// Puts the rule's marker on `block` unless it has one; whether it did.
fn mark(block: &mut Value, rule: &CacheRule) -> bool {
    if !markable(block) || block.get("cache_control").is_some() {
        return false;
    }
    if let Some(map) = block.as_object_mut() {
        map.insert("cache_control".into(), rule.marker());
        return true;
    }
    false
}

/// Applies `rules` to a Messages request body; returns how many markers it added. A body
/// that is not a JSON object is left alone (the upstream answers it).
pub fn apply(body: &mut Value, rules: &[CacheRule]) -> usize {
    let Some(map) = body.as_object_mut() else {
        return 0;
    };
    let mut free = MAX_BREAKPOINTS.saturating_sub(existing(map));
    let mut added = 0;
    for rule in rules {
        if free == 0 {
            break;
        }
        let placed = match rule.target {
            Target::TopLevel => {
                if map.contains_key("cache_control") {
                    false
                } else {
                    map.insert("cache_control".into(), rule.marker());
                    true
                }
            }
            Target::Tools => map
                .get_mut("tools")
                .and_then(Value::as_array_mut)
                .and_then(|tools| {
                    let i = pick(rule.position, rule.index, tools.len())?;
                    Some(mark(&mut tools[i], rule))
                })
                .unwrap_or(false),
            Target::System => map
                .get_mut("system")
                .and_then(|system| {
                    normalize(system);
                    let blocks = system.as_array_mut()?;
                    let i = pick(rule.position, rule.index, blocks.len())?;
                    Some(mark(&mut blocks[i], rule))
                })
                .unwrap_or(false),
            Target::Messages => mark_message(map, rule),
        };
        if placed {
            free -= 1;
            added += 1;
        }
    }
    added
}

fn mark_message(map: &mut Map<String, Value>, rule: &CacheRule) -> bool {
    let Some(messages) = map.get_mut("messages").and_then(Value::as_array_mut) else {
        return false;
    };
    let in_message = rule.content_position.is_some() || rule.content_index.is_some();
    if in_message {
        let Some(i) = pick(rule.position, rule.index, messages.len()) else {
            return false;
        };
        let Some(content) = messages[i].get_mut("content") else {
            return false;
        };
        // Rewritten only when a marker lands (a string content becomes one text block).
        let mut candidate = content.clone();
        normalize(&mut candidate);
        let Some(blocks) = candidate.as_array_mut() else {
            return false;
        };
        let Some(k) = pick(rule.content_position, rule.content_index, blocks.len()) else {
            return false;
        };
        if !mark(&mut blocks[k], rule) {
            return false;
        }
        *content = candidate;
        return true;
    }
    // Blocks counted across the whole conversation (a string content is one block); only
    // the message whose block is marked is rewritten.
    let places: Vec<(usize, usize)> = messages
        .iter()
        .enumerate()
        .flat_map(|(i, m)| {
            let n = match m.get("content") {
                Some(Value::String(_)) => 1,
                Some(Value::Array(blocks)) => blocks.len(),
                _ => 0,
            };
            (0..n).map(move |k| (i, k))
        })
        .collect();
    let Some((i, k)) = pick(rule.position, rule.index, places.len()).map(|p| places[p]) else {
        return false;
    };
    let Some(content) = messages[i].get_mut("content") else {
        return false;
    };
    if content.is_string() {
        let mut normalized = content.clone();
        normalize(&mut normalized);
        if !markable(&normalized[0]) {
            return false;
        }
        *content = normalized;
    }
    content
        .as_array_mut()
        .and_then(|blocks| blocks.get_mut(k))
        .is_some_and(|block| mark(block, rule))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(toml_like: Value) -> Vec<CacheRule> {
        serde_json::from_value(toml_like).expect("rules")
    }

    fn body() -> Value {
        json!({
            "model": "claude-sonnet-4-5",
            "system": "You are terse.",
            "tools": [{"name": "a", "input_schema": {}}, {"name": "b", "input_schema": {}}],
            "messages": [
                {"role": "user", "content": "first"},
                {"role": "assistant", "content": [{"type": "thinking", "thinking": "t", "signature": "s"},
                                                   {"type": "text", "text": "answer"}]},
                {"role": "user", "content": [{"type": "text", "text": "second"},
                                             {"type": "text", "text": "third"}]}
            ]
        })
    }

    #[test]
    fn rules_fill_the_free_slots_in_order() {
        let mut b = body();
        let added = apply(
            &mut b,
            &rules(json!([
                {"target": "top_level"},
                {"target": "tools", "ttl": "1h"},
                {"target": "system", "position": "nth", "index": 1},
                {"target": "messages", "position": "last_nth", "index": 1, "ttl": "5m"},
                {"target": "messages", "position": "nth", "index": 1}
            ])),
        );
        assert_eq!(added, 4, "the fifth finds no free slot");
        assert_eq!(b["cache_control"], json!({"type": "ephemeral"}));
        assert_eq!(b["tools"][1]["cache_control"]["ttl"], "1h");
        assert!(b["tools"][0].get("cache_control").is_none());
        assert_eq!(b["system"][0]["text"], "You are terse.");
        assert!(b["system"][0]["cache_control"].is_object());
        assert_eq!(b["messages"][2]["content"][1]["cache_control"]["ttl"], "5m");
        assert_eq!(b["messages"][0]["content"], "first", "no slot left for it");
    }

    #[test]
    fn the_requests_own_markers_count_and_stay() {
        let mut b = body();
        b["messages"][2]["content"][1]["cache_control"] = json!({"type": "ephemeral", "ttl": "1h"});
        b["tools"][0]["cache_control"] = json!({"type": "ephemeral"});
        b["tools"][1]["cache_control"] = json!({"type": "ephemeral"});
        let added = apply(
            &mut b,
            &rules(json!([
                {"target": "messages", "position": "last_nth", "index": 1, "ttl": "5m"},
                {"target": "messages", "position": "last_nth", "index": 2},
                {"target": "top_level"}
            ])),
        );
        assert_eq!(added, 1, "three were taken; the last block kept its own");
        assert_eq!(b["messages"][2]["content"][1]["cache_control"]["ttl"], "1h");
        assert!(b["messages"][2]["content"][0]["cache_control"].is_object());
        assert!(b.get("cache_control").is_none());
    }

    #[test]
    fn a_block_inside_one_message_and_unmarkable_blocks() {
        let mut b = body();
        let added = apply(
            &mut b,
            &rules(json!([
                {"target": "messages", "position": "nth", "index": 2,
                 "content_position": "nth", "content_index": 1},
                {"target": "messages", "position": "nth", "index": 1,
                 "content_position": "last_nth", "content_index": 1},
                {"target": "tools", "position": "nth", "index": 9}
            ])),
        );
        assert_eq!(
            added, 1,
            "thinking blocks take no marker; index 9 is out of range"
        );
        assert!(
            b["messages"][1]["content"][0]
                .get("cache_control")
                .is_none()
        );
        assert_eq!(
            b["messages"][0]["content"],
            json!([{"type": "text", "text": "first", "cache_control": {"type": "ephemeral"}}]),
            "a string content became one marked text block"
        );
    }

    #[test]
    fn bad_rules_are_named() {
        for (rule, needle) in [
            (json!({"target": "top_level", "index": 1}), "no position"),
            (
                json!({"target": "tools", "content_index": 1}),
                "`messages` only",
            ),
            (json!({"target": "messages", "index": 0}), "start at 1"),
        ] {
            let rule: CacheRule = serde_json::from_value(rule).expect("parses");
            assert!(rule.check().expect_err("invalid").contains(needle));
        }
        assert!(serde_json::from_value::<CacheRule>(json!({"target": "everything"})).is_err());
        assert!(
            serde_json::from_value::<CacheRule>(json!({"target": "tools", "ttl": "2h"})).is_err()
        );
    }
}
