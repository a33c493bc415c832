//! Hostile atfork handlers: a child handler that never returns, and a
//! prepare handler that blocks on a lock another thread holds. libc's
//! `fork()` hangs on either (shown first, as a control); a spawn must not.
//!
//! Handlers stay registered for the life of a process, so each test runs in
//! a scenario: a fresh copy of the test binary.

mod common;
mod hostile;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use forkexec::{Command, ExitStatus};
use hostile::{Watchdog, in_subprocess, strategies, watchdog};
use libc::c_int;

/// Spawns per strategy while the hostile handler is registered.
const SPAWNS: usize = 200;

/// The pipe the child handler reports on, one byte per run.
static REPORT_FD: AtomicUsize = AtomicUsize::new(usize::MAX);

extern "C" fn child_never_returns() {
    let fd = REPORT_FD.load(Ordering::Relaxed) as c_int;
    // SAFETY: write and pause are async-signal-safe; the buffer is static.
    unsafe {
        libc::write(fd, b"c".as_ptr().cast(), 1);
        loop {
            libc::pause();
        }
    }
}

/// Reads whatever the handlers reported so far, without blocking.
fn reports(fd: c_int) -> usize {
    let mut buf = [0u8; 64];
    let mut total = 0;
    loop {
        // SAFETY: `buf` is a live buffer of its length.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            return total;
        }
        total += n as usize;
    }
}

#[test]
fn atfork_child_handler_that_never_returns() {
    in_subprocess(60, || {
        let _dog: Watchdog = watchdog(50, "atfork_child_handler_that_never_returns");
        let [read_end, write_end] = hostile::pipe();
        // SAFETY: O_NONBLOCK on our own read end.
        unsafe { libc::fcntl(read_end, libc::F_SETFL, libc::O_NONBLOCK) };
        REPORT_FD.store(write_end as usize, Ordering::Relaxed);
        // SAFETY: the handler is an extern "C" fn that lives forever.
        let r = unsafe { libc::pthread_atfork(None, None, Some(child_never_returns)) };
        assert_eq!(r, 0, "pthread_atfork");

        // Control: libc's fork runs the handler in the child, which then
        // never gets to exec.
        // SAFETY: the child only runs the handler, which never returns.
        let pid = unsafe { libc::fork() };
        assert!(pid > 0, "fork: {}", std::io::Error::last_os_error());
        let deadline = Instant::now() + Duration::from_secs(10);
        while reports(read_end) == 0 {
            assert!(Instant::now() < deadline, "the child handler never ran");
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(50));
        let mut status = 0;
        // SAFETY: `status` is a live c_int; `pid` is our child.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        assert_eq!(r, 0, "libc's fork child should be stuck in its handler");
        // SAFETY: `pid` is our unreaped child.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
            libc::waitpid(pid, &mut status, 0);
        }

        for strategy in strategies() {
            for _ in 0..SPAWNS {
                let child = Command::new(c"/bin/true")
                    .strategy(strategy)
                    .spawn()
                    .unwrap_or_else(|e| panic!("{strategy:?}: {e}"));
                assert_eq!(child.wait().unwrap(), ExitStatus::Exited(0));
            }
            assert_eq!(reports(read_end), 0, "{strategy:?} ran the child handler");
        }
        hostile::assert_no_child_left();
    });
}

/// The lock the prepare handler waits for; another thread holds it.
static HELD: Mutex<()> = Mutex::new(());
static PREPARE_RUNS: AtomicUsize = AtomicUsize::new(0);
static PARENT_RUNS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn prepare_waits_for_the_lock() {
    PREPARE_RUNS.fetch_add(1, Ordering::SeqCst);
    drop(HELD.lock());
}

extern "C" fn parent_counts() {
    PARENT_RUNS.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn atfork_prepare_handler_blocked_on_a_lock_held_elsewhere() {
    in_subprocess(60, || {
        let _dog = watchdog(
            50,
            "atfork_prepare_handler_blocked_on_a_lock_held_elsewhere",
        );
        // SAFETY: the handlers are extern "C" fns that live forever.
        let r = unsafe {
            libc::pthread_atfork(Some(prepare_waits_for_the_lock), Some(parent_counts), None)
        };
        assert_eq!(r, 0, "pthread_atfork");

        // Another thread takes the lock and keeps it.
        let (locked_tx, locked_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _guard = HELD.lock().unwrap();
            locked_tx.send(()).unwrap();
            loop {
                std::thread::park();
            }
        });
        locked_rx.recv().unwrap();

        // Control: libc's fork blocks in the prepare handler, in a thread
        // of its own that stays stuck there.
        let forked = std::sync::Arc::new(AtomicBool::new(false));
        let flag = std::sync::Arc::clone(&forked);
        std::thread::spawn(move || {
            // SAFETY: never returns while the lock is held; if it did, the
            // child would exit at once.
            let pid = unsafe { libc::fork() };
            if pid == 0 {
                // SAFETY: the raw exit, in the child.
                unsafe { libc::_exit(0) };
            }
            flag.store(true, Ordering::SeqCst);
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        while PREPARE_RUNS.load(Ordering::SeqCst) == 0 {
            assert!(Instant::now() < deadline, "the prepare handler never ran");
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            !forked.load(Ordering::SeqCst),
            "libc's fork should be stuck"
        );

        for strategy in strategies() {
            for _ in 0..SPAWNS {
                let child = Command::new(c"/bin/true")
                    .strategy(strategy)
                    .spawn()
                    .unwrap_or_else(|e| panic!("{strategy:?}: {e}"));
                assert_eq!(child.wait().unwrap(), ExitStatus::Exited(0));
            }
        }
        assert_eq!(PREPARE_RUNS.load(Ordering::SeqCst), 1, "only libc's fork");
        assert_eq!(PARENT_RUNS.load(Ordering::SeqCst), 0);
        assert!(!forked.load(Ordering::SeqCst));
        hostile::assert_no_child_left();
    });
}
