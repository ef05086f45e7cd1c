//! The record types' normalisations ([`BY_TYPE`]), by type name: each
//! record type go-libaudit's `aucoalesce` normalises (AVC apart, told by
//! its fields: [`of_avc`](super::of_avc)), with its action, object kind,
//! ECS category and type, and `event.kind: alert` for the anomalies. Not
//! here, as Auditbeat leaves them without a normalisation: the two
//! entries aucoalesce names by a name no record has, `ANOM_MK_EXE` (the
//! type is ANOM_MK_EXEC) and `AUDIT_ANOM_LOGIN_ACCT` (ANOM_LOGIN_ACCT).

use super::{how, n, naming, Norm, Object};

/// aucoalesce's `ecs-iam` category.
const IAM: &[&str] = &["iam"];
const PROCESS: &[&str] = &["process"];
const HOST: &[&str] = &["host"];
const CONFIGURATION: &[&str] = &["configuration"];
const PROCESS_CONFIGURATION: &[&str] = &["process", "configuration"];
const NETWORK: &[&str] = &["network"];
const IDS: &[&str] = &["intrusion_detection"];
const PROCESS_IDS: &[&str] = &["process", "intrusion_detection"];
const FILE_IDS: &[&str] = &["file", "intrusion_detection"];
const AUTH_IDS: &[&str] = &["authentication", "intrusion_detection"];
const IAM_IDS: &[&str] = &["iam", "intrusion_detection"];
const INFO: &[&str] = &["info"];
const START: &[&str] = &["start"];
const END: &[&str] = &["end"];
const CHANGE: &[&str] = &["change"];
const ACCESS: &[&str] = &["access"];
const CONN_START: &[&str] = &["connection", "start"];
/// The login anomalies' type: a login, refused.
const START_DENIED: &[&str] = &["start", "denied"];
/// No ECS category or type: the record type's own, and the event's
/// syscall's added to it.
const NONE: &[&str] = &[];
/// aucoalesce's `ecs-auth` macro's category.
const AUTH: &[&str] = &["authentication"];

/// An anomaly: `event.kind: alert`.
const fn alert(
    action: &'static str,
    object: Object,
    category: &'static [&'static str],
    kind_type: &'static [&'static str],
) -> Norm {
    Norm {
        alert: true,
        ..n(action, object, category, kind_type)
    }
}

/// What the audit daemon says of itself: its service.
const fn daemon(
    action: &'static str,
    category: &'static [&'static str],
    kind_type: &'static [&'static str],
) -> Norm {
    n(action, Object::Service, category, kind_type)
}

/// A record of virtual machines (aucoalesce's `ecs-host` macro).
const fn virt(action: &'static str, object: Object) -> Norm {
    n(action, object, HOST, INFO)
}

/// A login anomaly (aucoalesce's user-session macro).
const fn login_anomaly(action: &'static str) -> Norm {
    session(
        alert(action, Object::UserSession, AUTH_IDS, START_DENIED),
        TERMINAL,
    )
}

/// A user-session record (aucoalesce's user-session macro): its object
/// `primary` (most: the terminal), its peer the address, else the host
/// name; how: [`SESSION_HOW`].
const fn session(norm: Norm, primary: &'static [&'static [u8]]) -> Norm {
    how(naming(norm, primary, &[b"addr", b"hostname"]), SESSION_HOW)
}

const TERMINAL: &[&[u8]] = &[b"terminal"];

/// TTY input: what was typed, by which program (aucoalesce's `how:
/// [comm, exe]`).
const TYPED: Norm = how(
    naming(n("typed", Object::Keystrokes, NONE, NONE), &[b"data"], &[]),
    &[b"comm", b"exe"],
);

/// An account record: the account it adds, deletes or changes is its
/// object, by its `id`, else its name (aucoalesce's `object_primary:
/// [id, acct]`).
const fn account(action: &'static str, kind_type: &'static [&'static str]) -> Norm {
    naming(
        n(action, Object::Account, IAM, kind_type),
        &[b"id", b"acct"],
        &[],
    )
}

/// What a CONFIG_CHANGE changed, the first present: a rule's `op`, else
/// the setting changed, whose new value it is (aucoalesce's order).
const AUDIT_CONFIG: &[&[u8]] = &[
    b"op",
    b"key",
    b"audit_enabled",
    b"audit_pid",
    b"audit_backlog_limit",
    b"audit_failure",
];

/// How a user-session record's program is named (aucoalesce's
/// user-session macro: `how: [exe, terminal]`, an interpreter's `exe`
/// too).
const SESSION_HOW: &[&[u8]] = &[b"exe", b"terminal"];

/// By record type name, for events whose first record is not SYSCALL.
/// Sorted.
pub(super) static BY_TYPE: &[(&str, Norm)] = &[
    (
        "ACCT_LOCK",
        n("locked-account", Object::None, IAM, &["user", "info"]),
    ),
    (
        "ACCT_UNLOCK",
        n("unlocked-account", Object::None, IAM, &["user", "info"]),
    ),
    (
        "ADD_GROUP",
        account("added-group-account-to", &["group", "creation"]),
    ),
    (
        "ADD_USER",
        account("added-user-account", &["user", "creation"]),
    ),
    (
        "ANOM_ABEND",
        how(
            naming(
                alert(
                    "crashed-program",
                    Object::Process,
                    PROCESS_IDS,
                    &["end", "info"],
                ),
                &[b"comm", b"exe"],
                &[b"pid"],
            ),
            &[b"sig"],
        ),
    ),
    (
        "ANOM_ACCESS_FS",
        alert(
            "accessed-watched-file-or-directory",
            Object::None,
            FILE_IDS,
            &["access", "info"],
        ),
    ),
    (
        "ANOM_ADD_ACCT",
        alert(
            "added-user-account",
            Object::None,
            IAM_IDS,
            &["user", "creation", "info"],
        ),
    ),
    (
        "ANOM_AMTU_FAIL",
        alert(
            "abstract-machine-test-utility-failure",
            Object::None,
            IDS,
            INFO,
        ),
    ),
    (
        "ANOM_CRYPTO_FAIL",
        alert("crypto-system-test-failure", Object::None, IDS, INFO),
    ),
    (
        "ANOM_DEL_ACCT",
        alert(
            "deleted-user-account",
            Object::None,
            IAM_IDS,
            &["user", "deletion", "info"],
        ),
    ),
    (
        "ANOM_EXEC",
        how(
            naming(
                alert(
                    "attempted-execution-of-forbidden-program",
                    Object::Process,
                    PROCESS_IDS,
                    &["start", "info"],
                ),
                &[b"cmd"],
                &[],
            ),
            &[b"terminal"],
        ),
    ),
    (
        "ANOM_LINK",
        alert(
            "used-suspicious-link",
            Object::None,
            FILE_IDS,
            &["access", "info"],
        ),
    ),
    (
        "ANOM_LOGIN_FAILURES",
        login_anomaly("failed-log-in-too-many-times-to"),
    ),
    (
        "ANOM_LOGIN_LOCATION",
        login_anomaly("attempted-log-in-from-unusual-place-to"),
    ),
    (
        "ANOM_LOGIN_SERVICE",
        alert(
            "service-account-attempted-login",
            Object::None,
            AUTH_IDS,
            START_DENIED,
        ),
    ),
    (
        "ANOM_LOGIN_SESSIONS",
        login_anomaly("opened-too-many-sessions-to"),
    ),
    (
        "ANOM_LOGIN_TIME",
        login_anomaly("attempted-log-in-during-unusual-hour-to"),
    ),
    (
        "ANOM_MAX_DAC",
        alert(
            "max-discretionary-access-control-failures-reached",
            Object::None,
            IDS,
            INFO,
        ),
    ),
    (
        "ANOM_MAX_MAC",
        alert(
            "max-mandatory-access-control-failures-reached",
            Object::None,
            IDS,
            INFO,
        ),
    ),
    (
        "ANOM_MOD_ACCT",
        alert(
            "modified-user-account",
            Object::None,
            IAM_IDS,
            &["user", "change", "info"],
        ),
    ),
    (
        "ANOM_PROMISCUOUS",
        naming(
            alert(
                "changed-promiscuous-mode-on-device",
                Object::Device,
                IDS,
                &["info", "change"],
            ),
            &[b"dev"],
            &[],
        ),
    ),
    (
        "ANOM_RBAC_FAIL",
        alert("rbac-self-test-failure", Object::None, IDS, INFO),
    ),
    (
        "ANOM_RBAC_INTEGRITY_FAIL",
        naming(
            alert(
                "tested-file-system-integrity-of",
                Object::Filesystem,
                IDS,
                INFO,
            ),
            &[b"hostname"],
            &[],
        ),
    ),
    (
        "ANOM_ROOT_TRANS",
        alert(
            "user-became-root",
            Object::None,
            AUTH_IDS,
            &["start", "info"],
        ),
    ),
    (
        "CHGRP_ID",
        n("changed-group", Object::None, PROCESS, CHANGE),
    ),
    (
        "CHUSER_ID",
        n("changed-user-id", Object::None, PROCESS, CHANGE),
    ),
    (
        "CONFIG_CHANGE",
        naming(
            n(
                "changed-audit-configuration",
                Object::AuditConfig,
                PROCESS_CONFIGURATION,
                CHANGE,
            ),
            AUDIT_CONFIG,
            &[],
        ),
    ),
    (
        "CRED_ACQ",
        session(
            n("acquired-credentials", Object::UserSession, AUTH, INFO),
            TERMINAL,
        ),
    ),
    (
        "CRED_DISP",
        session(
            n("disposed-credentials", Object::UserSession, AUTH, INFO),
            TERMINAL,
        ),
    ),
    (
        "CRED_REFR",
        session(
            n("refreshed-credentials", Object::UserSession, AUTH, INFO),
            TERMINAL,
        ),
    ),
    (
        "CRYPTO_KEY_USER",
        session(
            n("negotiated-crypto-key", Object::UserSession, PROCESS, INFO),
            &[b"fp"],
        ),
    ),
    (
        "CRYPTO_LOGIN",
        n("crypto-officer-logged-in", Object::None, NONE, NONE),
    ),
    (
        "CRYPTO_LOGOUT",
        n("crypto-officer-logged-out", Object::None, PROCESS, INFO),
    ),
    (
        "CRYPTO_SESSION",
        naming(
            how(
                n("started-crypto-session", Object::UserSession, PROCESS, INFO),
                SESSION_HOW,
            ),
            &[b"addr"],
            &[b"rport"],
        ),
    ),
    ("DAC_CHECK", n("access-result", Object::None, NONE, NONE)),
    (
        "DAEMON_ABORT",
        daemon("aborted-auditd-startup", PROCESS, END),
    ),
    (
        "DAEMON_ACCEPT",
        daemon("remote-audit-connected", NETWORK, CONN_START),
    ),
    (
        "DAEMON_CLOSE",
        daemon("remote-audit-disconnected", NETWORK, CONN_START),
    ),
    (
        "DAEMON_CONFIG",
        daemon(
            "changed-auditd-configuration",
            PROCESS_CONFIGURATION,
            CHANGE,
        ),
    ),
    ("DAEMON_END", daemon("shutdown-audit", PROCESS, END)),
    ("DAEMON_ERR", daemon("audit-error", PROCESS, INFO)),
    (
        "DAEMON_RECONFIG",
        daemon("reconfigured-auditd", PROCESS_CONFIGURATION, INFO),
    ),
    (
        "DAEMON_RESUME",
        daemon("resumed-audit-logging", PROCESS, CHANGE),
    ),
    (
        "DAEMON_ROTATE",
        daemon("rotated-audit-logs", PROCESS, CHANGE),
    ),
    ("DAEMON_START", daemon("started-audit", PROCESS, START)),
    (
        "DEL_GROUP",
        account("deleted-group-account-from", &["group", "deletion"]),
    ),
    (
        "DEL_USER",
        account("deleted-user-account", &["user", "deletion"]),
    ),
    (
        "FEATURE_CHANGE",
        naming(
            n(
                "changed-audit-feature",
                Object::System,
                CONFIGURATION,
                CHANGE,
            ),
            &[b"feature"],
            &[],
        ),
    ),
    (
        "FS_RELABEL",
        n("relabeled-filesystem", Object::MacConfig, NONE, NONE),
    ),
    (
        "GRP_AUTH",
        n("authenticated-to-group", Object::None, AUTH, INFO),
    ),
    (
        "GRP_CHAUTHTOK",
        session(
            n(
                "changed-group-password",
                Object::UserSession,
                IAM,
                &["group", "change"],
            ),
            &[b"acct"],
        ),
    ),
    (
        "GRP_MGMT",
        account("modified-group-account", &["group", "change"]),
    ),
    (
        "KERNEL",
        n("initialized-audit-subsystem", Object::None, PROCESS, INFO),
    ),
    (
        "KERN_MODULE",
        naming(
            n("loaded-kernel-module", Object::File, &["driver"], START),
            &[b"name"],
            &[],
        ),
    ),
    (
        "LABEL_LEVEL_CHANGE",
        naming(
            n("modified-level-of", Object::Printer, NONE, NONE),
            &[b"printer"],
            &[],
        ),
    ),
    (
        "LABEL_OVERRIDE",
        n("overrode-label-of", Object::MacConfig, NONE, NONE),
    ),
    (
        "LOGIN",
        naming(
            n("changed-login-id-to", Object::UserSession, AUTH, START),
            &[b"new-auid", b"new_auid", b"auid"],
            &[],
        ),
    ),
    ("MAC_CHECK", n("mac-permission", Object::None, NONE, NONE)),
    (
        "MAC_CONFIG_CHANGE",
        naming(
            n(
                "changed-selinux-boolean",
                Object::MacConfig,
                CONFIGURATION,
                CHANGE,
            ),
            &[b"bool"],
            &[],
        ),
    ),
    (
        "MAC_POLICY_LOAD",
        n(
            "loaded-selinux-policy",
            Object::MacConfig,
            CONFIGURATION,
            ACCESS,
        ),
    ),
    (
        "MAC_STATUS",
        naming(
            n(
                "changed-selinux-enforcement",
                Object::MacConfig,
                CONFIGURATION,
                CHANGE,
            ),
            &[b"enforcing"],
            &[],
        ),
    ),
    (
        "NETFILTER_CFG",
        naming(
            n(
                "loaded-firewall-rule-to",
                Object::Firewall,
                CONFIGURATION,
                CHANGE,
            ),
            &[b"table"],
            &[],
        ),
    ),
    (
        "ROLE_ASSIGN",
        account("assigned-user-role-to", &["user", "change"]),
    ),
    ("ROLE_MODIFY", n("modified-role", Object::None, IAM, CHANGE)),
    (
        "ROLE_REMOVE",
        account("removed-user-role-from", &["user", "change"]),
    ),
    (
        "SECCOMP",
        n("violated-seccomp-policy", Object::Process, NONE, NONE),
    ),
    (
        "SELINUX_ERR",
        n("caused-mac-policy-error", Object::System, NONE, NONE),
    ),
    (
        "SERVICE_START",
        naming(
            n("started-service", Object::Service, PROCESS, START),
            &[b"unit"],
            &[],
        ),
    ),
    (
        "SERVICE_STOP",
        naming(
            n("stopped-service", Object::Service, PROCESS, END),
            &[b"unit"],
            &[],
        ),
    ),
    (
        "SOFTWARE_UPDATE",
        n("package-updated", Object::None, &["package"], INFO),
    ),
    (
        "SYSTEM_BOOT",
        n("booted-system", Object::System, HOST, START),
    ),
    (
        "SYSTEM_RUNLEVEL",
        naming(
            n("changed-to-runlevel", Object::System, HOST, CHANGE),
            &[b"new-level"],
            &[],
        ),
    ),
    (
        "SYSTEM_SHUTDOWN",
        n("shutdown-system", Object::System, HOST, END),
    ),
    ("TEST", n("sent-test", Object::None, PROCESS, INFO)),
    (
        "TIME_ADJNTPVAL",
        n("changed-system-time", Object::System, HOST, CHANGE),
    ),
    (
        "TIME_INJOFFSET",
        n("changed-system-time", Object::System, HOST, CHANGE),
    ),
    ("TRUSTED_APP", n("unknown", Object::None, PROCESS, INFO)),
    ("TTY", TYPED),
    (
        "USER",
        naming(n("sent-message", Object::None, NONE, NONE), &[b"addr"], &[]),
    ),
    (
        "USER_ACCT",
        session(
            n("was-authorized", Object::UserSession, AUTH, INFO),
            TERMINAL,
        ),
    ),
    (
        "USER_AUTH",
        session(
            n("authenticated", Object::UserSession, AUTH, INFO),
            TERMINAL,
        ),
    ),
    ("USER_AVC", n("access-permission", Object::None, NONE, NONE)),
    (
        "USER_CHAUTHTOK",
        session(
            n(
                "changed-password",
                Object::UserSession,
                IAM,
                &["user", "change"],
            ),
            TERMINAL,
        ),
    ),
    (
        "USER_CMD",
        naming(
            n("ran-command", Object::Process, PROCESS, START),
            &[b"cmd"],
            &[],
        ),
    ),
    (
        "USER_END",
        session(
            n("ended-session", Object::UserSession, &["session"], END),
            TERMINAL,
        ),
    ),
    (
        "USER_ERR",
        session(n("error", Object::UserSession, AUTH, INFO), TERMINAL),
    ),
    (
        "USER_LOGIN",
        session(n("logged-in", Object::UserSession, AUTH, START), TERMINAL),
    ),
    (
        "USER_LOGOUT",
        session(n("logged-out", Object::UserSession, AUTH, END), TERMINAL),
    ),
    (
        "USER_MAC_CONFIG_CHANGE",
        n(
            "changed-mac-configuration",
            Object::MacConfig,
            CONFIGURATION,
            CHANGE,
        ),
    ),
    (
        "USER_MAC_POLICY_LOAD",
        n(
            "loaded-mac-policy",
            Object::MacConfig,
            CONFIGURATION,
            ACCESS,
        ),
    ),
    (
        "USER_MGMT",
        session(
            n(
                "modified-user-account",
                Object::UserSession,
                IAM,
                &["user", "change"],
            ),
            TERMINAL,
        ),
    ),
    (
        "USER_ROLE_CHANGE",
        session(
            n("changed-role-to", Object::UserSession, NONE, NONE),
            &[b"selected-context"],
        ),
    ),
    (
        "USER_SELINUX_ERR",
        n("access-error", Object::None, NONE, NONE),
    ),
    (
        "USER_START",
        session(
            n("started-session", Object::UserSession, &["session"], START),
            TERMINAL,
        ),
    ),
    ("USER_TTY", TYPED),
    (
        "USYS_CONFIG",
        naming(
            n(
                "changed-configuration",
                Object::System,
                CONFIGURATION,
                CHANGE,
            ),
            &[b"op"],
            &[],
        ),
    ),
    (
        "VIRT_CONTROL",
        naming(
            virt("issued-vm-control", Object::VirtualMachine),
            &[b"op"],
            &[b"vm"],
        ),
    ),
    ("VIRT_CREATE", virt("created-vm-image", Object::None)),
    ("VIRT_DESTROY", virt("deleted-vm-image", Object::None)),
    (
        "VIRT_INTEGRITY_CHECK",
        virt("checked-integrity-of", Object::None),
    ),
    (
        "VIRT_MACHINE_ID",
        naming(
            virt("assigned-vm-id", Object::VirtualMachine),
            &[b"vm"],
            &[],
        ),
    ),
    ("VIRT_MIGRATE_IN", virt("migrated-vm-from", Object::None)),
    ("VIRT_MIGRATE_OUT", virt("migrated-vm-to", Object::None)),
    (
        "VIRT_RESOURCE",
        naming(
            virt("assigned-vm-resource", Object::VirtualMachine),
            &[b"resrc"],
            &[b"vm"],
        ),
    ),
];
