//! In-memory throttles: wrong receipts (one global key: reporters are never identified, not even
//! by IP address) and failed staff sign-ins (keyed by username). Counted per node.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Counts failures in a sliding window, per key, in memory. Used for wrong receipts (one global
/// key: reporters are never identified, not even by IP address) and for failed staff logins
/// (keyed by username).
pub struct Throttle {
    max: usize,
    window: i64,
    hits: Mutex<HashMap<String, VecDeque<i64>>>,
}

impl Throttle {
    pub fn new(max: usize, window_secs: i64) -> Self {
        Throttle {
            max,
            window: window_secs,
            hits: Mutex::new(HashMap::new()),
        }
    }

    pub fn blocked(&self, key: &str, now: i64) -> bool {
        let Ok(mut hits) = self.hits.lock() else {
            return true;
        };
        let Some(q) = hits.get_mut(key) else {
            return false;
        };
        while q.front().is_some_and(|t| *t <= now - self.window) {
            q.pop_front();
        }
        q.len() >= self.max
    }

    pub fn failure(&self, key: &str, now: i64) {
        if let Ok(mut hits) = self.hits.lock() {
            if hits.len() > 100_000 {
                hits.clear();
            }
            hits.entry(key.to_owned()).or_default().push_back(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_blocks_after_max_failures_until_the_window_passes() {
        let t = Throttle::new(3, 60);
        for i in 0..3 {
            assert!(!t.blocked("", 100 + i));
            t.failure("", 100 + i);
        }
        assert!(t.blocked("", 103));
        assert!(!t.blocked("", 163));
    }
}
