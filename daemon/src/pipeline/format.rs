//! The JSON shape of events (`raudit.format`), owned by the encoding side:
//! which of core's encoders the receive thread and replay run.

use raudit_core::assemble::Event;
use raudit_core::encode::{Encoded, Enrich, Shape};

/// The JSON shape of events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `go-audit`: `{"sequence","timestamp","messages","uid_map"}`.
    GoAudit,
    /// `structured`: fields parsed into JSON members.
    Structured,
    /// `ecs`: Auditbeat's auditd document (Elastic Common Schema).
    Ecs,
}

impl Format {
    /// The core encoder's shape for this format.
    pub fn shape(self) -> Shape {
        match self {
            Format::GoAudit => Shape::GoAudit,
            Format::Structured => Shape::Structured,
            Format::Ecs => Shape::Ecs,
        }
    }

    /// Encodes `event` in this format into `out`: whole when it fits,
    /// else the marked cut that fits (`"cut":{…}`).
    pub fn encode(self, event: &Event<'_>, enrich: &mut impl Enrich, out: &mut [u8]) -> Encoded {
        self.shape().encode(event, enrich, out)
    }

    /// Encodes `event` whole into `out`, or `None` when it does not fit
    /// (cheap: nothing is planned).
    pub fn encode_whole(
        self,
        event: &Event<'_>,
        enrich: &mut impl Enrich,
        out: &mut [u8],
    ) -> Option<Encoded> {
        self.shape().encode_whole(event, enrich, out)
    }

    /// Encodes `event` in at most `limit` bytes of `out` (a transport's
    /// largest message): whole when it fits, else the marked cut that
    /// fits; see [`Shape::encode_within`]. The outputs' `encode_cut`.
    pub fn encode_within(
        self,
        event: &Event<'_>,
        enrich: &mut impl Enrich,
        out: &mut [u8],
        limit: usize,
    ) -> Encoded {
        self.shape().encode_within(event, enrich, out, limit)
    }
}
