//! Any bytes as a request of each client protocol: decoding never panics, and a request
//! that decodes encodes for every upstream protocol without panicking.
#![no_main]

use gproxy_protocol::openai::chat::Dialect;
use gproxy_protocol::translate;
use gproxy_protocol::{Endpoint, Operation, Protocol};
use libfuzzer_sys::fuzz_target;

const CLIENTS: [Endpoint; 4] = [
    Endpoint::new(Protocol::OpenAi, Operation::ChatCompletions),
    Endpoint::new(Protocol::OpenAi, Operation::Responses),
    Endpoint::new(Protocol::Anthropic, Operation::Messages),
    Endpoint::new(Protocol::Gemini, Operation::GenerateContent),
];
const UPSTREAMS: [Endpoint; 3] = [
    Endpoint::new(Protocol::OpenAi, Operation::ChatCompletions),
    Endpoint::new(Protocol::Anthropic, Operation::Messages),
    Endpoint::new(Protocol::Gemini, Operation::GenerateContent),
];

fuzz_target!(|data: &[u8]| {
    for from in CLIENTS {
        if let Ok(request) = translate::decode_request(from, data) {
            for to in UPSTREAMS {
                let _ = translate::encode_request(to, &request, Dialect::OpenAi);
            }
        }
    }
});
