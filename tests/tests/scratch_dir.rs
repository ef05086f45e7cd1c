//! The tests' `ScratchDir` guard (`tests/scratch_dir.rs`): each test's
//! directory is its own, and nothing of it is left once the guard is
//! dropped, also when the test panics.

#[path = "../scratch_dir.rs"]
mod scratch_dir;

use std::path::PathBuf;

use scratch_dir::ScratchDir;

/// A directory with a file and a subdirectory in it, as tests leave them.
fn fill(dir: &ScratchDir) {
    std::fs::create_dir_all(dir.join("sub").join("spool")).unwrap();
    std::fs::write(dir.join("sub").join("spool").join("entries"), b"x").unwrap();
    std::fs::write(dir.join("out.log"), b"line\n").unwrap();
}

#[test]
fn each_guard_has_its_own_directory_removed_with_its_contents_on_drop() {
    let first = ScratchDir::new("scratch-test");
    let second = ScratchDir::new("scratch-test");
    assert_ne!(*first, *second);
    assert!(first.is_dir() && second.is_dir());
    assert!(first.starts_with(std::env::temp_dir()));
    fill(&first);
    let (first_path, second_path) = (first.to_path_buf(), second.to_path_buf());
    drop(first);
    assert!(!first_path.exists(), "{} left behind", first_path.display());
    assert!(second_path.is_dir(), "the other test's directory went too");
    drop(second);
    assert!(!second_path.exists());
}

#[test]
fn a_test_that_panics_leaves_nothing_behind() {
    let made = std::panic::catch_unwind(|| {
        let dir = ScratchDir::new("scratch-panic");
        fill(&dir);
        let path: PathBuf = dir.to_path_buf();
        std::panic::panic_any(path);
    });
    let path = made.unwrap_err().downcast::<PathBuf>().unwrap();
    assert!(path.starts_with(std::env::temp_dir()));
    assert!(
        !path.exists(),
        "{} left behind by the unwind",
        path.display()
    );
}

/// A directory of that name left by an earlier run (killed, its pid come
/// back) is not ours: passed over, and still there after our guard goes.
#[test]
fn a_directory_left_by_an_earlier_run_is_passed_over_and_kept() {
    // More than this file's tests ever take from the count.
    let left: Vec<PathBuf> = (0..64)
        .map(|n| {
            std::env::temp_dir().join(format!("raudit-scratch-left-{}-{n}", std::process::id()))
        })
        .collect();
    for path in &left {
        std::fs::create_dir(path).unwrap();
        std::fs::write(path.join("theirs"), b"x").unwrap();
    }
    let ours = ScratchDir::new("scratch-left");
    let ours_path = ours.to_path_buf();
    drop(ours);
    let kept = left.iter().all(|p| p.join("theirs").is_file());
    for path in &left {
        std::fs::remove_dir_all(path).unwrap();
    }
    assert!(!left.contains(&ours_path), "{} taken", ours_path.display());
    assert!(kept, "an earlier run's directory was removed");
    assert!(!ours_path.exists());
}
