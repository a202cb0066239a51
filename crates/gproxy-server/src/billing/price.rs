//! What a model costs: prices per million tokens of each class and per call, and the cost of
//! one request's tokens (DESIGN §8): `(input − cache_read − cache_write) × input price +
//! cache_read × cache-read price + cache_write × cache-write price + output × output price`,
//! per million tokens, plus the per-call price, computed exactly and rounded up to the
//! nano-USD once per record.

use super::money::{Money, MoneyError};
use serde_json::Value;

/// The price fields of a model, as the admin API and the seed name them.
pub const INPUT: &str = "price_input_per_mtok";
pub const OUTPUT: &str = "price_output_per_mtok";
pub const CACHE_READ: &str = "price_cache_read_per_mtok";
pub const CACHE_WRITE: &str = "price_cache_write_per_mtok";
pub const EACH_CALL: &str = "price_each_call";

/// The field names earlier seeds used, read as the ones above.
const LEGACY: [(&str, &str); 4] = [
    ("price_input_per_million", INPUT),
    ("price_output_per_million", OUTPUT),
    ("price_cache_read_per_million", CACHE_READ),
    ("price_cache_write_per_million", CACHE_WRITE),
];

/// Prices of one model. A cache price left unset is the input price (never billing less
/// than the operator set).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ModelPrice {
    pub input: Money,
    pub output: Money,
    pub cache_read: Option<Money>,
    pub cache_write: Option<Money>,
    pub each_call: Money,
}

/// One request's tokens, normalized as recorded: input includes cache reads and writes,
/// output includes reasoning.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tokens {
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_write: u64,
}

/// A price field that is not an amount.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {error}")]
pub struct PriceError {
    pub field: &'static str,
    pub error: MoneyError,
}

impl ModelPrice {
    /// The prices a model row holds (its `pricing` object of decimal strings); `None` when
    /// it sets none.
    pub fn from_fields(pricing: &Value) -> Result<Option<ModelPrice>, PriceError> {
        let get = |field: &'static str| -> Result<Option<Money>, PriceError> {
            let legacy = LEGACY.iter().find(|(_, f)| *f == field).map(|(l, _)| *l);
            let value = pricing
                .get(field)
                .or_else(|| legacy.and_then(|l| pricing.get(l)));
            match value {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => s
                    .parse()
                    .map(Some)
                    .map_err(|error| PriceError { field, error }),
                Some(other) => Err(PriceError {
                    field,
                    error: MoneyError::Syntax(other.to_string()),
                }),
            }
        };
        let (input, output, cache_read, cache_write, each_call) = (
            get(INPUT)?,
            get(OUTPUT)?,
            get(CACHE_READ)?,
            get(CACHE_WRITE)?,
            get(EACH_CALL)?,
        );
        if [input, output, cache_read, cache_write, each_call]
            .iter()
            .all(Option::is_none)
        {
            return Ok(None);
        }
        Ok(Some(ModelPrice {
            input: input.unwrap_or_default(),
            output: output.unwrap_or_default(),
            cache_read,
            cache_write,
            each_call: each_call.unwrap_or_default(),
        }))
    }

    /// The cost of `t`, rounded up to the nano-USD (saturating at the largest amount).
    pub fn cost(&self, t: &Tokens) -> Money {
        let n = |x: u64| i128::from(x);
        let p = |m: Money| i128::from(m.nanos());
        let cached = t.cache_read.saturating_add(t.cache_write);
        let uncached = t.input.saturating_sub(cached);
        let per_mtok = n(uncached) * p(self.input)
            + n(t.cache_read) * p(self.cache_read.unwrap_or(self.input))
            + n(t.cache_write) * p(self.cache_write.unwrap_or(self.input))
            + n(t.output) * p(self.output);
        let tokens = (per_mtok + 999_999) / 1_000_000;
        let total = tokens + p(self.each_call);
        Money::from_nanos(i64::try_from(total).unwrap_or(i64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(s: &str) -> Money {
        s.parse().expect("amount")
    }

    /// Claude Sonnet 4.5's list prices, every token class at once, by hand: 1,000 uncached
    /// input × $3 + 20,000 cache reads × $0.30 + 5,000 cache writes × $3.75 + 2,000 output ×
    /// $15, per million = $0.003 + $0.006 + $0.01875 + $0.03 = $0.05775, plus $0.01 a call.
    #[test]
    fn cost_of_every_token_class_by_hand() {
        let price = ModelPrice {
            input: m("3"),
            output: m("15"),
            cache_read: Some(m("0.30")),
            cache_write: Some(m("3.75")),
            each_call: m("0.01"),
        };
        let t = Tokens {
            input: 26_000,
            output: 2_000,
            cache_read: 20_000,
            cache_write: 5_000,
        };
        assert_eq!(price.cost(&t), m("0.06775"));
    }

    #[test]
    fn cost_rounds_up_once_per_record() {
        // One token at $0.15 per million is 150 nano-USD exactly; at $0.0000015 per
        // million it is 0.0015 nano-USD, billed as 1.
        let cheap = ModelPrice {
            input: m("0.15"),
            ..Default::default()
        };
        let one = Tokens {
            input: 1,
            ..Default::default()
        };
        assert_eq!(cheap.cost(&one).nanos(), 150);
        let tiny = ModelPrice {
            input: m("0.0000015"),
            ..Default::default()
        };
        assert_eq!(tiny.cost(&one).nanos(), 1);
        assert_eq!(
            tiny.cost(&Tokens::default()).nanos(),
            0,
            "nothing used, nothing billed"
        );
    }

    #[test]
    fn unset_cache_prices_are_the_input_price() {
        let price = ModelPrice {
            input: m("2"),
            output: m("8"),
            ..Default::default()
        };
        let t = Tokens {
            input: 1_000_000,
            cache_read: 400_000,
            cache_write: 100_000,
            output: 0,
        };
        assert_eq!(price.cost(&t), m("2"));
    }

    #[test]
    fn fields_read_from_a_model_row() {
        let price = ModelPrice::from_fields(&json!({
            "price_input_per_mtok": "2", "price_output_per_mtok": "8",
            "price_cache_read_per_million": "0.5", "price_each_call": "0"
        }))
        .expect("valid")
        .expect("priced");
        assert_eq!(price.input, m("2"));
        assert_eq!(
            price.cache_read,
            Some(m("0.5")),
            "the earlier field name still reads"
        );
        assert_eq!(price.cache_write, None);
        assert_eq!(ModelPrice::from_fields(&json!({})), Ok(None));
        let err =
            ModelPrice::from_fields(&json!({"price_output_per_mtok": "-1"})).expect_err("negative");
        assert_eq!(err.field, OUTPUT);
        assert!(ModelPrice::from_fields(&json!({"price_input_per_mtok": 2.5})).is_err());
    }
}
