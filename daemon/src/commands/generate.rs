//! `raudit generate`: man pages and shell completions, generated from the
//! one CLI definition (`clap_mangen`, `clap_complete`) so they cannot drift
//! from what the binary accepts. `raudit.yaml(5)` is generated from
//! `contrib/raudit.yaml.example`, the file that documents every config key
//! ([`config_page`]).

pub mod config_page;

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use clap_complete::Shell;

/// Arguments of `raudit generate`.
#[derive(Args, Debug)]
pub struct GenerateArgs {
    #[command(subcommand)]
    pub what: Generated,
}

/// What `raudit generate` writes.
#[derive(Subcommand, Debug)]
pub enum Generated {
    /// Write raudit(8), a page per subcommand (raudit-replay(8), ...) and
    /// raudit.yaml(5) into a directory.
    Man {
        /// Directory for the pages (created if missing); existing pages are replaced.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// Print a completion script for a shell to standard output.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum, value_name = "SHELL")]
        shell: Shell,
    },
}

/// Runs `raudit generate` for `cli`, the binary's whole command definition.
pub fn run(args: GenerateArgs, cli: clap::Command) -> ExitCode {
    let result = match args.what {
        Generated::Man { dir } => {
            write_man_pages(cli, &dir).map_err(|e| format!("{}: {e}", dir.display()))
        }
        Generated::Completions { shell } => {
            // Into memory first: clap_complete panics when its writer
            // fails (standard output full or closed).
            let mut cli = cli;
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cli, "raudit", &mut script);
            let mut out = io::stdout().lock();
            out.write_all(&script)
                .and_then(|()| out.flush())
                .map_err(|e| format!("standard output: {e}"))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("raudit: generate: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The man pages' file names and contents: `raudit.8`, `raudit-SUB.8` for
/// each subcommand (nested ones too: `raudit-rules-load.8`) and
/// `raudit.yaml.5`.
pub fn man_pages(cli: clap::Command) -> io::Result<Vec<(String, Vec<u8>)>> {
    // clap's `help` subcommand has no page of its own; `--help` is listed.
    let mut cli = without_help_subcommand(cli);
    cli.build();
    let mut pages = Vec::new();
    command_pages(&cli, "raudit", true, &mut pages)?;
    pages.push((
        "raudit.yaml.5".to_string(),
        config_page::render().into_bytes(),
    ));
    Ok(pages)
}

fn without_help_subcommand(cmd: clap::Command) -> clap::Command {
    cmd.disable_help_subcommand(true)
        .mut_subcommands(without_help_subcommand)
}

fn write_man_pages(cli: clap::Command, dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    for (name, page) in man_pages(cli)? {
        fs::write(dir.join(name), page)?;
    }
    Ok(())
}

fn command_pages(
    cmd: &clap::Command,
    name: &str,
    root: bool,
    pages: &mut Vec<(String, Vec<u8>)>,
) -> io::Result<()> {
    let named = cmd
        .clone()
        .name(name.to_string())
        .bin_name(name.replace('-', " "));
    let man = clap_mangen::Man::new(named)
        .section("8")
        .manual("System Administration");
    let mut page = Vec::new();
    man.render(&mut page)?;
    page.extend_from_slice(if root { ROOT_EXTRA } else { SUB_EXTRA }.as_bytes());
    pages.push((format!("{name}.8"), page));
    for sub in cmd.get_subcommands() {
        command_pages(sub, &format!("{name}-{}", sub.get_name()), false, pages)?;
    }
    Ok(())
}

/// raudit(8)'s sections beyond what the CLI definition holds.
const ROOT_EXTRA: &str = r#".SH SIGNALS
.TP
\fBSIGTERM\fR, \fBSIGINT\fR
Stop receiving, complete every event in flight, drain the queue to the
outputs, release the kernel's audit pid, print the final counters and exit 0.
.TP
\fBSIGHUP\fR (\fBsystemctl reload\fR)
Read the configuration file again and apply, without a restart and without
losing or repeating an event: \fBfilters\fR (from the next receive batch),
\fBrules\fR, \fBraudit.rules\fR and \fBraudit.kernel\fR (loaded by difference,
as at start; the rules files are read again too), \fBlog.flags\fR, and the
outputs: an output enabled (from the next buffer on) or disabled (it writes
what it holds and stops), an output's changed settings (a file's path or
rotation, an address, a size limit, \fBattempts\fR, its spool: the output is
opened anew and written to from its next buffer on; a spool moved to another
path takes over what the old file holds, sent first). The other sections
(queue, format, mode, ...) need a restart: they are
named on stderr and in a \fBreload\fR record in the output stream, and the
rest is applied. A configuration that does not load, or whose rules the
kernel refuses, is reported the same way and the running one stays. The
outputs also reopen their files, as for \fBSIGUSR1\fR.
.TP
\fBSIGUSR1\fR
Reopen the output file by its path (after log rotation), as go\-audit.
.SH FILES
.TP
\fI/etc/raudit/raudit.yaml\fR
The configuration read by the packaged systemd unit; see \fBraudit.yaml\fR(5).
Any go\-audit \fIgo\-audit.yaml\fR works unchanged.
.TP
\fI/var/log/raudit/raudit.log\fR
The file output of the packaged configuration, rotated by
\fI/etc/logrotate.d/raudit\fR.
.SH EXIT STATUS
0 after a clean stop; non-zero when the configuration, the rules or the
audit socket cannot be set up (the reason is printed on standard error).
.SH SEE ALSO
\fBraudit.yaml\fR(5), \fBraudit\-replay\fR(8), \fBraudit\-check\-config\fR(8),
\fBraudit\-rules\fR(8), \fBraudit\-status\fR(8), \fBauditctl\fR(8),
\fBauditd\fR(8)
"#;

/// The subcommand pages' closing section.
const SUB_EXTRA: &str = r#".SH SEE ALSO
\fBraudit\fR(8), \fBraudit.yaml\fR(5)
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn cli() -> clap::Command {
        clap::Command::new("raudit")
            .about("test CLI")
            .subcommand(clap::Command::new("replay").about("replays"))
            .subcommand(
                clap::Command::new("rules")
                    .about("rules")
                    .subcommand(clap::Command::new("load").about("loads")),
            )
    }

    #[test]
    fn a_page_per_command_and_the_config_page() {
        let pages = man_pages(cli()).unwrap();
        let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "raudit.8",
                "raudit-replay.8",
                "raudit-rules.8",
                "raudit-rules-load.8",
                "raudit.yaml.5"
            ]
        );
        let root = String::from_utf8(pages[0].1.clone()).unwrap();
        assert!(
            root.starts_with(".ie") || root.contains(".TH raudit 8"),
            "{root}"
        );
        assert!(root.contains(".SH SIGNALS"));
    }

    #[test]
    fn writes_the_pages_into_a_new_directory() {
        let dir = crate::scratch_dir::ScratchDir::new("man");
        write_man_pages(cli(), &dir.join("man")).unwrap();
        assert!(dir.join("man/raudit-rules-load.8").is_file());
        assert!(dir.join("man/raudit.yaml.5").is_file());
    }
}
