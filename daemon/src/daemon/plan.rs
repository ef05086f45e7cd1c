//! [`RunPlan`]: everything the running daemon needs, decided before start
//! (from the config file or the built-in default): how to listen, the
//! outputs, capacities, intervals, and the rules to load.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::preflight;
use crate::config::{Config, ConfigError, ConfigErrors, Mode, QueuePolicy, Raudit, SpoolConfig};
use crate::metrics::MetricsAddress;
use crate::netlink::Control;
use crate::output::otlp::http::Endpoint;
use crate::output::{FileSpec, GelfSpec, OtlpSpec, SpoolSpec, SyslogSpec, TlsClient, TlsSpec};
use crate::pipeline;
use crate::pipeline::EventFilter;
use crate::queue::Policy;
use crate::rewrite::{FieldRule, Redaction, RewriteSpec};
use crate::rules::{self, RuleSet, StatusSetting};
use crate::stats::Stats;

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
    Stdout { attempts: u32 },
    File { spec: FileSpec, attempts: u32 },
    Syslog { spec: SyslogSpec, attempts: u32 },
    Gelf { spec: GelfSpec, attempts: u32 },
    Otlp { spec: OtlpSpec, attempts: u32 },
}

impl OutputPlan {
    /// The output places, one per kind, in the order a config's outputs
    /// are planned: each has its backlog in the queue, its counters and
    /// its control channel from the start, so a reload can enable or
    /// disable an output without moving the others.
    pub const PLACES: [&'static str; 5] = ["file", "stdout", "syslog", "gelf", "otlp"];

    /// This output's place in [`PLACES`](Self::PLACES).
    pub fn place(&self) -> usize {
        match self {
            OutputPlan::File { .. } => 0,
            OutputPlan::Stdout { .. } => 1,
            OutputPlan::Syslog { .. } => 2,
            OutputPlan::Gelf { .. } => 3,
            OutputPlan::Otlp { .. } => 4,
        }
    }

    /// The places of `outputs`, a bit each (the queue's readers).
    pub fn readers(outputs: &[OutputPlan]) -> u64 {
        outputs.iter().fold(0, |mask, o| mask | 1 << o.place())
    }

    pub fn name(&self) -> &'static str {
        match self {
            OutputPlan::Stdout { .. } => "stdout",
            OutputPlan::File { .. } => "file",
            OutputPlan::Syslog { .. } => "syslog",
            OutputPlan::Gelf { .. } => "gelf",
            OutputPlan::Otlp { .. } => "otlp",
        }
    }

    /// The longest event line this output's transport carries whole, if
    /// it has a limit: longer lines need a cut version beside them.
    pub fn line_limit(&self) -> Option<usize> {
        match self {
            OutputPlan::Stdout { .. } | OutputPlan::File { .. } | OutputPlan::Otlp { .. } => None,
            OutputPlan::Syslog { spec, .. } => spec.line_limit(),
            OutputPlan::Gelf { spec, .. } => spec.line_limit(),
        }
    }

    /// Where this output keeps what it could not deliver, if anywhere.
    pub fn spool(&self) -> Option<&SpoolSpec> {
        match self {
            OutputPlan::Stdout { .. } | OutputPlan::File { .. } => None,
            OutputPlan::Syslog { spec, .. } => spec.spool.as_ref(),
            OutputPlan::Gelf { spec, .. } => spec.spool.as_ref(),
            OutputPlan::Otlp { spec, .. } => spec.spool.as_ref(),
        }
    }

    /// Whether this output reads the event's facts (GELF's fields,
    /// OTLP's attributes).
    pub fn needs_facts(&self) -> bool {
        matches!(self, OutputPlan::Gelf { .. } | OutputPlan::Otlp { .. })
    }
}

/// What the receive thread puts beside each line for the outputs: the
/// event's facts when some output reads them, and a cut version of every
/// line longer than the smallest transport limit.
pub fn side_settings(outputs: &[OutputPlan]) -> pipeline::SideSettings {
    pipeline::SideSettings {
        facts: outputs.iter().any(OutputPlan::needs_facts),
        cut_limit: outputs.iter().filter_map(OutputPlan::line_limit).min(),
    }
}

/// Loads rules (and `-e`, `-b`, … settings) once the pid is ours. Returns
/// the set now in force when it was only known at start (no rules in the
/// config: the kernel's own), for the drift watch.
/// A `--reset-lost` among the settings: what the kernel had lost up to
/// the reset is counted into `stats` ([`Stats::note_kernel_lost_reset`]).
pub type ApplyRules =
    Box<dyn Fn(&Control<'_>, &Stats) -> Result<Option<Arc<RuleSet>>, String> + Send>;

/// Watching the kernel's rules for changes made behind raudit's back
/// (`raudit.rules.drift_interval`, `drift_restore`).
#[derive(Clone, Debug)]
pub struct DriftPlan {
    /// The rule set loaded at start (the self-exclusion rule is added by
    /// the check itself); with no rules configured, replaced at start by
    /// the kernel's.
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
    /// `raudit.queue.wait`: under `drop`, the wait for a free buffer.
    pub drop_wait: Duration,
    pub outputs: Vec<OutputPlan>,
    /// Pause between write attempts (go-audit: 1 s).
    pub retry_pause: Duration,
    pub stats_interval: Duration,
    pub stats_file: Option<PathBuf>,
    /// Where to serve the metrics (`raudit.metrics.listen`); `None`: off.
    pub metrics: Option<MetricsAddress>,
    pub rules: Option<ApplyRules>,
    /// Drift checks, in daemon mode with a non-zero interval.
    pub drift: Option<DriftPlan>,
    /// go-audit's `log.flags`: the date/time prefix of stderr lines.
    pub log_flags: u32,
    /// The configured rules turn auditing on (`-e 1` or `-e 2`): if not,
    /// `enabled 0` in the kernel means no event will ever come, and the
    /// daemon says so.
    pub enables_auditing: bool,
    /// `raudit.state_file` (daemon mode): the serial kept across restarts;
    /// its `.lock` keeps a second daemon out.
    pub state_file: Option<PathBuf>,
    /// The config file and what of it runs, for SIGHUP (`None` with the
    /// built-in default).
    pub reload: Option<super::reload::ReloadSource>,
    /// Problems that do not stop the start (unknown top-level keys, an
    /// address that does not resolve yet), one line each; printed by
    /// check-config and at start.
    pub warnings: Vec<String>,
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
    load(path).map(|(config, mut plan)| {
        plan.reload = Some(super::reload::ReloadSource {
            path: path.to_path_buf(),
            running: config,
        });
        plan
    })
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
        let mut problems = Vec::new();
        let outputs = output_plans(&config, &mut problems);
        let found = preflight::check(&outputs, config.raudit.stats.file.as_deref());
        let mut lines: Vec<String> = errors.to_string().lines().map(str::to_owned).collect();
        lines.extend(prefix(problems));
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
fn output_plans(config: &Config, problems: &mut Vec<String>) -> Vec<OutputPlan> {
    let mut outputs = Vec::new();
    if let Some(file) = &config.output.file {
        outputs.push(OutputPlan::File {
            spec: FileSpec {
                path: file.path.clone(),
                mode: file.mode,
                uid: file.user.as_ref().map(|a| a.id),
                gid: file.group.as_ref().map(|a| a.id),
                rotation: file.rotation,
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
        let mut spec = SyslogSpec::new(
            syslog.network,
            syslog.address.clone(),
            syslog.priority,
            syslog.tag.clone(),
            syslog.format,
            syslog.max_message_bytes,
        );
        spec.tls = tls_client(syslog.tls.as_ref(), &syslog.address, "output.syslog.tls")
            .unwrap_or_else(|e| {
                problems.push(e);
                None
            });
        spec.spool = syslog.spool.as_ref().map(spool_spec);
        outputs.push(OutputPlan::Syslog {
            spec,
            attempts: syslog.attempts,
        });
    }
    if let Some(gelf) = &config.output.gelf {
        let tls =
            tls_client(gelf.tls.as_ref(), &gelf.address, "output.gelf.tls").unwrap_or_else(|e| {
                problems.push(e);
                None
            });
        let spec = GelfSpec {
            network: gelf.network,
            address: gelf.address.clone(),
            compression: gelf.compression,
            tls,
            spool: gelf.spool.as_ref().map(spool_spec),
        };
        outputs.push(OutputPlan::Gelf {
            spec,
            attempts: gelf.attempts,
        });
    }
    if let Some(otlp) = &config.output.otlp {
        // The endpoint was checked when the config was read; an error
        // here names it.
        match Endpoint::parse(&otlp.endpoint) {
            Ok(endpoint) => {
                let tls = if endpoint.https {
                    // Without `tls`, the system's roots.
                    let system_roots = TlsSpec::default();
                    let settings = otlp.tls.as_ref().unwrap_or(&system_roots);
                    tls_client(Some(settings), &endpoint.authority, "output.otlp.tls")
                        .unwrap_or_else(|e| {
                            problems.push(e);
                            None
                        })
                } else {
                    None
                };
                outputs.push(OutputPlan::Otlp {
                    spec: OtlpSpec {
                        endpoint,
                        batch_events: otlp.batch_events,
                        batch_bytes: otlp.batch_bytes,
                        flush_interval: otlp.flush_interval,
                        timeout: otlp.timeout,
                        headers: otlp.headers.clone(),
                        spool: otlp.spool.as_ref().map(spool_spec),
                        tls,
                    },
                    attempts: otlp.attempts,
                });
            }
            Err(e) => problems.push(e),
        }
    }
    let spools: Vec<&SpoolSpec> = outputs.iter().filter_map(OutputPlan::spool).collect();
    for (i, spool) in spools.iter().enumerate() {
        if spools[..i].iter().any(|s| s.path == spool.path) {
            problems.push(format!(
                "output.*.spool.path: {} is the spool of two outputs; give each its own file",
                spool.path.display()
            ));
        }
        if spool.path.is_dir() {
            problems.push(format!(
                "output.*.spool.path: {} is a directory; name a file in it",
                spool.path.display()
            ));
        }
    }
    outputs
}

/// What `raudit.redact` and `raudit.fields` rewrite, compiled once (the
/// config checked both already; an error here names the entry anyway).
pub fn rewrite_spec(r: &Raudit) -> Result<RewriteSpec, String> {
    let redactions = r
        .redact
        .iter()
        .enumerate()
        .map(|(i, e)| {
            Redaction::new(&e.pattern, &e.replace)
                .map_err(|why| format!("raudit.redact[{i}]: {why}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let fields = r
        .fields
        .iter()
        .map(|c| FieldRule {
            msg_type: c.msg_type,
            keys: c.keys.iter().map(|k| k.as_bytes().to_vec()).collect(),
            keep: c.keep,
        })
        .collect();
    Ok(RewriteSpec { redactions, fields })
}

/// An output's spool as the runtime takes it.
fn spool_spec(settings: &SpoolConfig) -> SpoolSpec {
    SpoolSpec {
        path: settings.path.clone(),
        max_bytes: settings.max_bytes,
    }
}

/// The plan for a loaded config, or every problem, one line each.
pub fn from_config(config: &Config) -> Result<RunPlan, String> {
    let mut problems = Vec::new();
    let outputs = output_plans(config, &mut problems);
    if outputs.is_empty() {
        problems.push("output: no output is enabled".to_string());
    }
    let r = &config.raudit;
    let listen = match r.mode {
        Mode::Daemon => Listen::Daemon {
            takeover: r.takeover,
        },
        Mode::Readlog => Listen::Multicast,
    };
    let mut plan = RunPlan {
        listen,
        priority_boost: r.priority_boost,
        receive_buffer: match config.socket_buffer.receive {
            None => Some(crate::config::default_receive_buffer(
                crate::sys::process::physical_memory(),
            )),
            Some(0) => None,
            Some(bytes) => Some(bytes),
        },
        pipeline: pipeline_settings(config, &outputs),
        queue_buffers: r.queue.size.map_or_else(
            || {
                let outputs = outputs.len().max(1) as u32;
                crate::config::DEFAULT_BUFFERS_PER_OUTPUT
                    .saturating_mul(outputs)
                    .saturating_mul(r.format.line_scale()) as usize
            },
            |size| size as usize,
        ),
        buffer_bytes: r.queue.buffer_size as usize,
        policy: match r.queue.policy {
            QueuePolicy::Drop => Policy::Drop,
            QueuePolicy::Block => Policy::Block,
        },
        drop_wait: r.queue.wait,
        outputs,
        retry_pause: RETRY_PAUSE,
        stats_interval: if r.stats.interval.is_zero() {
            NEVER
        } else {
            r.stats.interval
        },
        stats_file: r.stats.file.clone(),
        metrics: r.metrics.listen.clone(),
        rules: None,
        drift: None,
        log_flags: config.log.flags,
        enables_auditing: false,
        state_file: (listen != Listen::Multicast).then(|| r.state_file.clone()),
        reload: None,
        warnings: Vec::new(),
    };
    match rewrite_spec(r) {
        Ok(rewrite) => plan.pipeline.rewrite = rewrite,
        Err(e) => problems.push(e),
    }
    if let Some(path) = &plan.state_file {
        if let Err(e) = check_state_path(path) {
            problems.push(e);
        }
    }
    problems.extend(shared_files(config, &plan));
    // Config::load says so at the key's line; for a Config built another
    // way, one problem among the others.
    if plan.listen == Listen::Multicast && !r.rules.files.is_empty() {
        problems.push(
            "raudit.rules.files: raudit.mode is readlog, which loads no rules; remove them or use mode daemon"
                .into(),
        );
    }
    if plan.listen != Listen::Multicast {
        let options = r.rules.compile_options();
        // Config::load compiled each rule already (same options), naming
        // its line; this only fails for a Config built another way.
        let mut set = RuleSet::default();
        if !r.rules.files.is_empty() {
            // auditd's rules files first, combined as augenrules does.
            match rules::files::load(&r.rules.files, &options) {
                Ok(files) => set = files,
                Err(errors) => problems.extend(errors.iter().map(ToString::to_string)),
            }
        }
        // Config::load compiled each rule already (same options), naming
        // its line; this only fails for a Config built another way.
        match RuleSet::from_config_list_with(&config.rules, &options) {
            Ok(list) => set.entries.extend(list.entries),
            Err(errors) => problems.extend(errors.iter().map(ToString::to_string)),
        }
        // No rules anywhere: run with the kernel's (auditd users' rules,
        // loaded by augenrules), watched for drift as if configured.
        let from_kernel = r.rules.files.is_empty() && config.rules.is_empty();
        if let Some(wait) = r.kernel.backlog_wait_time {
            // Applied after the list, watched for drift and restored with it.
            set.push_setting(
                "raudit.kernel.backlog_wait_time",
                StatusSetting::BacklogWaitTime(wait),
            );
        }
        plan.enables_auditing = set
            .status_settings()
            .any(|(_, s)| matches!(s, StatusSetting::Enabled(v) if v > 0));
        let set = Arc::new(set);
        if !r.rules.drift_interval.is_zero() {
            plan.drift = Some(DriftPlan {
                set: Arc::clone(&set),
                interval: r.rules.drift_interval,
                restore: r.rules.drift_restore,
            });
        }
        plan.rules = Some(Box::new(move |control: &Control<'_>, stats: &Stats| {
            let in_force = if from_kernel {
                let listed = control
                    .list_rules()
                    .map_err(|e| format!("listing the kernel's rules: {e}"))?;
                let mut kept = RuleSet::from_kernel(&listed);
                eprintln!(
                    "raudit: no rules in the config: running with the kernel's current {} rule(s), watched for drift",
                    kept.entries.len()
                );
                kept.entries.extend(set.entries.iter().cloned());
                Some(Arc::new(kept))
            } else {
                None
            };
            let set = in_force.as_ref().unwrap_or(&set);
            let report =
                rules::apply(control, set, Some(std::process::id())).map_err(|e| e.to_string())?;
            if report.untouched() {
                eprintln!(
                    "raudit: the kernel's rules and status are as configured ({} rules); nothing changed",
                    report.kept
                );
            } else {
                eprintln!(
                    "raudit: rules applied: {} added, {} deleted, {} kept, {} setting(s) changed (self-exclusion first)",
                    report.added, report.deleted, report.kept, report.settings
                );
            }
            if report.order_differs {
                eprintln!("raudit: {ORDER_DIFFERS}");
            }
            if let Some(before) = report.lost_reset {
                stats.note_kernel_lost_reset(before);
            }
            Ok(in_force)
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

/// The receive thread's settings for `config` and its `outputs` (what
/// goes beside each line for them).
pub fn pipeline_settings(config: &Config, outputs: &[OutputPlan]) -> pipeline::Settings {
    let r = &config.raudit;
    pipeline::Settings {
        assembler: assembler_settings(config),
        format: r.format,
        events: r.assembler.max_events as usize,
        records: r.assembler.max_records as usize,
        arena_bytes: r.assembler.arena_bytes as usize,
        max_event_bytes: r.max_event_bytes as usize,
        batch: pipeline::RECEIVE_BATCH,
        max_wait: pipeline::MAX_WAIT,
        uid_cache: pipeline::UID_CACHE,
        containers: config.extras.containers.enabled,
        host_name: r.host_name,
        filters: config
            .filters
            .iter()
            .map(|f| EventFilter {
                syscall: f.syscall.map(|n| n.to_string()),
                message_type: f.message_type,
                regex: f.regex.clone(),
            })
            .collect(),
        filter_update: Arc::default(),
        outputs_update: Arc::default(),
        log_out_of_order: config.message_tracking.log_out_of_order
            && config.message_tracking.enabled,
        pacing: r.pacing,
        // Measured on the socket when it is open.
        socket_buffer_bytes: 0,
        side: side_settings(outputs),
        // Compiled by `from_config`, which can report its errors.
        rewrite: RewriteSpec::default(),
    }
}

/// The receive thread's settings with every default of the config (and no
/// output reading the side region, no filter).
pub fn default_pipeline_settings() -> pipeline::Settings {
    let mut config = Config::default_builtin();
    config.filters.clear();
    pipeline_settings(&config, &[])
}

/// The assembler settings of `events`, `message_tracking` and
/// `raudit.assembler.timeout`.
pub fn assembler_settings(config: &Config) -> raudit_core::assemble::Settings {
    let timeout = config.raudit.assembler.timeout.as_millis();
    raudit_core::assemble::Settings {
        timeout: raudit_core::time::Duration::from_millis(
            u64::try_from(timeout).unwrap_or(u64::MAX),
        ),
        type_min: config.events.min,
        type_max: config.events.max,
        track_serials: config.message_tracking.enabled,
        max_out_of_order: config.message_tracking.max_out_of_order,
    }
}

/// What `raudit replay` runs with: the assembler settings, storage sizes
/// and event format `config` names (every default without one).
pub fn replay_settings(
    config: Option<&Config>,
) -> (raudit_core::assemble::Settings, crate::replay::Capacities) {
    let default;
    let config = match config {
        Some(config) => config,
        None => {
            default = Config::default_builtin();
            &default
        }
    };
    let r = &config.raudit;
    let capacities = crate::replay::Capacities {
        events: r.assembler.max_events as usize,
        records: r.assembler.max_records as usize,
        arena_bytes: r.assembler.arena_bytes as usize,
        event_buffer: r.max_event_bytes as usize,
        format: r.format,
    };
    (assembler_settings(config), capacities)
}

/// What `raudit replay --config` starts from: [`replay_settings`], the
/// rewrite spec and the config's warnings.
pub type ReplayStart = (
    (raudit_core::assemble::Settings, crate::replay::Capacities),
    RewriteSpec,
    Vec<String>,
);

/// [`replay_settings`] of the config file at `path`, what its
/// `raudit.redact` and `raudit.fields` rewrite, and its warnings.
///
/// What replay does not use does not stop it: the outputs and the rules
/// (a config written for another host names its users, groups and
/// directories), whose problems are left out; any other error does.
pub fn replay_settings_from(path: &Path) -> Result<ReplayStart, String> {
    let (config, errors) = Config::load_partial(path);
    let unused = |e: &ConfigError| {
        e.path == "output"
            || e.path.starts_with("output.")
            || e.path == "rules"
            || e.path.starts_with("rules[")
    };
    let mut warnings = config
        .as_ref()
        .map(|c| c.warnings.clone())
        .unwrap_or_default();
    if let Some(errors) = errors {
        let kept: Vec<ConfigError> = errors.errors.into_iter().filter(|e| !unused(e)).collect();
        let stopping = config.is_none() || kept.iter().any(|e| !e.message.starts_with("warning: "));
        let shown = ConfigErrors::new(&errors.source, kept).to_string();
        if stopping {
            return Err(shown);
        }
        warnings = shown.lines().map(str::to_owned).collect();
    }
    let Some(config) = config else {
        return Err(format!("{}: no config", path.display()));
    };
    let rewrite = rewrite_spec(&config.raudit)?;
    Ok((replay_settings(Some(&config)), rewrite, warnings))
}

/// `raudit.state_file` can be created: not a directory, and the nearest
/// existing ancestor is one (checked without creating anything).
/// The TLS client of an output's `tls` settings, its files read and
/// parsed now, so a missing or malformed one stops `check-config` and the
/// start with the key and the file named.
fn tls_client(
    settings: Option<&TlsSpec>,
    address: &str,
    key: &str,
) -> Result<Option<TlsClient>, String> {
    settings
        .map(|s| TlsClient::new(s, address).map_err(|e| format!("{key}: {e}")))
        .transpose()
}

/// The files raudit writes that name the same path, one problem each: the
/// output file (appended to), each spool (a ring written in place), the
/// stats file (replaced by a rename each period) and the state file and
/// its lock would write over one another. (Two spools: `output_plans`.)
fn shared_files(config: &Config, plan: &RunPlan) -> Vec<String> {
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    if let Some(file) = &config.output.file {
        files.push(("output.file.path".into(), file.path.clone()));
    }
    for output in &plan.outputs {
        if let Some(spool) = output.spool() {
            let key = format!("output.{}.spool.path", output.name());
            files.push((key, spool.path.clone()));
        }
    }
    if let Some(path) = &plan.stats_file {
        files.push(("raudit.stats.file".into(), path.clone()));
    }
    if let Some(path) = &plan.state_file {
        files.push(("raudit.state_file".into(), path.clone()));
        let mut lock = path.clone().into_os_string();
        lock.push(".lock");
        files.push(("raudit.state_file (its .lock)".into(), lock.into()));
    }
    let mut problems = Vec::new();
    for (i, (key, path)) in files.iter().enumerate() {
        let spool = |k: &str| k.ends_with(".spool.path");
        let earlier = files[..i]
            .iter()
            .find(|(k, p)| p == path && !(spool(k) && spool(key)));
        if let Some((first, _)) = earlier {
            problems.push(format!(
                "{key}: {} is also {first}; give each its own file",
                path.display()
            ));
        }
    }
    problems
}

fn check_state_path(path: &Path) -> Result<(), String> {
    if path.is_dir() {
        return Err(format!(
            "raudit.state_file: {} is a directory; name a file in it",
            path.display()
        ));
    }
    match path.ancestors().skip(1).find(|a| a.exists()) {
        Some(existing) if !existing.is_dir() => Err(format!(
            "raudit.state_file: {} is not a directory",
            existing.display()
        )),
        _ => Ok(()),
    }
}

/// Said when the kernel's rules are not in the configured order.
pub const ORDER_DIFFERS: &str = "the kernel holds the configured rules in another order (rules already loaded are not moved, which would open an unaudited window); the first matching rule decides an event and its key: to load them in order, run `raudit rules delete-all` before starting raudit";

/// Pause between write attempts (go-audit: 1 s).
const RETRY_PAUSE: Duration = Duration::from_secs(1);

/// "Never" for a disabled periodic report.
const NEVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch_dir::ScratchDir;

    #[test]
    fn a_state_file_path_must_be_creatable() {
        assert!(check_state_path(Path::new("/run/raudit/state")).is_ok());
        let dir = ScratchDir::new("plan");
        let e = check_state_path(&dir).unwrap_err();
        assert!(e.contains("is a directory"), "{e}");
        let file = dir.join("file");
        std::fs::write(&file, "x").unwrap();
        let e = check_state_path(&file.join("state")).unwrap_err();
        assert!(e.contains("is not a directory"), "{e}");
    }

    #[test]
    fn the_pool_grows_with_the_outputs_and_the_line_length_unless_its_size_is_set() {
        let plan = |text: &str| {
            from_config(&Config::from_yaml_str(text, "test.yaml").unwrap())
                .unwrap()
                .queue_buffers
        };
        let one = "output:\n  stdout: {enabled: true}\nrules: ['-e 1']\n";
        assert_eq!(plan(one), 64);
        let three = "output:\n  stdout: {enabled: true}\n  syslog: {enabled: true, network: tcp, address: '127.0.0.1:1'}\n  gelf: {enabled: true, network: tcp, address: '127.0.0.1:2'}\nrules: ['-e 1']\n";
        assert_eq!(plan(three), 3 * 64);
        let set = format!("{three}raudit:\n  queue: {{size: 100}}\n");
        assert_eq!(plan(&set), 100);
        // Shapes with longer lines get a pool that holds as many events.
        for (format, per_output) in [("go-audit", 64), ("structured", 128), ("ecs", 128)] {
            let shaped = format!("{three}raudit:\n  format: {format}\n");
            assert_eq!(plan(&shaped), 3 * per_output, "{format}");
            let set = format!("{three}raudit:\n  format: {format}\n  queue: {{size: 100}}\n");
            assert_eq!(plan(&set), 100, "{format}");
        }
    }

    #[test]
    fn each_spool_is_planned_for_its_output_and_two_cannot_share_a_file() {
        let config = |gelf: &str| {
            let text = format!(
                "output:\n  syslog: {{enabled: true, network: tcp, address: '127.0.0.1:1', spool: {{path: /s/syslog}}}}\n  gelf: {{enabled: true, network: tcp, address: '127.0.0.1:2', spool: {{path: {gelf}}}}}\nrules: ['-e 1']\n"
            );
            Config::from_yaml_str(&text, "test.yaml").unwrap()
        };
        let plan = from_config(&config("/s/gelf")).unwrap();
        let spools: Vec<_> = plan
            .outputs
            .iter()
            .map(|o| o.spool().map(|s| s.path.clone()))
            .collect();
        assert_eq!(
            spools,
            [
                Some(PathBuf::from("/s/syslog")),
                Some(PathBuf::from("/s/gelf"))
            ]
        );
        let e = from_config(&config("/s/syslog")).err().unwrap();
        assert!(e.contains("/s/syslog is the spool of two outputs"), "{e}");
    }

    /// The files raudit writes are each their own: the output file, a
    /// spool, the stats file and the state file (and its lock) naming the
    /// same path would write over one another (the stats file is replaced
    /// by a rename each period, which took the audit log's name away from
    /// the file the output kept appending to).
    #[test]
    fn two_of_the_files_raudit_writes_cannot_be_the_same_file() {
        let plan = |extra: &str| {
            let text = format!(
                "output:\n  file: {{enabled: true, path: /var/log/raudit/a.log}}\n  syslog: {{enabled: true, network: tcp, address: '127.0.0.1:1', spool: {{path: /var/lib/raudit/spool}}}}\nrules: ['-e 1']\nraudit:\n{extra}"
            );
            from_config(&Config::from_yaml_str(&text, "test.yaml").unwrap())
        };
        let e = plan("  stats: {file: /var/log/raudit/a.log}\n")
            .err()
            .unwrap();
        assert!(
            e.contains("raudit.stats.file: /var/log/raudit/a.log is also output.file.path"),
            "{e}"
        );
        let e = plan("  state_file: /var/lib/raudit/spool\n").err().unwrap();
        assert!(
            e.contains("raudit.state_file: /var/lib/raudit/spool is also output.syslog.spool.path"),
            "{e}"
        );
        let e = plan("  state_file: /var/log/raudit/a\n").err();
        assert!(e.as_ref().is_none_or(|e| !e.contains(" is also ")), "{e:?}");
        let e = plan("  state_file: /var/log/raudit/a.log\n").err().unwrap();
        assert!(
            e.contains("raudit.state_file: /var/log/raudit/a.log is also output.file.path"),
            "{e}"
        );
    }

    /// `raudit replay --config` takes the event settings, redactions and
    /// field choices of a config written for another host: what replay
    /// does not use (the outputs, the rules, whose users and groups that
    /// host has) does not stop it, while an error in what it uses does.
    #[test]
    fn replay_takes_a_config_whose_outputs_and_rules_name_another_hosts_users() {
        let dir = ScratchDir::new("replay-config");
        let path = dir.join("raudit.yaml");
        let text = "\
output: {file: {enabled: true, path: /nonexistent/x.log, user: no-such-user-raudit}}
rules: ['-a always,exit -F arch=b64 -S execve -F auid=no-such-user-raudit', '-e 1']
canary: true
raudit:
  redact: [{pattern: hunter2}]
  format: structured
";
        std::fs::write(&path, text).unwrap();
        let started = replay_settings_from(&path);
        std::fs::write(&path, format!("{text}  assembler: {{max_events: 0}}\n")).unwrap();
        let refused = replay_settings_from(&path);
        let ((_, capacities), rewrite, warnings) = started.unwrap();
        assert_eq!(capacities.format, crate::pipeline::Format::Structured);
        assert_eq!(rewrite.redactions.len(), 1);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("canary: warning: unknown key"),
            "{warnings:?}"
        );
        let e = refused.err().unwrap();
        assert!(e.contains("raudit.assembler.max_events"), "{e}");
        assert!(!e.contains("no-such-user-raudit"), "{e}");
    }

    #[test]
    fn a_tls_file_that_is_missing_or_not_pem_stops_the_plan_naming_it() {
        let config = |ca: &Path| {
            let text = format!(
                "output:\n  gelf:\n    enabled: true\n    network: tcp\n    address: '127.0.0.1:1'\n    tls: {{enabled: true, ca_file: {}}}\nrules: ['-e 1']\n",
                ca.display()
            );
            Config::from_yaml_str(&text, "test.yaml").unwrap()
        };
        let missing = Path::new("/nonexistent/raudit-ca.pem");
        let e = from_config(&config(missing)).err().unwrap();
        assert!(
            e.starts_with("output.gelf.tls: ca_file /nonexistent/raudit-ca.pem: cannot read it"),
            "{e}"
        );
        let dir = ScratchDir::new("plan-ca");
        let garbage = dir.join("ca.pem");
        std::fs::write(
            &garbage,
            "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let e = from_config(&config(&garbage)).err().unwrap();
        assert!(
            e.starts_with(&format!("output.gelf.tls: ca_file {}: ", garbage.display())),
            "{e}"
        );
        let bundle = Path::new("/etc/ssl/certs/ca-certificates.crt");
        if bundle.exists() {
            let system = from_config(&config(bundle));
            assert!(system.is_ok(), "{:?}", system.err());
        } else {
            eprintln!("skipped the good-bundle case: no {}", bundle.display());
        }
    }
}
