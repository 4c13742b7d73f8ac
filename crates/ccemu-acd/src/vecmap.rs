//! A small ordered map in a sorted `Vec`, for the per-queue class and pool indexes.
//!
//! A queue has few classes (channel × tier level × requirement set) and few pool buckets
//! (channel × tier × skill set), and the routing path reads them on every decision. A sorted
//! vector answers those lookups and prefix ranges with a binary search over one contiguous
//! block, where a `BTreeMap` walks nodes and both ends of every range.

/// Sorted `(key, value)` pairs with unique keys.
#[derive(Debug)]
pub(crate) struct VecMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
        }
    }
}

impl<K: Ord + Copy, V> VecMap<K, V> {
    fn find(&self, key: &K) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.cmp(key))
    }

    /// The value of `key`, if present.
    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let i = self.find(key).ok()?;
        Some(&mut self.entries[i].1)
    }

    /// The value of `key`, inserted with `V::default()` if absent.
    pub(crate) fn get_or_default(&mut self, key: K) -> &mut V
    where
        V: Default,
    {
        let i = match self.find(&key) {
            Ok(i) => i,
            Err(i) => {
                self.entries.insert(i, (key, V::default()));
                i
            }
        };
        &mut self.entries[i].1
    }

    /// Removes `key`.
    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        let i = self.find(key).ok()?;
        Some(self.entries.remove(i).1)
    }

    /// Entries with `lo <= key <= hi`, in key order.
    pub(crate) fn range(&self, lo: K, hi: K) -> impl Iterator<Item = (&K, &V)> {
        let start = self.entries.partition_point(|(k, _)| *k < lo);
        self.entries[start..]
            .iter()
            .take_while(move |(k, _)| *k <= hi)
            .map(|(k, v)| (k, v))
    }

    /// All values, in key order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.iter().map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::VecMap;

    #[test]
    fn keeps_keys_sorted_and_unique() {
        let mut m: VecMap<u32, Vec<u32>> = VecMap::default();
        for k in [5, 1, 3, 5, 9, 1] {
            m.get_or_default(k).push(k * 10);
        }
        let keys: Vec<u32> = m.range(0, u32::MAX).map(|(k, _)| *k).collect();
        assert_eq!(keys, [1, 3, 5, 9]);
        assert_eq!(m.get_mut(&5).map(|v| v.len()), Some(2));
        let inner: Vec<u32> = m.range(2, 5).map(|(k, _)| *k).collect();
        assert_eq!(inner, [3, 5]);
        assert_eq!(m.remove(&3), Some(vec![30]));
        assert_eq!(m.remove(&3), None);
        assert!(m.get_mut(&3).is_none());
        assert_eq!(m.values().count(), 3);
    }
}
