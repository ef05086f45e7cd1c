//! Body of the `rewrite` fuzz target: redaction (`raudit.redact`) and field
//! choice (`raudit.fields`) laid over arbitrary records by the daemon's
//! `Rewriter`, which writes them again with core's `record::rewrite`
//! (`ExecveWriter`, `write_value`, `keep_fields`, `decode_value`). It runs
//! under libFuzzer (`fuzz/fuzz_targets/rewrite.rs`) and as the stable test
//! `daemon/tests/fuzz_rewrite.rs` (seeds, generated inputs and proptest
//! inputs shaped like this target's).
//!
//! Two rewriters see every event: one with the redactions only, one with
//! the redactions and the field rules. Asserted, besides "no panic":
//!
//! - every rewritten body parses with `Fields`, each key and value inside
//!   it; rewritten EXECVE records stay within the kernel's room;
//! - the records other than EXECVE keep their types and order;
//! - the arguments (EXECVE fields grouped as the rewriter groups them:
//!   consecutive fields of one index, pieces joined, hex decoded) are the
//!   original ones, each with every redaction applied, in order; the first
//!   `proctitle` of each PROCTITLE record likewise, per NUL-separated
//!   argument; a secret (a literal, the last redaction) is in none of them
//!   afterwards; `"redacted"` counts the replacements, and nothing is
//!   counted when nothing matched;
//! - with field rules, a record of a ruled type holds exactly the keys the
//!   rule keeps, in order, and every other record is byte for byte the
//!   one without rules; the dropped count adds up;
//! - the result encodes in every shape into a buffer of the input's size
//!   ([`shape_check::check_shapes`]): within the buffer, valid JSON,
//!   too small a buffer a marked value, never a panic.
#![allow(dead_code)]

use raudit::rewrite::{FieldRule, Redaction, RewriteSpec, Rewriter};
use raudit_core::assemble::Event;
use raudit_core::record::rewrite::{decode_value, write_hex, BodySink, MAX_EXECVE_AUDIT_LEN};
use raudit_core::record::{ExecveArg, Fields, Timestamp, Value};

use crate::core_targets::{within, Bytes};
use crate::encode_check::{with_events, MAX_BUFFER};
use crate::shape_check::{self, Seen, ShapeEnrich};

const EXECVE: u16 = 1309;
const PROCTITLE: u16 = 1327;

/// Redactions the input picks from (pattern, replacement): groups, named
/// groups, `$$`, classes, a NUL, an empty replacement.
pub const REDACTIONS: &[(&str, &str)] = &[
    (r"(--password=)\S+", "${1}<redacted>"),
    (r"(?i)token:\w+", "T"),
    (r"[0-9]{4,}", "#"),
    (r"\x00", "NUL"),
    (r"a+b", "$$"),
    (r"(?P<k>key)=(\S+)", "${k}=?$2"),
    (r"[\x80-\xff]+", ""),
    (r" ", "  "),
];

/// Record types the input picks from.
pub const RECORD_TYPES: &[u16] = &[1300, 1302, 1307, 1309, 1327, 1112, 1306, 1326, 1320];

/// Keys field rules pick from.
pub const KEYS: &[&[u8]] = &[
    b"argc",
    b"a0",
    b"a1",
    b"a1_len",
    b"a1[0]",
    b"proctitle",
    b"uid",
    b"pid",
    b"key",
    b"msg",
    b"name",
    b"exe",
];

/// Replacement characters for the secret: one that is not in the secret
/// (at most 16 bytes) always remains, so a replacement never rebuilds it.
const MARKS: &[u8] = b"#*~!%^&+,;<>?@|`QZ";

/// Longest secret.
pub const MAX_SECRET: usize = 16;

/// The literal secret as a redaction: every byte `\xHH`, replaced by a
/// mark it does not contain.
pub fn secret_redaction(secret: &[u8]) -> Redaction {
    let pattern: String = secret.iter().map(|b| format!("\\x{b:02X}")).collect();
    let mark = MARKS.iter().find(|m| !secret.contains(m)).copied();
    let mark = char::from(mark.unwrap_or(b'#')).to_string();
    Redaction::new(&pattern, &mark).unwrap_or_else(|e| panic!("secret {secret:?}: {e}"))
}

/// What the input decodes to.
#[derive(Debug, Default)]
pub struct Input {
    pub redactions: Vec<usize>,
    pub secret: Vec<u8>,
    pub rules: Vec<(u16, Vec<Vec<u8>>, bool)>,
    pub records: Vec<(u16, Vec<u8>)>,
    pub size: usize,
    pub enrich: bool,
    pub arena: usize,
}

/// Decodes an input.
///
/// Format: `flags size:u16 secret_len secret… choices… [rule…] records…`.
/// Flags: bits 0-1 how many redactions from [`REDACTIONS`] (one choice
/// byte each), bits 3-4 how many field rules (`type keys flags` each: a
/// type from [`RECORD_TYPES`], up to 4 keys from [`KEYS`] or the input,
/// keep or drop), bit 5 [`ShapeEnrich`], bit 6 a small arena.
/// `secret_len % 17` bytes of secret (none: no secret redaction). Records:
/// a kind byte; kind `% 4` 0 a raw body (`type:u16 len:u16 body`), 1 an
/// EXECVE record built from arguments, 2 a PROCTITLE built from
/// arguments, 3 a raw body of a type from [`RECORD_TYPES`]. Built
/// arguments may hold the secret.
pub fn decode(data: &[u8]) -> Input {
    let mut b = Bytes::new(data);
    let flags = b.u8();
    let mut input = Input {
        size: usize::from(b.u16()) % (MAX_BUFFER + 1),
        enrich: flags & 0x20 != 0,
        arena: if flags & 0x40 == 0 { 1 << 17 } else { 256 },
        ..Input::default()
    };
    let secret_len = usize::from(b.u8()) % (MAX_SECRET + 1);
    input.secret = b.take(secret_len).to_vec();
    for _ in 0..flags & 3 {
        input
            .redactions
            .push(usize::from(b.u8()) % REDACTIONS.len());
    }
    for _ in 0..(flags >> 3) & 3 {
        let msg_type = RECORD_TYPES[usize::from(b.u8()) % RECORD_TYPES.len()];
        let n = b.u8();
        let keys = (0..n % 5)
            .map(|_| match b.u8() {
                c if c < 0xf0 => KEYS[usize::from(c) % KEYS.len()].to_vec(),
                c => b.take(usize::from(c & 7)).to_vec(),
            })
            .collect();
        input.rules.push((msg_type, keys, n & 0x80 != 0));
    }
    while !b.is_empty() && input.records.len() < 32 {
        let kind = b.u8();
        let record = match kind % 4 {
            0 => {
                let msg_type = b.u16();
                let len = usize::from(b.u16()) % 2048;
                (msg_type, b.take(len).to_vec())
            }
            1 => (EXECVE, execve_body(&mut b, &input.secret)),
            2 => (PROCTITLE, proctitle_body(&mut b, &input.secret)),
            _ => {
                let msg_type = RECORD_TYPES[usize::from(kind >> 2) % RECORD_TYPES.len()];
                let len = usize::from(b.u8());
                (msg_type, b.take(len).to_vec())
            }
        };
        input.records.push(record);
    }
    input
}

/// Collects a body.
struct Body(Vec<u8>);

impl BodySink for Body {
    fn put(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }

    fn next_record(&mut self) {}
}

/// An argument from the input (`len` bytes, the secret inserted at a
/// position when `form` says so).
fn argument(b: &mut Bytes<'_>, form: u8, secret: &[u8]) -> Vec<u8> {
    let len = usize::from(b.u8() % 48);
    let mut arg = b.take(len).to_vec();
    if form & 0x40 != 0 {
        let at = usize::from(form >> 2) % (arg.len() + 1);
        arg.splice(at..at, secret.iter().copied());
    }
    arg
}

/// `argc=N` and up to 5 arguments, each quoted, hex, or split in pieces
/// with `aN_len`, at its index or another.
fn execve_body(b: &mut Bytes<'_>, secret: &[u8]) -> Vec<u8> {
    let argc = b.u8();
    let mut body = Body(format!("argc={}", argc % 6).into_bytes());
    for i in 0..argc % 6 {
        let form = b.u8();
        let index = if form & 0x80 != 0 { b.u8() % 8 } else { i };
        let arg = argument(b, form, secret);
        match form & 3 {
            0 => {
                body.put(format!(" a{index}=").as_bytes());
                raudit_core::record::rewrite::write_value(&arg, &mut body);
            }
            1 => {
                body.put(format!(" a{index}=").as_bytes());
                write_hex(&arg, &mut body);
            }
            _ => {
                body.put(format!(" a{index}_len={}", arg.len()).as_bytes());
                let step = 1 + usize::from(form >> 4 & 3) * 5;
                for (part, piece) in arg.chunks(step).enumerate() {
                    body.put(format!(" a{index}[{part}]=").as_bytes());
                    if form & 2 != 0 {
                        write_hex(piece, &mut body);
                    } else {
                        raudit_core::record::rewrite::write_value(piece, &mut body);
                    }
                }
            }
        }
    }
    body.0
}

/// `proctitle=` and up to 3 NUL-separated arguments, hex or quoted.
fn proctitle_body(b: &mut Bytes<'_>, secret: &[u8]) -> Vec<u8> {
    let n = b.u8();
    let mut title = Vec::new();
    for i in 0..n % 4 {
        if i > 0 {
            title.push(0);
        }
        let form = b.u8();
        title.extend(argument(b, form, secret));
    }
    let mut body = Body(b"proctitle=".to_vec());
    if n & 0x80 != 0 {
        write_hex(&title, &mut body);
    } else {
        raudit_core::record::rewrite::write_value(&title, &mut body);
    }
    body.0
}

/// A field rule as an input writes it: a type's place in
/// [`RECORD_TYPES`], keys' places in [`KEYS`], keep (else drop).
pub type RuleSeed<'a> = (u8, &'a [u8], bool);

/// Writes an input with raw records (the inverse of [`decode`] for them);
/// a seed. `flags`' rule count is taken from `rules`.
pub fn encode_input(
    flags: u8,
    size: u16,
    secret: &[u8],
    choices: &[u8],
    rules: &[RuleSeed<'_>],
    records: &[(u16, &[u8])],
) -> Vec<u8> {
    let rule_bits = (rules.len().min(3) as u8) << 3;
    let mut out = vec![flags & !0x18 | rule_bits];
    out.extend(size.to_le_bytes());
    let secret = &secret[..secret.len().min(MAX_SECRET)];
    out.push(secret.len() as u8);
    out.extend_from_slice(secret);
    out.extend(choices.iter().take(usize::from(flags & 3)));
    for &(msg_type, keys, keep) in rules.iter().take(3) {
        let keys = &keys[..keys.len().min(4)];
        out.extend([msg_type, keys.len() as u8 | if keep { 0x80 } else { 0 }]);
        out.extend_from_slice(keys);
    }
    for &(msg_type, body) in records {
        let body = &body[..body.len().min(2047)];
        out.push(0);
        out.extend(msg_type.to_le_bytes());
        out.extend((body.len() as u16).to_le_bytes());
        out.extend_from_slice(body);
    }
    out
}

/// Seeds: an `execve` with a password in a quoted, a hex and a split
/// argument and in the proctitle; field rules over SYSCALL and PATH; the
/// target's findings; events of the shared corpus when given (as
/// `(type, body)` records).
pub fn seeds(events: &[Vec<(u16, &[u8])>]) -> Vec<Vec<u8>> {
    const SYSCALL_RULE: u8 = 0; // RECORD_TYPES[0] = 1300
    const PATH_RULE: u8 = 1; // RECORD_TYPES[1] = 1302
    let mut seeds = vec![
        encode_input(
            0x23,
            2048,
            b"hunter2",
            &[0, 2, 5],
            &[],
            &[
                (1300, b"arch=c000003e syscall=59 success=yes pid=4242 uid=1000 auid=1000 key=\"k\""),
                (EXECVE, b"argc=3 a0=\"mysql\" a1=\"--password=hunter2\" a2=2D2D70617373776F72643D68756E7465723220"),
                (EXECVE, b"a3_len=20 a3[0]=\"--password\" a3[1]=\"=hunter2xx\""),
                (PROCTITLE, b"proctitle=6D7973716C002D2D70617373776F72643D68756E74657232"),
            ],
        ),
        // SYSCALL keeps `pid`, `uid`, `key`; PATH drops `name`, `exe`.
        encode_input(
            0x20,
            600,
            b"",
            &[],
            &[(SYSCALL_RULE, &[7, 6, 8], true), (PATH_RULE, &[10, 11], false)],
            &[
                (1300, b"pid=1 uid=0 key=\"x\" name=\"/\" exe=\"/bin/sh\" comm=\"sh\" word"),
                (1302, b"item=0 name=\"/etc/shadow\" inode=5 exe=x  nametype=NORMAL"),
            ],
        ),
        // Its first finding: a quoted `argc` holding `aN=` text, written
        // back bare, became arguments the redaction never saw.
        encode_input(
            0x04,
            1024,
            b"hunter2",
            &[],
            &[],
            &[(EXECVE, b"argc='1 a5=hunter2' a0=\"hunter2\"")],
        ),
        // Its second: a field right after a dropped one's closing quote
        // was glued into the field before.
        encode_input(
            0,
            0,
            b"",
            &[],
            &[(PATH_RULE, &[1], false)],
            &[(1302, b"k=1 a0=\"x\"cwd=\"/\" n=2")],
        ),
    ];
    for event in events {
        seeds.push(encode_input(0x27, 4096, b"root", &[0, 3, 6], &[], event));
    }
    seeds
}

/// What the rewriters did over one input, so the stable tests can tell
/// that their inputs reach redaction, field choice and every document.
#[derive(Clone, Copy, Debug, Default)]
pub struct Done {
    pub events: usize,
    /// Secrets replaced.
    pub replaced: u64,
    /// Fields left out.
    pub dropped: u64,
    /// Events whose arguments or proctitle held the secret.
    pub secret_found: usize,
    pub shapes: Seen,
}

/// The rewrite target: decodes the input, assembles its records and checks
/// both rewriters and the shapes on every event.
pub fn rewrite(data: &[u8]) -> Done {
    let input = decode(data);
    let mut redactions: Vec<Redaction> = input
        .redactions
        .iter()
        .map(|&i| {
            let (pattern, replace) = REDACTIONS[i];
            Redaction::new(pattern, replace).unwrap_or_else(|e| panic!("{pattern}: {e}"))
        })
        .collect();
    if !input.secret.is_empty() {
        redactions.push(secret_redaction(&input.secret));
    }
    let rules: Vec<FieldRule> = input
        .rules
        .iter()
        .map(|(msg_type, keys, keep)| FieldRule {
            msg_type: *msg_type,
            keys: keys.clone(),
            keep: *keep,
        })
        .collect();
    let mut redacting = Rewriter::new(RewriteSpec {
        redactions: redactions.clone(),
        fields: Vec::new(),
    });
    let mut choosing = Rewriter::new(RewriteSpec {
        redactions: redactions.clone(),
        fields: rules.clone(),
    });
    let timestamp = Timestamp {
        seconds: 1_700_000_000,
        millis: 42,
    };
    let mut done = Done::default();
    with_events(7, timestamp, &input.records, input.arena, |event| {
        done.events += 1;

        let before = redacting.counts();
        let (redacted_lines, replaced) = {
            let redacted_event = redacting.apply(event);
            let redacted = redacted_event.as_ref().unwrap_or(event);
            if check_redacted(event, redacted, &redactions, &input.secret) {
                done.secret_found += 1;
            }
            (records_of(redacted), u64::from(redacted.redacted()))
        };
        let after = redacting.counts();
        assert_eq!(after.redactions - before.redactions, replaced, "counted");
        assert_eq!(after.fields_dropped, 0, "fields dropped without rules");

        let before = choosing.counts();
        let dropped = {
            let chosen_event = choosing.apply(event);
            let chosen = chosen_event.as_ref().unwrap_or(event);
            assert_eq!(u64::from(chosen.redacted()), replaced);
            let dropped = check_chosen(&redacted_lines, chosen, &rules);
            done.shapes = done.shapes
                + if input.enrich {
                    shape_check::check_shapes(chosen, input.size, &mut ShapeEnrich)
                } else {
                    shape_check::check_shapes(
                        chosen,
                        input.size,
                        &mut raudit_core::encode::NoEnrich,
                    )
                };
            dropped
        };
        let after = choosing.counts();
        assert_eq!(after.redactions - before.redactions, replaced);
        assert_eq!(after.fields_dropped - before.fields_dropped, dropped);
        done.replaced += replaced;
        done.dropped += dropped;
    });
    done
}

fn records_of(event: &Event<'_>) -> Vec<(u16, Vec<u8>)> {
    event
        .records()
        .map(|r| (r.msg_type.0, r.body.to_vec()))
        .collect()
}

/// Every key and value of `body` lies inside it; the keys in order.
fn parsed_keys(body: &[u8]) -> Vec<Vec<u8>> {
    let mut keys = Vec::new();
    for f in Fields::new(body) {
        assert!(keys.len() < body.len().max(1), "more fields than bytes");
        assert!(within(body, f.key), "key outside the body");
        if let Value::Bare(t) | Value::DoubleQuoted(t) | Value::SingleQuoted(t) = f.value {
            assert!(within(body, t), "value outside the body");
        }
        keys.push(f.key.to_vec());
    }
    keys
}

/// The arguments as the rewriter reads them: consecutive EXECVE argument
/// fields of one index are one argument, pieces joined, values decoded.
fn arguments<'a>(records: impl Iterator<Item = (u16, &'a [u8])>) -> Vec<(u32, Vec<u8>)> {
    gathered(records)
        .into_iter()
        .map(|a| (a.index, a.text))
        .collect()
}

/// One argument as the EXECVE records give it: its text (pieces joined,
/// decoded), the piece numbers in the order met, and the `aN_len` met
/// last before its first piece (or among them).
struct Gathered {
    index: u32,
    text: Vec<u8>,
    parts: Vec<u32>,
    declared: Option<u64>,
}

impl Gathered {
    /// Pieces missing: not numbered 0, 1, 2, … in order, or (in an event
    /// whose records were cut short) fewer bytes than half its `aN_len`.
    fn incomplete(&self, cut_short: bool) -> bool {
        let in_order = self.parts.iter().enumerate().all(|(i, &p)| p as usize == i);
        let short = self
            .declared
            .is_some_and(|d| (self.text.len() as u64).saturating_mul(2) < d);
        !in_order || (cut_short && short)
    }
}

fn gathered<'a>(records: impl Iterator<Item = (u16, &'a [u8])>) -> Vec<Gathered> {
    let mut args: Vec<Gathered> = Vec::new();
    let mut pending: Option<(u32, Option<u64>)> = None;
    for (_, body) in records.filter(|&(t, _)| t == EXECVE) {
        for field in Fields::new(body) {
            let Some(arg) = ExecveArg::parse(field.key) else {
                continue;
            };
            if arg.is_len {
                let length = std::str::from_utf8(field.value.text())
                    .ok()
                    .and_then(|t| t.parse().ok());
                match args.last_mut() {
                    Some(last) if last.index == arg.index => last.declared = length,
                    _ => pending = Some((arg.index, length)),
                }
                continue;
            }
            if args.last().map(|a| a.index) != Some(arg.index) {
                let declared = pending
                    .take()
                    .filter(|p| p.0 == arg.index)
                    .and_then(|p| p.1);
                args.push(Gathered {
                    index: arg.index,
                    text: Vec::new(),
                    parts: Vec::new(),
                    declared,
                });
            }
            if let Some(last) = args.last_mut() {
                last.parts.push(arg.part.unwrap_or(0));
                decode_value(field.value, &mut |b| last.text.extend_from_slice(b));
            }
        }
    }
    args
}

/// The first `proctitle` of a body, decoded.
fn proctitle(body: &[u8]) -> Option<Vec<u8>> {
    let field = Fields::new(body).find(|f| f.key == b"proctitle")?;
    let mut title = Vec::new();
    decode_value(field.value, &mut |b| title.extend_from_slice(b));
    Some(title)
}

/// `text` with every redaction applied in turn; and how many matches.
fn redact(redactions: &[Redaction], text: &[u8]) -> (Vec<u8>, u64) {
    let mut text = text.to_vec();
    let mut count = 0u64;
    for r in redactions {
        let mut out = Vec::new();
        let mut locs = r.locations();
        let n = r.apply(&text, &mut locs, &mut out);
        if n > 0 {
            text = out;
            count += u64::from(n);
        }
    }
    (text, count)
}

/// A proctitle redacted per NUL-separated argument.
fn redact_title(redactions: &[Redaction], title: &[u8]) -> (Vec<u8>, u64) {
    let mut out = Vec::new();
    let mut count = 0;
    for (i, arg) in title.split(|&b| b == 0).enumerate() {
        if i > 0 {
            out.push(0);
        }
        let (text, n) = redact(redactions, arg);
        out.extend(text);
        count += n;
    }
    (out, count)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// The event with only redactions applied, against the original; whether
/// an argument or the proctitle held the secret before.
fn check_redacted(
    original: &Event<'_>,
    redacted: &Event<'_>,
    redactions: &[Redaction],
    secret: &[u8],
) -> bool {
    let (before, after) = (records_of(original), records_of(redacted));
    for (msg_type, body) in &after {
        parsed_keys(body);
        if *msg_type == EXECVE && redacted.redacted() > 0 {
            assert!(
                body.len() <= MAX_EXECVE_AUDIT_LEN + 128,
                "a rewritten EXECVE record of {} bytes",
                body.len()
            );
        }
    }
    let others = |r: &[(u16, Vec<u8>)]| -> Vec<u16> {
        r.iter().map(|r| r.0).filter(|&t| t != EXECVE).collect()
    };
    assert_eq!(others(&before), others(&after), "record types changed");

    let mut want_count = 0u64;
    let cut_short = original.dropped_records() > 0;
    let original_args = arguments(before.iter().map(|(t, b)| (*t, &b[..])));
    // With redaction on, an argument with pieces missing is withheld
    // whole, counted once.
    let want_args: Vec<(u32, Vec<u8>)> = gathered(before.iter().map(|(t, b)| (*t, &b[..])))
        .iter()
        .map(|arg| {
            let (text, n) = if !redactions.is_empty() && arg.incomplete(cut_short) {
                (b"<redacted>".to_vec(), 1)
            } else {
                redact(redactions, &arg.text)
            };
            want_count += n;
            (arg.index, text)
        })
        .collect();
    let mut found = original_args.iter().any(|(_, a)| contains(a, secret));
    let got_args = arguments(after.iter().map(|(t, b)| (*t, &b[..])));
    if want_count > 0 {
        assert_eq!(got_args, want_args, "arguments not redacted as asked");
        let argc = after
            .iter()
            .find(|r| r.0 == EXECVE)
            .and_then(|r| Fields::new(&r.1).next().map(|f| f.key.to_vec()));
        assert_eq!(argc.as_deref(), Some(&b"argc"[..]), "argc not first");
    } else {
        assert_eq!(got_args, original_args, "arguments changed without a match");
    }
    // (An argument withheld whole is the default marker, a constant: the
    // secret's bytes may spell part of it without anything leaking.)
    for (_, arg) in got_args.iter().filter(|(_, a)| a != b"<redacted>") {
        assert!(!contains(arg, secret), "the secret is left in an argument");
    }

    let titles = |r: &[(u16, Vec<u8>)]| -> Vec<Option<Vec<u8>>> {
        r.iter()
            .filter(|r| r.0 == PROCTITLE)
            .map(|r| proctitle(&r.1))
            .collect()
    };
    let (titles_before, titles_after) = (titles(&before), titles(&after));
    assert_eq!(titles_before.len(), titles_after.len());
    for (was, now) in titles_before.iter().zip(&titles_after) {
        let Some(was) = was else {
            continue;
        };
        found |= was.split(|&b| b == 0).any(|a| contains(a, secret));
        let (want, n) = redact_title(redactions, was);
        want_count += n;
        assert_eq!(now.as_ref(), Some(&want), "proctitle not redacted as asked");
        for arg in want.split(|&b| b == 0) {
            assert!(
                !contains(arg, secret),
                "the secret is left in the proctitle"
            );
        }
    }
    assert_eq!(
        u64::from(redacted.redacted()),
        want_count,
        "redactions counted"
    );
    found
}

/// The event with field rules too, against the one with redactions only:
/// the same records, ruled ones holding exactly the kept keys. Returns
/// the fields left out.
fn check_chosen(redacted: &[(u16, Vec<u8>)], chosen: &Event<'_>, rules: &[FieldRule]) -> u64 {
    let chosen = records_of(chosen);
    assert_eq!(
        chosen.len(),
        redacted.len(),
        "field rules changed the records"
    );
    let mut dropped = 0u64;
    for ((t, was), (t2, now)) in redacted.iter().zip(&chosen) {
        assert_eq!(t, t2, "field rules changed a record's type");
        let Some(rule) = rules.iter().find(|r| r.msg_type == *t) else {
            assert_eq!(was, now, "a record without a rule changed");
            continue;
        };
        let keeps = |k: &[u8]| rule.keys.iter().any(|x| x == k) == rule.keep;
        let before = parsed_keys(was);
        let want: Vec<Vec<u8>> = before.iter().filter(|k| keeps(k)).cloned().collect();
        dropped += (before.len() - want.len()) as u64;
        let got = parsed_keys(now);
        assert_eq!(
            got,
            want,
            "type {t}: kept keys of {:?} became {:?}",
            String::from_utf8_lossy(was),
            String::from_utf8_lossy(now)
        );
    }
    dropped
}
