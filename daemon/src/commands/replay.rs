//! `raudit replay [--format auto|log|netlink] [--config FILE] [FILE|-]...`:
//! saved audit streams through the core pipeline, JSON lines to stdout,
//! counters and malformed-input reports to stderr (the first few one by
//! one, in words, then how many lines or frames of each input were not
//! audit records). Exit 0 only when every input was read whole: a
//! malformed line or frame, an input that cannot be opened or an output
//! that cannot be written exits 1 (the good events are written all the
//! same), so a script learns of what was skipped from the status alone;
//! bad arguments or config exit 2.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use raudit_core::assemble::Settings;
use raudit_core::encode::{Enrich, NoEnrich};

use crate::daemon::plan;
use crate::enrich::Enricher;
use crate::rewrite::RewriteSpec;

use crate::replay::{detect_format, summary, Capacities, Format, Malformed, Replayer};

/// Arguments of `raudit replay`.
#[derive(clap::Args, Debug)]
pub struct ReplayArgs {
    /// Input format; `auto` decides per input from its first bytes.
    #[arg(long, value_enum, default_value = "auto")]
    pub format: Format,
    /// Config file (go-audit YAML) for `events`, `message_tracking`, the
    /// assembler settings, `raudit.max_event_bytes`, `raudit.format`,
    /// `raudit.redact` and `raudit.fields`; defaults otherwise. Its outputs
    /// and rules are not used, and problems in them (another host's users)
    /// are not errors.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Map uids to "UNKNOWN_USER" instead of this host's user names (for
    /// output that does not depend on the host).
    #[arg(long)]
    pub no_user_names: bool,
    /// Input files; `-` or none reads standard input.
    pub files: Vec<PathBuf>,
}

pub fn run(args: ReplayArgs) -> ExitCode {
    let (settings, capacities, rewrite) = match settings_from(&args) {
        Ok(s) => s,
        Err(message) => {
            eprintln!("raudit replay: {message}");
            return ExitCode::from(2);
        }
    };
    if args.no_user_names {
        replay_all(
            &args,
            Replayer::new(settings, capacities, NoEnrich).with_rewrite(rewrite),
        )
    } else {
        // go-audit maps uids with this host's names, each looked up once;
        // the records may come from another host, so no host name; no
        // kernel waits on a replay, so no lookup is skipped.
        let enricher = Enricher::new(4096, false)
            .without_host()
            .without_lookup_budget()
            .with_group_names(capacities.format != crate::pipeline::Format::GoAudit)
            .with_account_ids(capacities.format == crate::pipeline::Format::Ecs);
        replay_all(
            &args,
            Replayer::new(settings, capacities, enricher).with_rewrite(rewrite),
        )
    }
}

fn replay_all<N: Enrich>(args: &ReplayArgs, mut replayer: Replayer<N>) -> ExitCode {
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(64 << 10, stdout.lock());
    let inputs = if args.files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.files.clone()
    };
    let mut failed = false;
    for path in &inputs {
        let before = (
            replayer.assembler_counters().records,
            replayer.counts().malformed,
        );
        let format = match replay_one(&mut replayer, path, args.format, &mut out) {
            Ok(format) => format,
            Err(e) => {
                eprintln!("raudit replay: {}: {e}", path.display());
                failed = true;
                continue;
            }
        };
        let records = replayer.assembler_counters().records - before.0;
        let malformed = replayer.counts().malformed - before.1;
        if malformed > 0 {
            let what = match (format, malformed) {
                (Format::Netlink, 1) => "frame was not an audit record",
                (Format::Netlink, _) => "frames were not audit records",
                (_, 1) => "line was not an audit record",
                _ => "lines were not audit records",
            };
            eprintln!(
                "raudit replay: {}: {malformed} {what}; {records} records read",
                path.display()
            );
            // What was skipped is in no event written: a script that
            // looks only at the status must learn of it.
            failed = true;
            if records == 0 {
                eprintln!(
                    "raudit replay: {}: nothing in it was audit data (expected an auditd log or a netlink capture)",
                    path.display()
                );
            }
        }
    }
    let finished = replayer.finish(&mut out).and_then(|()| out.flush());
    if let Err(e) = finished {
        eprintln!("raudit replay: writing output: {e}");
        failed = true;
    }
    eprintln!(
        "raudit replay: {}",
        summary(replayer.counts(), &replayer.assembler_counters())
    );
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn replay_one<N: Enrich>(
    replayer: &mut Replayer<N>,
    path: &PathBuf,
    format: Format,
    out: &mut impl Write,
) -> io::Result<Format> {
    let name = path.display().to_string();
    let mut input: Box<dyn BufRead> = if name == "-" {
        Box::new(BufReader::with_capacity(256 << 10, io::stdin()))
    } else {
        Box::new(BufReader::with_capacity(256 << 10, File::open(path)?))
    };
    let format = match format {
        Format::Auto => detect_format(input.fill_buf()?),
        chosen => chosen,
    };
    // The first few are shown; a file that is not audit data at all would
    // otherwise print a line per line. The total follows the input.
    let mut shown = 0u32;
    let mut report = |m: Malformed| {
        shown += 1;
        if shown <= MALFORMED_SHOWN {
            eprintln!(
                "raudit replay: {name}: {}: not an audit record: {}",
                m.place, m.what
            );
        } else if shown == MALFORMED_SHOWN + 1 {
            eprintln!("raudit replay: {name}: further malformed input not shown");
        }
    };
    replayer.run_input(&mut input, format, out, &mut report)?;
    Ok(format)
}

/// Malformed lines or frames reported one by one per input.
const MALFORMED_SHOWN: u32 = 10;

fn settings_from(args: &ReplayArgs) -> Result<(Settings, Capacities, RewriteSpec), String> {
    let Some(path) = &args.config else {
        let (settings, capacities) = plan::replay_settings(None);
        return Ok((settings, capacities, RewriteSpec::default()));
    };
    let ((settings, capacities), rewrite, warnings) = plan::replay_settings_from(path)?;
    for warning in &warnings {
        eprintln!("raudit replay: {warning}");
    }
    Ok((settings, capacities, rewrite))
}
