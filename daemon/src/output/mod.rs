//! Outputs: where encoded event lines go. An [`Output`] is one destination
//! (file, stdout, [`syslog`], [`gelf`], [`otlp`]); a [`Sink`] wraps it with
//! go-audit's `attempts` retry policy and its counters; [`writer`] runs one
//! thread per output, each taking the filled buffers from its own backlog
//! of the [`Queue`](crate::queue::Queue) (so a slow, dead or retrying
//! output delays no other, and the receive thread only while no buffer is
//! free, for the short wait `queue::free_wait` bounds), reopening files
//! on SIGHUP/SIGUSR1, writing a [`loss`] record into its stream once per
//! interval when events were lost, and the supervisor's [`stream_notice`]
//! records (rule drift) as they come.
//!
//! An output that keeps failing never stops raudit: after `attempts` tries
//! the event is counted as that output's error and dropped — or, for a
//! network output with a [`spool`], kept on disk and sent when the
//! receiver is back.

pub mod append;
pub mod batch;
mod delivery;
pub mod file;
pub mod gather;
pub mod gelf;
pub mod loss;
pub mod net;
pub mod otlp;
pub mod rotation;
mod sink;
pub mod spool;
pub mod stdout;
pub mod stream_notice;
pub mod syslog;
pub mod tls;
pub mod writer;

use std::io;

use crate::side::LineSide;

pub use file::{FileOutput, FileSpec};
pub use gelf::{Gelf, GelfCompression, GelfCompressionType, GelfNetwork, GelfSpec};
pub use net::IpFamily;
pub use otlp::{Otlp, OtlpSpec};
pub use rotation::Rotation;
pub use sink::Sink;
pub use spool::{SpoolChange, SpoolSpec, Spooling};
pub use stdout::StdoutOutput;
pub use stream_notice::{control_channels, ControlReceiver, ControlSender, Replacement};
pub use syslog::{Syslog, SyslogFormat, SyslogNetwork, SyslogSpec};
pub use tls::{TlsClient, TlsSpec, TlsVersion};
pub use writer::{run_writer, run_writers, spawn_writer, spawn_writers, Requests, WriterSettings};

/// Which version of a line an output sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sent {
    /// The line as encoded.
    Whole,
    /// The marked cut version beside it (the transport cannot carry the
    /// whole line).
    Cut,
}

/// One destination for event lines (each line is JSON and `\n`).
pub trait Output: Send {
    /// Short name for stats and messages (`file`, `stdout`, …).
    fn name(&self) -> &str;
    /// Accepts one line (with what the receive thread put beside it:
    /// the event's facts, a cut version); may buffer it. An error means
    /// the line was not accepted and may be offered again.
    fn write_line(&mut self, line: &[u8], side: &LineSide<'_>) -> io::Result<Sent>;
    /// Accepts whole buffers of lines at once (at most
    /// [`batch::MAX_PARTS`]), written as they are: file and stdout do, with
    /// one `writev` and no copy. `None` when this output takes lines one by
    /// one ([`write_line`](Self::write_line)). An error means none of
    /// `parts` was accepted and they may be offered again; what was
    /// accepted but not yet written waits for [`flush`](Self::flush).
    fn write_buffers(&mut self, _parts: &[&[u8]]) -> Option<io::Result<()>> {
        None
    }
    /// Whether [`write_buffers`](Self::write_buffers) takes whole buffers.
    /// An output that does not is handed one buffer at a time, so while it
    /// works through the lines of one (retrying, say) it holds no others.
    fn takes_buffers(&self) -> bool {
        false
    }
    /// Writes out whatever is buffered. An error keeps it buffered.
    fn flush(&mut self) -> io::Result<()>;
    /// Lines accepted but not yet written.
    fn pending_lines(&self) -> u64 {
        0
    }
    /// Drops what is buffered (after the sink gave up on it); returns the
    /// lines dropped.
    fn discard(&mut self) -> u64 {
        0
    }
    /// Lines accepted earlier that the transport has since reported as
    /// refused (a datagram's `ECONNREFUSED` arrives on the next send);
    /// taking them resets the count.
    fn take_refused(&mut self) -> u64 {
        0
    }
    /// Connections made again after the peer went away, so far.
    fn reconnects(&self) -> u64 {
        0
    }
    /// Files this output rotated itself, so far.
    fn rotations(&self) -> u64 {
        0
    }
    /// Reopens the destination (log rotation). Buffered lines are written
    /// to the old destination first.
    fn reopen(&mut self) -> io::Result<()> {
        Ok(())
    }
    /// A failed [`reopen`](Self::reopen) is tried again until it works:
    /// for a file, which a rotation moves away (a connection's reopen
    /// keeps the old one when it fails, and reconnects on its own).
    fn retries_reopen(&self) -> bool {
        false
    }
    /// How the output learns that the process is stopping (its thread's
    /// input, see [`writer::Requests`]): one that waits on a busy receiver
    /// cuts the wait short then.
    fn set_stopping(&mut self, _stopping: fn() -> bool) {}
    /// The host's name changed (its thread reads it again every
    /// [`host_name::REFRESH`](crate::host_name::REFRESH)): an output
    /// whose framing names the host (syslog's HOSTNAME, GELF's `host`,
    /// OTLP's `host.name`) names the new one from its next message.
    fn set_host_name(&mut self, _name: &str) {}
}

#[cfg(test)]
mod tests;
