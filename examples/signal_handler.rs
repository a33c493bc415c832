//! A runtime's crash reporter: a signal handler that starts a reporter
//! program, waits for it, and returns.
//!
//! The signal lands on a thread that is busy allocating, so the handler may
//! well interrupt `malloc` with its lock held. libc's `fork()` would run
//! malloc's atfork handler, which takes that lock: the handler would wait
//! for itself forever. `forkexec` runs no atfork handler and allocates
//! nothing, so the handler can spawn from there. Everything it needs lives
//! on its own stack: the argument vector, and the digits of the pid and the
//! signal number.
//!
//! `cargo run --example signal_handler` exits with 0 when the reporter ran
//! and wrote what it was told, with 1 otherwise.

use std::ffi::CStr;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use forkexec::{CStrArray, Command, Errno, Error, ExitStatus, Slot, Step};

/// The descriptor the reporter writes to, set up by `main`.
static REPORT_FD: AtomicI32 = AtomicI32::new(-1);
/// Set when the handler has finished.
static HANDLED: AtomicBool = AtomicBool::new(false);
/// The reporter's status word (`ExitStatus::into_raw`), once it ended.
static REPORTER_STATUS: AtomicI32 = AtomicI32::new(-1);
/// A failed spawn or wait: the step in the high half, the errno in the low.
static HANDLER_ERROR: AtomicU64 = AtomicU64::new(0);

/// The calling thread's `errno`, which a handler must leave as it found it.
fn errno_location() -> *mut libc::c_int {
    // SAFETY: each of these returns the address of the calling thread's
    // errno and cannot fail.
    unsafe {
        #[cfg(target_os = "linux")]
        return libc::__errno_location();
        #[cfg(any(target_os = "macos", target_os = "freebsd"))]
        return libc::__error();
        #[cfg(any(target_os = "openbsd", target_os = "netbsd"))]
        return libc::__errno();
    }
}

/// Writes `n` in decimal into `buf`, NUL-terminated, and returns it as a C
/// string; no allocation, no formatting machinery.
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

/// Records a failure of the handler for `main` to report.
fn record_error(step: Step, errno: Errno) {
    let word = ((step as u64) << 32) | errno.raw() as u32 as u64;
    HANDLER_ERROR.store(word, Ordering::Release);
}

/// The signal handler: starts `echo crash-reporter: pid P signal S` with its
/// output on `REPORT_FD`, and waits for it.
extern "C" fn on_signal(signal: libc::c_int) {
    let saved_errno = errno_location();
    // SAFETY: the address is the calling thread's errno, live for the
    // thread's lifetime.
    let saved = unsafe { *saved_errno };

    let mut pid_buf = [0; 24];
    // SAFETY: getpid takes no argument and cannot fail.
    let pid = decimal(unsafe { libc::getpid() } as u64, &mut pid_buf);
    let mut signal_buf = [0; 24];
    let signal = decimal(signal as u64, &mut signal_buf);

    let mut argv = CStrArray::<8>::new();
    let built = argv
        .push(c"echo")
        .and_then(|a| a.push(c"crash-reporter: pid"))
        .and_then(|a| a.push(pid))
        .and_then(|a| a.push(c"signal"))
        .and_then(|a| a.push(signal))
        .map(drop);
    let fds = [
        Slot::Closed,
        Slot::Fd(REPORT_FD.load(Ordering::Acquire)),
        Slot::Fd(2),
    ];
    let outcome = built.and_then(|()| Command::new(c"echo").args(&argv).fds(&fds).spawn());
    match outcome {
        Ok(child) => match child.wait() {
            Ok(status) => REPORTER_STATUS.store(status.into_raw(), Ordering::Release),
            Err(errno) => record_error(Step::Protocol, errno),
        },
        Err(error) => record_error(error.step(), error.errno()),
    }
    HANDLED.store(true, Ordering::Release);

    // SAFETY: as above.
    unsafe { *saved_errno = saved };
}

fn main() -> ExitCode {
    let (mut reader, writer) = UnixStream::pair().expect("socketpair");
    REPORT_FD.store(writer.as_raw_fd(), Ordering::Release);

    // SAFETY: a zeroed sigaction is a valid value to fill in.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: `action.sa_mask` is a live sigset_t.
    unsafe { libc::sigemptyset(&mut action.sa_mask) };
    // SAFETY: `action` is initialised and outlives the call.
    if unsafe { libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut()) } != 0 {
        eprintln!(
            "signal_handler: sigaction: {}",
            std::io::Error::last_os_error()
        );
        return ExitCode::FAILURE;
    }

    // Another thread sends the signal to this one while it allocates and
    // frees in a loop, so the handler is likely to interrupt malloc.
    // SAFETY: pthread_self cannot fail.
    let target = unsafe { libc::pthread_self() } as usize;
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        // SAFETY: `target` is the main thread, which lives until the end.
        unsafe { libc::pthread_kill(target as libc::pthread_t, libc::SIGUSR1) }
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut rounds = 0u64;
    while !HANDLED.load(Ordering::Acquire) {
        let block: Vec<u64> = (0..rounds % 512).collect();
        drop(std::hint::black_box(block));
        rounds += 1;
        if Instant::now() > deadline {
            eprintln!("signal_handler: the handler did not finish within 10 s");
            return ExitCode::FAILURE;
        }
    }
    let sent = sender.join().expect("sender thread");
    if sent != 0 {
        eprintln!("signal_handler: pthread_kill: {}", Errno::from_raw(sent));
        return ExitCode::FAILURE;
    }

    let error = HANDLER_ERROR.load(Ordering::Acquire);
    if error != 0 {
        let step = Step::from_raw((error >> 32) as u32).unwrap_or(Step::Protocol);
        let errno = Errno::from_raw(error as u32 as i32);
        eprintln!(
            "signal_handler: the handler failed: {}",
            Error::new(step, errno)
        );
        return ExitCode::FAILURE;
    }
    let status = ExitStatus::from_raw(REPORTER_STATUS.load(Ordering::Acquire));
    if !status.success() {
        eprintln!("signal_handler: the reporter ended with {status:?}");
        return ExitCode::FAILURE;
    }

    drop(writer);
    let mut report = String::new();
    reader.read_to_string(&mut report).expect("read the report");
    let expected = format!(
        "crash-reporter: pid {} signal {}\n",
        std::process::id(),
        libc::SIGUSR1
    );
    if report != expected {
        eprintln!("signal_handler: the reporter wrote {report:?}, not {expected:?}");
        return ExitCode::FAILURE;
    }
    print!("signal_handler: ok, after {rounds} allocation rounds: {report}");
    ExitCode::SUCCESS
}
