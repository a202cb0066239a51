//! Accounting: exact money ([`money`]), what a model costs and what a request's tokens cost
//! ([`price`]), and the bundled list prices of common models ([`bundled`]).

pub mod bundled;
pub mod money;
pub mod price;

pub use money::{Money, MoneyError};
pub use price::{ModelPrice, PriceError, Tokens};
