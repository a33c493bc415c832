//! Resource limits reached: each must come back as a clear `(step, errno)`
//! from the step that hit it, with nothing leaked and no child left behind.
//!
//! Limits and credentials belong to the whole process, so the tests that
//! change them run in a scenario: a fresh copy of the test binary.

mod common;
mod hostile;

use std::ffi::CString;

use forkexec::{Command, Errno, ExitStatus, SigSet, Slot, Step, Strategy};
use hostile::{in_subprocess, strategies, watchdog};
use libc::c_int;

fn set_limit(resource: libc::__rlimit_resource_t, soft: u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a live rlimit.
    assert_eq!(unsafe { libc::getrlimit(resource, &mut lim) }, 0);
    lim.rlim_cur = soft;
    // SAFETY: `lim` is a live rlimit.
    let r = unsafe { libc::setrlimit(resource, &lim) };
    assert_eq!(r, 0, "setrlimit: {}", std::io::Error::last_os_error());
}

/// The unprivileged user and group the tests become (`nobody` and
/// `nogroup` on Debian and most distributions).
const NOBODY: u32 = 65534;

#[test]
fn nproc_limit_reached_is_fork_eagain() {
    // Root is exempt from RLIMIT_NPROC (fork(2)), so the scenario becomes
    // an unprivileged user first, which only root can do.
    if !common::require_root("nproc_limit_reached_is_fork_eagain") {
        return;
    }
    in_subprocess(60, || {
        let _dog = watchdog(50, "nproc_limit_reached_is_fork_eagain");
        // The limit counts every task of the real user: this process's own
        // threads are already more than one.
        set_limit(libc::RLIMIT_NPROC, 1);
        // SAFETY: plain calls with integer or null arguments; the process
        // gives up root for good.
        unsafe {
            assert_eq!(libc::setgroups(0, std::ptr::null()), 0, "setgroups");
            assert_eq!(libc::setresgid(NOBODY, NOBODY, NOBODY), 0, "setresgid");
            assert_eq!(libc::setresuid(NOBODY, NOBODY, NOBODY), 0, "setresuid");
        }
        let fds_before = hostile::open_fds();
        let mask_before = SigSet::current().unwrap();
        for strategy in strategies() {
            for _ in 0..20 {
                let err = Command::new(c"/bin/true")
                    .strategy(strategy)
                    .spawn()
                    .map(|child| child.pid())
                    .unwrap_err();
                assert_eq!(
                    (err.step(), err.errno()),
                    (Step::Fork, Errno::EAGAIN),
                    "{strategy:?}: {err}"
                );
            }
        }
        assert_eq!(hostile::open_fds(), fds_before, "descriptors leaked");
        assert_eq!(
            SigSet::current().unwrap(),
            mask_before,
            "signal mask changed"
        );
        hostile::assert_no_child_left();
    });
}

/// Closes every descriptor above 2 and returns the lowest free number,
/// so that the test knows which numbers the next descriptors take.
fn only_stdio() -> c_int {
    // SAFETY: the scenario owns its descriptors; nothing else in it uses
    // one above 2.
    let r = unsafe { libc::close_range(3, u32::MAX, 0) };
    assert_eq!(r, 0, "close_range: {}", std::io::Error::last_os_error());
    assert_eq!(hostile::open_fds(), [0, 1, 2]);
    3
}

#[test]
fn nofile_limit_reached_at_the_status_pipe() {
    in_subprocess(60, || {
        let _dog = watchdog(50, "nofile_limit_reached_at_the_status_pipe");
        let lowest_free = only_stdio();
        // The fast path's first spawn makes a pipe too, to learn whether the
        // child really shares the parent's memory; after that it needs none,
        // unless it does not (user-mode emulation).
        // (Builds without the fast path refuse it as invalid: there, Auto
        // is a fork.)
        let fast_path = match Command::new(c"/bin/true").strategy(Strategy::Vfork).spawn() {
            Ok(child) => {
                assert_eq!(child.wait().unwrap(), ExitStatus::Exited(0));
                true
            }
            Err(err) if err.step() == Step::Invalid => false,
            Err(err) => panic!("{err}"),
        };
        let fast_path_needs_a_pipe = !fast_path || common::emulator().is_some();
        // One number free: the status pipe needs two.
        set_limit(libc::RLIMIT_NOFILE, lowest_free as u64 + 1);
        for strategy in strategies() {
            let needs_a_pipe = strategy == Strategy::Fork || fast_path_needs_a_pipe;
            for _ in 0..20 {
                let result = Command::new(c"/bin/true").strategy(strategy).spawn();
                match result {
                    Err(err) if needs_a_pipe => {
                        assert_eq!((err.step(), err.errno()), (Step::Pipe, Errno::EMFILE));
                    }
                    Ok(child) if !needs_a_pipe => {
                        assert_eq!(child.wait().unwrap(), ExitStatus::Exited(0));
                    }
                    other => panic!("{strategy:?}: {other:?}"),
                }
            }
        }
        assert_eq!(hostile::open_fds(), [0, 1, 2], "descriptors leaked");
        hostile::assert_no_child_left();
    });
}

#[test]
fn nofile_limit_reached_in_the_child_is_fd_emfile() {
    in_subprocess(60, || {
        let _dog = watchdog(50, "nofile_limit_reached_in_the_child_is_fd_emfile");
        only_stdio();
        // SAFETY: dup of our own descriptor; it becomes 3.
        assert_eq!(unsafe { libc::fcntl(0, libc::F_DUPFD_CLOEXEC, 3) }, 3);
        // Room for exactly two more descriptors: the status pipe takes them
        // (fork), or the child's copies do (fast path), and the map needs
        // three copies above it: slots 1-3 each take a source that an
        // earlier slot overwrites.
        set_limit(libc::RLIMIT_NOFILE, 6);
        let map = [Slot::Fd(3), Slot::Fd(0), Slot::Fd(1), Slot::Fd(2)];
        for strategy in strategies() {
            for _ in 0..20 {
                let err = Command::new(c"/bin/true")
                    .fds(&map)
                    .strategy(strategy)
                    .spawn()
                    .map(|child| child.pid())
                    .unwrap_err();
                assert_eq!(
                    (err.step(), err.errno()),
                    (Step::Fd, Errno::EMFILE),
                    "{strategy:?}: {err}"
                );
            }
        }
        assert_eq!(hostile::open_fds(), [0, 1, 2, 3], "descriptors leaked");
        hostile::assert_no_child_left();
    });
}

/// `MAX_ARG_STRLEN` (linux/binfmts.h): 32 pages; a longer string is E2BIG.
fn max_arg_strlen() -> usize {
    // SAFETY: sysconf takes no pointer.
    32 * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize
}

/// The room execve gives argv and envp together: a quarter of the stack
/// limit, at most three quarters of 8 MiB (`_STK_LIM`, fs/exec.c).
fn arg_max() -> usize {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a live rlimit.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_STACK, &mut lim) }, 0);
    let quarter = if lim.rlim_cur == libc::RLIM_INFINITY {
        usize::MAX
    } else {
        lim.rlim_cur as usize / 4
    };
    quarter.min(6 << 20)
}

/// Spawns `/bin/true` with `args` after argv[0].
fn spawn_with_args(strategy: Strategy, args: &[CString]) -> Result<ExitStatus, forkexec::Error> {
    let mut argv: Vec<*const libc::c_char> = vec![c"true".as_ptr()];
    argv.extend(args.iter().map(|a| a.as_ptr()));
    argv.push(std::ptr::null());
    let mut cmd = Command::new(c"/bin/true");
    // SAFETY: `argv` is a NUL-terminated array of live C strings, alive and
    // unchanged until the spawn returns.
    unsafe { cmd.args_raw(argv.as_ptr()) };
    let child = cmd.strategy(strategy).spawn()?;
    Ok(child.wait().expect("wait"))
}

#[test]
fn argv_too_large_is_exec_e2big() {
    let _dog = watchdog(60, "argv_too_large_is_exec_e2big");
    let longest = max_arg_strlen() - 1;
    let one_string = |len| CString::new(vec![b'x'; len]).unwrap();
    // Many strings, each allowed, that together pass the limit.
    let piece = 100 << 10;
    let many: Vec<CString> = (0..arg_max() / piece + 2)
        .map(|_| one_string(piece))
        .collect();
    for strategy in strategies() {
        // The longest string allowed runs.
        assert_eq!(
            spawn_with_args(strategy, &[one_string(longest)]).unwrap(),
            ExitStatus::Exited(0)
        );
        for (what, args) in [
            ("one string", vec![one_string(longest + 1)]),
            ("in all", many.clone()),
        ] {
            let err = spawn_with_args(strategy, &args).unwrap_err();
            assert_eq!(
                (err.step(), err.errno()),
                (Step::Exec, Errno::E2BIG),
                "{strategy:?}, too long {what}: {err}"
            );
        }
    }
}

#[test]
fn close_other_fds_reaches_descriptors_above_the_soft_limit() {
    // A descriptor opened before the soft RLIMIT_NOFILE was lowered stays
    // open above it; closing "every other descriptor" must still close it.
    in_subprocess(60, || {
        let _dog = watchdog(
            50,
            "close_other_fds_reaches_descriptors_above_the_soft_limit",
        );
        only_stdio();
        let high = 4000;
        // SAFETY: a copy of our own descriptor, not close-on-exec.
        assert_eq!(unsafe { libc::dup2(0, high) }, high);
        set_limit(libc::RLIMIT_NOFILE, 64);
        let mut argv = forkexec::CStrArray::<3>::new();
        argv.push(c"sleep").unwrap().push(c"1000").unwrap();
        let map = [Slot::Fd(0), Slot::Fd(1), Slot::Fd(2)];
        for strategy in strategies() {
            for close_other_fds in [false, true] {
                let mut cmd = Command::new(hostile::SLEEP);
                cmd.args(&argv).fds(&map).strategy(strategy);
                if close_other_fds {
                    cmd.close_other_fds();
                }
                let child = cmd.spawn().unwrap_or_else(|e| panic!("{strategy:?}: {e}"));
                hostile::wait_until_sleeping(child.pid());
                let fds: Vec<c_int> = hostile::child_fds(child.pid()).into_keys().collect();
                hostile::kill_and_reap(&child);
                let expected: &[c_int] = if close_other_fds {
                    &[0, 1, 2]
                } else {
                    &[0, 1, 2, high]
                };
                assert_eq!(
                    fds, expected,
                    "{strategy:?}, close_other_fds {close_other_fds}"
                );
            }
        }
        hostile::assert_no_child_left();
    });
}
