//! Any bytes as an upstream's whole answer: translating it for every client protocol never
//! panics.
#![no_main]

use gproxy_protocol::translate;
use gproxy_protocol::{Endpoint, Operation, Protocol};
use libfuzzer_sys::fuzz_target;

const CLIENTS: [Endpoint; 4] = [
    Endpoint::new(Protocol::OpenAi, Operation::ChatCompletions),
    Endpoint::new(Protocol::OpenAi, Operation::Responses),
    Endpoint::new(Protocol::Anthropic, Operation::Messages),
    Endpoint::new(Protocol::Gemini, Operation::GenerateContent),
];
const UPSTREAMS: [Endpoint; 4] = [
    Endpoint::new(Protocol::OpenAi, Operation::ChatCompletions),
    Endpoint::new(Protocol::OpenAi, Operation::Responses),
    Endpoint::new(Protocol::Anthropic, Operation::Messages),
    Endpoint::new(Protocol::Gemini, Operation::GenerateContent),
];

fuzz_target!(|data: &[u8]| {
    for to in UPSTREAMS {
        for from in CLIENTS {
            let _ = translate::translate_response(to, data, from, "m", 0, "f");
        }
    }
});
