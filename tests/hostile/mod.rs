//! What the hostile-condition tests share: the strategies to run with, a
//! watchdog that turns a hang into a fast failure, scenarios that run in a
//! fresh copy of the test binary, and views of a child's state in `/proc`.
//!
//! Each `tests/hostile_*.rs` binary uses a different part of this module.
#![allow(
    dead_code,
    reason = "each test binary uses a different part of this module"
)]

use std::collections::BTreeMap;
use std::ffi::CString;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use forkexec::{Child, ExitStatus, Strategy};
use libc::c_int;

use crate::common;

/// Both strategies: each hostile test runs with each, unless
/// `FORKEXEC_TEST_STRATEGY` picks one.
const BOTH: &[Strategy] = &[Strategy::Fork, Strategy::Vfork];

/// The strategies a hostile test runs with: the one that
/// `FORKEXEC_TEST_STRATEGY` names (`fork`, `vfork`, `auto`), as the rest
/// of the suite does, or both the fork and the fast path when it is unset.
pub fn strategies() -> Vec<Strategy> {
    match std::env::var(common::STRATEGY_VAR) {
        Ok(name) if !name.is_empty() => vec![common::strategy()],
        _ => BOTH.to_vec(),
    }
}

/// A thread that aborts the whole process with a clear message if the test
/// is still running after the time given, so a hang fails fast instead of
/// holding CI until its timeout. Disarmed when dropped.
pub struct Watchdog {
    done: Arc<AtomicBool>,
}

/// Arms a [`Watchdog`] for `what`, firing after `secs` seconds.
pub fn watchdog(secs: u64, what: &'static str) -> Watchdog {
    let done = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&done);
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if flag.load(Ordering::Relaxed) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if !flag.load(Ordering::Relaxed) {
            eprintln!("WATCHDOG: `{what}` still running after {secs} s: it hangs");
            std::process::abort();
        }
    });
    Watchdog { done }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
    }
}

/// The variable that tells a copy of the test binary which scenario to run.
const SCENARIO: &str = "FORKEXEC_HOSTILE_SCENARIO";

/// What a scenario printed.
pub struct Output {
    /// Everything it wrote to its standard output.
    pub stdout: String,
    /// Everything it wrote to its standard error.
    pub stderr: String,
}

/// Runs `body` in a fresh copy of this test binary that runs only the
/// calling test, so that what `body` does to the process (handlers,
/// limits, credentials, descriptors, signal dispositions) stays there and
/// process-wide checks (no child left) see only its own children.
///
/// In the copy, this calls `body` and returns `None`; in the test that
/// called it, it waits (at most `secs` seconds) for the copy, fails the test
/// if the copy failed or did not run `body` to the end, and returns what it
/// printed.
pub fn in_subprocess(secs: u64, body: impl FnOnce()) -> Option<Output> {
    let current = std::thread::current();
    let name = current
        .name()
        .expect("the test harness names each test's thread")
        .to_owned();
    if std::env::var(SCENARIO).is_ok_and(|v| v == name) {
        body();
        println!("scenario `{name}` ran to the end");
        return None;
    }

    let exe = std::env::current_exe().expect("the test binary's path");
    // Under user-mode emulation the kernel cannot run the binary itself.
    let mut launch = match common::emulator() {
        Some([emulator, args @ ..]) => {
            let mut launch = std::process::Command::new(emulator);
            launch.args(args).arg(exe);
            launch
        }
        _ => std::process::Command::new(exe),
    };
    // A process group of its own, so that whatever the scenario leaves
    // behind (a child stuck in an atfork handler) can be killed with it.
    let mut child = launch
        .args([name.as_str(), "--exact", "--nocapture", "--test-threads=1"])
        .env(SCENARIO, &name)
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting a copy of the test binary");
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(secs);
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for the scenario") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // SAFETY: kill takes no pointer; the group is the scenario's own.
    unsafe { libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL) };
    let stdout = String::from_utf8_lossy(&reader.join().unwrap()).into_owned();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap()).into_owned();
    let Some(status) = status else {
        panic!("scenario `{name}` hung for {secs} s and was killed\n{stdout}\n{stderr}");
    };
    let ran = stdout.contains(&format!("scenario `{name}` ran to the end"));
    assert!(
        status.success() && ran,
        "scenario `{name}` failed ({status}, body ran to the end: {ran})\n\
         --- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    // Shown with --nocapture, or when the calling test fails later.
    eprint!("{stderr}");
    Some(Output { stdout, stderr })
}

/// Asserts that the calling process has no child left, neither running nor
/// a zombie (`wait4(-1, WNOHANG)` says `ECHILD`). Only meaningful in a
/// scenario, where no other test starts children.
pub fn assert_no_child_left() {
    let mut status = 0;
    // SAFETY: `status` is a live c_int.
    let got = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
    let errno = std::io::Error::last_os_error().raw_os_error();
    assert!(
        got == -1 && errno == Some(libc::ECHILD),
        "a child was left behind: waitpid(-1, WNOHANG) = {got}, status {status:#x}"
    );
}

/// The calling process's open descriptors.
pub fn open_fds() -> Vec<c_int> {
    let listed: Vec<c_int> = std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    // The directory's own descriptor is closed by now.
    listed.into_iter().filter(|&fd| is_open(fd)).collect()
}

/// Whether `fd` is open in the calling process.
pub fn is_open(fd: c_int) -> bool {
    // SAFETY: F_GETFD takes no pointer.
    unsafe { libc::fcntl(fd, libc::F_GETFD) != -1 }
}

/// An open file's identity: device and inode of what the descriptor refers
/// to (a pipe's two ends share one).
pub type FileId = (u64, u64);

/// The identity of the calling process's descriptor `fd`.
pub fn file_id(fd: c_int) -> FileId {
    let meta = std::fs::metadata(format!("/proc/self/fd/{fd}"))
        .unwrap_or_else(|e| panic!("descriptor {fd}: {e}"));
    (meta.dev(), meta.ino())
}

/// Child `pid`'s descriptor table: number → identity.
pub fn child_fds(pid: libc::pid_t) -> BTreeMap<c_int, FileId> {
    let mut fds = BTreeMap::new();
    for entry in std::fs::read_dir(format!("/proc/{pid}/fd")).expect("/proc/PID/fd") {
        let entry = entry.expect("a /proc/PID/fd entry");
        let Some(fd) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        if let Ok(meta) = std::fs::metadata(entry.path()) {
            fds.insert(fd, (meta.dev(), meta.ino()));
        }
    }
    fds
}

/// `sleep`, run as `sleep 1000`: a program that exists everywhere, opens no
/// descriptor, and waits in a known state.
pub const SLEEP: &std::ffi::CStr = c"/bin/sleep";

/// Waits until child `pid` is `sleep` waiting in its sleep, so that its
/// `execve` has finished and its table is the program's.
pub fn wait_until_sleeping(pid: libc::pid_t) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // The state follows the command name in parentheses.
        let state = stat
            .rsplit_once(") ")
            .and_then(|(_, rest)| rest.chars().next());
        if comm.trim_end() == "sleep" && state == Some('S') {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "child {pid} never settled in sleep: comm {comm:?}, state {state:?}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Kills child `child` (a `sleep`) and reaps it.
pub fn kill_and_reap(child: &Child) {
    child.kill(libc::SIGKILL).expect("kill");
    assert_eq!(
        child.wait().expect("wait"),
        ExitStatus::Signaled {
            signal: libc::SIGKILL,
            core_dumped: false
        }
    );
}

/// A `CString` of a path.
pub fn c_path(path: &std::path::Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).expect("a path without NUL")
}

/// A fresh directory under the system's temporary directory, removed when
/// dropped.
pub struct TempDir(pub std::path::PathBuf);

/// Makes a [`TempDir`] whose name starts with `prefix`.
pub fn temp_dir(prefix: &str) -> TempDir {
    let base = std::env::temp_dir();
    for n in 0.. {
        // SAFETY: getpid takes no argument.
        let pid = unsafe { libc::getpid() };
        let path = base.join(format!("{prefix}-{pid}-{n}"));
        if std::fs::create_dir(&path).is_ok() {
            return TempDir(path);
        }
    }
    unreachable!()
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A pipe, both ends close-on-exec.
pub fn pipe() -> [c_int; 2] {
    let mut fds = [-1; 2];
    // SAFETY: `fds` has room for two descriptors.
    let r = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(r, 0, "pipe2: {}", std::io::Error::last_os_error());
    fds
}

/// Closes `fd`, which the test owns.
pub fn close(fd: c_int) {
    // SAFETY: the caller owns `fd`.
    unsafe { libc::close(fd) };
}

thread_local! {
    static ALLOCATIONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// A global allocator that counts, per thread, every call into it
/// (allocations, frees and reallocations), then lets the system allocator
/// do the work.
pub struct Counting;

impl Counting {
    fn note() {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
    }
}

// SAFETY: every call is passed on unchanged to the system allocator.
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        Self::note();
        // SAFETY: forwarded from the caller.
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        Self::note();
        // SAFETY: forwarded from the caller.
        unsafe { std::alloc::System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, size: usize) -> *mut u8 {
        Self::note();
        // SAFETY: forwarded from the caller.
        unsafe { std::alloc::System.realloc(ptr, layout, size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        Self::note();
        // SAFETY: forwarded from the caller.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
}

/// How many times the calling thread has called into [`Counting`].
pub fn allocations() -> u64 {
    ALLOCATIONS.with(std::cell::Cell::get)
}

/// Copies `from` to `to` in a child process (`cp`), keeping its mode.
///
/// A file written by this process is open for writing until the write
/// ends, and a concurrent fork in another thread copies that descriptor into
/// a child that keeps it until its own exec: executing the file meanwhile
/// fails with `ETXTBSY`. Writing it in another process avoids that race.
pub fn copy_in_child(from: &std::path::Path, to: &std::path::Path) -> Result<(), String> {
    let status = std::process::Command::new("cp")
        .arg("-p")
        .arg(from)
        .arg(to)
        .status()
        .map_err(|e| format!("cp cannot run: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("cp {} {}: {status}", from.display(), to.display()))
    }
}
