//! ECS unit tests of the low-level writers (arguments, message type
//! names) on any input.

use super::*;

/// EXECVE fields as the kernel writes them, and what it never writes.
fn execve_field() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
    use proptest::prelude::*;
    let key = prop_oneof![
        4 => (0u32..4).prop_map(|i| std::format!("a{i}")),
        1 => (0u32..4, 0u32..3).prop_map(|(i, p)| std::format!("a{i}[{p}]")),
        1 => (0u32..4).prop_map(|i| std::format!("a{i}_len")),
        1 => Just(String::from("argc")),
        1 => "[a-z0-9\\[\\]_]{0,5}",
    ];
    let value = prop_oneof![
        3 => "[ -~]{0,12}".prop_map(|v| std::format!("\"{}\"", v.replace('"', ""))),
        2 => "[ -~\u{e9}\u{1}]{13,19}".prop_map(|v| std::format!("\"{}\"", v.replace('"', ""))),
        1 => Just(String::from("\"open")),
        2 => proptest::collection::vec(any::<u8>(), 0..8).prop_map(|b| {
            b.iter().map(|x| std::format!("{x:02X}")).collect::<String>()
        }),
        1 => Just(String::from("(null)")),
        1 => Just(String::from("C3")),
        1 => "[a-z]{0,4}",
    ];
    (key, value, any::<bool>()).prop_map(|(k, v, bare_token)| {
        if bare_token {
            k.into_bytes()
        } else {
            std::format!("{k}={v}").into_bytes()
        }
    })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

    /// The one-pass writer (`write_single_args`, shared with the
    /// structured shape's `argv`) gives the joined reader's bytes whenever
    /// it finishes, and hands over to it otherwise: `write_args` is
    /// `write_joined_args` for any EXECVE records and any room.
    #[test]
    fn one_pass_args_equal_the_joined_reader(
        records in proptest::collection::vec(
            proptest::collection::vec(execve_field(), 0..8),
            1..4,
        ),
        room in 0usize..300,
    ) {
        let mut records: Vec<(u16, Vec<u8>)> = records
            .into_iter()
            .map(|fields| (1309, fields.join(&b' ')))
            .collect();
        records.insert(0, (1300, b"arch=c000003e syscall=59 success=yes pid=1".to_vec()));
        records.push((1320, Vec::new()));
        with_event(&records, |event| {
            let mut one = std::vec![0u8; room];
            let mut joined = std::vec![0u8; room];
            let mut a = Cursor::new(&mut one);
            let mut b = Cursor::new(&mut joined);
            let ra = super::process::write_args(&mut a, event);
            let rb = super::process::write_joined_args(&mut b, event);
            let (na, nb) = (a.pos(), b.pos());
            assert_eq!(ra.is_ok(), rb.is_ok());
            if ra.is_ok() {
                assert_eq!(
                    String::from_utf8_lossy(&one[..na]),
                    String::from_utf8_lossy(&joined[..nb])
                );
            }
        });
    }
}

#[test]
fn message_type_names_in_lower_case_are_json_strings() {
    let long = "A_".repeat(30);
    let names = (0..=u16::MAX).filter_map(|t| MessageType(t).name()).chain([
        "",
        "X",
        "Ab\"c\\",
        "ÉTÉ",
        &long[..38],
        &long[..39],
        &long,
    ]);
    for name in names {
        let mut buf = [0u8; 256];
        let mut c = Cursor::new(&mut buf);
        super::auditd::write_lower_case(&mut c, name).unwrap();
        let n = c.pos();
        let text: String = serde_json::from_slice(&buf[..n]).unwrap();
        assert_eq!(text, name.to_ascii_lowercase(), "{name}");
    }
}
