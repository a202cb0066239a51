//! The runtime settings the server reads (the binary maps `[global]` onto these).

use std::time::Duration;

/// Server settings; see `reference/004_*` for the `[global]` fields they come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// Record a usage row per proxied request.
    pub enable_usage: bool,
    /// Log every upstream attempt (envelope).
    pub enable_upstream_log: bool,
    /// Also keep upstream request/response bodies (non-streamed responses only).
    pub enable_upstream_log_body: bool,
    /// Log every downstream request (envelope).
    pub enable_downstream_log: bool,
    /// Also keep downstream request bodies and non-streamed response bodies.
    pub enable_downstream_log_body: bool,
    /// Redact the values of `mask_body_fields` in logged JSON bodies. Credentials (auth
    /// headers, `key=` parameters) are redacted from logs whatever this says.
    pub mask_sensitive_info: bool,
    /// The JSON body fields (any depth, ASCII case ignored) `mask_sensitive_info` redacts.
    pub mask_body_fields: std::sync::Arc<[String]>,
    /// Largest request body accepted; larger ones get 413 and are never forwarded.
    pub max_request_body_bytes: usize,
    /// Outbound HTTP proxy for upstream calls.
    pub proxy: Option<String>,
    /// How long to wait for an upstream's response headers.
    pub upstream_timeout: Duration,
    /// Largest non-streamed upstream response body relayed; a larger one is a 502.
    pub max_response_body_bytes: usize,
    /// Largest single stream event (SSE event or JSON-array element); a larger one ends
    /// the stream with the protocol's error event.
    pub max_stream_event_bytes: usize,
    /// Longest silence of a stream between two chunks; longer ends the stream with the
    /// protocol's error event.
    pub stream_idle_timeout: Duration,
    /// When no credential of a provider may serve a call, how long it may wait for the
    /// first to recover before it is refused with 429/503 and `retry-after`.
    pub max_recovery_wait: Duration,
    /// How long one attempt may wait for response headers before the call fails over to
    /// the next credential (`None`: only the call's deadline, `upstream_timeout`, applies).
    pub first_byte_timeout: Option<Duration>,
    /// How long usage rows, request logs and their bodies are kept (none by default).
    pub retention: crate::retention::Windows,
    /// Mark console session cookies `Secure` even when the request did not say it came
    /// over TLS (`X-Forwarded-Proto: https` always does).
    pub secure_cookies: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            enable_usage: true,
            enable_upstream_log: true,
            enable_upstream_log_body: false,
            enable_downstream_log: true,
            enable_downstream_log_body: false,
            mask_sensitive_info: true,
            mask_body_fields: crate::mask::default_body_fields(),
            max_request_body_bytes: 32 * 1024 * 1024,
            proxy: None,
            upstream_timeout: Duration::from_secs(600),
            max_response_body_bytes: 128 * 1024 * 1024,
            max_stream_event_bytes: 16 * 1024 * 1024,
            stream_idle_timeout: Duration::from_secs(300),
            max_recovery_wait: Duration::from_secs(5),
            first_byte_timeout: None,
            retention: crate::retention::Windows::default(),
            secure_cookies: false,
        }
    }
}
