//! How fast the stream translators run: each fixture upstream stream (chat, Anthropic,
//! Gemini, Responses) translated for each other client protocol, many times over, reporting upstream
//! events per second. `cargo run --release -p gproxy-protocol --example stream_throughput
//! [ROUNDS]`; run under `valgrind --tool=dhat` for allocations per event.

use gproxy_protocol::frame::{Framer, Framing};
use gproxy_protocol::translate::{ClientStream, StreamTranslator};
use gproxy_protocol::{Endpoint, Operation, Protocol};
use std::io::Write;
use std::time::Instant;

fn main() -> std::io::Result<()> {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/streams");
    let chat = Endpoint::new(Protocol::OpenAi, Operation::ChatCompletions);
    let messages = Endpoint::new(Protocol::Anthropic, Operation::Messages);
    let gemini = Endpoint::new(Protocol::Gemini, Operation::StreamGenerateContent);
    let responses = Endpoint::new(Protocol::OpenAi, Operation::Responses);
    let pairs = [
        ("chat → anthropic", chat, "chat.sse", messages),
        ("chat → gemini", chat, "chat.sse", gemini),
        ("anthropic → chat", messages, "anthropic.sse", chat),
        (
            "anthropic → responses",
            messages,
            "anthropic.sse",
            responses,
        ),
        ("gemini → chat", gemini, "gemini.sse", chat),
        (
            "responses → anthropic",
            responses,
            "responses.sse",
            messages,
        ),
    ];
    let mut out = std::io::stdout().lock();
    for (name, upstream, file, client) in pairs {
        let bytes = std::fs::read(format!("{dir}/{file}"))?;
        let frames = Framer::new(Framing::Sse).push(&bytes);
        let started = Instant::now();
        let mut produced = 0usize;
        for _ in 0..rounds {
            let stream = ClientStream {
                model: "m".into(),
                created: 0,
                include_usage: true,
                input_estimate: 0,
                framing: Framing::Sse,
                id_seed: "t".into(),
            };
            let Some(mut t) = StreamTranslator::new(upstream, client, stream) else {
                continue;
            };
            for frame in &frames {
                produced += t.push(frame).len();
            }
            produced += t.finish().len();
        }
        let secs = started.elapsed().as_secs_f64();
        let events = (frames.len() * rounds) as f64;
        writeln!(
            out,
            "{name:<24} {:>10.0} upstream events/s ({:.2} µs each), {} client events",
            events / secs,
            secs * 1e6 / events,
            produced
        )?;
    }
    Ok(())
}
