//! Signal hygiene, for every strategy: no handler of the parent ever runs in
//! the child, the child execs with exactly the mask asked for (the parent's
//! by default), and `sigdefault` resets even ignored signals.
//!
//! Linux only: the child's state is read from `/proc/self/status`.
#![cfg(target_os = "linux")]

use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

use forkexec::{CStrArray, Command, Errno, ExitStatus, SigSet, Slot, Step, Strategy};
use libc::c_int;

/// The strategies to test: the one `FORKEXEC_TEST_STRATEGY` names (the CI
/// runs the suite once per strategy), or all three.
fn strategies() -> Vec<Strategy> {
    match std::env::var("FORKEXEC_TEST_STRATEGY").as_deref() {
        Err(std::env::VarError::NotPresent) | Ok("") => {
            vec![Strategy::Fork, Strategy::Vfork, Strategy::Auto]
        }
        Ok("fork") => vec![Strategy::Fork],
        Ok("vfork") => vec![Strategy::Vfork],
        Ok("auto") => vec![Strategy::Auto],
        other => panic!("FORKEXEC_TEST_STRATEGY must be fork, vfork or auto, not {other:?}"),
    }
}

/// Serialises the tests that change the process's signal actions.
static ACTIONS: Mutex<()> = Mutex::new(());

fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [-1; 2];
    // SAFETY: `fds` has room for two descriptors.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: both descriptors are new and ours.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

/// The child's signal state as `/proc/self/status` shows it after the exec:
/// `(SigBlk, SigIgn)`, one bit per signal, bit 0 for signal 1.
fn child_status(cmd: Command<'_>) -> (u64, u64) {
    let mut cmd = cmd;
    let (read_end, write_end) = pipe();
    let fds = [Slot::Fd(0), Slot::Fd(write_end.as_raw_fd()), Slot::Fd(2)];
    let argv = CStrArray::<4>::from_slice(&[c"cat", c"/proc/self/status"]).unwrap();
    let child = cmd.args(&argv).fds(&fds).spawn().unwrap();
    drop(write_end);
    let mut text = String::new();
    File::from(read_end).read_to_string(&mut text).unwrap();
    assert!(child.wait().unwrap().success());
    let field = |name: &str| {
        let line = text.lines().find(|l| l.starts_with(name)).unwrap();
        u64::from_str_radix(line[name.len()..].trim(), 16).unwrap()
    };
    (field("SigBlk:"), field("SigIgn:"))
}

fn bits(signals: &[c_int]) -> u64 {
    signals.iter().map(|&s| 1u64 << (s - 1)).sum()
}

fn set_of(signals: &[c_int]) -> SigSet {
    signals
        .iter()
        .fold(SigSet::empty(), |set, &s| set.with(s).unwrap())
}

/// Sets the calling thread's mask to exactly `signals`; returns the old one.
fn set_thread_mask(signals: &[c_int]) -> libc::sigset_t {
    // SAFETY: sigset_t is plain data, filled in by sigemptyset.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` and `old` are live sigset_t values.
    unsafe {
        libc::sigemptyset(&mut set);
        for &s in signals {
            libc::sigaddset(&mut set, s);
        }
        assert_eq!(libc::pthread_sigmask(libc::SIG_SETMASK, &set, &mut old), 0);
    }
    old
}

fn restore_thread_mask(old: &libc::sigset_t) {
    // SAFETY: `old` is a live sigset_t.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, old, std::ptr::null_mut()) };
}

/// Sets `sig`'s action in this process; returns the old action.
fn set_action(sig: c_int, handler: libc::sighandler_t) -> libc::sighandler_t {
    // SAFETY: a zeroed sigaction is a valid value to fill in.
    let mut act: libc::sigaction = unsafe { std::mem::zeroed() };
    act.sa_sigaction = handler;
    act.sa_flags = libc::SA_RESTART;
    // SAFETY: as above.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: both point to live sigaction values.
    assert_eq!(unsafe { libc::sigaction(sig, &act, &mut old) }, 0);
    old.sa_sigaction
}

/// Whether a `CLONE_VM` child really shares this process's memory. It does
/// not under qemu-user (or valgrind), which turn `CLONE_VM | CLONE_VFORK`
/// into a plain fork; that is how these tests recognise the emulator.
fn clone_vm_shares_memory() -> bool {
    static mut MARK: u8 = 0;
    extern "C" fn child(_: *mut libc::c_void) -> c_int {
        // SAFETY: the parent is suspended (CLONE_VFORK) and reads MARK only
        // after this child is gone.
        unsafe { (&raw mut MARK).write_volatile(1) };
        0
    }
    let mut stack = vec![0u8; 64 * 1024];
    // SAFETY: the stack pointer is the top of a live, writable buffer (glibc
    // aligns it); the child touches nothing else but MARK.
    let pid = unsafe {
        let top = stack.as_mut_ptr().add(stack.len()).cast();
        let flags = libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD;
        libc::clone(child, top, flags, std::ptr::null_mut())
    };
    assert!(pid > 0, "clone failed");
    let mut status = 0;
    // SAFETY: `pid` is our child; `status` is a live c_int.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    // SAFETY: the child is gone.
    unsafe { (&raw const MARK).read_volatile() == 1 }
}

/// The bits of a mask that can be compared here: all of them natively;
/// signals 1 to 31 under qemu-user, which keeps some host real-time signals
/// for itself and gives the program's real-time signals other numbers on
/// the host (so an exec'd host program sees them elsewhere, or not at all).
fn comparable(mask: u64) -> u64 {
    static NATIVE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *NATIVE.get_or_init(|| {
        let native = clone_vm_shares_memory();
        if !native {
            eprintln!("emulated (CLONE_VM is not honoured): real-time signals are not compared");
        }
        native
    }) {
        mask
    } else {
        mask & 0x7fff_ffff
    }
}

/// The mask asked for replaces the parent's entirely, real-time signals
/// included.
#[test]
fn the_child_execs_with_exactly_the_requested_mask() {
    let requested = [libc::SIGUSR2, libc::SIGTERM, libc::SIGCHLD, 40, 64];
    for strategy in strategies() {
        let old = set_thread_mask(&[libc::SIGHUP, libc::SIGINT]);
        let (blocked, _) = child_status(
            *Command::new(c"cat")
                .sigmask(set_of(&requested))
                .strategy(strategy),
        );
        restore_thread_mask(&old);
        assert_eq!(
            comparable(blocked),
            comparable(bits(&requested)),
            "{strategy:?}: SigBlk {blocked:#x}"
        );
    }
}

/// Without a mask asked for, the child execs with the spawning thread's
/// mask, not the all-blocked mask of the spawn itself.
#[test]
fn the_child_execs_with_the_parents_mask_by_default() {
    let parent = [libc::SIGHUP, libc::SIGWINCH, 50];
    for strategy in strategies() {
        let old = set_thread_mask(&parent);
        let (blocked, _) = child_status(*Command::new(c"cat").strategy(strategy));
        restore_thread_mask(&old);
        assert_eq!(
            comparable(blocked),
            comparable(bits(&parent)),
            "{strategy:?}: SigBlk {blocked:#x}"
        );
        let old = set_thread_mask(&[]);
        let (blocked, _) = child_status(*Command::new(c"cat").strategy(strategy));
        restore_thread_mask(&old);
        assert_eq!(
            blocked, 0,
            "{strategy:?}: SigBlk {blocked:#x} with nothing blocked"
        );
    }
}

/// An ignored signal stays ignored in the child (as POSIX wants across
/// exec), unless `sigdefault` names it.
#[test]
fn sigdefault_resets_an_ignored_signal() {
    let _actions = ACTIONS.lock().unwrap_or_else(|e| e.into_inner());
    let old = set_action(libc::SIGUSR2, libc::SIG_IGN);
    let usr2 = bits(&[libc::SIGUSR2]);
    for strategy in strategies() {
        let (_, ignored) = child_status(*Command::new(c"cat").strategy(strategy));
        assert_eq!(ignored & usr2, usr2, "{strategy:?}: SigIgn {ignored:#x}");
        let (_, ignored) = child_status(
            *Command::new(c"cat")
                .sigdefault(set_of(&[libc::SIGUSR2]))
                .strategy(strategy),
        );
        assert_eq!(
            ignored & usr2,
            0,
            "{strategy:?}: SigIgn {ignored:#x} with sigdefault"
        );
    }
    set_action(libc::SIGUSR2, old);
}

/// Where the SIGUSR1 handler reports: a pipe shared with every child.
static REPORT_FD: AtomicI32 = AtomicI32::new(-1);

extern "C" fn report_pid(_: c_int) {
    // SAFETY: getpid and write are async-signal-safe; the buffer is live.
    unsafe {
        let pid = libc::getpid();
        libc::write(
            REPORT_FD.load(Ordering::Relaxed),
            (&raw const pid).cast(),
            4,
        );
    }
}

/// A handler installed in the parent never runs in the child.
///
/// Children join a process group that another thread floods with SIGUSR1.
/// A signal that reaches a child before its exec waits, blocked, until the
/// child sets its mask just before `execve`, and is delivered then: with
/// the handler reset, the default action kills the child; with the
/// parent's handler still there, it would run in the child and write the
/// child's pid into a pipe the children inherit. The exec itself fails
/// (the program does not exist), so a child that got no signal in time
/// reports `exec: ENOENT` and never reaches a program that could be killed.
#[test]
fn a_parent_handler_never_runs_in_the_child() {
    let _actions = ACTIONS.lock().unwrap_or_else(|e| e.into_inner());
    let (report_read, report_write) = pipe();
    // Inherited by the children: above every slot of their map, and not
    // close-on-exec.
    // SAFETY: F_DUPFD takes an integer and returns a new descriptor.
    let inherited = unsafe { libc::fcntl(report_write.as_raw_fd(), libc::F_DUPFD, 400) };
    assert!(inherited >= 400);
    // SAFETY: `inherited` is a new descriptor of ours.
    let inherited = unsafe { OwnedFd::from_raw_fd(inherited) };
    drop(report_write);
    // SAFETY: F_SETFL takes an integer; a full pipe must not block a handler.
    unsafe { libc::fcntl(inherited.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
    REPORT_FD.store(inherited.as_raw_fd(), Ordering::Relaxed);
    let old = set_action(
        libc::SIGUSR1,
        report_pid as extern "C" fn(c_int) as libc::sighandler_t,
    );

    // The handler works, in this process.
    // SAFETY: raise takes a signal number.
    assert_eq!(unsafe { libc::raise(libc::SIGUSR1) }, 0);
    // SAFETY: getpid takes no argument.
    let me = unsafe { libc::getpid() };
    assert_eq!(read_pids(report_read.as_raw_fd()), vec![me]);

    // The group: a leader that ignores SIGUSR1 and waits for its stdin to
    // close.
    let (leader_in, feed) = pipe();
    let (ready, leader_out) = pipe();
    let leader_fds = [
        Slot::Fd(leader_in.as_raw_fd()),
        Slot::Fd(leader_out.as_raw_fd()),
        Slot::Fd(2),
    ];
    let leader_argv =
        CStrArray::<4>::from_slice(&[c"sh", c"-c", c"trap '' USR1; echo ready; read x; exit 0"])
            .unwrap();
    let leader = Command::new(c"sh")
        .args(&leader_argv)
        .fds(&leader_fds)
        .setpgid()
        .spawn()
        .unwrap();
    drop((leader_in, leader_out));
    let mut line = [0u8; 6];
    File::from(ready).read_exact(&mut line).unwrap();
    let group = leader.pid();

    let stop = AtomicBool::new(false);
    let (mut hits, mut misses) = (0, 0);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                // SAFETY: kill takes no pointer.
                unsafe { libc::kill(-group, libc::SIGUSR1) };
            }
        });
        // A long map keeps each child busy with dup2 for a while between
        // joining the group and setting its mask.
        let devnull = File::open("/dev/null").unwrap();
        // SAFETY: F_DUPFD takes an integer and returns a new descriptor.
        let source = unsafe { libc::fcntl(devnull.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 300) };
        assert!(source >= 300);
        // SAFETY: `source` is a new descriptor of ours.
        let source = unsafe { OwnedFd::from_raw_fd(source) };
        let map = vec![Slot::Fd(source.as_raw_fd()); 128];
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut round = 0;
        while hits < 20 && Instant::now() < deadline {
            let strategy = strategies()[round % strategies().len()];
            round += 1;
            let result = Command::new(c"/nonexistent/forkexec-handler-probe")
                .pgid(group)
                .fds(&map)
                .strategy(strategy)
                .spawn();
            match result {
                Ok(child) => {
                    let status = child.wait().unwrap();
                    assert!(
                        matches!(
                            status,
                            ExitStatus::Signaled {
                                signal: libc::SIGUSR1,
                                ..
                            }
                        ),
                        "{strategy:?}: {status:?}"
                    );
                    hits += 1;
                }
                Err(err) => {
                    assert_eq!(
                        (err.step(), err.errno()),
                        (Step::Exec, Errno::ENOENT),
                        "{strategy:?}"
                    );
                    misses += 1;
                }
            }
        }
        stop.store(true, Ordering::Relaxed);
    });
    drop(feed);
    assert!(leader.wait().unwrap().success());
    set_action(libc::SIGUSR1, old);

    eprintln!("{hits} children got SIGUSR1 before their exec, {misses} did not");
    let strangers: Vec<_> = read_pids(report_read.as_raw_fd());
    assert!(
        strangers.is_empty(),
        "the parent's handler ran in children {strangers:?}"
    );
    assert!(
        hits > 0,
        "no signal reached a child before its exec: nothing was checked"
    );
}

/// The pids written into the report pipe so far.
fn read_pids(fd: RawFd) -> Vec<i32> {
    // SAFETY: F_SETFL takes an integer.
    unsafe { libc::fcntl(fd, libc::F_SETFL, libc::O_NONBLOCK) };
    let mut buf = [0u8; 4096];
    // SAFETY: `buf` is live and writable.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    let n = if n < 0 { 0 } else { n as usize };
    buf[..n]
        .chunks_exact(4)
        .map(|c| i32::from_ne_bytes(c.try_into().unwrap()))
        .collect()
}
