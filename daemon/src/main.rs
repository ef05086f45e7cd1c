//! `raudit`: command-line entry point. Parses the CLI and dispatches to
//! `raudit::commands`; holds no logic of its own.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use raudit::commands;

#[derive(Parser, Debug)]
#[command(
    name = "raudit",
    version,
    propagate_version = true,
    // `--config` is the daemon's: with a subcommand it would be dropped
    // silently (replay has its own `--config`, check-config its FILE).
    args_conflicts_with_subcommands = true,
    about = "Linux audit daemon: kernel audit events as JSON",
    long_about = "Linux audit daemon: reads the kernel's audit stream over netlink, \
        groups the records of each event and writes one JSON document per event \
        (go-audit's shape, `structured`, or Elastic's ECS as Auditbeat writes it) \
        to stdout, a file, syslog, Graylog (GELF) or OpenTelemetry (OTLP). \
        Without a subcommand, runs the daemon until SIGTERM or SIGINT."
)]
struct Cli {
    /// Config file (go-audit's YAML; go-audit's `-config FILE` works too).
    /// Without one, raudit audits every execve and writes JSON to stdout.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run saved audit streams (auditd logs or netlink captures) through the pipeline.
    #[command(
        after_long_help = "Exit status: 0 when every input was read whole; 1 when \
any line or frame was not an audit record, an input could not be opened or the output \
could not be written (the good events are written all the same); 2 for bad arguments \
or config."
    )]
    Replay(commands::replay::ReplayArgs),
    /// Check a config file: every problem, one per line, or a summary.
    CheckConfig(commands::check_config::CheckConfigArgs),
    /// Compile, check, load, list or delete audit rules (auditctl syntax).
    Rules(commands::rules::RulesArgs),
    /// Print the kernel's audit status (like `auditctl -s`).
    Status(commands::status::StatusArgs),
    /// Write man pages or shell completions generated from this CLI.
    Generate(commands::generate::GenerateArgs),
}

fn main() -> ExitCode {
    // logrotate's SIGUSR1 may reach any process named raudit: not fatal
    // (the daemon makes it a reopen once its handlers are in).
    let _ = raudit::signals::ignore_reopen_signal();
    let cli = Cli::parse_from(raudit::cli_compat::normalize_go_flags(
        std::env::args_os().collect(),
    ));
    if let Some(
        Command::CheckConfig(_)
        | Command::Status(_)
        | Command::Rules(commands::rules::RulesArgs {
            action:
                commands::rules::RulesAction::Check { .. }
                | commands::rules::RulesAction::Compile { .. }
                | commands::rules::RulesAction::List { .. },
        }),
    ) = &cli.command
    {
        let _ = raudit::signals::default_sigpipe();
    }
    match cli.command {
        Some(Command::Replay(args)) => commands::replay::run(args),
        Some(Command::CheckConfig(args)) => commands::check_config::run(args),
        Some(Command::Rules(args)) => commands::rules::run(args),
        Some(Command::Status(args)) => commands::status::run(args),
        Some(Command::Generate(args)) => commands::generate::run(args, Cli::command()),
        None => {
            // Parsing the CLI touched much of clap's code (about 1.4 MiB of
            // pages, the kernel maps code 64 KiB around each touch): gone
            // before the config is read, so it never adds to the daemon's
            // start-up peak.
            raudit::daemon::release_startup_memory();
            commands::run::run(cli.config)
        }
    }
}

// The tests' visible skip, a failure where CI promises what is missing.
#[cfg(test)]
#[macro_use]
#[path = "../../tests/skip.rs"]
mod skips;

#[cfg(test)]
mod tests {
    use super::*;
    use clap_complete::Shell;

    /// Every command in the tree, the root first.
    fn all_commands(cmd: &clap::Command) -> Vec<&clap::Command> {
        let mut out = vec![cmd];
        for sub in cmd.get_subcommands() {
            out.extend(all_commands(sub));
        }
        out
    }

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// `--config` belongs to the daemon: before a subcommand it is refused,
    /// not silently dropped (`raudit --config c.yaml replay x.log` ran
    /// without the config's `raudit.redact`, writing the secrets it hides;
    /// `raudit -config a.yaml check-config b.yaml` checked only b.yaml).
    #[test]
    fn config_before_a_subcommand_is_refused_not_ignored() {
        for argv in [
            &["raudit", "--config", "c.yaml", "replay", "x.log"][..],
            &["raudit", "--config=c.yaml", "check-config", "b.yaml"],
            &["raudit", "--config", "c.yaml", "rules", "check", "r.rules"],
        ] {
            let err = Cli::try_parse_from(argv).expect_err("--config with a subcommand");
            assert_eq!(
                err.kind(),
                clap::error::ErrorKind::ArgumentConflict,
                "{argv:?}: {err}"
            );
        }
        let cli = Cli::try_parse_from(["raudit", "--config", "c.yaml"]).unwrap();
        assert_eq!(cli.config, Some(PathBuf::from("c.yaml")));
        assert!(cli.command.is_none());
        let cli = Cli::try_parse_from(["raudit", "replay", "--config", "c.yaml", "x.log"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Replay(_))));
    }

    #[test]
    fn every_command_and_argument_has_a_description() {
        let mut cmd = Cli::command();
        cmd.build();
        for c in all_commands(&cmd) {
            assert!(
                c.get_about().is_some(),
                "command {} has no about",
                c.get_name()
            );
            for arg in c.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                assert!(
                    arg.get_help().is_some(),
                    "argument {id} of {} has no help",
                    c.get_name()
                );
            }
        }
    }

    #[test]
    fn every_command_takes_version() {
        let mut cmd = Cli::command();
        cmd.build();
        let mut paths = vec![];
        fn walk(c: &clap::Command, prefix: &[String], paths: &mut Vec<Vec<String>>) {
            let mut here = prefix.to_vec();
            here.push(c.get_name().to_string());
            paths.push(here.clone());
            for sub in c.get_subcommands().filter(|s| s.get_name() != "help") {
                walk(sub, &here, paths);
            }
        }
        walk(&cmd, &[], &mut paths);
        assert!(paths.len() > 5, "the walk found the subcommands: {paths:?}");
        for path in paths {
            let mut argv = path.clone();
            argv.push("--version".into());
            let err = Cli::try_parse_from(&argv).expect_err("--version exits early");
            assert_eq!(
                err.kind(),
                clap::error::ErrorKind::DisplayVersion,
                "{argv:?}: {err}"
            );
        }
    }

    /// Every subcommand path, as `rules load`.
    fn subcommand_paths(cmd: &clap::Command, prefix: &str, out: &mut Vec<String>) {
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let path = format!("{prefix}{}", sub.get_name());
            out.push(path.clone());
            subcommand_paths(sub, &format!("{path} "), out);
        }
    }

    #[test]
    fn man_pages_and_completions_cover_every_subcommand() {
        let mut paths = vec![];
        subcommand_paths(&Cli::command(), "", &mut paths);
        assert!(paths.contains(&"rules delete-all".to_string()), "{paths:?}");
        let pages = commands::generate::man_pages(Cli::command()).unwrap();
        let root = pages.iter().find(|(n, _)| n == "raudit.8").unwrap();
        let root = String::from_utf8_lossy(&root.1);
        for path in &paths {
            let page_name = format!("raudit-{}.8", path.replace(' ', "-"));
            let page = pages.iter().find(|(n, _)| *n == page_name);
            let page = String::from_utf8_lossy(&page.expect(&page_name).1).into_owned();
            assert!(page.contains(".SH SYNOPSIS"), "{page_name}");
            if !path.contains(' ') {
                assert!(
                    root.contains(&format!("raudit\\-{}", path.replace('-', "\\-"))),
                    "raudit.8 lists {path}"
                );
            }
        }
        for (name, page) in &pages {
            roff_is_clean(name, page);
        }
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "raudit", &mut script);
            let script = String::from_utf8(script).unwrap();
            for path in &paths {
                let leaf = path.rsplit(' ').next().unwrap();
                assert!(script.contains(leaf), "{shell} completion lacks {path}");
            }
            assert!(
                script.contains("config") && script.contains("no-user-names"),
                "{shell}"
            );
            if shell == Shell::Bash {
                shell_syntax_is_valid("bash", &script);
            }
        }
    }

    /// README's "Other commands" (or elsewhere in it) shows every
    /// subcommand as `raudit PATH` and every long flag as `--FLAG`.
    #[test]
    fn the_readme_shows_every_subcommand_and_flag() {
        let readme = include_str!("../../README.md");
        let mut paths = vec![];
        subcommand_paths(&Cli::command(), "", &mut paths);
        let mut cmd = Cli::command();
        cmd.build();
        let flags: Vec<String> = all_commands(&cmd)
            .into_iter()
            .flat_map(|c| c.get_arguments())
            .filter_map(|arg| arg.get_long())
            .filter(|long| !matches!(*long, "help" | "version"))
            .map(|long| format!("--{long}"))
            .collect();
        assert!(flags.contains(&"--no-user-names".to_string()), "{flags:?}");
        let missing: Vec<String> = paths
            .iter()
            .map(|path| format!("raudit {path}"))
            .chain(flags)
            .filter(|shown| !readme.contains(shown.as_str()))
            .collect();
        assert!(missing.is_empty(), "not in README.md: {missing:?}");
    }

    /// groff (with preconv, as man-db runs it) finds nothing to warn about;
    /// skipped, visibly, without groff (`skip!`: `.ci/run` installs it).
    fn roff_is_clean(name: &str, page: &[u8]) {
        let Some(out) = run_with_stdin("groff", &["-k", "-man", "-ww", "-z"], page) else {
            skip!("SKIPPED roff check of {name}: no groff (Debian package groff-base)");
            return;
        };
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `bash -n` accepts the script; skipped, visibly, without bash.
    fn shell_syntax_is_valid(shell: &str, script: &str) {
        let Some(out) = run_with_stdin(shell, &["-n"], script.as_bytes()) else {
            skip!("SKIPPED {shell} -n of the completion: no {shell}");
            return;
        };
        assert!(
            out.status.success(),
            "{shell} -n: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn run_with_stdin(program: &str, args: &[&str], input: &[u8]) -> Option<std::process::Output> {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .ok()?;
        child.stdin.take().unwrap().write_all(input).unwrap();
        Some(child.wait_with_output().unwrap())
    }
}
