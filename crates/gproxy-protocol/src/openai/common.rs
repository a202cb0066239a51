//! What Chat and Responses share on the wire: message content (a string or typed parts with
//! an unknown-part fallback), `data:` URLs as IR media, SSE framing of typed events, and
//! decoders that read a `null` or an odd number the way a missing field is read, so a
//! sloppy upstream is not an error.

use crate::ir::Media;
use bytes::Bytes;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// A typed wire element, or the raw JSON of one this gateway does not model (an unknown
/// `type`, or a known one that does not parse): decoding never fails on it, translation
/// decides what to do with it.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum OrUnknown<T> {
    Known(T),
    Unknown(Value),
}

/// The `type` of an unknown element, for the error that names it (`""` when it has none).
pub fn type_of(v: &Value) -> &str {
    v.get("type").and_then(Value::as_str).unwrap_or_default()
}

/// A message's `content`: a string or content parts of type `P`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Content<P> {
    Text(String),
    Parts(Vec<OrUnknown<P>>),
    /// Neither: kept so translation can refuse it with the field's path.
    Other(Value),
}

/// A field whose `null` means the same as its absence (pair with `#[serde(default)]`).
pub fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A token count: anything but an unsigned integer (`null`, a float, a string) counts as 0,
/// as upstreams that report usage loosely are still answered.
pub fn count<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(Value::deserialize(d)?.as_u64().unwrap_or(0))
}

/// One SSE event of a wire struct: its `event:` line when `event` is given, its `data:`
/// line, the blank line. The wire structs here always serialize (string keys, derived
/// impls); were one not to, the client gets an error object rather than a silent gap.
pub fn sse_event(event: Option<&str>, data: &impl Serialize) -> Bytes {
    let json = serde_json::to_string(data).unwrap_or_else(|e| {
        serde_json::json!({"error": {"message": format!("encoding the event: {e}")}}).to_string()
    });
    Bytes::from(match event {
        Some(kind) => format!("event: {kind}\ndata: {json}\n\n"),
        None => format!("data: {json}\n\n"),
    })
}

/// A `data:` URL's media type and base64 payload, or the URL itself.
pub fn media_of_url(url: &str) -> Media {
    if let Some(rest) = url.strip_prefix("data:")
        && let Some((meta, data)) = rest.split_once(',')
        && let Some(media_type) = meta.strip_suffix(";base64")
    {
        return Media::Base64 {
            media_type: media_type.to_owned(),
            data: data.to_owned(),
        };
    }
    Media::Url(url.to_owned())
}

/// The URL (a `data:` URL for inline bytes) that carries `media`.
pub fn url_of_media(media: &Media) -> String {
    match media {
        Media::Base64 { media_type, data } => format!("data:{media_type};base64,{data}"),
        Media::Url(url) => url.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum Part {
        Text {
            #[serde(default, deserialize_with = "nullable")]
            text: String,
        },
    }

    #[test]
    fn unknown_parts_and_nulls_decode() {
        let c: Content<Part> =
            serde_json::from_str(r#"[{"type":"text","text":null},{"type":"audio"},{"x":1}]"#)
                .expect("decodes");
        let Content::Parts(parts) = c else {
            panic!("parts")
        };
        assert!(matches!(&parts[0], OrUnknown::Known(Part::Text { text }) if text.is_empty()));
        assert!(matches!(&parts[1], OrUnknown::Unknown(v) if type_of(v) == "audio"));
        assert!(matches!(&parts[2], OrUnknown::Unknown(v) if type_of(v).is_empty()));
        let n: Content<Part> = serde_json::from_str("5").expect("decodes");
        assert!(matches!(n, Content::Other(_)));
    }

    #[test]
    fn data_urls_round_trip() {
        let m = media_of_url("data:image/png;base64,AAA");
        assert_eq!(url_of_media(&m), "data:image/png;base64,AAA");
        assert!(matches!(media_of_url("https://x/y.png"), Media::Url(_)));
    }
}
