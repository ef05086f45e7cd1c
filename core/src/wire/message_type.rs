//! [`MessageType`]: the kernel's audit record type number, a newtype with
//! named constants. Unknown numbers are valid values (new kernels add types);
//! they print as `UNKNOWN[N]`, never fail.

use core::fmt;

/// An audit message type (`nlmsg_type` of an audit record), e.g. 1300 SYSCALL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageType(pub u16);

impl MessageType {
    pub const GET: MessageType = MessageType(1000);
    pub const SET: MessageType = MessageType(1001);
    pub const LIST_RULES: MessageType = MessageType(1013);
    pub const GET_FEATURE: MessageType = MessageType(1019);
    pub const ADD_RULE: MessageType = MessageType(1011);
    pub const DEL_RULE: MessageType = MessageType(1012);
    pub const USER: MessageType = MessageType(1005);
    pub const LOGIN: MessageType = MessageType(1006);
    pub const SIGNAL_INFO: MessageType = MessageType(1010);
    pub const FIRST_USER_MSG: MessageType = MessageType(1100);
    pub const LAST_USER_MSG: MessageType = MessageType(1199);
    pub const DAEMON_START: MessageType = MessageType(1200);
    pub const LAST_DAEMON: MessageType = MessageType(1299);
    pub const SYSCALL: MessageType = MessageType(1300);
    pub const PATH: MessageType = MessageType(1302);
    pub const IPC: MessageType = MessageType(1303);
    pub const SOCKETCALL: MessageType = MessageType(1304);
    pub const CONFIG_CHANGE: MessageType = MessageType(1305);
    pub const SOCKADDR: MessageType = MessageType(1306);
    pub const CWD: MessageType = MessageType(1307);
    pub const EXECVE: MessageType = MessageType(1309);
    pub const EOE: MessageType = MessageType(1320);
    pub const PROCTITLE: MessageType = MessageType(1327);
    /// The kernel's binary probe to a registered daemon ("another process
    /// asked for the pid; answer or be replaced"), not a record.
    pub const REPLACE: MessageType = MessageType(1329);
    pub const FIRST_USER_MSG2: MessageType = MessageType(2100);
    pub const LAST_USER_MSG2: MessageType = MessageType(2999);

    /// The number.
    pub const fn number(self) -> u16 {
        self.0
    }

    /// True for records that user space sends (`AUDIT_USER`, 1100–1299,
    /// 2100–2999): each is an event on its own, with its own serial and no EOE.
    pub const fn is_user_space(self) -> bool {
        let n = self.0;
        n == 1005 || (n >= 1100 && n <= 1299) || (n >= 2100 && n <= 2999)
    }

    /// True when a netlink frame of this type carries an audit record;
    /// false for netlink's own messages (NOOP, ERROR and ACK, DONE,
    /// OVERRUN: below 1000) and for the commands range 1000–1099 (requests
    /// and the kernel's binary replies to them: GET, LIST_RULES,
    /// SIGNAL_INFO, TTY_GET, GET_FEATURE, …) except the two records in it,
    /// `AUDIT_USER` (1005, relayed from user space) and `AUDIT_LOGIN`
    /// (1006); and false for [`REPLACE`](Self::REPLACE) (1329). Every
    /// other number is a record, known type or not (new kernels add
    /// types). auditd's netlink handler skips the same set; the receive
    /// loop and the netlink replay both decide with this one rule.
    pub const fn is_record(self) -> bool {
        match self.0 {
            1005 | 1006 => true,
            0..=1099 => false,
            n => n != Self::REPLACE.0,
        }
    }

    /// The canonical name (`"SYSCALL"`), or `None` for a number no kernel or
    /// libaudit table names.
    pub fn name(self) -> Option<&'static str> {
        crate::tables::msgtype::name(self.0)
    }

    /// The type with this canonical name, also accepting `UNKNOWN[N]`.
    pub fn from_name(name: &[u8]) -> Option<MessageType> {
        crate::tables::msgtype::number(name).map(MessageType)
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "UNKNOWN[{}]", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::MessageType;

    #[test]
    fn records_and_control_frames() {
        // (type, carries a record): netlink's own, the commands range with
        // its two records, its edges, REPLACE, and records of every range.
        let table: &[(u16, bool)] = &[
            (0, false),
            (1, false),    // NLMSG_NOOP
            (2, false),    // NLMSG_ERROR (and ACK)
            (3, false),    // NLMSG_DONE
            (4, false),    // NLMSG_OVERRUN
            (999, false),  // below the audit range
            (1000, false), // GET reply (audit_status)
            (1001, false), // SET
            (1004, false), // DEL
            (1005, true),  // USER, relayed from user space
            (1006, true),  // LOGIN
            (1007, false), // WATCH_INS
            (1010, false), // SIGNAL_INFO reply
            (1013, false), // LIST_RULES reply (audit_rule_data)
            (1016, false), // TTY_GET reply
            (1019, false), // GET_FEATURE reply
            (1099, false), // last of the commands range
            (1100, true),  // first user message
            (1112, true),  // USER_LOGIN
            (1199, true),
            (1200, true), // daemon range (auditd's own log lines)
            (1300, true), // SYSCALL
            (1320, true), // EOE
            (1328, true),
            (1329, false), // REPLACE
            (1330, true),
            (1400, true), // AVC
            (1700, true), // ANOM_*
            (2100, true),
            (2999, true),
            (u16::MAX, true), // unknown numbers are records
        ];
        for &(number, record) in table {
            assert_eq!(MessageType(number).is_record(), record, "type {number}");
        }
    }
}
