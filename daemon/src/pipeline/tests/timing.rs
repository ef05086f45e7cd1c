//! Unit tests of the receive thread's timing: counters published while
//! quiet, records waiting in the socket kept with their event, timeouts
//! and the lookup budget counted.

use super::*;

#[test]
fn counters_are_published_while_the_socket_is_quiet() {
    let queue = Queue::new(4, 4096, Policy::Drop);
    let stats = Arc::new(Stats::new(&[]));
    let mut settings = Settings::default();
    settings.assembler.timeout = raudit_core::time::Duration::from_millis(1);
    // A SYSCALL record alone: complete only when its deadline passes.
    let mut pipeline = memory_pipeline(
        vec![datagram(1300, 7, "syscall=59")],
        settings,
        &queue,
        &stats,
    );
    assert!(matches!(
        pipeline.step(Some(Duration::ZERO)).unwrap(),
        Input::Datagrams(1)
    ));
    assert_eq!(stats.events_in_flight.get(), 1);
    assert_eq!(stats.events.get(), 0);
    std::thread::sleep(Duration::from_millis(5));
    // Nothing more arrives; the deadline completes the event and the
    // counters say so without waiting for another datagram.
    assert_eq!(pipeline.step(Some(Duration::ZERO)).unwrap(), Input::Ended);
    assert_eq!(stats.events.get(), 1);
    assert_eq!(stats.events_in_flight.get(), 0);
}

/// A user-space record and the LSM-context record the kernel queued right
/// behind it (several LSMs label the sender), read in two receives with
/// the receive thread 20 ms late between them (descheduled on a busy
/// host): one event, as the assembler promises for records that come
/// within USER_CONTEXT_WAIT of each other.
#[test]
fn a_context_record_waiting_in_the_socket_stays_with_its_user_record() {
    let mut settings = Settings {
        batch: 1,
        ..Settings::default()
    };
    settings.assembler.type_min = 1000;
    settings.assembler.type_max = 2999;
    let input = vec![
        datagram(1112, 5, "pid=1 uid=0 msg='op=login res=success'"),
        datagram(1425, 5, "subj_selinux=u:r:x subj_apparmor=unconfined"),
    ];
    let (lines, _) = receive_late(settings, input, 1, Duration::from_millis(20));
    assert_eq!(lines.len(), 1, "one event, not two: {lines:#?}");
    assert!(lines[0].contains("\"type\":1425"), "{}", lines[0]);
}

/// Receives of at most `batch` datagrams, events timed out after 50 ms.
fn timeout_50ms(batch: usize) -> Settings {
    let mut settings = Settings {
        batch,
        ..Settings::default()
    };
    settings.assembler.timeout = raudit_core::time::Duration::from_millis(50);
    settings
}

/// Runs `input` through a pipeline whose first receive takes `first`
/// datagrams, then whose receive thread comes back `late`; the lines
/// written, and the stats.
fn receive_late(
    settings: Settings,
    input: Vec<Vec<u8>>,
    first: usize,
    late: Duration,
) -> (Vec<String>, Arc<Stats>) {
    let queue = Queue::new(8, 64 * 1024, Policy::Drop);
    let stats = Arc::new(Stats::new(&[]));
    let mut pipeline = memory_pipeline(input, settings, &queue, &stats);
    assert_eq!(
        pipeline.step(Some(Duration::ZERO)).unwrap(),
        Input::Datagrams(first)
    );
    std::thread::sleep(late);
    run_to_end(&mut pipeline);
    let lines = queue_lines(&queue);
    (lines, stats)
}

/// Records of one event the kernel queued together, read in two receives
/// (the first took a full batch: more was waiting), with the receive thread
/// late between them by more than the assembler's timeout (waiting for a
/// free buffer under `queue.policy: block`, or short of CPU): every record
/// was in the socket before the event's deadline, so it is one event, not
/// a timed-out head and a second event under the same serial.
#[test]
fn records_waiting_in_the_socket_are_not_cut_off_by_a_late_receive_thread() {
    let settings = timeout_50ms(2);
    let input = vec![
        datagram(1300, 1, "arch=c000003e syscall=59 success=yes"),
        datagram(1307, 1, "cwd=\"/\""),
        datagram(1302, 1, "item=0 name=\"/bin/ls\""),
        datagram(1327, 1, "proctitle=6C73"),
        datagram(1320, 1, ""),
    ];
    // A full batch: the rest of the event waits in the socket.
    let (lines, stats) = receive_late(settings, input, 2, Duration::from_millis(120));
    assert_eq!(lines.len(), 1, "one event, not two: {lines:#?}");
    for record in ["1300", "1307", "1302", "1327"] {
        assert!(
            lines[0].contains(&format!("\"type\":{record}")),
            "{record}: {}",
            lines[0]
        );
    }
    assert_eq!(stats.events.get(), 1);
}

/// An event whose end-of-event record does not come before its timeout
/// is written without it, and counted (`timed_out`): a record of it that
/// comes later is written as a second event of the same serial, and the
/// stats say why there are two.
#[test]
fn an_event_written_at_its_timeout_is_counted() {
    let settings = timeout_50ms(8);
    let input = vec![
        datagram(1300, 1, "arch=c000003e syscall=59 success=yes"),
        datagram(1307, 1, "cwd=\"/\""),
    ];
    let (lines, stats) = receive_late(settings, input, 2, Duration::from_millis(120));
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert_eq!((stats.events.get(), stats.timed_out.get()), (1, 1));
}

/// A database that takes 10 ms (of the test's fake clock) a lookup and
/// knows no uid.
fn slow_database(_: u32, _: &mut [u8]) -> std::io::Result<Option<usize>> {
    crate::enrich::lookup_budget::fake_clock::advance(Duration::from_millis(10));
    Ok(None)
}

/// Lookups the budget refused reach the stats: each event of a new uid
/// past the budget is written without its name, and counted.
#[test]
fn lookups_skipped_by_the_budget_are_reported() {
    use crate::enrich::lookup_budget::{fake_clock, LookupBudget};
    let input = (1..=20)
        .flat_map(|s| {
            [
                datagram(1300, s, &format!("uid={s}")),
                datagram(1320, s, ""),
            ]
        })
        .collect();
    let queue = Queue::new(8, 4096, Policy::Drop);
    let stats = Arc::new(Stats::new(&[]));
    let mut pipeline = memory_pipeline(input, Settings::default(), &queue, &stats);
    let enricher = &mut pipeline.sink.enricher;
    enricher.uids = crate::enrich::UidNames::with_lookup(8, slow_database);
    enricher.lookup_budget = LookupBudget::with_clock(fake_clock::now);
    run_to_end(&mut pipeline);
    // 50 ms of burst: 5 uids, a 6th on the time they took; 14 skipped.
    assert_eq!(pipeline.sink.enricher.uids.lookups(), 6);
    assert_eq!(stats.lookups_skipped.get(), 14);
}

/// The user database of [`account_records_outside_the_range_still_empty_the_caches`]:
/// uid 1001 is `bob`.
fn bob_database(uid: u32, out: &mut [u8]) -> std::io::Result<Option<usize>> {
    if uid != 1001 {
        return Ok(None);
    }
    out[..3].copy_from_slice(b"bob");
    Ok(Some(3))
}

/// go-audit's default range (1300–1399) leaves the account records out
/// of every event, yet one still empties the name caches before the next
/// event (its uid asked again); another user record does not.
#[test]
fn account_records_outside_the_range_still_empty_the_caches() {
    let account =
        "pid=1 uid=0 auid=4294967295 ses=4294967295 msg='op=adding user id=1001 res=success'";
    let lookups_after = |between: u16| {
        let input = vec![
            datagram(1300, 1, "uid=1001"),
            datagram(1320, 1, ""),
            datagram(between, 2, account),
            datagram(1300, 3, "uid=1001"),
            datagram(1320, 3, ""),
        ];
        let queue = Queue::new(8, 4096, Policy::Drop);
        let stats = Arc::new(Stats::new(&[]));
        let mut pipeline = memory_pipeline(input, Settings::default(), &queue, &stats);
        pipeline.sink.enricher.uids = crate::enrich::UidNames::with_lookup(8, bob_database);
        run_to_end(&mut pipeline);
        pipeline.sink.enricher.uids.lookups()
    };
    // ADD_USER (1114), DEL_USER (1115): uid 1001 asked again after.
    assert_eq!(lookups_after(1114), 2);
    assert_eq!(lookups_after(1115), 2);
    // USER_LOGIN (1112): nothing changed; asked once.
    assert_eq!(lookups_after(1112), 1);
}
