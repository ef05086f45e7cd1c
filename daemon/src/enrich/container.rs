//! Container ids from `/proc/PID/cgroup` (go-audit's `extras.containers`
//! id): the first run of 64 hex digits in the process's cgroup paths
//! (`/docker/ID`, `docker-ID.scope`, `cri-containerd-ID.scope`,
//! `crio-ID.scope`, …). Read into a fixed buffer, cached by pid and
//! start time in a bounded direct-mapped table; no allocation per lookup.
//!
//! Every lookup reads the process's start time (`/proc/PID/stat` field
//! 22, as [`super::process`] does; one small read per event's process):
//! a pid reused by another process (a host process after a container's,
//! or the reverse) is looked up anew, never given the old process's
//! container. The cgroup is read again only then, or after an `execve`
//! ([`ContainerIds::refresh`]). A process already gone is remembered as
//! gone, not as "in no container", so that the caller can take its
//! parent's container instead, as go-audit does ("pid might have exited
//! before we could check it, try the ppid").

use std::fs::File;
use std::io::{Read, Write as _};

use super::process;

/// Length of a container id in hex digits.
pub const ID_LEN: usize = 64;
const CGROUP_READ: usize = 4096;

#[derive(Clone, Copy)]
struct Entry {
    pid: u32,
    /// The process's start time when looked up (0 when gone).
    start: u64,
    found: Found,
}

/// What a lookup found.
#[derive(Clone, Copy)]
enum Found {
    /// No `/proc/PID` (or unreadable): the process has exited.
    Gone,
    /// Alive, in no container.
    Host,
    Container([u8; ID_LEN]),
}

/// Container id by pid.
pub struct ContainerIds {
    entries: Box<[Option<Entry>]>,
    proc_root: &'static str,
}

impl ContainerIds {
    pub fn new(capacity: usize) -> ContainerIds {
        ContainerIds::with_proc_root(capacity, "/proc")
    }

    /// Reads `ROOT/PID/cgroup` instead of `/proc/PID/cgroup` (tests).
    pub fn with_proc_root(capacity: usize, proc_root: &'static str) -> ContainerIds {
        ContainerIds {
            entries: vec![None; capacity.clamp(1, 1 << 20)].into_boxed_slice(),
            proc_root,
        }
    }

    /// Looks up `pid` (decimal text from a record) unless cached for the
    /// process that has that pid now.
    pub fn resolve(&mut self, pid_text: &[u8]) {
        let Some(pid) = super::account_cache::parse_uid(pid_text) else {
            return;
        };
        let at = pid as usize % self.entries.len();
        let start = process::start_time(self.proc_root, pid);
        let cached = matches!(
            (self.entries[at], start),
            (Some(e), Some(start)) if e.pid == pid && e.start == start && !matches!(e.found, Found::Gone)
        );
        if !cached {
            self.entries[at] = Some(self.look_up(pid, start));
        }
    }

    /// Reads `pid`'s cgroup again even if cached: after an `execve`, which
    /// is when a runtime's process has been moved into its container's
    /// cgroup (runc moves it, then execs the entrypoint), so an earlier
    /// lookup of the same pid is stale.
    pub fn refresh(&mut self, pid_text: &[u8]) {
        let Some(pid) = super::account_cache::parse_uid(pid_text) else {
            return;
        };
        let at = pid as usize % self.entries.len();
        let start = process::start_time(self.proc_root, pid);
        self.entries[at] = Some(self.look_up(pid, start));
    }

    /// The cached container id of `pid`, if it runs in one.
    pub fn id(&self, pid_text: &[u8]) -> Option<&str> {
        match &self.entry(pid_text)?.found {
            Found::Container(id) => std::str::from_utf8(id).ok(),
            Found::Gone | Found::Host => None,
        }
    }

    /// Whether `pid` was alive when last looked up (in a container or
    /// not); `false` when gone or not cached.
    pub fn seen_alive(&self, pid_text: &[u8]) -> bool {
        self.entry(pid_text)
            .is_some_and(|e| !matches!(e.found, Found::Gone))
    }

    fn entry(&self, pid_text: &[u8]) -> Option<&Entry> {
        let pid = super::account_cache::parse_uid(pid_text)?;
        let entry = self
            .entries
            .get(pid as usize % self.entries.len())?
            .as_ref()?;
        (entry.pid == pid).then_some(entry)
    }

    /// The entry of `pid`, the process started at `start` (`None`: gone).
    fn look_up(&self, pid: u32, start: Option<u64>) -> Entry {
        Entry {
            pid,
            start: start.unwrap_or(0),
            found: match start {
                Some(_) => self.read_cgroup(pid),
                None => Found::Gone,
            },
        }
    }

    fn read_cgroup(&self, pid: u32) -> Found {
        let mut text = [0u8; CGROUP_READ];
        match self.read_cgroup_file(pid, &mut text) {
            None => Found::Gone,
            Some(cgroup) => find_id(cgroup).map_or(Found::Host, Found::Container),
        }
    }

    /// `ROOT/PID/cgroup` read into `text`: the part read.
    fn read_cgroup_file<'t>(&self, pid: u32, text: &'t mut [u8; CGROUP_READ]) -> Option<&'t [u8]> {
        let mut path = [0u8; 64];
        let mut cursor = std::io::Cursor::new(&mut path[..]);
        write!(cursor, "{}/{pid}/cgroup", self.proc_root).ok()?;
        let len = cursor.position() as usize;
        let path = std::str::from_utf8(&path[..len]).ok()?;
        let mut file = File::open(path).ok()?;
        let mut filled = 0;
        while filled < text.len() {
            match file.read(&mut text[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return None,
            }
        }
        Some(&text[..filled])
    }
}

/// The first run of exactly 64 hex digits.
pub fn find_id(cgroup: &[u8]) -> Option<[u8; ID_LEN]> {
    let mut run = 0;
    for (i, b) in cgroup.iter().enumerate() {
        if b.is_ascii_hexdigit() {
            run += 1;
            continue;
        }
        if run == ID_LEN {
            let mut id = [0; ID_LEN];
            id.copy_from_slice(&cgroup[i - ID_LEN..i]);
            return Some(id);
        }
        run = 0;
    }
    if run == ID_LEN {
        let mut id = [0; ID_LEN];
        id.copy_from_slice(&cgroup[cgroup.len() - ID_LEN..]);
        return Some(id);
    }
    None
}

/// The value of `pid=` in a record body (not `ppid=`).
pub fn pid_field(body: &[u8]) -> Option<&[u8]> {
    let mut rest = body;
    loop {
        let at = memchr::memmem::find(rest, b"pid=")?;
        let starts_field = at == 0 || rest[at - 1] == b' ';
        let value = &rest[at + 4..];
        let end = memchr::memchr(b' ', value).unwrap_or(value.len());
        if starts_field {
            return Some(&value[..end]);
        }
        rest = &value[end..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    /// `/proc/4242/stat` of a process started at `start`.
    fn stat(start: u64) -> String {
        format!("4242 (p) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 {start} 1 1 1\n")
    }

    #[test]
    fn finds_docker_and_containerd_ids() {
        let docker = format!("0::/system.slice/docker-{ID}.scope\n");
        assert_eq!(find_id(docker.as_bytes()).unwrap(), ID.as_bytes());
        let k8s = format!("0::/kubepods/besteffort/pod1/cri-containerd-{ID}.scope");
        assert_eq!(find_id(k8s.as_bytes()).unwrap(), ID.as_bytes());
        let plain = format!("0::/docker/{ID}");
        assert_eq!(find_id(plain.as_bytes()).unwrap(), ID.as_bytes());
        assert!(find_id(b"0::/user.slice/user-1000.slice/session-2.scope\n").is_none());
        let too_long = format!("0::/x/{ID}0");
        assert!(find_id(too_long.as_bytes()).is_none());
    }

    #[test]
    fn pid_field_skips_ppid() {
        assert_eq!(
            pid_field(b"arch=c000003e ppid=10 pid=11 auid=0"),
            Some(&b"11"[..])
        );
        assert_eq!(pid_field(b"ppid=10"), None);
    }

    #[test]
    fn an_exec_after_moving_into_a_container_is_seen() {
        let root = crate::scratch_dir::ScratchDir::new("proc");
        let proc_dir = root.join("4242");
        std::fs::create_dir_all(&proc_dir).unwrap();
        let cgroup = proc_dir.join("cgroup");
        std::fs::write(proc_dir.join("stat"), stat(1000)).unwrap();
        std::fs::write(&cgroup, "0::/user.slice/session-1.scope\n").unwrap();
        let root_text: &'static str = String::leak(root.to_str().unwrap().to_owned());
        let mut ids = ContainerIds::with_proc_root(16, root_text);
        ids.resolve(b"4242");
        assert_eq!(ids.id(b"4242"), None);
        std::fs::write(&cgroup, format!("0::/system.slice/docker-{ID}.scope\n")).unwrap();
        ids.resolve(b"4242");
        assert_eq!(ids.id(b"4242"), None, "cached until an exec");
        ids.refresh(b"4242");
        assert_eq!(ids.id(b"4242"), Some(ID));
    }

    #[test]
    fn this_process_is_looked_up() {
        let mut ids = ContainerIds::new(16);
        let me = std::process::id().to_string();
        ids.resolve(me.as_bytes());
        // Not asserting a value: the test may or may not run in a container.
        let _ = ids.id(me.as_bytes());
        assert!(ids.id(b"notapid").is_none());
    }

    /// A pid reused by a host process after a container's process (no
    /// exec seen in between) is not given the container.
    #[test]
    fn a_reused_pid_is_not_given_the_old_container() {
        let root = crate::scratch_dir::ScratchDir::new("cg");
        let proc_dir = root.join("4242");
        std::fs::create_dir_all(&proc_dir).unwrap();
        std::fs::write(proc_dir.join("stat"), stat(1000)).unwrap();
        std::fs::write(
            proc_dir.join("cgroup"),
            format!("0::/system.slice/docker-{ID}.scope\n"),
        )
        .unwrap();
        let root_text: &'static str = String::leak(root.to_str().unwrap().to_owned());
        let mut ids = ContainerIds::with_proc_root(4096, root_text);
        ids.resolve(b"4242");
        assert_eq!(ids.id(b"4242"), Some(ID), "the container's process");
        std::fs::write(proc_dir.join("stat"), stat(9_000_000)).unwrap();
        std::fs::write(
            proc_dir.join("cgroup"),
            "0::/user.slice/user-1000.slice/session-3.scope\n",
        )
        .unwrap();
        ids.resolve(b"4242");
        let now = ids.id(b"4242").map(str::to_owned);
        // And back: a container process reusing the host process's pid.
        std::fs::write(proc_dir.join("stat"), stat(9_500_000)).unwrap();
        std::fs::write(
            proc_dir.join("cgroup"),
            format!("0::/system.slice/docker-{ID}.scope\n"),
        )
        .unwrap();
        ids.resolve(b"4242");
        let again = ids.id(b"4242").map(str::to_owned);
        // Gone: neither container nor host.
        std::fs::remove_file(proc_dir.join("stat")).unwrap();
        ids.resolve(b"4242");
        let gone = (ids.id(b"4242"), ids.seen_alive(b"4242"));
        assert_eq!(now, None, "a host process with a reused pid");
        assert_eq!(
            again.as_deref(),
            Some(ID),
            "a container process with a reused pid"
        );
        assert_eq!(gone, (None, false), "a process gone");
    }
}
