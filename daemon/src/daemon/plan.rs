//! [`RunPlan`]: everything the running daemon needs, decided before start
//! (from the config file or the built-in default): how to listen, the
//! outputs, capacities, intervals, and the rules to load.

use std::path::PathBuf;
use std::time::Duration;

use crate::netlink::Control;
use crate::output::FileSpec;
use crate::pipeline;
use crate::queue::Policy;

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
}

impl OutputPlan {
    pub fn name(&self) -> &'static str {
        match self {
            OutputPlan::Stdout { .. } => "stdout",
            OutputPlan::File { .. } => "file",
        }
    }
}

/// Loads rules (and `-e`, `-b`, … settings) once the pid is ours.
pub type ApplyRules = Box<dyn Fn(&Control<'_>) -> Result<(), String> + Send>;

/// The whole plan.
pub struct RunPlan {
    pub listen: Listen,
    /// `socket_buffer.receive`, if set.
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
}

impl RunPlan {
    /// Defaults for everything but the outputs and rules.
    pub fn base(outputs: Vec<OutputPlan>) -> RunPlan {
        RunPlan {
            listen: Listen::Daemon { takeover: false },
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
        }
    }
}

/// The plan with no config: go-audit's example rules (every `execve`, 64-
/// and 32-bit, auditing enabled), JSON on stdout.
pub fn builtin_default() -> RunPlan {
    RunPlan::base(vec![OutputPlan::Stdout { attempts: 3 }])
}

/// The plan from a config file.
pub fn from_config_file(path: &std::path::Path) -> Result<RunPlan, String> {
    Err(format!(
        "{}: config files are not supported yet",
        path.display()
    ))
}
