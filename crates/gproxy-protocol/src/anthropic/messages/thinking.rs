//! Which thinking a Claude model takes: from 4.6 on only adaptive thinking with an effort,
//! before that only a token budget. The request's reasoning is expressed the model's way.

/// How a model is asked to think.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// `{"type": "adaptive"}` with `output_config.effort` (Claude 4.6 and later).
    Adaptive,
    /// `{"type": "enabled", "budget_tokens": n}` (Claude 3.7 to 4.5).
    Budget,
    /// Claude before 3.7: no extended thinking; the request's reasoning is not sent.
    None,
    /// Not a Claude model id the gateway can date (an alias, a compatible server): the
    /// request's own form is kept (an effort adaptive, a budget enabled).
    AsAsked,
}

/// The first Claude version that takes only adaptive thinking.
const ADAPTIVE_FROM: (u32, u32) = (4, 6);
/// The first Claude version that thinks.
const THINKING_FROM: (u32, u32) = (3, 7);

/// `(major, minor)` of a Claude model id in any of its spellings: `claude-opus-4-6`,
/// `claude-sonnet-4-20250514`, `claude-3-7-sonnet-latest`, Bedrock's
/// `us.anthropic.claude-opus-4-1-20250805-v1:0`, Vertex's `claude-sonnet-4-5@20250929`.
pub fn claude_version(model: &str) -> Option<(u32, u32)> {
    let rest = &model[model.find("claude-")? + "claude-".len()..];
    let mut tokens = rest
        .split(|c: char| !c.is_ascii_alphanumeric())
        .skip_while(|t| !is_version_number(t));
    let major = tokens.next()?.parse().ok()?;
    let minor = tokens
        .next()
        .filter(|t| is_version_number(t))
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    Some((major, minor))
}

/// A version number, not a date stamp (`20250514`).
fn is_version_number(token: &str) -> bool {
    (1..=2).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_digit())
}

/// How `model` is asked to think.
pub fn style(model: &str) -> Style {
    match claude_version(model) {
        Some(v) if v >= ADAPTIVE_FROM => Style::Adaptive,
        Some(v) if v >= THINKING_FROM => Style::Budget,
        Some(_) => Style::None,
        None => Style::AsAsked,
    }
}

/// Anthropic's effort level for a client's (OpenAI's `minimal`…`xhigh`, Gemini's levels).
pub fn effort(effort: &str) -> &'static str {
    match effort {
        "minimal" | "low" | "none" => "low",
        "high" => "high",
        "max" | "xhigh" => "max",
        _ => "medium",
    }
}

/// The thinking budget standing for an effort on a budget-only model.
pub fn budget_for_effort(effort_level: &str) -> u64 {
    match effort(effort_level) {
        "low" => 2_048,
        "high" => 16_384,
        "max" => 32_768,
        _ => 8_192,
    }
}

/// The effort standing for a thinking budget on an adaptive-only model.
pub fn effort_for_budget(budget: u64) -> &'static str {
    match budget {
        0..4_096 => "low",
        4_096..12_288 => "medium",
        _ => "high",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_in_every_spelling() {
        for (id, v) in [
            ("claude-opus-4-6", Some((4, 6))),
            ("claude-sonnet-4-20250514", Some((4, 0))),
            ("claude-opus-4-1-20250805", Some((4, 1))),
            ("claude-3-7-sonnet-latest", Some((3, 7))),
            ("claude-3-opus-20240229", Some((3, 0))),
            ("us.anthropic.claude-opus-4-1-20250805-v1:0", Some((4, 1))),
            ("claude-sonnet-4-5@20250929", Some((4, 5))),
            ("claude-haiku-5", Some((5, 0))),
            ("claude-opus-4-7[1m]", Some((4, 7))),
            ("anthropic/claude-sonnet-4.5", Some((4, 5))),
            ("claude-3-5-sonnet-20241022", Some((3, 5))),
            ("my-alias", None),
            ("claude-latest", None),
        ] {
            assert_eq!(claude_version(id), v, "{id}");
        }
        assert_eq!(style("claude-opus-4-7"), Style::Adaptive);
        assert_eq!(style("claude-sonnet-4-5"), Style::Budget);
        assert_eq!(style("claude-3-5-haiku-latest"), Style::None);
        assert_eq!(style("deepseek-chat"), Style::AsAsked);
    }

    #[test]
    fn efforts_and_budgets_stand_for_each_other() {
        assert_eq!(budget_for_effort("minimal"), 2_048);
        assert_eq!(budget_for_effort("medium"), 8_192);
        assert_eq!(effort_for_budget(1_024), "low");
        assert_eq!(effort_for_budget(8_192), "medium");
        assert_eq!(effort_for_budget(64_000), "high");
    }
}
