//! What the config means for `raudit-core`: the assembler's settings and
//! the encoder its `raudit.format` names. One place, used by the daemon's
//! run plan and by `raudit replay`.

use raudit_core::assemble::{self, Event};
use raudit_core::encode::{Encoded, Enrich, Shape};
use raudit_core::time::Duration;

use super::{Config, EventFormat};

impl Config {
    /// The assembler settings of `events`, `message_tracking` and
    /// `raudit.assembler.timeout`.
    pub fn assembler_settings(&self) -> assemble::Settings {
        let timeout = self.raudit.assembler.timeout.as_millis();
        assemble::Settings {
            timeout: Duration::from_millis(u64::try_from(timeout).unwrap_or(u64::MAX)),
            type_min: self.events.min,
            type_max: self.events.max,
            track_serials: self.message_tracking.enabled,
            max_out_of_order: self.message_tracking.max_out_of_order,
        }
    }
}

impl EventFormat {
    /// The core encoder's shape for this format.
    pub fn shape(self) -> Shape {
        match self {
            EventFormat::GoAudit => Shape::GoAudit,
            EventFormat::Structured => Shape::Structured,
            EventFormat::Ecs => Shape::Ecs,
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
