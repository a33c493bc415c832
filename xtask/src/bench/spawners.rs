//! The ways of starting a child that the benchmark compares, each measured
//! from just before the spawn to just after the child was reaped.
//!
//! The Rust, libc and nix methods run inside the benchmark process, so they
//! all fork from the same address space. The C and Go methods run in
//! processes of their own ([`Peer`]), which touch the same amount of memory
//! themselves and report their own latencies.

use std::ffi::{CString, OsStr};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{ChildStdin, ChildStdout, Stdio};
use std::sync::Barrier;
use std::time::Instant;

/// One way of starting a child.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// `forkexec::Command` with `Strategy::Auto`.
    Auto,
    /// `forkexec::Command` with `Strategy::Fork`.
    Fork,
    /// `std::process::Command`.
    Std,
    /// libc's `posix_spawn`.
    PosixSpawn,
    /// nix's `fork`, then nix's `execve` in the child.
    Nix,
    /// C: `vfork`, `execve` (the floor).
    CVfork,
    /// C: `fork`, `execve`.
    CFork,
    /// Go: `exec.Command(path).Run()`.
    Go,
}

impl Method {
    /// Every method, in the order of the tables.
    pub const ALL: [Method; 8] = [
        Method::Auto,
        Method::Fork,
        Method::Std,
        Method::PosixSpawn,
        Method::Nix,
        Method::CVfork,
        Method::CFork,
        Method::Go,
    ];

    /// The method's name in tables and plots.
    pub const fn name(self) -> &'static str {
        match self {
            Method::Auto => "forkexec auto",
            Method::Fork => "forkexec fork",
            Method::Std => "std Command",
            Method::PosixSpawn => "libc posix_spawn",
            Method::Nix => "nix fork+execve",
            Method::CVfork => "C vfork+execve",
            Method::CFork => "C fork+execve",
            Method::Go => "Go os/exec",
        }
    }
}

/// A program to start: its path, and what each method needs of it, made
/// once so that no method pays for it per spawn.
pub struct Target {
    /// The path, as given.
    pub path: CString,
    /// The environment, for nix's `execve`.
    env: Vec<CString>,
}

impl Target {
    /// `Target::new(path)` — a program to start with `argv = [path]` and
    /// the benchmark's environment.
    pub fn new(path: &Path) -> Result<Self, String> {
        let path = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| format!("{}: NUL in path", path.display()))?;
        let env = std::env::vars_os()
            .map(|(key, value)| {
                let mut pair = key.as_bytes().to_vec();
                pair.push(b'=');
                pair.extend_from_slice(value.as_bytes());
                CString::new(pair).map_err(|_| "NUL in the environment".to_owned())
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { path, env })
    }

    /// The path as text, for the peers' commands.
    pub fn path_str(&self) -> &str {
        self.path.to_str().unwrap_or("")
    }
}

/// `batch(method, target, spawners, count)` — `spawners` threads of this
/// process (the calling one among them) each start `target` `count` times
/// with `method`, all released at once; the latencies in nanoseconds.
///
/// # Errors
///
/// The first spawn that failed or whose child did not exit with 0.
pub fn batch(
    method: Method,
    target: &Target,
    spawners: usize,
    count: usize,
) -> Result<Vec<u64>, String> {
    let start = Barrier::new(spawners);
    let job = || -> Result<Vec<u64>, String> {
        let mut out = Vec::with_capacity(count);
        start.wait();
        for _ in 0..count {
            let t0 = Instant::now();
            spawn_wait(method, target)?;
            out.push(elapsed_ns(t0));
        }
        Ok(out)
    };
    std::thread::scope(|scope| {
        let others: Vec<_> = (1..spawners).map(|_| scope.spawn(job)).collect();
        let mut all = job()?;
        for other in others {
            all.extend(other.join().map_err(|_| "a spawner thread panicked")??);
        }
        Ok(all)
    })
}

fn elapsed_ns(t0: Instant) -> u64 {
    u64::try_from(t0.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// Starts `target` once with `method` and reaps it.
fn spawn_wait(method: Method, target: &Target) -> Result<(), String> {
    let what = |e: &dyn std::fmt::Display| format!("{}: {}: {e}", method.name(), path(target));
    let success = match method {
        Method::Auto | Method::Fork => {
            let strategy = match method {
                Method::Auto => forkexec::Strategy::Auto,
                _ => forkexec::Strategy::Fork,
            };
            let mut cmd = forkexec::Command::new(&target.path);
            cmd.strategy(strategy);
            let child = cmd.spawn().map_err(|e| what(&e))?;
            child.wait().map_err(|e| what(&e))?.success()
        }
        Method::Std => std::process::Command::new(OsStr::from_bytes(target.path.as_bytes()))
            .spawn()
            .map_err(|e| what(&e))?
            .wait()
            .map_err(|e| what(&e))?
            .success(),
        Method::PosixSpawn => {
            let argv = [target.path.as_ptr().cast_mut(), std::ptr::null_mut()];
            let mut pid = 0;
            // SAFETY: `path` and `argv` are NUL-terminated and live through
            // the call; no attributes or file actions; `environ` is the
            // process's environment, which nothing changes while this runs.
            let rc = unsafe {
                libc::posix_spawn(
                    &mut pid,
                    target.path.as_ptr(),
                    std::ptr::null(),
                    std::ptr::null(),
                    argv.as_ptr(),
                    libc::environ.cast_const(),
                )
            };
            if rc != 0 {
                return Err(what(&std::io::Error::from_raw_os_error(rc)));
            }
            waitpid_success(pid).map_err(|e| what(&e))?
        }
        Method::Nix => {
            use nix::unistd::ForkResult;
            // SAFETY: the child only calls execve, which allocates its
            // pointer arrays (safe after glibc's fork, which resets the
            // malloc locks in the child), and leaves by `_exit`.
            match unsafe { nix::unistd::fork() }.map_err(|e| what(&e))? {
                ForkResult::Child => {
                    let _ = nix::unistd::execve(&target.path, &[&target.path], &target.env);
                    // SAFETY: `_exit` runs no atexit handler.
                    unsafe { libc::_exit(127) }
                }
                ForkResult::Parent { child } => matches!(
                    nix::sys::wait::waitpid(child, None).map_err(|e| what(&e))?,
                    nix::sys::wait::WaitStatus::Exited(_, 0)
                ),
            }
        }
        Method::CVfork | Method::CFork | Method::Go => {
            return Err(format!("{} runs in a peer process", method.name()));
        }
    };
    if success {
        Ok(())
    } else {
        Err(what(&"the child did not exit with status 0"))
    }
}

fn path(target: &Target) -> String {
    target.path.to_string_lossy().into_owned()
}

fn waitpid_success(pid: libc::pid_t) -> Result<bool, std::io::Error> {
    let mut status = 0;
    loop {
        // SAFETY: `status` is a live c_int.
        if unsafe { libc::waitpid(pid, &mut status, 0) } >= 0 {
            return Ok(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// A spawner in a process of its own (`floor.c`, `peer.go`), driven
/// through its standard input and output.
pub struct Peer {
    name: &'static str,
    process: std::process::Child,
    input: Option<ChildStdin>,
    output: BufReader<ChildStdout>,
}

impl Peer {
    /// `Peer::start(name, program, rss)` — starts `program`, which maps and
    /// touches `rss` bytes, and returns at once; [`ready`](Peer::ready)
    /// waits for it.
    pub fn start(name: &'static str, program: &Path, rss: u64) -> Result<Self, String> {
        let mut process = std::process::Command::new(program)
            .arg(rss.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{name}: {}: {e}", program.display()))?;
        let input = process.stdin.take();
        let output = BufReader::new(process.stdout.take().ok_or("no stdout pipe")?);
        Ok(Self {
            name,
            process,
            input,
            output,
        })
    }

    /// `peer.ready()` — waits until the peer has touched its memory.
    pub fn ready(&mut self) -> Result<(), String> {
        match self.line()?.as_str() {
            "ready" => Ok(()),
            other => Err(format!("{}: expected `ready`, got `{other}`", self.name)),
        }
    }

    /// `peer.batch(mode, spawners, count, target)` — like [`batch`], in the
    /// peer, with its `mode` (`vfork`, `fork`, `exec`).
    pub fn batch(
        &mut self,
        mode: &str,
        spawners: usize,
        count: usize,
        target: &Target,
    ) -> Result<Vec<u64>, String> {
        let input = self.input.as_mut().ok_or("peer input closed")?;
        writeln!(input, "{mode} {spawners} {count} {}", target.path_str())
            .and_then(|()| input.flush())
            .map_err(|e| format!("{}: {e}", self.name))?;
        let line = self.line()?;
        let latencies: Vec<u64> = line
            .split_ascii_whitespace()
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|_| format!("{}: {line}", self.name))?;
        if latencies.len() != spawners * count {
            return Err(format!(
                "{}: {} latencies for {spawners} x {count} spawns",
                self.name,
                latencies.len()
            ));
        }
        Ok(latencies)
    }

    fn line(&mut self) -> Result<String, String> {
        let mut line = String::new();
        match self.output.read_line(&mut line) {
            Ok(0) => Err(format!("{}: exited early", self.name)),
            Ok(_) => Ok(line.trim_end().to_owned()),
            Err(e) => Err(format!("{}: {e}", self.name)),
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        // End of input ends the peer.
        drop(self.input.take());
        let _ = self.process.wait();
    }
}

/// Private anonymous memory, one byte written per page, held until
/// dropped: it gives the process page tables of that size to copy at each
/// fork.
pub struct Touched {
    ptr: *mut libc::c_void,
    len: usize,
}

impl Touched {
    /// `Touched::new(len)` — maps and touches `len` bytes, in small pages
    /// (`MADV_NOHUGEPAGE`) like most of a long-running process's memory.
    pub fn new(len: u64) -> Result<Self, String> {
        let len = usize::try_from(len).map_err(|_| "RSS too large")?;
        if len == 0 {
            return Ok(Self {
                ptr: std::ptr::null_mut(),
                len,
            });
        }
        // SAFETY: a fresh anonymous mapping; no existing memory is touched.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(format!("mmap {len}: {}", std::io::Error::last_os_error()));
        }
        let touched = Self { ptr, len };
        // SAFETY: the range is the mapping just made. A failure only
        // leaves the kernel's default page size policy in place.
        let _ = unsafe { libc::madvise(ptr, len, libc::MADV_NOHUGEPAGE) };
        // SAFETY: sysconf takes no pointer.
        let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
        let bytes = ptr.cast::<u8>();
        for offset in (0..len).step_by(page) {
            // SAFETY: `offset < len`, inside the writable mapping.
            unsafe { bytes.add(offset).write_volatile(1) };
        }
        Ok(touched)
    }
}

impl Drop for Touched {
    fn drop(&mut self) {
        if self.len > 0 {
            // SAFETY: the mapping is this value's own and nothing borrows it.
            let _ = unsafe { libc::munmap(self.ptr, self.len) };
        }
    }
}
