//! What request logs may keep: credentials (auth headers, `key=` query parameters, URL
//! user info) are redacted always, whatever `mask_sensitive_info` says — they are client
//! keys and upstream credentials, secrets the store otherwise keeps sealed; with
//! `mask_sensitive_info` the values of the configured `mask_body_fields` in JSON bodies are
//! redacted too. Pure functions, applied as a log record is made, before it is queued.

use axum::http::HeaderMap;
use gproxy_storage::model::Headers;
use serde_json::Value;
use std::sync::Arc;

/// What a redacted value reads as.
pub const REDACTED: &str = "***";

/// Headers that carry credentials (client keys, upstream keys, sessions).
const AUTH_HEADERS: &[&str] = &[
    "authorization",
    "x-api-key",
    "x-goog-api-key",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// Query parameters that carry credentials, by their decoded names (ASCII case ignored).
const KEY_PARAMS: &[&str] = &[
    "key",
    "api_key",
    "api-key",
    "apikey",
    "access_token",
    "token",
];

/// The body fields `mask_body_fields` names by default.
pub fn default_body_fields() -> Arc<[String]> {
    [
        "api_key",
        "password",
        "secret",
        "access_token",
        "refresh_token",
    ]
    .map(String::from)
    .into()
}

/// How a log record is masked: credentials always, body fields when `fields` is given.
#[derive(Clone, Debug, Default)]
pub struct Masking {
    /// The body fields to redact (compared ignoring ASCII case); `None` with
    /// `mask_sensitive_info` off.
    fields: Option<Arc<[String]>>,
}

impl Masking {
    /// Masking as the server's settings ask.
    pub fn new(config: &crate::ServerConfig) -> Self {
        Masking {
            fields: config
                .mask_sensitive_info
                .then(|| Arc::clone(&config.mask_body_fields)),
        }
    }

    /// Masking that redacts `fields` in bodies.
    pub fn with_fields(fields: &[&str]) -> Self {
        Masking {
            fields: Some(fields.iter().map(|f| (*f).to_owned()).collect()),
        }
    }

    fn is_masked_field(&self, name: &str) -> bool {
        self.fields
            .as_deref()
            .is_some_and(|f| f.iter().any(|f| f.eq_ignore_ascii_case(name)))
    }

    /// A path or URL as a log keeps it: the values of credential query parameters (and,
    /// when masking, of parameters named like a masked body field) and any password in the
    /// URL's user info shown as [`REDACTED`]; everything else as it was.
    pub fn url(&self, url: &str) -> String {
        let (base, query) = match url.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (url, None),
        };
        let mut out = redact_userinfo(base);
        if let Some(query) = query {
            out.push('?');
            for (i, pair) in query.split('&').enumerate() {
                if i > 0 {
                    out.push('&');
                }
                let raw_name = pair.split_once('=').map_or(pair, |(n, _)| n);
                let name = decoded(raw_name);
                let secret = KEY_PARAMS.iter().any(|k| k.eq_ignore_ascii_case(&name))
                    || self.is_masked_field(&name);
                if secret && pair.contains('=') {
                    out.push_str(raw_name);
                    out.push('=');
                    out.push_str(REDACTED);
                } else {
                    out.push_str(pair);
                }
            }
        }
        out
    }

    /// A body as a log keeps it: a JSON body with the masked fields' values (at any depth)
    /// replaced by [`REDACTED`]; anything else, or with masking off, as it was.
    pub fn body(&self, body: String) -> String {
        if self.fields.is_none() {
            return body;
        }
        let Ok(mut value) = serde_json::from_str::<Value>(&body) else {
            return body;
        };
        if !self.redact(&mut value) {
            return body;
        }
        serde_json::to_string(&value).unwrap_or(body)
    }

    /// Redacts the masked fields in `value`; whether anything was.
    fn redact(&self, value: &mut Value) -> bool {
        match value {
            Value::Object(map) => {
                let mut changed = false;
                for (name, v) in map.iter_mut() {
                    if self.is_masked_field(name) {
                        *v = Value::String(REDACTED.into());
                        changed = true;
                    } else {
                        changed |= self.redact(v);
                    }
                }
                changed
            }
            Value::Array(items) => items
                .iter_mut()
                .fold(false, |changed, v| self.redact(v) | changed),
            _ => false,
        }
    }
}

/// `headers` as a log keeps them: by name, repeated ones joined with `, `, credentials
/// (and any value marked sensitive) shown as [`REDACTED`].
pub fn headers(headers: &HeaderMap) -> Headers {
    let mut out = Headers::new();
    for (name, value) in headers {
        let name = name.as_str();
        let shown = if AUTH_HEADERS.contains(&name) || value.is_sensitive() {
            REDACTED.into()
        } else {
            String::from_utf8_lossy(value.as_bytes()).into_owned()
        };
        out.entry(name.to_owned())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&shown);
            })
            .or_insert(shown);
    }
    out
}

/// A query parameter's name percent-decoded (`k%65y` is `key`).
fn decoded(raw: &str) -> String {
    form_urlencoded::parse(raw.as_bytes())
        .next()
        .map(|(name, _)| name.into_owned())
        .unwrap_or_default()
}

/// `scheme://user:password@host/...` with the password redacted.
fn redact_userinfo(base: &str) -> String {
    let Some((scheme, rest)) = base.split_once("://") else {
        return base.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return base.to_owned();
    };
    let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
    format!("{scheme}://{user}:{REDACTED}@{host}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use proptest::prelude::*;
    use serde_json::json;

    fn on() -> Masking {
        Masking::with_fields(&["api_key", "password", "secret"])
    }

    #[test]
    fn auth_headers_keep_their_name_and_lose_their_value_even_with_masking_off() {
        let mut h = HeaderMap::new();
        h.insert("authorization", HeaderValue::from_static("Bearer sk-1"));
        h.insert("x-api-key", HeaderValue::from_static("sk-2"));
        h.insert("X-Goog-Api-Key", HeaderValue::from_static("sk-3"));
        h.append("cookie", HeaderValue::from_static("a=1"));
        h.append("cookie", HeaderValue::from_static("b=2"));
        h.insert("content-type", HeaderValue::from_static("application/json"));
        let mut hidden = HeaderValue::from_static("sk-4");
        hidden.set_sensitive(true);
        h.insert("x-custom-auth", hidden);
        let shown = headers(&h);
        assert_eq!(shown["authorization"], "***");
        assert_eq!(shown["x-api-key"], "***");
        assert_eq!(shown["x-goog-api-key"], "***");
        assert_eq!(shown["cookie"], "***, ***");
        assert_eq!(shown["x-custom-auth"], "***", "a sensitive value");
        assert_eq!(shown["content-type"], "application/json");
        assert!(!format!("{shown:?}").contains("sk-"));
    }

    #[test]
    fn key_parameters_are_redacted_in_any_spelling() {
        let m = Masking::default();
        assert_eq!(m.url("/v1/models"), "/v1/models");
        assert_eq!(
            m.url("/v1beta/models/x:streamGenerateContent?alt=sse&key=sk-1"),
            "/v1beta/models/x:streamGenerateContent?alt=sse&key=***"
        );
        assert_eq!(m.url("/p?k%65y=sk-1&KEY=sk-2"), "/p?k%65y=***&KEY=***");
        assert_eq!(m.url("/p?api_key=sk-1&x=1"), "/p?api_key=***&x=1");
        assert_eq!(m.url("/p?key"), "/p?key", "no value, nothing to hide");
        assert_eq!(
            m.url("https://u:pw@host.example/v1?key=k"),
            "https://u:***@host.example/v1?key=***"
        );
        assert_eq!(m.url("https://host/a@b"), "https://host/a@b");
        // A parameter named like a masked body field only when masking is on.
        assert_eq!(m.url("/p?password=x"), "/p?password=x");
        assert_eq!(on().url("/p?password=x"), "/p?password=***");
    }

    #[test]
    fn body_fields_are_redacted_at_any_depth_and_only_when_masking() {
        let body = json!({
            "model": "m",
            "api_key": "sk-1",
            "nested": {"Password": {"deep": 1}, "list": [{"secret": 5}, "secret"]},
        })
        .to_string();
        let masked: Value = serde_json::from_str(&on().body(body.clone())).expect("json");
        assert_eq!(
            masked,
            json!({
                "model": "m",
                "api_key": "***",
                "nested": {"Password": "***", "list": [{"secret": "***"}, "secret"]},
            })
        );
        assert_eq!(Masking::default().body(body.clone()), body, "masking off");
        let untouched = r#"{"b": 1,  "a": 2}"#.to_owned();
        assert_eq!(
            on().body(untouched.clone()),
            untouched,
            "kept byte for byte"
        );
        assert_eq!(on().body("password=x".into()), "password=x", "not JSON");
    }

    proptest! {
        #[test]
        fn no_key_survives_in_headers_or_query(key in "[A-Za-z0-9_+/=-]{8,40}", name in 0usize..3) {
            let header = ["authorization", "x-api-key", "x-goog-api-key"][name];
            let mut h = HeaderMap::new();
            h.insert(header, HeaderValue::from_str(&format!("Bearer {key}")).expect("value"));
            let shown = headers(&h);
            let text = format!("{:?}", shown);
            prop_assert!(!text.contains(&key), "{}", text);
            let encoded: String = form_urlencoded::byte_serialize(key.as_bytes()).collect();
            let url = Masking::default().url(&format!("/v1/x?alt=sse&key={encoded}&b=1"));
            prop_assert!(!url.contains(&encoded) && !url.contains(&key), "{}", url);
        }

        #[test]
        fn no_masked_value_survives_in_a_json_body(
            secret in "[a-z]{12,20}",
            depth in 0usize..5,
            in_array in any::<bool>(),
        ) {
            let mut v = json!({"password": secret});
            for i in 0..depth {
                v = if in_array { json!([i, v]) } else { json!({"k": v, "n": i}) };
            }
            let out = on().body(v.to_string());
            prop_assert!(!out.contains(&secret), "{}", out);
        }
    }
}
