//! Container ids from `/proc/PID/cgroup` (go-audit's `extras.containers`
//! id): the first run of 64 hex digits in the process's cgroup paths
//! (`/docker/ID`, `docker-ID.scope`, `cri-containerd-ID.scope`,
//! `crio-ID.scope`, …). Read into a fixed buffer, cached by pid in a
//! bounded direct-mapped table; no allocation per lookup.

use std::fs::File;
use std::io::{Read, Write as _};

/// Length of a container id in hex digits.
pub const ID_LEN: usize = 64;
const CGROUP_READ: usize = 4096;

#[derive(Clone, Copy)]
struct Entry {
    pid: u32,
    /// `None` = looked up, not in a container.
    id: Option<[u8; ID_LEN]>,
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

    /// Looks up `pid` (decimal text from a record) unless cached.
    pub fn resolve(&mut self, pid_text: &[u8]) {
        let Some(pid) = super::uid_names::parse_uid(pid_text) else {
            return;
        };
        let at = pid as usize % self.entries.len();
        if matches!(self.entries[at], Some(e) if e.pid == pid) {
            return;
        }
        let id = self.read_id(pid);
        self.entries[at] = Some(Entry { pid, id });
    }

    /// Reads `pid`'s cgroup again even if cached: after an `execve`, which
    /// is when a runtime's process has been moved into its container's
    /// cgroup (runc moves it, then execs the entrypoint), so an earlier
    /// lookup of the same pid is stale.
    pub fn refresh(&mut self, pid_text: &[u8]) {
        let Some(pid) = super::uid_names::parse_uid(pid_text) else {
            return;
        };
        let at = pid as usize % self.entries.len();
        let id = self.read_id(pid);
        self.entries[at] = Some(Entry { pid, id });
    }

    /// The cached container id of `pid`, if it runs in one.
    pub fn id(&self, pid_text: &[u8]) -> Option<&str> {
        let pid = super::uid_names::parse_uid(pid_text)?;
        let entry = self
            .entries
            .get(pid as usize % self.entries.len())?
            .as_ref()?;
        if entry.pid != pid {
            return None;
        }
        std::str::from_utf8(entry.id.as_ref()?).ok()
    }

    fn read_id(&self, pid: u32) -> Option<[u8; ID_LEN]> {
        let mut path = [0u8; 64];
        let mut cursor = std::io::Cursor::new(&mut path[..]);
        write!(cursor, "{}/{pid}/cgroup", self.proc_root).ok()?;
        let len = cursor.position() as usize;
        let path = std::str::from_utf8(&path[..len]).ok()?;
        let mut file = File::open(path).ok()?;
        let mut text = [0u8; CGROUP_READ];
        let mut filled = 0;
        while filled < text.len() {
            match file.read(&mut text[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return None,
            }
        }
        find_id(&text[..filled])
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
        let root = std::env::temp_dir().join(format!("raudit-proc-{}", std::process::id()));
        let proc_dir = root.join("4242");
        std::fs::create_dir_all(&proc_dir).unwrap();
        let cgroup = proc_dir.join("cgroup");
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
        let _ = std::fs::remove_dir_all(&root);
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
}
