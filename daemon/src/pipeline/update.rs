//! [`Update`]: a value on its way from the supervisor (a reload) to the
//! receive thread, which takes it between two receive batches: one atomic
//! load per batch while none is waiting, never a wait.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// A value offered to the receive thread, taken once.
#[derive(Debug)]
pub struct Update<T> {
    waiting: AtomicBool,
    next: Mutex<Option<T>>,
}

impl<T> Default for Update<T> {
    fn default() -> Self {
        Update {
            waiting: AtomicBool::new(false),
            next: Mutex::new(None),
        }
    }
}

impl<T> Update<T> {
    /// Hands over `value` (replacing one not yet taken).
    pub fn offer(&self, value: T) {
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        *next = Some(value);
        self.waiting.store(true, Ordering::Release);
    }

    /// The value offered since the last call, if any.
    pub fn take(&self) -> Option<T> {
        if !self.waiting.swap(false, Ordering::Acquire) {
            return None;
        }
        self.next.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}
