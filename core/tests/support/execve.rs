//! Test support: EXECVE record bodies for an argument list, split the way
//! the kernel splits them (`audit_log_execve_info`: at most about 7,500
//! bytes of argument text per record; an argument with a space, a quote
//! or a byte outside `0x21..=0x7e` hex encoded; one longer than a record
//! holds announced by `aN_len=` and written in pieces `aN[i]=`), and the
//! way back: the argument list rebuilt from the bodies, byte for byte.
//! Shared by the core, replay and live tests (`#[path]`).
#![allow(dead_code)]

/// Argument text per EXECVE record (the kernel's `MAX_EXECVE_AUDIT_LEN`).
pub const MAX_EXECVE_AUDIT_LEN: usize = 7500;

fn needs_hex(arg: &[u8]) -> bool {
    arg.iter()
        .any(|&b| b == b'"' || !(0x21..=0x7e).contains(&b))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// The EXECVE record bodies for `args`, in order.
pub fn execve_bodies(args: &[Vec<u8>]) -> Vec<String> {
    let mut records = Vec::new();
    let mut current = format!("argc={}", args.len());
    let mut push = |current: &mut String, field: String| {
        if current.len() + field.len() > MAX_EXECVE_AUDIT_LEN + 100 {
            records.push(std::mem::take(current));
        }
        current.push_str(&field);
    };
    // Room for a piece's value in a record.
    let piece = MAX_EXECVE_AUDIT_LEN - 100;
    for (i, arg) in args.iter().enumerate() {
        let encode = needs_hex(arg);
        let written = if encode { arg.len() * 2 } else { arg.len() + 2 };
        if written <= piece {
            let value = if encode {
                hex(arg)
            } else {
                format!("\"{}\"", String::from_utf8_lossy(arg))
            };
            push(&mut current, format!(" a{i}={value}"));
            continue;
        }
        push(&mut current, format!(" a{i}_len={written}"));
        let chunk = if encode { piece / 2 } else { piece - 2 };
        for (j, part) in arg.chunks(chunk).enumerate() {
            let value = if encode {
                hex(part)
            } else {
                format!("\"{}\"", String::from_utf8_lossy(part))
            };
            push(&mut current, format!(" a{i}[{j}]={value}"));
        }
    }
    records.push(current);
    records
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A value as the program saw it: quotes removed or hex decoded.
fn decode(value: &str) -> Vec<u8> {
    match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(quoted) => quoted.as_bytes().to_vec(),
        None => unhex(value).unwrap_or_else(|| value.as_bytes().to_vec()),
    }
}

/// The arguments `bodies` (EXECVE records' `data`, in order) hold, by
/// index: `aN` whole, `aN[i]` pieces joined, `aN_len` skipped.
pub fn rebuild_argv<S: AsRef<str>>(bodies: &[S]) -> Vec<(u32, Vec<u8>)> {
    let mut args: Vec<(u32, Vec<u8>)> = Vec::new();
    for body in bodies {
        for field in body.as_ref().split(' ').filter(|f| !f.is_empty()) {
            let Some((key, value)) = field.split_once('=') else {
                continue;
            };
            let Some(rest) = key.strip_prefix('a') else {
                continue;
            };
            if rest.ends_with("_len") {
                continue;
            }
            let (index, piece) = match rest.split_once('[') {
                Some((n, _)) => (n, true),
                None => (rest, false),
            };
            let Ok(index) = index.parse::<u32>() else {
                continue;
            };
            let bytes = decode(value);
            match args.last_mut() {
                Some((last, joined)) if piece && *last == index => joined.extend(bytes),
                _ => args.push((index, bytes)),
            }
        }
    }
    args
}

/// Arguments for the tests: `count` of `len` bytes each, of printable
/// text or (every third) bytes that force hex encoding, all different.
pub fn arguments(count: usize, len: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| {
            let seed = i as u8;
            (0..len)
                .map(|j| {
                    let b = seed.wrapping_mul(31).wrapping_add(j as u8);
                    if i % 3 == 2 {
                        b // any byte: hex
                    } else {
                        b'a' + b % 26
                    }
                })
                .collect()
        })
        .collect()
}
