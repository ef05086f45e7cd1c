//! Properties of the parsers on arbitrary bytes: `Frames`,
//! `Record::from_kernel`, `Record::from_log_line`, `Fields` and the hex
//! decoder never panic, always terminate, and only hand out slices of their
//! input.

use proptest::prelude::*;

use raudit_core::record::{decode_hex, Fields, Record, Value};
use raudit_core::wire::netlink::{datagram_record, write_message, Frames};
use raudit_core::wire::MessageType;

/// True when `inner` lies within `outer`.
fn within(outer: &[u8], inner: &[u8]) -> bool {
    let (o, i) = (outer.as_ptr() as usize, inner.as_ptr() as usize);
    i >= o && i + inner.len() <= o + outer.len()
}

/// Bytes that look a bit like audit text, so the interesting paths run.
fn audit_ish() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"audit(".to_vec()),
        Just(b"type=SYSCALL msg=".to_vec()),
        Just(b"node=h ".to_vec()),
        Just(b"1700000000.123:42): ".to_vec()),
        Just(b"a=b ".to_vec()),
        Just(b"msg='".to_vec()),
        Just(b"'".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"=".to_vec()),
        Just(b" ".to_vec()),
        Just(b"(null)".to_vec()),
        Just(b"\x1d".to_vec()),
        Just(b"\0\n".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..8),
    ];
    proptest::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

fn check_fields(body: &[u8]) {
    let mut steps = 0usize;
    for f in Fields::new(body) {
        steps += 1;
        assert!(steps <= body.len(), "more fields than bytes");
        assert!(within(body, f.key));
        if let Value::Bare(t) | Value::DoubleQuoted(t) | Value::SingleQuoted(t) = f.value {
            assert!(within(body, t));
        }
        if let Some(inner) = f.value.nested() {
            assert!(inner.count() <= body.len());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn frames_stay_inside_and_end(buf in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut n = 0usize;
        let mut errors = 0usize;
        for frame in Frames::new(&buf) {
            n += 1;
            prop_assert!(n <= buf.len() / 16 + 1);
            match frame {
                Ok(m) => prop_assert!(within(&buf, m.payload)),
                Err(e) => { errors += 1; prop_assert!(e.offset <= buf.len()); }
            }
        }
        prop_assert!(errors <= 1);
        if let Ok(m) = datagram_record(&buf) {
            prop_assert!(within(&buf, m.payload));
        }
    }

    #[test]
    fn written_messages_read_back(
        payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..8),
        msg_type in any::<u16>(),
    ) {
        let mut buf = vec![0u8; 1024];
        let mut at = 0;
        for (seq, p) in payloads.iter().enumerate() {
            at += write_message(&mut buf[at..], msg_type, 0, seq as u32, 0, p).unwrap();
        }
        let got: Vec<_> = Frames::new(&buf[..at]).collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(got.len(), payloads.len());
        for (m, p) in got.iter().zip(&payloads) {
            prop_assert_eq!(m.payload, &p[..]);
            prop_assert_eq!(m.msg_type, msg_type);
        }
    }

    #[test]
    fn kernel_records_never_panic(buf in audit_ish(), t in any::<u16>()) {
        if let Ok(r) = Record::from_kernel(MessageType(t), &buf) {
            prop_assert!(within(&buf, r.body));
            prop_assert!(r.timestamp.millis <= 999);
            check_fields(r.body);
        }
    }

    #[test]
    fn log_lines_never_panic(buf in audit_ish()) {
        if let Ok(r) = Record::from_log_line(&buf) {
            prop_assert!(within(&buf, r.body));
            prop_assert!(!r.body.contains(&0x1d));
            if let Some(e) = r.enriched { prop_assert!(within(&buf, e)); }
            if let Some(n) = r.node { prop_assert!(within(&buf, n)); }
            check_fields(r.body);
        }
    }

    #[test]
    fn fields_never_panic(buf in audit_ish(), raw in proptest::collection::vec(any::<u8>(), 0..256)) {
        check_fields(&buf);
        check_fields(&raw);
    }

    #[test]
    fn hex_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..64), junk in proptest::collection::vec(any::<u8>(), 0..64)) {
        let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
        let mut out = [0u8; 64];
        prop_assert_eq!(decode_hex(hex.as_bytes(), &mut out), Ok(bytes.len()));
        prop_assert_eq!(&out[..bytes.len()], &bytes[..]);
        let _ = decode_hex(&junk, &mut out[..junk.len() / 3]);
    }
}

#[test]
fn well_formed_kernel_record_round_trip() {
    let payload = b"audit(1700000000.123:4294967295): a=1\0";
    let r = Record::from_kernel(MessageType::SYSCALL, payload).unwrap();
    assert_eq!(r.body, b"a=1");
    assert_eq!(r.serial, u32::MAX);
}
