//! [`RunPlan`]: everything the running daemon needs, decided before start
//! (from the config file or the built-in default): how to listen, the
//! outputs, capacities, intervals, and the rules to load.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::preflight;
use crate::config::{Config, GelfOutput, Mode, QueuePolicy, SyslogOutput};
use crate::netlink::Control;
use crate::output::FileSpec;
use crate::pipeline;
use crate::pipeline::EventFilter;
use crate::queue::Policy;
use crate::rules::{self, RuleSet, StatusSetting};

/// How raudit gets the audit stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listen {
    /// As the audit daemon (claims the audit pid). `takeover` asks a live
    /// holder to terminate first.
    Daemon { takeover: bool },
    /// Read-only copy on multicast group 1, beside auditd or journald.
    Multicast,
}

/// One output to open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutputPlan {
    Stdout {
        attempts: u32,
    },
    File {
        spec: FileSpec,
        attempts: u32,
    },
    /// `output.syslog` (its `attempts` inside).
    Syslog(SyslogOutput),
    /// `output.gelf` (its `attempts` inside).
    Gelf(GelfOutput),
}

impl OutputPlan {
    pub fn name(&self) -> &'static str {
        match self {
            OutputPlan::Stdout { .. } => "stdout",
            OutputPlan::File { .. } => "file",
            OutputPlan::Syslog(_) => "syslog",
            OutputPlan::Gelf(_) => "gelf",
        }
    }
}

/// Loads rules (and `-e`, `-b`, … settings) once the pid is ours.
pub type ApplyRules = Box<dyn Fn(&Control<'_>) -> Result<(), String> + Send>;

/// Watching the kernel's rules for changes made behind raudit's back
/// (`raudit.rules.drift_interval`, `drift_restore`).
#[derive(Clone, Debug)]
pub struct DriftPlan {
    /// The rule set loaded at start (the self-exclusion rule is added by
    /// the check itself).
    pub set: Arc<RuleSet>,
    /// How often to compare; never zero (zero disables: no plan).
    pub interval: Duration,
    /// Reload the configured rules when they drifted.
    pub restore: bool,
}

/// The whole plan.
pub struct RunPlan {
    pub listen: Listen,
    /// Nice decrement at start (`raudit.priority_boost`).
    pub priority_boost: u32,
    /// The socket receive buffer to ask for; `None` keeps the system's.
    pub receive_buffer: Option<u32>,
    pub pipeline: pipeline::Settings,
    pub queue_buffers: usize,
    pub buffer_bytes: usize,
    pub policy: Policy,
    pub outputs: Vec<OutputPlan>,
    /// Pause between write attempts (go-audit: 1 s).
    pub retry_pause: Duration,
    pub stats_interval: Duration,
    pub stats_file: Option<PathBuf>,
    pub rules: Option<ApplyRules>,
    /// Drift checks, in daemon mode with a non-zero interval.
    pub drift: Option<DriftPlan>,
    /// go-audit's `log.flags`: the date/time prefix of stderr lines.
    pub log_flags: u32,
    /// Problems that do not stop the start (unknown top-level keys, an
    /// address that does not resolve yet), one line each; printed by
    /// check-config and at start.
    pub warnings: Vec<String>,
}

impl RunPlan {
    /// Defaults for everything but the outputs and rules.
    pub fn base(outputs: Vec<OutputPlan>) -> RunPlan {
        RunPlan {
            listen: Listen::Daemon { takeover: false },
            priority_boost: 0,
            receive_buffer: None,
            pipeline: pipeline::Settings::default(),
            queue_buffers: 1024,
            buffer_bytes: 64 * 1024,
            policy: Policy::Drop,
            outputs,
            retry_pause: Duration::from_secs(1),
            stats_interval: Duration::from_secs(60),
            stats_file: None,
            rules: None,
            drift: None,
            log_flags: 0,
            warnings: Vec::new(),
        }
    }
}

/// The plan with no config: go-audit's example rules (every `execve`, 64-
/// and 32-bit, auditing enabled), JSON on stdout.
pub fn builtin_default() -> Result<RunPlan, String> {
    from_config(&Config::default_builtin())
}

/// The plan from a config file: the one path from a file to a plan, taken
/// by the daemon's start and by `check-config`, so the two cannot disagree.
/// Nothing is created and the kernel is not touched. The error lists every
/// problem, one line each, `FILE:LINE: key: message` (`FILE: key: message`
/// for what the host lacks).
pub fn from_config_file(path: &Path) -> Result<RunPlan, String> {
    load(path).map(|(_, plan)| plan)
}

/// [`from_config_file`], keeping the config too (check-config summarises it).
pub fn load(path: &Path) -> Result<(Config, RunPlan), String> {
    let (config, errors) = Config::load_partial(path);
    let shown = path.display();
    let prefix = |lines: Vec<String>| -> Vec<String> {
        lines
            .into_iter()
            .map(|l| {
                // Config warnings already name the file.
                if l.starts_with(&format!("{shown}:")) {
                    l
                } else {
                    format!("{shown}: {l}")
                }
            })
            .collect()
    };
    let Some(config) = config else {
        return Err(errors.map_or_else(|| format!("{shown}: no config"), |e| e.to_string()));
    };
    if let Some(errors) = errors {
        // The host checks still apply to what the rest of the file asks.
        let found = preflight::check(&output_plans(&config), config.raudit.stats.file.as_deref());
        let mut lines: Vec<String> = errors.to_string().lines().map(str::to_owned).collect();
        lines.extend(prefix(found.problems));
        return Err(lines.join("\n"));
    }
    match from_config(&config) {
        Ok(mut plan) => {
            plan.warnings = prefix(std::mem::take(&mut plan.warnings));
            Ok((config, plan))
        }
        Err(e) => Err(prefix(e.lines().map(str::to_owned).collect()).join("\n")),
    }
}

/// The outputs a config enables, file first.
fn output_plans(config: &Config) -> Vec<OutputPlan> {
    let mut outputs = Vec::new();
    if let Some(file) = &config.output.file {
        outputs.push(OutputPlan::File {
            spec: FileSpec {
                path: file.path.clone(),
                mode: file.mode,
                uid: file.user.as_ref().map(|a| a.id),
                gid: file.group.as_ref().map(|a| a.id),
            },
            attempts: file.attempts,
        });
    }
    if let Some(stdout) = &config.output.stdout {
        outputs.push(OutputPlan::Stdout {
            attempts: stdout.attempts,
        });
    }
    if let Some(syslog) = &config.output.syslog {
        outputs.push(OutputPlan::Syslog(syslog.clone()));
    }
    if let Some(gelf) = &config.output.gelf {
        outputs.push(OutputPlan::Gelf(gelf.clone()));
    }
    outputs
}

/// The plan for a loaded config, or every problem, one line each.
pub fn from_config(config: &Config) -> Result<RunPlan, String> {
    let mut problems = Vec::new();
    let outputs = output_plans(config);
    if outputs.is_empty() {
        problems.push("output: no output is enabled".to_string());
    }
    let r = &config.raudit;
    let mut plan = RunPlan::base(outputs);
    plan.priority_boost = r.priority_boost;
    plan.log_flags = config.log.flags;
    plan.listen = match r.mode {
        Mode::Daemon => Listen::Daemon {
            takeover: r.takeover,
        },
        Mode::Readlog => Listen::Multicast,
    };
    plan.receive_buffer = match config.socket_buffer.receive {
        None => Some(crate::config::default_receive_buffer(
            crate::sys::process::physical_memory(),
        )),
        Some(0) => None,
        Some(bytes) => Some(bytes),
    };
    plan.queue_buffers = r.queue.size as usize;
    plan.buffer_bytes = r.queue.buffer_size as usize;
    plan.policy = match r.queue.policy {
        QueuePolicy::Drop => Policy::Drop,
        QueuePolicy::Block => Policy::Block,
    };
    plan.stats_interval = if r.stats.interval.is_zero() {
        NEVER
    } else {
        r.stats.interval
    };
    plan.stats_file = r.stats.file.clone();
    plan.pipeline = pipeline::Settings {
        assembler: config.assembler_settings(),
        format: r.format,
        events: r.assembler.max_events as usize,
        records: r.assembler.max_records as usize,
        arena_bytes: r.assembler.arena_bytes as usize,
        containers: config.extras.containers.enabled,
        log_out_of_order: config.message_tracking.log_out_of_order
            && config.message_tracking.enabled,
        pacing: r.pacing,
        filters: config
            .filters
            .iter()
            .map(|f| EventFilter {
                syscall: f.syscall.map(|n| n.to_string()),
                message_type: f.message_type,
                regex: f.regex.clone(),
            })
            .collect(),
        ..pipeline::Settings::default()
    };
    if plan.listen != Listen::Multicast {
        let options = r.rules.compile_options();
        // Config::load compiled each rule already (same options), naming
        // its line; this only fails for a Config built another way.
        let mut set = match RuleSet::from_config_list_with(&config.rules, &options) {
            Ok(set) => set,
            Err(errors) => {
                problems.extend(errors.iter().map(ToString::to_string));
                RuleSet::default()
            }
        };
        if let Some(wait) = r.kernel.backlog_wait_time {
            // Applied after the list, watched for drift and restored with it.
            set.push_setting(
                "raudit.kernel.backlog_wait_time",
                StatusSetting::BacklogWaitTime(wait),
            );
        }
        let set = Arc::new(set);
        if !r.rules.drift_interval.is_zero() {
            plan.drift = Some(DriftPlan {
                set: Arc::clone(&set),
                interval: r.rules.drift_interval,
                restore: r.rules.drift_restore,
            });
        }
        plan.rules = Some(Box::new(move |control: &Control<'_>| {
            let report =
                rules::apply(control, &set, std::process::id()).map_err(|e| e.to_string())?;
            eprintln!(
                "raudit: rules loaded: {} deleted, {} added (self-exclusion first)",
                report.deleted, report.added
            );
            Ok(())
        }));
    }
    let found = preflight::check(&plan.outputs, plan.stats_file.as_deref());
    problems.extend(found.problems);
    plan.warnings = config.warnings.clone();
    plan.warnings.extend(found.warnings);
    if problems.is_empty() {
        Ok(plan)
    } else {
        Err(problems.join("\n"))
    }
}

/// "Never" for a disabled periodic report.
const NEVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
