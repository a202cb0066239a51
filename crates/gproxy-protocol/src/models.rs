//! Model lists as upstreams return them, filtered to what a caller may see: the list a
//! provider returns names every model its key reaches, not only those the caller may use.

use crate::Protocol;
use serde_json::Value;

/// The array of model objects in a list body, and how an entry's id is read.
fn entries(protocol: Protocol, body: &mut Value) -> Option<&mut Vec<Value>> {
    let key = match protocol {
        Protocol::OpenAi | Protocol::Anthropic => "data",
        Protocol::Gemini => "models",
    };
    body.get_mut(key)?.as_array_mut()
}

/// A list entry's model id: `id` (OpenAI, Anthropic), or Gemini's `name` without `models/`.
fn entry_id(protocol: Protocol, entry: &Value) -> Option<&str> {
    match protocol {
        Protocol::OpenAi | Protocol::Anthropic => entry.get("id")?.as_str(),
        Protocol::Gemini => {
            let name = entry.get("name")?.as_str()?;
            Some(name.strip_prefix("models/").unwrap_or(name))
        }
    }
}

/// The list body with only the entries whose id `keep` accepts (entries without an id are
/// dropped too); Anthropic's `first_id`/`last_id` follow. `None` when `body` is not a model
/// list of `protocol`.
pub fn retain_models(
    protocol: Protocol,
    body: &[u8],
    keep: impl Fn(&str) -> bool,
) -> Option<Vec<u8>> {
    let mut value: Value = serde_json::from_slice(body).ok()?;
    let list = entries(protocol, &mut value)?;
    list.retain(|entry| entry_id(protocol, entry).is_some_and(&keep));
    if protocol == Protocol::Anthropic {
        let first = list.first().and_then(|e| e.get("id")).cloned();
        let last = list.last().and_then(|e| e.get("id")).cloned();
        if let Some(obj) = value.as_object_mut() {
            if obj.contains_key("first_id") {
                obj.insert("first_id".into(), first.unwrap_or(Value::Null));
            }
            if obj.contains_key("last_id") {
                obj.insert("last_id".into(), last.unwrap_or(Value::Null));
            }
        }
    }
    serde_json::to_vec(&value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keep_gpt(id: &str) -> bool {
        id.starts_with("gpt-")
    }

    #[test]
    fn filters_each_protocols_list() {
        let body = json!({"object": "list", "data": [{"id": "gpt-4.1"}, {"id": "o3"}, {"x": 1}]});
        let out =
            retain_models(Protocol::OpenAi, body.to_string().as_bytes(), keep_gpt).expect("list");
        let v: Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(v, json!({"object": "list", "data": [{"id": "gpt-4.1"}]}));

        let body = json!({"data": [{"id": "o3"}, {"id": "gpt-a"}, {"id": "gpt-b"}, {"id": "z"}],
                          "has_more": false, "first_id": "o3", "last_id": "z"});
        let out = retain_models(Protocol::Anthropic, body.to_string().as_bytes(), keep_gpt)
            .expect("list");
        let v: Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(v["first_id"], "gpt-a");
        assert_eq!(v["last_id"], "gpt-b");
        assert_eq!(v["data"].as_array().map(Vec::len), Some(2));

        let body = json!({"models": [{"name": "models/gpt-x"}, {"name": "models/gemini"}]});
        let out =
            retain_models(Protocol::Gemini, body.to_string().as_bytes(), keep_gpt).expect("list");
        let v: Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(v, json!({"models": [{"name": "models/gpt-x"}]}));
    }

    #[test]
    fn not_a_list() {
        assert!(retain_models(Protocol::OpenAi, b"{\"error\":{}}", keep_gpt).is_none());
        assert!(retain_models(Protocol::Gemini, b"[]", keep_gpt).is_none());
    }
}
