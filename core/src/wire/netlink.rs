//! Netlink frames: the `struct nlmsghdr` messages in a receive buffer
//! ([`Frames`]), the one-record datagrams of the unicast audit stream
//! ([`datagram_record`]), `NLMSG_ERROR` payloads ([`error_code`]) and the
//! emitting side ([`write_header`], [`write_message`]) for requests the
//! daemon sends.
//!
//! Header: u32 len, u16 type, u16 flags, u32 seq, u32 pid, host byte order;
//! messages are padded to 4 bytes. Every length is checked before use; a bad
//! one is a [`FrameError`] with its offset, and iteration stops there.

/// Size of `struct nlmsghdr`.
pub const NLMSG_HDRLEN: usize = 16;
/// Netlink messages are aligned to this many bytes.
pub const NLMSG_ALIGNTO: usize = 4;

pub const NLMSG_NOOP: u16 = 0x1;
pub const NLMSG_ERROR: u16 = 0x2;
pub const NLMSG_DONE: u16 = 0x3;

pub const NLM_F_REQUEST: u16 = 0x1;
pub const NLM_F_MULTI: u16 = 0x2;
pub const NLM_F_ACK: u16 = 0x4;
pub const NLM_F_ROOT: u16 = 0x100;
pub const NLM_F_MATCH: u16 = 0x200;
pub const NLM_F_DUMP: u16 = NLM_F_ROOT | NLM_F_MATCH;

/// One netlink message, borrowing its payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetlinkMessage<'a> {
    pub msg_type: u16,
    pub flags: u16,
    pub seq: u32,
    pub pid: u32,
    pub payload: &'a [u8],
}

/// A frame whose lengths do not add up, at byte `offset` of the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameError {
    pub kind: FrameErrorKind,
    pub offset: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameErrorKind {
    /// Fewer than [`NLMSG_HDRLEN`] bytes where a header should start.
    ShortHeader,
    /// `nlmsg_len` is smaller than the header itself.
    LengthTooSmall,
    /// `nlmsg_len` runs past the end of the buffer.
    LengthBeyondBuffer,
}

impl core::fmt::Display for FrameErrorKind {
    /// What was wrong, in words.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            FrameErrorKind::ShortHeader => {
                "fewer bytes left than a netlink header (16); the capture ends mid-header"
            }
            FrameErrorKind::LengthTooSmall => {
                "a netlink header whose length is smaller than the header itself (16 bytes)"
            }
            FrameErrorKind::LengthBeyondBuffer => {
                "a netlink message longer than the bytes left; the capture is truncated or not netlink"
            }
        })
    }
}

impl core::fmt::Display for FrameError {
    /// `at byte N: WHAT`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "at byte {}: {}", self.offset, self.kind)
    }
}

/// The output buffer cannot hold what was to be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BufferFull {
    /// Bytes the write needed.
    pub needed: usize,
    /// Bytes the buffer had.
    pub available: usize,
}

/// `len` rounded up to [`NLMSG_ALIGNTO`]; `None` on overflow.
pub const fn align(len: usize) -> Option<usize> {
    match len.checked_add(NLMSG_ALIGNTO - 1) {
        Some(n) => Some(n & !(NLMSG_ALIGNTO - 1)),
        None => None,
    }
}

/// Iterator over the messages of a buffer holding whole netlink messages
/// (a `recv` on a standard netlink socket, the multicast audit group, or a
/// capture file of either). Yields `Err` once at the first bad length and
/// then ends; the last message may omit its padding.
#[derive(Clone, Debug)]
pub struct Frames<'a> {
    buf: &'a [u8],
    offset: usize,
    done: bool,
}

impl<'a> Frames<'a> {
    pub fn new(buf: &'a [u8]) -> Frames<'a> {
        Frames {
            buf,
            offset: 0,
            done: false,
        }
    }

    /// Offset of the next message in the buffer.
    pub fn offset(&self) -> usize {
        self.offset
    }

    fn fail(&mut self, kind: FrameErrorKind) -> Option<Result<NetlinkMessage<'a>, FrameError>> {
        self.done = true;
        Some(Err(FrameError {
            kind,
            offset: self.offset,
        }))
    }
}

impl<'a> Iterator for Frames<'a> {
    type Item = Result<NetlinkMessage<'a>, FrameError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let rest = self.buf.get(self.offset..).unwrap_or_default();
        if rest.is_empty() {
            self.done = true;
            return None;
        }
        let Some(header) = Header::read(rest) else {
            return self.fail(FrameErrorKind::ShortHeader);
        };
        let len = header.len as usize;
        if len < NLMSG_HDRLEN {
            return self.fail(FrameErrorKind::LengthTooSmall);
        }
        let Some(payload) = rest.get(NLMSG_HDRLEN..len) else {
            return self.fail(FrameErrorKind::LengthBeyondBuffer);
        };
        // Past this message and its padding; the last may lack padding.
        let step = align(len).unwrap_or(len).min(rest.len());
        self.offset = self.offset.saturating_add(step);
        Some(Ok(header.message(payload)))
    }
}

/// The record in one datagram of the unicast audit stream.
///
/// The kernel sends one record per datagram there and sets `nlmsg_len` to
/// the payload length only (a historical quirk auditd relies on), so the
/// payload is everything after the header. `nlmsg_len` only has to be sane:
/// not beyond the datagram.
pub fn datagram_record(datagram: &[u8]) -> Result<NetlinkMessage<'_>, FrameError> {
    let fail = |kind, offset| FrameError { kind, offset };
    let header = Header::read(datagram).ok_or(fail(FrameErrorKind::ShortHeader, 0))?;
    if header.len as usize > datagram.len() {
        return Err(fail(FrameErrorKind::LengthBeyondBuffer, 0));
    }
    let payload = datagram.get(NLMSG_HDRLEN..).unwrap_or_default();
    Ok(header.message(payload))
}

/// The errno of an `NLMSG_ERROR` payload (`struct nlmsgerr`): negative as
/// the kernel sends it, 0 for an ACK. `None` when the payload is too short.
pub fn error_code(payload: &[u8]) -> Option<i32> {
    let bytes: [u8; 4] = payload.get(..4)?.try_into().ok()?;
    Some(i32::from_ne_bytes(bytes))
}

/// Writes a header into `buf[..16]` and returns [`NLMSG_HDRLEN`].
pub fn write_header(
    buf: &mut [u8],
    len: u32,
    msg_type: u16,
    flags: u16,
    seq: u32,
    pid: u32,
) -> Result<usize, BufferFull> {
    let available = buf.len();
    let out = buf.get_mut(..NLMSG_HDRLEN).ok_or(BufferFull {
        needed: NLMSG_HDRLEN,
        available,
    })?;
    let fields = [
        &len.to_ne_bytes()[..],
        &msg_type.to_ne_bytes(),
        &flags.to_ne_bytes(),
        &seq.to_ne_bytes(),
        &pid.to_ne_bytes(),
    ];
    let mut at = 0;
    for field in fields {
        for (slot, &b) in out.iter_mut().skip(at).zip(field) {
            *slot = b;
        }
        at += field.len();
    }
    Ok(NLMSG_HDRLEN)
}

/// Writes a whole message (header, `payload`, zero padding to 4 bytes) into
/// `buf` and returns the bytes written. `nlmsg_len` is header + payload
/// (unpadded), as netlink expects in requests.
pub fn write_message(
    buf: &mut [u8],
    msg_type: u16,
    flags: u16,
    seq: u32,
    pid: u32,
    payload: &[u8],
) -> Result<usize, BufferFull> {
    let available = buf.len();
    let len = payload.len().checked_add(NLMSG_HDRLEN);
    let total = len.and_then(align);
    let (Some(len), Some(total)) = (len, total) else {
        return Err(BufferFull {
            needed: usize::MAX,
            available,
        });
    };
    let nlmsg_len = u32::try_from(len).map_err(|_| BufferFull {
        needed: len,
        available,
    })?;
    let out = buf.get_mut(..total).ok_or(BufferFull {
        needed: total,
        available,
    })?;
    write_header(out, nlmsg_len, msg_type, flags, seq, pid)?;
    let body = out.get_mut(NLMSG_HDRLEN..).unwrap_or_default();
    let padded = payload.iter().copied().chain(core::iter::repeat(0));
    for (slot, b) in body.iter_mut().zip(padded) {
        *slot = b;
    }
    Ok(total)
}

/// A decoded `nlmsghdr`.
#[derive(Clone, Copy, Debug)]
struct Header {
    len: u32,
    msg_type: u16,
    flags: u16,
    seq: u32,
    pid: u32,
}

impl Header {
    fn read(src: &[u8]) -> Option<Header> {
        let h: &[u8; NLMSG_HDRLEN] = src.get(..NLMSG_HDRLEN)?.try_into().ok()?;
        let [l0, l1, l2, l3, t0, t1, f0, f1, s0, s1, s2, s3, p0, p1, p2, p3] = *h;
        Some(Header {
            len: u32::from_ne_bytes([l0, l1, l2, l3]),
            msg_type: u16::from_ne_bytes([t0, t1]),
            flags: u16::from_ne_bytes([f0, f1]),
            seq: u32::from_ne_bytes([s0, s1, s2, s3]),
            pid: u32::from_ne_bytes([p0, p1, p2, p3]),
        })
    }

    fn message(self, payload: &[u8]) -> NetlinkMessage<'_> {
        NetlinkMessage {
            msg_type: self.msg_type,
            flags: self.flags,
            seq: self.seq,
            pid: self.pid,
            payload,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A message as the kernel would send it, with `len` as given.
    fn frame(out: &mut heapless::Vec<u8, 256>, len: u32, msg_type: u16, payload: &[u8]) {
        let mut h = [0u8; NLMSG_HDRLEN];
        write_header(&mut h, len, msg_type, 0, 7, 0).unwrap();
        out.extend_from_slice(&h).unwrap();
        out.extend_from_slice(payload).unwrap();
        while out.len() & 3 != 0 {
            out.push(0).unwrap();
        }
    }

    #[test]
    fn iterates_padded_messages() {
        let mut buf = heapless::Vec::new();
        frame(&mut buf, 16 + 5, 1300, b"audit");
        frame(&mut buf, 16 + 4, 1320, b"abcd");
        frame(&mut buf, 16, NLMSG_DONE, b"");
        let msgs: heapless::Vec<_, 8> = Frames::new(&buf).collect();
        assert_eq!(msgs.len(), 3);
        let m0 = msgs[0].unwrap();
        assert_eq!((m0.msg_type, m0.seq, m0.payload), (1300, 7, &b"audit"[..]));
        assert_eq!(msgs[1].unwrap().payload, b"abcd");
        assert_eq!(msgs[2].unwrap().msg_type, NLMSG_DONE);
    }

    #[test]
    fn last_message_without_padding() {
        let mut buf = heapless::Vec::new();
        frame(&mut buf, 16 + 5, 1300, b"audit");
        let unpadded = &buf[..21];
        let mut it = Frames::new(unpadded);
        assert_eq!(it.next().unwrap().unwrap().payload, b"audit");
        assert_eq!(it.next(), None);
        assert_eq!(it.offset(), 21);
    }

    #[test]
    fn bad_lengths_stop_iteration() {
        let mut buf = heapless::Vec::new();
        frame(&mut buf, 16 + 4, 1300, b"abcd");
        frame(&mut buf, 3, 1300, b"");
        let mut it = Frames::new(&buf);
        assert!(it.next().unwrap().is_ok());
        let e = FrameError {
            kind: FrameErrorKind::LengthTooSmall,
            offset: 20,
        };
        assert_eq!(it.next(), Some(Err(e)));
        assert_eq!(it.next(), None);

        let mut buf = heapless::Vec::new();
        frame(&mut buf, 1000, 1300, b"abcd");
        let e = FrameError {
            kind: FrameErrorKind::LengthBeyondBuffer,
            offset: 0,
        };
        assert_eq!(Frames::new(&buf).next(), Some(Err(e)));
        assert_eq!(Frames::new(&buf).count(), 1);

        let e = FrameError {
            kind: FrameErrorKind::ShortHeader,
            offset: 0,
        };
        assert_eq!(Frames::new(&[1, 2, 3]).next(), Some(Err(e)));
        assert_eq!(Frames::new(&[]).next(), None);
        let huge = [0xffu8; 16];
        assert_eq!(Frames::new(&huge).count(), 1);
    }

    #[test]
    fn unicast_datagram_length_quirk() {
        let mut buf = heapless::Vec::new();
        // nlmsg_len counts the payload only.
        frame(&mut buf, 6, 1300, b"audit(");
        let m = datagram_record(&buf[..22]).unwrap();
        assert_eq!((m.msg_type, m.payload), (1300, &b"audit("[..]));
        // A standard length works as well.
        let mut buf = heapless::Vec::new();
        frame(&mut buf, 22, 1300, b"audit(");
        assert_eq!(datagram_record(&buf[..22]).unwrap().payload, b"audit(");
        // Insane lengths and short datagrams are errors.
        let mut buf = heapless::Vec::new();
        frame(&mut buf, 99, 1300, b"x");
        assert_eq!(
            datagram_record(&buf).unwrap_err().kind,
            FrameErrorKind::LengthBeyondBuffer
        );
        assert_eq!(
            datagram_record(&[0; 15]).unwrap_err().kind,
            FrameErrorKind::ShortHeader
        );
        assert_eq!(
            datagram_record(&buf[..16]).unwrap_err().kind,
            FrameErrorKind::LengthBeyondBuffer
        );
    }

    #[test]
    fn error_payload() {
        assert_eq!(error_code(&(-13i32).to_ne_bytes()), Some(-13));
        assert_eq!(error_code(&[0, 0, 0, 0, 9, 9]), Some(0));
        assert_eq!(error_code(&[0, 0, 0]), None);
    }

    #[test]
    fn writes_messages() {
        let mut buf = [0xaau8; 32];
        let n = write_message(&mut buf, 1000, NLM_F_REQUEST | NLM_F_ACK, 5, 0, b"abcde").unwrap();
        assert_eq!(n, 24);
        assert_eq!(&buf[..4], &21u32.to_ne_bytes());
        assert_eq!(&buf[16..24], b"abcde\0\0\0");
        assert_eq!(buf[24], 0xaa);
        let m = Frames::new(&buf[..n]).next().unwrap().unwrap();
        assert_eq!(
            (m.msg_type, m.flags, m.seq, m.payload),
            (1000, 5, 5, &b"abcde"[..])
        );

        let e = BufferFull {
            needed: 24,
            available: 20,
        };
        assert_eq!(
            write_message(&mut buf[..20], 1000, 0, 0, 0, b"abcde"),
            Err(e)
        );
        let e = BufferFull {
            needed: 16,
            available: 15,
        };
        assert_eq!(write_header(&mut buf[..15], 16, 1, 0, 0, 0), Err(e));
        assert_eq!(write_message(&mut buf, 1000, 0, 0, 0, b""), Ok(16));
        assert_eq!(align(5), Some(8));
        assert_eq!(align(usize::MAX), None);
        assert_eq!(NLM_F_DUMP, 0x300);
    }
}
