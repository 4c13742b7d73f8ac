//! The engine's agent and contact tables, laid out so that one routing event touches as few
//! cache lines as possible when there are 100k agents.
//!
//! A hash map keeps its control bytes and its buckets in two separate arrays, so a lookup of a
//! cold key costs two cache misses before the value is even read, and buckets of odd sizes
//! straddle lines. Agent ids are small dense numbers in practice (ccemu-engine numbers agents
//! from 1), so agents live in a slab indexed by the id, with a map only for ids far beyond the
//! number of agents. Contact ids are arbitrary (and grow forever), so contacts keep a map, but a
//! narrow one from id to a slot in a slab: a slot freed by an accept is the one the next enqueue
//! fills, while it is still in the cache. Only waiting and ringing contacts are in it: a
//! connected contact is its agent's (the agent record lists it), so the map holds the waiting
//! contacts however many agents talk, and stays in the cache at 100k agents.

use rustc_hash::FxHashMap as HashMap;

use crate::types::{AgentId, ContactId};

/// Ids below `2 × agents + DENSE_SLACK` go into the slab: it stays at least about half full
/// however the ids are chosen, and an id far out (say `u32::MAX`) costs a map entry instead.
const DENSE_SLACK: usize = 64;

/// Agents by id: a slab for dense ids, a map for the others.
///
/// Which slab slots hold an agent is a bit set beside the slab rather than an `Option` around
/// each slot: the compiler puts an `Option`'s tag in a niche of its choosing (for the agent
/// record, a vector's capacity on the record's cold last line), and reading it would cost a
/// cache line that routing otherwise leaves alone. The bit set of 100k agents is 12.5 KiB.
#[derive(Debug)]
pub(crate) struct AgentTable<T> {
    /// `dense[id]` for every id below `dense.len()`; no such id is ever in `sparse`. A slot
    /// whose bit in `occupied` is clear holds `T::default()`.
    dense: Vec<T>,
    occupied: Vec<u64>,
    sparse: HashMap<AgentId, T>,
    len: usize,
}

impl<T> Default for AgentTable<T> {
    fn default() -> Self {
        Self {
            dense: Vec::new(),
            occupied: Vec::new(),
            sparse: HashMap::default(),
            len: 0,
        }
    }
}

impl<T: Default> AgentTable<T> {
    fn is_set(&self, i: usize) -> bool {
        self.occupied[i / 64] & (1 << (i % 64)) != 0
    }

    fn set(&mut self, i: usize, on: bool) {
        let bit = 1 << (i % 64);
        if on {
            self.occupied[i / 64] |= bit;
        } else {
            self.occupied[i / 64] &= !bit;
        }
    }

    /// The agent, if known.
    pub(crate) fn get(&self, id: &AgentId) -> Option<&T> {
        let i = id.0 as usize;
        if i < self.dense.len() {
            self.is_set(i).then(|| &self.dense[i])
        } else {
            self.sparse.get(id)
        }
    }

    /// The agent, if known.
    pub(crate) fn get_mut(&mut self, id: &AgentId) -> Option<&mut T> {
        let i = id.0 as usize;
        if i < self.dense.len() {
            self.is_set(i).then(|| &mut self.dense[i])
        } else {
            self.sparse.get_mut(id)
        }
    }

    /// Whether the agent is known.
    pub(crate) fn contains_key(&self, id: &AgentId) -> bool {
        self.get(id).is_some()
    }

    /// Adds or replaces an agent; returns the one it replaced.
    pub(crate) fn insert(&mut self, id: AgentId, value: T) -> Option<T> {
        let i = id.0 as usize;
        if i >= self.dense.len() && i < 2 * (self.len + 1) + DENSE_SLACK {
            self.dense.resize_with(i + 1, T::default);
            self.occupied.resize(i / 64 + 1, 0);
            // Keep "below dense.len() means in the slab": move the map's ids the slab now covers.
            if !self.sparse.is_empty() {
                let covered: Vec<AgentId> = self
                    .sparse
                    .keys()
                    .copied()
                    .filter(|a| (a.0 as usize) < self.dense.len())
                    .collect();
                for a in covered {
                    if let Some(v) = self.sparse.remove(&a) {
                        self.dense[a.0 as usize] = v;
                        self.set(a.0 as usize, true);
                    }
                }
            }
        }
        let old = if i < self.dense.len() {
            let was = self.is_set(i);
            self.set(i, true);
            let old = std::mem::replace(&mut self.dense[i], value);
            was.then_some(old)
        } else {
            self.sparse.insert(id, value)
        };
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    /// Removes an agent. The slab keeps its length (a later agent may reuse the id).
    pub(crate) fn remove(&mut self, id: &AgentId) -> Option<T> {
        let i = id.0 as usize;
        let old = if i < self.dense.len() {
            let was = self.is_set(i);
            self.set(i, false);
            was.then(|| std::mem::take(&mut self.dense[i]))
        } else {
            self.sparse.remove(id)
        };
        if old.is_some() {
            self.len -= 1;
        }
        old
    }
}

/// Waiting and ringing contacts by id.
#[derive(Debug)]
pub(crate) struct ContactTable<T> {
    /// Id → slot in `slab`.
    index: HashMap<ContactId, u32>,
    slab: Vec<Option<T>>,
    /// Free slots of `slab`, last freed on top: the next insert reuses a warm slot.
    free: Vec<u32>,
}

impl<T> Default for ContactTable<T> {
    fn default() -> Self {
        Self {
            index: HashMap::default(),
            slab: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T> ContactTable<T> {
    /// A waiting or ringing contact.
    pub(crate) fn get(&self, id: &ContactId) -> Option<&T> {
        let s = *self.index.get(id)?;
        self.slab[s as usize].as_ref()
    }

    /// A waiting or ringing contact.
    pub(crate) fn get_mut(&mut self, id: &ContactId) -> Option<&mut T> {
        let s = *self.index.get(id)?;
        self.slab[s as usize].as_mut()
    }

    /// Whether the contact waits or rings.
    pub(crate) fn knows(&self, id: &ContactId) -> bool {
        self.index.contains_key(id)
    }

    /// Adds a waiting contact; the caller has checked that the id is unknown.
    pub(crate) fn insert(&mut self, id: ContactId, value: T) {
        keep_room(&mut self.index);
        let s = match self.free.pop() {
            Some(s) => {
                self.slab[s as usize] = Some(value);
                s
            }
            None => {
                self.slab.push(Some(value));
                // The slab never reaches u32::MAX slots: each is a live contact.
                (self.slab.len() - 1) as u32
            }
        };
        if let Some(old) = self.index.insert(id, s) {
            self.slab[old as usize] = None;
            self.free.push(old);
        }
    }

    /// Removes a contact and returns its state.
    pub(crate) fn remove(&mut self, id: &ContactId) -> Option<T> {
        let s = self.index.remove(id)? as usize;
        self.free.push(s as u32);
        self.slab[s].take()
    }

    /// Removes a contact and drops its state where it lies (moving it out would copy all of
    /// it, lines the caller never reads included); false if the contact was unknown.
    pub(crate) fn discard(&mut self, id: &ContactId) -> bool {
        let Some(s) = self.index.remove(id) else {
            return false;
        };
        self.slab[s as usize] = None;
        self.free.push(s);
        true
    }
}

/// Keeps a map of short-lived entries at most half full. Contacts come and go with fresh ids:
/// in a fuller table removals leave tombstones, and the table then rebuilds itself in place,
/// all at once, every few thousand events (a latency spike of milliseconds at 100k entries).
fn keep_room<K: Eq + std::hash::Hash, V>(map: &mut HashMap<K, V>) {
    if map.len() * 2 >= map.capacity() {
        map.reserve(map.len().max(16));
    }
}

#[cfg(test)]
mod tests {
    use super::{AgentTable, ContactTable};
    use crate::types::{AgentId, ContactId};

    #[test]
    fn agent_table_takes_dense_and_far_ids() {
        let mut t: AgentTable<u32> = AgentTable::default();
        assert_eq!(t.insert(AgentId(u32::MAX), 9), None);
        for i in 0..100 {
            assert_eq!(t.insert(AgentId(i), i), None);
        }
        assert_eq!(t.insert(AgentId(5), 50), Some(5));
        assert_eq!(t.get(&AgentId(5)), Some(&50));
        assert_eq!(t.get(&AgentId(u32::MAX)), Some(&9));
        assert!(!t.contains_key(&AgentId(100)));
        assert_eq!(t.remove(&AgentId(7)), Some(7));
        assert_eq!(t.remove(&AgentId(7)), None);
        assert_eq!(t.get(&AgentId(7)), None);
        assert_eq!(t.remove(&AgentId(u32::MAX)), Some(9));
        assert_eq!(t.len, 99);
    }

    #[test]
    fn agent_table_moves_map_ids_the_slab_grows_over() {
        let mut t: AgentTable<u32> = AgentTable::default();
        t.insert(AgentId(1_000), 1_000);
        assert!(t.dense.len() < 1_000);
        for i in 0..600 {
            t.insert(AgentId(i), i);
        }
        assert!(t.dense.len() < 1_000);
        // 600 agents let the slab reach id 1 200, over the map's 1 000.
        t.insert(AgentId(1_200), 1_200);
        assert!(t.dense.len() > 1_200);
        assert!(t.sparse.is_empty());
        assert_eq!(t.get(&AgentId(1_000)), Some(&1_000));
        *t.get_mut(&AgentId(1_000)).expect("agent") += 1;
        assert_eq!(t.remove(&AgentId(1_000)), Some(1_001));
    }

    #[test]
    fn contact_table_reuses_the_slot_last_freed() {
        let mut t: ContactTable<&str> = ContactTable::default();
        let (a, b) = (ContactId(1), ContactId(2));
        t.insert(a, "a");
        t.insert(b, "b");
        assert!(t.discard(&a));
        assert!(!t.knows(&a));
        assert_eq!(t.get(&a), None);
        assert!(!t.discard(&a));
        // The slot `a` left is the next one filled.
        t.insert(ContactId(3), "c");
        assert_eq!(t.slab.len(), 2);
        assert_eq!(t.remove(&b), Some("b"));
        assert_eq!(t.remove(&b), None);
        assert!(!t.knows(&b));
        assert_eq!(t.get(&ContactId(3)), Some(&"c"));
        // A second insert of a known id replaces it and frees its old slot.
        t.insert(ContactId(3), "d");
        assert_eq!(t.get(&ContactId(3)), Some(&"d"));
        assert_eq!(t.slab.iter().filter(|s| s.is_some()).count(), 1);
    }
}
