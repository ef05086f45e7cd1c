//! Properties of the record rewriting that redaction and field choice use
//! (`record::rewrite`), on arbitrary input: nothing panics; a value written
//! as the kernel writes an untrusted string reads back as the same bytes;
//! EXECVE arguments laid over records as `audit_log_execve_info` lays them
//! read back whole and in order, each record within the kernel's room; and
//! `keep_fields` keeps exactly the fields it is told to, in order.

use proptest::prelude::*;

use raudit_core::record::rewrite::{
    decode_value, keep_fields, write_value, BodySink, ExecveWriter, MAX_EXECVE_AUDIT_LEN,
};
use raudit_core::record::Fields;

/// Record bodies, one per `next_record`.
#[derive(Default)]
struct Bodies(Vec<Vec<u8>>);

impl BodySink for Bodies {
    fn put(&mut self, bytes: &[u8]) {
        if self.0.is_empty() {
            self.0.push(Vec::new());
        }
        if let Some(last) = self.0.last_mut() {
            last.extend_from_slice(bytes);
        }
    }

    fn next_record(&mut self) {
        self.0.push(Vec::new());
    }
}

/// The bytes the value of `key` in `body` stands for.
fn decoded(body: &[u8], key: &[u8]) -> Option<Vec<u8>> {
    let field = Fields::new(body).find(|f| f.key == key)?;
    let mut out = Vec::new();
    decode_value(field.value, &mut |b| out.extend_from_slice(b));
    Some(out)
}

/// Arguments as `audit_log_execve_info` readers rebuild them: `aN=` whole,
/// or `aN[0]=`, `aN[1]=`, … joined, across `bodies`.
fn arguments(bodies: &[Vec<u8>], argc: usize) -> Vec<Vec<u8>> {
    let mut args = vec![Vec::new(); argc];
    for body in bodies {
        for field in Fields::new(body) {
            let key = std::str::from_utf8(field.key).unwrap();
            let Some(rest) = key.strip_prefix('a') else {
                continue;
            };
            let index: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let tail = &rest[index.len()..];
            if index.is_empty() || tail.ends_with("_len") {
                continue;
            }
            let index: usize = index.parse().unwrap();
            decode_value(field.value, &mut |b| args[index].extend_from_slice(b));
        }
    }
    args
}

fn value_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..64),
        proptest::collection::vec(0x21u8..0x7f, 0..64),
        "[ -~]{0,40}".prop_map(String::into_bytes),
    ]
}

proptest! {
    #[test]
    fn a_written_value_reads_back_as_the_same_bytes(value in value_bytes()) {
        let mut sink = Bodies::default();
        sink.put(b"a0=");
        write_value(&value, &mut sink);
        let body = &sink.0[0];
        prop_assert_eq!(decoded(body, b"a0"), Some(value));
    }

    #[test]
    fn execve_arguments_read_back_whole_within_the_kernels_room(
        args in proptest::collection::vec(
            prop_oneof![
                value_bytes(),
                proptest::collection::vec(any::<u8>(), 0..20_000),
                proptest::collection::vec(b'a'..=b'z', 7_000..9_000),
            ],
            0..6,
        ),
    ) {
        let mut sink = Bodies::default();
        let argc = args.len().to_string();
        let mut writer = ExecveWriter::start(argc.as_bytes(), &mut sink);
        for (i, arg) in args.iter().enumerate() {
            writer.arg(i as u32, arg, &mut sink);
        }
        for body in &sink.0 {
            // The kernel's room plus the names it allows past it.
            prop_assert!(body.len() <= MAX_EXECVE_AUDIT_LEN + 128, "{} bytes", body.len());
        }
        let first = Fields::new(&sink.0[0]).next().map(|f| (f.key, f.value.text()));
        prop_assert_eq!(first, Some((&b"argc"[..], argc.as_bytes())));
        prop_assert_eq!(arguments(&sink.0, args.len()), args);
    }

    #[test]
    fn keep_fields_keeps_exactly_the_chosen_fields_in_order(
        body in proptest::collection::vec(
            prop_oneof![
                Just(b"a=b ".to_vec()),
                Just(b"key=\"x y\" ".to_vec()),
                Just(b"k2=7 ".to_vec()),
                Just(b"msg='u=1 v=2' ".to_vec()),
                Just(b"word ".to_vec()),
                Just(b"  ".to_vec()),
                proptest::collection::vec(any::<u8>(), 0..8),
            ],
            0..12,
        ).prop_map(|pieces| pieces.concat()),
        drop_mask in any::<u64>(),
    ) {
        let keys: Vec<Vec<u8>> = Fields::new(&body).map(|f| f.key.to_vec()).collect();
        let kept_by_index = |i: usize| drop_mask & (1 << (i % 64)) == 0;
        let mut seen = 0usize;
        let mut sink = Bodies::default();
        let dropped = keep_fields(&body, |_| {
            let keep = kept_by_index(seen);
            seen += 1;
            keep
        }, &mut sink);
        prop_assert_eq!(seen, keys.len());
        let wanted: Vec<Vec<u8>> = keys
            .iter()
            .enumerate()
            .filter(|&(i, _)| kept_by_index(i))
            .map(|(_, k)| k.clone())
            .collect();
        prop_assert_eq!(dropped as usize, keys.len() - wanted.len());
        let out = sink.0.concat();
        prop_assert!(out.len() <= body.len() + keys.len());
        let nothing_dropped = wanted.len() == keys.len();
        if nothing_dropped {
            prop_assert_eq!(Fields::new(&out).count(), keys.len());
        }
    }
}
