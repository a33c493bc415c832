//! Hostile signal conditions: spawning from inside a signal handler that
//! interrupted the allocator, a storm of timer signals during a thousand
//! spawns, and a child killed by a signal before it could exec.
//!
//! Handlers, timers and seccomp filters belong to the whole process, so each
//! test runs in a scenario: a fresh copy of the test binary.

mod common;
mod hostile;

use std::hint::black_box;
use std::sync::atomic::{AtomicI64, AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use forkexec::{Command, Errno, ExitStatus, SigSet, Step, Strategy};
use hostile::{Counting, allocations, in_subprocess, strategies, watchdog};
use libc::c_int;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Installs `handler` for `sig`, without `SA_RESTART`, so that every
/// system call it interrupts fails with `EINTR`.
fn install(sig: c_int, handler: extern "C" fn(c_int)) {
    // SAFETY: an all-zero sigaction is a valid value to fill in.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = handler as usize;
    action.sa_flags = 0;
    // SAFETY: `action` is a live, filled-in sigaction; the handler is an
    // extern "C" fn that lives forever.
    let r = unsafe { libc::sigaction(sig, &action, std::ptr::null_mut()) };
    assert_eq!(r, 0, "sigaction: {}", std::io::Error::last_os_error());
}

fn strategy_code(strategy: Strategy) -> u8 {
    match strategy {
        Strategy::Fork => 0,
        Strategy::Vfork => 1,
        _ => 2,
    }
}

fn strategy_of(code: u8) -> Strategy {
    match code {
        0 => Strategy::Fork,
        1 => Strategy::Vfork,
        _ => Strategy::Auto,
    }
}

/// The strategy the signal handler spawns with.
static HANDLER_STRATEGY: AtomicU8 = AtomicU8::new(0);
/// Handler runs whose spawn and wait succeeded with exit code 0.
static HANDLER_OK: AtomicU64 = AtomicU64::new(0);
/// The last failure seen in the handler: `-errno`, or a status word.
static HANDLER_FAILURE: AtomicI64 = AtomicI64::new(0);
/// Allocator calls made by the handler's spawns.
static HANDLER_ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
/// Handler runs, finished.
static HANDLER_RUNS: AtomicU64 = AtomicU64::new(0);

extern "C" fn spawn_in_handler(_: c_int) {
    let before = allocations();
    let strategy = strategy_of(HANDLER_STRATEGY.load(Ordering::SeqCst));
    match Command::new(c"/bin/true").strategy(strategy).spawn() {
        Ok(child) => match child.wait() {
            Ok(ExitStatus::Exited(0)) => {
                HANDLER_OK.fetch_add(1, Ordering::SeqCst);
            }
            Ok(other) => HANDLER_FAILURE.store(other.code().unwrap_or(-1).into(), Ordering::SeqCst),
            Err(errno) => HANDLER_FAILURE.store((-errno.raw()).into(), Ordering::SeqCst),
        },
        Err(err) => HANDLER_FAILURE.store((-err.errno().raw()).into(), Ordering::SeqCst),
    }
    HANDLER_ALLOCATIONS.fetch_add(allocations() - before, Ordering::SeqCst);
    HANDLER_RUNS.fetch_add(1, Ordering::SeqCst);
}

/// Handler runs per strategy.
const HANDLER_SPAWNS: u64 = 200;

#[test]
fn spawn_from_a_signal_handler_that_interrupted_malloc() {
    in_subprocess(60, || {
        let _dog = watchdog(50, "spawn_from_a_signal_handler_that_interrupted_malloc");
        install(libc::SIGUSR1, spawn_in_handler);
        // SAFETY: pthread_self takes no argument.
        let target = unsafe { libc::pthread_self() } as usize;

        for strategy in strategies() {
            HANDLER_STRATEGY.store(strategy_code(strategy), Ordering::SeqCst);
            HANDLER_RUNS.store(0, Ordering::SeqCst);
            HANDLER_OK.store(0, Ordering::SeqCst);
            // Another thread interrupts this one, over and over, while it
            // allocates and frees: the handler often runs with the
            // allocator in the middle of a call.
            let sender = std::thread::spawn(move || {
                for n in 1..=HANDLER_SPAWNS {
                    // SAFETY: `target` is the test thread, alive until the
                    // sender is joined.
                    unsafe { libc::pthread_kill(target as libc::pthread_t, libc::SIGUSR1) };
                    let deadline = Instant::now() + Duration::from_secs(20);
                    while HANDLER_RUNS.load(Ordering::SeqCst) < n {
                        assert!(Instant::now() < deadline, "handler run {n} never finished");
                        std::thread::yield_now();
                    }
                }
            });
            let mut size = 1usize;
            while HANDLER_RUNS.load(Ordering::SeqCst) < HANDLER_SPAWNS {
                size = (size * 7 + 13) % 200_000 + 1;
                let block: Vec<u8> = black_box(Vec::with_capacity(size));
                drop(block);
            }
            sender.join().unwrap();
            assert_eq!(
                HANDLER_OK.load(Ordering::SeqCst),
                HANDLER_SPAWNS,
                "{strategy:?}: last failure {}",
                HANDLER_FAILURE.load(Ordering::SeqCst)
            );
            assert_eq!(
                HANDLER_ALLOCATIONS.load(Ordering::SeqCst),
                0,
                "{strategy:?}: a spawn in the handler called the allocator"
            );
        }
        hostile::assert_no_child_left();
    });
}

static ALARMS: AtomicU64 = AtomicU64::new(0);

extern "C" fn count_alarm(_: c_int) {
    ALARMS.fetch_add(1, Ordering::Relaxed);
}

/// Spawns per strategy in the storm.
const STORM_SPAWNS: usize = 1000;
/// The timer's period (the issue's ~50 µs).
const STORM_PERIOD_NS: i64 = 50_000;

#[test]
fn eintr_storm_during_a_thousand_spawns() {
    in_subprocess(90, || {
        let _dog = watchdog(80, "eintr_storm_during_a_thousand_spawns");
        install(libc::SIGALRM, count_alarm);
        let fds_before = hostile::open_fds();
        let mask_before = SigSet::current().unwrap();

        // A timer that signals this thread alone.
        // SAFETY: an all-zero sigevent is a valid value to fill in.
        let mut event: libc::sigevent = unsafe { std::mem::zeroed() };
        event.sigev_notify = libc::SIGEV_THREAD_ID;
        event.sigev_signo = libc::SIGALRM;
        // SAFETY: gettid takes no argument.
        event.sigev_notify_thread_id = unsafe { libc::gettid() };
        let mut timer: libc::timer_t = std::ptr::null_mut();
        // SAFETY: `event` and `timer` are live.
        let r = unsafe { libc::timer_create(libc::CLOCK_MONOTONIC, &mut event, &mut timer) };
        assert_eq!(r, 0, "timer_create: {}", std::io::Error::last_os_error());
        let period = libc::timespec {
            tv_sec: 0,
            tv_nsec: STORM_PERIOD_NS,
        };
        let spec = libc::itimerspec {
            it_interval: period,
            it_value: period,
        };
        // SAFETY: `timer` was made above; `spec` is live.
        let r = unsafe { libc::timer_settime(timer, 0, &spec, std::ptr::null_mut()) };
        assert_eq!(r, 0, "timer_settime: {}", std::io::Error::last_os_error());

        let mut failures = Vec::new();
        for strategy in strategies() {
            for i in 0..STORM_SPAWNS {
                // Every fourth spawn fails in the child, so that the report
                // and the reaping of a failed child run in the storm too.
                let (program, fails) = match i % 4 {
                    0 => (c"true", false),
                    3 => (c"/nonexistent/program", true),
                    _ => (c"/bin/true", false),
                };
                let result = Command::new(program).strategy(strategy).spawn();
                match (result, fails) {
                    (Ok(child), false) => match child.wait() {
                        Ok(ExitStatus::Exited(0)) => {}
                        other => failures.push(format!("{strategy:?} #{i}: wait {other:?}")),
                    },
                    (Err(err), true)
                        if (err.step(), err.errno()) == (Step::Exec, Errno::ENOENT) => {}
                    (Err(err), _) => failures.push(format!("{strategy:?} #{i}: {err}")),
                    (Ok(child), true) => {
                        failures.push(format!("{strategy:?} #{i}: spawned {}", child.pid()));
                        let _ = child.wait();
                    }
                }
            }
        }

        // SAFETY: `timer` was made above and is deleted once.
        unsafe { libc::timer_delete(timer) };
        let alarms = ALARMS.load(Ordering::Relaxed);
        assert!(
            failures.is_empty(),
            "{} failures: {failures:#?}",
            failures.len()
        );
        assert!(
            alarms >= 1000,
            "the storm was too weak to mean anything: {alarms} signals"
        );
        eprintln!("{alarms} timer signals during the spawns");
        assert_eq!(
            SigSet::current().unwrap(),
            mask_before,
            "signal mask changed"
        );
        assert_eq!(hostile::open_fds(), fds_before, "descriptors leaked");
        hostile::assert_no_child_left();
    });
}

/// Installs a seccomp filter that kills the calling process when it calls
/// `setsid`, which the test itself never does: a spawn's child that is
/// asked to `setsid` dies by `SIGSYS` before it can exec.
fn kill_on_setsid() -> Result<(), String> {
    // linux/audit.h
    #[cfg(target_arch = "x86_64")]
    const AUDIT_ARCH: u32 = 0xC000_003E;
    #[cfg(target_arch = "aarch64")]
    const AUDIT_ARCH: u32 = 0xC000_00B7;
    // linux/bpf_common.h: BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K,
    // BPF_RET|BPF_K.
    const LOAD: u16 = 0x20;
    const JEQ: u16 = 0x15;
    const RET: u16 = 0x06;
    // struct seccomp_data (linux/seccomp.h): nr at 0, arch at 4.
    let op = |code, jt, jf, k| libc::sock_filter { code, jt, jf, k };
    let program = [
        op(LOAD, 0, 0, 4),
        op(JEQ, 0, 3, AUDIT_ARCH),
        op(LOAD, 0, 0, 0),
        op(JEQ, 0, 1, libc::SYS_setsid as u32),
        op(RET, 0, 0, libc::SECCOMP_RET_KILL_PROCESS),
        op(RET, 0, 0, libc::SECCOMP_RET_ALLOW),
    ];
    let fprog = libc::sock_fprog {
        len: program.len() as u16,
        filter: program.as_ptr().cast_mut(),
    };
    // SAFETY: prctl with integer arguments.
    if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
        return Err(format!("no_new_privs: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: `fprog` points to a live filter program.
    let r = unsafe {
        libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER as libc::c_ulong,
            &fprog as *const libc::sock_fprog,
        )
    };
    if r != 0 {
        return Err(format!("seccomp: {}", std::io::Error::last_os_error()));
    }
    Ok(())
}

#[test]
fn child_killed_by_a_signal_before_exec() {
    in_subprocess(60, || {
        let _dog = watchdog(50, "child_killed_by_a_signal_before_exec");
        let test = "child_killed_by_a_signal_before_exec";
        if common::unsupported_under_emulation(test, "seccomp filters are the host's") {
            return;
        }
        if let Err(why) = kill_on_setsid() {
            common::skip(test, &format!("no seccomp filter here ({why})"));
            return;
        }
        let fds_before = hostile::open_fds();
        for strategy in strategies() {
            for _ in 0..50 {
                // The status channel closes when the child dies, as it does
                // at exec: the spawn cannot tell the two apart, and returns
                // the child, whose status tells what happened.
                let child = Command::new(c"/bin/true")
                    .setsid()
                    .strategy(strategy)
                    .spawn()
                    .unwrap_or_else(|e| panic!("{strategy:?}: {e}"));
                match child.wait() {
                    Ok(ExitStatus::Signaled { signal, .. }) if signal == libc::SIGSYS => {}
                    other => panic!("{strategy:?}: expected death by SIGSYS, got {other:?}"),
                }
            }
        }
        assert_eq!(hostile::open_fds(), fds_before, "descriptors leaked");
        hostile::assert_no_child_left();
    });
}

#[test]
fn sigchld_ignored_children_reap_themselves() {
    // Servers often ignore SIGCHLD so that the kernel reaps their children:
    // a failed spawn must still report its step, and nothing may wait for a
    // child that is already gone.
    in_subprocess(60, || {
        let _dog = watchdog(50, "sigchld_ignored_children_reap_themselves");
        // SAFETY: SIG_IGN is a valid disposition for SIGCHLD.
        unsafe { libc::signal(libc::SIGCHLD, libc::SIG_IGN) };
        for strategy in strategies() {
            for _ in 0..20 {
                let err = Command::new(c"/bin/true")
                    .dir(c"/nonexistent")
                    .strategy(strategy)
                    .spawn()
                    .map(|child| child.pid())
                    .unwrap_err();
                assert_eq!((err.step(), err.errno()), (Step::Chdir, Errno::ENOENT));
                let child = Command::new(c"/bin/true")
                    .strategy(strategy)
                    .spawn()
                    .unwrap_or_else(|e| panic!("{strategy:?}: {e}"));
                // The kernel reaps it: wait blocks until it has exited, and
                // then has nothing to report.
                assert_eq!(child.wait(), Err(Errno::ECHILD), "{strategy:?}");
            }
        }
        hostile::assert_no_child_left();
    });
}

#[test]
fn a_reaper_thread_steals_every_child() {
    // Another part of the program reaps every child (waitpid(-1)), as
    // process supervisors and some runtimes do: spawns must still report
    // failures exactly and return, even when their child is stolen.
    in_subprocess(60, || {
        let _dog = watchdog(50, "a_reaper_thread_steals_every_child");
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = std::sync::Arc::clone(&stop);
        let reaper = std::thread::spawn(move || {
            let mut stolen = 0u64;
            while !flag.load(Ordering::Relaxed) {
                let mut status = 0;
                // SAFETY: `status` is a live c_int.
                if unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) } > 0 {
                    stolen += 1;
                } else {
                    std::thread::yield_now();
                }
            }
            stolen
        });
        let mut waited = 0;
        for strategy in strategies() {
            for i in 0..200 {
                if i % 2 == 0 {
                    let err = Command::new(c"/nonexistent/program")
                        .strategy(strategy)
                        .spawn()
                        .map(|child| child.pid())
                        .unwrap_err();
                    assert_eq!((err.step(), err.errno()), (Step::Exec, Errno::ENOENT));
                    continue;
                }
                let child = Command::new(c"/bin/true")
                    .strategy(strategy)
                    .spawn()
                    .unwrap_or_else(|e| panic!("{strategy:?}: {e}"));
                match child.wait() {
                    Ok(ExitStatus::Exited(0)) => waited += 1,
                    Err(Errno::ECHILD) => {}
                    other => panic!("{strategy:?}: {other:?}"),
                }
            }
        }
        stop.store(true, Ordering::Relaxed);
        let stolen = reaper.join().unwrap();
        eprintln!("{stolen} children stolen by the reaper, {waited} waited for");
        hostile::assert_no_child_left();
    });
}

/// Size of the alternate signal stack for the handler that spawns: a spawn
/// takes up to 16.5 KiB (the `Strategy` docs), the kernel's signal frame up
/// to some 4 KiB with AVX-512 state, and the handler its own frame.
const ALT_STACK: usize = 24 * 1024;

#[test]
fn spawn_from_a_handler_on_a_small_alternate_stack() {
    in_subprocess(60, || {
        let _dog = watchdog(50, "spawn_from_a_handler_on_a_small_alternate_stack");
        // SAFETY: sysconf takes no pointer.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
        // A guard page below the stack, so that an overflow is a crash and
        // not silent damage to whatever lies below.
        // SAFETY: a fresh anonymous mapping; its first page is then made
        // inaccessible.
        let base = unsafe {
            let base = libc::mmap(
                std::ptr::null_mut(),
                page + ALT_STACK,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            assert_ne!(base, libc::MAP_FAILED);
            assert_eq!(libc::mprotect(base, page, libc::PROT_NONE), 0);
            base
        };
        let stack = libc::stack_t {
            // SAFETY: within the mapping.
            ss_sp: unsafe { base.cast::<u8>().add(page) }.cast(),
            ss_flags: 0,
            ss_size: ALT_STACK,
        };
        // SAFETY: `stack` describes live memory that outlives its use.
        assert_eq!(
            unsafe { libc::sigaltstack(&stack, std::ptr::null_mut()) },
            0
        );
        // SAFETY: an all-zero sigaction is a valid value to fill in.
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = spawn_in_handler as extern "C" fn(c_int) as usize;
        action.sa_flags = libc::SA_ONSTACK;
        // SAFETY: a filled-in sigaction with a handler that lives forever.
        assert_eq!(
            unsafe { libc::sigaction(libc::SIGUSR2, &action, std::ptr::null_mut()) },
            0
        );

        for strategy in strategies() {
            HANDLER_STRATEGY.store(strategy_code(strategy), Ordering::SeqCst);
            HANDLER_OK.store(0, Ordering::SeqCst);
            for _ in 0..20 {
                // SAFETY: raise takes no pointer.
                assert_eq!(unsafe { libc::raise(libc::SIGUSR2) }, 0);
            }
            assert_eq!(
                HANDLER_OK.load(Ordering::SeqCst),
                20,
                "{strategy:?}: last failure {}",
                HANDLER_FAILURE.load(Ordering::SeqCst)
            );
        }
        hostile::assert_no_child_left();
    });
}
