//! The JSON shape of events (`raudit.format`), owned by the encoding side:
//! which of core's encoders ([`Shape`]) the receive thread and replay run.

use raudit_core::encode::Shape;

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

    /// How many times a go-audit line this shape's lines run: the pool's
    /// default size is scaled by it, so it holds as many events (the
    /// same time under a storm) whatever the shape. The storm's events:
    /// 540 bytes as go-audit, 1,170 as ECS; structured's are as long.
    pub fn line_scale(self) -> u32 {
        match self {
            Format::GoAudit => 1,
            Format::Structured | Format::Ecs => 2,
        }
    }
}
