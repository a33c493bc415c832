//! A global allocator that starts a program from inside `alloc`: the first
//! time it is asked for a large block, it runs a "symbolizer" (here `echo`,
//! standing in for a profiler or a leak reporter) and waits for it.
//!
//! Inside `alloc`, allocating again would re-enter the allocator, and
//! libc's `fork()` would run malloc's atfork handlers. `forkexec` does
//! neither: the spawn's argument vector and path search live on the stack.
//! The allocator counts every call it gets from the spawning thread while
//! the spawn runs, and the program checks that the count stays 0.
//!
//! `cargo run --example allocator` exits with 0 when the symbolizer ran,
//! wrote what it was told, and the spawn never re-entered the allocator;
//! with 1 otherwise.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::CStr;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicUsize, Ordering};

use forkexec::{CStrArray, Command, Errno, Error, ExitStatus, Slot, Step};

/// Blocks of this size or more start the symbolizer (once).
const TRIGGER: usize = 1 << 20;

/// The descriptor the symbolizer writes to, set up by `main`.
static REPORT_FD: AtomicI32 = AtomicI32::new(-1);
/// Set by the first large allocation, which starts the symbolizer.
static FIRED: AtomicBool = AtomicBool::new(false);
/// While the spawn runs: the thread that runs it (`pthread_self`), else 0.
static SPAWNER: AtomicUsize = AtomicUsize::new(0);
/// Calls into the allocator that the spawning thread made during the spawn.
static REENTERED: AtomicUsize = AtomicUsize::new(0);
/// The symbolizer's status word (`ExitStatus::into_raw`), once it ended.
static SYMBOLIZER_STATUS: AtomicI32 = AtomicI32::new(-1);
/// A failed spawn or wait: the step in the high half, the errno in the low.
static SPAWN_ERROR: AtomicU64 = AtomicU64::new(0);

/// The allocator: the system's, plus the symbolizer and the re-entry count.
struct Spawning;

#[global_allocator]
static ALLOCATOR: Spawning = Spawning;

fn this_thread() -> usize {
    // SAFETY: pthread_self cannot fail and allocates nothing.
    unsafe { libc::pthread_self() as usize }
}

/// What every entry point does before it hands the request to `System`.
fn on_entry(layout: Layout) {
    let spawner = SPAWNER.load(Ordering::Acquire);
    if spawner != 0 && spawner == this_thread() {
        REENTERED.fetch_add(1, Ordering::Relaxed);
        return;
    }
    if layout.size() >= TRIGGER && !FIRED.swap(true, Ordering::AcqRel) {
        SPAWNER.store(this_thread(), Ordering::Release);
        symbolize(layout.size());
        SPAWNER.store(0, Ordering::Release);
    }
}

/// Writes `n` in decimal into `buf`, NUL-terminated, and returns it as a C
/// string, without allocating.
fn decimal(mut n: u64, buf: &mut [u8; 24]) -> &CStr {
    let mut at = buf.len() - 1;
    buf[at] = 0;
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    CStr::from_bytes_with_nul(&buf[at..]).expect("one NUL, at the end")
}

fn record_error(step: Step, errno: Errno) {
    let word = ((step as u64) << 32) | errno.raw() as u32 as u64;
    SPAWN_ERROR.store(word, Ordering::Release);
}

/// Runs `echo symbolizer: pid P asked for N bytes` with its output on
/// `REPORT_FD`, and waits for it.
fn symbolize(size: usize) {
    let mut pid_buf = [0; 24];
    let pid = decimal(std::process::id() as u64, &mut pid_buf);
    let mut size_buf = [0; 24];
    let size = decimal(size as u64, &mut size_buf);

    let mut argv = CStrArray::<8>::new();
    let built = argv
        .push(c"echo")
        .and_then(|a| a.push(c"symbolizer: pid"))
        .and_then(|a| a.push(pid))
        .and_then(|a| a.push(c"asked for"))
        .and_then(|a| a.push(size))
        .and_then(|a| a.push(c"bytes"))
        .map(drop);
    let fds = [
        Slot::Closed,
        Slot::Fd(REPORT_FD.load(Ordering::Acquire)),
        Slot::Fd(2),
    ];
    let outcome = built.and_then(|()| Command::new(c"echo").args(&argv).fds(&fds).spawn());
    match outcome {
        Ok(child) => match child.wait() {
            Ok(status) => SYMBOLIZER_STATUS.store(status.into_raw(), Ordering::Release),
            Err(errno) => record_error(Step::Protocol, errno),
        },
        Err(error) => record_error(error.step(), error.errno()),
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments;
// what runs before that allocates nothing through this allocator.
unsafe impl GlobalAlloc for Spawning {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        on_entry(layout);
        // SAFETY: forwarded from the caller.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        on_entry(layout);
        // SAFETY: forwarded from the caller.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        on_entry(layout);
        // SAFETY: forwarded from the caller.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded from the caller.
        unsafe { System.dealloc(ptr, layout) }
    }
}

fn main() -> ExitCode {
    let (mut reader, writer) = UnixStream::pair().expect("socketpair");
    REPORT_FD.store(writer.as_raw_fd(), Ordering::Release);

    // The large block: the allocator starts the symbolizer before it
    // returns this memory.
    let block = std::hint::black_box(vec![0u8; 2 * TRIGGER]);
    drop(block);

    if !FIRED.load(Ordering::Acquire) {
        eprintln!("allocator: the large allocation did not reach the allocator");
        return ExitCode::FAILURE;
    }
    let error = SPAWN_ERROR.load(Ordering::Acquire);
    if error != 0 {
        let step = Step::from_raw((error >> 32) as u32).unwrap_or(Step::Protocol);
        let errno = Errno::from_raw(error as u32 as i32);
        eprintln!("allocator: the spawn failed: {}", Error::new(step, errno));
        return ExitCode::FAILURE;
    }
    let reentered = REENTERED.load(Ordering::Acquire);
    if reentered != 0 {
        eprintln!("allocator: the spawn called the allocator {reentered} time(s)");
        return ExitCode::FAILURE;
    }
    let status = ExitStatus::from_raw(SYMBOLIZER_STATUS.load(Ordering::Acquire));
    if !status.success() {
        eprintln!("allocator: the symbolizer ended with {status:?}");
        return ExitCode::FAILURE;
    }

    drop(writer);
    let mut report = String::new();
    reader.read_to_string(&mut report).expect("read the report");
    let expected = format!(
        "symbolizer: pid {} asked for {} bytes\n",
        std::process::id(),
        2 * TRIGGER
    );
    if report != expected {
        eprintln!("allocator: the symbolizer wrote {report:?}, not {expected:?}");
        return ExitCode::FAILURE;
    }
    print!("allocator: ok, no allocation during the spawn: {report}");
    ExitCode::SUCCESS
}
