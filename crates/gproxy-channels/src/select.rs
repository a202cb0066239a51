//! Picking a credential from a provider's pool: round robin (or sticky), and the order in
//! which the rest are tried when one fails. The round-robin cursors live in [`Cursors`],
//! outside the config snapshot, so a reload never resets them.

use crate::Credential;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

/// A provider's credentials with their database ids, shared by every request.
#[derive(Debug)]
pub struct CredentialPool {
    /// `(credential id, credential)` in configured order.
    entries: Vec<(i64, Arc<Credential>)>,
    /// Round-robin cursor of a pool standing alone (tests, tools); the server passes the
    /// provider's cursor from [`Cursors`].
    next: AtomicUsize,
}

/// Round-robin cursors by provider id, kept across snapshot reloads.
#[derive(Debug, Default)]
pub struct Cursors {
    map: RwLock<HashMap<i64, Arc<AtomicUsize>>>,
}

impl Cursors {
    pub fn new() -> Self {
        Cursors::default()
    }

    /// Provider `id`'s cursor, made on first use.
    pub fn of(&self, id: i64) -> Arc<AtomicUsize> {
        if let Some(c) = self
            .map
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
        {
            return Arc::clone(c);
        }
        Arc::clone(
            self.map
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(id)
                .or_default(),
        )
    }
}

impl CredentialPool {
    pub fn new(entries: Vec<(i64, Credential)>) -> Self {
        CredentialPool {
            entries: entries
                .into_iter()
                .map(|(id, c)| (id, Arc::new(c)))
                .collect(),
            next: AtomicUsize::new(0),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The credential ids, in configured order.
    pub fn ids(&self) -> Vec<i64> {
        self.entries.iter().map(|(id, _)| *id).collect()
    }

    /// The order in which one request tries the credentials: each request starts one
    /// further along, then falls over to the others in turn.
    pub fn attempt_order(&self) -> impl Iterator<Item = (i64, Arc<Credential>)> + '_ {
        self.order(true, &self.next)
    }

    /// The order in which one request tries the credentials: round robin (see
    /// [`CredentialPool::attempt_order`]), or sticky (configured order every time, so the
    /// first eligible credential serves until it cools or dies).
    pub fn order(
        &self,
        round_robin: bool,
        cursor: &AtomicUsize,
    ) -> impl Iterator<Item = (i64, Arc<Credential>)> + '_ {
        let len = self.entries.len().max(1);
        let start = if round_robin {
            cursor.fetch_add(1, Ordering::Relaxed) % len
        } else {
            0
        };
        (0..self.entries.len()).map(move |i| {
            let (id, cred) = &self.entries[(start + i) % len];
            (*id, Arc::clone(cred))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(n: i64) -> CredentialPool {
        CredentialPool::new(
            (1..=n)
                .map(|i| {
                    (
                        i,
                        Credential {
                            api_key: format!("k{i}").into(),
                        },
                    )
                })
                .collect(),
        )
    }

    #[test]
    fn rotates_and_covers_every_credential() {
        let p = pool(3);
        let first: Vec<i64> = p.attempt_order().map(|(id, _)| id).collect();
        let second: Vec<i64> = p.attempt_order().map(|(id, _)| id).collect();
        assert_eq!(first, vec![1, 2, 3]);
        assert_eq!(second, vec![2, 3, 1]);
        assert_eq!(pool(0).attempt_order().count(), 0);
        let cursor = AtomicUsize::new(0);
        let sticky: Vec<i64> = p.order(false, &cursor).map(|(id, _)| id).collect();
        assert_eq!(sticky, vec![1, 2, 3]);
        assert_eq!(
            p.order(false, &cursor)
                .map(|(id, _)| id)
                .collect::<Vec<_>>(),
            sticky
        );
        // A provider's cursor outlives its pool (a reload builds a new one).
        let cursors = Cursors::new();
        let first: Vec<i64> = p.order(true, &cursors.of(9)).map(|(id, _)| id).collect();
        let rebuilt = pool(3);
        let second: Vec<i64> = rebuilt
            .order(true, &cursors.of(9))
            .map(|(id, _)| id)
            .collect();
        assert_eq!((first[0], second[0]), (1, 2));
    }
}
