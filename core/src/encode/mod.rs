//! JSON encoding of completed events into caller buffers.
//!
//! One JSON path: values go through `serde-json-core` (`Serialize` views over
//! borrowed bytes, byte strings through [`text::Lossy`] so invalid UTF-8
//! becomes U+FFFD); the object's outline is written around them so that an
//! event larger than the buffer can be cut at a message boundary and still
//! be valid JSON, with `"truncated":true`. What every event has (the
//! outline and its integers, go-audit's `data`, the `uid_map`, container
//! ids) is written directly instead, with exactly the bytes serde-json-core
//! would write (tests compare them) but without its char-by-char escaping
//! or `core::fmt`. Nothing here panics or allocates.
//!
//! - [`go_audit()`]: go-audit's shape, `{"sequence","timestamp","messages",
//!   "uid_map"}`.
//! - [`structured()`]: `{"sequence","timestamp","records","uid_map"}`, each
//!   record's fields parsed into members (`raudit.format: structured`).
//! - `common`: the frame both shapes share (header, `uid_map`, marker).
//! - [`Enrich`]: what the caller supplies (user names, container ids); core
//!   has no libc and no clock.

mod common;
mod cursor;
mod go_audit;
mod structured;
pub mod text;
pub mod uids;

pub use go_audit::go_audit;
pub use structured::structured;

use self::uids::{UidScanner, UidValues};
use crate::assemble::Event;
use crate::wire::MessageType;

/// Smallest output buffer that always holds an event's outline (sequence,
/// timestamp, an empty message list and the truncation marker).
pub const MIN_BUFFER: usize = 128;

/// Name shown for a uid the lookup does not know (go-audit's).
pub const UNKNOWN_USER: &str = "UNKNOWN_USER";

/// What the caller adds to an event while it is encoded.
pub trait Enrich {
    /// Called once per event before encoding (fill caches here), with the
    /// event's `uid=` values: exactly the keys the encoder will put in
    /// `uid_map` and ask [`user_name`](Self::user_name) about.
    fn prepare(&mut self, _event: &Event<'_>, _uids: &UidValues<'_>) {}

    /// The user name of a `uid=` value, `None` when unknown.
    fn user_name(&self, uid: &[u8]) -> Option<&str>;

    /// Container id for a SYSCALL (1300) or 1326 record, as go-audit's
    /// `extras.containers` adds it.
    fn container_id(&self, _msg_type: MessageType, _body: &[u8]) -> Option<&str> {
        None
    }

    /// A `uid=` searcher kept across events; without one the encoder
    /// builds one per event.
    fn uid_scanner(&self) -> Option<&UidScanner> {
        None
    }
}

/// Enriches nothing: every uid maps to `UNKNOWN_USER`.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoEnrich;

impl Enrich for NoEnrich {
    fn user_name(&self, _uid: &[u8]) -> Option<&str> {
        None
    }
}

/// Result of encoding one event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Encoded {
    /// Bytes written at the start of the buffer (0: the buffer is smaller
    /// than [`MIN_BUFFER`] and nothing could be written).
    pub len: usize,
    /// Some of the event is missing from the output (cut to fit, or records
    /// the assembler could not keep); the JSON says `"truncated":true`.
    pub truncated: bool,
}
