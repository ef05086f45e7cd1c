//! `output.{syslog,gelf,otlp}.spool`: where a network output keeps what it
//! could not deliver (see `output::spool`). Off unless `path` is set.

use std::path::PathBuf;

use super::values::{Cx, Fields};
use super::SpoolConfig;

const SPOOL_KEYS: &[&str] = &["path", "max_bytes"];
/// 64 MiB.
const DEFAULT_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// `PARENT.spool`; `datagram` when the output's transport cannot tell
/// delivery (UDP), which takes no spool.
pub(super) fn spool(
    cx: &mut Cx,
    parent: &Fields,
    output_enabled: bool,
    datagram: bool,
) -> Option<SpoolConfig> {
    let f = cx.fields(
        parent.get("spool"),
        &parent.path("spool"),
        parent.line,
        SPOOL_KEYS,
    );
    let path = cx
        .string(&f, "path")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from);
    let min = crate::output::spool::MIN_BYTES;
    let max_bytes = cx
        .int(
            &f,
            "max_bytes",
            min as i64,
            i64::MAX,
            "a size in bytes of at least 65536",
        )
        .and_then(|n| u64::try_from(n).ok());
    let Some(path) = path else {
        if max_bytes.is_some() {
            cx.error_at(
                &f,
                "max_bytes",
                "has no effect without spool.path (the spool is off by default)",
            );
        }
        return None;
    };
    if output_enabled && datagram {
        cx.error_at(&f, "path", "a spool needs a transport that tells delivery: network tcp (or unix); over UDP a lost datagram is not known");
        return None;
    }
    if path.is_relative() {
        cx.error_at(&f, "path", "expected an absolute path");
        return None;
    }
    Some(SpoolConfig {
        path,
        max_bytes: max_bytes.unwrap_or(DEFAULT_MAX_BYTES),
    })
}
