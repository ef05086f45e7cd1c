//! The `stdout` output (go-audit's `output.stdout`): event lines on standard
//! output, in batches, through a duplicate of fd 1 (so Rust's own locked
//! `Stdout` and its line buffering stay out of the hot path), written as the
//! file output writes ([`Appender`]). Status messages go to stderr.

use std::fs::File;
use std::io;
use std::os::fd::AsFd;

use super::append::Appender;
use super::{Output, Sent};
use crate::side::LineSide;

#[derive(Debug)]
pub struct StdoutOutput {
    out: Appender,
}

impl StdoutOutput {
    pub fn open(batch_bytes: usize) -> io::Result<StdoutOutput> {
        let fd = io::stdout().as_fd().try_clone_to_owned()?;
        Ok(StdoutOutput {
            out: Appender::new(File::from(fd), 0, batch_bytes),
        })
    }
}

impl Output for StdoutOutput {
    fn name(&self) -> &str {
        "stdout"
    }

    fn write_line(&mut self, line: &[u8], _: &LineSide<'_>) -> io::Result<Sent> {
        self.out.push_line(line).map(|()| Sent::Whole)
    }

    fn write_buffers(&mut self, parts: &[&[u8]]) -> Option<io::Result<()>> {
        Some(self.out.write_through(parts))
    }

    fn takes_buffers(&self) -> bool {
        true
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn pending_lines(&self) -> u64 {
        self.out.pending_lines()
    }

    fn discard(&mut self) -> u64 {
        self.out.discard()
    }
}
