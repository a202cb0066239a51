//! The append-only tables (`*.jsonl`): one JSON row per line with its id. Batches are
//! appended with one write and one `sync_data`; a torn last line (a crash mid-append) is cut
//! away at open; reads stream the file; retention rewrites it through a temporary file.

use super::table::{io_err, private_options, sync_dir, write_new};
use crate::store::StoreError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// What every row has: enough to find the next id.
#[derive(serde::Deserialize)]
struct IdOnly {
    id: i64,
}

/// The end of a log file as a scan from the start finds it.
struct Tail {
    /// The file's size.
    total: u64,
    /// Where the last newline-terminated line ends (0: none).
    complete_end: u64,
    /// The last newline-terminated line: its start and bytes.
    last: Option<(u64, Vec<u8>)>,
}

fn scan_tail(mut file: &File, path: &Path) -> Result<Tail, StoreError> {
    file.seek(SeekFrom::Start(0))
        .map_err(|e| io_err("reading", path, e))?;
    let mut reader = BufReader::new(file);
    let (mut offset, mut complete_end) = (0u64, 0u64);
    let mut last: Option<(u64, Vec<u8>)> = None;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| io_err("reading", path, e))?;
        if n == 0 {
            break;
        }
        if buf.last() == Some(&b'\n') {
            let start = offset;
            complete_end = offset + n as u64;
            match &mut last {
                Some((s, bytes)) => {
                    *s = start;
                    std::mem::swap(bytes, &mut buf);
                }
                None => last = Some((start, std::mem::take(&mut buf))),
            }
        }
        offset += n as u64;
    }
    Ok(Tail {
        total: offset,
        complete_end,
        last,
    })
}

/// Line `number` of table `name` as a row (the message names the place, never the data).
pub(super) fn parse_line<T: DeserializeOwned>(
    name: &str,
    number: usize,
    line: &[u8],
) -> Result<T, StoreError> {
    serde_json::from_slice(line).map_err(|e| {
        StoreError::Invalid(format!(
            "{name} line {number}: not a row ({:?} error at column {})",
            e.classify(),
            e.column()
        ))
    })
}

/// How [`Log::rewrite`] treats one line.
pub(super) enum Edit {
    Keep,
    Drop,
    Replace(Vec<u8>),
}

/// The state to go back to when a batch must be taken back (see [`Log::undo`]).
#[derive(Clone, Copy, Debug)]
pub(super) struct Undo {
    len: u64,
    next_id: i64,
}

/// One append-only table.
#[derive(Debug)]
pub(super) struct Log {
    /// The file name (`usages.jsonl`), for messages.
    name: &'static str,
    path: PathBuf,
    /// The id the next appended row gets.
    next_id: i64,
    /// The file's length after the last complete write: reads stop here.
    len: u64,
}

impl Log {
    /// Opens (creating) `dir/name`, cuts away a torn last line, and finds the next id: after
    /// the last row's, and not below `floor` (the counter kept when retention emptied it).
    pub(super) fn open(dir: &Path, name: &'static str, floor: i64) -> Result<Self, StoreError> {
        let path = dir.join(name);
        let file = private_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| io_err("opening", &path, e))?;
        let cut = |at: u64, what: &str| -> Result<(), StoreError> {
            tracing::warn!(file = %path.display(), offset = at, "dropping {what} (a write cut short)");
            file.set_len(at)
                .and_then(|()| file.sync_data())
                .map_err(|e| io_err("truncating", &path, e))
        };
        let mut dropped_unreadable = false;
        let (next_id, len) = loop {
            let tail = scan_tail(&file, &path)?;
            if tail.total > tail.complete_end {
                cut(tail.complete_end, "a torn last line")?;
            }
            let Some((start, line)) = tail.last else {
                break (1, 0);
            };
            match serde_json::from_slice::<IdOnly>(&line) {
                Ok(row) => break (row.id + 1, tail.complete_end),
                Err(_) if !dropped_unreadable => {
                    cut(start, "an unreadable last line")?;
                    dropped_unreadable = true;
                }
                Err(e) => {
                    return Err(StoreError::Invalid(format!(
                        "{name}: the last line is not a row ({:?} error at column {})",
                        e.classify(),
                        e.column()
                    )));
                }
            }
        };
        Ok(Log {
            name,
            path,
            next_id: next_id.max(floor),
            len,
        })
    }

    pub(super) fn name(&self) -> &'static str {
        self.name
    }

    /// Whether the table holds no row.
    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The id the next appended row gets.
    pub(super) fn next_id(&self) -> i64 {
        self.next_id
    }

    /// Appends `rows` (ids from [`Log::next_id`] up) in one write and syncs the data;
    /// `next_id` is the id after the last of them. On a failure the file is cut back.
    pub(super) fn append<T: Serialize>(
        &mut self,
        rows: &[T],
        next_id: i64,
    ) -> Result<Undo, StoreError> {
        let undo = Undo {
            len: self.len,
            next_id: self.next_id,
        };
        if rows.is_empty() {
            return Ok(undo);
        }
        let mut buf = Vec::new();
        for row in rows {
            serde_json::to_writer(&mut buf, row)
                .map_err(|e| StoreError::Invalid(format!("encoding a {} row: {e}", self.name)))?;
            buf.push(b'\n');
        }
        let written = OpenOptions::new()
            .append(true)
            .open(&self.path)
            .and_then(|mut f| f.write_all(&buf).and_then(|()| f.sync_data()));
        if let Err(e) = written {
            // Best effort: a torn tail left behind is cut at the next open anyway.
            let _ = self.undo(undo);
            return Err(io_err("appending to", &self.path, e));
        }
        self.len += buf.len() as u64;
        self.next_id = next_id;
        Ok(undo)
    }

    /// Takes back what was appended since `undo` was returned.
    pub(super) fn undo(&mut self, undo: Undo) -> Result<(), StoreError> {
        OpenOptions::new()
            .write(true)
            .open(&self.path)
            .and_then(|f| f.set_len(undo.len).and_then(|()| f.sync_data()))
            .map_err(|e| io_err("truncating", &self.path, e))?;
        self.len = undo.len;
        self.next_id = undo.next_id;
        Ok(())
    }

    /// Calls `f` with each line (1-based number, bytes without the newline), oldest first.
    pub(super) fn for_each_line(
        &self,
        mut f: impl FnMut(usize, &[u8]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let file = File::open(&self.path).map_err(|e| io_err("opening", &self.path, e))?;
        let mut reader = BufReader::new(file.take(self.len));
        let mut buf = Vec::new();
        let mut number = 0;
        loop {
            buf.clear();
            let n = reader
                .read_until(b'\n', &mut buf)
                .map_err(|e| io_err("reading", &self.path, e))?;
            if n == 0 {
                return Ok(());
            }
            number += 1;
            let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
            f(number, line)?;
        }
    }

    /// Line `number`'s row.
    pub(super) fn parse<T: DeserializeOwned>(
        &self,
        number: usize,
        line: &[u8],
    ) -> Result<T, StoreError> {
        parse_line(self.name, number, line)
    }

    /// The newest `limit` rows that `keep` wants, newest first: the table is scanned (the
    /// file backend serves small installs), holding no more than `limit` rows.
    pub(super) fn newest_where<T: DeserializeOwned>(
        &self,
        limit: u64,
        keep: impl Fn(&T) -> bool,
    ) -> Result<Vec<T>, StoreError> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let mut rows = std::collections::VecDeque::new();
        self.for_each_line(|number, line| {
            let row: T = self.parse(number, line)?;
            if keep(&row) {
                rows.push_back(row);
                if rows.len() > limit {
                    rows.pop_front();
                }
            }
            Ok(())
        })?;
        Ok(rows.into_iter().rev().collect())
    }

    /// The `limit` rows `pick` keeps that sort last by `key`, in descending key order: the
    /// table is scanned, holding at most twice `limit` rows (trimmed whenever it reaches
    /// that), so a listing ordered by something other than the file's order stays bounded.
    /// `pick` may also shrink a row it keeps (a listing drops bodies) before it is held.
    pub(super) fn top_where<T: DeserializeOwned, K: Ord>(
        &self,
        limit: u64,
        pick: impl Fn(T) -> Option<T>,
        key: impl Fn(&T) -> K,
    ) -> Result<Vec<T>, StoreError> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let trim = |rows: &mut Vec<T>| {
            rows.sort_by_key(|r| std::cmp::Reverse(key(r)));
            rows.truncate(limit);
        };
        let mut rows = Vec::new();
        self.for_each_line(|number, line| {
            if let Some(row) = pick(self.parse(number, line)?) {
                rows.push(row);
                if rows.len() >= limit.saturating_mul(2).max(2) {
                    trim(&mut rows);
                }
            }
            Ok(())
        })?;
        trim(&mut rows);
        Ok(rows)
    }

    /// The last `limit` rows, newest first (read from the end of the file).
    pub(super) fn newest<T: DeserializeOwned>(&self, limit: u64) -> Result<Vec<T>, StoreError> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        super::tail::last_lines(&self.path, self.len, limit)?
            .iter()
            .enumerate()
            .map(|(k, line)| {
                serde_json::from_slice(line).map_err(|e| {
                    StoreError::Invalid(format!(
                        "{}: row {} from the end is not a row ({:?} error at column {})",
                        self.name,
                        k + 1,
                        e.classify(),
                        e.column()
                    ))
                })
            })
            .collect()
    }

    /// Rewrites the file with each line kept, dropped or replaced as `edit` says: a new
    /// file synced beside it, renamed over it, the directory synced.
    pub(super) fn rewrite(
        &mut self,
        mut edit: impl FnMut(usize, &[u8]) -> Result<Edit, StoreError>,
    ) -> Result<(), StoreError> {
        let tmp = self.path.with_extension("jsonl.tmp");
        write_new(&tmp, &[])?;
        let file = OpenOptions::new()
            .write(true)
            .open(&tmp)
            .map_err(|e| io_err("opening", &tmp, e))?;
        let mut out = BufWriter::new(file);
        let mut len = 0u64;
        let result = self.for_each_line(|number, line| {
            let edited = edit(number, line)?;
            let bytes = match &edited {
                Edit::Keep => line,
                Edit::Drop => return Ok(()),
                Edit::Replace(new) => new.as_slice(),
            };
            out.write_all(bytes)
                .and_then(|()| out.write_all(b"\n"))
                .map_err(|e| io_err("writing", &tmp, e))?;
            len += bytes.len() as u64 + 1;
            Ok(())
        });
        let result = result.and_then(|()| {
            out.into_inner()
                .map_err(|e| io_err("writing", &tmp, e.into_error()))?
                .sync_all()
                .map_err(|e| io_err("syncing", &tmp, e))?;
            std::fs::rename(&tmp, &self.path).map_err(|e| io_err("renaming", &tmp, e))
        });
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        self.len = len;
        sync_dir(self.path.parent().unwrap_or(Path::new(".")))
    }
}
