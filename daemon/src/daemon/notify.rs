//! systemd's readiness protocol (`Type=notify`): once start-up is done
//! (rules loaded, the audit pid claimed, every thread running), `READY=1`
//! goes to the datagram socket named by `$NOTIFY_SOCKET`, so that units
//! ordered after raudit (sysinit.target and so the whole boot) start only
//! once their processes are audited. Without the variable (not started by
//! systemd, or another `Type=`) nothing is sent.

use std::io;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};

/// Tells systemd that start-up is done, when it asked to be told.
pub fn ready() -> io::Result<()> {
    match std::env::var_os("NOTIFY_SOCKET") {
        Some(path) => send(path.as_encoded_bytes(), b"READY=1"),
        None => Ok(()),
    }
}

/// Sends `message` to the notify socket at `path` (`@name`: an abstract
/// address, as systemd may give).
fn send(path: &[u8], message: &[u8]) -> io::Result<()> {
    let address = match path.strip_prefix(b"@") {
        Some(name) => SocketAddr::from_abstract_name(name)?,
        None => SocketAddr::from_pathname(std::ffi::OsStr::from_bytes(path))?,
    };
    let socket = UnixDatagram::unbound()?;
    socket.send_to_addr(message, &address)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch_dir::ScratchDir;

    #[test]
    fn ready_goes_to_a_path_or_an_abstract_socket() {
        let dir = ScratchDir::new("notify");
        let path = dir.join("notify");
        let systemd = UnixDatagram::bind(&path).unwrap();
        send(path.as_os_str().as_bytes(), b"READY=1").unwrap();
        let mut got = [0u8; 64];
        let n = systemd.recv(&mut got).unwrap();
        assert_eq!(&got[..n], b"READY=1");

        let name = format!("raudit-notify-test-{}", std::process::id());
        let systemd =
            UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(name.as_bytes()).unwrap())
                .unwrap();
        send(format!("@{name}").as_bytes(), b"READY=1").unwrap();
        let n = systemd.recv(&mut got).unwrap();
        assert_eq!(&got[..n], b"READY=1");
    }

    #[test]
    fn a_socket_that_is_not_there_is_an_error() {
        assert!(send(b"/nonexistent-raudit-dir/notify", b"READY=1").is_err());
    }
}
