//! Cache affinity: which credential served a prompt prefix lately, per provider, so a call
//! extending it goes where the provider's prompt cache holds it. Bounded per provider
//! (`credential_cache_affinity_max_keys`), entries expire with the provider's cache
//! lifetime.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How affinity behaves on one provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AffinityConfig {
    /// `credential_cache_affinity_enabled` (default true; only with round robin).
    pub enabled: bool,
    /// `credential_cache_affinity_max_keys` (default 4096).
    pub max_keys: usize,
    /// How long a prefix stays with its credential (`cache_affinity_ttl_secs`, default
    /// 300: Anthropic's and OpenAI's default cache lifetime).
    pub ttl: Duration,
}

impl Default for AffinityConfig {
    fn default() -> Self {
        AffinityConfig {
            enabled: true,
            max_keys: 4096,
            ttl: Duration::from_secs(300),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    credential: i64,
    expires: Instant,
}

/// Every provider's prefix → credential map.
#[derive(Debug, Default)]
pub struct Affinity {
    map: Mutex<HashMap<i64, HashMap<u64, Entry>>>,
}

impl Affinity {
    pub fn new() -> Self {
        Affinity::default()
    }

    /// The credential that served the longest of `keys` (longest first) on `provider`.
    pub fn prefer(&self, provider: i64, keys: &[u64], now: Instant) -> Option<i64> {
        if keys.is_empty() {
            return None;
        }
        let map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        let entries = map.get(&provider)?;
        keys.iter()
            .filter_map(|k| entries.get(k))
            .find(|e| e.expires > now)
            .map(|e| e.credential)
    }

    /// Remembers that `credential` served `keys` on `provider`. A full map drops what has
    /// expired, then the entries closest to expiring.
    pub fn remember(
        &self,
        provider: i64,
        keys: &[u64],
        credential: i64,
        now: Instant,
        c: &AffinityConfig,
    ) {
        if keys.is_empty() || c.max_keys == 0 {
            return;
        }
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        let entries = map.entry(provider).or_default();
        if entries.len() + keys.len() > c.max_keys {
            entries.retain(|_, e| e.expires > now);
            let excess = (entries.len() + keys.len()).saturating_sub(c.max_keys);
            if excess > 0 {
                // Evict an eighth at once, so a full map is not scanned on every call.
                let mut by_expiry: Vec<(u64, Instant)> =
                    entries.iter().map(|(k, e)| (*k, e.expires)).collect();
                by_expiry.sort_unstable_by_key(|(_, t)| *t);
                let drop = excess.max(c.max_keys / 8).min(by_expiry.len());
                for (k, _) in &by_expiry[..drop] {
                    entries.remove(k);
                }
            }
        }
        for k in keys {
            entries.insert(
                *k,
                Entry {
                    credential,
                    expires: now + c.ttl,
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_live_prefix_wins_and_entries_expire() {
        let a = Affinity::new();
        let c = AffinityConfig::default();
        let t0 = Instant::now();
        a.remember(1, &[10], 7, t0, &c);
        a.remember(1, &[20], 8, t0, &c);
        assert_eq!(a.prefer(1, &[20, 10], t0), Some(8));
        assert_eq!(a.prefer(1, &[30, 10], t0), Some(7));
        assert_eq!(a.prefer(2, &[10], t0), None, "per provider");
        assert_eq!(a.prefer(1, &[10], t0 + c.ttl), None, "expired");
    }

    #[test]
    fn memory_stays_bounded() {
        let a = Affinity::new();
        let c = AffinityConfig {
            max_keys: 64,
            ..AffinityConfig::default()
        };
        let t0 = Instant::now();
        for k in 0..1000u64 {
            a.remember(1, &[k], 1, t0 + Duration::from_millis(k), &c);
        }
        let map = a.map.lock().expect("lock");
        assert!(map[&1].len() <= 64);
        assert!(map[&1].contains_key(&999), "the newest stays");
    }
}
