//! Any bytes as an upstream SSE stream, cut into chunks anywhere: every stream translator
//! (3 upstream protocols x 4 client protocols) takes it without panicking.
#![no_main]

use gproxy_protocol::frame::{Framer, Framing};
use gproxy_protocol::translate::{ClientStream, StreamTranslator};
use gproxy_protocol::{Endpoint, Operation, Protocol};
use libfuzzer_sys::fuzz_target;

const CLIENTS: [Endpoint; 4] = [
    Endpoint::new(Protocol::OpenAi, Operation::ChatCompletions),
    Endpoint::new(Protocol::OpenAi, Operation::Responses),
    Endpoint::new(Protocol::Anthropic, Operation::Messages),
    Endpoint::new(Protocol::Gemini, Operation::StreamGenerateContent),
];
const UPSTREAMS: [Endpoint; 4] = [
    Endpoint::new(Protocol::OpenAi, Operation::ChatCompletions),
    Endpoint::new(Protocol::OpenAi, Operation::Responses),
    Endpoint::new(Protocol::Anthropic, Operation::Messages),
    Endpoint::new(Protocol::Gemini, Operation::StreamGenerateContent),
];

fuzz_target!(|data: &[u8]| {
    // The first byte picks the pair and the chunk size; the rest is the stream.
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let upstream = UPSTREAMS[usize::from(pick) % UPSTREAMS.len()];
    let client = CLIENTS[usize::from(pick / 4) % CLIENTS.len()];
    let framing = if pick & 0x80 == 0 {
        Framing::Sse
    } else {
        Framing::JsonArray
    };
    let stream = ClientStream {
        model: "m".into(),
        created: 0,
        include_usage: pick & 0x40 != 0,
        input_estimate: 1,
        framing,
        id_seed: "f".into(),
    };
    let Some(mut t) = StreamTranslator::new(upstream, client, stream) else {
        return;
    };
    let mut framer = Framer::new(Framing::Sse);
    let chunk = usize::from(pick % 7) + 1;
    for piece in body.chunks(chunk) {
        for frame in framer.push(piece) {
            let _ = t.push(&frame);
        }
    }
    if let Some(frame) = framer.finish() {
        let _ = t.push(&frame);
    }
    let _ = t.finish();
});
