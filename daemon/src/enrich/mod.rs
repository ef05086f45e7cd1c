//! What raudit adds to the kernel's records when encoding: user names for
//! the uids in an event (go-audit's `uid_map`), and container ids for the
//! processes in it (go-audit's `extras.containers`). Both are bounded caches
//! allocated once; [`Enricher`] prepares them from an event's records
//! before the encoder asks.

pub mod container;
pub mod uid_names;

pub use container::ContainerIds;
pub use uid_names::UidNames;

/// Uid names and, if enabled, container ids.
pub struct Enricher {
    pub uids: UidNames,
    pub containers: Option<ContainerIds>,
}

impl Enricher {
    pub fn new(uid_capacity: usize, containers: bool) -> Enricher {
        Enricher {
            uids: UidNames::new(uid_capacity),
            containers: containers.then(|| ContainerIds::new(4096)),
        }
    }

    /// Caches what the encoder will ask about one record's body.
    pub fn prepare_record(&mut self, msg_type: u16, body: &[u8]) {
        let uids = &mut self.uids;
        uid_names::for_each_uid(body, |uid| uids.resolve(uid));
        if let Some(containers) = &mut self.containers {
            if carries_process(msg_type) {
                if let Some(pid) = container::pid_field(body) {
                    containers.resolve(pid);
                }
            }
        }
    }

    pub fn user_name(&self, uid: &[u8]) -> Option<&str> {
        self.uids.name(uid)
    }

    pub fn container_id(&self, msg_type: u16, body: &[u8]) -> Option<&str> {
        if !carries_process(msg_type) {
            return None;
        }
        self.containers.as_ref()?.id(container::pid_field(body)?)
    }
}

/// Record types go-audit looks up containers for: SYSCALL, PATH, EXECVE,
/// SECCOMP.
fn carries_process(msg_type: u16) -> bool {
    matches!(msg_type, 1300 | 1302 | 1309 | 1326)
}
