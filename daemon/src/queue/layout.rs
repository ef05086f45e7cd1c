//! The shape of a [`Queue`](super::Queue), fixed at start ([`Layout`]),
//! and what the receive thread does when no free buffer is left
//! ([`Policy`]).

use std::time::Duration;

/// The shape of a queue, fixed at start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Pooled buffers, and the bytes of each.
    pub buffers: usize,
    pub buffer_size: usize,
    pub policy: Policy,
    /// Under [`Policy::Drop`]: how long the receive thread waits for a
    /// free buffer before it drops, once an overrun (`queue::free_wait`;
    /// zero: never waits).
    pub drop_wait: Duration,
    /// Outputs reading the queue (a backlog each).
    pub outputs: usize,
    /// Side region of each pooled buffer, opened at start (0: none; see
    /// [`crate::side`]).
    pub side_size: usize,
    /// Side bytes reserved (address space only) for each pooled buffer:
    /// what [`Queue::open_side`](super::Queue::open_side) may open at most (at least `side_size`).
    pub side_reserve: usize,
    /// Bytes of each large buffer (0: no large lane).
    pub large_size: usize,
    /// Side region of each large buffer, opened at start.
    pub large_side_size: usize,
    /// Side bytes reserved for each large buffer (at least
    /// `large_side_size`).
    pub large_side_reserve: usize,
}

impl Layout {
    /// One output, no side regions, no large lane, no wait before a drop.
    pub fn pool(buffers: usize, buffer_size: usize, policy: Policy) -> Layout {
        Layout {
            buffers,
            buffer_size,
            policy,
            drop_wait: Duration::ZERO,
            outputs: 1,
            side_size: 0,
            side_reserve: 0,
            large_size: 0,
            large_side_size: 0,
            large_side_reserve: 0,
        }
    }
}

/// What the receive thread does when no free buffer is left.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Policy {
    /// Drop the event and count it (after a short wait, once an overrun:
    /// [`Layout::drop_wait`]).
    #[default]
    Drop,
    /// Wait for the outputs to free a buffer.
    Block,
}
