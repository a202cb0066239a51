//! Token estimates with a bundled tokenizer (tiktoken's `o200k_base`), for a stream that
//! ended before the upstream reported its usage: OpenAI reports usage only in the last
//! chunk, Anthropic the output only in `message_delta`. A request that produced output is
//! never recorded as free; an estimated record says so (`estimated`).

use bytes::Bytes;
use gproxy_protocol::Usage;
use gproxy_protocol::text::request_text;

/// Tokens in `text` (0 for empty text, without loading the tokenizer). The first call loads
/// the tokenizer (a few hundred milliseconds): call it off the async workers.
pub fn count_tokens(text: &str) -> u64 {
    if text.is_empty() {
        return 0;
    }
    let bpe = tiktoken_rs::o200k_base_singleton();
    u64::try_from(bpe.encode_ordinary(text).len()).unwrap_or(u64::MAX)
}

/// What the upstream reported, completed with estimates where it reported less than what
/// demonstrably happened: input from the request's text when none was reported, output from
/// the text relayed to the client when that is more than reported. The flag says whether an
/// estimate was used.
pub fn complete_usage(reported: Option<Usage>, request: &Bytes, relayed: &str) -> (Usage, bool) {
    let mut usage = reported.unwrap_or_default();
    let mut estimated = false;
    if usage.input_tokens == 0 {
        let input = count_tokens(&request_text(request));
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
