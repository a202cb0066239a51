//! Token estimates with a bundled tokenizer (tiktoken's `o200k_base`), for a stream that
//! ended before the upstream reported its usage: OpenAI reports usage only in the last
//! chunk, Anthropic the output only in `message_delta`. A request that produced output is
//! never recorded as free; an estimated record says so (`estimated`).

use bytes::Bytes;
use gproxy_protocol::Usage;
use gproxy_protocol::text::body_text;

/// Text is tokenized in pieces of at most this many bytes: BPE merging is quadratic in the
/// length of one word, and a client could send a megabyte without a space.
const PIECE_BYTES: usize = 2048;
/// At most this much text is tokenized; the rest is extrapolated by length, so an estimate
/// never costs more than a few milliseconds whatever the request size.
const MAX_TOKENIZED_BYTES: usize = 256 * 1024;

/// Tokens in `text` (0 for empty text, without loading the tokenizer). The first call loads
/// the tokenizer (a few hundred milliseconds): call it off the async workers.
pub fn count_tokens(text: &str) -> u64 {
    if text.is_empty() {
        return 0;
    }
    let bpe = tiktoken_rs::o200k_base_singleton();
    let mut tokens = 0usize;
    let mut done = 0usize;
    let mut rest = text;
    while !rest.is_empty() && done < MAX_TOKENIZED_BYTES {
        let piece = piece_of(rest);
        tokens += bpe.encode_ordinary(piece).len();
        done += piece.len();
        rest = &rest[piece.len()..];
    }
    let tokens = u64::try_from(tokens).unwrap_or(u64::MAX);
    if rest.is_empty() {
        return tokens;
    }
    // Extrapolate what was not tokenized at the rate of what was.
    let total = u64::try_from(text.len()).unwrap_or(u64::MAX);
    let done = u64::try_from(done).unwrap_or(1).max(1);
    tokens.saturating_mul(total) / done
}

/// The first piece of `text`: at most [`PIECE_BYTES`], ending after whitespace where there
/// is some (so words stay whole), always on a character boundary.
fn piece_of(text: &str) -> &str {
    if text.len() <= PIECE_BYTES {
        return text;
    }
    let mut end = PIECE_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let cut = text[..end]
        .rfind(char::is_whitespace)
        .map(|i| i + 1)
        .filter(|i| *i > end / 2)
        .unwrap_or(end);
    &text[..cut]
}

/// What the upstream reported, completed with estimates where it reported less than what
/// demonstrably happened: input from the request's text when none was reported, output from
/// the text relayed to the client when that is more than reported. The flag says whether an
/// estimate was used.
pub fn complete_usage(reported: Option<Usage>, request: &Bytes, relayed: &str) -> (Usage, bool) {
    let mut usage = reported.unwrap_or_default();
    let mut estimated = false;
    if usage.input_tokens == 0 {
        let input = count_tokens(&body_text(request));
        if input > 0 {
            usage.input_tokens = input;
            estimated = true;
        }
    }
    let output = count_tokens(relayed);
    if output > usage.output_tokens {
        usage.output_tokens = output;
        estimated = true;
    }
    (usage, estimated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_with_the_bundled_tokenizer() {
        assert_eq!(count_tokens(""), 0);
        assert_eq!(count_tokens("hello world"), 2);
        // Pieces do not change a text of ordinary words much.
        let words = "the quick brown fox jumps over the lazy dog ".repeat(200);
        let whole = tiktoken_rs::o200k_base_singleton()
            .encode_ordinary(&words)
            .len() as u64;
        let pieces = count_tokens(&words);
        assert!(pieces.abs_diff(whole) * 50 <= whole, "{pieces} vs {whole}");
    }

    #[test]
    fn huge_and_spaceless_texts_are_extrapolated() {
        // 8 MiB without a space: only the first 256 KiB are tokenized, in 2 KiB pieces.
        let blob = "é".repeat(4 * 1024 * 1024);
        let sample = count_tokens(&blob[..MAX_TOKENIZED_BYTES]);
        let n = count_tokens(&blob);
        assert_eq!(n, sample * 32, "extrapolated by length");
        assert_eq!(piece_of("ab").len(), 2);
        let mixed = format!("{} {}", "a".repeat(1500), "b".repeat(1500));
        assert_eq!(piece_of(&mixed).len(), 1501, "cut after the space");
    }

    #[test]
    fn fills_in_only_what_is_missing() {
        let request =
            Bytes::from_static(br#"{"messages":[{"role":"user","content":"hello world"}]}"#);
        let (u, est) = complete_usage(None, &request, "one two three");
        assert!(est);
        assert!(u.input_tokens >= 2, "{u:?}");
        assert_eq!(u.output_tokens, 3);

        // Anthropic: input reported at message_start, output only at the end.
        let reported = Usage {
            input_tokens: 50,
            output_tokens: 1,
            ..Usage::default()
        };
        let (u, est) = complete_usage(Some(reported), &request, "one two three");
        assert!(est);
        assert_eq!((u.input_tokens, u.output_tokens), (50, 3));

        // Everything reported: nothing estimated.
        let reported = Usage {
            input_tokens: 50,
            output_tokens: 9,
            ..Usage::default()
        };
        assert_eq!(
            complete_usage(Some(reported), &request, "one two"),
            (reported, false)
        );
    }
}
