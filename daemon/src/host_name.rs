//! The host's name: the kernel's (`/proc/sys/kernel/hostname`, what
//! `uname -n` and Go's `os.Hostname` give), for the outputs' headers
//! (read once, at start, as go-audit's writers do) and the events'
//! `host` (read again while the daemon runs: [`read_into`] allocates
//! nothing).

use std::io::Read;

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

#[cfg(test)]
mod tests {
    /// The name is the kernel's, as `uname -n` prints it.
    #[test]
    fn the_host_name_is_the_kernels() {
        let uname = std::process::Command::new("uname").arg("-n").output();
        match uname {
            Ok(out) if out.status.success() => {
                let name = String::from_utf8_lossy(&out.stdout).trim().to_owned();
                assert_eq!(super::read().as_deref(), Some(name.as_str()));
            }
            _ => eprintln!("note: no uname; host name not compared"),
        }
    }
}
