//! The `stdout` output (go-audit's `output.stdout`): event lines on standard
//! output, in batches, through a duplicate of fd 1 (so Rust's own locked
//! `Stdout` and its line buffering stay out of the hot path). Status
//! messages go to stderr.

use std::fs::File;
use std::io;
use std::os::fd::AsFd;

use super::batch::LineBatch;
use super::{Output, Sent};
use crate::side::LineSide;

#[derive(Debug)]
pub struct StdoutOutput {
    out: File,
    batch: LineBatch,
}

impl StdoutOutput {
    pub fn open(batch_bytes: usize) -> io::Result<StdoutOutput> {
        let fd = io::stdout().as_fd().try_clone_to_owned()?;
        Ok(StdoutOutput {
            out: File::from(fd),
            batch: LineBatch::with_capacity(batch_bytes),
        })
    }
}

impl Output for StdoutOutput {
    fn name(&self) -> &str {
        "stdout"
    }

    fn write_line(&mut self, line: &[u8], _: &LineSide<'_>) -> io::Result<Sent> {
        if self.batch.try_push(line) {
            return Ok(Sent::Whole);
        }
        self.batch.write_to(&mut self.out)?;
        if self.batch.try_push(line) {
            return Ok(Sent::Whole);
        }
        self.batch.write_through(&mut self.out, &[line])?;
        Ok(Sent::Whole)
    }

    fn write_buffers(&mut self, parts: &[&[u8]]) -> Option<io::Result<()>> {
        Some(self.batch.write_through(&mut self.out, parts))
    }

    fn takes_buffers(&self) -> bool {
        true
    }

    fn flush(&mut self) -> io::Result<()> {
        self.batch.write_to(&mut self.out)
    }

    fn pending_lines(&self) -> u64 {
        self.batch.lines()
    }

    fn discard(&mut self) -> u64 {
        self.batch.discard(&self.out)
    }
}
