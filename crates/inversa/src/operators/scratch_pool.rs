//! Working memory that operators keep between calls, so a solver's iterations do not allocate.
//!
//! A pool hands out one scratch value per parallel task and takes it back afterwards. The first
//! calls allocate; later calls reuse. A `Mutex` guards the free list only for the moment of a take
//! or a give, never during the work.

use std::sync::Mutex;

/// A free list of reusable scratch values.
pub struct ScratchPool<S> {
    free: Mutex<Vec<S>>,
}

impl<S> Default for ScratchPool<S> {
    fn default() -> Self {
        Self {
            free: Mutex::new(Vec::new()),
        }
    }
}

impl<S> ScratchPool<S> {
    /// A free value, or a new one from `make` when none is free.
    pub fn take(&self, make: impl FnOnce() -> S) -> S {
        let reused = self.free.lock().map(|mut free| free.pop()).ok().flatten();
        reused.unwrap_or_else(make)
    }

    /// Returns `scratch` for later calls.
    pub fn give(&self, scratch: S) {
        if let Ok(mut free) = self.free.lock() {
            free.push(scratch);
        }
    }
}
