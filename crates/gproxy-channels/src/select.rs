//! Picking a credential from a provider's pool: round robin, and the order in which the
//! rest are tried when one fails. Health tracking builds on this later.

use crate::Credential;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A provider's credentials with their database ids, shared by every request.
#[derive(Debug)]
pub struct CredentialPool {
    /// `(credential id, credential)` in configured order.
    entries: Vec<(i64, Arc<Credential>)>,
    /// Round-robin cursor: the next request starts at `next % len`.
    next: AtomicUsize,
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
        self.order(true)
    }

    /// The order in which one request tries the credentials: round robin (see
    /// [`CredentialPool::attempt_order`]), or sticky (configured order every time, so the
    /// first eligible credential serves until it cools or dies).
    pub fn order(&self, round_robin: bool) -> impl Iterator<Item = (i64, Arc<Credential>)> + '_ {
        let len = self.entries.len().max(1);
        let start = if round_robin {
            self.next.fetch_add(1, Ordering::Relaxed) % len
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
        let sticky: Vec<i64> = p.order(false).map(|(id, _)| id).collect();
        assert_eq!(sticky, vec![1, 2, 3]);
        assert_eq!(p.order(false).map(|(id, _)| id).collect::<Vec<_>>(), sticky);
    }
}
