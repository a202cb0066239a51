//! The bundled price table: list prices (USD per million tokens) of the common models of each
//! vendor channel, as the vendors published them in 2025, so that cost tracking works out of
//! the box. A `[[models]]` row with any price field (seed or admin API) replaces the entry for
//! that provider's model; custom and other channels are priced only by their rows.
//!
//! A model id matches its entry exactly, or as the entry followed by a `-` suffix (dated and
//! tagged versions: `gpt-4.1-2025-04-14`, `claude-sonnet-4-5-20250929`); the longest entry
//! wins, so `gpt-4.1-mini` is not priced as `gpt-4.1`.

use super::money::Money;
use super::price::ModelPrice;
use gproxy_channels::ChannelKind;

/// `(model, input, output, cache read, cache write)`; cache writes at the input price where
/// the vendor charges nothing extra for them.
type Entry = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const OPENAI: &[Entry] = &[
    ("gpt-5", "1.25", "10", "0.125", "1.25"),
    ("gpt-5-mini", "0.25", "2", "0.025", "0.25"),
    ("gpt-5-nano", "0.05", "0.4", "0.005", "0.05"),
    ("gpt-5-pro", "15", "120", "15", "15"),
    ("gpt-4.1", "2", "8", "0.5", "2"),
    ("gpt-4.1-mini", "0.4", "1.6", "0.1", "0.4"),
    ("gpt-4.1-nano", "0.1", "0.4", "0.025", "0.1"),
    ("gpt-4o", "2.5", "10", "1.25", "2.5"),
    ("gpt-4o-mini", "0.15", "0.6", "0.075", "0.15"),
    ("o1", "15", "60", "7.5", "15"),
    ("o3", "2", "8", "0.5", "2"),
    ("o3-pro", "20", "80", "20", "20"),
    ("o3-mini", "1.1", "4.4", "0.55", "1.1"),
    ("o4-mini", "1.1", "4.4", "0.275", "1.1"),
    ("text-embedding-3-small", "0.02", "0", "0.02", "0.02"),
    ("text-embedding-3-large", "0.13", "0", "0.13", "0.13"),
];

const ANTHROPIC: &[Entry] = &[
    ("claude-opus-4-5", "5", "25", "0.5", "6.25"),
    ("claude-opus-4-1", "15", "75", "1.5", "18.75"),
    ("claude-opus-4", "15", "75", "1.5", "18.75"),
    ("claude-sonnet-4-5", "3", "15", "0.3", "3.75"),
    ("claude-sonnet-4", "3", "15", "0.3", "3.75"),
    ("claude-3-7-sonnet", "3", "15", "0.3", "3.75"),
    ("claude-haiku-4-5", "1", "5", "0.1", "1.25"),
    ("claude-3-5-haiku", "0.8", "4", "0.08", "1"),
];

const GEMINI: &[Entry] = &[
    ("gemini-3-pro-preview", "2", "12", "0.2", "2"),
    ("gemini-2.5-pro", "1.25", "10", "0.125", "1.25"),
    ("gemini-2.5-flash", "0.3", "2.5", "0.03", "0.3"),
    ("gemini-2.5-flash-lite", "0.1", "0.4", "0.01", "0.1"),
    ("gemini-2.0-flash", "0.1", "0.4", "0.025", "0.1"),
    ("gemini-2.0-flash-lite", "0.075", "0.3", "0.075", "0.075"),
];

const DEEPSEEK: &[Entry] = &[
    ("deepseek-chat", "0.28", "0.42", "0.028", "0.28"),
    ("deepseek-reasoner", "0.28", "0.42", "0.028", "0.28"),
];

fn table(kind: ChannelKind) -> &'static [Entry] {
    match kind {
        ChannelKind::OpenAi => OPENAI,
        ChannelKind::Anthropic => ANTHROPIC,
        ChannelKind::AiStudio => GEMINI,
        ChannelKind::DeepSeek => DEEPSEEK,
        ChannelKind::Nvidia | ChannelKind::Custom => &[],
    }
}

/// The bundled price of `model` on a channel of `kind`, if the table has one.
pub fn price(kind: ChannelKind, model: &str) -> Option<ModelPrice> {
    let model = model.strip_prefix("models/").unwrap_or(model);
    let (_, input, output, read, write) = table(kind)
        .iter()
        .filter(|(name, ..)| {
            model == *name
                || model
                    .strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with('-'))
        })
        .max_by_key(|(name, ..)| name.len())?;
    let m = |s: &str| s.parse::<Money>().ok();
    Some(ModelPrice {
        input: m(input)?,
        output: m(output)?,
        cache_read: Some(m(read)?),
        cache_write: Some(m(write)?),
        each_call: Money::ZERO,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_parses() {
        for kind in [
            ChannelKind::OpenAi,
            ChannelKind::Anthropic,
            ChannelKind::AiStudio,
            ChannelKind::DeepSeek,
        ] {
            for (name, ..) in table(kind) {
                assert!(price(kind, name).is_some(), "{name}");
            }
        }
    }

    #[test]
    fn versions_match_their_family_and_the_longest_entry_wins() {
        let p = |kind, model| price(kind, model).map(|p| p.input.to_string());
        assert_eq!(
            p(ChannelKind::OpenAi, "gpt-4.1-2025-04-14").as_deref(),
            Some("2")
        );
        assert_eq!(
            p(ChannelKind::OpenAi, "gpt-4.1-mini").as_deref(),
            Some("0.4")
        );
        assert_eq!(
            p(ChannelKind::OpenAi, "gpt-4.1-mini-2025-04-14").as_deref(),
            Some("0.4")
        );
        assert_eq!(
            p(ChannelKind::OpenAi, "gpt-5-pro-2025-10-06").as_deref(),
            Some("15")
        );
        assert_eq!(
            p(ChannelKind::Anthropic, "claude-sonnet-4-5-20250929").as_deref(),
            Some("3")
        );
        assert_eq!(
            p(ChannelKind::AiStudio, "models/gemini-2.5-flash").as_deref(),
            Some("0.3")
        );
        assert_eq!(
            p(ChannelKind::OpenAi, "gpt-4.10"),
            None,
            "not a dash suffix"
        );
        assert_eq!(
            p(ChannelKind::Custom, "gpt-4.1"),
            None,
            "custom channels are priced by rows"
        );
        assert_eq!(
            p(ChannelKind::OpenAi, "claude-sonnet-4-5"),
            None,
            "per channel"
        );
    }
}
