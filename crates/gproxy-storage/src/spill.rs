//! The spill file: where record batches go while the database is away. Each batch is one
//! JSON line appended (and synced) to a file in the data directory; when the database is
//! back the queue replays the lines in order through [`crate::Store::replay_records`], which
//! skips records already stored, and empties the file once every line is replayed. A
//! restart finds a non-empty file and replays it first.
//!
//! The same format serves as the write journal: each batch is written there (without a
//! sync: it guards against the process dying, not the machine) before its transaction
//! starts, and cleared once the transaction commits, so a kill -9 mid-commit loses nothing;
//! at the next start a batch left in the journal moves to the spill and is replayed.

use crate::model::Record;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// An append-only file of record batches, one JSON array per line.
#[derive(Debug)]
pub struct Spill {
    path: PathBuf,
    file: File,
    /// Where the next batch to replay starts.
    offset: u64,
    /// Records appended and not yet replayed.
    pending: u64,
    /// Sync every append and clear to disk (the spill); the journal does not.
    durable: bool,
}

impl Spill {
    /// Opens (creating, owner-only) the spill file at `path`, counting what an earlier run
    /// left in it. A torn last line (a crash mid-append) is cut off.
    pub fn open(path: &Path) -> std::io::Result<Spill> {
        Self::open_with(path, true)
    }

    /// Opens the write journal at `path`: like [`Spill::open`], without syncing.
    pub fn open_journal(path: &Path) -> std::io::Result<Spill> {
        Self::open_with(path, false)
    }

    fn open_with(path: &Path, durable: bool) -> std::io::Result<Spill> {
        let mut options = OpenOptions::new();
        options.read(true).append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path)?;
        let mut spill = Spill {
            path: path.to_owned(),
            file,
            offset: 0,
            pending: 0,
            durable,
        };
        let mut whole = 0u64;
        let mut reader = BufReader::new(spill.file.try_clone()?);
        reader.seek(SeekFrom::Start(0))?;
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line)?;
            if n == 0 {
                break;
            }
            if line.last() != Some(&b'\n') {
                tracing::warn!(path = %path.display(), bytes = n, "spill file ends in a torn line (a crash mid-append); cutting it off");
                spill.file.set_len(whole)?;
                break;
            }
            whole += n as u64;
            spill.pending +=
                serde_json::from_slice::<Vec<Record>>(&line).map_or(0, |batch| batch.len() as u64);
        }
        Ok(spill)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records waiting to be replayed.
    pub fn pending(&self) -> u64 {
        self.pending
    }

    /// Appends a batch as one line and syncs it to disk.
    pub fn append(&mut self, batch: &[Record]) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(batch).map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.file.write_all(&line)?;
        if self.durable {
            self.file.sync_data()?;
        }
        self.pending += batch.len() as u64;
        Ok(())
    }

    /// The next batch to replay and where the one after it starts; `None` when every line
    /// is replayed. A line that cannot be read as records (damaged on disk) is reported and
    /// passed over.
    pub fn peek(&self) -> std::io::Result<Option<(Vec<Record>, u64)>> {
        let mut reader = BufReader::new(self.file.try_clone()?);
        let mut at = self.offset;
        reader.seek(SeekFrom::Start(at))?;
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line)?;
            if n == 0 || line.last() != Some(&b'\n') {
                return Ok(None);
            }
            at += n as u64;
            match serde_json::from_slice::<Vec<Record>>(&line) {
                Ok(batch) => return Ok(Some((batch, at))),
                Err(err) => tracing::error!(
                    path = %self.path.display(), offset = at - n as u64, error = %err,
                    "a spilled batch cannot be read; passing over it"
                ),
            }
        }
    }

    /// Empties the file: every line is replayed (or unreadable).
    pub fn clear(&mut self) -> std::io::Result<()> {
        self.file.set_len(0)?;
        if self.durable {
            self.file.sync_data()?;
        }
        self.offset = 0;
        self.pending = 0;
        Ok(())
    }

    /// Marks the batch [`Spill::peek`] returned as replayed; empties the file once every
    /// line is.
    pub fn consumed(&mut self, records: usize, next: u64) -> std::io::Result<()> {
        self.offset = next;
        self.pending = self.pending.saturating_sub(records as u64);
        if self.offset >= self.file.metadata()?.len() {
            self.clear()?;
        }
        Ok(())
    }
}

impl Spill {
    /// Moves every batch left here into `to` (in order) and empties this file; returns how
    /// many records moved.
    pub fn move_into(&mut self, to: &mut Spill) -> std::io::Result<u64> {
        let mut moved = 0;
        while let Some((batch, next)) = self.peek()? {
            to.append(&batch)?;
            moved += batch.len() as u64;
            self.consumed(batch.len(), next)?;
        }
        self.clear()?;
        Ok(moved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::UsageRecord;

    fn usage(id: &str) -> Record {
        Record::Usage(UsageRecord {
            request_id: id.into(),
            ..Default::default()
        })
    }

    #[test]
    fn batches_replay_in_order_and_the_file_empties() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("spill.jsonl");
        let mut spill = Spill::open(&path).expect("open");
        spill.append(&[usage("a"), usage("b")]).expect("append");
        spill.append(&[usage("c")]).expect("append");
        assert_eq!(spill.pending(), 3);
        drop(spill);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "records are private to the owner");
        }

        let mut spill = Spill::open(&path).expect("reopen");
        assert_eq!(spill.pending(), 3, "a restart finds what was spilled");
        let (first, next) = spill.peek().expect("peek").expect("a batch");
        assert_eq!(first, vec![usage("a"), usage("b")]);
        spill.consumed(first.len(), next).expect("consumed");
        let (second, next) = spill.peek().expect("peek").expect("a batch");
        assert_eq!(second, vec![usage("c")]);
        spill.consumed(second.len(), next).expect("consumed");
        assert!(spill.peek().expect("peek").is_none());
        assert_eq!(spill.pending(), 0);
        assert_eq!(std::fs::metadata(&path).expect("meta").len(), 0);
    }

    #[test]
    fn a_journal_left_by_a_crash_moves_into_the_spill() {
        let dir = tempfile::tempdir().expect("dir");
        let mut journal = Spill::open_journal(&dir.path().join("journal.jsonl")).expect("open");
        journal.append(&[usage("a")]).expect("append");
        journal.append(&[usage("b"), usage("c")]).expect("append");
        drop(journal);
        let mut journal = Spill::open_journal(&dir.path().join("journal.jsonl")).expect("reopen");
        let mut spill = Spill::open(&dir.path().join("spill.jsonl")).expect("open");
        spill.append(&[usage("z")]).expect("append");
        assert_eq!(journal.move_into(&mut spill).expect("move"), 3);
        assert_eq!(journal.pending(), 0);
        assert!(journal.peek().expect("peek").is_none());
        let mut all = Vec::new();
        while let Some((batch, next)) = spill.peek().expect("peek") {
            all.extend(batch.clone());
            spill.consumed(batch.len(), next).expect("consumed");
        }
        assert_eq!(all, vec![usage("z"), usage("a"), usage("b"), usage("c")]);
    }

    #[test]
    fn a_torn_last_line_is_cut_and_a_damaged_line_passed_over() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("spill.jsonl");
        let good = serde_json::to_string(&[usage("a")]).expect("json");
        std::fs::write(&path, format!("not json\n{good}\n[{{\"table\":\"us")).expect("write");
        let spill = Spill::open(&path).expect("open");
        assert_eq!(spill.pending(), 1);
        assert_eq!(
            std::fs::metadata(&path).expect("meta").len() as usize,
            "not json\n".len() + good.len() + 1
        );
        let (batch, _) = spill.peek().expect("peek").expect("the good line");
        assert_eq!(batch, vec![usage("a")]);
    }
}
