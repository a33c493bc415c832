//! No `pthread_atfork` handler runs because of a spawn, in the parent or in
//! the child; libc's `fork()`, as the control, runs all three.
//!
//! The handlers stay registered for the life of the process, so this test
//! binary holds this one test.

mod common;

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

use common::{Args, pipe, spawn};
use forkexec::{Command, ExitStatus, Slot, Step};

static PREPARE: AtomicUsize = AtomicUsize::new(0);
static PARENT: AtomicUsize = AtomicUsize::new(0);
/// The write end of a pipe; the child handler writes one byte to it, since
/// a child's counters are not visible to the parent.
static CHILD_MARK: AtomicI32 = AtomicI32::new(-1);

extern "C" fn prepare() {
    PREPARE.fetch_add(1, Ordering::SeqCst);
}

extern "C" fn parent() {
    PARENT.fetch_add(1, Ordering::SeqCst);
}

extern "C" fn child() {
    let fd = CHILD_MARK.load(Ordering::SeqCst);
    // SAFETY: write is async-signal-safe; the buffer is one static byte.
    unsafe { libc::write(fd, b"c".as_ptr().cast(), 1) };
}

/// The bytes waiting in the non-blocking pipe `fd`.
fn pending(fd: &OwnedFd) -> usize {
    let mut buf = [0u8; 64];
    // SAFETY: `buf` is a live buffer of the length given.
    let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        let err = std::io::Error::last_os_error();
        assert_eq!(err.raw_os_error(), Some(libc::EAGAIN), "{err}");
        return 0;
    }
    n as usize
}

fn counts() -> (usize, usize) {
    (
        PREPARE.load(Ordering::SeqCst),
        PARENT.load(Ordering::SeqCst),
    )
}

#[test]
fn atfork_handlers_never_run_for_a_spawn() {
    let (marks, mark_write) = pipe();
    // SAFETY: F_SETFL with O_NONBLOCK on our own descriptor.
    unsafe { libc::fcntl(marks.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
    CHILD_MARK.store(mark_write.as_raw_fd(), Ordering::SeqCst);
    // SAFETY: the handlers are plain functions that stay valid forever.
    let r = unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) };
    assert_eq!(r, 0);

    // Spawns that exec, and spawns that fail at several steps in the child
    // (where the handlers' marks would still be written: the status pipe
    // and the mark pipe are open until the child leaves).
    let args = Args::new(["sh", "-c", "exit 0"]);
    let argv = args.array::<4>();
    let ok = *Command::new(c"/bin/sh").args(&argv);
    for _ in 0..3 {
        let child = spawn(&ok).unwrap();
        assert_eq!(child.wait().unwrap(), ExitStatus::Exited(0));
    }
    let not_found = Command::new(c"/nonexistent/program");
    assert_eq!(spawn(&not_found).unwrap_err().step(), Step::Exec);
    let bad_dir = *Command::new(c"/bin/true").dir(c"/nonexistent");
    assert_eq!(spawn(&bad_dir).unwrap_err().step(), Step::Chdir);
    let bad_fd: [Slot; 1] = [Slot::Fd(19_999 as RawFd)];
    let bad_map = *Command::new(c"/bin/true").fds(&bad_fd);
    assert_eq!(spawn(&bad_map).unwrap_err().step(), Step::Fd);

    assert_eq!(counts(), (0, 0), "prepare or parent handler ran");
    assert_eq!(pending(&marks), 0, "a child handler ran");

    // The control: libc's fork runs every handler once.
    // SAFETY: the child only calls _exit.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: leaves the forked copy of the test process at once.
        unsafe { libc::_exit(0) };
    }
    assert!(pid > 0, "fork: {}", std::io::Error::last_os_error());
    let mut status = 0;
    // SAFETY: `status` is a live c_int.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert_eq!(counts(), (1, 1));
    assert_eq!(pending(&marks), 1);
}
