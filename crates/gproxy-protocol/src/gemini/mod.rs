//! The Gemini API (`generateContent` family).

pub mod generate;
