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

/// A stamp as the kernel writes it (any numbers), or audit-ish bytes.
fn stamp_ish() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (any::<u64>(), 0u32..1000, any::<u32>())
            .prop_map(|(s, ms, n)| format!("{s}.{ms:03}:{n}").into_bytes()),
        audit_ish(),
    ]
}

/// A kernel record's payload: mostly `audit(STAMP): BODY` (so parsing gets
/// past the stamp and the body's checks run), sometimes anything.
fn kernel_ish() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => (stamp_ish(), audit_ish())
            .prop_map(|(stamp, body)| [&b"audit("[..], &stamp, b"): ", &body].concat()),
        1 => audit_ish(),
    ]
}

/// An auditd log line: mostly `[node=N ]type=T msg=PAYLOAD[\x1dENRICHED]`
/// (so the node, body and enriched parts are handed out), sometimes
/// anything.
fn log_ish() -> impl Strategy<Value = Vec<u8>> {
    let node = proptest::option::of("[a-z0-9._-]{0,16}".prop_map(String::into_bytes));
    let name = prop_oneof![
        3 => Just(b"SYSCALL".to_vec()),
        3 => Just(b"UNKNOWN[1420]".to_vec()),
        1 => audit_ish(),
    ];
    let enriched = proptest::option::of(audit_ish());
    prop_oneof![
        3 => (node, name, kernel_ish(), enriched).prop_map(|(node, name, payload, enriched)| {
            let mut line = Vec::new();
            if let Some(node) = node {
                line.extend_from_slice(b"node=");
                line.extend_from_slice(&node);
                line.push(b' ');
            }
            line.extend_from_slice(b"type=");
            line.extend_from_slice(&name);
            line.extend_from_slice(b" msg=");
            line.extend_from_slice(&payload);
            if let Some(enriched) = enriched {
                line.push(0x1d);
                line.extend_from_slice(&enriched);
            }
            line
        }),
        1 => audit_ish(),
    ]
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
    fn kernel_records_never_panic(buf in kernel_ish(), t in any::<u16>()) {
        if let Ok(r) = Record::from_kernel(MessageType(t), &buf) {
            prop_assert!(within(&buf, r.body));
            prop_assert!(r.timestamp.millis <= 999);
            check_fields(r.body);
        }
    }

    #[test]
    fn log_lines_never_panic(buf in log_ish()) {
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

/// The generators reach what the properties check: most generated payloads
/// and log lines parse (the `if let Ok` bodies run), and log lines with a
/// node and an enriched part are among them.
#[test]
fn the_record_generators_reach_parsed_records() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    const DRAWS: usize = 1000;
    let mut runner = TestRunner::deterministic();
    let (mut kernel, mut log, mut node, mut enriched) = (0, 0, 0, 0);
    for _ in 0..DRAWS {
        let payload = kernel_ish().new_tree(&mut runner).unwrap().current();
        kernel += usize::from(Record::from_kernel(MessageType::SYSCALL, &payload).is_ok());
        let line = log_ish().new_tree(&mut runner).unwrap().current();
        if let Ok(r) = Record::from_log_line(&line) {
            log += 1;
            node += usize::from(r.node.is_some());
            enriched += usize::from(r.enriched.is_some());
        }
    }
    let counts =
        format!("of {DRAWS}: {kernel} kernel, {log} log ({node} node, {enriched} enriched)");
    println!("{counts}");
    assert!(kernel * 5 >= DRAWS && log * 8 >= DRAWS, "{counts}");
    assert!(node * 20 >= DRAWS && enriched * 20 >= DRAWS, "{counts}");
}
