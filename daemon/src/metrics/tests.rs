//! The exposition: every reported field appears once with its HELP and
//! TYPE, outputs as labelled families, and the worst case fits the buffer.

use super::*;

fn exposition(stats: &Stats) -> String {
    let mut buf = vec![0u8; EXPOSITION_BYTES];
    let len = render(stats, &mut buf).unwrap();
    String::from_utf8(buf[..len].to_vec()).unwrap()
}

#[test]
fn every_report_field_is_a_metric_with_help_and_type() {
    let stats = Stats::new(&["file", "stdout"]);
    stats.records.add(7);
    stats.kernel_backlog.set(3);
    stats.outputs[1].bytes.add(42);
    let text = exposition(&stats);
    for field in stats.fields() {
        let name = match field.kind {
            Kind::Counter | Kind::Seconds => format!("raudit_{}_total", field.name),
            Kind::Gauge => format!("raudit_{}", field.name),
            Kind::Sum => {
                assert!(!text.contains(&format!("raudit_{} ", field.name)));
                continue;
            }
        };
        let kind = if field.kind == Kind::Gauge {
            "gauge"
        } else {
            "counter"
        };
        assert!(
            text.contains(&format!("# HELP {name} {}\n", field.help)),
            "{name}"
        );
        assert!(text.contains(&format!("# TYPE {name} {kind}\n")), "{name}");
        assert!(
            text.contains(&format!("\n{name} {}\n", field.shown())),
            "{name}"
        );
    }
    for field in stats.outputs[0].fields() {
        let (name, kind) = match field.kind {
            Kind::Gauge => (format!("raudit_output_{}", field.name), "gauge"),
            _ => (format!("raudit_output_{}_total", field.name), "counter"),
        };
        assert_eq!(text.matches(&format!("# TYPE {name} {kind}\n")).count(), 1);
        for output in &stats.outputs {
            assert!(text.contains(&format!("{name}{{output=\"{}\"}} ", output.name)));
        }
    }
    assert!(text.contains("\nraudit_records_total 7\n"));
    assert!(text.contains("\nraudit_kernel_backlog 3\n"));
    assert!(text.contains("raudit_output_bytes_total{output=\"stdout\"} 42\n"));
}

#[test]
fn help_texts_need_no_escaping() {
    let stats = Stats::new(&["file"]);
    let outputs = stats.outputs[0].fields();
    for field in stats.fields().iter().chain(outputs.iter()) {
        assert!(!field.help.is_empty(), "{}", field.name);
        assert!(!field.help.contains(['\\', '\n']), "{}", field.name);
        assert!(
            field
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "{} is not a metric name",
            field.name
        );
    }
}

#[test]
fn label_values_are_escaped() {
    let stats = Stats::new(&["a\"b\\c\nd"]);
    let text = exposition(&stats);
    assert!(text.contains("{output=\"a\\\"b\\\\c\\nd\"} 0\n"), "{text}");
}

#[test]
fn the_worst_case_fits_with_room_to_spare() {
    let stats = Stats::new(&["file", "stdout", "syslog", "gelf"]);
    for field in [
        &stats.records,
        &stats.events,
        &stats.kernel_lost_counted,
        &stats.queue_drops,
        &stats.queue_waits,
        &stats.queue_waited_ms,
    ] {
        field.set(u64::MAX);
    }
    for output in &stats.outputs {
        output.sent.set(u64::MAX);
        output.bytes.set(u64::MAX);
    }
    let len = exposition(&stats).len();
    assert!(
        len * 3 < EXPOSITION_BYTES,
        "{len} bytes of {EXPOSITION_BYTES}"
    );
}

#[test]
fn a_buffer_too_small_is_full_not_a_panic() {
    let stats = Stats::new(&["file"]);
    let mut buf = [0u8; 100];
    assert_eq!(render(&stats, &mut buf), Err(Full));
}

#[test]
fn the_readme_documents_every_metric() {
    let readme = include_str!("../../../README.md");
    let stats = Stats::new(&["file"]);
    for line in exposition(&stats).lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap_or_default();
            assert!(
                readme.contains(&format!("| `{name}` |")),
                "README.md's Metrics table lacks {name}"
            );
        }
    }
}

/// README names every value of the `output` label: each output's place.
#[test]
fn the_readme_names_every_output_label() {
    let readme = include_str!("../../../README.md");
    let start = readme
        .find("with an `output` label (")
        .expect("README.md's Metrics section names the output label's values");
    let list = &readme[start..];
    let list = &list[..list.find(')').unwrap_or(list.len())];
    for place in crate::daemon::plan::OutputPlan::PLACES {
        assert!(
            list.contains(&format!("`{place}`")),
            "README.md's output label list lacks {place}: {list}"
        );
    }
}
