//! Embeddings between OpenAI (`/v1/embeddings`) and Gemini (`:embedContent`,
//! `:batchEmbedContents`): texts in, vectors out. An OpenAI client that asks for
//! `encoding_format: "base64"` (the Python SDK's default) gets little-endian f32 vectors in
//! base64, as OpenAI sends them.

use super::TranslateError;
use crate::{Endpoint, Operation, Protocol};
use base64::Engine;
use serde_json::{Value, json};

/// What an embeddings request asks for, protocol-free.
#[derive(Clone, Debug, PartialEq)]
pub struct EmbedRequest {
    pub texts: Vec<String>,
    /// Requested vector size (`dimensions`, `outputDimensionality`).
    pub dimensions: Option<u64>,
    /// The OpenAI client wants base64 vectors.
    pub base64: bool,
    /// Gemini's `embedContent` (one text, one `embedding`) rather than a batch.
    pub single: bool,
}

/// Whether `endpoint` is an embeddings operation translation serves.
pub fn is_embedding(endpoint: Endpoint) -> bool {
    matches!(
        (endpoint.protocol, endpoint.operation),
        (Protocol::OpenAi, Operation::Embeddings)
            | (
                Protocol::Gemini,
                Operation::EmbedContent | Operation::BatchEmbedContents
            )
    )
}

fn parts_text(content: Option<&Value>) -> String {
    content
        .and_then(|c| c.get("parts"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("text").and_then(Value::as_str))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads a client's embeddings request.
pub fn decode(from: Endpoint, body: &[u8]) -> Result<EmbedRequest, TranslateError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| TranslateError::Invalid(format!("invalid request body: {e}")))?;
    match from.operation {
        Operation::Embeddings => {
            let texts = match v.get("input") {
                Some(Value::String(s)) => vec![s.clone()],
                Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_owned))
                    .collect(),
                _ => {
                    return Err(TranslateError::unsupported(
                        "input",
                        "only text inputs can be translated (not token arrays)",
                    ));
                }
            };
            Ok(EmbedRequest {
                texts,
                dimensions: v.get("dimensions").and_then(Value::as_u64),
                base64: v.get("encoding_format").and_then(Value::as_str) == Some("base64"),
                single: false,
            })
        }
        Operation::EmbedContent => Ok(EmbedRequest {
            texts: vec![parts_text(v.get("content"))],
            dimensions: v.get("outputDimensionality").and_then(Value::as_u64),
            base64: false,
            single: true,
        }),
        Operation::BatchEmbedContents => {
            let requests = v.get("requests").and_then(Value::as_array);
            Ok(EmbedRequest {
                texts: requests
                    .into_iter()
                    .flatten()
                    .map(|r| parts_text(r.get("content")))
                    .collect(),
                dimensions: requests
                    .and_then(|r| r.first())
                    .and_then(|r| r.get("outputDimensionality"))
                    .and_then(Value::as_u64),
                base64: false,
                single: false,
            })
        }
        other => Err(TranslateError::unsupported(
            other.as_str(),
            "not an embeddings operation",
        )),
    }
}

/// The upstream's request body (the upstream is OpenAI `Embeddings` or Gemini
/// `BatchEmbedContents`), for the upstream `model`.
pub fn encode(to: Endpoint, req: &EmbedRequest, model: &str) -> Vec<u8> {
    let body = match to.protocol {
        Protocol::Gemini => {
            let requests: Vec<Value> = req
                .texts
                .iter()
                .map(|t| {
                    let mut r = json!({"model": format!("models/{model}"),
                                       "content": {"parts": [{"text": t}]}});
                    if let Some(d) = req.dimensions {
                        r["outputDimensionality"] = json!(d);
                    }
                    r
                })
                .collect();
            json!({"requests": requests})
        }
        _ => {
            let mut b = json!({"model": model, "input": req.texts, "encoding_format": "float"});
            if let Some(d) = req.dimensions {
                b["dimensions"] = json!(d);
            }
            b
        }
    };
    body.to_string().into_bytes()
}

/// Vectors (and the upstream's input-token count, when it reports one) of an upstream's
/// embeddings answer.
fn vectors(
    upstream: Protocol,
    body: &Value,
) -> Result<(Vec<Vec<f64>>, Option<u64>), TranslateError> {
    let floats = |v: &Value| -> Vec<f64> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_f64)
            .collect()
    };
    match upstream {
        Protocol::Gemini => Ok((
            body.get("embeddings")
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    TranslateError::Invalid("the upstream answer has no embeddings".into())
                })?
                .iter()
                .map(|e| floats(e.get("values").unwrap_or(&Value::Null)))
                .collect(),
            None,
        )),
        _ => Ok((
            body.get("data")
                .and_then(Value::as_array)
                .ok_or_else(|| TranslateError::Invalid("the upstream answer has no data".into()))?
                .iter()
                .map(|d| floats(d.get("embedding").unwrap_or(&Value::Null)))
                .collect(),
            body.get("usage")
                .and_then(|u| u.get("prompt_tokens"))
                .and_then(Value::as_u64),
        )),
    }
}

/// The client's answer for an upstream's embeddings answer; also the input tokens the
/// upstream reported, if it did.
pub fn translate_answer(
    upstream: Endpoint,
    body: &[u8],
    req: &EmbedRequest,
    client: Endpoint,
    client_model: &str,
) -> Result<(Vec<u8>, Option<u64>), TranslateError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| TranslateError::Invalid(format!("upstream answer: {e}")))?;
    let (vectors, tokens) = vectors(upstream.protocol, &v)?;
    let out = match client.protocol {
        Protocol::Gemini if req.single => {
            let first = vectors.into_iter().next().unwrap_or_default();
            json!({"embedding": {"values": first}})
        }
        Protocol::Gemini => json!({"embeddings": vectors
            .into_iter()
            .map(|values| json!({"values": values}))
            .collect::<Vec<_>>()}),
        _ => {
            let data: Vec<Value> = vectors
                .into_iter()
                .enumerate()
                .map(|(index, values)| {
                    let embedding = if req.base64 {
                        let mut bytes = Vec::with_capacity(values.len() * 4);
                        for x in values {
                            // Embeddings are f32 on the wire (OpenAI's base64 form).
                            #[expect(
                                clippy::cast_possible_truncation,
                                reason = "f32 is the wire precision"
                            )]
                            bytes.extend_from_slice(&(x as f32).to_le_bytes());
                        }
                        json!(base64::engine::general_purpose::STANDARD.encode(bytes))
                    } else {
                        json!(values)
                    };
                    json!({"object": "embedding", "index": index, "embedding": embedding})
                })
                .collect();
            let tokens = tokens.unwrap_or(0);
            json!({"object": "list", "data": data, "model": client_model,
                   "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})
        }
    };
    Ok((out.to_string().into_bytes(), tokens))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPENAI: Endpoint = Endpoint::new(Protocol::OpenAi, Operation::Embeddings);
    const BATCH: Endpoint = Endpoint::new(Protocol::Gemini, Operation::BatchEmbedContents);
    const SINGLE: Endpoint = Endpoint::new(Protocol::Gemini, Operation::EmbedContent);

    #[test]
    fn openai_client_on_gemini() {
        let req = decode(
            OPENAI,
            br#"{"model":"m","input":["a","b"],"encoding_format":"base64","dimensions":3}"#,
        )
        .expect("decodes");
        assert_eq!(req.texts, ["a", "b"]);
        let up: Value =
            serde_json::from_slice(&encode(BATCH, &req, "text-embedding-004")).expect("json");
        assert_eq!(up["requests"][1]["content"]["parts"][0]["text"], "b");
        assert_eq!(up["requests"][0]["model"], "models/text-embedding-004");
        assert_eq!(up["requests"][0]["outputDimensionality"], 3);
        let answer = br#"{"embeddings":[{"values":[1.0,0.5,0.0]},{"values":[0.25,0.0,-1.0]}]}"#;
        let (out, tokens) = translate_answer(BATCH, answer, &req, OPENAI, "m").expect("translates");
        assert_eq!(tokens, None);
        let v: Value = serde_json::from_slice(&out).expect("json");
        let b64 = v["data"][0]["embedding"].as_str().expect("base64");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("b64");
        let floats: Vec<f32> = bytes
            .chunks(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        assert_eq!(floats, [1.0, 0.5, 0.0]);
        assert_eq!(v["data"][1]["index"], 1);
        assert!(decode(OPENAI, br#"{"model":"m","input":[[1,2]]}"#).is_err());
    }

    #[test]
    fn gemini_client_on_openai() {
        let req = decode(
            SINGLE,
            br#"{"content":{"parts":[{"text":"hi"}]},"outputDimensionality":2}"#,
        )
        .expect("decodes");
        let up: Value =
            serde_json::from_slice(&encode(OPENAI, &req, "text-embedding-3-small")).expect("json");
        assert_eq!(
            up,
            json!({"model": "text-embedding-3-small", "input": ["hi"], "encoding_format": "float", "dimensions": 2})
        );
        let answer = br#"{"data":[{"embedding":[0.5,0.25]}],"usage":{"prompt_tokens":1}}"#;
        let (out, tokens) =
            translate_answer(OPENAI, answer, &req, SINGLE, "m").expect("translates");
        assert_eq!(tokens, Some(1));
        let v: Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(v, json!({"embedding": {"values": [0.5, 0.25]}}));
    }
}
