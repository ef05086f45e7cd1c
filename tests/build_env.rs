//! What the machine offers the tests, decided when they are built, so that a
//! test whose data or privileges are missing shows up as `ignored` in the
//! runner's summary instead of passing without having run.
//!
//! A module (`#[path]`) of the build scripts of `raudit-core`, `raudit`
//! and `raudit-tests` (each rule written once). It sets these cfgs:
//!
//! | cfg | when | unless |
//! |---|---|---|
//! | `raudit_no_corpus` | `../shared/corpus` beside the project is absent | `RAUDIT_REQUIRE_CORPUS=1` |
//! | `raudit_no_live` | the build does not hold `CAP_AUDIT_CONTROL` (not root) | `RAUDIT_REQUIRE_LIVE=1` |
//! | `raudit_no_auditctl`, `raudit_no_auditd`, `raudit_no_ausyscall`, `raudit_no_rsyslogd` | the program is not installed | `RAUDIT_REQUIRE_LIVE=1` |
//! | `raudit_no_cgroup2` | no cgroup v2 hierarchy to create a cgroup in | `RAUDIT_REQUIRE_LIVE=1` |
//! | `raudit_no_kernel_headers` | `<linux/audit.h>`, `<linux/capability.h>` or `<linux/io_uring.h>` is absent (Debian package linux-libc-dev) | `RAUDIT_REQUIRE_LIVE=1` |
//!
//! With a `RAUDIT_REQUIRE_*` variable set, the tests run and fail with a
//! message naming what is missing; `.ci/run` sets them on a machine that
//! has the corpus and root, so a CI summary cannot hide a skip. A test
//! built to run whose data vanished before it ran fails the same way.

use std::path::Path;

/// The cfgs this script may set, declared for `check-cfg`.
const CFGS: &[&str] = &[
    "raudit_no_corpus",
    "raudit_no_live",
    "raudit_no_auditctl",
    "raudit_no_auditd",
    "raudit_no_ausyscall",
    "raudit_no_rsyslogd",
    "raudit_no_cgroup2",
    "raudit_no_kernel_headers",
];

/// The kernel headers core's tables are checked against.
const KERNEL_HEADERS: &[&str] = &[
    "/usr/include/linux/audit.h",
    "/usr/include/linux/capability.h",
    "/usr/include/linux/io_uring.h",
];

/// Bit of `CAP_AUDIT_CONTROL` in `/proc/self/status`'s `CapEff`.
const CAP_AUDIT_CONTROL: u32 = 30;

fn required(var: &str) -> bool {
    println!("cargo:rerun-if-env-changed={var}");
    std::env::var(var).is_ok_and(|v| v == "1")
}

fn has_cap_audit_control() -> bool {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return false;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .is_some_and(|caps| caps & (1 << CAP_AUDIT_CONTROL) != 0)
}

fn installed(program: &str) -> bool {
    ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        .iter()
        .any(|dir| Path::new(dir).join(program).exists())
}

fn has_cgroup2() -> bool {
    ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"]
        .iter()
        .any(|d| Path::new(d).join("cgroup.subtree_control").exists())
}

fn set_unless(cfg: &str, present: bool, require: bool) {
    if !present && !require {
        println!("cargo:rustc-cfg={cfg}");
    }
}

pub fn emit_test_env() {
    for cfg in CFGS {
        println!("cargo:rustc-check-cfg=cfg({cfg})");
    }
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let corpus = Path::new(&manifest).join("../../shared/corpus");
    // Rebuilt when the corpus goes away (a missing path would rerun the
    // script on every build, so nothing is watched while it is absent).
    if corpus.join("README.md").exists() {
        println!(
            "cargo:rerun-if-changed={}",
            corpus.join("README.md").display()
        );
    }
    set_unless(
        "raudit_no_corpus",
        corpus.is_dir(),
        required("RAUDIT_REQUIRE_CORPUS"),
    );
    let live = required("RAUDIT_REQUIRE_LIVE");
    set_unless("raudit_no_live", has_cap_audit_control(), live);
    set_unless("raudit_no_auditctl", installed("auditctl"), live);
    set_unless("raudit_no_auditd", installed("auditd"), live);
    set_unless("raudit_no_ausyscall", installed("ausyscall"), live);
    set_unless("raudit_no_rsyslogd", installed("rsyslogd"), live);
    set_unless("raudit_no_cgroup2", has_cgroup2(), live);
    set_unless(
        "raudit_no_kernel_headers",
        KERNEL_HEADERS.iter().all(|h| Path::new(h).exists()),
        live,
    );
}
