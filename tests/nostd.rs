//! The `#![no_std]` example (examples/nostd) builds, spawns `/bin/echo
//! hello`, and links no allocator.
//!
//! It is a package of its own (it needs `panic = "abort"`), built here with
//! the cargo that runs the tests, into a target directory under this
//! package's.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;

use object::{Object, ObjectSymbol};

/// Builds the example once per test run and returns the program's path.
fn example() -> &'static Path {
    static PROGRAM: OnceLock<PathBuf> = OnceLock::new();
    PROGRAM.get_or_init(|| {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/nostd/Cargo.toml");
        let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("nostd");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
        let out = std::process::Command::new(cargo)
            .args(["build", "--quiet", "--manifest-path"])
            .arg(&manifest)
            .arg("--target-dir")
            .arg(&target)
            .stdin(Stdio::null())
            .output()
            .expect("run cargo");
        assert!(
            out.status.success(),
            "building the no_std example failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        target.join("debug").join("forkexec-nostd-example")
    })
}

fn strategy_name() -> &'static str {
    match common::strategy() {
        forkexec::Strategy::Fork => "fork",
        forkexec::Strategy::Vfork => "vfork",
        _ => "auto",
    }
}

#[test]
fn the_no_std_example_spawns_echo_and_waits() {
    let out = std::process::Command::new(example())
        .arg(strategy_name())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "",
        "the example reported a failure"
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello\n");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn the_no_std_example_rejects_a_bad_argument() {
    let out = std::process::Command::new(example())
        .arg("no-such-strategy")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(out.stdout, b"");
}

/// The symbols `path` imports from shared libraries, and the names in its
/// own symbol table.
fn symbols(path: &Path) -> (BTreeSet<String>, BTreeSet<String>) {
    let data = std::fs::read(path).unwrap();
    let file = object::File::parse(&*data).unwrap();
    let imports = file
        .dynamic_symbols()
        .filter(|s| s.is_undefined())
        .filter_map(|s| s.name().ok().map(str::to_owned))
        .collect();
    let own = file
        .symbols()
        .filter_map(|s| s.name().ok().map(str::to_owned))
        .collect();
    (imports, own)
}

const HEAP_FUNCTIONS: [&str; 8] = [
    "malloc",
    "calloc",
    "realloc",
    "free",
    "posix_memalign",
    "aligned_alloc",
    "memalign",
    "valloc",
];

/// Imports of libc's heap functions, and symbols of Rust's allocator shim.
fn heap_use(path: &Path) -> Vec<String> {
    let (imports, own) = symbols(path);
    let mut found: Vec<String> = imports
        .iter()
        .filter(|name| HEAP_FUNCTIONS.contains(&name.as_str()))
        .cloned()
        .collect();
    found.extend(
        own.iter()
            .filter(|n| n.contains("__rust_alloc") || n.contains("__rdl_alloc"))
            .cloned(),
    );
    found
}

#[test]
fn the_no_std_example_uses_no_heap_and_no_std_runtime() {
    // This checks the program itself: it neither calls libc's heap
    // functions nor contains Rust's allocator. What libc does inside its
    // own start-up code is libc's business and is not looked at.
    let program = example();
    let (imports, own) = symbols(program);
    // The listing works: the program does import libc's `environ` and
    // `write`, and defines `main`.
    assert!(imports.contains("environ"), "{imports:?}");
    assert!(imports.contains("write"), "{imports:?}");
    assert!(own.contains("main"), "no symbol table to check");

    assert_eq!(heap_use(program), Vec::<String>::new());
    // std's runtime would bring thread and signal-stack set-up with it.
    let threads: Vec<&String> = imports
        .iter()
        .filter(|n| n.starts_with("pthread_"))
        .collect();
    assert_eq!(threads, Vec::<&String>::new());

    // The control: this test binary, built with std, does use the heap.
    let this = std::env::current_exe().unwrap();
    assert!(!heap_use(&this).is_empty());
}
