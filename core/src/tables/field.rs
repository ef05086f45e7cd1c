//! The numbers of audit rules (`include/uapi/linux/audit.h`) and their
//! auditctl names: rule fields (`AUDIT_PID` = 0 …), operators, filter lists,
//! actions, field comparisons (`-C`), file types, file-system types and
//! permission bits. Names compare without case, as libaudit's do.

use super::eq_ignore_case;

/// A rule field number (`AUDIT_UID`, `AUDIT_WATCH`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Field(pub u32);

impl Field {
    pub const PID: Field = Field(0);
    pub const UID: Field = Field(1);
    pub const EUID: Field = Field(2);
    pub const SUID: Field = Field(3);
    pub const FSUID: Field = Field(4);
    pub const GID: Field = Field(5);
    pub const EGID: Field = Field(6);
    pub const SGID: Field = Field(7);
    pub const FSGID: Field = Field(8);
    pub const LOGINUID: Field = Field(9);
    pub const PERS: Field = Field(10);
    pub const ARCH: Field = Field(11);
    pub const MSGTYPE: Field = Field(12);
    pub const SUBJ_USER: Field = Field(13);
    pub const SUBJ_ROLE: Field = Field(14);
    pub const SUBJ_TYPE: Field = Field(15);
    pub const SUBJ_SEN: Field = Field(16);
    pub const SUBJ_CLR: Field = Field(17);
    pub const PPID: Field = Field(18);
    pub const OBJ_USER: Field = Field(19);
    pub const OBJ_ROLE: Field = Field(20);
    pub const OBJ_TYPE: Field = Field(21);
    pub const OBJ_LEV_LOW: Field = Field(22);
    pub const OBJ_LEV_HIGH: Field = Field(23);
    pub const LOGINUID_SET: Field = Field(24);
    pub const SESSIONID: Field = Field(25);
    pub const FSTYPE: Field = Field(26);
    pub const DEVMAJOR: Field = Field(100);
    pub const DEVMINOR: Field = Field(101);
    pub const INODE: Field = Field(102);
    pub const EXIT: Field = Field(103);
    pub const SUCCESS: Field = Field(104);
    pub const WATCH: Field = Field(105);
    pub const PERM: Field = Field(106);
    pub const DIR: Field = Field(107);
    pub const FILETYPE: Field = Field(108);
    pub const OBJ_UID: Field = Field(109);
    pub const OBJ_GID: Field = Field(110);
    pub const FIELD_COMPARE: Field = Field(111);
    pub const EXE: Field = Field(112);
    pub const SADDR_FAM: Field = Field(113);
    pub const ARG0: Field = Field(200);
    pub const ARG1: Field = Field(201);
    pub const ARG2: Field = Field(202);
    pub const ARG3: Field = Field(203);
    pub const FILTERKEY: Field = Field(210);

    /// The auditctl name (`auid` for `AUDIT_LOGINUID`).
    pub fn name(self) -> Option<&'static str> {
        FIELDS.iter().find(|&&(f, _)| f == self.0).map(|&(_, n)| n)
    }

    /// The field of an auditctl name (`loginuid` is also accepted).
    pub fn from_name(name: &[u8]) -> Option<Field> {
        FIELDS
            .iter()
            .find(|(_, n)| eq_ignore_case(n.as_bytes(), name))
            .map(|&(f, _)| Field(f))
    }

    /// True for fields whose value is a string in the rule's buffer (the
    /// value slot then holds its length).
    pub const fn is_string(self) -> bool {
        matches!(self.0, 13..=17 | 19..=23 | 105 | 107 | 112 | 210)
    }
}

/// `(number, name)` as in libaudit's `fieldtab.h`, sorted by number; the
/// first name of a number is the one printed.
pub static FIELDS: &[(u32, &str)] = &[
    (0, "pid"),
    (1, "uid"),
    (2, "euid"),
    (3, "suid"),
    (4, "fsuid"),
    (5, "gid"),
    (6, "egid"),
    (7, "sgid"),
    (8, "fsgid"),
    (9, "auid"),
    (9, "loginuid"),
    (10, "pers"),
    (11, "arch"),
    (12, "msgtype"),
    (13, "subj_user"),
    (14, "subj_role"),
    (15, "subj_type"),
    (16, "subj_sen"),
    (17, "subj_clr"),
    (18, "ppid"),
    (19, "obj_user"),
    (20, "obj_role"),
    (21, "obj_type"),
    (22, "obj_lev_low"),
    (23, "obj_lev_high"),
    (25, "sessionid"),
    (26, "fstype"),
    (100, "devmajor"),
    (101, "devminor"),
    (102, "inode"),
    (103, "exit"),
    (104, "success"),
    (105, "path"),
    (106, "perm"),
    (107, "dir"),
    (108, "filetype"),
    (109, "obj_uid"),
    (110, "obj_gid"),
    (111, "field_compare"),
    (112, "exe"),
    (113, "saddr_fam"),
    (200, "a0"),
    (201, "a1"),
    (202, "a2"),
    (203, "a3"),
    (210, "key"),
];

/// A comparison operator, as carried in `fieldflags`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Operator(pub u32);

impl Operator {
    pub const BIT_MASK: Operator = Operator(0x0800_0000);
    pub const LESS_THAN: Operator = Operator(0x1000_0000);
    pub const GREATER_THAN: Operator = Operator(0x2000_0000);
    pub const NOT_EQUAL: Operator = Operator(0x3000_0000);
    pub const EQUAL: Operator = Operator(0x4000_0000);
    pub const BIT_TEST: Operator = Operator(0x4800_0000);
    pub const LESS_THAN_OR_EQUAL: Operator = Operator(0x5000_0000);
    pub const GREATER_THAN_OR_EQUAL: Operator = Operator(0x6000_0000);
    /// The bits of `fieldflags` (and of `fields`) that hold the operator.
    pub const MASK: u32 = 0x7800_0000;

    /// The symbol auditctl prints (`!=`), or `None` for a value that is
    /// not an operator.
    pub fn symbol(self) -> Option<&'static str> {
        OPERATORS
            .iter()
            .find(|&&(_, op)| op == self)
            .map(|&(s, _)| s)
    }
}

/// Operators in the order auditctl searches a `field<op>value` pair:
/// two-character ones first.
pub static OPERATORS: &[(&str, Operator)] = &[
    ("!=", Operator::NOT_EQUAL),
    (">=", Operator::GREATER_THAN_OR_EQUAL),
    ("<=", Operator::LESS_THAN_OR_EQUAL),
    ("&=", Operator::BIT_TEST),
    ("=", Operator::EQUAL),
    (">", Operator::GREATER_THAN),
    ("<", Operator::LESS_THAN),
    ("&", Operator::BIT_MASK),
];

/// Filter lists (`AUDIT_FILTER_*`, the low bits of a rule's `flags`).
pub mod filter {
    pub const USER: u32 = 0x00;
    pub const TASK: u32 = 0x01;
    pub const ENTRY: u32 = 0x02;
    pub const WATCH: u32 = 0x03;
    pub const EXIT: u32 = 0x04;
    pub const EXCLUDE: u32 = 0x05;
    pub const FS: u32 = 0x06;
    pub const URING_EXIT: u32 = 0x07;
    /// Bits of `flags` that name the list.
    pub const MASK: u32 = 0x07;
    /// `-A`: insert at the front of the list.
    pub const PREPEND: u32 = 0x10;

    /// auditctl's list names.
    pub static NAMES: &[(u32, &str)] = &[
        (USER, "user"),
        (TASK, "task"),
        (ENTRY, "entry"),
        (EXIT, "exit"),
        (EXCLUDE, "exclude"),
        (FS, "filesystem"),
        (URING_EXIT, "io_uring"),
    ];

    /// The name of a list number.
    pub fn name(list: u32) -> Option<&'static str> {
        NAMES.iter().find(|&&(l, _)| l == list).map(|&(_, n)| n)
    }
}

/// Rule actions.
pub mod action {
    pub const NEVER: u32 = 0;
    pub const POSSIBLE: u32 = 1;
    pub const ALWAYS: u32 = 2;

    /// The name of an action number.
    pub fn name(action: u32) -> Option<&'static str> {
        match action {
            NEVER => Some("never"),
            POSSIBLE => Some("possible"),
            ALWAYS => Some("always"),
            _ => None,
        }
    }
}

/// Permission bits of `-p`/`-F perm=`.
pub mod perm {
    pub const EXEC: u32 = 1;
    pub const WRITE: u32 = 2;
    pub const READ: u32 = 4;
    pub const ATTR: u32 = 8;
}

/// `-C` comparisons: `(AUDIT_COMPARE_* value, left, right)` in the printed
/// form; a pair also matches swapped.
pub static COMPARISONS: &[(u32, Field, Field)] = &[
    (1, Field::UID, Field::OBJ_UID),
    (2, Field::GID, Field::OBJ_GID),
    (3, Field::EUID, Field::OBJ_UID),
    (4, Field::EGID, Field::OBJ_GID),
    (5, Field::LOGINUID, Field::OBJ_UID),
    (6, Field::SUID, Field::OBJ_UID),
    (7, Field::SGID, Field::OBJ_GID),
    (8, Field::FSUID, Field::OBJ_UID),
    (9, Field::FSGID, Field::OBJ_GID),
    (10, Field::UID, Field::LOGINUID),
    (11, Field::UID, Field::EUID),
    (12, Field::UID, Field::FSUID),
    (13, Field::UID, Field::SUID),
    (14, Field::LOGINUID, Field::FSUID),
    (15, Field::LOGINUID, Field::SUID),
    (16, Field::LOGINUID, Field::EUID),
    (17, Field::EUID, Field::SUID),
    (18, Field::EUID, Field::FSUID),
    (19, Field::SUID, Field::FSUID),
    (20, Field::GID, Field::EGID),
    (21, Field::GID, Field::FSGID),
    (22, Field::GID, Field::SGID),
    (23, Field::EGID, Field::FSGID),
    (24, Field::EGID, Field::SGID),
    (25, Field::SGID, Field::FSGID),
];

/// The comparison of two fields, in either order.
pub fn comparison(a: Field, b: Field) -> Option<u32> {
    COMPARISONS
        .iter()
        .find(|&&(_, l, r)| (l == a && r == b) || (l == b && r == a))
        .map(|&(v, _, _)| v)
}

/// `-F filetype=` names (`S_IF*`).
pub static FILE_TYPES: &[(u32, &str)] = &[
    (0o140000, "socket"),
    (0o120000, "link"),
    (0o100000, "file"),
    (0o060000, "block"),
    (0o040000, "dir"),
    (0o020000, "character"),
    (0o010000, "fifo"),
];

/// `-F fstype=` names (file-system magic numbers).
pub static FS_TYPES: &[(u32, &str)] = &[(0x7472_6163, "tracefs"), (0x6462_6720, "debugfs")];

/// Looks a name up in a `(number, name)` table, without case.
pub fn lookup(table: &[(u32, &'static str)], name: &[u8]) -> Option<u32> {
    table
        .iter()
        .find(|(_, n)| eq_ignore_case(n.as_bytes(), name))
        .map(|&(v, _)| v)
}

/// Names a number from a `(number, name)` table.
pub fn name_of(table: &[(u32, &'static str)], value: u32) -> Option<&'static str> {
    table.iter().find(|&&(v, _)| v == value).map(|&(_, n)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields() {
        assert!(FIELDS.windows(2).all(|w| w[0].0 <= w[1].0));
        assert_eq!(Field::from_name(b"loginuid"), Some(Field::LOGINUID));
        assert_eq!(Field::LOGINUID.name(), Some("auid"));
        assert_eq!(Field::from_name(b"KEY"), Some(Field::FILTERKEY));
        assert_eq!(Field(999).name(), None);
        assert!(Field::WATCH.is_string() && !Field::PPID.is_string());
    }

    #[test]
    fn operators_and_comparisons() {
        assert_eq!(Operator::BIT_TEST.symbol(), Some("&="));
        assert_eq!(Operator(7).symbol(), None);
        assert_eq!(comparison(Field::LOGINUID, Field::OBJ_UID), Some(5));
        assert_eq!(comparison(Field::OBJ_UID, Field::LOGINUID), Some(5));
        assert_eq!(comparison(Field::UID, Field::GID), None);
        assert_eq!(lookup(FILE_TYPES, b"DIR"), Some(0o040000));
    }
}
