//! A failed child leaves without running `atexit` handlers and without
//! flushing stdio buffers it inherited; libc's `fork()` followed by `exit()`,
//! as the control, does both.
//!
//! Each scenario runs in a fresh copy of this test binary (started with
//! `FORKEXEC_TEST_SCENARIO`, before the test harness's `main`), so that it
//! owns its standard output and is single-threaded. It writes what the
//! handlers and buffers produce to its standard output, which the test reads.

mod common;

use std::ffi::OsStr;
use std::process::Stdio;

use forkexec::{Command, Step};

const SCENARIO_VAR: &str = "FORKEXEC_TEST_SCENARIO";

/// Runs this test binary as `scenario` and returns its standard output.
fn run_scenario(scenario: &str) -> String {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = match common::emulator() {
        Some(emulator) => {
            let mut cmd = std::process::Command::new(&emulator[0]);
            cmd.args(&emulator[1..]).arg(exe);
            cmd
        }
        None => std::process::Command::new(exe),
    };
    let out = cmd
        .env(SCENARIO_VAR, scenario)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "scenario {scenario}: {:?}",
        out.status
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn atexit_handlers_do_not_run_in_a_failed_child() {
    assert_eq!(run_scenario("atexit"), "");
    // The control: a child of fork() that calls exit() runs the handler.
    assert_eq!(run_scenario("atexit-control"), "handler ran\n");
}

#[test]
fn stdio_buffers_are_not_flushed_by_a_failed_child() {
    assert_eq!(run_scenario("stdio"), "buffered, not flushed|");
    // The control: a child of fork() that calls exit() flushes its copy.
    assert_eq!(
        run_scenario("stdio-control"),
        "buffered, not flushed|buffered, not flushed|"
    );
}

extern "C" fn write_marker() {
    let text = b"handler ran\n";
    // SAFETY: write is given a static buffer of its length.
    unsafe { libc::write(1, text.as_ptr().cast(), text.len()) };
}

/// Spawns that fail in the child at several steps, and one that execs.
fn spawn_some() {
    let not_found = Command::new(c"/nonexistent/program");
    assert_eq!(common::spawn(&not_found).unwrap_err().step(), Step::Exec);
    let bad_dir = *Command::new(c"/bin/true").dir(c"/nonexistent");
    assert_eq!(common::spawn(&bad_dir).unwrap_err().step(), Step::Chdir);
    let bad_group = *Command::new(c"/bin/true").pgid(4_194_304);
    assert_eq!(common::spawn(&bad_group).unwrap_err().step(), Step::Setpgid);
    let ok = common::spawn(&Command::new(c"/bin/true")).unwrap();
    assert!(ok.wait().unwrap().success());
}

/// libc's fork; the child leaves through `exit`, as a careless spawner's
/// failed child would.
fn fork_and_exit() {
    // SAFETY: the child only calls exit; this process is single-threaded.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: exit runs the atexit handlers and flushes stdio: the point.
        unsafe { libc::exit(0) };
    }
    assert!(pid > 0);
    let mut status = 0;
    // SAFETY: `status` is a live c_int.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
}

// The scenarios. The hook runs before `main`, from `.init_array`; it returns
// at once unless FORKEXEC_TEST_SCENARIO is set.
#[used]
#[unsafe(link_section = ".init_array")]
static SCENARIO_HOOK: extern "C" fn() = play_scenario;

extern "C" fn play_scenario() {
    let Some(scenario) = std::env::var_os(SCENARIO_VAR) else {
        return;
    };
    match scenario.as_os_str() {
        s if s == OsStr::new("atexit") || s == OsStr::new("atexit-control") => {
            // SAFETY: the handler is a plain function valid forever.
            assert_eq!(unsafe { libc::atexit(write_marker) }, 0);
            if s == OsStr::new("atexit") {
                spawn_some();
            } else {
                fork_and_exit();
            }
            // The process itself leaves without its handlers.
            // SAFETY: _exit ends the process at once.
            unsafe { libc::_exit(0) };
        }
        s if s == OsStr::new("stdio") || s == OsStr::new("stdio-control") => {
            // Standard output is a pipe, so stdio buffers it fully: the
            // text stays in the buffer until exit flushes it.
            // SAFETY: a NUL-terminated format without conversions.
            unsafe { libc::printf(c"buffered, not flushed|".as_ptr()) };
            if s == OsStr::new("stdio") {
                spawn_some();
            } else {
                fork_and_exit();
            }
            // SAFETY: exit flushes this process's buffer once.
            unsafe { libc::exit(0) };
        }
        other => panic!("unknown scenario {other:?}"),
    }
}
