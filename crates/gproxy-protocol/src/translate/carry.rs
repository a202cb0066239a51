//! Anthropic thinking carried through clients of other protocols: the thinking blocks of a
//! turn (text and signature, or a redacted block's data) travel sealed in a field the client
//! sends back whole: a Responses reasoning item's `encrypted_content` (Codex, `store:
//! false`), a Gemini function call's `thoughtSignature` (Gemini CLI). Read back, the blocks
//! reach Anthropic unchanged, so thinking stays on in tool loops. OpenAI's own encrypted
//! reasoning (a Responses upstream) travels the same way, marked ([`seal_openai`]).

use crate::ir::Part;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};

/// Marks content the gateway sealed (OpenAI's encrypted content and Gemini's signatures
/// never decode to it). The sealed value is plain base64 of this and the JSON, so typed
/// SDKs that hold `thoughtSignature` as bytes (Go, Python) read and send it back intact.
const PREFIX: &[u8] = b"gproxy.thinking.v1:";

/// One thinking block.
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

/// The sealed form of the Anthropic thinking blocks among `parts` (those with a signature
/// or redacted data); `None` when there are none (reasoning another provider made cannot
/// be sent back anyway).
pub fn seal<'a>(parts: impl IntoIterator<Item = &'a Part>) -> Option<String> {
    let blocks: Vec<Carried> = parts
        .into_iter()
        .filter_map(|p| match p {
            Part::Reasoning {
                text,
                signature,
                redacted,
            } if signature.is_some() || redacted.is_some() => Some(Carried {
                t: text.clone(),
                s: signature.clone(),
                r: redacted.clone(),
            }),
            _ => None,
        })
        .collect();
    if blocks.is_empty() {
        return None;
    }
    let mut bytes = PREFIX.to_vec();
    serde_json::to_writer(&mut bytes, &blocks).ok()?;
    Some(STANDARD.encode(bytes))
}

/// The thinking blocks (as IR reasoning parts) of content [`seal`] made; `None` for
/// anything else.
pub fn open(content: &str) -> Option<Vec<Part>> {
    // An SDK may send bytes back in the URL-safe alphabet, with or without padding.
    let trimmed = content.trim_end_matches('=');
    let bytes = STANDARD
        .decode(content)
        .or_else(|_| URL_SAFE_NO_PAD.decode(trimmed))
        .ok()?;
    let blocks: Vec<Carried> = serde_json::from_slice(bytes.strip_prefix(PREFIX)?).ok()?;
    let parts: Vec<Part> = blocks
        .into_iter()
        .filter(|b| b.s.is_some() || b.r.is_some())
        .map(|b| Part::Reasoning {
            text: b.t,
            signature: b.s,
            redacted: b.r,
        })
        .collect();
    (!parts.is_empty()).then_some(parts)
}

/// Marks an OpenAI reasoning item's `encrypted_content` held as a reasoning signature in the
/// IR, so it goes back only to a Responses upstream (Anthropic would reject it).
const OPENAI_PREFIX: &str = "gproxy.openai.v1:";

/// The IR signature that carries OpenAI's `encrypted_content` (a Responses upstream's
/// reasoning) through clients of other protocols.
pub fn seal_openai(encrypted: &str) -> String {
    format!("{OPENAI_PREFIX}{encrypted}")
}

/// OpenAI's `encrypted_content` in a signature [`seal_openai`] made; `None` for any other
/// signature (Anthropic's, the gateway's own sealed thinking).
pub fn open_openai(signature: &str) -> Option<&str> {
    signature
        .strip_prefix(OPENAI_PREFIX)
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reasoning(text: &str, signature: Option<&str>, redacted: Option<&str>) -> Part {
        Part::Reasoning {
            text: text.into(),
            signature: signature.map(Into::into),
            redacted: redacted.map(Into::into),
        }
    }

    #[test]
    fn sealed_thinking_opens_unchanged() {
        let blocks = [
            reasoning("Let me check.\n", Some("sig=="), None),
            reasoning("", None, Some("opaque")),
        ];
        let sealed = seal(&blocks).expect("sealed");
        assert_eq!(open(&sealed), Some(blocks.to_vec()));
        assert_eq!(seal(&[reasoning("unsigned", None, None)]), None);
        assert_eq!(seal(&[Part::Text("hi".into())]), None);
        // Valid base64, also as an SDK may send it back (URL-safe, unpadded).
        assert!(STANDARD.decode(&sealed).is_ok());
        let url_safe = URL_SAFE_NO_PAD.encode(STANDARD.decode(&sealed).expect("b64"));
        assert_eq!(open(&url_safe), Some(blocks.to_vec()));
        assert_eq!(open("gAAAAABopenai-encrypted"), None);
        assert_eq!(open("not base64!"), None);
        assert_eq!(open(&STANDARD.encode(b"gproxy.thinking.v1:[]")), None);
        assert_eq!(open(&STANDARD.encode(b"other prefix:[]")), None);
    }

    #[test]
    fn openai_reasoning_is_marked_and_survives_the_gemini_seal() {
        let sig = seal_openai("gAAAAB-openai");
        assert_eq!(open_openai(&sig), Some("gAAAAB-openai"));
        assert_eq!(open_openai("EqQBCkgIAhABGAIiQ"), None);
        assert_eq!(open_openai(&seal_openai("")), None);
        // A Gemini client carries it in a call's thoughtSignature and sends it back whole.
        let part = reasoning("summary", Some(&sig), None);
        let sealed = seal(std::slice::from_ref(&part)).expect("sealed");
        assert_eq!(open(&sealed), Some(vec![part]));
    }
}
