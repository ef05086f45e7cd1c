//! The host's name: the kernel's (`/proc/sys/kernel/hostname`, what
//! `uname -n` and Go's `os.Hostname` give), read at start and again every
//! [`REFRESH`] while the daemon runs ([`Watch`]: the events' `host` on the
//! receive thread, the outputs' headers (syslog's HOSTNAME, GELF's `host`,
//! OTLP's `host.name`) on each output's thread), so a renamed host says
//! so everywhere within a minute. A read allocates nothing
//! ([`read_into`]); a watch allocates only when the name changed.

use std::io::Read;
use std::time::Duration;

/// The kernel's file.
const PATH: &str = "/proc/sys/kernel/hostname";

/// Longest host name, with the kernel's newline (`HOST_NAME_MAX` is 64).
pub const MAX: usize = 65;

/// The host name, `None` when it cannot be read or is empty.
pub fn read() -> Option<String> {
    let mut buf = [0u8; MAX];
    let name = read_into(&mut buf)?;
    Some(name.to_owned())
}

/// The host name read into `buf` (no allocation), `None` when it cannot be
/// read or is empty or not UTF-8.
pub fn read_into(buf: &mut [u8; MAX]) -> Option<&str> {
    let mut file = std::fs::File::open(PATH).ok()?;
    let mut len = 0;
    while len < buf.len() {
        match file.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    let name = std::str::from_utf8(&buf[..len]).ok()?.trim();
    (!name.is_empty()).then_some(name)
}

/// Reads the host name into a buffer ([`read_into`]; tests give another).
pub type Source = for<'b> fn(&'b mut [u8; MAX]) -> Option<&'b str>;

/// A source that never has a name (threads that are not to look).
pub fn no_source(_: &mut [u8; MAX]) -> Option<&str> {
    None
}

/// How often a running raudit reads the host name again: a `hostnamectl
/// set-hostname` shows in the events and the outputs' headers within a
/// minute (Beats refresh their host metadata every five).
pub const REFRESH: Duration = Duration::from_secs(60);

/// The host name as one thread knows it: read when made, and again when
/// [`REFRESH`] has passed since the last read ([`refresh`](Self::refresh)).
pub struct Watch {
    name: Option<String>,
    read: Source,
    /// When it was last read (milliseconds on the caller's clock).
    read_at: Option<u64>,
}

impl Watch {
    /// A watch of `read`'s name, read now (and again at the first
    /// [`refresh`](Self::refresh)).
    pub fn new(read: Source) -> Watch {
        let mut buf = [0u8; MAX];
        let name = read(&mut buf).map(str::to_owned);
        Watch {
            name,
            read,
            read_at: None,
        }
    }

    /// A watch of `read`'s name not read yet: its first
    /// [`refresh`](Self::refresh) reads it and says it changed (for a
    /// holder whose name was read elsewhere, earlier: a rename between
    /// the two reads is not missed).
    pub fn unread(read: Source) -> Watch {
        Watch {
            name: None,
            read,
            read_at: None,
        }
    }

    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Reads the name again when [`REFRESH`] has passed since the last
    /// read (`now_ms`: the caller's clock, in milliseconds); true when it
    /// changed. Allocates only then; a name that cannot be read (out of
    /// file descriptors, say) keeps the last.
    pub fn refresh(&mut self, now_ms: u64) -> bool {
        let due = self
            .read_at
            .is_none_or(|at| now_ms.saturating_sub(at) >= REFRESH.as_millis() as u64);
        if !due {
            return false;
        }
        self.read_at = Some(now_ms);
        let mut buf = [0u8; MAX];
        match (self.read)(&mut buf) {
            Some(name) if self.name.as_deref() != Some(name) => {
                self.name = Some(name.to_owned());
                true
            }
            _ => false,
        }
    }
}

/// (Tests) a host name source whose name the test sets, per thread.
#[cfg(test)]
pub(crate) mod fake {
    std::thread_local! {
        static NAME: std::cell::Cell<Option<&'static str>> = const { std::cell::Cell::new(None) };
    }

    /// What [`source`] reads from now on (`None`: unreadable).
    pub(crate) fn set(name: Option<&'static str>) {
        NAME.set(name);
    }

    /// The name last [`set`].
    pub(crate) fn source(buf: &mut [u8; super::MAX]) -> Option<&str> {
        let name = NAME.get()?;
        let kept = buf.get_mut(..name.len())?;
        kept.copy_from_slice(name.as_bytes());
        std::str::from_utf8(kept).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::fake;

    /// The name is the kernel's, as `uname -n` prints it.
    #[test]
    fn the_host_name_is_the_kernels() {
        let uname = std::process::Command::new("uname").arg("-n").output();
        match uname {
            Ok(out) if out.status.success() => {
                let name = String::from_utf8_lossy(&out.stdout).trim().to_owned();
                assert_eq!(super::read().as_deref(), Some(name.as_str()));
            }
            _ => skip!("SKIPPED: no uname; host name not compared"),
        }
    }

    /// Read when made and at the first refresh, then once a
    /// [`super::REFRESH`]; a change is said once; an unreadable name
    /// keeps the last.
    #[test]
    fn a_watch_reads_again_once_a_refresh_and_says_what_changed() {
        fake::set(Some("web-1"));
        let mut watch = super::Watch::new(fake::source);
        assert_eq!(watch.name(), Some("web-1"));
        assert!(!watch.refresh(5_000), "read again, the same");
        fake::set(Some("web-2"));
        let refresh = super::REFRESH.as_millis() as u64;
        assert!(!watch.refresh(5_000 + refresh - 1), "not due yet");
        assert_eq!(watch.name(), Some("web-1"));
        assert!(watch.refresh(5_000 + refresh));
        assert_eq!(watch.name(), Some("web-2"));
        assert!(!watch.refresh(5_000 + 2 * refresh), "told once");
        fake::set(None);
        assert!(!watch.refresh(5_000 + 3 * refresh));
        assert_eq!(watch.name(), Some("web-2"), "unreadable: kept");
        let none = super::Watch::new(super::no_source);
        assert_eq!(none.name(), None);
        let mut unread = super::Watch::unread(fake::source);
        assert_eq!(unread.name(), None);
        fake::set(Some("web-3"));
        assert!(unread.refresh(0), "the first read tells the name");
        assert_eq!(unread.name(), Some("web-3"));
    }

    /// The packaged unit leaves raudit in the host's UTS namespace: with
    /// `ProtectHostname=yes` systemd gives the service a namespace of its
    /// own, a copy of the name at start, and a renamed host is never seen.
    #[test]
    fn the_unit_lets_raudit_see_the_hosts_name_change() {
        let unit = include_str!("../../contrib/raudit.service");
        let protected = unit.lines().map(str::trim).any(|line| {
            line.strip_prefix("ProtectHostname=")
                .is_some_and(|value| !matches!(value, "no" | "false" | "0" | "off"))
        });
        assert!(!protected, "contrib/raudit.service sets ProtectHostname");
    }
}
