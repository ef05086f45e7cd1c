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
