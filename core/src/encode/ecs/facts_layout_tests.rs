//! The ECS facts' pass with a SYSCALL record's prefix read by its layout
//! ([`crate::record::prefix::SYSCALL`]) against the pass reading every field by the
//! grammar, on the kernel's record and edited ones.

extern crate std;

use crate::record::prefix::tests::{edited, KERNEL};
use crate::record::prefix::SYSCALL_LEN;

/// The SYSCALL record `body` with CWD and EOE: the facts' pass with
/// its prefix read by the layout notes and drafts what the pass
/// field by field does.
fn check_facts(body: &[u8]) {
    use super::facts::{arch_of, syscall_name, Facts};
    use crate::record::field;
    let records = [
        (1300u16, body.to_vec()),
        (1307, b"cwd=\"/root\"".to_vec()),
        (1320, std::vec::Vec::new()),
    ];
    super::tests::with_event(&records, |e| {
        let (mut a, mut b) = ([0u8; 4096], [0u8; 4096]);
        let (fa, fb) = (Facts::of(e, &mut a), Facts::of_fields(e, &mut b));
        assert_eq!(fa.known, fb.known);
        assert_eq!((fa.arch, fa.syscall), (fb.arch, fb.syscall));
        // The arch and syscall of the record's first fields.
        let arch = arch_of(field(body, b"arch"));
        assert_eq!(fa.arch, arch);
        assert_eq!(fa.syscall, syscall_name(arch, field(body, b"syscall")));
        assert_eq!(fa.data, fb.data);
        if let Some(d) = fa.data {
            assert_eq!(
                std::string::String::from_utf8_lossy(&a[d.start..d.end]),
                std::string::String::from_utf8_lossy(&b[d.start..d.end]),
            );
        }
    });
}

#[test]
fn the_facts_of_a_kernel_record() {
    check_facts(KERNEL);
    let named = std::str::from_utf8(KERNEL)
        .unwrap()
        .replace("exit=0", "exit=-13");
    check_facts(named.as_bytes());
}

proptest::proptest! {
    /// The facts' pass reads with the layout what it reads field by
    /// field, on the edited records `record::prefix`'s tests read.
    #[test]
    fn the_facts_agree(
        edits in proptest::collection::vec(
            (
                0usize..SYSCALL_LEN,
                proptest::sample::select(&[
                    "", "0", "?", "(null)", "(none)", "\"q\"", "'q'", "a=b", "-2", "-99999",
                    "123456789012345", "1234567890123456", "\u{e9}", "\u{1}x", "40000003",
                    "c00000b7", "4294967295",
                ][..]),
                proptest::sample::select(&[" ", "  ", "", " x=1 ", " arch=c000003e ", " msg='a=1' "][..]),
                proptest::sample::select(&["", "arch", "uid", "a0", "exit", "ses", "tty", "syscall", "msg"][..]),
            ),
            0..6,
        ),
    ) {
        check_facts(edited(&edits).as_bytes());
    }
}
