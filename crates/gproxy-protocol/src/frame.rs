//! Splits an upstream byte stream into whole events, so the relay forwards one event at a
//! time and can read each event's JSON for usage without ever holding the whole stream.
//! Two framings exist: Server-Sent Events (OpenAI, Anthropic, Gemini `alt=sse`) and the
//! incrementally delivered JSON array of Gemini's `:streamGenerateContent` without `alt=sse`.

use bytes::{Bytes, BytesMut};

/// One whole event, as the upstream sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The bytes to relay, separators included, exactly as received.
    pub raw: Bytes,
    /// The JSON payload of the event (an SSE event's `data`, or one array element), if any.
    pub data: Option<Bytes>,
    /// Where `data` lies within `raw`, when it is one contiguous run (a single `data:` line
    /// or an array element), so it can be edited in place.
    pub data_span: Option<std::ops::Range<usize>>,
    /// An SSE `data: [DONE]` event (OpenAI's end of stream); its `data` is `None`.
    pub done: bool,
}

impl Frame {
    /// `raw` with its data replaced by `edit(data)`, or `None` when `edit` changes nothing
    /// (or the data is not one contiguous run).
    pub fn edit_data(&self, edit: impl FnOnce(&[u8]) -> Option<Vec<u8>>) -> Option<Bytes> {
        let span = self.data_span.clone()?;
        let new = edit(&self.raw[span.clone()])?;
        let mut out = Vec::with_capacity(self.raw.len() + new.len());
        out.extend_from_slice(&self.raw[..span.start]);
        out.extend_from_slice(&new);
        out.extend_from_slice(&self.raw[span.end..]);
        Some(Bytes::from(out))
    }
}

/// How a stream is framed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    Sse,
    JsonArray,
}

/// Incremental framer: push bytes as they arrive, take out whole frames.
#[derive(Debug)]
pub struct Framer {
    framing: Framing,
    /// Bytes received but not yet emitted as a frame.
    buf: BytesMut,
    /// How far into `buf` has been scanned already (so each byte is scanned once).
    scanned: usize,
    /// SSE: where the current line starts. JSON array: where the current element starts.
    mark: Option<usize>,
    /// JSON array: nesting depth (the array itself is depth 1).
    depth: u32,
    /// JSON array: inside a string literal.
    in_string: bool,
    /// JSON array: the previous byte was a backslash inside a string.
    escaped: bool,
}

impl Framer {
    pub fn new(framing: Framing) -> Self {
        Framer {
            framing,
            buf: BytesMut::new(),
            scanned: 0,
            mark: None,
            depth: 0,
            in_string: false,
            escaped: false,
        }
    }

    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// Bytes received but not yet part of a whole frame: the event being assembled.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Adds received bytes and returns every frame they complete.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<Frame> {
        self.buf.extend_from_slice(chunk);
        let mut out = Vec::new();
        match self.framing {
            Framing::Sse => self.scan_sse(&mut out),
            Framing::JsonArray => self.scan_json_array(&mut out),
        }
        out
    }

    /// Ends the stream: whatever remains (an unterminated event, a closing `]`) becomes a
    /// last frame so nothing the upstream sent is lost.
    pub fn finish(&mut self) -> Option<Frame> {
        if self.buf.is_empty() {
            return None;
        }
        let raw = self.buf.split().freeze();
        self.scanned = 0;
        self.mark = None;
        let (data, data_span, done) = match self.framing {
            Framing::Sse => sse_data_span(&raw),
            Framing::JsonArray => (None, None, false),
        };
        Some(Frame {
            raw,
            data,
            data_span,
            done,
        })
    }

    fn scan_sse(&mut self, out: &mut Vec<Frame>) {
        let mut line_start = self.mark.unwrap_or(0);
        let mut i = self.scanned;
        while i < self.buf.len() {
            if self.buf[i] == b'\n' {
                let line = &self.buf[line_start..i];
                let blank = line.is_empty() || line == b"\r";
                line_start = i + 1;
                if blank {
                    let raw = self.buf.split_to(i + 1).freeze();
                    let (data, data_span, done) = sse_data_span(&raw);
                    out.push(Frame {
                        raw,
                        data,
                        data_span,
                        done,
                    });
                    i = 0;
                    line_start = 0;
                    continue;
                }
            }
            i += 1;
        }
        self.scanned = i;
        self.mark = Some(line_start);
    }

    fn scan_json_array(&mut self, out: &mut Vec<Frame>) {
        let mut i = self.scanned;
        while i < self.buf.len() {
            let b = self.buf[i];
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
            } else {
                match b {
                    b'"' => self.in_string = true,
                    b'{' | b'[' => {
                        self.depth += 1;
                        if self.depth == 2 {
                            self.mark = Some(i);
                        }
                    }
                    b'}' | b']' => {
                        self.depth = self.depth.saturating_sub(1);
                        if self.depth == 1 {
                            // One whole element: emit it with the separators before it.
                            let start = self.mark.take().unwrap_or(0);
                            let raw = self.buf.split_to(i + 1).freeze();
                            let data = Some(raw.slice(start..));
                            out.push(Frame {
                                data_span: Some(start..raw.len()),
                                raw,
                                data,
                                done: false,
                            });
                            i = 0;
                            continue;
                        }
                    }
                    _ => {}
                }
            }
            i += 1;
        }
        self.scanned = i;
    }
}

/// The `data` of one SSE event: its `data:` lines joined by `\n` (zero-copy when there is
/// exactly one), with its range in `raw` when it is a single `data:` line. `None` for events
/// without data and for the `[DONE]` sentinel.
/// An SSE event's data, where it lies, and whether it is `[DONE]`.
type SseData = (Option<Bytes>, Option<std::ops::Range<usize>>, bool);

fn sse_data_span(raw: &Bytes) -> SseData {
    let mut span = None;
    let mut found: Option<Bytes> = None;
    let mut joined: Option<Vec<u8>> = None;
    let mut pos = 0;
    for line in raw.split(|b| *b == b'\n') {
        let start = pos;
        pos += line.len() + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(rest) = line.strip_prefix(b"data:") else {
            continue;
        };
        let value = rest.strip_prefix(b" ").unwrap_or(rest);
        let offset = start + (line.len() - value.len());
        match (&mut joined, &found) {
            (Some(buf), _) => {
                buf.push(b'\n');
                buf.extend_from_slice(value);
            }
            (None, Some(first)) => {
                let mut buf = first.to_vec();
                buf.push(b'\n');
                buf.extend_from_slice(value);
                joined = Some(buf);
            }
            (None, None) => {
                span = Some(offset..offset + value.len());
                found = Some(raw.slice(offset..offset + value.len()));
            }
        }
    }
    let single = joined.is_none();
    let Some(data) = joined.map(Bytes::from).or(found) else {
        return (None, None, false);
    };
    if data.trim_ascii() == b"[DONE]" {
        return (None, None, true);
    }
    (Some(data), span.filter(|_| single), false)
}

/// The `event:` name of one SSE event, if it has one.
pub fn sse_event_name(raw: &[u8]) -> Option<&[u8]> {
    raw.split(|b| *b == b'\n').find_map(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let rest = line.strip_prefix(b"event:")?;
        Some(rest.strip_prefix(b" ").unwrap_or(rest))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn datas(frames: &[Frame]) -> Vec<String> {
        frames
            .iter()
            .map(|f| {
                f.data
                    .as_ref()
                    .map(|d| String::from_utf8_lossy(d).into_owned())
                    .unwrap_or_default()
            })
            .collect()
    }

    #[test]
    fn sse_events_split_across_chunks() {
        let mut f = Framer::new(Framing::Sse);
        assert!(f.push(b"event: message_start\ndata: {\"a\"").is_empty());
        let frames = f.push(b":1}\n\nevent: ping\ndata: {}\n\ndata: [DO");
        assert_eq!(datas(&frames), vec!["{\"a\":1}", "{}"]);
        assert_eq!(
            &frames[0].raw[..],
            b"event: message_start\ndata: {\"a\":1}\n\n"
        );
        assert_eq!(sse_event_name(&frames[1].raw), Some(&b"ping"[..]));
        let frames = f.push(b"NE]\n\n");
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].data, None, "[DONE] has no JSON data");
        assert_eq!(f.finish(), None);
    }

    #[test]
    fn data_can_be_edited_in_place() {
        let mut f = Framer::new(Framing::Sse);
        let frames = f.push(b"event: x\r\ndata: {\"a\":1}\r\n\r\n");
        let edited = frames[0].edit_data(|d| {
            assert_eq!(d, b"{\"a\":1}");
            Some(b"{\"a\":2}".to_vec())
        });
        assert_eq!(
            edited.as_deref(),
            Some(&b"event: x\r\ndata: {\"a\":2}\r\n\r\n"[..])
        );
        assert_eq!(frames[0].edit_data(|_| None), None);
        let mut f = Framer::new(Framing::JsonArray);
        let frames = f.push(b"[{\"a\":1}\r\n,{\"a\":3}");
        let edited = frames[1].edit_data(|_| Some(b"{}".to_vec()));
        assert_eq!(edited.as_deref(), Some(&b"\r\n,{}"[..]));
    }

    #[test]
    fn sse_crlf_and_multiline_data() {
        let mut f = Framer::new(Framing::Sse);
        let frames = f.push(b"data: {\"x\":\r\ndata: 2}\r\n\r\ndata:{}\r\n\r\n");
        assert_eq!(datas(&frames), vec!["{\"x\":\n2}", "{}"]);
    }

    #[test]
    fn sse_unterminated_tail_is_kept() {
        let mut f = Framer::new(Framing::Sse);
        assert!(f.push(b"data: {\"last\":true}").is_empty());
        let tail = f.finish().expect("tail frame");
        assert_eq!(tail.data.as_deref(), Some(&b"{\"last\":true}"[..]));
    }

    #[test]
    fn json_array_elements_byte_by_byte() {
        let input = b"[{\"a\":\"}]\\\"\",\"b\":[1,{\"c\":2}]}\r\n,\r\n{\"d\":3}]";
        let mut f = Framer::new(Framing::JsonArray);
        let mut frames = Vec::new();
        for b in input.iter() {
            frames.extend(f.push(&[*b]));
        }
        let tail = f.finish().expect("closing bracket");
        assert_eq!(&tail.raw[..], b"]");
        assert_eq!(
            datas(&frames),
            vec!["{\"a\":\"}]\\\"\",\"b\":[1,{\"c\":2}]}", "{\"d\":3}"]
        );
        let mut all: Vec<u8> = frames.iter().flat_map(|f| f.raw.to_vec()).collect();
        all.extend_from_slice(&tail.raw);
        assert_eq!(all, input.to_vec(), "relayed bytes are exactly the input");
    }
}
