//! Why a request or answer cannot be translated between protocols.

/// A translation failure; shown to the client in its protocol's shape (400 for requests,
/// 502 for upstream answers).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TranslateError {
    /// The target protocol cannot express `field` (DESIGN.md §6: never a silent drop).
    #[error("`{field}` cannot be translated for this provider: {reason}")]
    Unsupported { field: String, reason: String },
    /// The input is not a valid message of its protocol.
    #[error("{0}")]
    Invalid(String),
}

impl TranslateError {
    pub fn unsupported(field: impl Into<String>, reason: impl Into<String>) -> Self {
        TranslateError::Unsupported {
            field: field.into(),
            reason: reason.into(),
        }
    }
}
