//! aucoalesce's own grouping of a record type (its `AuditEventType`:
//! `user-login`, `anomaly`, …, ported there from audit-userspace's
//! `auparse/normalize.c`). Auditbeat writes it as `event.category`, a
//! string, and overwrites it with the ECS categories whenever the event
//! has any (`audit_linux.go`, `buildMetricbeatEvent` then
//! `normalizeEventFields`): what an event without them carries.

use crate::wire::MessageType;

/// The group of record type `t`, by aucoalesce's ranges.
pub(super) fn event_type(t: MessageType) -> &'static str {
    match t.0 {
        1100..=1106 | 1108..=1110 | 1112 | 1113 | 1126 => "user-login",
        1114..=1117 | 1132 | 1133 | 1135 | 1136 => "user-account",
        2000 | 1127..=1131 => "system-services",
        1111 | 1305 | 1325 | 1328 | 1329 => "configuration",
        1326 => "dac-decision",
        1119..=1121 | 1123 | 1125 => "user-space",
        1124 | 1319 => "TTY",
        1200..=1299 => "audit-daemon",
        1122 | 1107 | 1502 | 1503 | 1506 | 1400..=1402 => "mac-decision",
        1800..=1899 | 2109 => "integrity",
        1700..=1799 | 2100..=2108 | 2110..=2199 => "anomaly",
        2200..=2299 => "anomaly-response",
        1403..=1499 | 1500 | 1501 | 1504 | 1505 | 2300..=2399 => "mac",
        1600..=1699 | 2400..=2499 => "crypto",
        2500..=2599 => "virt",
        1300..=1304 | 1306..=1315 | 1317 | 1318 | 1321..=1324 => "audit-rule",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_types_fall_in_aucoalesces_groups() {
        for (t, group) in [
            (1112, "user-login"),
            (1107, "mac-decision"),
            (1114, "user-account"),
            (1130, "system-services"),
            (1305, "configuration"),
            (1326, "dac-decision"),
            (1123, "user-space"),
            (1319, "TTY"),
            (1200, "audit-daemon"),
            (1400, "mac-decision"),
            (1403, "mac"),
            (1503, "mac-decision"),
            (1504, "mac"),
            (1701, "anomaly"),
            (2109, "integrity"),
            (2110, "anomaly"),
            (2201, "anomaly-response"),
            (2404, "crypto"),
            (2500, "virt"),
            (1300, "audit-rule"),
            (1302, "audit-rule"),
            (1316, "unknown"),
            (1320, "unknown"),
            (1000, "unknown"),
        ] {
            assert_eq!(event_type(MessageType(t)), group, "{t}");
        }
    }
}
