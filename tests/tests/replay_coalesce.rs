//! go-libaudit's aucoalesce cases (`../shared/corpus/go-libaudit/aucoalesce`,
//! skipped where absent): each named case is the records of one event, from
//! many distributions and kernels; each must come out of replay as exactly
//! one event with the golden file's sequence and all of its records.

mod common;

use std::collections::BTreeMap;
use std::fs;

use common::coalesce::cases;
use common::{all_types, corpus, replay};
use raudit::replay::Format;

#[test]
#[cfg_attr(raudit_no_corpus, ignore = "../shared/corpus is absent")]
fn every_coalesce_case_is_one_event_with_the_golden_sequence() {
    let corpus = corpus();
    let dir = corpus.join("go-libaudit/aucoalesce/testdata");
    let mut checked = 0;
    for entry in fs::read_dir(&dir).unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let yaml = fs::read_to_string(&path).unwrap();
        let golden_path = path.with_extension("json.golden");
        let golden: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(&golden_path).unwrap()).unwrap();
        let expected: BTreeMap<String, u64> = golden
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|case| {
                Some((
                    case["test_name"].as_str()?.to_owned(),
                    case["event"]["sequence"].as_u64()?,
                ))
            })
            .collect();
        for (name, text) in cases(&yaml) {
            let Some(&sequence) = expected.get(&name) else {
                continue;
            };
            let records = text
                .lines()
                .filter(|l| l.starts_with("type=") && !l.starts_with("type=EOE"))
                .count();
            let r = replay(text.as_bytes(), Format::Log, all_types());
            assert_eq!(
                r.counts.malformed,
                0,
                "{}: {name}: {:?}",
                path.display(),
                r.malformed
            );
            assert_eq!(
                r.events.len(),
                1,
                "{}: {name}: {:#?}",
                path.display(),
                r.events
            );
            assert_eq!(
                r.events[0]["sequence"],
                sequence,
                "{}: {name}",
                path.display()
            );
            let got = r.events[0]["messages"].as_array().unwrap().len();
            assert_eq!(got, records, "{}: {name}", path.display());
            checked += 1;
        }
    }
    assert!(checked >= 48, "only {checked} cases checked");
    eprintln!("{checked} aucoalesce cases grouped as expected");
}
