//! The enricher's tests: names, groups, account ids and their caches'
//! changes, process identities, containers, the host name.

use super::*;
use raudit_core::assemble::{Assembler, EventSlot, RecordSlot, Settings};
use raudit_core::encode::Shape;
use raudit_core::record::Record;
use raudit_core::time::Instant;

/// Assembles the SYSCALL event of `syscall_body` (serial 7) and hands
/// it to `each`.
fn with_event(syscall_body: &str, each: &mut dyn FnMut(&raudit_core::assemble::Event<'_>)) {
    let mut assembler = Assembler::new(
        Settings::default(),
        [EventSlot::default(); 4],
        [RecordSlot::default(); 16],
        [0u8; 4096],
    );
    for (msg_type, body) in [(1300, syscall_body), (1320, "")] {
        let payload = format!("audit(1700000000.042:7): {body}");
        let record = Record::from_kernel(MessageType(msg_type), payload.as_bytes()).unwrap();
        assembler.push(&record, Instant(0), &mut |event| each(event));
    }
}

/// The group name of `gid` after preparing an event with these ids.
fn group_after(enricher: &mut Enricher, gid: &str) -> Option<String> {
    let body = format!("arch=c000003e syscall=2 uid=0 gid={gid} egid={gid} comm=\"x\"");
    with_event(&body, &mut |event| {
        let uids = UidValues::of_event(event);
        enricher.prepare(event, &uids);
    });
    enricher.group_name(gid.as_bytes()).map(str::to_owned)
}

/// The ECS document of a SYSCALL event by `pid` (child of `ppid`),
/// enriched by `enricher`.
fn ecs_of(enricher: &mut Enricher, pid: u32, ppid: u32) -> serde_json::Value {
    let body = format!("arch=c000003e syscall=2 success=yes exit=3 ppid={ppid} pid={pid} uid=0 comm=\"sleep\" exe=\"/bin/sleep\"");
    let mut doc = None;
    with_event(&body, &mut |event| {
        let mut out = vec![0u8; 8192];
        let encoded = raudit_core::encode::ecs(event, enricher, &mut out);
        doc = Some(serde_json::from_slice(&out[..encoded.len]).unwrap());
    });
    doc.unwrap()
}

/// In the ECS shape a live process and its parent get their entity
/// ids, the parent its executable and name; two events of one process
/// share its id.
#[test]
fn ecs_events_carry_process_identities() {
    let mut enricher = Enricher::new(8, false).with_processes(true);
    assert!(
        enricher.processes.is_some(),
        "the boot id (/proc/sys/kernel/random/boot_id) was not read"
    );
    let mut child = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let me = std::process::id();
    let first = ecs_of(&mut enricher, child.id(), me);
    let second = ecs_of(&mut enricher, child.id(), me);
    child.kill().unwrap();
    child.wait().unwrap();
    let id = first["process"]["entity_id"].as_str().unwrap();
    assert_eq!(id.len(), 64);
    assert_eq!(second["process"]["entity_id"], id);
    let parent = &first["process"]["parent"];
    assert_eq!(parent["pid"], me);
    assert_ne!(parent["entity_id"], id);
    let exe = std::env::current_exe().unwrap();
    assert_eq!(parent["executable"], exe.to_str().unwrap());
    assert!(parent["name"].is_string());
}

/// Gids are named from the group database (gid 0 is `root` on every
/// Linux), only for the shapes that write group names.
#[test]
fn gids_are_named_from_the_group_database() {
    let mut named = Enricher::new(8, false).with_group_names(true);
    assert_eq!(group_after(&mut named, "0").as_deref(), Some("root"));
    assert_eq!(group_after(&mut named, "4294967295"), None);
    let mut plain = Enricher::new(8, false);
    assert_eq!(
        group_after(&mut plain, "0"),
        None,
        "go-audit's shape names none"
    );
}

/// The ECS shape says which gids it writes (`prepare_named`): they are
/// named without a scan of the records, the others are not looked up.
#[test]
fn ecs_names_the_groups_it_writes() {
    let mut enricher = Enricher::new(8, false).with_group_names(true);
    let body = "arch=c000003e syscall=2 success=yes uid=0 gid=0 egid=0 comm=\"x\" fgid=12345";
    let mut doc = None;
    with_event(body, &mut |event| {
        let mut out = vec![0u8; 8192];
        let encoded = raudit_core::encode::ecs(event, &mut enricher, &mut out);
        doc = Some(serde_json::from_slice::<serde_json::Value>(&out[..encoded.len]).unwrap());
    });
    let doc = doc.unwrap();
    assert_eq!(doc["user"]["group"]["name"], "root", "{doc}");
    assert_eq!(doc["user"]["effective"]["group"]["name"], "root", "{doc}");
    assert_eq!(
        enricher.gids.lookups(),
        1,
        "gid 0 once; not the SYSCALL's fgid (no id field: not named)"
    );
}

/// Each gid key is named wherever it comes in the record, as it is
/// read in one pass over the keys.
#[test]
fn every_gid_key_is_named() {
    for key in id_fields::GROUP_KEYS {
        let key = std::str::from_utf8(key).unwrap();
        let mut named = Enricher::new(8, false).with_group_names(true);
        let other = if key == "gid" { "egid" } else { "gid" };
        let body = format!("arch=c000003e syscall=2 uid=5 {other}=5 {key}=0 comm=\"x\" key=\"k\"");
        with_event(&body, &mut |event| {
            let uids = UidValues::of_event(event);
            named.prepare(event, &uids);
        });
        assert_eq!(named.group_name(b"0"), Some("root"), "{key}");
    }
}

/// A fake database: uid/gid 1001 is `bob`/`staff`, 0 is `root`, no
/// other.
fn fake_name(id: u32, out: &mut [u8]) -> std::io::Result<Option<usize>> {
    let name: &[u8] = match id {
        0 => b"root",
        1001 => b"bob",
        _ => return Ok(None),
    };
    out[..name.len()].copy_from_slice(name);
    Ok(Some(name.len()))
}

fn fake_group(id: u32, out: &mut [u8]) -> std::io::Result<Option<usize>> {
    let name: &[u8] = match id {
        0 => b"root",
        1001 => b"staff",
        _ => return Ok(None),
    };
    out[..name.len()].copy_from_slice(name);
    Ok(Some(name.len()))
}

/// The structured document of the one user-space record `body` of
/// type `msg_type`, enriched (and so prepared) by `enricher`.
fn structured_of(enricher: &mut Enricher, msg_type: u16, body: &str) -> serde_json::Value {
    user_record_document(enricher, Shape::Structured, msg_type, body)
}

/// The document in `shape` of the one user-space record `body` of
/// type `msg_type`, enriched (and so prepared) by `enricher`.
fn user_record_document(
    enricher: &mut Enricher,
    shape: Shape,
    msg_type: u16,
    body: &str,
) -> serde_json::Value {
    user_record_document_at(enricher, shape, (msg_type, body), 7)
}

/// [`user_record_document`] of the event numbered `serial`.
fn user_record_document_at(
    enricher: &mut Enricher,
    shape: Shape,
    (msg_type, body): (u16, &str),
    serial: u32,
) -> serde_json::Value {
    let mut assembler = Assembler::new(
        Settings {
            type_min: 1000,
            ..Settings::default()
        },
        [EventSlot::default(); 4],
        [RecordSlot::default(); 16],
        [0u8; 4096],
    );
    let payload = format!("audit(1700000000.042:{serial}): {body}");
    let record = Record::from_kernel(MessageType(msg_type), payload.as_bytes()).unwrap();
    let mut doc = None;
    let mut encode = |event: &Event<'_>| {
        let mut out = vec![0u8; 8192];
        let encoded = shape.encode(event, enricher, &mut out);
        doc = Some(serde_json::from_slice(&out[..encoded.len]).unwrap());
    };
    assembler.push(&record, Instant(0), &mut encode);
    assembler.flush(&mut encode);
    doc.expect("the event was assembled")
}

/// The ids inside `msg='…'` are looked up while the event is prepared,
/// users' and groups' by the record's type (ADD_GROUP's `id` is a
/// group's), so the structured shape names them; unset ones are not
/// looked up.
#[test]
fn ids_inside_the_user_message_are_looked_up() {
    let mut enricher = Enricher::new(8, false).with_group_names(true);
    enricher.uids = UidNames::with_lookup(8, fake_name);
    enricher.gids = UidNames::with_lookup(8, fake_group);
    let add_user = "pid=7 uid=0 auid=4294967295 ses=4294967295 msg='op=add-user id=1001 \
                    exe=\"/usr/sbin/useradd\" hostname=? addr=? terminal=? res=success'";
    let doc = structured_of(&mut enricher, 1114, add_user);
    let i = &doc["records"][0]["interpreted"];
    assert_eq!(i["ID"], "bob", "{doc}");
    assert_eq!(i["UID"], "root", "{doc}");
    let add_group = "pid=7 uid=0 auid=4294967295 msg='op=add-group id=1001 new_gid=0 \
                     sauid=-1 res=success'";
    let doc = structured_of(&mut enricher, 1116, add_group);
    let i = &doc["records"][0]["interpreted"];
    assert_eq!(i["ID"], "staff", "{doc}");
    assert_eq!(i["NEW_GID"], "root", "{doc}");
    assert!(i.get("SAUID").is_none(), "{doc}");
    // uid 0 and 1001; gid 1001 and 0: the unset ids never asked.
    assert_eq!((enricher.uids.lookups(), enricher.gids.lookups()), (2, 2));
    // An enricher for the go-audit shape (which names only its
    // uid_map) does not look them up.
    let mut plain = Enricher::new(8, false);
    plain.uids = UidNames::with_lookup(8, fake_name);
    structured_of(&mut plain, 1114, add_user);
    assert_eq!(plain.uids.lookups(), 1, "uid_map's uid 0 only");
}

thread_local! {
    /// The name of user and group 1001 in [`changing_account`]'s
    /// database.
    static ACCOUNT_1001: std::cell::Cell<Option<&'static str>> = const { std::cell::Cell::new(None) };
}

/// A user and group database that changes as the test says: 1001 is
/// [`ACCOUNT_1001`], no other account exists.
fn changing_account(id: u32, out: &mut [u8]) -> std::io::Result<Option<usize>> {
    let Some(name) = ACCOUNT_1001.get().filter(|_| id == 1001) else {
        return Ok(None);
    };
    out[..name.len()].copy_from_slice(name.as_bytes());
    Ok(Some(name.len()))
}

/// `userdel walkuser` deletes user and group 1001, `groupadd
/// walkgroup` gives 1001 to walkgroup: the deletion's records are
/// named as the account was, the addition and every later event as it
/// is now, not from what the cache had kept (auditd's issue #209).
/// The same in every shape (events of each come between), for each
/// record type that adds or changes accounts (`id` a uid in some, a
/// gid in others: 1001 is the same name in both); a rename no record
/// tells is seen after the TTL.
#[test]
fn a_gid_given_to_another_group_is_named_anew() {
    for shape in [Shape::Structured, Shape::Ecs, Shape::GoAudit] {
        let mut enricher = Enricher::new(8, false).with_group_names(true);
        enricher.uids = UidNames::with_lookup(8, changing_account);
        enricher.gids = UidNames::with_lookup(8, changing_account);
        let mut serial = 0;
        let mut name_of_1001 = |enricher: &mut Enricher, msg_type, body| {
            serial += 1;
            // An event of `shape` first (its own lookups, if any).
            user_record_document_at(enricher, shape, (1112, body), serial + 1000);
            user_record_document_at(enricher, Shape::Structured, (msg_type, body), serial)
                ["records"][0]["interpreted"]["ID"]
                .clone()
        };
        // (`new_gid` names the group in every record type.)
        let group = "pid=7 uid=0 auid=4294967295 msg='op=x id=1001 new_gid=1001 res=success'";
        ACCOUNT_1001.set(Some("walkuser"));
        assert_eq!(name_of_1001(&mut enricher, 1112, group), "walkuser");
        ACCOUNT_1001.set(None);
        for deletion in [1115, 1117, 1117] {
            let name = name_of_1001(&mut enricher, deletion, group);
            assert_eq!(name, "walkuser", "{deletion}: as it was");
        }
        ACCOUNT_1001.set(Some("walkgroup"));
        let name = name_of_1001(&mut enricher, 1116, group);
        assert_eq!(name, "walkgroup", "ADD_GROUP: as it is");
        assert_eq!(name_of_1001(&mut enricher, 1112, group), "walkgroup");
        ACCOUNT_1001.set(Some("renamed"));
        let ttl = account_changes::ACCOUNT_TTL.as_millis();
        enricher.tick(Instant(0));
        enricher.tick(Instant(ttl - 1));
        assert_eq!(name_of_1001(&mut enricher, 1112, group), "walkgroup");
        enricher.tick(Instant(ttl));
        assert_eq!(name_of_1001(&mut enricher, 1112, group), "renamed");
        for change in [1102, 1108, 1132, 1133] {
            ACCOUNT_1001.set(Some("before"));
            name_of_1001(&mut enricher, 1116, group);
            let name = name_of_1001(&mut enricher, change, group);
            assert_eq!(name, "before", "{change}: as it was");
            ACCOUNT_1001.set(Some("after"));
            let name = name_of_1001(&mut enricher, 1112, group);
            assert_eq!(name, "after", "after {change}");
        }
        // Other events empty nothing: no lookup for all of these.
        let asked = |e: &Enricher| e.uids.lookups() + e.gids.lookups();
        let before = asked(&enricher);
        for other in [1112, 1115, 1117, 1100] {
            name_of_1001(&mut enricher, other, group);
        }
        assert_eq!(asked(&enricher), before);
    }
}

/// `groupadd walkgroup` then `groupdel walkgroup`: the addition names the
/// new group, and the deletion's records (written once it is gone from
/// the database) still name it, as the addition found it; an addition
/// whose group was not in the database yet (written half-way) has it
/// asked again at the next event.
#[test]
fn an_added_account_is_still_named_by_its_deletion() {
    let mut enricher = Enricher::new(8, false).with_group_names(true);
    enricher.uids = UidNames::with_lookup(8, changing_account);
    enricher.gids = UidNames::with_lookup(8, changing_account);
    let group = "pid=7 uid=0 auid=4294967295 msg='op=x id=1001 new_gid=1001 res=success'";
    let mut serial = 0;
    let mut name_of_1001 = |enricher: &mut Enricher, msg_type| {
        serial += 1;
        user_record_document_at(enricher, Shape::Structured, (msg_type, group), serial)["records"]
            [0]["interpreted"]["ID"]
            .clone()
    };
    ACCOUNT_1001.set(Some("walkgroup"));
    assert_eq!(name_of_1001(&mut enricher, 1116), "walkgroup", "ADD_GROUP");
    // Deleted before any other event asks for it.
    ACCOUNT_1001.set(None);
    for deletion in [1117, 1117] {
        assert_eq!(
            name_of_1001(&mut enricher, deletion),
            "walkgroup",
            "DEL_GROUP"
        );
    }
    // Added while the database was half written: unknown at first...
    assert_eq!(name_of_1001(&mut enricher, 1116), serde_json::Value::Null);
    ACCOUNT_1001.set(Some("late"));
    // ...and asked again once the event is named.
    assert_eq!(name_of_1001(&mut enricher, 1300), "late");
}

/// A fake database of names: user `bob` is 1001, group `staff` is
/// 1001, `root` 0 both, no other.
fn fake_id(name: account_cache::AccountName, id: &mut [u8]) -> std::io::Result<Option<usize>> {
    let text: &[u8] = match name.as_str() {
        "root" => b"0",
        "bob" | "staff" => b"1001",
        "José García" => b"1002",
        _ => return Ok(None),
    };
    id[..text.len()].copy_from_slice(text);
    Ok(Some(text.len()))
}

/// In the ECS shape an account a record names only by name gets its
/// id, looked up once while the event is prepared (ADD_USER's target
/// a user's, ADD_GROUP's group a group's); an unknown name is looked
/// up once too and stays a name alone. Without account ids (the
/// other shapes) none is looked up.
#[test]
fn ecs_accounts_named_by_name_get_their_ids() {
    let mut enricher = Enricher::new(8, false)
        .with_group_names(true)
        .with_account_ids(true);
    let ids = enricher.account_ids.as_mut().unwrap();
    ids.users = NameIds::with_lookup(8, fake_id);
    ids.groups = NameIds::with_lookup(8, fake_id);
    let add_user = "pid=7 uid=0 auid=4294967295 msg='op=add-user acct=\"bob\" res=success'";
    let add_group = "pid=7 uid=0 auid=4294967295 msg='op=add-group acct=\"staff\" res=success'";
    let unknown = "pid=7 uid=0 auid=4294967295 msg='op=add-user acct=\"carol\" res=success'";
    for _ in 0..2 {
        let doc = user_record_document(&mut enricher, Shape::Ecs, 1114, add_user);
        let want = serde_json::json!({"id":"1001","name":"bob"});
        assert_eq!(doc["user"]["target"], want, "{doc}");
        let doc = user_record_document(&mut enricher, Shape::Ecs, 1116, add_group);
        let want = serde_json::json!({"id":"1001","name":"staff"});
        assert_eq!(doc["group"], want, "{doc}");
        let doc = user_record_document(&mut enricher, Shape::Ecs, 1114, unknown);
        let want = serde_json::json!({"name":"carol"});
        assert_eq!(doc["user"]["target"], want, "{doc}");
    }
    let ids = enricher.account_ids.as_ref().unwrap();
    assert_eq!(
        (ids.users.lookups(), ids.groups.lookups()),
        (2, 1),
        "bob and carol, staff: once each"
    );
    let mut off = Enricher::new(8, false).with_group_names(true);
    let doc = user_record_document(&mut off, Shape::Ecs, 1114, add_user);
    assert_eq!(doc["user"]["target"], serde_json::json!({"name":"bob"}));
    assert!(off.account_ids.is_none());
}

/// A hex-encoded name (a space, a byte beyond ASCII, sshd's
/// `(invalid user)`) is looked up by its decoding, once, and gets
/// its id as a plain name does; `(invalid user)` is one miss,
/// remembered. A decoding that is not UTF-8 or longer than the
/// cache's names is not looked up: the name alone.
#[test]
fn ecs_accounts_named_by_hex_encoded_names_get_their_ids() {
    let mut enricher = Enricher::new(8, false)
        .with_group_names(true)
        .with_account_ids(true);
    let ids = enricher.account_ids.as_mut().unwrap();
    ids.users = NameIds::with_lookup(8, fake_id);
    ids.groups = NameIds::with_lookup(8, fake_id);
    let hex = |name: &[u8]| name.iter().map(|b| format!("{b:02X}")).collect::<String>();
    let login = |acct: &str| {
        format!(
            "pid=1 uid=0 auid=4294967295 ses=4294967295 msg='op=login acct={acct} \
             exe=\"/usr/sbin/sshd\" hostname=? addr=10.0.0.1 terminal=ssh res=failed'"
        )
    };
    let add_group = "pid=7 uid=0 auid=4294967295 msg='op=add-group acct=7374616666 res=success'";
    let too_long = hex(&[b'a'; account_cache::NAME_MAX + 1]);
    for _ in 0..2 {
        let mut effective = |acct: &str| {
            let doc = user_record_document(&mut enricher, Shape::Ecs, 1112, &login(acct));
            doc["user"]["effective"].clone()
        };
        let want = serde_json::json!({"id":"0","name":"root"});
        assert_eq!(effective("726F6F74"), want);
        let want = serde_json::json!({"id":"1002","name":"José García"});
        assert_eq!(effective(&hex("José García".as_bytes())), want);
        let want = serde_json::json!({"name":"(invalid user)"});
        assert_eq!(effective(&hex(b"(invalid user)")), want);
        assert!(effective(&too_long).get("id").is_none());
        // Latin-1's "Jos\xe9".
        assert!(effective("4A6F73E9").get("id").is_none());
        let doc = user_record_document(&mut enricher, Shape::Ecs, 1116, add_group);
        let want = serde_json::json!({"id":"1001","name":"staff"});
        assert_eq!(doc["group"], want, "{doc}");
    }
    let ids = enricher.account_ids.as_ref().unwrap();
    assert_eq!(
        (ids.users.lookups(), ids.groups.lookups()),
        (3, 1),
        "root, José García and (invalid user), staff: once each"
    );
}

/// A database that takes 10 ms (of the test's fake clock) a lookup:
/// user `userN` is N.
fn slow_id(name: account_cache::AccountName, id: &mut [u8]) -> std::io::Result<Option<usize>> {
    lookup_budget::fake_clock::advance(std::time::Duration::from_millis(10));
    let text = name.as_str().strip_prefix("user").unwrap_or("");
    id[..text.len()].copy_from_slice(text.as_bytes());
    Ok((!text.is_empty()).then_some(text.len()))
}

/// A flood of new names (each failed login's `acct="…"`) spends the
/// one budget of all the caches: then a name is not looked up, its
/// document has the name alone, the skip is counted, and the uid
/// cache (a new uid) is refused too until the budget refills.
#[test]
fn a_flood_of_names_is_bounded_by_the_lookup_budget() {
    let mut enricher = Enricher::new(8, false).with_account_ids(true);
    enricher.lookup_budget = LookupBudget::with_clock(lookup_budget::fake_clock::now);
    enricher.uids = UidNames::with_lookup(8, fake_name);
    let ids = enricher.account_ids.as_mut().unwrap();
    ids.users = NameIds::with_lookup(64, slow_id);
    let login = |n: u32, uid: u32| {
        format!("pid=7 uid={uid} auid=4294967295 msg='op=login acct=\"user{n}\" res=failed'")
    };
    let mut with_id = 0;
    for n in 1..=20 {
        let doc = user_record_document(&mut enricher, Shape::Ecs, 1112, &login(n, 0));
        let user = &doc["user"]["effective"];
        assert_eq!(user["name"], format!("user{n}"), "{doc}");
        if let Some(id) = user["id"].as_str() {
            assert_eq!(id, n.to_string());
            with_id += 1;
        }
    }
    // uid 0 (no time on the fake clock), then 50 ms of burst: 5 names
    // and a 6th on the time they took.
    assert_eq!(with_id, 6);
    assert_eq!(enricher.lookups_skipped(), 14);
    assert_eq!(enricher.uids.lookups(), 1, "uid 0");
    let doc = user_record_document(&mut enricher, Shape::Ecs, 1112, &login(1, 1000));
    assert_eq!(doc["user"]["effective"]["id"], "1", "cached: {doc}");
    assert_eq!(enricher.uids.lookups(), 1, "uid 1000 refused as well");
    assert_eq!(enricher.lookups_skipped(), 15);
    lookup_budget::fake_clock::advance(std::time::Duration::from_secs(60));
    let doc = user_record_document(&mut enricher, Shape::Ecs, 1112, &login(7, 0));
    assert_eq!(doc["user"]["effective"]["id"], "7", "refilled: {doc}");
}

/// The host name is the kernel's (`uname -n`) at start, and read again
/// every [`host_name::REFRESH`](crate::host_name::REFRESH): a renamed host's events say so within it
/// (one that cannot be read keeps the last). Replay's enricher (no host)
/// reads none.
#[test]
fn the_host_name_is_read_again_while_running() {
    let enricher = Enricher::new(8, false);
    assert_eq!(enricher.host_name(), crate::host_name::read().as_deref());
    let mut enricher = Enricher::new(8, false).with_host_tag(true);
    enricher.host = Some(crate::host_name::Watch::new(host_name::fake::source));
    host_name::fake::set(Some("web-1"));
    enricher.tick(Instant(1_000));
    assert_eq!(enricher.host_name(), Some("web-1"));
    assert_eq!(enricher.host_tag(), Some("web-1"));
    host_name::fake::set(Some("web-2"));
    let refresh = crate::host_name::REFRESH.as_millis() as u64;
    enricher.tick(Instant(1_000 + refresh - 1));
    assert_eq!(enricher.host_name(), Some("web-1"), "not yet read again");
    enricher.tick(Instant(1_000 + refresh));
    assert_eq!(enricher.host_name(), Some("web-2"));
    host_name::fake::set(None);
    enricher.tick(Instant(1_000 + 2 * refresh));
    assert_eq!(enricher.host_name(), Some("web-2"), "unreadable: kept");
    let mut replay = Enricher::new(8, false).without_host();
    host_name::fake::set(Some("web-3"));
    replay.tick(Instant(0));
    assert_eq!(replay.host_name(), None);
}

/// The container id the enricher gives the SYSCALL record of the
/// event `body` (prepared for it first, as the pipeline does).
fn container_of(enricher: &mut Enricher, body: &str) -> Option<String> {
    let mut found = None;
    with_event(body, &mut |event| {
        let uids = UidValues::of_event(event);
        enricher.prepare(event, &uids);
        found = Some(
            enricher
                .container_id(MessageType(SYSCALL), event.records().next().unwrap().body)
                .map(str::to_owned),
        );
    });
    found.expect("the event was assembled")
}

/// A `/proc` of fake processes (pid, comm, start time, cgroup) in a
/// test directory (removed when the guard is dropped), with a boot id.
fn fake_proc(
    tag: &str,
    pids: &[(u32, &str, u64, &str)],
) -> (crate::scratch_dir::ScratchDir, &'static str) {
    let (root, text) = process::tests::fake_proc(&format!("enrich-{tag}"));
    for &(pid, comm, start, cgroup) in pids {
        process::tests::fake_stat(&root, pid, comm, start, &format!("/usr/bin/{comm}"));
        std::fs::write(root.join(pid.to_string()).join("cgroup"), cgroup).unwrap();
    }
    (root, text)
}

/// The pipeline's table has 256 slots: a process whose parent's pid is
/// 256 more keeps its own `process.entity_id`.
#[test]
fn ecs_identity_of_a_process_whose_parent_shares_its_slot() {
    let (_root, text) = fake_proc(
        "slot",
        &[
            (300, "child", 5000, "0::/\n"),
            (556, "parent", 4000, "0::/\n"),
        ],
    );
    let mut enricher = Enricher::new(8, false);
    enricher.processes = Processes::with_proc_root(256, text); // as with_processes(true)
    let doc = ecs_of(&mut enricher, 300, 556);
    assert!(doc["process"]["parent"]["entity_id"].is_string(), "{doc}");
    assert!(
        doc["process"]["entity_id"].is_string(),
        "process.entity_id missing: {doc}"
    );
}

/// A process that exited before its event was enriched gets its
/// parent's container, as in go-audit.
#[test]
fn container_of_an_exited_process_is_its_parents() {
    const ID: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let cgroup = format!("0::/system.slice/docker-{ID}.scope\n");
    let (_root, text) = fake_proc("gone", &[(556, "sh", 4000, &cgroup)]);
    let mut enricher = Enricher::new(8, false);
    enricher.containers = Some(ContainerIds::with_proc_root(4096, text));
    let body = "arch=c000003e syscall=2 success=yes exit=3 ppid=556 pid=300 uid=0 comm=\"cat\" exe=\"/bin/cat\"";
    let found = container_of(&mut enricher, body);
    // In the same slot as its parent (4096 apart): still the parent's.
    let body = body.replace("pid=300", &format!("pid={}", 556 + 4096));
    let same_slot = container_of(&mut enricher, &body);
    assert_eq!(found.as_deref(), Some(ID));
    assert_eq!(same_slot.as_deref(), Some(ID));
}

/// A live process on the host is not given its parent's container.
#[test]
fn a_live_host_process_is_not_given_its_parents_container() {
    const ID: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let cgroup = format!("0::/system.slice/docker-{ID}.scope\n");
    let (_root, text) = fake_proc(
        "host",
        &[
            (556, "sh", 4000, &cgroup),
            (300, "cat", 5000, "0::/user.slice\n"),
        ],
    );
    let mut enricher = Enricher::new(8, false);
    enricher.containers = Some(ContainerIds::with_proc_root(4096, text));
    let body = "arch=c000003e syscall=2 success=yes exit=3 ppid=556 pid=300 uid=0 comm=\"cat\" exe=\"/bin/cat\"";
    let found = container_of(&mut enricher, body);
    assert_eq!(found, None);
}
