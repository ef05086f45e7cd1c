//! The storm benchmark's driver (`benches/storm/storm.py`), its own
//! bookkeeping only: `benches/storm/test_storm.py` replaces every function
//! that would run `auditctl` or read the kernel's audit status with a stub,
//! so nothing here touches the audit subsystem.

#[macro_use]
#[path = "../skip.rs"]
mod skips;

use std::path::Path;
use std::process::Command;

#[test]
fn storm_driver_bookkeeping() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches/storm/test_storm.py");
    let out = match Command::new("python3")
        .arg("-W")
        .arg("ignore")
        .arg(&script)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            skip!("SKIPPED storm_driver_bookkeeping: cannot run python3: {e}");
            return;
        }
    };
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
