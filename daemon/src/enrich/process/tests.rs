//! Tests of process identities: /proc stat parsing, entity ids, exe and comm after exec, the cache.

use std::process::{Child, Command};

use super::*;
use crate::scratch_dir::ScratchDir;

fn spawn_sleep() -> Child {
    Command::new("sleep").arg("30").spawn().expect("sleep runs")
}

fn pid_text(pid: u32) -> String {
    pid.to_string()
}

#[test]
fn stat_fields_even_with_spaces_and_parentheses_in_comm() {
    let stat = b"4242 (a b) c)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 \
                 987654 1000 200 18446744073709551615";
    let (comm, start) = parse_stat(stat).unwrap();
    assert_eq!(comm.as_str(), "a b) c)");
    assert_eq!(start, 987654);
    assert_eq!(parse_stat(b"12 (x) S 1"), None);
}

#[test]
fn entity_ids_differ_by_pid_start_and_boot() {
    let a = entity_id("b1", 10, 100);
    assert_eq!(a.len(), 64);
    assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(a, entity_id("b1", 10, 100));
    assert_ne!(a, entity_id("b1", 10, 101));
    assert_ne!(a, entity_id("b1", 11, 100));
    assert_ne!(a, entity_id("b2", 10, 100));
}

/// A live child keeps its identity from one event to the next; another
/// process has another; the parent (this test) is named with its
/// executable; a process gone before its event is enriched has none.
#[test]
fn a_live_process_has_a_stable_identity_and_a_gone_one_none() {
    let mut table =
        Processes::new(64).expect("the boot id (/proc/sys/kernel/random/boot_id) is readable");
    let (mut one, mut two) = (spawn_sleep(), spawn_sleep());
    let (p1, p2) = (pid_text(one.id()), pid_text(two.id()));
    let me = pid_text(std::process::id());
    table.resolve(p1.as_bytes(), Instant::now());
    let first = table.info(p1.as_bytes()).unwrap().entity_id.to_owned();
    // Past the recheck: the start time is read again, the id stays.
    std::thread::sleep(RECHECK + Duration::from_millis(20));
    table.resolve(p1.as_bytes(), Instant::now());
    let info = table.info(p1.as_bytes()).unwrap();
    assert_eq!(info.entity_id, first);
    assert_eq!(info.name, Some("sleep"));
    assert!(
        info.executable.is_some_and(|e| e.ends_with("sleep")),
        "{info:?}"
    );
    table.resolve(p2.as_bytes(), Instant::now());
    assert_ne!(table.info(p2.as_bytes()).unwrap().entity_id, first);
    table.resolve(me.as_bytes(), Instant::now());
    let parent = table.info(me.as_bytes()).unwrap();
    let exe = std::env::current_exe().unwrap();
    assert_eq!(parent.executable, exe.to_str());
    for child in [&mut one, &mut two] {
        child.kill().unwrap();
        child.wait().unwrap();
    }
    // Gone: after the recheck, no identity is invented.
    std::thread::sleep(RECHECK + Duration::from_millis(20));
    table.resolve(p1.as_bytes(), Instant::now());
    assert_eq!(table.info(p1.as_bytes()), None);
    let unknown = pid_text(u32::try_from(i32::MAX).unwrap());
    table.resolve(unknown.as_bytes(), Instant::now());
    assert_eq!(table.info(unknown.as_bytes()), None);
}

/// `exec` keeps the pid and the start time (so the id) but changes the
/// executable and `comm`: a recheck after it gives the new ones.
#[test]
fn exe_and_comm_follow_an_exec() {
    let mut child = Command::new("sh")
        .args(["-c", "sleep 0.3; exec sleep 30"])
        .spawn()
        .unwrap();
    let pid = pid_text(child.id());
    let mut table = Processes::new(64).unwrap();
    table.resolve(pid.as_bytes(), Instant::now());
    let before = table.info(pid.as_bytes()).unwrap();
    assert_eq!(before.name, Some("sh"));
    let id = before.entity_id.to_owned();
    std::thread::sleep(Duration::from_millis(800)); // the exec is done
    let comm_now = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap();
    assert_eq!(comm_now.trim(), "sleep", "the child has exec'd");
    table.resolve(pid.as_bytes(), Instant::now());
    let after = table.info(pid.as_bytes()).unwrap();
    let (name, exe) = (
        after.name.map(str::to_owned),
        after.executable.map(str::to_owned),
    );
    assert_eq!(after.entity_id, id, "same process, same id");
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(name.as_deref(), Some("sleep"), "comm after the exec");
    assert!(
        exe.is_some_and(|e| e.ends_with("/sleep")),
        "exe after the exec"
    );
}

/// A `/proc` of fake processes in a test directory (removed when the
/// guard is dropped), with a boot id (also the enricher's tests').
pub(in crate::enrich) fn fake_proc(tag: &str) -> (ScratchDir, &'static str) {
    // A short name: the enricher builds its `/proc` paths in 64 bytes.
    let root = ScratchDir::new(&format!("proc-{tag}"));
    std::fs::create_dir_all(root.join("sys/kernel/random")).unwrap();
    std::fs::write(
        root.join("sys/kernel/random/boot_id"),
        "00000000-1111-2222-3333-444444444444\n",
    )
    .unwrap();
    let text: &'static str = String::leak(root.to_str().unwrap().to_owned());
    (root, text)
}

/// Process `pid` in a fake `/proc`: its stat and its executable.
pub(in crate::enrich) fn fake_stat(
    root: &std::path::Path,
    pid: u32,
    comm: &str,
    start: u64,
    exe: &str,
) {
    let dir = root.join(pid.to_string());
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("stat"),
        format!("{pid} ({comm}) S 1 {pid} {pid} 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 {start} 1000 200 18446744073709551615\n"),
    )
    .unwrap();
    let _ = std::fs::remove_file(dir.join("exe"));
    std::os::unix::fs::symlink(exe, dir.join("exe")).unwrap();
}

/// Pids a multiple of the table's sets apart (an event's process and its
/// parent) are both kept: the parent does not evict the child.
#[test]
fn pid_and_ppid_in_one_slot_both_known() {
    let (root, text) = fake_proc("slot");
    fake_stat(&root, 300, "child", 5000, "/usr/bin/child");
    fake_stat(&root, 300 + 256, "parent", 4000, "/usr/bin/parent");
    let mut table = Processes::with_proc_root(256, text).unwrap();
    let now = Instant::now();
    table.resolve(b"300", now);
    table.resolve(b"556", now);
    let (child, parent) = (table.info(b"300").is_some(), table.info(b"556").is_some());
    assert!(parent, "the parent");
    assert!(
        child,
        "the event's own process lost its identity to its parent"
    );
}

/// A third pid in a full set replaces the one resolved least recently.
#[test]
fn a_full_set_replaces_its_least_recent_entry() {
    let (root, text) = fake_proc("lru");
    for (pid, start) in [(1u32, 10u64), (3, 30), (5, 50)] {
        fake_stat(&root, pid, "p", start, "/usr/bin/p");
    }
    // Two slots: one set of two ways.
    let mut table = Processes::with_proc_root(2, text).unwrap();
    let now = Instant::now();
    table.resolve(b"1", now);
    table.resolve(b"3", now);
    table.resolve(b"1", now); // fresh: now the most recent
    table.resolve(b"5", now);
    let kept = [b"1", b"3", b"5"].map(|pid| table.info(pid).is_some());
    assert_eq!(kept, [true, false, true]);
}

/// A kernel worker's name longer than a task's 15 bytes is kept whole; a
/// name the kernel cut inside a character ends in U+FFFD.
#[test]
fn parent_name_of_a_long_or_cut_comm() {
    let (root, text) = fake_proc("comm");
    fake_stat(&root, 2001, "kworker/u8:0-ext4-rsv-conversion", 50, "/");
    let mut table = Processes::with_proc_root(64, text).unwrap();
    table.resolve(b"2001", Instant::now());
    let long = table.info(b"2001").unwrap().name.map(str::to_owned);
    let link = root.join("ééééééééé");
    let sleep = ["/usr/bin/sleep", "/bin/sleep"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .unwrap();
    std::os::unix::fs::symlink(sleep, &link).unwrap();
    let mut child = Command::new(&link).arg("30").spawn().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let pid = pid_text(child.id());
    let mut live = Processes::new(64).unwrap();
    live.resolve(pid.as_bytes(), Instant::now());
    let cut = live.info(pid.as_bytes()).unwrap().name.map(str::to_owned);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        long.is_some() && cut.is_some(),
        "a kernel worker's name: {long:?}; a name cut by the kernel in a character: {cut:?}"
    );
    assert_eq!(long.as_deref(), Some("kworker/u8:0-ext4-rsv-conversion"));
    // 15 bytes: seven 2-byte characters and the first byte of the eighth.
    assert_eq!(cut.as_deref(), Some("ééééééé\u{FFFD}"));
}

/// Each byte that is not UTF-8 is one U+FFFD; `comm` longer than any the
/// kernel writes is cut at a character boundary.
#[test]
fn comm_text_is_lossy_and_bounded() {
    assert_eq!(comm_text(b"a\xff\xfeb").as_str(), "a\u{FFFD}\u{FFFD}b");
    let invalid = [0xffu8; COMM_MAX];
    assert_eq!(
        comm_text(&invalid).chars().count(),
        COMM_MAX,
        "the kernel's longest, whole"
    );
    let long = "é".repeat(COMM_TEXT);
    let cut = comm_text(long.as_bytes());
    assert_eq!(cut.len(), COMM_TEXT - COMM_TEXT % 2);
    assert!(cut.chars().all(|c| c == 'é'));
}
