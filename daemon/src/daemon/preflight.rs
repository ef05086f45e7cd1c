//! What the plan needs from the host, checked before anything is created or
//! the kernel is touched: the output file and the stats file can be
//! created or appended to, and the network outputs' addresses resolve. Run
//! by [`plan::from_config`](super::plan::from_config), so `check-config`
//! and the daemon's start check the same things.
//!
//! A file that cannot be written is a problem (the daemon would fail to
//! start); an address that does not resolve now is a warning (the syslog
//! and GELF outputs keep retrying, so the daemon starts anyway).

use std::fs::OpenOptions;
use std::os::unix::fs::{FileTypeExt as _, OpenOptionsExt as _};
use std::path::Path;

use crate::daemon::plan::OutputPlan;
use crate::output::net;
use crate::output::{IpFamily, SyslogNetwork};
use crate::sys::access::check_writable;

/// Problems (the daemon would not start) and warnings, one line each as
/// `key.path: message`.
#[derive(Debug, Default)]
pub struct Findings {
    pub problems: Vec<String>,
    pub warnings: Vec<String>,
}

/// Checks every output and the stats file.
pub fn check(outputs: &[OutputPlan], stats_file: Option<&Path>) -> Findings {
    let mut found = Findings::default();
    for out in outputs {
        match out {
            OutputPlan::File { spec, .. } => {
                if let Err(e) = appendable(&spec.path) {
                    found.problems.push(format!("output.file.path: {e}"));
                }
            }
            OutputPlan::Syslog { spec: s, .. } => match s.network {
                SyslogNetwork::Unix | SyslogNetwork::Unixgram => {
                    if !Path::new(&s.address).exists() {
                        found.warnings.push(format!(
                            "output.syslog.address: warning: {} does not exist (yet); raudit keeps trying to connect",
                            s.address
                        ));
                    }
                }
                SyslogNetwork::Udp(family) | SyslogNetwork::Tcp(family) => {
                    resolves("output.syslog.address", &s.address, family, &mut found);
                }
            },
            OutputPlan::Gelf { spec: g, .. } => {
                resolves("output.gelf.address", &g.address, IpFamily::Any, &mut found);
            }
            // The collector's address is resolved at each connect.
            OutputPlan::Stdout { .. } | OutputPlan::Otlp { .. } => {}
        }
    }
    if let Some(path) = stats_file {
        if let Err(e) = replaceable(path) {
            found.problems.push(format!("raudit.stats.file: {e}"));
        }
    }
    found
}

fn resolves(key: &str, address: &str, family: IpFamily, found: &mut Findings) {
    if let Err(e) = net::resolve(address, family) {
        found.warnings.push(format!(
            "{key}: warning: {address} does not resolve now ({e}); raudit keeps trying"
        ));
    }
}

/// Whether the output file can be opened for appending (created if
/// missing), without creating or changing it.
fn appendable(path: &Path) -> Result<(), String> {
    let shown = path.display();
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Err(format!("{shown} is a directory; expected a file path")),
        // Non-blocking: opening a FIFO for writing waits for a reader,
        // which would hang check-config and the start (no effect on a
        // regular file).
        Ok(m) => OpenOptions::new()
            .append(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
            .map(drop)
            .map_err(|e| {
                if m.file_type().is_fifo() && e.raw_os_error() == Some(libc::ENXIO) {
                    format!("{shown} is a FIFO that no process reads now (raudit would wait at start for one)")
                } else {
                    format!("{shown} cannot be opened for appending: {e}")
                }
            }),
        Err(_) => creatable(path),
    }
}

/// Whether `path` can be written whole (the stats file is rewritten through
/// a new file beside it).
fn replaceable(path: &Path) -> Result<(), String> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Err(format!(
            "{} is a directory; expected a file path",
            path.display()
        )),
        _ => creatable(path),
    }
}

/// Whether a file may be created at `path`: its directory exists and this
/// process may write it.
fn creatable(path: &Path) -> Result<(), String> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match std::fs::metadata(dir) {
        Err(_) => Err(format!(
            "directory {} does not exist (raudit creates the file, not its directory)",
            dir.display()
        )),
        Ok(m) if !m.is_dir() => Err(format!("{} is not a directory", dir.display())),
        Ok(_) => check_writable(dir).map_err(|e| {
            format!(
                "cannot create {} in {}: {e} (checked as uid {})",
                path.file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
                dir.display(),
                crate::sys::process::effective_uid()
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::FileSpec;
    use crate::output::GelfNetwork;
    use crate::scratch_dir::ScratchDir;

    fn file(path: &str) -> OutputPlan {
        OutputPlan::File {
            spec: FileSpec {
                path: path.into(),
                mode: 0o600,
                uid: None,
                gid: None,
                rotation: None,
            },
            attempts: 3,
        }
    }

    #[test]
    fn a_missing_directory_is_a_problem_and_nothing_is_created() {
        let found = check(&[file("/nonexistent/raudit/audit.log")], None);
        assert_eq!(
            found.problems,
            ["output.file.path: directory /nonexistent/raudit does not exist (raudit creates the file, not its directory)"]
        );
        let dir = ScratchDir::new("preflight");
        let log = dir.join("audit.log");
        let found = check(&[file(log.to_str().unwrap())], Some(&dir.join("stats")));
        assert!(found.problems.is_empty(), "{:?}", found.problems);
        assert!(!log.exists(), "checking must not create the file");
        let found = check(&[file(dir.to_str().unwrap())], Some(&dir));
        assert_eq!(found.problems.len(), 2, "{:?}", found.problems);
        assert!(found.problems[0].ends_with("is a directory; expected a file path"));
        assert!(found.problems[1].starts_with("raudit.stats.file: "));
    }

    #[test]
    fn a_fifo_without_a_reader_is_a_problem_not_a_hang() {
        let dir = ScratchDir::new("preflight-fifo");
        let fifo = dir.join("out.log");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let (tx, rx) = std::sync::mpsc::channel();
        let path = fifo.to_str().unwrap().to_string();
        std::thread::spawn(move || {
            let _ = tx.send(check(&[file(&path)], None).problems);
        });
        let problems = rx
            .recv_timeout(std::time::Duration::from_secs(5))
            .expect("checking a FIFO output path returns (it waited for a reader)");
        assert_eq!(
            problems,
            [format!(
                "output.file.path: {} is a FIFO that no process reads now (raudit would wait at start for one)",
                fifo.display()
            )]
        );
    }

    #[test]
    fn unresolvable_addresses_are_warnings() {
        let gelf = OutputPlan::Gelf {
            spec: crate::output::GelfSpec {
                network: GelfNetwork::Udp,
                address: "no-such-host.invalid:12201".into(),
                compression: Default::default(),
                tls: None,
                spool: None,
            },
            attempts: 1,
        };
        let found = check(&[gelf], None);
        assert!(found.problems.is_empty());
        assert_eq!(found.warnings.len(), 1);
        assert!(found.warnings[0].starts_with(
            "output.gelf.address: warning: no-such-host.invalid:12201 does not resolve now"
        ));
    }
}
