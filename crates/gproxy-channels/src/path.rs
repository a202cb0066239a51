//! Client-supplied path text (model ids) is data: checked here before it may name anything
//! upstream, and percent-encoded segment by segment when an upstream URL is built, so a
//! caller can never steer the provider's credential to another path of the provider's API.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use std::borrow::Cow;

/// Why a model id cannot be part of an upstream path. Messages quote the id with `{:?}` so
/// control characters show escaped.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("the model id is empty")]
    Empty,
    #[error("model id {0:?} contains a `.` or `..` path segment")]
    DotSegment(String),
    #[error("model id {0:?} contains an empty path segment")]
    EmptySegment(String),
    #[error("model id {0:?} contains `?`, `#` or a control character")]
    Forbidden(String),
    #[error("model id {0:?} is percent-encoded too many times")]
    TooEncoded(String),
}

/// How many layers of percent-encoding are looked through for a hidden dot segment.
const MAX_DECODE_ROUNDS: usize = 4;

/// Bytes left as they are inside one encoded segment: RFC 3986 unreserved characters plus
/// `:` and `@` (fine in a path segment, and part of real model ids such as OpenAI's
/// `ft:gpt-4o-mini:org::id`). Everything else, `%` and `/` and `\` included, is encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b':')
    .remove(b'@');

/// Checks a model id taken from a client (path or body) before it becomes part of an upstream
/// path: not empty; no `?`, `#` or control characters; no `.`/`..` or empty segment, whether
/// the separator is `/` or `\` and however many times the id was percent-encoded. Slashes
/// between ordinary segments are allowed (`meta/llama-3.1-8b-instruct`).
pub fn check_model_id(id: &str) -> Result<(), PathError> {
    if id.is_empty() {
        return Err(PathError::Empty);
    }
    let mut current = Cow::Borrowed(id);
    for _ in 0..MAX_DECODE_ROUNDS {
        check_plain(id, &current)?;
        let decoded = percent_decode_str(&current).decode_utf8_lossy();
        if decoded == current {
            return Ok(());
        }
        current = Cow::Owned(decoded.into_owned());
    }
    Err(PathError::TooEncoded(id.to_owned()))
}

/// One decoding layer of [`check_model_id`]; errors quote the id as the client sent it.
fn check_plain(original: &str, text: &str) -> Result<(), PathError> {
    if text.chars().any(|c| c == '?' || c == '#' || c.is_control()) {
        return Err(PathError::Forbidden(original.to_owned()));
    }
    for segment in text.split(['/', '\\']) {
        match segment {
            "" => return Err(PathError::EmptySegment(original.to_owned())),
            "." | ".." => return Err(PathError::DotSegment(original.to_owned())),
            _ => {}
        }
    }
    Ok(())
}

/// The id as upstream path text: each `/`-separated segment percent-encoded (`%` included),
/// the slashes between them kept. Call [`check_model_id`] first; this only encodes.
pub fn encode_model_path(id: &str) -> String {
    let mut out = String::with_capacity(id.len() + 8);
    for (i, segment) in id.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.extend(utf8_percent_encode(segment, SEGMENT));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_ids_pass_and_keep_their_slashes() {
        for id in [
            "gpt-4.1",
            "claude-sonnet-4-5",
            "meta/llama-3.1-8b-instruct",
            "ft:gpt-4o-mini:org::abc",
            "models.v2",
            "a..b",
        ] {
            assert_eq!(check_model_id(id), Ok(()), "{id}");
        }
        assert_eq!(
            encode_model_path("meta/llama-3.1-8b-instruct"),
            "meta/llama-3.1-8b-instruct"
        );
        assert_eq!(encode_model_path("ft:x@y"), "ft:x@y");
    }

    #[test]
    fn traversal_in_every_spelling_is_refused() {
        for id in [
            "..",
            ".",
            "../files",
            "a/../../admin/secret",
            "..%2Ffiles",
            "..%252Ffiles",
            "%2e%2e/files",
            "%252e%252e%252ffiles",
            "..\\files",
            "..%5Cfiles",
            "x/./y",
        ] {
            assert!(
                matches!(check_model_id(id), Err(PathError::DotSegment(_))),
                "{id}: {:?}",
                check_model_id(id)
            );
        }
    }

    #[test]
    fn query_fragment_control_and_empty_are_refused() {
        for id in [
            "x?delete",
            "x%3Fdelete",
            "x#frag",
            "x%2523y",
            "x\ny",
            "x%0Ay",
            "x\u{7f}",
        ] {
            assert!(
                matches!(check_model_id(id), Err(PathError::Forbidden(_))),
                "{id}"
            );
        }
        assert_eq!(check_model_id(""), Err(PathError::Empty));
        assert!(matches!(
            check_model_id("a//b"),
            Err(PathError::EmptySegment(_))
        ));
        assert!(matches!(
            check_model_id("/gpt"),
            Err(PathError::EmptySegment(_))
        ));
        assert!(matches!(
            check_model_id("%25252525252e"),
            Err(PathError::TooEncoded(_))
        ));
    }

    #[test]
    fn encoding_covers_percent_and_separators() {
        assert_eq!(encode_model_path("a%2Fb"), "a%252Fb");
        assert_eq!(encode_model_path("a b"), "a%20b");
        assert_eq!(encode_model_path("a\\b"), "a%5Cb");
        assert_eq!(encode_model_path("é"), "%C3%A9");
        assert_eq!(encode_model_path("x?y#z"), "x%3Fy%23z");
    }

    #[test]
    fn error_messages_escape_control_characters() {
        let err = check_model_id("x\ny").expect_err("control");
        assert!(err.to_string().contains("\\n"), "{err}");
    }
}
