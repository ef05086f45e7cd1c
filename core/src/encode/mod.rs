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
//! - [`ecs()`]: Auditbeat's document (`raudit.format: ecs`): `@timestamp`,
//!   `event`, `auditd`, `user`, `process`, `file`, `source`/`destination`,
//!   `tags`, `host`.
//! - `common`: the frame the first two shapes share (header, `uid_map`, marker).
//! - [`cut`]: what an event too large for its room becomes: every record
//!   whole but EXECVE arguments taken from the middle, marked
//!   `"cut":{"arguments":N,"bytes":M}` ([`Shape::encode_within`]).
//! - [`Enrich`]: what the caller supplies (user names, container ids); core
//!   has no libc and no clock. [`LoggedName`]: an account's name as a
//!   record logged it (maybe hex), the bytes the caller is asked the id of.

mod common;
mod cursor;
pub mod cut;
mod ecs;
mod go_audit;
pub mod id_fields;
mod keys;
mod layout;
mod logged_name;
pub mod sockaddr;
mod structured;
pub mod text;
pub mod uids;

#[cfg(test)]
mod test_names;

pub use cut::Cut;
pub use ecs::ecs;
pub use go_audit::go_audit;
pub use logged_name::{LoggedName, LOGGED_NAME_MAX};
pub use structured::structured;

use self::common::Framed;
use self::cut::{plan, Keep, Piece};

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
    /// uid values the encoder will ask [`user_name`](Self::user_name)
    /// about: go-audit's every `uid=` value (exactly the keys of
    /// `uid_map`). The structured shape asks about those and, as
    /// [`id_fields`] says, the `id` fields, the group-id fields and the id
    /// fields inside `msg='…'` (the caller finds them in the records).
    fn prepare(&mut self, _event: &Event<'_>, _uids: &UidValues<'_>) {}

    /// [`prepare`](Self::prepare) for an encoder that says every id it
    /// will ask about, found while it read the event (the ECS shape):
    /// the enricher need not look for them in the records. By default,
    /// `prepare` with the uids.
    fn prepare_named(&mut self, event: &Event<'_>, named: &Named<'_>) {
        self.prepare(event, &named.uids);
    }

    /// The user name of a `uid=` value, `None` when unknown.
    fn user_name(&self, uid: &[u8]) -> Option<&str>;

    /// The group name of a group-id field's value (`gid`, `egid`, `sgid`,
    /// `fsgid`, `ogid`, … as [`id_fields`] says), `None` when unknown: the
    /// ECS shape's `group.name`, the structured shape's `GID`-style names.
    fn group_name(&self, _gid: &[u8]) -> Option<&str> {
        None
    }

    /// The uid (decimal text) of user `name`, `None` when unknown: the
    /// ECS shape's `id` of an account its record names only by name
    /// (`acct="alice"`), as Auditbeat's `resolve_ids` looks it up.
    /// Asked only of the names [`Named::user_names`] holds, with the
    /// bytes [`LoggedName::with_bytes`] gives (a hex-encoded name's
    /// decoding).
    fn user_id(&self, _name: &[u8]) -> Option<&str> {
        None
    }

    /// The gid (decimal text) of group `name`, as
    /// [`user_id`](Self::user_id) (of [`Named::group_name`]).
    fn group_id(&self, _name: &[u8]) -> Option<&str> {
        None
    }

    /// What the caller found of process `pid` (decimal text from a
    /// record) while the event was enriched: its identity across pid
    /// reuse and, for a parent, its executable and name. `None` when the
    /// process was gone or is not looked up.
    fn process(&self, _pid: &[u8]) -> Option<ProcessInfo<'_>> {
        None
    }

    /// Container id for a SYSCALL (1300) or 1326 record, as go-audit's
    /// `extras.containers` adds it.
    fn container_id(&self, _msg_type: MessageType, _body: &[u8]) -> Option<&str> {
        None
    }

    /// The host name the ECS shape writes as `host.name`; `None` leaves
    /// it out.
    fn host_name(&self) -> Option<&str> {
        None
    }

    /// The host name the go-audit and structured shapes write as
    /// `"host"` after `"timestamp"` (`raudit.host_name`, go-audit #119);
    /// `None` (the default) writes nothing, go-audit's exact bytes.
    fn host_tag(&self) -> Option<&str> {
        None
    }

    /// A `uid=` searcher kept across events; without one the encoder
    /// builds one per event.
    fn uid_scanner(&self) -> Option<&UidScanner> {
        None
    }
}

/// Every id an encoder will ask the enricher about for one event
/// ([`Enrich::prepare_named`]): nothing else is asked.
#[derive(Debug, Default)]
pub struct Named<'a> {
    /// The values [`Enrich::user_name`] is asked of.
    pub uids: UidValues<'a>,
    /// The values [`Enrich::group_name`] is asked of.
    pub gids: UidValues<'a>,
    /// The pids [`Enrich::process`] is asked of: the event's process and
    /// its parent, each when the event names it.
    pub pids: [Option<&'a [u8]>; 2],
    /// The user names [`Enrich::user_id`] is asked of: the mapped user,
    /// effective user and target, each when a record names it by name
    /// (the same name may come twice). Each as the record logged it,
    /// maybe hex-encoded: [`LoggedName::with_bytes`] gives the bytes
    /// asked about (decoded), and every name here has some
    /// ([`LoggedName::is_asked`]).
    pub user_names: [Option<LoggedName<'a>>; 3],
    /// The group name [`Enrich::group_id`] is asked of: the mapped
    /// group's, when named by name (as [`user_names`](Self::user_names)).
    pub group_name: Option<LoggedName<'a>>,
}

/// A live process as the caller saw it (ECS `process.entity_id`,
/// `process.parent.{entity_id,executable,name}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessInfo<'a> {
    /// Unique for the process's lifetime on this host, whatever reuses its
    /// pid later.
    pub entity_id: &'a str,
    /// Its executable (`/proc/PID/exe`), when readable.
    pub executable: Option<&'a str>,
    /// Its command name (`comm`).
    pub name: Option<&'a str>,
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
    /// Records are missing from the output (the assembler could not keep
    /// them, or even the event without its arguments does not fit the
    /// room; for ECS, members were left out); the JSON says
    /// `"truncated":true`.
    pub truncated: bool,
    /// EXECVE arguments were left out to fit the room (every other record
    /// is whole); the JSON says `"cut":{"arguments":N,"bytes":M}`.
    pub cut: Option<Cut>,
}

impl Encoded {
    /// The event went out whole: nothing cut, nothing missing.
    pub fn is_whole(&self) -> bool {
        !self.truncated && self.cut.is_none()
    }
}

/// The JSON shapes (`raudit.format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// go-audit's: [`go_audit()`].
    GoAudit,
    /// [`structured()`].
    Structured,
    /// Auditbeat's document: [`ecs()`].
    Ecs,
}

impl Shape {
    /// Encodes `event` into `out`: whole when it fits, else the marked
    /// cut that fits (see [`cut`]).
    pub fn encode(self, event: &Event<'_>, enrich: &mut impl Enrich, out: &mut [u8]) -> Encoded {
        match self {
            Shape::GoAudit => go_audit(event, enrich, out),
            Shape::Structured => structured(event, enrich, out),
            Shape::Ecs => ecs(event, enrich, out),
        }
    }

    /// Encodes `event` whole into `out`, or says it does not fit (`None`;
    /// what was written is garbage). Cheap when it does not fit: it stops
    /// where the room ends, nothing is planned.
    pub fn encode_whole(
        self,
        event: &Event<'_>,
        enrich: &mut impl Enrich,
        out: &mut [u8],
    ) -> Option<Encoded> {
        match self {
            Shape::GoAudit => go_audit::whole(event, enrich, out),
            Shape::Structured => {
                let framed = structured::keeping(event, enrich, out, Keep::ALL, None);
                (!framed.list_cut).then_some(framed.encoded)
            }
            Shape::Ecs => ecs::whole(event, enrich, out),
        }
    }

    /// Whether `event`'s whole line surely takes more than `room` bytes,
    /// known without encoding it: go-audit's shape writes every record's
    /// body whole as its `data`, escaped (never shorter), so a line is at
    /// least as long as the bodies together. The other shapes may write
    /// less than the bodies (hex arguments decoded, fields parsed): for
    /// them this is never said. Lets the caller skip a whole attempt that
    /// cannot succeed (a large event tried in an ordinary buffer).
    pub fn surely_exceeds(self, event: &Event<'_>, room: usize) -> bool {
        match self {
            Shape::GoAudit => {
                let mut bodies = 0usize;
                for record in event.records() {
                    bodies = bodies.saturating_add(record.body.len());
                    if bodies > room {
                        return true;
                    }
                }
                false
            }
            Shape::Structured | Shape::Ecs => false,
        }
    }

    /// Encodes `event` in at most `limit` bytes of `out` (a transport's
    /// largest message): whole when it fits, else the marked cut that fits
    /// (every non-EXECVE record whole, arguments taken from the middle,
    /// `"cut":{…}`); when even the records without arguments do not fit,
    /// the records in order up to the last that fits with
    /// `"truncated":true` and the cut marker. The ECS shape instead leaves
    /// out whole members, down to `@timestamp` and `auditd.sequence`
    /// (see [`ecs()`]). Nothing when `limit` is below [`MIN_BUFFER`]
    /// (`len` 0), and for every shape never nothing from it up.
    pub fn encode_within(
        self,
        event: &Event<'_>,
        enrich: &mut impl Enrich,
        out: &mut [u8],
        limit: usize,
    ) -> Encoded {
        let end = limit.min(out.len());
        self.encode(event, enrich, out.get_mut(..end).unwrap_or_default())
    }
}

/// After a whole attempt (`whole`) ran out of room: the marked cut that
/// fits `out`. `pieces` lists the arguments as the shape writes them;
/// `write` writes the document keeping some of them.
fn fit<E: Enrich, I: Iterator<Item = Piece>>(
    out: &mut [u8],
    enrich: &mut E,
    whole: Encoded,
    pieces: impl Fn() -> I,
    mut write: impl FnMut(&mut [u8], &mut E, Keep, Option<Cut>) -> Framed,
) -> Encoded {
    let (_, all) = plan(&pieces, 0);
    if all.arguments == 0 {
        // No arguments to take from: the records in order, as far as they go.
        return whole;
    }
    let bare = write(out, enrich, Keep::NONE, Some(all));
    if bare.encoded.len == 0 {
        // Too small even for the marker: the records as far as they go.
        return write(out, enrich, Keep::ALL, None).encoded;
    }
    if bare.list_cut {
        return bare.encoded;
    }
    let budget = out
        .len()
        .saturating_sub(bare.encoded.len)
        .saturating_sub(cut::MARKER_MAX);
    // Costs are exact for go-audit's shape, so its first plan fits. The
    // structured shape's are a guess for arguments that are not plain
    // text (a byte that is not UTF-8 takes three): when the plan
    // overflows, the largest budget that fits is searched between the
    // bare document (fits) and the guess (does not).
    let mut attempt = |budget: usize, out: &mut [u8], enrich: &mut E| {
        let (keep, cut) = plan(&pieces, budget);
        let framed = write(out, enrich, keep, Some(cut));
        (!framed.list_cut && !keep.is_all()).then_some(framed.encoded)
    };
    if let Some(encoded) = attempt(budget, out, enrich) {
        return encoded;
    }
    let (mut fits, mut overflows) = (0usize, budget);
    let mut written = None;
    for _ in 0..10 {
        let middle = fits + (overflows - fits) / 2;
        if middle == fits {
            break;
        }
        match attempt(middle, out, enrich) {
            Some(encoded) => {
                fits = middle;
                written = Some(encoded);
            }
            None => {
                overflows = middle;
                written = None;
            }
        }
    }
    if let Some(encoded) = written {
        return encoded;
    }
    if fits > 0 {
        if let Some(encoded) = attempt(fits, out, enrich) {
            return encoded;
        }
    }
    write(out, enrich, Keep::NONE, Some(all)).encoded
}
