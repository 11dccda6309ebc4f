//! Reads reused while the organisation's data has not changed.
//!
//! Every audited write bumps its organisation's data version in the same
//! transaction (see the store's audit module). A reader first asks the
//! database for the version (one indexed row) and reuses what it read at that
//! version; any write anywhere — this instance or another on the same
//! PostgreSQL — changes the version, so nothing stale is served. The version
//! is read before the data, so an entry can only be newer than its version,
//! never older.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

/// A bounded map from key to (data version, value).
pub struct VersionedCache<K, V> {
    entries: Mutex<HashMap<K, (i64, Arc<V>)>>,
    capacity: usize,
}

impl<K: Eq + Hash, V> VersionedCache<K, V> {
    pub fn new(capacity: usize) -> Self {
        VersionedCache {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// The value stored for `key` at exactly `version`.
    pub fn get(&self, key: &K, version: i64) -> Option<Arc<V>> {
        let entries = self.entries.lock().ok()?;
        match entries.get(key) {
            Some((v, value)) if *v == version => Some(value.clone()),
            _ => None,
        }
    }

    /// Stores `value` read at `version`; when full, starts again empty
    /// (simple, bounded, and a full cache is rare: keys are distinct queries).
    pub fn put(&self, key: K, version: i64, value: Arc<V>) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= self.capacity && !entries.contains_key(&key) {
                entries.clear();
            }
            entries.insert(key, (version, value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_only_the_same_version() {
        let cache = VersionedCache::new(2);
        cache.put("a", 1, Arc::new(10));
        assert_eq!(cache.get(&"a", 1).as_deref(), Some(&10));
        assert_eq!(cache.get(&"a", 2), None, "a newer version is a miss");
        cache.put("b", 1, Arc::new(20));
        cache.put("c", 1, Arc::new(30));
        assert!(cache.get(&"c", 1).is_some());
        assert_eq!(
            cache.get(&"a", 1),
            None,
            "the bound was kept by starting again"
        );
    }
}
