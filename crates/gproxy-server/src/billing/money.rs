//! Money: exact amounts of nano-USD (10⁻⁹ USD) in an `i64`, read from and shown as decimal
//! strings. Never a float: a price of `0.0000015` USD per token is 1,500 nano-USD exactly.

use std::fmt;
use std::str::FromStr;

/// Nano-USD in one USD.
const NANOS: i64 = 1_000_000_000;

/// An exact, non-negative amount of USD.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

/// Why a decimal string is not an amount.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("`{0}` is not a decimal amount of USD (e.g. \"2.5\")")]
    Syntax(String),
    #[error("`{0}` has more than 9 decimal places (the unit is a nano-USD)")]
    Precision(String),
    #[error("`{0}` is negative")]
    Negative(String),
    #[error("`{0}` is too large")]
    Overflow(String),
}

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_nanos(nanos: i64) -> Money {
        Money(nanos)
    }

    pub const fn nanos(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    fn from_str(text: &str) -> Result<Money, MoneyError> {
        let s = text.trim();
        if s.starts_with('-') {
            return Err(MoneyError::Negative(text.to_owned()));
        }
        let s = s.strip_prefix('+').unwrap_or(s);
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || !digits(whole)
            || !digits(frac)
            || (s.contains('.') && frac.is_empty())
        {
            return Err(MoneyError::Syntax(text.to_owned()));
        }
        let significant = frac.trim_end_matches('0');
        if significant.len() > 9 {
            return Err(MoneyError::Precision(text.to_owned()));
        }
        let overflow = || MoneyError::Overflow(text.to_owned());
        let whole: i64 = whole.parse().map_err(|_| overflow())?;
        let frac: i64 = if significant.is_empty() {
            0
        } else {
            format!("{significant:0<9}")
                .parse()
                .map_err(|_| overflow())?
        };
        whole
            .checked_mul(NANOS)
            .and_then(|n| n.checked_add(frac))
            .map(Money)
            .ok_or_else(overflow)
    }
}

impl fmt::Display for Money {
    /// The shortest exact decimal: `2.5`, `0.000001`, `3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, frac) = (self.0 / NANOS, self.0 % NANOS);
        if frac == 0 {
            return write!(f, "{whole}");
        }
        let frac = format!("{frac:09}");
        write!(f, "{whole}.{}", frac.trim_end_matches('0'))
    }
}

impl serde::Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decimals_parse_exactly() {
        for (text, nanos) in [
            ("0", 0),
            ("3", 3_000_000_000),
            ("2.5", 2_500_000_000),
            ("0.000001", 1_000),
            ("0.000000001", 1),
            ("0.0000000010", 1),
            ("+1.25", 1_250_000_000),
            (" 15 ", 15_000_000_000),
        ] {
            assert_eq!(
                text.parse::<Money>(),
                Ok(Money::from_nanos(nanos)),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_amounts_are_refused_by_kind() {
        assert!(matches!(
            "-1".parse::<Money>(),
            Err(MoneyError::Negative(_))
        ));
        assert!(matches!(
            "0.0000000001".parse::<Money>(),
            Err(MoneyError::Precision(_))
        ));
        assert!(matches!(
            "99999999999".parse::<Money>(),
            Err(MoneyError::Overflow(_))
        ));
        for bad in ["", ".5", "1.", "1e-6", "1,5", "abc", "1.2.3", "NaN"] {
            assert!(
                matches!(bad.parse::<Money>(), Err(MoneyError::Syntax(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn display_is_the_shortest_exact_decimal() {
        assert_eq!(Money::from_nanos(2_500_000_000).to_string(), "2.5");
        assert_eq!(Money::from_nanos(1_000).to_string(), "0.000001");
        assert_eq!(Money::from_nanos(7_000_000_000).to_string(), "7");
        assert_eq!(Money::ZERO.to_string(), "0");
        assert_eq!(
            serde_json::to_string(&Money::from_nanos(1)).expect("json"),
            "\"0.000000001\""
        );
    }

    proptest! {
        #[test]
        fn display_round_trips(nanos in 0i64..=i64::MAX) {
            let m = Money::from_nanos(nanos);
            prop_assert_eq!(m.to_string().parse::<Money>(), Ok(m));
        }
    }
}
