//! Pidfds: with `Command::pidfd` the child carries a descriptor that refers
//! to it, and waiting and signalling go through that descriptor, so that
//! they never reach another process that was given the pid later.
//!
//! Linux only: the other systems have no pidfds (there `spawn` refuses the
//! request as `invalid`).
//!
//! Under qemu-user 7.2, which refuses `CLONE_PIDFD` with `EINVAL` and has
//! no `clone3`, every test here runs the crate's fallback (`pidfd_open`
//! after the clone); natively, the seccomp tests at the end make the kernel
//! refuse the same way, and also refuse `waitid(P_PIDFD)` as Linux 5.2 and
//! 5.3 do.
#![cfg(target_os = "linux")]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fs;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use common::{Args, Reaper, is_cloexec, pipe, sh};
use forkexec::{Child, Command, Errno, Error, ExitStatus, Slot, Step, Strategy};

/// Held shared by every test here, and exclusively by the ones that count
/// this process's descriptors or that need no other spawn to take a pid
/// while they run.
static SERIAL: RwLock<()> = RwLock::new(());

fn shared() -> RwLockReadGuard<'static, ()> {
    SERIAL.read().unwrap_or_else(|e| e.into_inner())
}

fn exclusive() -> RwLockWriteGuard<'static, ()> {
    SERIAL.write().unwrap_or_else(|e| e.into_inner())
}

/// `spawn_with_pidfd(cmd)` — `cmd` with a pidfd, spawned with the suite's
/// strategy.
fn spawn_with_pidfd(cmd: &Command<'_>) -> Result<Child, Error> {
    let mut cmd = *cmd;
    cmd.pidfd();
    common::spawn(&cmd)
}

/// A child that blocks reading its standard input until the returned write
/// end is closed, then exits with 5.
fn blocked_child(with_pidfd: bool) -> (Reaper, OwnedFd) {
    let (read, write) = pipe();
    let args = sh("read line; exit 5");
    let argv = args.array::<4>();
    let map = [Slot::Fd(read.as_raw_fd()), Slot::Fd(1), Slot::Fd(2)];
    let mut cmd = Command::new(c"/bin/sh");
    cmd.args(&argv).fds(&map);
    let child = if with_pidfd {
        spawn_with_pidfd(&cmd)
    } else {
        common::spawn(&cmd)
    };
    (Reaper(child.expect("spawn the blocked child")), write)
}

/// `fdinfo_pid(fd)` — the `Pid:` line of `/proc/self/fdinfo/FD`: the pid
/// of the process a pidfd refers to.
fn fdinfo_pid(fd: RawFd) -> Option<libc::pid_t> {
    let info = fs::read_to_string(format!("/proc/self/fdinfo/{fd}")).ok()?;
    info.lines()
        .find_map(|line| line.strip_prefix("Pid:"))
        .and_then(|pid| pid.trim().parse().ok())
}

/// `is_pidfd(target)` — whether a `/proc/*/fd` link target is a pidfd
/// (`anon_inode:[pidfd]`; `pidfd:[...]` where pidfs names it).
fn is_pidfd(target: &str) -> bool {
    target == "anon_inode:[pidfd]" || target.starts_with("pidfd:")
}

/// `fd_targets(pid)` — the link targets of `/proc/PID/fd`.
fn fd_targets(pid: libc::pid_t) -> Vec<(RawFd, String)> {
    let mut out = Vec::new();
    for entry in fs::read_dir(format!("/proc/{pid}/fd")).expect("list /proc/PID/fd") {
        let entry = entry.expect("read /proc/PID/fd");
        // A descriptor closed between the listing and the readlink is gone.
        if let Ok(target) = fs::read_link(entry.path()) {
            let fd = entry.file_name().to_str().and_then(|s| s.parse().ok());
            out.push((
                fd.expect("fd number"),
                target.to_string_lossy().into_owned(),
            ));
        }
    }
    out
}

#[test]
fn pidfd_refers_to_the_child_and_is_close_on_exec() {
    let _serial = shared();
    let (child, _stdin) = blocked_child(true);
    let fd = child.pidfd().expect("the command asked for a pidfd");

    assert_eq!(fdinfo_pid(fd), Some(child.pid()), "fdinfo of the pidfd");
    let target = common::fd_target(fd);
    assert!(
        is_pidfd(&target),
        "descriptor {fd} is {target}, not a pidfd"
    );
    assert_eq!(is_cloexec(fd), Some(true), "the pidfd is close-on-exec");

    child.kill(libc::SIGKILL).expect("kill through the pidfd");
    assert_eq!(
        child.wait(),
        Ok(ExitStatus::Signaled {
            signal: libc::SIGKILL,
            core_dumped: false
        })
    );
    // The pidfd stays open until the Child is dropped.
    let target = common::fd_target(fd);
    assert!(is_pidfd(&target), "after the wait, {fd} is {target}");
}

#[test]
fn no_pidfd_unless_asked() {
    let _serial = shared();
    let child = common::spawn(&Command::new(c"/bin/true")).expect("spawn true");
    assert_eq!(child.pidfd(), None);
    assert_eq!(child.wait(), Ok(ExitStatus::Exited(0)));
}

/// Waiting through the pidfd (`waitid`, decoded from a `siginfo_t`) gives
/// what waiting on the pid (`wait4`, decoded from a status word) gives.
#[test]
fn wait_through_pidfd_decodes_as_wait4_does() {
    let _serial = shared();
    let signaled = |signal| ExitStatus::Signaled {
        signal,
        core_dumped: false,
    };
    let cases = [
        ("exit 0", ExitStatus::Exited(0)),
        ("exit 7", ExitStatus::Exited(7)),
        ("exit 255", ExitStatus::Exited(255)),
        ("kill -TERM $$", signaled(libc::SIGTERM)),
        ("kill -KILL $$", signaled(libc::SIGKILL)),
        ("kill -HUP $$", signaled(libc::SIGHUP)),
    ];
    for (script, want) in cases {
        let args = sh(script);
        let argv = args.array::<4>();
        let mut cmd = Command::new(c"/bin/sh");
        cmd.args(&argv);

        let by_pid = common::spawn(&cmd).expect("spawn without a pidfd");
        let by_pidfd = spawn_with_pidfd(&cmd).expect("spawn with a pidfd");
        assert!(by_pidfd.pidfd().is_some());
        let got = by_pidfd.wait();
        assert_eq!(got, Ok(want), "`{script}` waited for through its pidfd");
        assert_eq!(by_pid.wait(), got, "`{script}` by wait4 and by waitid");
    }
}

#[test]
fn try_wait_is_none_while_the_child_runs() {
    let _serial = shared();
    let (child, stdin) = blocked_child(true);
    for _ in 0..3 {
        assert_eq!(child.try_wait(), Ok(None));
    }
    drop(stdin);
    assert_eq!(child.wait(), Ok(ExitStatus::Exited(5)));
    assert_eq!(child.try_wait(), Err(Errno::ECHILD));
}

#[test]
fn wait_stopped_through_pidfd_sees_stop_and_continue() {
    let _serial = shared();
    let (child, _stdin) = blocked_child(true);
    child.kill(libc::SIGSTOP).expect("stop");
    assert_eq!(child.wait_stopped(), Ok(ExitStatus::Stopped(libc::SIGSTOP)));
    child.kill(libc::SIGCONT).expect("continue");
    assert_eq!(child.wait_stopped(), Ok(ExitStatus::Continued));
    child.kill(libc::SIGTERM).expect("terminate");
    assert_eq!(
        child.wait(),
        Ok(ExitStatus::Signaled {
            signal: libc::SIGTERM,
            core_dumped: false
        })
    );
}

#[test]
fn after_the_wait_kill_is_esrch_and_wait_is_echild() {
    let _serial = shared();
    let child = spawn_with_pidfd(&Command::new(c"/bin/true")).expect("spawn true");
    assert!(child.pidfd().is_some());
    assert_eq!(
        child.kill(0),
        Ok(()),
        "signal 0 to the zombie or the living"
    );
    assert_eq!(child.wait(), Ok(ExitStatus::Exited(0)));
    assert_eq!(child.kill(0), Err(Errno::ESRCH));
    assert_eq!(child.kill(libc::SIGKILL), Err(Errno::ESRCH));
    assert_eq!(child.try_wait(), Err(Errno::ECHILD));
    assert_eq!(child.wait(), Err(Errno::ECHILD));
    assert_eq!(child.wait_stopped(), Err(Errno::ECHILD));
}

/// A child reaped by other code than its `Child` (a `SIGCHLD` handler,
/// `waitpid(-1)`), whose pid is then given to another process (by setting
/// `/proc/sys/kernel/ns_last_pid` to the pid before it): a kill or a wait on
/// the pid would reach the newcomer, and the `Child` cannot know better;
/// through the pidfd they get `ESRCH` and `ECHILD` and leave it alone.
#[test]
fn after_a_reap_by_other_code_the_next_owner_of_the_pid_is_left_alone() {
    const TEST: &str = "after_a_reap_by_other_code_the_next_owner_of_the_pid_is_left_alone";
    let _serial = exclusive();
    if !common::require_root(TEST) {
        return;
    }
    let last_pid = "/proc/sys/kernel/ns_last_pid";

    let child = spawn_with_pidfd(&Command::new(c"/bin/true")).expect("spawn true");
    let pid = child.pid();
    let mut status = 0;
    // SAFETY: `pid` is our child; `status` is a live c_int. This is the
    // reap the `Child` does not see.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert_eq!(ExitStatus::from_raw(status), ExitStatus::Exited(0));

    // Other processes of the machine may take the pid first: try a few
    // times.
    let mut newcomer = None;
    for _ in 0..50 {
        if let Err(e) = fs::write(last_pid, format!("{}", pid - 1)) {
            common::skip(TEST, &format!("cannot write {last_pid}: {e}"));
            return;
        }
        let (next, stdin) = blocked_child(false);
        if next.pid() == pid {
            newcomer = Some((next, stdin));
            break;
        }
    }
    let Some((newcomer, _stdin)) = newcomer else {
        common::skip(TEST, &format!("pid {pid} went to other processes 50 times"));
        return;
    };

    // SAFETY: signal 0 only checks that the pid names a process.
    assert_eq!(
        unsafe { libc::kill(pid, 0) },
        0,
        "pid {pid} names the newcomer"
    );
    assert_eq!(child.kill(0), Err(Errno::ESRCH));
    assert_eq!(child.kill(libc::SIGKILL), Err(Errno::ESRCH));
    // By pid, this would look at the newcomer, which runs: `Ok(None)`.
    assert_eq!(child.try_wait(), Err(Errno::ECHILD));
    assert_eq!(
        newcomer.try_wait(),
        Ok(None),
        "the newcomer with pid {pid} was not touched"
    );
}

/// The pidfd is the parent's alone: neither its own child nor one spawned
/// later, inheriting every descriptor that is not close-on-exec, has it.
#[test]
fn pidfd_reaches_no_child() {
    let _serial = shared();
    let (first, _stdin1) = blocked_child(true);
    assert!(first.pidfd().is_some());
    let (second, _stdin2) = blocked_child(true);
    let (third, _stdin3) = blocked_child(false);
    for child in [&first, &second, &third] {
        let pidfds: Vec<_> = fd_targets(child.pid())
            .into_iter()
            .filter(|(_, target)| is_pidfd(target))
            .collect();
        assert!(pidfds.is_empty(), "child {} has {pidfds:?}", child.pid());
    }
}

/// Every spawn's pidfd is closed with its `Child`, whether the child was
/// waited for or not (dropping it does not wait), and none is left by a
/// failed spawn: the descriptor table is the same after many spawns.
#[test]
fn dropping_the_child_closes_its_pidfd() {
    let _serial = exclusive();
    let count = || fd_targets(std::process::id() as libc::pid_t).len();
    let before = count();

    for _ in 0..64 {
        let child = spawn_with_pidfd(&Command::new(c"/bin/true")).expect("spawn true");
        assert_eq!(child.wait(), Ok(ExitStatus::Exited(0)));
    }
    for _ in 0..16 {
        let (child, stdin) = blocked_child(true);
        drop(stdin);
        drop(child);
    }
    for _ in 0..16 {
        let child = spawn_with_pidfd(&Command::new(c"/bin/true")).expect("spawn true");
        let pid = child.pid();
        drop(child);
        let mut status = 0;
        // SAFETY: `pid` is our child, which the drop did not reap; `status`
        // is a live c_int.
        let reaped = unsafe { libc::waitpid(pid, &mut status, 0) };
        assert_eq!(reaped, pid, "the dropped child is still there to reap");
        assert_eq!(ExitStatus::from_raw(status), ExitStatus::Exited(0));
    }
    for _ in 0..16 {
        let error = spawn_with_pidfd(&Command::new(c"/nonexistent/forkexec-pidfd"))
            .expect_err("no such program");
        assert_eq!((error.step(), error.errno()), (Step::Exec, Errno::ENOENT));
    }

    let after = fd_targets(std::process::id() as libc::pid_t);
    assert_eq!(after.len(), before, "descriptors now: {after:?}");
    let pidfds: Vec<_> = after.iter().filter(|(_, t)| is_pidfd(t)).collect();
    assert!(pidfds.is_empty(), "pidfds left open: {pidfds:?}");
}

/// The test binary's allocator: the system's, counting the calls a thread
/// makes while it has counting switched on.
struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

impl Counting {
    fn note(&self) {
        if COUNTING.with(Cell::get) {
            COUNT.with(|c| c.set(c.get() + 1));
        }
    }
}

// SAFETY: every call is forwarded to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.note();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.note();
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        self.note();
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The heap calls `f` makes on this thread.
fn heap_calls(f: impl FnOnce()) -> usize {
    let before = COUNT.with(Cell::get);
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    COUNT.with(Cell::get) - before
}

/// `Ok` when `got` is `want`, a stand-in error otherwise: a check that
/// allocates nothing.
fn is<T: PartialEq>(got: T, want: T) -> Result<(), Errno> {
    if got == want {
        Ok(())
    } else {
        Err(Errno::EPROTO)
    }
}

/// The parent's side of a pidfd spawn allocates nothing: the spawn, the
/// pidfd (made by the clone or opened after it), waiting, signalling, the
/// failure path and the drop. (The child's side is the same as without a
/// pidfd; `tests/alloc.rs` counts it.)
#[test]
fn pidfd_spawn_wait_kill_and_drop_allocate_nothing() {
    let _serial = shared();
    assert_eq!(
        heap_calls(|| drop(std::hint::black_box(Box::new(7u64)))),
        2,
        "the counter sees an allocation and its release"
    );

    let args = sh("read line");
    let argv = args.array::<4>();
    let (stdin, _stdin_write) = pipe();
    let map = [Slot::Fd(stdin.as_raw_fd()), Slot::Fd(1), Slot::Fd(2)];
    let mut sleeper = Command::new(c"/bin/sh");
    sleeper
        .args(&argv)
        .fds(&map)
        .strategy(common::strategy())
        .pidfd();
    let mut missing = Command::new(c"/nonexistent/forkexec-pidfd");
    missing.strategy(common::strategy()).pidfd();
    // Every result stays a `Copy` value: the check allocates nothing.
    let mut outcomes = [Err(Errno::EPROTO); 7];
    let mut failed = None;

    let calls = heap_calls(|| {
        let Ok(child) = sleeper.spawn() else {
            return;
        };
        outcomes[0] = is(child.pidfd().is_some(), true);
        outcomes[1] = is(child.try_wait(), Ok(None));
        outcomes[2] = child.kill(libc::SIGSTOP);
        outcomes[3] = is(child.wait_stopped(), Ok(ExitStatus::Stopped(libc::SIGSTOP)));
        outcomes[4] = child.kill(libc::SIGKILL);
        outcomes[5] = child.wait().map(drop);
        outcomes[6] = is(child.kill(0), Err(Errno::ESRCH));
        drop(child);
        failed = missing.spawn().err().map(|e| (e.step(), e.errno()));
    });
    assert_eq!(outcomes, [Ok(()); 7], "each call did its part");
    assert_eq!(failed, Some((Step::Exec, Errno::ENOENT)));
    assert_eq!(calls, 0, "heap calls during pidfd spawns");
}

#[cfg(feature = "std")]
#[test]
fn as_pidfd_lends_the_same_descriptor() {
    let _serial = shared();
    let (child, _stdin) = blocked_child(true);
    let borrowed = child.as_pidfd().expect("a pidfd");
    assert_eq!(Some(borrowed.as_raw_fd()), child.pidfd());
    child.kill(libc::SIGKILL).expect("kill");
    child.wait().expect("wait");

    let plain = common::spawn(&Command::new(c"/bin/true")).expect("spawn true");
    assert!(plain.as_pidfd().is_none());
    assert_eq!(plain.wait(), Ok(ExitStatus::Exited(0)));
}

// --- the kernel refusing what the crate tries first ----------------------

/// The strategies a pidfd spawn can take in this build: the fast path
/// needs the raw backend.
fn strategies() -> Vec<Strategy> {
    if cfg!(feature = "linux-libc") {
        vec![Strategy::Fork]
    } else {
        vec![Strategy::Fork, Strategy::Vfork]
    }
}

/// What a seccomp filter makes the kernel answer to one system call.
#[derive(Clone, Copy)]
enum Refuse {
    /// Every call of this number fails with this errno.
    Always(libc::c_long, libc::c_int),
    /// A call of this number whose first argument has any of these bits
    /// fails with this errno.
    FirstArgBits(libc::c_long, u32, libc::c_int),
    /// A call of this number whose first argument is this value fails with
    /// this errno.
    FirstArgIs(libc::c_long, u32, libc::c_int),
}

/// Installs a seccomp filter, for this thread and the processes it makes,
/// that refuses the calls in `rules` and allows everything else. It cannot
/// be removed: the tests that call it run in a process of their own.
fn install_filter(rules: &[Refuse]) {
    let stmt = |code: u32, k: u32| libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    };
    let jump = |code: u32, k: u32, jt: u8, jf: u8| libc::sock_filter {
        code: code as u16,
        jt,
        jf,
        k,
    };
    let load = |offset: u32| stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, offset);
    let ret = |k: u32| stmt(libc::BPF_RET | libc::BPF_K, k);
    let errno = |e: libc::c_int| ret(libc::SECCOMP_RET_ERRNO | e as u32);
    let eq = libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K;
    let set = libc::BPF_JMP | libc::BPF_JSET | libc::BPF_K;
    // `struct seccomp_data` (`include/uapi/linux/seccomp.h`): the system
    // call number at 0, the arguments as 64-bit words from 16; the low half
    // of the first comes first on these little-endian machines.
    const NR: u32 = 0;
    const ARG0_LOW: u32 = 16;

    let mut program = Vec::new();
    for rule in rules {
        // Each rule: load the number; if it is not this one, skip the rest
        // of the rule.
        program.push(load(NR));
        match *rule {
            Refuse::Always(nr, e) => {
                program.push(jump(eq, nr as u32, 0, 1));
                program.push(errno(e));
            }
            Refuse::FirstArgBits(nr, bits, e) => {
                program.push(jump(eq, nr as u32, 0, 3));
                program.push(load(ARG0_LOW));
                program.push(jump(set, bits, 0, 1));
                program.push(errno(e));
            }
            Refuse::FirstArgIs(nr, value, e) => {
                program.push(jump(eq, nr as u32, 0, 3));
                program.push(load(ARG0_LOW));
                program.push(jump(eq, value, 0, 1));
                program.push(errno(e));
            }
        }
    }
    program.push(ret(libc::SECCOMP_RET_ALLOW));

    let fprog = libc::sock_fprog {
        len: program.len() as u16,
        filter: program.as_mut_ptr(),
    };
    // SAFETY: prctl with integer arguments, and a pointer to a live filter
    // program that the kernel copies.
    let installed = unsafe {
        libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
            && libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_FILTER, &fprog) == 0
    };
    assert!(
        installed,
        "install the seccomp filter: {}",
        std::io::Error::last_os_error()
    );
}

/// Runs the ignored test `name` of this binary in a process of its own, one
/// test thread, and fails when it does.
fn run_alone(name: &str) {
    let exe = std::env::current_exe().expect("path of the test executable");
    let out = std::process::Command::new(exe)
        .args([
            "--ignored",
            "--exact",
            name,
            "--test-threads=1",
            "--nocapture",
        ])
        .output()
        .expect("run the test binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{name} in a process of its own: {}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
}

/// Runs `inner` alone, natively; under emulation, says why not: qemu-user
/// refuses `PR_SET_SECCOMP`, and `also` says what covers the case there.
fn run_filtered(test: &str, inner: &str, also: &str) {
    let _serial = shared();
    let why = format!("qemu-user has no seccomp; {also}");
    if !common::unsupported_under_emulation(test, &why) {
        run_alone(inner);
    }
}

/// Under qemu-user, what covers the `pidfd_open` fallback.
const QEMU_REFUSES_CLONE_PIDFD: &str = "it refuses CLONE_PIDFD and clone3 itself, so every other test here runs the pidfd_open fallback";

/// For each strategy, twice: a child spawned with a pidfd that refers to
/// it, through which it is waited for, polled and signalled.
fn check_pidfd_spawns(exit_code: i32) {
    let script = format!("read line; exit {exit_code}");
    for strategy in strategies() {
        for round in 0..2 {
            let at = format!("{strategy:?}, spawn {round}");
            let (read, write) = pipe();
            let args = Args::new(["sh", "-c", &script]);
            let argv = args.array::<4>();
            let map = [Slot::Fd(read.as_raw_fd()), Slot::Fd(1), Slot::Fd(2)];
            let child = Command::new(c"/bin/sh")
                .args(&argv)
                .fds(&map)
                .strategy(strategy)
                .pidfd()
                .spawn()
                .unwrap_or_else(|e| panic!("{at}: spawn with a pidfd: {e}"));
            let child = Reaper(child);
            let fd = child.pidfd().expect("a pidfd");
            assert_eq!(fdinfo_pid(fd), Some(child.pid()), "{at}");
            assert_eq!(is_cloexec(fd), Some(true), "{at}");
            assert_eq!(child.try_wait(), Ok(None), "{at}");
            child.kill(libc::SIGSTOP).expect("stop");
            assert_eq!(
                child.wait_stopped(),
                Ok(ExitStatus::Stopped(libc::SIGSTOP)),
                "{at}"
            );
            child.kill(libc::SIGCONT).expect("continue");
            assert_eq!(child.wait_stopped(), Ok(ExitStatus::Continued), "{at}");
            drop(write);
            assert_eq!(child.wait(), Ok(ExitStatus::Exited(exit_code)), "{at}");
            assert_eq!(child.kill(0), Err(Errno::ESRCH), "{at}");
            assert_eq!(child.wait(), Err(Errno::ECHILD), "{at}");
        }
    }
}

/// Where `clone` refuses `CLONE_PIDFD` with `EINVAL` and `clone3` is
/// missing, as under qemu-user 7.2, the spawn opens the pidfd with
/// `pidfd_open`, and it refers to the child all the same.
#[test]
fn pidfd_comes_from_pidfd_open_when_clone_refuses_the_flag() {
    run_filtered(
        "pidfd_comes_from_pidfd_open_when_clone_refuses_the_flag",
        "clone_refuses_the_pidfd_flag",
        QEMU_REFUSES_CLONE_PIDFD,
    );
}

#[test]
#[ignore = "run by pidfd_comes_from_pidfd_open_when_clone_refuses_the_flag in a process of its own: it installs a seccomp filter"]
fn clone_refuses_the_pidfd_flag() {
    install_filter(&[
        Refuse::Always(libc::SYS_clone3, libc::ENOSYS),
        Refuse::FirstArgBits(libc::SYS_clone, libc::CLONE_PIDFD as u32, libc::EINVAL),
    ]);
    check_pidfd_spawns(5);
}

/// Without `clone3` (before Linux 5.3, or refused by a seccomp profile), the
/// fast path's `clone` fallback gets the pidfd through its parent-tid
/// argument; `pidfd_open` is refused here, so the pidfd can come from
/// nowhere else.
#[test]
fn pidfd_comes_from_clone_without_clone3() {
    run_filtered(
        "pidfd_comes_from_clone_without_clone3",
        "clone3_and_pidfd_open_missing",
        "and it refuses CLONE_PIDFD, so the pidfd from clone runs natively only",
    );
}

#[test]
#[ignore = "run by pidfd_comes_from_clone_without_clone3 in a process of its own: it installs a seccomp filter"]
fn clone3_and_pidfd_open_missing() {
    install_filter(&[
        Refuse::Always(libc::SYS_clone3, libc::ENOSYS),
        Refuse::Always(libc::SYS_pidfd_open, libc::ENOSYS),
    ]);
    if cfg!(feature = "linux-libc") {
        // `_Fork` takes no flags: the libc flavour has only pidfd_open.
        let error = Command::new(c"/bin/true")
            .strategy(Strategy::Fork)
            .pidfd()
            .spawn()
            .expect_err("no pidfd_open");
        assert_eq!((error.step(), error.errno()), (Step::Fork, Errno::ENOSYS));
        return;
    }
    check_pidfd_spawns(6);
}

/// Where no pidfd can be had (`clone` refuses the flag and `pidfd_open` is
/// missing: before Linux 5.2 the flag is ignored and `pidfd_open` missing
/// alike), the spawn fails at `fork` with `ENOSYS`, and the child it made
/// is killed and reaped, its report pipe closed.
#[test]
fn no_pidfd_to_be_had_fails_the_spawn_and_reaps_the_child() {
    run_filtered(
        "no_pidfd_to_be_had_fails_the_spawn_and_reaps_the_child",
        "no_pidfd_to_be_had",
        "and it has pidfd_open, so the spawn always gets a pidfd there",
    );
}

#[test]
#[ignore = "run by no_pidfd_to_be_had_fails_the_spawn_and_reaps_the_child in a process of its own: it installs a seccomp filter"]
fn no_pidfd_to_be_had() {
    install_filter(&[
        Refuse::Always(libc::SYS_clone3, libc::ENOSYS),
        Refuse::FirstArgBits(libc::SYS_clone, libc::CLONE_PIDFD as u32, libc::EINVAL),
        Refuse::Always(libc::SYS_pidfd_open, libc::ENOSYS),
    ]);
    let count = || fd_targets(std::process::id() as libc::pid_t).len();
    let before = count();
    for strategy in strategies() {
        for _ in 0..3 {
            let error = Command::new(c"/bin/true")
                .strategy(strategy)
                .pidfd()
                .spawn()
                .expect_err("no pidfd to be had");
            assert_eq!(
                (error.step(), error.errno()),
                (Step::Fork, Errno::ENOSYS),
                "{strategy:?}"
            );
            // SAFETY: WNOHANG does not block; a null status is allowed.
            let waited = unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) };
            assert_eq!(
                (waited, std::io::Error::last_os_error().raw_os_error()),
                (-1, Some(libc::ECHILD)),
                "{strategy:?}: no child left to reap"
            );
        }
        // Without a pidfd the same spawn works.
        let child = Command::new(c"/bin/true")
            .strategy(strategy)
            .spawn()
            .expect("spawn without a pidfd");
        assert_eq!(child.wait(), Ok(ExitStatus::Exited(0)), "{strategy:?}");
    }
    assert_eq!(count(), before, "descriptors left open");
}

/// Where the kernel refuses `waitid(P_PIDFD)` with `EINVAL`, as Linux 5.2
/// and 5.3 do, waiting falls back to `wait4` on the pid; signals still go
/// through the pidfd.
#[test]
fn waiting_falls_back_to_wait4_without_p_pidfd() {
    run_filtered(
        "waiting_falls_back_to_wait4_without_p_pidfd",
        "waitid_refuses_p_pidfd",
        "and it passes waitid(P_PIDFD) to the host kernel, which knows it",
    );
}

#[test]
#[ignore = "run by waiting_falls_back_to_wait4_without_p_pidfd in a process of its own: it installs a seccomp filter"]
fn waitid_refuses_p_pidfd() {
    install_filter(&[Refuse::FirstArgIs(
        libc::SYS_waitid,
        libc::P_PIDFD,
        libc::EINVAL,
    )]);
    // The filter is in place: waitid itself refuses a pidfd.
    let child = Command::new(c"/bin/true")
        .pidfd()
        .spawn()
        .expect("spawn true");
    let fd = child.pidfd().expect("a pidfd");
    // SAFETY: all zeroes is a siginfo_t.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: `info` is live and writable.
    let ret = unsafe { libc::waitid(libc::P_PIDFD, fd as libc::id_t, &mut info, libc::WEXITED) };
    assert_eq!(
        (ret, std::io::Error::last_os_error().raw_os_error()),
        (-1, Some(libc::EINVAL))
    );
    assert_eq!(child.wait(), Ok(ExitStatus::Exited(0)));

    check_pidfd_spawns(9);
}
