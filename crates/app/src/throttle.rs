//! In-memory throttles, counted per node: failed staff sign-ins (per account and service-wide)
//! and wrong receipts (per form, for callers without a form, and service-wide). Reporters are
//! never identified, not even by IP address, so a receipt budget belongs to the form the
//! reporter was given, never to a person.
//!
//! Keys are stored as keyed hashes of fixed size, so a 200 KiB username costs 32 bytes; the map
//! is bounded, and making room never forgets a key that is paused (an attacker cannot unlock
//! an account by flooding the map with new names).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Counts failures in a sliding window, per key.
pub struct Throttle {
    max: usize,
    window: i64,
    capacity: usize,
    salt: [u8; 32],
    hits: Mutex<HashMap<[u8; 32], VecDeque<i64>>>,
}

/// Keys a throttle holds at most by default.
pub const DEFAULT_CAPACITY: usize = 100_000;

impl Throttle {
    /// Pauses a key after `max` failures within `window_secs`.
    pub fn new(max: usize, window_secs: i64) -> Self {
        Self::with_capacity(max, window_secs, DEFAULT_CAPACITY)
    }

    pub fn with_capacity(max: usize, window_secs: i64, capacity: usize) -> Self {
        let mut salt = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut salt);
        Throttle {
            max,
            window: window_secs,
            capacity: capacity.max(1),
            salt,
            hits: Mutex::new(HashMap::new()),
        }
    }

    fn slot(&self, key: &[u8]) -> [u8; 32] {
        let mut input = Vec::with_capacity(32 + key.len());
        input.extend_from_slice(&self.salt);
        input.extend_from_slice(key);
        minhbach_crypto::sha256(&input)
    }

    fn expire(&self, q: &mut VecDeque<i64>, now: i64) {
        while q.front().is_some_and(|t| *t <= now - self.window) {
            q.pop_front();
        }
    }

    /// Whether `key` is paused. When the map is full of paused keys, a key it could not record
    /// is paused too (fail closed).
    pub fn blocked(&self, key: &[u8], now: i64) -> bool {
        let slot = self.slot(key);
        let Ok(mut hits) = self.hits.lock() else {
            return true;
        };
        match hits.get_mut(&slot) {
            Some(q) => {
                self.expire(q, now);
                q.len() >= self.max
            }
            None => hits.len() >= self.capacity && self.make_room(&mut hits, now) == 0,
        }
    }

    /// Forgets the failures of `key` (an administrator unlocked an account).
    pub fn clear(&self, key: &[u8]) {
        let slot = self.slot(key);
        if let Ok(mut hits) = self.hits.lock() {
            hits.remove(&slot);
        }
    }

    /// Records a failure of `key`.
    pub fn failure(&self, key: &[u8], now: i64) {
        let slot = self.slot(key);
        let Ok(mut hits) = self.hits.lock() else {
            return;
        };
        if !hits.contains_key(&slot)
            && hits.len() >= self.capacity
            && self.make_room(&mut hits, now) == 0
        {
            return;
        }
        hits.entry(slot).or_default().push_back(now);
    }

    /// Forgets keys with no failure in the window, then keys that are not paused; never a
    /// paused one. Returns the free places.
    fn make_room(&self, hits: &mut HashMap<[u8; 32], VecDeque<i64>>, now: i64) -> usize {
        hits.retain(|_, q| {
            self.expire(q, now);
            !q.is_empty()
        });
        if hits.len() >= self.capacity {
            hits.retain(|_, q| q.len() >= self.max);
        }
        self.capacity.saturating_sub(hits.len())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn throttle_blocks_after_max_failures_until_the_window_passes() {
        let t = Throttle::new(3, 60);
        for i in 0..3 {
            assert!(!t.blocked(b"", 100 + i));
            t.failure(b"", 100 + i);
        }
        assert!(t.blocked(b"", 103));
        assert!(!t.blocked(b"", 163));
    }

    #[test]
    fn flooding_with_new_keys_never_unlocks_a_paused_one() {
        let t = Throttle::with_capacity(3, 900, 50);
        for _ in 0..3 {
            t.failure(b"tttp.lanhdao", 100);
        }
        assert!(t.blocked(b"tttp.lanhdao", 101));
        for i in 0..10_000u32 {
            t.failure(format!("random-{i}").as_bytes(), 101);
        }
        assert!(t.blocked(b"tttp.lanhdao", 102), "still paused");
        assert!(t.hits.lock().unwrap().len() <= 50, "bounded");
        // A huge key costs a fixed-size slot.
        t.failure(&vec![b'a'; 200 * 1024], 102);
        assert!(t.hits.lock().unwrap().keys().all(|k| k.len() == 32));
    }

    #[test]
    fn a_map_full_of_paused_keys_pauses_new_ones() {
        let t = Throttle::with_capacity(1, 900, 2);
        t.failure(b"a", 1);
        t.failure(b"b", 1);
        assert!(t.blocked(b"c", 2));
        assert!(!t.blocked(b"c", 902), "after the window it has room again");
    }
}
