//! What the config means for `raudit-core`: the assembler's settings and
//! the encoder its `raudit.format` names. One place, used by the daemon's
//! run plan and by `raudit replay`.

use raudit_core::assemble::{self, Event};
use raudit_core::encode::{self, Encoded, Enrich};
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
    /// Encodes `event` in this format into `out`.
    pub fn encode(self, event: &Event<'_>, enrich: &mut impl Enrich, out: &mut [u8]) -> Encoded {
        match self {
            EventFormat::GoAudit => encode::go_audit(event, enrich, out),
            EventFormat::Structured => encode::structured(event, enrich, out),
        }
    }
}
