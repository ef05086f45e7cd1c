//! Output keys: syslog, GELF, file rotation, OTLP, TLS, spools and the
//! addresses they dial or bind: their defaults, values and errors.

use std::time::Duration;

use super::*;

#[test]
fn syslog_max_message_bytes_is_unset_by_default_and_at_least_1024() {
    let c = parse("output: {syslog: {enabled: true}}\nrules: ['-e 1']\n").unwrap();
    assert_eq!(c.output.syslog.unwrap().max_message_bytes, None);
    let c = parse("output: {syslog: {enabled: true, max_message_bytes: 8192}}\nrules: ['-e 1']\n")
        .unwrap();
    assert_eq!(c.output.syslog.unwrap().max_message_bytes, Some(8192));
    let e = errors("output: {syslog: {enabled: true, max_message_bytes: 512}}\nrules: ['-e 1']\n");
    assert!(
        e[0].contains("output.syslog.max_message_bytes: expected at least 1024 bytes"),
        "{e:?}"
    );
}

#[test]
fn syslog_over_ip_needs_an_address() {
    let e = errors("output: {syslog: {enabled: true, network: udp}}\nrules: ['-e 1']\n");
    assert!(e[0].contains("output.syslog.address: required"), "{e:?}");
}

#[test]
fn gelf_compression_type_errors_name_the_numbers() {
    let e = errors("output: {gelf: {enabled: true, address: 'h:1', compression: {type: 3, level: 10}}}\nrules: ['-e 1']\n");
    assert!(
        e.iter().any(|l| l.contains(
            "output.gelf.compression.type: expected 0 (gzip), 1 (zlib) or 2 (none), found \"3\""
        )),
        "{e:?}"
    );
    assert!(
        e.iter().any(|l| l.contains(
            "output.gelf.compression.level: expected a compress/flate level from -2 to 9, found 10"
        )),
        "{e:?}"
    );
}

#[test]
fn file_rotation_is_off_by_default_and_keep_defaults_to_5() {
    let file = "output: {file: {enabled: true, path: /tmp/a.log";
    let c = parse(&format!("{file}}}}}\nrules: ['-e 1']\n")).unwrap();
    assert_eq!(c.output.file.unwrap().rotation, None);
    let c = parse(&format!(
        "{file}, max_bytes: 1048576}}}}\nrules: ['-e 1']\n"
    ))
    .unwrap();
    assert_eq!(
        c.output.file.unwrap().rotation,
        Some(Rotation {
            max_bytes: 1 << 20,
            keep: 5
        })
    );
    let c = parse(&format!(
        "{file}, max_bytes: 8192, keep: 2}}}}\nrules: ['-e 1']\n"
    ))
    .unwrap();
    assert_eq!(c.output.file.unwrap().rotation.unwrap().keep, 2);
    let e = errors(&format!("{file}, max_bytes: 100}}}}\nrules: ['-e 1']\n"));
    assert!(
        e[0].contains("output.file.max_bytes: expected a size in bytes of at least 4096"),
        "{e:?}"
    );
    let e = errors(&format!("{file}, keep: 3}}}}\nrules: ['-e 1']\n"));
    assert!(
        e[0].contains("output.file.keep: has no effect without output.file.max_bytes"),
        "{e:?}"
    );
    let e = errors(&format!(
        "{file}, max_bytes: 8192, keep: 0}}}}\nrules: ['-e 1']\n"
    ));
    assert!(
        e[0].contains("output.file.keep: expected from 1 to 999"),
        "{e:?}"
    );
}

#[test]
fn a_syslog_tag_with_a_newline_is_refused() {
    // Found by the `syslog` fuzz target: the tag is written as it is, so a
    // newline in it split every message in two.
    let text = "output:\n  syslog:\n    enabled: true\n    tag: \"a\\nb\"\nrules: ['-e 1']\n";
    assert_eq!(
        errors(text),
        ["test.yaml:4: output.syslog.tag: expected a tag without control characters (newline, tab, …), found \"a\\nb\""]
    );
}

#[test]
fn otlp_defaults_headers_and_bad_values() {
    let text = "output:\n  otlp: {enabled: true}\nrules: ['-e 1']\n";
    let o = parse(text).unwrap().output.otlp.unwrap();
    assert_eq!(o.endpoint, "http://127.0.0.1:4318/v1/logs");
    assert_eq!(
        (o.attempts, o.batch_events, o.batch_bytes),
        (3, 512, 1 << 20)
    );
    assert_eq!(
        (o.flush_interval, o.timeout),
        (Duration::from_secs(1), Duration::from_secs(10))
    );
    assert!(o.headers.is_empty());

    let text = "output:\n  otlp:\n    enabled: true\n    endpoint: http://c:4318/x\n    batch_events: 10\n    flush_interval: 200ms\n    headers:\n      X-Scope-OrgID: audit\n      Authorization: Bearer t\nrules: ['-e 1']\n";
    let o = parse(text).unwrap().output.otlp.unwrap();
    assert_eq!(
        (o.endpoint.as_str(), o.batch_events),
        ("http://c:4318/x", 10)
    );
    assert_eq!(o.flush_interval, Duration::from_millis(200));
    assert_eq!(
        o.headers,
        [
            ("X-Scope-OrgID".to_owned(), "audit".to_owned()),
            ("Authorization".to_owned(), "Bearer t".to_owned())
        ]
    );

    let text = "output:\n  otlp:\n    enabled: true\n    endpoint: ftp://c:4318\n    batch_events: 0\n    headers:\n      'bad name': x\nrules: ['-e 1']\n";
    let e = errors(text);
    assert_eq!(e.len(), 3, "{e:?}");
    assert!(e.iter().any(|l| l.contains(
        "test.yaml:4: output.otlp.endpoint: ftp://c:4318: expected an http:// or https:// URL"
    )));
    assert!(e.iter().any(|l| l.contains("output.otlp.batch_events: ")));
    assert!(e
        .iter()
        .any(|l| l.contains("output.otlp.headers.bad name: not a valid HTTP header name")));
}

#[test]
fn tls_settings_are_read_for_syslog_and_gelf_over_tcp() {
    let text = "output:\n  syslog:\n    enabled: true\n    network: tcp\n    address: 'h:6514'\n    tls: {enabled: true, ca_file: /c.pem, cert_file: /k.pem, key_file: /k.key, server_name: logs, min_version: '1.3'}\n  gelf:\n    enabled: true\n    network: tcp\n    address: 'g:12201'\n    tls: {enabled: true}\nrules: ['-e 1']\n";
    let c = parse(text).unwrap();
    let tls = c.output.syslog.unwrap().tls.unwrap();
    assert_eq!(tls.ca_file.as_deref(), Some(Path::new("/c.pem")));
    assert_eq!(tls.cert_file.as_deref(), Some(Path::new("/k.pem")));
    assert_eq!(tls.key_file.as_deref(), Some(Path::new("/k.key")));
    assert_eq!(tls.server_name.as_deref(), Some("logs"));
    assert_eq!(tls.min_version, TlsVersion::V1_3);
    let tls = c.output.gelf.unwrap().tls.unwrap();
    assert_eq!((tls.ca_file, tls.cert_file), (None, None));
    assert_eq!(tls.min_version, TlsVersion::V1_2);
    let off = "output: {syslog: {enabled: true, network: tcp, address: 'h:1', tls: {enabled: false, ca_file: /x}}}\nrules: ['-e 1']\n";
    assert_eq!(parse(off).unwrap().output.syslog.unwrap().tls, None);
}

#[test]
fn tls_needs_tcp_both_client_files_and_a_known_version() {
    let e = errors("output: {syslog: {enabled: true, network: udp, address: 'h:1', tls: {enabled: true}}}\nrules: ['-e 1']\n");
    assert!(
        e.iter().any(
            |l| l.contains("output.syslog.tls.enabled") && l.contains("TLS needs network: tcp")
        ),
        "{e:?}"
    );
    // A disabled output's TLS is not checked against its network.
    let c = parse("output: {stdout: {enabled: true}, syslog: {enabled: false, network: udp, tls: {enabled: true}}}\nrules: ['-e 1']\n");
    assert!(c.is_ok(), "{c:?}");
    let e = errors(
        "output: {gelf: {enabled: true, address: 'h:1', tls: {enabled: true}}}\nrules: ['-e 1']\n",
    );
    assert!(
        e.iter().any(|l| l.contains("output.gelf.tls.enabled")),
        "{e:?}"
    );
    let e = errors("output: {gelf: {enabled: true, network: tcp, address: 'h:1', tls: {enabled: true, cert_file: /c}}}\nrules: ['-e 1']\n");
    assert!(
        e.iter()
            .any(|l| l.contains("output.gelf.tls.key_file") && l.contains("go together")),
        "{e:?}"
    );
    let e = errors("output: {gelf: {enabled: true, network: tcp, address: 'h:1', tls: {enabled: true, min_version: '1.1'}}}\nrules: ['-e 1']\n");
    assert!(
        e.iter().any(|l| l.contains("output.gelf.tls.min_version")),
        "{e:?}"
    );
    let e = errors("output: {gelf: {enabled: true, network: tcp, address: 'h:1', tls: {enabled: true, ca: /c}}}\nrules: ['-e 1']\n");
    assert!(e.iter().any(|l| l.contains("output.gelf.tls.ca")), "{e:?}");
}

#[test]
fn a_spool_is_off_by_default_and_read_for_stream_outputs_and_otlp() {
    let c =
        parse("output: {syslog: {enabled: true, network: tcp, address: 'h:1'}}\nrules: ['-e 1']\n")
            .unwrap();
    assert_eq!(c.output.syslog.unwrap().spool, None);
    let c = parse("output:\n  syslog: {enabled: true, network: tcp, address: 'h:1', spool: {path: /var/lib/raudit/spool/syslog}}\n  gelf: {enabled: true, network: tcp, address: 'h:2', spool: {path: /s/gelf, max_bytes: 65536}}\n  otlp: {enabled: true, spool: {path: /s/otlp}}\nrules: ['-e 1']\n").unwrap();
    let syslog = c.output.syslog.unwrap().spool.unwrap();
    assert_eq!(
        (syslog.path, syslog.max_bytes),
        (PathBuf::from("/var/lib/raudit/spool/syslog"), 64 << 20)
    );
    assert_eq!(c.output.gelf.unwrap().spool.unwrap().max_bytes, 65536);
    assert!(c.output.otlp.unwrap().spool.is_some());
}

#[test]
fn a_spool_needs_a_transport_that_tells_delivery_an_absolute_path_and_room() {
    let e = errors(
        "output: {gelf: {enabled: true, address: 'h:1', spool: {path: /s/g}}}\nrules: ['-e 1']\n",
    );
    assert!(
        e.iter()
            .any(|l| l.contains("output.gelf.spool.path") && l.contains("over UDP")),
        "{e:?}"
    );
    let e = errors("output: {syslog: {enabled: true, network: udp, address: 'h:1', spool: {path: /s/g}}}\nrules: ['-e 1']\n");
    assert!(
        e.iter().any(|l| l.contains("output.syslog.spool.path")),
        "{e:?}"
    );
    let e = errors("output: {otlp: {enabled: true, spool: {path: rel/otlp}}}\nrules: ['-e 1']\n");
    assert!(e.iter().any(|l| l.contains("absolute")), "{e:?}");
    let e = errors(
        "output: {otlp: {enabled: true, spool: {path: /s/o, max_bytes: 1000}}}\nrules: ['-e 1']\n",
    );
    assert!(
        e.iter().any(|l| l.contains("output.otlp.spool.max_bytes")),
        "{e:?}"
    );
    let e =
        errors("output: {otlp: {enabled: true, spool: {max_bytes: 100000}}}\nrules: ['-e 1']\n");
    assert!(
        e.iter()
            .any(|l| l.contains("has no effect without spool.path")),
        "{e:?}"
    );
}

#[test]
fn otlp_tls_is_read_and_needs_an_https_endpoint() {
    let c = parse("output: {otlp: {enabled: true, endpoint: 'https://c/v1/logs', tls: {enabled: true, ca_file: /ca.pem}}}\nrules: ['-e 1']\n").unwrap();
    let tls = c.output.otlp.unwrap().tls.unwrap();
    assert_eq!(tls.ca_file, Some(PathBuf::from("/ca.pem")));
    let e = errors("output: {otlp: {enabled: true, endpoint: 'http://c:1', tls: {enabled: true}}}\nrules: ['-e 1']\n");
    assert!(
        e.iter()
            .any(|l| l.contains("output.otlp.tls") && l.contains("https://")),
        "{e:?}"
    );
}

/// The endpoint's scheme is read in any case (`HTTPS://` is TLS, as the
/// output's URL parser reads it), so `tls` with it is not refused as if
/// the endpoint were plain http.
#[test]
fn otlp_tls_takes_an_https_endpoint_in_any_case() {
    let c = parse("output: {otlp: {enabled: true, endpoint: 'HTTPS://c/v1/logs', tls: {enabled: true, server_name: c}}}\nrules: ['-e 1']\n").unwrap();
    let otlp = c.output.otlp.unwrap();
    assert!(otlp.tls.is_some());
    let e = errors("output: {otlp: {enabled: true, endpoint: 'HTTP://c:1', tls: {enabled: true}}}\nrules: ['-e 1']\n");
    assert!(
        e.iter()
            .any(|l| l.contains("output.otlp.tls") && l.contains("https://")),
        "{e:?}"
    );
}

/// A header the request already carries or whose meaning is the body's
/// framing (raudit writes Host, Content-Type and Content-Length itself,
/// and neither chunks nor compresses the body) is refused: sent twice or
/// wrong, it made every request malformed (a 400 drops the batch), while
/// check-config said ok.
#[test]
fn otlp_headers_that_raudit_writes_or_that_frame_the_body_are_refused() {
    for name in [
        "Host",
        "content-length",
        "Content-Type",
        "Transfer-Encoding",
        "Content-Encoding",
    ] {
        let text = format!(
            "output:\n  otlp:\n    enabled: true\n    headers:\n      {name}: x\nrules: ['-e 1']\n"
        );
        let e = errors(&text);
        assert_eq!(e.len(), 1, "{name}: {e:?}");
        assert!(
            e[0].starts_with(&format!("test.yaml:5: output.otlp.headers.{name}: ")),
            "{name}: {e:?}"
        );
    }
    let ok = "output:\n  otlp:\n    enabled: true\n    headers: {Authorization: Bearer t, X-Content-Length: 1}\nrules: ['-e 1']\n";
    assert_eq!(parse(ok).unwrap().output.otlp.unwrap().headers.len(), 2);
}

/// A syslog (udp, tcp) or GELF address without a port, or whose port is
/// not a number from 1 to 65535, can never be dialled: an error at its
/// line (go-audit refuses to start with it too), not a warning that it
/// "does not resolve now" while every event to the output is lost.
#[test]
fn an_ip_address_without_a_usable_port_is_an_error() {
    for (output, address) in [
        ("gelf: {enabled: true", "localhost"),
        ("gelf: {enabled: true, network: tcp", "127.0.0.1:99999"),
        ("syslog: {enabled: true, network: udp", "localhost:abc"),
        ("syslog: {enabled: true, network: tcp6", "[::1]"),
        ("syslog: {enabled: true, network: tcp", ":514"),
    ] {
        let name = output.split(':').next().unwrap();
        let e = errors(&format!(
            "output:\n  {output},\n    address: '{address}'}}\nrules: ['-e 1']\n"
        ));
        assert_eq!(e.len(), 1, "{address}: {e:?}");
        assert!(
            e[0].starts_with(&format!(
                "test.yaml:3: output.{name}.address: expected host:port"
            )),
            "{address}: {e:?}"
        );
    }
    for (output, address) in [
        ("gelf: {enabled: true", "localhost:12201"),
        ("syslog: {enabled: true, network: udp6", "[::1]:514"),
        (
            "syslog: {enabled: true, network: tcp",
            "logs.example.org:6514",
        ),
    ] {
        let text = format!("output:\n  {output},\n    address: '{address}'}}\nrules: ['-e 1']\n");
        assert!(parse(&text).is_ok(), "{address}: {:?}", parse(&text).err());
    }
}

/// A unix socket path longer than a sockaddr_un holds (107 bytes) can never
/// be bound or connected: an error at its line, for the metrics endpoint
/// (the start failed with "path must be shorter than SUN_LEN" after
/// check-config said ok) and a unix syslog address (never connected,
/// every event lost).
#[test]
fn a_unix_socket_path_too_long_for_sockaddr_un_is_an_error() {
    let long = format!("/run/{}", "d".repeat(103)); // 108 bytes
    let fits = format!("/run/{}", "d".repeat(102)); // 107 bytes
    let metrics = |path: &str| format!("{MINIMAL}raudit:\n  metrics:\n    listen: unix:{path}\n");
    let e = errors(&metrics(&long));
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("test.yaml:8: raudit.metrics.listen: "),
        "{e:?}"
    );
    assert!(e[0].contains("107 bytes"), "{e:?}");
    assert!(parse(&metrics(&fits)).is_ok());
    for network in ["unix", "unixgram"] {
        let syslog = |path: &str| {
            format!("output:\n  syslog:\n    enabled: true\n    network: {network}\n    address: {path}\nrules: ['-e 1']\n")
        };
        let e = errors(&syslog(&long));
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].starts_with("test.yaml:5: output.syslog.address: "),
            "{e:?}"
        );
        assert!(parse(&syslog(&fits)).is_ok());
    }
}
