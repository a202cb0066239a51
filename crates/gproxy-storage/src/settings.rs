//! Live settings an administrator changed through the API (`PATCH /admin/settings`), kept
//! as `instance_settings` rows whose keys start with [`PREFIX`]: each a setting's name and
//! its value as JSON text. The server decides which names exist and what they mean.

/// The `instance_settings` key prefix of a live setting.
pub const PREFIX: &str = "setting.";
