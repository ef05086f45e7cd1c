//! The storm benchmark's event as the output threads get it: a go-audit
//! line (a `getppid` SYSCALL and its PROCTITLE) and its facts, for the
//! per-output cost examples (`gelf_cost`, `otlp_cost`).

use raudit::side::{Facts, LineSide};

/// Writes event `serial`'s line into `line` (cleared first) and returns
/// what goes beside it.
pub fn storm_event(serial: u32, line: &mut Vec<u8>) -> LineSide<'static> {
    line.clear();
    line.extend_from_slice(
        format!(
            "{{\"sequence\":{serial},\"timestamp\":\"1700000000.{:03}\",\"messages\":[\
             {{\"type\":1300,\"data\":\"arch=c000003e syscall=110 success=yes exit={} a0=0 \
             a1=0 a2=0 a3=0 items=0 ppid=4100 pid=4200 auid=1000 uid=0 gid=0 euid=0 suid=0 \
             fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm=\\\"storm-gen\\\" \
             exe=\\\"/work/target/release/storm-gen\\\" key=\\\"storm\\\"\"}},\
             {{\"type\":1327,\"data\":\"proctitle=2F776F726B2F7461726765742F72656C656173652F\
             73746F726D2D67656E002D64\"}}],\"uid_map\":{{\"0\":\"root\",\"1000\":\"user\"}}}}\n",
            serial % 1000,
            4100 + serial % 7
        )
        .as_bytes(),
    );
    let facts = Facts {
        sequence: serial,
        seconds: 1_700_000_000,
        millis: (serial % 1000) as u16,
        syscall: Some(110),
        success: Some(true),
        auid: Some(1000),
        uid: Some(0),
        pid: Some(4200),
        key: Some(b"storm"),
        exe: Some(b"/work/target/release/storm-gen"),
        comm: Some(b"storm-gen"),
    };
    LineSide {
        facts: Some(facts),
        cut: None,
    }
}
