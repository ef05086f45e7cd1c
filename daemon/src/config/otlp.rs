//! `output.otlp`: the OpenTelemetry logs output (OTLP/HTTP, protobuf).

use std::time::Duration;

use super::outputs::common;
use super::values::{describe, Cx, Fields};
use super::yaml::Kind;
use super::OtlpConfig;

const OTLP_KEYS: &[&str] = &[
    "enabled",
    "attempts",
    "endpoint",
    "batch_events",
    "batch_bytes",
    "flush_interval",
    "timeout",
    "headers",
    "spool",
    "tls",
];

/// The OpenTelemetry collector's OTLP/HTTP port on this host.
pub const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:4318/v1/logs";
const DEFAULT_BATCH_EVENTS: u32 = 512;
const DEFAULT_BATCH_BYTES: u32 = 1024 * 1024;
const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_secs(1);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

pub(super) fn otlp(cx: &mut Cx, parent: &Fields, count: &mut u32) -> Option<OtlpConfig> {
    let (f, enabled, attempts) = common(cx, parent, "otlp", OTLP_KEYS, count);
    let endpoint = cx
        .string(&f, "endpoint")
        .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned());
    // The scheme in any case, as the output reads it (`HTTPS://` is TLS).
    let https = match crate::output::otlp::http::Endpoint::parse(&endpoint) {
        Ok(parsed) => parsed.https,
        Err(e) => {
            cx.error_at(&f, "endpoint", e);
            // Not said twice: the endpoint's error is the one to fix.
            true
        }
    };
    let batch_events = cx
        .u32(&f, "batch_events", 1, 1_000_000, "from 1 to 1000000 events")
        .unwrap_or(DEFAULT_BATCH_EVENTS);
    let batch_bytes = cx
        .u32(
            &f,
            "batch_bytes",
            4096,
            64 * 1024 * 1024,
            "from 4096 to 67108864 bytes",
        )
        .unwrap_or(DEFAULT_BATCH_BYTES);
    let flush_interval = cx
        .duration(
            &f,
            "flush_interval",
            Duration::from_millis(1),
            Duration::from_secs(3600),
        )
        .unwrap_or(DEFAULT_FLUSH_INTERVAL);
    let timeout = cx
        .duration(
            &f,
            "timeout",
            Duration::from_millis(100),
            Duration::from_secs(600),
        )
        .unwrap_or(DEFAULT_TIMEOUT);
    let headers = headers(cx, &f);
    let spool = super::spool::spool(cx, &f, enabled, false);
    let tls = super::outputs::tls(cx, &f, enabled, true);
    if enabled && tls.is_some() && !https {
        cx.error_at(&f, "tls", "TLS needs an https:// endpoint");
    }
    enabled.then_some(OtlpConfig {
        attempts,
        endpoint,
        batch_events,
        batch_bytes,
        flush_interval,
        timeout,
        headers,
        spool,
        tls,
    })
}

/// Headers `headers` cannot set: each request carries them already, or
/// they describe a body raudit writes otherwise; given twice or wrong, a
/// collector refuses every request.
const RESERVED_HEADERS: &[(&str, &str)] = &[
    (
        "host",
        "raudit sends the endpoint's host:port as Host; set it in endpoint",
    ),
    (
        "content-length",
        "raudit sends the request's own Content-Length",
    ),
    (
        "content-type",
        "raudit sends application/x-protobuf as Content-Type",
    ),
    (
        "transfer-encoding",
        "raudit sends a Content-Length, never a chunked body",
    ),
    ("content-encoding", "raudit sends the body uncompressed"),
];

/// `headers`: a mapping of HTTP header names to values, sent with every
/// request (an API key, a tenant id).
fn headers(cx: &mut Cx, f: &Fields) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(node) = f.get("headers") else {
        return out;
    };
    let path = f.path("headers");
    let Kind::Map(entries) = &node.kind else {
        cx.error(
            &path,
            node.line,
            format!(
                "expected a mapping of header names to values, found {}",
                describe(node)
            ),
        );
        return out;
    };
    for (key, value) in entries {
        let (Kind::Scalar { text: name, .. }, Kind::Scalar { text: value, .. }) =
            (&key.kind, &value.kind)
        else {
            cx.error(&path, key.line, "expected a header name and a text value");
            continue;
        };
        let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
        if name.is_empty() || !name.bytes().all(token) {
            cx.error(
                &super::values::join(&path, name),
                key.line,
                "not a valid HTTP header name",
            );
            continue;
        }
        if let Some(why) = RESERVED_HEADERS
            .iter()
            .find(|(reserved, _)| reserved.eq_ignore_ascii_case(name))
            .map(|(_, why)| why)
        {
            cx.error(&super::values::join(&path, name), key.line, *why);
            continue;
        }
        if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
            cx.error(
                &super::values::join(&path, name),
                key.line,
                "a header value cannot hold a line break or NUL",
            );
            continue;
        }
        out.push((name.clone(), value.clone()));
    }
    out
}
