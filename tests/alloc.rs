//! A spawn and a wait allocate nothing, in the parent or in the child, on
//! the success path and on every error path.
//!
//! The global allocator of this test binary counts the allocations a thread
//! makes while that thread has counting switched on, in counters of that
//! thread, so the harness's other threads do not disturb the count. Each
//! counted allocation also writes one byte to a pipe: a forked child that
//! allocated would have its own copy of the counter, but it shares the
//! pipe.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::os::fd::{AsRawFd, OwnedFd};

use common::{Args, Scratch, cstr, open_file, pipe};
use forkexec::{CStrArray, Command, Errno, Error, ExitStatus, Slot, Step};

struct Counting;

// Per thread, so that tests running at the same time count apart.
thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
    static MARK_FD: Cell<i32> = const { Cell::new(-1) };
}

impl Counting {
    fn note(&self) {
        if COUNTING.with(Cell::get) {
            COUNT.with(|c| c.set(c.get() + 1));
            let fd = MARK_FD.with(Cell::get);
            // SAFETY: write of one static byte; a closed fd only fails.
            unsafe { libc::write(fd, b"a".as_ptr().cast(), 1) };
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

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        self.note();
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        self.note();
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.note();
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Counts the heap calls `f` makes on this thread and in any child it
/// forks: (calls seen here, bytes the pipe got).
fn count(f: impl FnOnce()) -> (usize, usize) {
    let (marks, mark_write) = pipe();
    // SAFETY: F_SETFL with O_NONBLOCK on our own descriptor.
    unsafe { libc::fcntl(marks.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
    MARK_FD.with(|m| m.set(mark_write.as_raw_fd()));
    let before = COUNT.with(Cell::get);
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    let here = COUNT.with(Cell::get) - before;
    MARK_FD.with(|m| m.set(-1));
    (here, drain(&marks))
}

fn drain(fd: &OwnedFd) -> usize {
    let mut total = 0;
    let mut buf = [0u8; 256];
    loop {
        // SAFETY: `buf` is a live buffer of the length given.
        let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            return total;
        }
        total += n as usize;
    }
}

/// Spawns `cmd` and waits for it; returns the status or the error. Only
/// `Copy` values cross the counted region, so the check itself allocates
/// nothing.
fn spawn_and_wait(cmd: &Command<'_>) -> Result<ExitStatus, Error> {
    let child = cmd.spawn()?;
    Ok(child.wait().expect("wait"))
}

/// What a spawn and wait came to: the status, or the failed step.
type Outcome = Result<ExitStatus, (Step, Errno)>;

#[test]
fn the_counter_sees_an_allocation() {
    // The control: an allocation on the counting thread is seen, and one in
    // a forked child reaches the pipe.
    let (here, piped) = count(|| drop(std::hint::black_box(Box::new(7u64))));
    assert_eq!((here, piped), (2, 2), "one alloc and one dealloc");

    let (_, piped) = count(|| {
        // SAFETY: the child allocates, then leaves by _exit.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            drop(std::hint::black_box(Box::new(1u8)));
            // SAFETY: ends the forked copy at once.
            unsafe { libc::_exit(0) };
        }
        let mut status = 0;
        // SAFETY: `status` is a live c_int.
        unsafe { libc::waitpid(pid, &mut status, 0) };
    });
    assert_eq!(piped, 2, "the child's alloc and dealloc");
}

#[test]
fn a_spawn_allocates_nothing_on_any_path() {
    let scratch = Scratch::new();
    let garbage = cstr(scratch.file("garbage", b"\x01\x02 not a program\n", 0o755));
    let plain = cstr(scratch.file("plain", b"", 0o644));
    let args = Args::new(["sh", "-c", "exit 3", "a", "b"]);
    let argv = args.array::<8>();
    let vars = Args::new(["A=1", "B=2"]);
    let envp = vars.array::<4>();
    let map = [
        Slot::Fd(2),
        Slot::Fd(1),
        Slot::Fd(0),
        Slot::Closed,
        Slot::Fd(1),
    ];
    let bad_map = [Slot::Fd(0), Slot::Fd(19_999)];
    let negative_map = [Slot::Fd(-1)];
    let empty_argv = CStrArray::<2>::new();
    let pty = common::openpty();
    let null = open_file("/dev/null".as_ref(), libc::O_RDWR | libc::O_CLOEXEC);
    let null_map = [Slot::Fd(null.as_raw_fd())];
    let strategy = common::strategy();
    let mut full = CStrArray::<2>::new();
    full.push(c"x").unwrap();

    let cases: Vec<(&str, Command<'_>, Outcome)> = vec![
        (
            "exec, PATH search",
            *Command::new(c"sh").args(&argv),
            Ok(ExitStatus::Exited(3)),
        ),
        (
            "exec with env, map and close_other_fds",
            *Command::new(c"/bin/sh")
                .args(&argv)
                .env(&envp)
                .fds(&map)
                .close_other_fds(),
            Ok(ExitStatus::Exited(3)),
        ),
        (
            "exec with setsid, dir and sigmask",
            *Command::new(c"/bin/sh")
                .args(&argv)
                .setsid()
                .dir(c"/")
                .sigmask(forkexec::SigSet::empty()),
            Ok(ExitStatus::Exited(3)),
        ),
        (
            "exec ENOENT",
            Command::new(c"/nonexistent/program"),
            Err((Step::Exec, Errno::ENOENT)),
        ),
        (
            "exec EACCES",
            Command::new(&plain),
            Err((Step::Exec, Errno::EACCES)),
        ),
        (
            "exec ENOEXEC",
            Command::new(&garbage),
            Err((Step::Exec, Errno::ENOEXEC)),
        ),
        (
            "path ENOENT",
            Command::new(c"forkexec-no-such-program"),
            Err((Step::Path, Errno::ENOENT)),
        ),
        (
            "chdir",
            *Command::new(c"/bin/true").dir(c"/nonexistent"),
            Err((Step::Chdir, Errno::ENOENT)),
        ),
        (
            "chroot",
            *Command::new(c"/bin/true").chroot(c"/nonexistent"),
            Err((Step::Chroot, Errno::ENOENT)),
        ),
        (
            "setpgid",
            *Command::new(c"/bin/true").pgid(4_194_304),
            Err((Step::Setpgid, Errno::EPERM)),
        ),
        (
            "foreground",
            *Command::new(c"/bin/true")
                .ctty(pty.slave.as_raw_fd())
                .foreground(),
            Err((Step::Foreground, Errno::ENOTTY)),
        ),
        (
            "fd",
            *Command::new(c"/bin/true").fds(&bad_map),
            Err((Step::Fd, Errno::EBADF)),
        ),
        (
            "noctty",
            *Command::new(c"/bin/true").fds(&null_map).noctty(),
            Err((Step::Noctty, Errno::ENOTTY)),
        ),
        (
            "invalid: negative slot",
            *Command::new(c"/bin/true").fds(&negative_map),
            Err((Step::Invalid, Errno::EBADF)),
        ),
        (
            "invalid: empty argv",
            *Command::new(c"/bin/true").args(&empty_argv),
            Err((Step::Invalid, Errno::EINVAL)),
        ),
        (
            "invalid: setsid with setpgid",
            *Command::new(c"/bin/true").setsid().setpgid(),
            Err((Step::Invalid, Errno::EINVAL)),
        ),
    ];

    for (name, mut cmd, expected) in cases {
        cmd.strategy(strategy);
        // A program file written just now may be busy for a moment (see
        // common::spawn); that is retried outside the counted region.
        let busy = Some(Err((Step::Exec, Errno::ETXTBSY)));
        for _ in 0..200 {
            let mut got = None;
            let (here, piped) = count(|| {
                got = Some(spawn_and_wait(&cmd).map_err(|e| (e.step(), e.errno())));
            });
            if got == busy {
                std::thread::sleep(std::time::Duration::from_millis(10));
                continue;
            }
            assert_eq!(got, Some(expected), "{name}");
            assert_eq!((here, piped), (0, 0), "{name}: heap calls (parent, child)");
            break;
        }
    }

    // A full CStrArray refuses without allocating either.
    let (here, piped) = count(|| assert!(full.push(c"y").is_err()));
    assert_eq!((here, piped), (0, 0));
}
