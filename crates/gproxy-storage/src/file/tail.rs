//! Reading a JSON-lines file from its end: the newest rows without scanning the whole file,
//! so `recent_*` costs what it returns, not what the table holds.

use super::table::io_err;
use crate::store::StoreError;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// How much is read from the end at a time.
const CHUNK: u64 = 64 * 1024;

/// The last `limit` lines of the first `len` bytes of `path` (which end with a newline),
/// newest first, without their newlines.
pub(super) fn last_lines(path: &Path, len: u64, limit: usize) -> Result<Vec<Vec<u8>>, StoreError> {
    last_lines_by(path, len, limit, CHUNK)
}

fn last_lines_by(
    path: &Path,
    len: u64,
    limit: usize,
    chunk: u64,
) -> Result<Vec<Vec<u8>>, StoreError> {
    let mut lines = Vec::new();
    if limit == 0 || len == 0 {
        return Ok(lines);
    }
    let mut file = File::open(path).map_err(|e| io_err("opening", path, e))?;
    // `pending` holds file[start..] not yet split into lines: an incomplete line at its
    // front (unless `start` is 0), whole lines after it, each ending with a newline.
    let mut pending: Vec<u8> = Vec::new();
    let mut end = len;
    while end > 0 && lines.len() < limit {
        let start = end.saturating_sub(chunk.max(1));
        let mut bytes = vec![0; usize::try_from(end - start).unwrap_or(0)];
        file.seek(SeekFrom::Start(start))
            .and_then(|_| file.read_exact(&mut bytes))
            .map_err(|e| io_err("reading", path, e))?;
        bytes.extend_from_slice(&pending);
        pending = bytes;
        end = start;
        while let Some(body_end) = pending.len().checked_sub(1) {
            if lines.len() == limit {
                break;
            }
            match pending[..body_end].iter().rposition(|&b| b == b'\n') {
                Some(i) => {
                    lines.push(pending[i + 1..body_end].to_vec());
                    pending.truncate(i + 1);
                }
                None if end == 0 => {
                    lines.push(pending[..body_end].to_vec());
                    pending.clear();
                }
                // The line starts before what was read: read further back.
                None => break,
            }
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_chunk_size_finds_the_same_lines() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.jsonl");
        let rows: Vec<String> = (0..40)
            .map(|i| format!("row {i} {}", "x".repeat(i % 7)))
            .collect();
        let mut text = rows.join("\n");
        text.push('\n');
        std::fs::write(&path, &text).expect("write");
        let len = text.len() as u64;
        for chunk in [1, 2, 3, 5, 8, 13, 100, 10_000] {
            for limit in [0, 1, 2, 7, 39, 40, 41, 1000] {
                let got = last_lines_by(&path, len, limit, chunk).expect("read");
                let want: Vec<Vec<u8>> = rows
                    .iter()
                    .rev()
                    .take(limit)
                    .map(|r| r.as_bytes().to_vec())
                    .collect();
                assert_eq!(got, want, "chunk {chunk}, limit {limit}");
            }
        }
        // Bytes past `len` (a write in progress) are not read.
        let first = rows[0].len() as u64 + 1;
        let got = last_lines_by(&path, first, 5, 3).expect("read");
        assert_eq!(got, vec![rows[0].as_bytes().to_vec()]);
        assert!(last_lines(&path, 0, 5).expect("read").is_empty());
    }
}
