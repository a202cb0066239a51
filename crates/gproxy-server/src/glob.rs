//! Glob matching for permission patterns: `*` matches any run of characters, `?` one.

/// Whether `text` matches `pattern`.
pub fn matches(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    // Where the last `*` was and the text position it is currently standing for.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn globs() {
        assert!(matches("*", "anything"));
        assert!(matches("*", ""));
        assert!(matches("gpt-*", "gpt-4.1-mini"));
        assert!(!matches("gpt-*", "claude-3"));
        assert!(matches("*-mini", "gpt-4.1-mini"));
        assert!(matches("gpt-?.1", "gpt-4.1"));
        assert!(!matches("gpt-?.1", "gpt-4.10"));
        assert!(matches("a*b*c", "axxbyyc"));
        assert!(!matches("a*b*c", "axxbyy"));
        assert!(matches("gemini-2.5-flash", "gemini-2.5-flash"));
        assert!(!matches("gemini", "gemini-2.5"));
    }
}
