//! Prometheus metrics: every value of the stats report ([`Stats::fields`],
//! [`OutputCounters::fields`](crate::stats::OutputCounters::fields)) in the
//! text exposition format (0.0.4), written into a buffer allocated once, and
//! served over a minimal HTTP/1.x endpoint ([`server`], [`http`]) on a
//! loopback address or a unix socket (`raudit.metrics.listen`).
//!
//! Names: `raudit_<field>_total` for counters, `raudit_<field>` for gauges;
//! each output's counters form one family per field,
//! `raudit_output_<field>_total{output="file"}`. Report-only sums
//! ([`Kind::Sum`]) are left out: `sum()` gives them.

pub mod http;
pub mod server;

use std::fmt::{self, Write as _};

use crate::stats::{Field, Kind, Stats};

pub use server::{MetricsAddress, MetricsServer, ServeError};

/// Bytes for one exposition: every family with its `# HELP` and `# TYPE`
/// lines and u64::MAX values fits many times over (a test checks that the
/// worst case with four outputs fits with room to spare).
pub const EXPOSITION_BYTES: usize = 48 * 1024;

/// The exposition did not fit the buffer given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full;

/// Writes the exposition of `stats` into `out` and returns its length.
pub fn render(stats: &Stats, out: &mut [u8]) -> Result<usize, Full> {
    let mut w = SliceWriter { out, len: 0 };
    write_all(stats, &mut w).map_err(|fmt::Error| Full)?;
    Ok(w.len)
}

fn write_all(stats: &Stats, w: &mut SliceWriter<'_>) -> fmt::Result {
    for field in stats.fields() {
        if field.kind == Kind::Sum {
            continue;
        }
        header(w, "", &field)?;
        writeln!(
            w,
            "raudit_{}{} {}",
            field.name,
            suffix(field.kind),
            field.shown()
        )?;
    }
    // One family per output field; the first output names the fields (all
    // outputs have the same).
    let Some(first) = stats.outputs.first() else {
        return Ok(());
    };
    for (i, field) in first.fields().iter().enumerate() {
        header(w, "output_", field)?;
        for output in stats.enabled_outputs() {
            let value = output.fields().get(i).map_or(0, |f| f.value);
            let value = Field { value, ..*field }.shown();
            writeln!(
                w,
                "raudit_output_{}{}{{output=\"{}\"}} {value}",
                field.name,
                suffix(field.kind),
                LabelValue(&output.name)
            )?;
        }
    }
    Ok(())
}

fn header(w: &mut SliceWriter<'_>, prefix: &str, field: &Field) -> fmt::Result {
    let (name, kind, help) = (field.name, field.kind, field.help);
    let suffix = suffix(kind);
    let type_name = match kind {
        Kind::Gauge => "gauge",
        Kind::Counter | Kind::Sum | Kind::Seconds => "counter",
    };
    writeln!(w, "# HELP raudit_{prefix}{name}{suffix} {help}")?;
    writeln!(w, "# TYPE raudit_{prefix}{name}{suffix} {type_name}")
}

fn suffix(kind: Kind) -> &'static str {
    match kind {
        Kind::Gauge => "",
        Kind::Counter | Kind::Sum | Kind::Seconds => "_total",
    }
}

/// A label value with `\`, `"` and newlines escaped, as the format asks.
struct LabelValue<'a>(&'a str);

impl fmt::Display for LabelValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '\\' => f.write_str("\\\\")?,
                '"' => f.write_str("\\\"")?,
                '\n' => f.write_str("\\n")?,
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

/// `fmt::Write` into a fixed slice; full is an error, never a reallocation.
struct SliceWriter<'a> {
    out: &'a mut [u8],
    len: usize,
}

impl fmt::Write for SliceWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        let room = self.out.get_mut(self.len..end).ok_or(fmt::Error)?;
        room.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
