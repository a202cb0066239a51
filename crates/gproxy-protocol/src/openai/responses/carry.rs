//! Anthropic thinking carried through a Responses client: the thinking text and its
//! signature (or a redacted block's data) travel in the reasoning item's `encrypted_content`,
//! which clients that keep no server state (Codex, `store: false`) send back whole. Read
//! back, the block reaches Anthropic unchanged, so thinking stays on in tool loops.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

/// Marks content the gateway sealed (OpenAI's own encrypted content never starts so).
const PREFIX: &str = "gproxy.thinking.v1:";

#[derive(Debug, Default, Deserialize, Serialize, PartialEq)]
struct Carried {
    /// The thinking text, exactly as Anthropic sent it (the signature covers it).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    t: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    s: Option<String>,
    /// A `redacted_thinking` block's data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    r: Option<String>,
}

/// The `encrypted_content` carrying a thinking block; `None` without a signature or
/// redacted data (reasoning another provider made cannot be sent back anyway).
pub fn seal(text: &str, signature: Option<&str>, redacted: Option<&str>) -> Option<String> {
    if signature.is_none() && redacted.is_none() {
        return None;
    }
    let carried = Carried {
        t: text.to_owned(),
        s: signature.map(str::to_owned),
        r: redacted.map(str::to_owned),
    };
    let json = serde_json::to_vec(&carried).ok()?;
    Some(format!("{PREFIX}{}", STANDARD.encode(json)))
}

/// `(text, signature, redacted)` of content [`seal`] made; `None` for anything else.
pub fn open(content: &str) -> Option<(String, Option<String>, Option<String>)> {
    let bytes = STANDARD.decode(content.strip_prefix(PREFIX)?).ok()?;
    let c: Carried = serde_json::from_slice(&bytes).ok()?;
    (c.s.is_some() || c.r.is_some()).then_some((c.t, c.s, c.r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_thinking_opens_unchanged() {
        let sealed = seal("Let me check.\n", Some("sig=="), None).expect("sealed");
        assert_eq!(
            open(&sealed),
            Some(("Let me check.\n".into(), Some("sig==".into()), None))
        );
        let redacted = seal("", None, Some("opaque")).expect("sealed");
        assert_eq!(
            open(&redacted),
            Some((String::new(), None, Some("opaque".into())))
        );
        assert_eq!(seal("unsigned", None, None), None);
        assert_eq!(open("gAAAAABopenai-encrypted"), None);
        assert_eq!(open(&format!("{PREFIX}not base64!")), None);
    }
}
