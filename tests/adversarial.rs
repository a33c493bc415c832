//! Hostile inputs and odd process states, tried the way a new user of the
//! crate would try them: through the API and through the `run` example,
//! with the strategy of `FORKEXEC_TEST_STRATEGY` (CI runs this file once per
//! strategy).
//!
//! Every case asserts the behaviour the README and the API docs promise; a
//! case that matches that promise today is a regression test.
//!
//! Cases that change process-wide state (signal actions, resource limits,
//! credentials, the descriptor table), or that count descriptors and
//! children, run in a process of their own: this test binary started again
//! with `FORKEXEC_ADVERSARIAL_ROLE` naming the case. The role runs from
//! `.init_array`, before the test harness starts any thread, prints one line
//! per check (`ok NAME: ...` or `FAIL NAME: ...`) and exits. Every process
//! started here, every wait and every thread that might block has a
//! deadline, so a hang fails its test instead of stalling the suite.
#![cfg(target_os = "linux")]

mod common;

use std::collections::BTreeMap;
use std::ffi::{CStr, CString, OsStr};
use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Write as _};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{Probe, Scratch, fd_target, pipe, strategy};
use forkexec::{
    CStrArray, Child, Command, Errno, Error, ExitStatus, MAX_FDS, SigSet, Slot, Step, Strategy,
};

/// How long any process, thread or wait started here may take.
const DEADLINE: Duration = Duration::from_secs(30);

/// A descriptor number that no test process has open.
const UNOPENED_FD: RawFd = 900;

// ---------------------------------------------------------------------------
// Helpers for the in-process cases.

/// `within(what, f)` — runs `f` on a thread of its own and fails the test
/// when it has not returned after [`DEADLINE`].
fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        let _ = tx.send(result);
    });
    match rx.recv_timeout(DEADLINE) {
        Ok(Ok(value)) => value,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("{what}: not done after {DEADLINE:?}, it hangs"),
    }
}

/// `fails(cmd)` — the error of a spawn that must fail (the child, if one is
/// made after all, is killed and reaped before the test fails).
fn fails(cmd: &Command<'_>) -> Error {
    match common::spawn(cmd) {
        Ok(child) => {
            let _ = child.kill(libc::SIGKILL);
            let status = child.wait();
            panic!("the spawn succeeded (the child ended {status:?}); an error was expected")
        }
        Err(e) => e,
    }
}

/// `assert_fails(cmd, step, errno)` — the spawn fails at `step` with `errno`.
fn assert_fails(cmd: &Command<'_>, step: Step, errno: Errno) {
    let e = fails(cmd);
    assert_eq!((e.step(), e.errno()), (step, errno), "got {e}");
}

/// `output_bytes(cmd)` — runs `cmd` (its map replaced by 0 inherited, 1 on a
/// pipe, 2 inherited) and returns how it ended and what it wrote on 1.
fn output_bytes(cmd: &Command<'_>) -> (ExitStatus, Vec<u8>) {
    let (read, write) = pipe();
    let map = [Slot::Fd(0), Slot::Fd(write.as_raw_fd()), Slot::Fd(2)];
    let mut cmd = *cmd;
    cmd.fds(&map);
    let child = common::spawn(&cmd);
    drop(write);
    let child = child.expect("spawn");
    let mut bytes = Vec::new();
    fs::File::from(read)
        .read_to_end(&mut bytes)
        .expect("read the child's output");
    (child.wait().expect("wait"), bytes)
}

/// `owned(items)` — owned C strings.
fn owned<S: AsRef<[u8]>>(items: impl IntoIterator<Item = S>) -> Vec<CString> {
    items
        .into_iter()
        .map(|s| CString::new(s.as_ref()).expect("no NUL inside"))
        .collect()
}

/// `refs(strings)` — the strings as `&CStr`.
fn refs(strings: &[CString]) -> Vec<&CStr> {
    strings.iter().map(CString::as_c_str).collect()
}

/// The `/proc/self/status` lines of a child that `cat`s it, with `setup`
/// applied to the command.
fn child_status(setup: impl FnOnce(&mut Command<'_>)) -> BTreeMap<String, String> {
    let argv = CStrArray::<4>::from_slice(&[c"cat", c"/proc/self/status"]).unwrap();
    let mut cmd = Command::new(c"/bin/cat");
    cmd.args(&argv);
    setup(&mut cmd);
    let (status, out) = output_bytes(&cmd);
    assert_eq!(status, ExitStatus::Exited(0));
    String::from_utf8_lossy(&out)
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_owned(), v.trim().to_owned()))
        .collect()
}

fn sig_bits(status: &BTreeMap<String, String>, key: &str) -> u64 {
    u64::from_str_radix(&status[key], 16).expect("a hexadecimal signal set")
}

fn bit(sig: i32) -> u64 {
    1 << (sig - 1)
}

// ---------------------------------------------------------------------------
// Strings: the program, argv, envp.

#[test]
fn an_empty_program_is_a_path_enoent() {
    assert_fails(&Command::new(c""), Step::Path, Errno::ENOENT);
}

#[test]
fn a_program_of_only_a_slash_is_exec_eacces() {
    assert_fails(&Command::new(c"/"), Step::Exec, Errno::EACCES);
}

#[test]
fn a_directory_as_the_program_is_exec_eacces() {
    assert_fails(&Command::new(c"/tmp"), Step::Exec, Errno::EACCES);
    assert_fails(&Command::new(c"/tmp/"), Step::Exec, Errno::EACCES);
}

#[test]
fn a_trailing_slash_after_a_file_is_exec_enotdir() {
    assert_fails(&Command::new(c"/bin/true/"), Step::Exec, Errno::ENOTDIR);
}

#[test]
fn a_path_longer_than_path_max_is_exec_enametoolong() {
    let long = CString::new(format!("/{}true", "./".repeat(3000))).unwrap();
    assert!(long.as_bytes().len() > libc::PATH_MAX as usize);
    assert_fails(&Command::new(&long), Step::Exec, Errno::ENAMETOOLONG);
}

#[test]
fn a_name_longer_than_name_max_is_a_path_enametoolong() {
    let long = CString::new("a".repeat(5000)).unwrap();
    assert_fails(&Command::new(&long), Step::Path, Errno::ENAMETOOLONG);
}

#[test]
fn one_argument_longer_than_max_arg_strlen_is_exec_e2big() {
    // MAX_ARG_STRLEN is 32 pages: 128 KiB with 4 KiB pages.
    let strings = owned([b"true".to_vec(), vec![b'x'; 300 * 1024]]);
    let argv = CStrArray::<4>::from_slice(&refs(&strings)).unwrap();
    let mut cmd = Command::new(c"/bin/true");
    cmd.args(&argv);
    assert_fails(&cmd, Step::Exec, Errno::E2BIG);
}

#[test]
fn arguments_beyond_arg_max_are_exec_e2big() {
    // 80 strings of 100 kB: 8 MB, above the limit whatever RLIMIT_STACK is
    // (a quarter of it, at most three quarters of 8 MiB).
    let big = CString::new(vec![b'x'; 100_000]).unwrap();
    let mut argv = CStrArray::<128>::new();
    argv.push(c"true").unwrap();
    for _ in 0..80 {
        argv.push(&big).unwrap();
    }
    let mut cmd = Command::new(c"/bin/true");
    cmd.args(&argv);
    assert_fails(&cmd, Step::Exec, Errno::E2BIG);
}

#[test]
fn an_environment_beyond_arg_max_is_exec_e2big() {
    let mut vars = Vec::new();
    for i in 0..80 {
        let mut v = format!("K{i}=").into_bytes();
        v.extend(std::iter::repeat_n(b'y', 100_000));
        vars.push(v);
    }
    let vars = owned(vars);
    let envp = CStrArray::<128>::from_slice(&refs(&vars)).unwrap();
    let mut cmd = Command::new(c"/bin/true");
    cmd.env(&envp);
    assert_fails(&cmd, Step::Exec, Errno::E2BIG);
}

#[test]
fn non_utf8_bytes_pass_through_argv_and_envp_unchanged() {
    let strings = owned([&b"printf"[..], b"%s|%s", b"\xff\xfe", b"\x80"]);
    let argv = CStrArray::<8>::from_slice(&refs(&strings)).unwrap();
    let mut cmd = Command::new(c"/usr/bin/printf");
    cmd.args(&argv);
    let (status, out) = output_bytes(&cmd);
    assert_eq!(status, ExitStatus::Exited(0));
    assert_eq!(out, b"\xff\xfe|\x80");

    let vars = owned([&b"K=\xff"[..]]);
    let envp = CStrArray::<4>::from_slice(&refs(&vars)).unwrap();
    let argv = CStrArray::<4>::from_slice(&[c"env"]).unwrap();
    let mut cmd = Command::new(c"/usr/bin/env");
    cmd.args(&argv).env(&envp);
    let (status, out) = output_bytes(&cmd);
    assert_eq!(status, ExitStatus::Exited(0));
    assert_eq!(out, b"K=\xff\n");
}

#[test]
fn a_one_slot_env_array_gives_an_empty_environment() {
    let envp = CStrArray::<1>::new();
    let argv = CStrArray::<4>::from_slice(&[c"env"]).unwrap();
    let mut cmd = Command::new(c"/usr/bin/env");
    cmd.args(&argv).env(&envp);
    let (status, out) = output_bytes(&cmd);
    assert_eq!(status, ExitStatus::Exited(0));
    assert_eq!(out, b"");
}

#[test]
fn argv_arrays_with_no_string_are_invalid() {
    let one = CStrArray::<1>::new();
    let mut cmd = Command::new(c"/bin/true");
    cmd.args(&one);
    assert_fails(&cmd, Step::Invalid, Errno::EINVAL);
    let only_null: [*const libc::c_char; 1] = [std::ptr::null()];
    let mut cmd = Command::new(c"/bin/true");
    // SAFETY: a null-terminated array (of no string) that outlives `cmd`.
    unsafe { cmd.args_raw(only_null.as_ptr()) };
    assert_fails(&cmd, Step::Invalid, Errno::EINVAL);
}

#[test]
fn a_one_slot_array_refuses_a_string() {
    let mut zero = CStrArray::<1>::new();
    let e = zero.push(c"x").map(|_| ()).unwrap_err();
    assert_eq!((e.step(), e.errno()), (Step::Invalid, Errno::E2BIG));
    assert!(zero.is_empty());
}

// ---------------------------------------------------------------------------
// Descriptor maps.

#[test]
fn a_map_of_max_fds_slots_from_one_source_fills_every_slot() {
    let (read, write) = pipe();
    let w = write.as_raw_fd();
    let mut map = vec![Slot::Fd(w); MAX_FDS];
    map[0] = Slot::Fd(0);
    let argv =
        CStrArray::<4>::from_slice(&[c"sh", c"-c", c"test -e /dev/fd/511 && echo ok"]).unwrap();
    let mut cmd = Command::new(c"/bin/sh");
    cmd.args(&argv).fds(&map);
    let child = common::spawn(&cmd);
    drop(write);
    let child = child.expect("spawn with MAX_FDS slots");
    assert_eq!(common::read_all(read), "ok\n");
    assert_eq!(child.wait().unwrap(), ExitStatus::Exited(0));
}

#[test]
fn a_map_of_max_fds_plus_one_slots_is_invalid_e2big() {
    let map = vec![Slot::Fd(2); MAX_FDS + 1];
    let mut cmd = Command::new(c"/bin/true");
    cmd.fds(&map);
    assert_fails(&cmd, Step::Invalid, Errno::E2BIG);
}

#[test]
fn the_highest_slot_alone_is_the_only_descriptor_above_2() {
    let (read, write) = pipe();
    let mut map = vec![Slot::Closed; MAX_FDS];
    map[0] = Slot::Fd(0);
    map[1] = Slot::Fd(write.as_raw_fd());
    map[2] = Slot::Fd(2);
    map[MAX_FDS - 1] = Slot::Fd(write.as_raw_fd());
    let script = c"for f in /proc/self/fd/*; do n=${f##*/}; [ $n -gt 2 ] && echo $n; done; :";
    let argv = CStrArray::<4>::from_slice(&[c"sh", c"-c", script]).unwrap();
    let mut cmd = Command::new(c"/bin/sh");
    cmd.args(&argv).fds(&map);
    let child = common::spawn(&cmd);
    drop(write);
    let child = child.expect("spawn");
    let listed = common::read_all(read);
    assert_eq!(child.wait().unwrap(), ExitStatus::Exited(0));
    // The glob's own directory descriptor may show up too: the lowest free
    // number, 3.
    let above: Vec<&str> = listed.lines().filter(|l| *l != "3").collect();
    assert_eq!(
        above,
        ["511"],
        "descriptors above 2 in the child: {listed:?}"
    );
}

#[test]
fn a_source_that_is_not_open_is_an_fd_ebadf() {
    for source in [UNOPENED_FD, 65_535, i32::MAX] {
        let map = [Slot::Fd(0), Slot::Fd(source), Slot::Fd(2)];
        let mut cmd = Command::new(c"/bin/true");
        cmd.fds(&map);
        assert_fails(&cmd, Step::Fd, Errno::EBADF);
    }
}

#[test]
fn a_negative_source_is_invalid_ebadf() {
    for source in [-1, i32::MIN] {
        let map = [Slot::Fd(0), Slot::Fd(source), Slot::Fd(2)];
        let mut cmd = Command::new(c"/bin/true");
        cmd.fds(&map);
        assert_fails(&cmd, Step::Invalid, Errno::EBADF);
    }
}

#[test]
fn a_map_with_every_slot_closed_leaves_the_child_no_descriptor() {
    for len in [0, 3, 64] {
        let map = vec![Slot::Closed; len];
        let script = c"for f in 0 1 2 3; do test -e /dev/fd/$f && exit 9; done; exit 7";
        let argv = CStrArray::<4>::from_slice(&[c"sh", c"-c", script]).unwrap();
        let mut cmd = Command::new(c"/bin/sh");
        cmd.args(&argv).fds(&map);
        let child = common::spawn(&cmd).expect("spawn");
        assert_eq!(child.wait().unwrap(), ExitStatus::Exited(7), "map of {len}");
    }
}

/// Maps whose sources are each other's slots, a source far above the map,
/// duplicates and cycles, in a process whose whole table the role sets up.
#[test]
fn maps_over_a_controlled_descriptor_table() {
    role("fd_maps");
}

#[test]
fn close_other_fds_with_hundreds_of_inheritable_descriptors() {
    role("close_other_many");
}

// ---------------------------------------------------------------------------
// Attributes in odd or contradictory combinations.

#[test]
fn uid_or_gid_minus_one_is_invalid() {
    let mut cmd = Command::new(c"/bin/true");
    cmd.uid(u32::MAX);
    assert_fails(&cmd, Step::Invalid, Errno::EINVAL);
    let mut cmd = Command::new(c"/bin/true");
    cmd.gid(u32::MAX);
    assert_fails(&cmd, Step::Invalid, Errno::EINVAL);
}

#[test]
fn joining_a_process_group_that_does_not_exist_fails_in_setpgid() {
    let mut cmd = Command::new(c"/bin/true");
    cmd.pgid(99_999_999);
    assert_fails(&cmd, Step::Setpgid, Errno::EPERM);
}

#[test]
fn a_negative_pgid_or_ctty_is_invalid() {
    let mut cmd = Command::new(c"/bin/true");
    cmd.pgid(-1);
    assert_fails(&cmd, Step::Invalid, Errno::EINVAL);
    let mut cmd = Command::new(c"/bin/true");
    cmd.ctty(-1).foreground();
    assert_fails(&cmd, Step::Invalid, Errno::EBADF);
    let mut cmd = Command::new(c"/bin/true");
    cmd.ctty(-1).setsid().setctty();
    assert_fails(&cmd, Step::Invalid, Errno::EBADF);
}

#[test]
fn setctty_on_a_closed_slot_is_invalid() {
    let map = [Slot::Fd(0), Slot::Fd(1), Slot::Fd(2), Slot::Closed];
    let mut cmd = Command::new(c"/bin/true");
    cmd.fds(&map).ctty(3).setsid().setctty();
    assert_fails(&cmd, Step::Invalid, Errno::EBADF);
}

/// After `setsid` the child has no controlling terminal, so `TIOCNOTTY`
/// cannot succeed: the README promises that contradictory requests are
/// rejected before the fork.
#[test]
fn setsid_with_noctty_is_rejected_before_the_fork() {
    let mut cmd = Command::new(c"/bin/true");
    cmd.setsid().noctty();
    let e = fails(&cmd);
    assert_eq!(e.step(), Step::Invalid, "got {e}");
}

/// `noctty` acts on descriptor 0; a map that closes 0 makes it impossible,
/// which the parent can see before the fork (as it does for `setctty`).
#[test]
fn noctty_with_descriptor_0_closed_by_the_map_is_rejected_before_the_fork() {
    let map = [Slot::Closed, Slot::Fd(1), Slot::Fd(2)];
    let mut cmd = Command::new(c"/bin/true");
    cmd.fds(&map).noctty();
    let e = fails(&cmd);
    assert_eq!(e.step(), Step::Invalid, "got {e}");
}

#[test]
fn bad_signal_numbers_are_invalid() {
    for sig in [0, -1, 65, i32::MAX, i32::MIN] {
        let e = SigSet::empty().with(sig).unwrap_err();
        assert_eq!(
            (e.step(), e.errno()),
            (Step::Invalid, Errno::EINVAL),
            "{sig}"
        );
        let e = SigSet::full().without(sig).unwrap_err();
        assert_eq!(
            (e.step(), e.errno()),
            (Step::Invalid, Errno::EINVAL),
            "{sig}"
        );
    }
}

/// Signals 32 and 33, which glibc keeps for itself, are left out here: the
/// test process may inherit them ignored (cargo passes them on so), and the
/// role below checks them.
#[test]
fn sigdefault_of_every_signal_is_accepted() {
    let status = child_status(|cmd| {
        cmd.sigdefault(SigSet::full());
    });
    let ignored = sig_bits(&status, "SigIgn");
    let internal = bit(32) | bit(33);
    assert_eq!(ignored & !internal, 0, "{ignored:#x}");
}

/// `SigSet::with` accepts 32 and 33, and `sigdefault`'s docs say every
/// signal of the set gets the default action, ignored ones included.
#[test]
fn sigdefault_resets_ignored_signals_32_and_33() {
    role("sigdefault_internal");
}

#[test]
fn sigmask_of_every_signal_blocks_all_but_kill_and_stop() {
    let name = "sigmask_of_every_signal_blocks_all_but_kill_and_stop";
    if common::unsupported_under_emulation(name, "qemu never blocks the host's SIGBUS and SIGSEGV")
    {
        return;
    }
    let status = child_status(|cmd| {
        cmd.sigmask(SigSet::full());
    });
    let blocked = sig_bits(&status, "SigBlk");
    for sig in (1..=31).chain(libc::SIGRTMIN()..=libc::SIGRTMAX()) {
        let expected = sig != libc::SIGKILL && sig != libc::SIGSTOP;
        assert_eq!(
            blocked & bit(sig) != 0,
            expected,
            "signal {sig}: {blocked:#x}"
        );
    }
}

/// The Rust runtime ignores SIGPIPE; an ignored signal stays ignored across
/// `execve`, so without `sigdefault` the child ignores it too (unlike
/// `std::process::Command`, which resets it). The docs say so; this pins it.
#[test]
fn sigpipe_ignored_by_a_rust_parent_is_reset_only_with_sigdefault() {
    let inherited = child_status(|_| {});
    assert_ne!(sig_bits(&inherited, "SigIgn") & bit(libc::SIGPIPE), 0);
    let reset = child_status(|cmd| {
        cmd.sigdefault(SigSet::empty().with(libc::SIGPIPE).unwrap());
    });
    assert_eq!(sig_bits(&reset, "SigIgn") & bit(libc::SIGPIPE), 0);
}

#[test]
fn without_sigmask_the_child_has_the_calling_threads_mask() {
    within("spawn from a thread with SIGUSR1 blocked", || {
        let set = SigSet::empty().with(libc::SIGUSR1).unwrap();
        let mut raw: libc::sigset_t = unsafe { std::mem::zeroed() };
        // SAFETY: `raw` is a local sigset_t.
        unsafe {
            libc::sigemptyset(&mut raw);
            libc::sigaddset(&mut raw, libc::SIGUSR1);
            libc::pthread_sigmask(libc::SIG_BLOCK, &raw, std::ptr::null_mut());
        }
        assert!(SigSet::current().unwrap().contains(libc::SIGUSR1));
        let status = child_status(|_| {});
        assert!(set.contains(libc::SIGUSR1));
        assert_ne!(sig_bits(&status, "SigBlk") & bit(libc::SIGUSR1), 0);
    });
}

// ---------------------------------------------------------------------------
// The child handle.

#[test]
fn waiting_twice_gives_echild() {
    let child = common::spawn(&Command::new(c"/bin/true")).unwrap();
    assert_eq!(child.wait(), Ok(ExitStatus::Exited(0)));
    assert_eq!(child.wait(), Err(Errno::ECHILD));
    assert_eq!(child.try_wait(), Err(Errno::ECHILD));
}

#[test]
fn try_wait_is_none_while_running_and_the_status_once_exited() {
    within("try_wait", || {
        let argv = CStrArray::<4>::from_slice(&[c"sh", c"-c", c"read x; exit 3"]).unwrap();
        let (read, write) = pipe();
        let map = [Slot::Fd(read.as_raw_fd()), Slot::Fd(1), Slot::Fd(2)];
        let mut cmd = Command::new(c"/bin/sh");
        cmd.args(&argv).fds(&map);
        let child = common::spawn(&cmd).unwrap();
        drop(read);
        assert_eq!(child.try_wait(), Ok(None));
        assert_eq!(child.kill(0), Ok(()));
        drop(write);
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(start.elapsed() < DEADLINE);
            std::thread::sleep(Duration::from_millis(5));
        };
        assert_eq!(status, ExitStatus::Exited(3));
        assert_eq!(child.try_wait(), Err(Errno::ECHILD));
    });
}

#[test]
fn kill_after_the_child_is_reaped_is_esrch() {
    let child = common::spawn(&Command::new(c"/bin/true")).unwrap();
    child.wait().unwrap();
    // Signal 0 only: should the pid have been reused meanwhile, nothing is
    // hurt (the role `pid_reuse` checks that case on purpose).
    assert_eq!(child.kill(0), Err(Errno::ESRCH));
}

#[test]
fn kill_with_a_bad_signal_number_is_einval() {
    within("kill with bad signals", || {
        let argv = CStrArray::<4>::from_slice(&[c"sleep", c"5"]).unwrap();
        let mut cmd = Command::new(c"/bin/sleep");
        cmd.args(&argv);
        let child = common::Reaper(common::spawn(&cmd).unwrap());
        for sig in [-1, 65, i32::MAX] {
            assert_eq!(child.kill(sig), Err(Errno::EINVAL), "signal {sig}");
        }
        child.kill(libc::SIGKILL).unwrap();
        assert_eq!(
            child.wait().unwrap(),
            ExitStatus::Signaled {
                signal: libc::SIGKILL,
                core_dumped: false
            }
        );
    });
}

/// The docs: dropping a `Child` neither waits nor kills; it stays a zombie
/// that anyone can still reap by pid.
#[test]
fn a_dropped_child_is_left_as_a_reapable_zombie() {
    within("drop a child", || {
        let argv = CStrArray::<4>::from_slice(&[c"sh", c"-c", c"exit 4"]).unwrap();
        let mut cmd = Command::new(c"/bin/sh");
        cmd.args(&argv);
        // The handle goes out of scope here, unwaited.
        let pid = {
            let child = common::spawn(&cmd).unwrap();
            child.pid()
        };
        let mut status = 0;
        // SAFETY: `status` is a local int.
        let got = unsafe { libc::waitpid(pid, &mut status, 0) };
        assert_eq!(got, pid);
        assert_eq!(ExitStatus::from_raw(status), ExitStatus::Exited(4));
    });
}

#[test]
fn wait_stopped_sees_a_stop_and_a_continue() {
    within("wait_stopped", || {
        let argv = CStrArray::<4>::from_slice(&[c"sleep", c"5"]).unwrap();
        let mut cmd = Command::new(c"/bin/sleep");
        cmd.args(&argv);
        let child = common::Reaper(common::spawn(&cmd).unwrap());
        child.kill(libc::SIGSTOP).unwrap();
        assert_eq!(
            child.wait_stopped().unwrap(),
            ExitStatus::Stopped(libc::SIGSTOP)
        );
        child.kill(libc::SIGCONT).unwrap();
        assert_eq!(child.wait_stopped().unwrap(), ExitStatus::Continued);
        child.kill(libc::SIGTERM).unwrap();
        assert_eq!(
            child.wait().unwrap(),
            ExitStatus::Signaled {
                signal: libc::SIGTERM,
                core_dumped: false
            }
        );
    });
}

/// The docs give a spawn's stack use as at most 16.5 KiB; a thread with a
/// 64 KiB stack has room for it.
#[test]
fn a_thread_with_a_64_kib_stack_can_spawn() {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(move || {
            let s = strategy();
            let result = Command::new(c"/bin/true")
                .strategy(s)
                .spawn()
                .map(|child| child.wait());
            let _ = tx.send(format!("{result:?}"));
        })
        .unwrap();
    let got = rx
        .recv_timeout(DEADLINE)
        .expect("the small thread finished");
    assert_eq!(got, "Ok(Ok(Exited(0)))");
}

// ---------------------------------------------------------------------------
// Cases that run in a process of their own.

#[test]
fn no_descriptor_or_child_is_left_after_each_kind_of_spawn() {
    role("leaks");
}

#[test]
fn a_tiny_rlimit_nofile_gives_clear_errors_and_no_leak() {
    role("nofile");
}

#[test]
fn rlimit_nproc_for_an_unprivileged_user_is_a_fork_eagain() {
    role("nproc");
}

#[test]
fn with_sigchld_ignored_spawns_report_right_and_wait_is_echild() {
    role("sigchld_ignored");
}

#[test]
fn a_sigchld_handler_that_reaps_everything_does_not_confuse_spawn() {
    role("sigchld_reaper");
}

#[test]
fn a_storm_of_signals_during_spawns_and_waits() {
    role("eintr");
}

#[test]
fn spawning_from_a_signal_handler() {
    role("handler_spawn");
}

#[test]
fn many_threads_spawning_at_once() {
    role("threads");
}

#[test]
fn a_child_killed_before_exec() {
    role("kill_before_exec");
}

/// `Child::kill`'s docs promise `ESRCH` once the child has been reaped, and
/// `wait`'s promise `ECHILD`; neither may reach another process that has
/// since been given the same pid.
#[test]
fn kill_and_wait_after_reap_leave_a_process_with_the_reused_pid_alone() {
    role("pid_reuse");
}

/// Credential changes in the child while the parent's other threads come
/// and go: the child must not wait for threads it does not have.
#[test]
fn credential_changes_while_threads_are_created_do_not_hang() {
    role("setxid_threads");
}

// ---------------------------------------------------------------------------
// The roles.

/// The variable that names the role this process plays.
const ROLE_VAR: &str = "FORKEXEC_ADVERSARIAL_ROLE";

/// `role(name)` — runs this test binary in role `name` (with a deadline)
/// and fails when it hangs, fails, or reports a failed check.
fn role(name: &str) -> Vec<String> {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut cmd = launcher(&exe);
    cmd.env(ROLE_VAR, name);
    let out = collect(cmd, &format!("role {name}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "role {name} ended with {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        out.stderr
    );
    let lines: Vec<String> = stdout.lines().map(str::to_owned).collect();
    let failed: Vec<&String> = lines.iter().filter(|l| l.starts_with("FAIL")).collect();
    assert!(
        failed.is_empty(),
        "role {name}: {} failed check(s):\n{}\n\nall:\n{stdout}",
        failed.len(),
        failed
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    for line in lines.iter().filter(|l| l.starts_with("SKIPPED")) {
        common::skip(name, line);
    }
    assert!(!lines.is_empty(), "role {name} checked nothing");
    lines
}

/// `launcher(program)` — a command that starts `program`, through the
/// emulator (by its absolute path, since some cases change `PATH`) when the
/// tests run under user-mode emulation.
fn launcher(program: &Path) -> std::process::Command {
    let Some(words) = common::emulator() else {
        return std::process::Command::new(program);
    };
    let emulator = Path::new(&words[0]);
    let emulator = if emulator.is_absolute() {
        emulator.to_owned()
    } else {
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .map(|dir| dir.join(emulator))
            .find(|candidate| candidate.is_file())
            .unwrap_or_else(|| emulator.to_owned())
    };
    let mut cmd = std::process::Command::new(emulator);
    cmd.args(&words[1..]).arg(program);
    cmd
}

/// What a process started by [`collect`] did.
struct Collected {
    status: std::process::ExitStatus,
    stdout: Vec<u8>,
    stderr: String,
}

/// `collect(cmd, what)` — runs `cmd` in a process group of its own with
/// stdin from /dev/null, collects its output, and kills the whole group
/// when it is not done after [`DEADLINE`].
fn collect(mut cmd: std::process::Command, what: &str) -> Collected {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("start {what}: {e}"));
    let group = child.id() as libc::pid_t;
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stdout.read_to_end(&mut bytes);
        bytes
    });
    let err = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stderr.read_to_end(&mut bytes);
        bytes
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if start.elapsed() > DEADLINE {
            // SAFETY: kill takes no pointer; the group is the one made for
            // this process.
            unsafe { libc::kill(-group, libc::SIGKILL) };
            let _ = child.wait();
            let _ = out.join();
            let stderr = err.join().unwrap_or_default();
            panic!(
                "{what}: not done after {DEADLINE:?}, it hangs\nstderr:\n{}",
                String::from_utf8_lossy(&stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // Whatever the process left in its group (a hung grandchild holding the
    // pipes) goes too.
    // SAFETY: as above.
    unsafe { libc::kill(-group, libc::SIGKILL) };
    Collected {
        status,
        stdout: out.join().expect("stdout reader"),
        stderr: String::from_utf8_lossy(&err.join().expect("stderr reader")).into_owned(),
    }
}

#[used]
#[unsafe(link_section = ".init_array")]
static ADVERSARIAL_ROLE_HOOK: extern "C" fn() = play_role;

extern "C" fn play_role() {
    let Some(name) = std::env::var_os(ROLE_VAR) else {
        return;
    };
    let name = name.to_string_lossy().into_owned();
    let code = match std::panic::catch_unwind(|| {
        let mut checks = Checks(String::new());
        match name.as_str() {
            "fd_maps" => role_fd_maps(&mut checks),
            "close_other_many" => role_close_other_many(&mut checks),
            "leaks" => role_leaks(&mut checks),
            "nofile" => role_nofile(&mut checks),
            "nproc" => role_nproc(&mut checks),
            "sigchld_ignored" => role_sigchld_ignored(&mut checks),
            "sigchld_reaper" => role_sigchld_reaper(&mut checks),
            "eintr" => role_eintr(&mut checks),
            "handler_spawn" => role_handler_spawn(&mut checks),
            "threads" => role_threads(&mut checks),
            "kill_before_exec" => role_kill_before_exec(&mut checks),
            "pid_reuse" => role_pid_reuse(&mut checks),
            "setxid_threads" => role_setxid_threads(&mut checks),
            "sigdefault_internal" => role_sigdefault_internal(&mut checks),
            other => panic!("unknown role {other}"),
        }
        checks.0
    }) {
        Ok(text) => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
            0
        }
        Err(_) => 101,
    };
    // SAFETY: _exit ends the process at once, which is what a role does.
    unsafe { libc::_exit(code) }
}

/// The lines a role prints.
struct Checks(String);

impl Checks {
    fn check(&mut self, name: &str, ok: bool, detail: impl std::fmt::Debug) {
        let verdict = if ok { "ok" } else { "FAIL" };
        let _ = writeln!(self.0, "{verdict} {name}: {detail:?}");
    }

    fn skip(&mut self, why: &str) {
        let _ = writeln!(self.0, "SKIPPED {why}");
    }

    /// No descriptor was added to or lost from the table since `base` was
    /// taken, and no child is left, reaped or not.
    fn clean(&mut self, name: &str, base: &[RawFd]) {
        let now = open_fds();
        self.check(
            &format!("{name}: descriptors unchanged"),
            now == base,
            (base, &now),
        );
        let left = children_left();
        self.check(&format!("{name}: no child left"), left.is_none(), left);
    }
}

/// The descriptors open in this process (by `fcntl`, which, unlike
/// `/proc/self/fd`, works whatever the process's credentials).
fn open_fds() -> Vec<RawFd> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a local rlimit.
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    let top = limit.rlim_max.clamp(1024, 1 << 16) as RawFd;
    // SAFETY: F_GETFD takes no argument.
    (0..top)
        .filter(|&fd| unsafe { libc::fcntl(fd, libc::F_GETFD) } >= 0)
        .collect()
}

/// `None` when this process has no child at all; otherwise what
/// `waitpid(-1, WNOHANG)` said.
fn children_left() -> Option<String> {
    // SAFETY: a null status pointer is allowed.
    let r = unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) };
    let errno = std::io::Error::last_os_error().raw_os_error();
    if r == -1 && errno == Some(libc::ECHILD) {
        None
    } else if r > 0 {
        Some(format!("a zombie, pid {r}"))
    } else {
        Some(format!("a running child (waitpid: {r})"))
    }
}

/// Closes every descriptor above 2 that this process inherited.
fn close_inherited() {
    // SAFETY: close_range takes no pointer; nothing in this process uses the
    // descriptors above 2 yet.
    unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) };
}

fn set_nofile(soft: u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a local rlimit.
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    limit.rlim_cur = soft.min(limit.rlim_max);
    // SAFETY: as above.
    let r = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
    assert_eq!(r, 0, "setrlimit NOFILE {soft}");
}

fn outcome(result: Result<Child, Error>) -> Result<ExitStatus, (Step, Errno)> {
    match result {
        Ok(child) => Ok(child.wait().expect("wait")),
        Err(e) => Err((e.step(), e.errno())),
    }
}

/// `spawn_with(cmd)` — `cmd` with the suite's strategy, spawned and waited
/// for.
fn spawn_with(cmd: &Command<'_>) -> Result<ExitStatus, (Step, Errno)> {
    let mut cmd = *cmd;
    cmd.strategy(strategy());
    outcome(cmd.spawn())
}

fn role_fd_maps(c: &mut Checks) {
    close_inherited();
    let probe = Probe::report();
    // Files at 3..=12, in order, close-on-exec; one more at 1000.
    let mut files = Vec::new();
    for fd in 3..=12 {
        let path = probe.scratch().file(&format!("f{fd}"), b"", 0o644);
        let file = common::open_file(&path, libc::O_RDONLY | libc::O_CLOEXEC);
        assert_eq!(file.as_raw_fd(), fd, "the table is as planned");
        files.push(file);
    }
    // SAFETY: dup3 onto a number this process does not use.
    let high = unsafe { libc::dup3(3, 1000, libc::O_CLOEXEC) };
    assert_eq!(high, 1000, "dup3 to 1000");
    let target = |fd: RawFd| fd_target(fd);
    let base = open_fds();

    let mut cases: Vec<(&str, Vec<Slot>, BTreeMap<RawFd, String>)> = Vec::new();
    let reverse: Vec<Slot> = (0..13).map(|i| Slot::Fd(12 - i)).collect();
    let expect = (0..13).map(|i| (i, target(12 - i))).collect();
    cases.push(("every source is another slot, reversed", reverse, expect));
    let rotate: Vec<Slot> = (0..13).map(|i| Slot::Fd((i + 1) % 13)).collect();
    let expect = (0..13).map(|i| (i, target((i + 1) % 13))).collect();
    cases.push(("a cycle through all 13 slots", rotate, expect));
    let high_low = vec![Slot::Fd(1000), Slot::Fd(1), Slot::Fd(2)];
    let expect = [(0, target(1000)), (1, target(1)), (2, target(2))].into();
    cases.push(("a source at 1000 in slot 0", high_low, expect));
    let mut far = vec![Slot::Closed; 40];
    far[0] = Slot::Fd(3);
    far[1] = Slot::Fd(1);
    far[2] = Slot::Fd(2);
    far[39] = Slot::Fd(3);
    let expect = [
        (0, target(3)),
        (1, target(1)),
        (2, target(2)),
        (39, target(3)),
    ]
    .into();
    cases.push(("one source in slots 0 and 39", far, expect));
    let dups = vec![
        Slot::Fd(4),
        Slot::Fd(4),
        Slot::Fd(2),
        Slot::Fd(0),
        Slot::Fd(3),
    ];
    let expect = [
        (0, target(4)),
        (1, target(4)),
        (2, target(2)),
        (3, target(0)),
        (4, target(3)),
    ]
    .into();
    cases.push(("duplicates among swapped sources", dups, expect));
    let same = vec![Slot::Fd(7); 12];
    let expect = (0..12).map(|i| (i, target(7))).collect();
    cases.push(("one source in every slot, itself among them", same, expect));
    cases.push(("every slot closed", vec![Slot::Closed; 13], BTreeMap::new()));
    let swap_high = vec![
        Slot::Fd(0),
        Slot::Fd(1),
        Slot::Fd(2),
        Slot::Fd(12),
        Slot::Closed,
        Slot::Closed,
        Slot::Closed,
        Slot::Closed,
        Slot::Closed,
        Slot::Closed,
        Slot::Closed,
        Slot::Closed,
        Slot::Fd(3),
    ];
    let expect = [
        (0, target(0)),
        (1, target(1)),
        (2, target(2)),
        (3, target(12)),
        (12, target(3)),
    ]
    .into();
    cases.push(("3 and 12 swapped, the rest closed", swap_high, expect));

    for (name, map, expected) in &cases {
        let env = probe.env();
        let mut cmd = probe.command(&env);
        cmd.fds(map);
        let _ = fs::remove_file(probe.scratch().path().join("report"));
        match common::spawn(&cmd) {
            Ok(child) => {
                let got = probe.finish(child).fds;
                c.check(name, &got == expected, (&got, expected));
            }
            Err(e) => c.check(name, false, e),
        }
        c.clean(name, &base);
    }

    // A closed source and a source equal to a closed slot's number.
    let map = [Slot::Fd(0), Slot::Fd(1), Slot::Fd(2), Slot::Fd(UNOPENED_FD)];
    let mut cmd = Command::new(c"/bin/true");
    cmd.fds(&map);
    let got = spawn_with(&cmd);
    c.check("unopened source", got == Err((Step::Fd, Errno::EBADF)), got);
    c.clean("unopened source", &base);
}

fn role_close_other_many(c: &mut Checks) {
    close_inherited();
    let probe = Probe::report();
    // 300 inheritable descriptors, 20 to 319.
    let null = common::open_file(Path::new("/dev/null"), libc::O_RDONLY);
    for fd in 20..320 {
        // SAFETY: dup2 onto numbers this process does not use.
        assert_eq!(unsafe { libc::dup2(null.as_raw_fd(), fd) }, fd);
    }
    let base = open_fds();
    let env = probe.env();
    let mut cmd = probe.command(&env);
    cmd.close_other_fds();
    let std_fds = [0, 1, 2].map(|fd| (fd, fd_target(fd)));
    match common::spawn(&cmd) {
        Ok(child) => {
            let got = probe.finish(child).fds;
            let expected: BTreeMap<RawFd, String> = std_fds.clone().into();
            c.check("close_other_fds without a map", got == expected, got);
        }
        Err(e) => c.check("close_other_fds without a map", false, e),
    }
    c.clean("close_other_fds without a map", &base);

    let map = [
        Slot::Fd(0),
        Slot::Fd(1),
        Slot::Fd(2),
        Slot::Closed,
        Slot::Fd(300),
    ];
    let mut cmd = probe.command(&env);
    cmd.fds(&map).close_other_fds();
    match common::spawn(&cmd) {
        Ok(child) => {
            let got = probe.finish(child).fds;
            let mut expected: BTreeMap<RawFd, String> = std_fds.clone().into();
            expected.insert(4, fd_target(300));
            c.check("close_other_fds with a map", got == expected, got);
        }
        Err(e) => c.check("close_other_fds with a map", false, e),
    }
    c.clean("close_other_fds with a map", &base);

    let mut cmd = probe.command(&env);
    cmd.fds(&[Slot::Fd(0), Slot::Fd(1), Slot::Fd(2)]);
    match common::spawn(&cmd) {
        Ok(child) => {
            let got = probe.finish(child).fds;
            let inherited = (20..320).all(|fd| got.contains_key(&fd));
            c.check("without close_other_fds they pass", inherited, got.len());
        }
        Err(e) => c.check("without close_other_fds they pass", false, e),
    }
    c.clean("without close_other_fds they pass", &base);
}

fn role_leaks(c: &mut Checks) {
    close_inherited();
    let base = open_fds();
    let big = CString::new(vec![b'x'; 100_000]).unwrap();
    let mut huge = CStrArray::<128>::new();
    huge.push(c"true").unwrap();
    for _ in 0..80 {
        huge.push(&big).unwrap();
    }
    let killed_argv = CStrArray::<4>::from_slice(&[c"sh", c"-c", c"kill -9 $$"]).unwrap();
    let bad_map = [Slot::Fd(0), Slot::Fd(1), Slot::Fd(UNOPENED_FD)];

    type Expected = Result<ExitStatus, (Step, Errno)>;
    let mut cases: Vec<(&str, Command<'_>, Expected)> = Vec::new();
    cases.push((
        "success",
        Command::new(c"/bin/true"),
        Ok(ExitStatus::Exited(0)),
    ));
    let mut cmd = Command::new(c"/bin/sh");
    cmd.args(&killed_argv);
    let killed = ExitStatus::Signaled {
        signal: libc::SIGKILL,
        core_dumped: false,
    };
    cases.push(("killed child", cmd, Ok(killed)));
    let enoent = (Step::Exec, Errno::ENOENT);
    cases.push(("exec ENOENT", Command::new(c"/nonexistent/x"), Err(enoent)));
    let eacces = (Step::Exec, Errno::EACCES);
    cases.push(("exec EACCES", Command::new(c"/"), Err(eacces)));
    let mut cmd = Command::new(c"/bin/true");
    cmd.args(&huge);
    cases.push(("exec E2BIG", cmd, Err((Step::Exec, Errno::E2BIG))));
    let path = (Step::Path, Errno::ENOENT);
    let missing = Command::new(c"forkexec-no-such-program");
    cases.push(("path ENOENT", missing, Err(path)));
    let mut cmd = Command::new(c"/bin/true");
    cmd.dir(c"/nonexistent");
    cases.push(("chdir ENOENT", cmd, Err((Step::Chdir, Errno::ENOENT))));
    let mut cmd = Command::new(c"/bin/true");
    cmd.fds(&bad_map);
    cases.push(("fd EBADF", cmd, Err((Step::Fd, Errno::EBADF))));
    let mut cmd = Command::new(c"/bin/true");
    cmd.pgid(99_999_999);
    cases.push(("setpgid EPERM", cmd, Err((Step::Setpgid, Errno::EPERM))));
    let mut cmd = Command::new(c"/bin/true");
    cmd.setsid().setpgid();
    cases.push(("invalid", cmd, Err((Step::Invalid, Errno::EINVAL))));

    for (name, cmd, expected) in &cases {
        let mut results = Vec::new();
        for _ in 0..20 {
            results.push(spawn_with(cmd));
        }
        let all = results.iter().all(|r| r == expected);
        c.check(name, all, (&results[0], expected));
        c.clean(name, &base);
    }
}

fn role_nofile(c: &mut Checks) {
    close_inherited();
    // One spawn with the normal limit first: the fast path's first spawn
    // also makes a pipe, to learn how the kernel runs it.
    let first = spawn_with(&Command::new(c"/bin/true"));
    c.check("first spawn", first == Ok(ExitStatus::Exited(0)), first);
    let base = open_fds();
    assert_eq!(base, [0, 1, 2], "only 0, 1 and 2 are open");

    // No free number at all.
    set_nofile(3);
    let got = spawn_with(&Command::new(c"/bin/true"));
    // The fast path needs no pipe once it knows the kernel: the spawn
    // succeeds, and then the program itself cannot open its shared
    // libraries (the dynamic loader exits with 127).
    let ok = match (strategy(), got) {
        (_, Err((Step::Pipe, Errno::EMFILE))) => true,
        (Strategy::Fork, _) => false,
        (_, got) => got.is_ok(),
    };
    c.check("RLIMIT_NOFILE 3, no free descriptor", ok, got);
    c.clean("RLIMIT_NOFILE 3", &base);

    // A slot at or above the limit: dup2's answer is EBADF.
    set_nofile(8);
    let mut map = vec![Slot::Closed; 11];
    map[0] = Slot::Fd(0);
    map[1] = Slot::Fd(1);
    map[2] = Slot::Fd(2);
    map[10] = Slot::Fd(1);
    let mut cmd = Command::new(c"/bin/true");
    cmd.fds(&map);
    let got = spawn_with(&cmd);
    c.check(
        "RLIMIT_NOFILE 8, slot 10: fd EBADF",
        got == Err((Step::Fd, Errno::EBADF)),
        got,
    );
    c.clean("RLIMIT_NOFILE 8, slot 10", &base);

    // Room for the status pipe and one scratch number.
    set_nofile(6);
    let swap = [Slot::Fd(1), Slot::Fd(0), Slot::Fd(2)];
    let cycle = [Slot::Fd(1), Slot::Fd(2), Slot::Fd(0)];
    let same = [Slot::Fd(2), Slot::Fd(2), Slot::Fd(2)];
    for (name, map) in [("swap", &swap), ("cycle", &cycle), ("one source", &same)] {
        let mut cmd = Command::new(c"/bin/true");
        cmd.fds(map);
        let got = spawn_with(&cmd);
        let name = format!("RLIMIT_NOFILE 6, {name}");
        c.check(&name, got == Ok(ExitStatus::Exited(0)), got);
        c.clean(&name, &base);
    }
    let mut cmd = Command::new(c"/bin/true");
    cmd.close_other_fds();
    let got = spawn_with(&cmd);
    c.check(
        "RLIMIT_NOFILE 6, close_other_fds",
        got == Ok(ExitStatus::Exited(0)),
        got,
    );
    c.clean("RLIMIT_NOFILE 6, close_other_fds", &base);
}

fn role_nproc(c: &mut Checks) {
    if common::emulator().is_some() {
        c.check(
            "RLIMIT_NPROC: not under emulation (qemu needs threads)",
            true,
            "skipped",
        );
        return;
    }
    if !common::is_root() {
        c.skip("RLIMIT_NPROC: needs root to become user 65534");
        return;
    }
    close_inherited();
    // SAFETY: plain calls on ids and a local rlimit; this process is
    // single-threaded here.
    unsafe {
        assert_eq!(libc::setgroups(0, std::ptr::null()), 0, "setgroups");
        assert_eq!(libc::setgid(65534), 0, "setgid");
        assert_eq!(libc::setuid(65534), 0, "setuid");
        let zero = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        assert_eq!(libc::setrlimit(libc::RLIMIT_NPROC, &zero), 0, "setrlimit");
    }
    let base = open_fds();
    for _ in 0..5 {
        let got = spawn_with(&Command::new(c"/bin/true"));
        c.check("fork EAGAIN", got == Err((Step::Fork, Errno::EAGAIN)), got);
    }
    let mut cmd = Command::new(c"/bin/true");
    cmd.dir(c"/nonexistent");
    let got = spawn_with(&cmd);
    c.check(
        "fork EAGAIN before any child step",
        got == Err((Step::Fork, Errno::EAGAIN)),
        got,
    );
    c.clean("RLIMIT_NPROC 0", &base);
}

fn role_sigchld_ignored(c: &mut Checks) {
    close_inherited();
    // SAFETY: SIG_IGN for SIGCHLD; the process is single-threaded.
    unsafe { libc::signal(libc::SIGCHLD, libc::SIG_IGN) };
    let base = open_fds();
    for _ in 0..5 {
        let child = Command::new(c"/bin/true").strategy(strategy()).spawn();
        match child {
            // The kernel reaps the child itself; wait can only say ECHILD.
            Ok(child) => {
                let got = child.wait();
                c.check("spawn, then wait", got == Err(Errno::ECHILD), got);
            }
            Err(e) => c.check("spawn, then wait", false, e),
        }
        let got = spawn_with(&Command::new(c"/nonexistent/x"));
        c.check("exec ENOENT", got == Err((Step::Exec, Errno::ENOENT)), got);
        let mut cmd = Command::new(c"/bin/true");
        cmd.dir(c"/nonexistent");
        let got = spawn_with(&cmd);
        c.check(
            "chdir ENOENT",
            got == Err((Step::Chdir, Errno::ENOENT)),
            got,
        );
    }
    c.clean("SIGCHLD ignored", &base);
}

static SIGNALS_SEEN: AtomicUsize = AtomicUsize::new(0);

extern "C" fn reap_everything(_: libc::c_int) {
    SIGNALS_SEEN.fetch_add(1, Ordering::Relaxed);
    // SAFETY: waitpid is async-signal-safe; errno is saved and restored.
    unsafe {
        let errno = *libc::__errno_location();
        while libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) > 0 {}
        *libc::__errno_location() = errno;
    }
}

extern "C" fn count_signal(_: libc::c_int) {
    SIGNALS_SEEN.fetch_add(1, Ordering::Relaxed);
}

/// Installs `handler` for `sig`, without `SA_RESTART`, so that every
/// interrupted call returns `EINTR`.
fn install(sig: libc::c_int, handler: extern "C" fn(libc::c_int), flags: libc::c_int) {
    // SAFETY: a zeroed sigaction with a valid handler.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = handler as usize;
        action.sa_flags = flags;
        libc::sigemptyset(&mut action.sa_mask);
        assert_eq!(libc::sigaction(sig, &action, std::ptr::null_mut()), 0);
    }
}

fn role_sigchld_reaper(c: &mut Checks) {
    close_inherited();
    install(libc::SIGCHLD, reap_everything, 0);
    let base = open_fds();
    for _ in 0..10 {
        let got = spawn_with(&Command::new(c"/nonexistent/x"));
        c.check("exec ENOENT", got == Err((Step::Exec, Errno::ENOENT)), got);
        let mut cmd = Command::new(c"/bin/true");
        cmd.dir(c"/nonexistent");
        let got = spawn_with(&cmd);
        c.check(
            "chdir ENOENT",
            got == Err((Step::Chdir, Errno::ENOENT)),
            got,
        );
        // The handler may reap the child before `wait` does.
        let got = Command::new(c"/bin/true").strategy(strategy()).spawn();
        let ok = match &got {
            Ok(child) => {
                let status = child.wait();
                status == Ok(ExitStatus::Exited(0)) || status == Err(Errno::ECHILD)
            }
            Err(_) => false,
        };
        c.check("success", ok, got.map(|c| c.pid()));
    }
    c.check(
        "the handler ran",
        SIGNALS_SEEN.load(Ordering::Relaxed) > 0,
        SIGNALS_SEEN.load(Ordering::Relaxed),
    );
    c.clean("SIGCHLD handler that reaps", &base);
}

fn role_eintr(c: &mut Checks) {
    close_inherited();
    install(libc::SIGUSR2, count_signal, 0);
    install(libc::SIGCHLD, count_signal, 0);
    let base = open_fds();
    let done = std::sync::Arc::new(AtomicBool::new(false));
    // SAFETY: pthread_self takes no argument.
    let target = unsafe { libc::pthread_self() } as usize;
    let storm = {
        let done = done.clone();
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                // SAFETY: the target thread outlives this loop (it sets
                // `done` before it could end).
                unsafe { libc::pthread_kill(target as libc::pthread_t, libc::SIGUSR2) };
                std::thread::sleep(Duration::from_micros(50));
            }
        })
    };
    let exit5 = CStrArray::<4>::from_slice(&[c"sh", c"-c", c"exit 5"]).unwrap();
    let sleep = CStrArray::<4>::from_slice(&[c"sleep", c"0.3"]).unwrap();
    let mut results = Vec::new();
    for i in 0..40 {
        let got = match i % 4 {
            0 => spawn_with(&Command::new(c"/nonexistent/x")),
            1 => {
                let mut cmd = Command::new(c"/bin/true");
                cmd.dir(c"/nonexistent");
                spawn_with(&cmd)
            }
            _ => {
                let mut cmd = Command::new(c"/bin/sh");
                cmd.args(&exit5);
                spawn_with(&cmd)
            }
        };
        let expected = match i % 4 {
            0 => Err((Step::Exec, Errno::ENOENT)),
            1 => Err((Step::Chdir, Errno::ENOENT)),
            _ => Ok(ExitStatus::Exited(5)),
        };
        results.push((got, expected));
    }
    let mut cmd = Command::new(c"/bin/sleep");
    cmd.args(&sleep);
    let slow = spawn_with(&cmd);
    done.store(true, Ordering::Relaxed);
    storm.join().unwrap();
    let wrong: Vec<_> = results.iter().filter(|(g, e)| g != e).collect();
    c.check("40 spawns under a signal storm", wrong.is_empty(), wrong);
    c.check(
        "a 0.3 s wait under a signal storm",
        slow == Ok(ExitStatus::Exited(0)),
        slow,
    );
    let seen = SIGNALS_SEEN.load(Ordering::Relaxed);
    c.check("signals were delivered", seen > 50, seen);
    c.clean("signal storm", &base);
}

static HANDLER_STRATEGY: AtomicI32 = AtomicI32::new(0);
static HANDLER_OK: AtomicUsize = AtomicUsize::new(0);
static HANDLER_BAD: AtomicI32 = AtomicI32::new(0);

extern "C" fn spawn_in_handler(_: libc::c_int) {
    // SAFETY: errno is saved and restored around the handler's calls.
    let errno = unsafe { *libc::__errno_location() };
    let strategy = match HANDLER_STRATEGY.load(Ordering::Relaxed) {
        1 => Strategy::Fork,
        2 => Strategy::Vfork,
        _ => Strategy::Auto,
    };
    match Command::new(c"/bin/true").strategy(strategy).spawn() {
        Ok(child) => match child.wait() {
            Ok(ExitStatus::Exited(0)) => {
                HANDLER_OK.fetch_add(1, Ordering::Relaxed);
            }
            _ => HANDLER_BAD.store(-1, Ordering::Relaxed),
        },
        Err(e) => HANDLER_BAD.store(e.step() as i32 * 1000 + e.errno().raw(), Ordering::Relaxed),
    }
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = errno };
}

fn role_handler_spawn(c: &mut Checks) {
    close_inherited();
    let code = match strategy() {
        Strategy::Fork => 1,
        Strategy::Vfork => 2,
        _ => 0,
    };
    HANDLER_STRATEGY.store(code, Ordering::Relaxed);
    // A generous alternate stack: the kernel's signal frame alone can take
    // 12 KiB (AVX-512), and the docs give a spawn up to 16.5 KiB.
    let stack = vec![0u8; 256 * 1024].leak();
    let alt = libc::stack_t {
        ss_sp: stack.as_mut_ptr().cast(),
        ss_flags: 0,
        ss_size: stack.len(),
    };
    // SAFETY: `alt` describes memory leaked for the process's lifetime.
    assert_eq!(unsafe { libc::sigaltstack(&alt, std::ptr::null_mut()) }, 0);
    install(libc::SIGUSR1, spawn_in_handler, libc::SA_ONSTACK);
    let base = open_fds();

    // Synchronous: raised in this thread.
    for _ in 0..5 {
        // SAFETY: raise takes a signal number.
        unsafe { libc::raise(libc::SIGUSR1) };
    }
    let sync_ok = HANDLER_OK.load(Ordering::Relaxed);
    c.check("spawn in a handler, raised", sync_ok == 5, sync_ok);

    // Asynchronous: the handler interrupts this thread's own spawns and waits.
    let done = std::sync::Arc::new(AtomicBool::new(false));
    // SAFETY: pthread_self takes no argument.
    let target = unsafe { libc::pthread_self() } as usize;
    let sender = {
        let done = done.clone();
        std::thread::spawn(move || {
            // The next signal only once the last handler is done, so that
            // a slow spawn (under emulation) cannot starve the thread.
            let mut sent = 0;
            while !done.load(Ordering::Relaxed) {
                if HANDLER_OK.load(Ordering::Relaxed) >= sync_ok + sent {
                    // SAFETY: the target thread sets `done` before it could
                    // end.
                    unsafe { libc::pthread_kill(target as libc::pthread_t, libc::SIGUSR1) };
                    sent += 1;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    let exit5 = CStrArray::<4>::from_slice(&[c"sh", c"-c", c"exit 5"]).unwrap();
    let mut wrong = Vec::new();
    for i in 0..30 {
        let got = if i % 3 == 0 {
            spawn_with(&Command::new(c"/nonexistent/x"))
        } else {
            let mut cmd = Command::new(c"/bin/sh");
            cmd.args(&exit5);
            spawn_with(&cmd)
        };
        let expected = if i % 3 == 0 {
            Err((Step::Exec, Errno::ENOENT))
        } else {
            Ok(ExitStatus::Exited(5))
        };
        if got != expected {
            wrong.push(got);
        }
    }
    done.store(true, Ordering::Relaxed);
    sender.join().unwrap();
    c.check(
        "outer spawns interrupted by handler spawns",
        wrong.is_empty(),
        wrong,
    );
    let total = HANDLER_OK.load(Ordering::Relaxed);
    c.check("handler spawns all succeeded", total > sync_ok, total);
    let bad = HANDLER_BAD.load(Ordering::Relaxed);
    c.check("no handler spawn failed", bad == 0, bad);
    c.clean("spawn in a handler", &base);
}

fn role_threads(c: &mut Checks) {
    close_inherited();
    let base = open_fds();
    let threads: Vec<_> = (0..6)
        .map(|t| {
            std::thread::spawn(move || {
                let mut wrong = Vec::new();
                for i in 0..30 {
                    let word = CString::new(format!("{t}-{i}")).unwrap();
                    let argv = CStrArray::<4>::from_slice(&[c"echo", &word]).unwrap();
                    let (read, write) = pipe();
                    let map = [Slot::Fd(0), Slot::Fd(write.as_raw_fd()), Slot::Fd(2)];
                    let mut cmd = Command::new(c"/bin/echo");
                    cmd.args(&argv).fds(&map).strategy(strategy());
                    if i % 5 == 4 {
                        cmd.dir(c"/nonexistent");
                    }
                    let spawned = cmd.spawn();
                    drop(write);
                    match (i % 5 == 4, spawned) {
                        (true, Err(e)) if (e.step(), e.errno()) == (Step::Chdir, Errno::ENOENT) => {
                        }
                        (false, Ok(child)) => {
                            // A write end that leaked into another thread's
                            // child would hold this read open.
                            let text = common::read_all(read);
                            let status = child.wait();
                            if text != format!("{t}-{i}\n") || status != Ok(ExitStatus::Exited(0)) {
                                wrong.push(format!("{t}-{i}: {text:?} {status:?}"));
                            }
                        }
                        (_, other) => wrong.push(format!("{t}-{i}: {other:?}")),
                    }
                }
                wrong
            })
        })
        .collect();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let wrong: Vec<String> = threads
            .into_iter()
            .flat_map(|t| {
                t.join()
                    .unwrap_or_else(|_| vec!["a thread panicked".into()])
            })
            .collect();
        let _ = tx.send(wrong);
    });
    match rx.recv_timeout(DEADLINE) {
        Ok(wrong) => c.check("6 threads x 30 spawns", wrong.is_empty(), wrong),
        Err(_) => c.check("6 threads x 30 spawns", false, "hang"),
    }
    c.clean("threads", &base);
}

fn role_kill_before_exec(c: &mut Checks) {
    close_inherited();
    let base = open_fds();
    // A group leader that ignores SIGTERM (and passes that on to sleep).
    let leader_argv =
        CStrArray::<4>::from_slice(&[c"sh", c"-c", c"trap '' TERM; exec sleep 20"]).unwrap();
    let mut leader = Command::new(c"/bin/sh");
    leader.args(&leader_argv).setpgid().strategy(strategy());
    let leader = leader.spawn().expect("spawn the group leader");
    let group = leader.pid();
    std::thread::sleep(Duration::from_millis(100));
    let done = std::sync::Arc::new(AtomicBool::new(false));
    let killer = {
        let done = done.clone();
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                // SAFETY: kill takes no pointer.
                unsafe { libc::kill(-group, libc::SIGTERM) };
                std::thread::sleep(Duration::from_micros(20));
            }
        })
    };
    let term = ExitStatus::Signaled {
        signal: libc::SIGTERM,
        core_dumped: false,
    };
    let mut wrong = Vec::new();
    let mut killed = 0;
    for _ in 0..60 {
        let mut cmd = Command::new(c"/bin/true");
        cmd.pgid(group);
        match spawn_with(&cmd) {
            Ok(ExitStatus::Exited(0)) => {}
            Ok(status) if status == term => killed += 1,
            other => wrong.push(other),
        }
    }
    done.store(true, Ordering::Relaxed);
    killer.join().unwrap();
    let _ = leader.kill(libc::SIGKILL);
    let _ = leader.wait();
    c.check(
        "children killed around exec",
        wrong.is_empty(),
        (&wrong, killed),
    );
    c.clean("kill before exec", &base);
}

fn role_pid_reuse(c: &mut Checks) {
    if !common::is_root() {
        c.skip("pid reuse: needs root for a pid namespace and ns_last_pid");
        return;
    }
    if common::emulator().is_some() {
        c.check("pid reuse: not under emulation", true, "skipped");
        return;
    }
    // SAFETY: unshare takes flags; the process is single-threaded.
    if unsafe { libc::unshare(libc::CLONE_NEWPID) } != 0 {
        c.skip("pid reuse: unshare(CLONE_NEWPID) refused");
        return;
    }
    std::io::stdout().flush().unwrap();
    // SAFETY: the process is single-threaded; the child only runs the
    // checks below and leaves by _exit.
    let init = unsafe { libc::fork() };
    assert!(init >= 0, "fork");
    if init == 0 {
        // pid 1 of the new namespace: every pid here is ours to reuse.
        let mut inner = Checks(String::new());
        pid_reuse_in_namespace(&mut inner);
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(inner.0.as_bytes());
        let _ = out.flush();
        // SAFETY: ends the namespace's init at once.
        unsafe { libc::_exit(0) };
    }
    let mut status = 0;
    // SAFETY: `status` is a local int.
    unsafe { libc::waitpid(init, &mut status, 0) };
    c.check(
        "the namespace's init ended well",
        ExitStatus::from_raw(status) == ExitStatus::Exited(0),
        ExitStatus::from_raw(status),
    );
}

fn pid_reuse_in_namespace(c: &mut Checks) {
    let first = Command::new(c"/bin/true")
        .strategy(strategy())
        .spawn()
        .expect("spawn the first child");
    let got = first.wait();
    c.check("first child ran", got == Ok(ExitStatus::Exited(0)), got);
    // The next pid given out is the first child's again.
    let last = format!("{}", first.pid() - 1);
    fs::write("/proc/sys/kernel/ns_last_pid", last).expect("write ns_last_pid");
    let argv = CStrArray::<4>::from_slice(&[c"sleep", c"20"]).unwrap();
    let mut cmd = Command::new(c"/bin/sleep");
    cmd.args(&argv).strategy(strategy());
    let second = cmd.spawn().expect("spawn the second child");
    if second.pid() != first.pid() {
        c.skip("pid reuse: the pid was not reused");
        let _ = second.kill(libc::SIGKILL);
        let _ = second.wait();
        return;
    }
    let try_wait = first.try_wait();
    c.check(
        "try_wait of the reaped child is ECHILD",
        try_wait == Err(Errno::ECHILD),
        try_wait,
    );
    let kill = first.kill(libc::SIGKILL);
    c.check(
        "kill of the reaped child is ESRCH",
        kill == Err(Errno::ESRCH),
        kill,
    );
    std::thread::sleep(Duration::from_millis(50));
    let alive = second.try_wait();
    c.check(
        "the process that reuses the pid is untouched",
        alive == Ok(None),
        alive,
    );
    let _ = second.kill(libc::SIGKILL);
    let _ = second.wait();
}

fn role_setxid_threads(c: &mut Checks) {
    if !common::is_root() {
        c.skip("setxid with threads: needs root to set groups");
        return;
    }
    close_inherited();
    let base = open_fds();
    let done = std::sync::Arc::new(AtomicBool::new(false));
    let churn: Vec<_> = (0..2)
        .map(|_| {
            let done = done.clone();
            std::thread::spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    let _ = std::thread::spawn(|| {}).join();
                }
            })
        })
        .collect();
    // SAFETY: getgid takes no argument.
    let gid = unsafe { libc::getgid() };
    let groups = [gid];
    let mut wrong = Vec::new();
    for _ in 0..200 {
        let mut cmd = Command::new(c"/bin/true");
        cmd.gid(gid).groups(&groups);
        let got = spawn_with(&cmd);
        if got != Ok(ExitStatus::Exited(0)) {
            wrong.push(got);
        }
    }
    done.store(true, Ordering::Relaxed);
    for t in churn {
        t.join().unwrap();
    }
    c.check("200 spawns with gid and groups", wrong.is_empty(), wrong);
    c.clean("setxid with threads", &base);
}

fn role_sigdefault_internal(c: &mut Checks) {
    if common::emulator().is_some() {
        c.check(
            "signals 32 and 33: not under emulation (qemu keeps them)",
            true,
            "skipped",
        );
        return;
    }
    close_inherited();
    // glibc's sigaction refuses 32 and 33, so ignore them by the system call.
    #[repr(C)]
    struct KernelSigaction {
        handler: usize,
        flags: libc::c_ulong,
        restorer: usize,
        mask: u64,
    }
    for sig in [32, 33] {
        let ignore = KernelSigaction {
            handler: libc::SIG_IGN,
            flags: 0,
            restorer: 0,
            mask: 0,
        };
        // SAFETY: a kernel sigaction that lives across the call; the old
        // action is not asked for.
        let r = unsafe {
            libc::syscall(
                libc::SYS_rt_sigaction,
                sig,
                &ignore as *const KernelSigaction,
                std::ptr::null_mut::<KernelSigaction>(),
                8usize,
            )
        };
        assert_eq!(r, 0, "rt_sigaction({sig}, SIG_IGN)");
    }
    let base = open_fds();
    for (name, set) in [
        ("sigdefault(full)", SigSet::full()),
        (
            "sigdefault(32, 33)",
            SigSet::empty().with(32).unwrap().with(33).unwrap(),
        ),
    ] {
        let argv = CStrArray::<4>::from_slice(&[c"cat", c"/proc/self/status"]).unwrap();
        let (read, write) = pipe();
        let map = [Slot::Fd(0), Slot::Fd(write.as_raw_fd()), Slot::Fd(2)];
        let mut cmd = Command::new(c"/bin/cat");
        cmd.args(&argv)
            .fds(&map)
            .sigdefault(set)
            .strategy(strategy());
        let child = cmd.spawn();
        drop(write);
        let text = common::read_all(read);
        let status = child.map(|child| child.wait());
        let ignored = text
            .lines()
            .find_map(|l| l.strip_prefix("SigIgn:"))
            .map(|v| u64::from_str_radix(v.trim(), 16).expect("hex"));
        // The libc flavour sets actions through the C library's sigaction,
        // which refuses the signals glibc keeps for itself (32 and 33): they
        // keep the action they had, as `Command::sigdefault` documents.
        let expected = if cfg!(feature = "linux-libc") {
            (1u64 << 31) | (1u64 << 32)
        } else {
            0
        };
        c.check(
            name,
            ignored == Some(expected) && matches!(status, Ok(Ok(_))),
            (ignored.map(|v| format!("{v:#x}")), status),
        );
        c.clean(name, &base);
    }
}

// ---------------------------------------------------------------------------
// The `run` example.

/// The built example (see `tests/run_cli.rs` for how it is found).
fn run_example() -> &'static Path {
    static EXAMPLE: OnceLock<PathBuf> = OnceLock::new();
    EXAMPLE.get_or_init(|| {
        let exe = std::env::current_exe().expect("path of the test executable");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("the test runs from <profile>/deps");
        let above = profile_dir.parent().expect("a target directory");
        let triple = match above.parent() {
            Some(root) if root.join("CACHEDIR.TAG").exists() => above.file_name(),
            _ => None,
        };
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
        let mut build = std::process::Command::new(cargo);
        build
            .args(["build", "--example", "run", "--message-format=json"])
            .arg("--manifest-path")
            .arg(&manifest);
        match profile_dir.file_name().and_then(OsStr::to_str) {
            Some("debug") => {}
            Some("release") => {
                build.arg("--release");
            }
            Some(profile) => {
                build.args(["--profile", profile]);
            }
            None => panic!("no profile directory in {}", exe.display()),
        }
        if let Some(triple) = triple {
            build.arg("--target").arg(triple);
        }
        let out = build
            .stdin(Stdio::null())
            .output()
            .expect("cargo build --example run");
        assert!(
            out.status.success(),
            "cargo build --example run failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout
            .lines()
            .filter(|l| l.contains(r#""reason":"compiler-artifact""#))
            .find(|l| l.contains(r#""kind":["example"]"#) && l.contains(r#""name":"run""#))
            .expect("cargo reported the run example");
        let key = r#""executable":""#;
        let start = line.find(key).expect("an executable") + key.len();
        let end = start + line[start..].find('"').expect("a closing quote");
        PathBuf::from(&line[start..end])
    })
}

/// A copy of the example that every user may execute (the build directory
/// may not be reachable by an unprivileged user).
fn public_run_example() -> &'static Path {
    static COPY: OnceLock<(Scratch, PathBuf)> = OnceLock::new();
    let (_, path) = COPY.get_or_init(|| {
        let scratch = Scratch::new();
        let path = scratch.path().join("run");
        fs::copy(run_example(), &path).expect("copy run");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod");
        (scratch, path)
    });
    path
}

/// What a `run` process did.
struct RunOut {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
}

/// `run(args, setup)` — the example with `--strategy S` (from
/// `FORKEXEC_TEST_STRATEGY`) and `args`, only descriptors 0 to 2 open,
/// `setup` applied to the command first.
fn run(args: &[&OsStr], setup: impl FnOnce(&mut std::process::Command)) -> RunOut {
    run_at(run_example(), args, setup)
}

fn run_at(
    example: &Path,
    args: &[&OsStr],
    setup: impl FnOnce(&mut std::process::Command),
) -> RunOut {
    let mut cmd = launcher(example);
    if let Ok(s @ ("fork" | "vfork" | "auto")) = std::env::var("FORKEXEC_TEST_STRATEGY").as_deref()
    {
        cmd.args(["--strategy", s]);
    }
    cmd.args(args);
    // SAFETY: close_range is async-signal-safe and allocates nothing.
    unsafe {
        cmd.pre_exec(|| {
            libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32);
            Ok(())
        });
    }
    setup(&mut cmd);
    let out = collect(cmd, "run");
    RunOut {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: out.stderr,
    }
}

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

fn assert_run(out: &RunOut, code: i32, stderr: &str) {
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (Some(code), stderr),
        "stdout: {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn run_with_an_empty_program_is_127() {
    let out = run(&[os("--"), os("")], |_| {});
    assert_run(&out, 127, "run: path: ENOENT (No such file or directory)\n");
}

#[test]
fn run_with_a_slash_or_a_directory_as_program_is_126() {
    for program in ["/", "/tmp", "/tmp/"] {
        let out = run(&[os("--"), os(program)], |_| {});
        assert_run(&out, 126, "run: exec: EACCES (Permission denied)\n");
    }
}

#[test]
fn run_with_a_path_longer_than_path_max_is_127() {
    let long = format!("/{}true", "./".repeat(3000));
    let out = run(&[os("--"), os(&long)], |_| {});
    assert_run(&out, 127, "run: exec: ENAMETOOLONG (File name too long)\n");
}

#[test]
fn run_searches_a_default_path_when_path_is_unset() {
    let out = run(&[os("true")], |cmd| {
        cmd.env_remove("PATH");
    });
    assert_run(&out, 0, "");
}

#[test]
fn run_with_odd_path_values() {
    let scratch = Scratch::new();
    scratch.file("here-only", b"#!/bin/sh\necho here\n", 0o755);
    let dir = scratch.path().to_owned();
    let long = format!("/{}", "x".repeat(5000));
    // (PATH, program, exit code, stdout, stderr)
    let cases: [(String, &str, i32, &str, &str); 6] = [
        (
            "".into(),
            "true",
            127,
            "",
            "run: path: ENOENT (No such file or directory)\n",
        ),
        // An empty PATH, and an empty entry, name the working directory.
        ("".into(), "here-only", 0, "here\n", ""),
        (":/nonexistent".into(), "here-only", 0, "here\n", ""),
        ("/nonexistent:".into(), "here-only", 0, "here\n", ""),
        (format!("{long}:/bin:/usr/bin"), "true", 0, "", ""),
        (
            long.clone(),
            "true",
            127,
            "",
            "run: path: ENOENT (No such file or directory)\n",
        ),
    ];
    for (path, program, code, stdout, stderr) in &cases {
        let out = run(&[os(program)], |cmd| {
            cmd.env("PATH", path).current_dir(&dir);
        });
        assert_eq!(
            (
                out.code,
                String::from_utf8_lossy(&out.stdout).as_ref(),
                out.stderr.as_str()
            ),
            (Some(*code), *stdout, *stderr),
            "PATH={:?} {program}",
            &path[..path.len().min(40)]
        );
    }
}

/// The help: "PROGRAM without '/' is searched in run's PATH" — not in the
/// PATH given to the child with --env.
#[test]
fn run_searches_its_own_path_not_the_childs() {
    let scratch = Scratch::new();
    scratch.file("here-only", b"#!/bin/sh\necho here\n", 0o755);
    let child_path = format!("PATH={}", scratch.path().display());
    let out = run(&[os("--env"), os(&child_path), os("here-only")], |cmd| {
        cmd.env("PATH", "/usr/bin:/bin");
    });
    assert_run(&out, 127, "run: path: ENOENT (No such file or directory)\n");
    let out = run(
        &[os("--env"), os("PATH=/nonexistent"), os("here-only")],
        |cmd| {
            cmd.env("PATH", scratch.path());
        },
    );
    assert_run(&out, 0, "");
    assert_eq!(out.stdout, b"here\n");
}

#[test]
fn run_passes_non_utf8_arguments_unchanged() {
    let arg = OsStr::from_bytes(b"\xff\xfe");
    let out = run(&[os("printf"), os("%s"), arg], |_| {});
    assert_run(&out, 0, "");
    assert_eq!(out.stdout, b"\xff\xfe");
}

#[test]
fn run_fd_511_works_and_512_is_a_usage_error() {
    let out = run(
        &[
            os("--fd"),
            os("1=1"),
            os("--fd"),
            os("511=1"),
            os("readlink"),
            os("/proc/self/fd/511"),
        ],
        |_| {},
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("pipe:"));
    let out = run(&[os("--fd"), os("512=1"), os("true")], |_| {});
    assert_eq!(out.code, Some(125));
    assert!(
        out.stderr.starts_with("run: usage: --fd 512=1:"),
        "{}",
        out.stderr
    );
}

#[test]
fn run_fd_from_an_unopened_source_is_ebadf() {
    let out = run(&[os("--fd"), os("1=999"), os("true")], |_| {});
    assert_run(&out, 125, "run: fd: EBADF (Bad file descriptor)\n");
}

#[test]
fn run_with_every_standard_slot_closed() {
    let script = "for f in 0 1 2; do test -e /dev/fd/$f && exit 9; done; exit 7";
    let out = run(
        &[
            os("--fd"),
            os("0=close"),
            os("--fd"),
            os("1=close"),
            os("--fd"),
            os("2=close"),
            os("sh"),
            os("-c"),
            os(script),
        ],
        |_| {},
    );
    assert_run(&out, 7, "");
}

#[test]
fn run_close_fds_with_hundreds_of_open_descriptors() {
    let list = "for f in /proc/self/fd/*; do echo ${f##*/}; done";
    let open_many = |cmd: &mut std::process::Command| {
        // SAFETY: dup2 and open are async-signal-safe; the path is a literal.
        unsafe {
            cmd.pre_exec(|| {
                let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY);
                for fd in 10..400 {
                    libc::dup2(null, fd);
                }
                Ok(())
            });
        }
    };
    let out = run(
        &[os("--close-fds"), os("sh"), os("-c"), os(list)],
        open_many,
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    let fds: Vec<&str> = listed.lines().collect();
    // 0, 1, 2 and the glob's directory.
    assert_eq!(fds, ["0", "1", "2", "3"], "{listed}");
    let out = run(&[os("sh"), os("-c"), os(list)], open_many);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 395);
}

fn limit_nofile(cmd: &mut std::process::Command, soft: u64) {
    // SAFETY: setrlimit is async-signal-safe; `limit` is a local.
    unsafe {
        cmd.pre_exec(move || {
            let mut limit = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
            limit.rlim_cur = soft;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
            Ok(())
        });
    }
}

#[test]
fn run_under_a_tiny_rlimit_nofile_says_pipe_emfile() {
    // 0, 1 and 2 open, one number free: no room for the status pipe.
    let out = run(&[os("true")], |cmd| limit_nofile(cmd, 4));
    assert_run(&out, 125, "run: pipe: EMFILE (Too many open files)\n");
}

#[test]
fn run_with_a_slot_above_rlimit_nofile_is_fd_ebadf() {
    let out = run(&[os("--fd"), os("10=1"), os("true")], |cmd| {
        limit_nofile(cmd, 8)
    });
    assert_run(&out, 125, "run: fd: EBADF (Bad file descriptor)\n");
}

#[test]
fn run_under_rlimit_nproc_as_an_unprivileged_user_is_fork_eagain() {
    let name = "run_under_rlimit_nproc_as_an_unprivileged_user_is_fork_eagain";
    if !common::require_root(name)
        || common::unsupported_under_emulation(name, "qemu itself needs threads")
    {
        return;
    }
    let out = run_at(public_run_example(), &[os("true")], |cmd| {
        // SAFETY: setgroups, setgid, setuid and setrlimit are
        // async-signal-safe system calls.
        unsafe {
            cmd.pre_exec(|| {
                let zero = libc::rlimit {
                    rlim_cur: 0,
                    rlim_max: 0,
                };
                if libc::setgroups(0, std::ptr::null()) != 0
                    || libc::setgid(65534) != 0
                    || libc::setuid(65534) != 0
                    || libc::setrlimit(libc::RLIMIT_NPROC, &zero) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    });
    assert_run(
        &out,
        125,
        "run: fork: EAGAIN (Resource temporarily unavailable)\n",
    );
}

#[test]
fn run_with_id_minus_one_or_a_missing_group() {
    let out = run(&[os("--uid"), os("4294967295"), os("true")], |_| {});
    assert_run(
        &out,
        125,
        "run: invalid: EINVAL (uid or gid -1 is not an id)\n",
    );
    let out = run(&[os("--pgid"), os("99999999"), os("true")], |_| {});
    assert_run(&out, 125, "run: setpgid: EPERM (Operation not permitted)\n");
}

#[test]
fn run_with_a_bad_strategy_is_a_usage_error() {
    // The suite's own --strategy, when set, comes first; a second one is
    // refused too.
    let out = run(&[os("--strategy"), os("spoon"), os("true")], |_| {});
    assert_eq!(out.code, Some(125));
    assert!(out.stderr.starts_with("run: usage:"), "{}", out.stderr);
}

/// A parent that ignores SIGCHLD (some daemons and CI runners do) passes
/// that on to `run`; the README promises that run's exit status is the
/// child's all the same.
#[test]
fn run_reports_the_childs_status_when_started_with_sigchld_ignored() {
    let ignore_sigchld = |cmd: &mut std::process::Command| {
        // SAFETY: signal is async-signal-safe.
        unsafe {
            cmd.pre_exec(|| {
                libc::signal(libc::SIGCHLD, libc::SIG_IGN);
                Ok(())
            });
        }
    };
    let out = run(&[os("sh"), os("-c"), os("exit 3")], ignore_sigchld);
    assert_run(&out, 3, "");
    let out = run(&[os("sh"), os("-c"), os("kill -TERM $$")], ignore_sigchld);
    assert_run(&out, 128 + libc::SIGTERM, "");
}
