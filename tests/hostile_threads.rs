//! Concurrent spawns from many threads: every child must receive exactly
//! the descriptors of its own map, never another spawn's status pipe or
//! sources, and no spawn may wait on a pipe another child holds.
//!
//! The test starts from a table with nothing above descriptor 2, so it runs
//! in a scenario: a fresh copy of the test binary.

mod common;
mod hostile;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use forkexec::{CStrArray, Command, Errno, ExitStatus, Slot, Step, Strategy};
use hostile::{SLEEP, in_subprocess, strategies, watchdog};

const THREADS: usize = 4;
const SPAWNS_PER_THREAD: usize = 25;

/// One spawn with a map of fresh pipes, checked against the child's table.
fn spawn_and_check(strategy: Strategy, thread: usize, n: usize) {
    let pipes = [hostile::pipe(), hostile::pipe(), hostile::pipe()];
    let map = [
        Slot::Fd(pipes[0][0]),
        Slot::Fd(pipes[1][1]),
        Slot::Closed,
        Slot::Fd(pipes[2][0]),
    ];
    let mut argv = CStrArray::<3>::new();
    argv.push(c"sleep").unwrap().push(c"1000").unwrap();
    let mut cmd = Command::new(SLEEP);
    cmd.args(&argv).fds(&map).strategy(strategy);
    if n % 2 == 1 {
        cmd.close_other_fds();
    }
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("{strategy:?}, thread {thread}, spawn {n}: {e}"));
    let expected: BTreeMap<_, _> = [
        (0, hostile::file_id(pipes[0][0])),
        (1, hostile::file_id(pipes[1][1])),
        (3, hostile::file_id(pipes[2][0])),
    ]
    .into();
    hostile::wait_until_sleeping(child.pid());
    let got = hostile::child_fds(child.pid());
    hostile::kill_and_reap(&child);
    for fd in pipes.iter().flatten() {
        hostile::close(*fd);
    }
    assert_eq!(
        got, expected,
        "{strategy:?}, thread {thread}, spawn {n}: the child's descriptors"
    );
}

#[test]
fn concurrent_spawns_each_get_exactly_their_own_descriptors() {
    in_subprocess(90, || {
        let _dog = watchdog(
            80,
            "concurrent_spawns_each_get_exactly_their_own_descriptors",
        );
        // SAFETY: the scenario owns its descriptors; nothing in it uses one
        // above 2.
        assert_eq!(unsafe { libc::close_range(3, u32::MAX, 0) }, 0);
        for strategy in strategies() {
            std::thread::scope(|scope| {
                for thread in 0..THREADS {
                    scope.spawn(move || {
                        for n in 0..SPAWNS_PER_THREAD {
                            spawn_and_check(strategy, thread, n);
                        }
                    });
                }
            });
        }
        assert_eq!(hostile::open_fds(), [0, 1, 2], "descriptors leaked");
        hostile::assert_no_child_left();
    });
}

/// Fresh executables written and run while other threads spawn.
const FRESH_FILES: usize = 100;

#[test]
fn fresh_executable_while_other_threads_spawn_is_exec_etxtbsy_at_worst() {
    let _dog = watchdog(80, "fresh_executable_while_other_threads_spawn");
    let dir = hostile::temp_dir("forkexec-fresh");
    let program = std::fs::read("/bin/true").expect("/bin/true");
    for strategy in strategies() {
        let stop = Arc::new(AtomicBool::new(false));
        let spawners: Vec<_> = (0..2)
            .map(|_| {
                let stop = Arc::clone(&stop);
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let child = Command::new(c"/bin/true").strategy(strategy).spawn();
                        let child = child.unwrap_or_else(|e| panic!("{strategy:?}: {e}"));
                        assert_eq!(child.wait().unwrap(), ExitStatus::Exited(0));
                    }
                })
            })
            .collect();
        let mut busy = 0;
        for n in 0..FRESH_FILES {
            let path = dir.0.join(format!("true-{n}"));
            std::fs::write(&path, &program).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
            let path = hostile::c_path(&path);
            // A spawner's child may still hold the descriptor the write
            // used, until its own exec: then, and only then, ETXTBSY.
            let mut tries = 0;
            let child = loop {
                match Command::new(&path).strategy(strategy).spawn() {
                    Ok(child) => break child,
                    Err(err) if (err.step(), err.errno()) == (Step::Exec, Errno::ETXTBSY) => {
                        busy += 1;
                        tries += 1;
                        assert!(tries < 1000, "{strategy:?}: ETXTBSY never ends");
                        std::thread::sleep(std::time::Duration::from_micros(200));
                    }
                    Err(err) => panic!("{strategy:?}: {err}"),
                }
            };
            assert_eq!(child.wait().unwrap(), ExitStatus::Exited(0));
        }
        stop.store(true, Ordering::Relaxed);
        for spawner in spawners {
            spawner.join().unwrap();
        }
        eprintln!("{strategy:?}: {busy} ETXTBSY for {FRESH_FILES} fresh executables");
    }
}

#[test]
fn fork_lock_held_forever_by_another_thread() {
    // On Linux every descriptor the crate makes is close-on-exec from the
    // start, so a spawn does not take the fork lock: a thread that keeps it
    // (shared or exclusive, and never lets go) cannot hold spawns up.
    let _dog = watchdog(60, "fork_lock_held_forever_by_another_thread");
    for exclusive in [false, true] {
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let holder = std::thread::spawn(move || {
            if exclusive {
                let _guard = forkexec::ForkLock::exclusive();
                held_tx.send(()).unwrap();
                let _ = done_rx.recv();
            } else {
                let _guard = forkexec::ForkLock::shared();
                held_tx.send(()).unwrap();
                let _ = done_rx.recv();
            }
        });
        held_rx.recv().unwrap();
        for strategy in strategies() {
            for _ in 0..50 {
                let child = Command::new(c"/bin/true")
                    .strategy(strategy)
                    .spawn()
                    .unwrap_or_else(|e| panic!("{strategy:?}: {e}"));
                assert_eq!(child.wait().unwrap(), ExitStatus::Exited(0));
            }
        }
        drop(done_tx);
        holder.join().unwrap();
    }
}

#[test]
fn another_thread_changes_the_environment_during_spawns() {
    // A command without `env` passes the parent's `environ` to execve, and
    // a setenv in another thread may free that array meanwhile: the fast
    // path's child then reads freed memory (exec fails with EFAULT, or gets
    // a torn environment), as the libc-based posix_spawn does. A program
    // that changes its environment from several threads passes an explicit
    // environment, which this test shows no setenv can disturb.
    in_subprocess(90, || {
        let _dog = watchdog(80, "another_thread_changes_the_environment_during_spawns");
        // Everything that reads the environment is done before the storm.
        let strategies = strategies();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let changer = std::thread::spawn(move || {
            let mut n = 0u64;
            while !flag.load(Ordering::Relaxed) {
                let name = std::ffi::CString::new(format!("HOSTILE_{}", n % 2000)).unwrap();
                let value = std::ffi::CString::new("x".repeat((n % 50) as usize + 1)).unwrap();
                // SAFETY: live C strings; no other thread reads the
                // environment while this one changes it.
                unsafe { libc::setenv(name.as_ptr(), value.as_ptr(), 1) };
                if n % 2000 == 1999 {
                    // SAFETY: as above.
                    unsafe { libc::clearenv() };
                }
                n += 1;
            }
            n
        });
        let mut envp = CStrArray::<3>::new();
        envp.push(c"PATH=/bin:/usr/bin")
            .unwrap()
            .push(c"LANG=C")
            .unwrap();
        for strategy in strategies {
            for i in 0..1000 {
                let child = Command::new(c"/bin/true")
                    .env(&envp)
                    .strategy(strategy)
                    .spawn()
                    .unwrap_or_else(|e| panic!("{strategy:?}, spawn {i}: {e}"));
                assert_eq!(child.wait().unwrap(), ExitStatus::Exited(0));
            }
        }
        stop.store(true, Ordering::Relaxed);
        let changes = changer.join().unwrap();
        assert!(
            changes > 10_000,
            "the environment hardly changed: {changes}"
        );
    });
}

#[test]
fn another_thread_closes_descriptors_it_does_not_own() {
    // A daemon-style thread that closes every descriptor above 2, again and
    // again, closes the status pipe under a spawn's feet. The spawn cannot
    // know what happened to its child then: it kills and reaps it, and says
    // so (protocol, EBADF). Whatever happens, it returns, and no child is
    // left behind.
    in_subprocess(90, || {
        let _dog = watchdog(80, "another_thread_closes_descriptors_it_does_not_own");
        let strategies = strategies();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let closer = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                // SAFETY: closing numbers this thread does not own is the
                // hostile act under test; nothing else in the scenario needs
                // a descriptor above 2.
                unsafe { libc::close_range(3, u32::MAX, 0) };
            }
        });
        let mut outcomes = BTreeMap::new();
        for strategy in strategies {
            for i in 0..1000 {
                let (program, code) = match i % 2 {
                    0 => (c"/bin/true", 0),
                    _ => (c"/nonexistent/program", 127),
                };
                let outcome = match Command::new(program).strategy(strategy).spawn() {
                    // A failure report lost with the pipe: the failed
                    // child's exit code (127) still tells.
                    Ok(child) => match child.wait() {
                        Ok(ExitStatus::Exited(c)) if c == code => "ran or failed, as expected",
                        other => panic!("{strategy:?}, {program:?}: {other:?}"),
                    },
                    Err(err) => match (err.step(), err.errno()) {
                        (Step::Exec, Errno::ENOENT) if code == 127 => "exec failure reported",
                        (Step::Protocol, Errno::EBADF) => "pipe closed: child killed and reaped",
                        _ => panic!("{strategy:?}, {program:?}: {err}"),
                    },
                };
                *outcomes
                    .entry((format!("{strategy:?}"), outcome))
                    .or_insert(0) += 1;
            }
        }
        stop.store(true, Ordering::Relaxed);
        closer.join().unwrap();
        eprintln!("{outcomes:#?}");
        hostile::assert_no_child_left();
    });
}
