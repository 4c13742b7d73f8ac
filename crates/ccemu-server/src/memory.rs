//! Giving freed memory back to the system after a large release, such as a journal clear.
//!
//! The allocator keeps freed pages for reuse, and pages freed by one thread for another stay
//! with their owner until it collects them; after a clear that would hold the journal's peak
//! for good. A release is counted here, and each runtime thread collects once per release when
//! it next goes idle (the binary wires [`on_park`] to the runtime and to its allocator).

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

static RELEASES: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static SEEN: Cell<u64> = const { Cell::new(0) };
}

/// Notes that a large amount of memory was just freed.
pub fn released() {
    RELEASES.fetch_add(1, Ordering::Relaxed);
}

/// Runs `collect` on this thread if a release happened since its last call here.
pub fn on_park(collect: impl FnOnce()) {
    let now = RELEASES.load(Ordering::Relaxed);
    if SEEN.with(|seen| seen.replace(now)) != now {
        collect();
    }
}
