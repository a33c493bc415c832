//! `run [OPTIONS] [--] PROGRAM [ARGS...]` — starts a program through
//! `forkexec` with every attribute taken from the command line, waits for
//! it, and exits with its status.
//!
//! This is the command-line face of the crate: it lets the crate be tried
//! without writing code, and lets any test drive it from a shell. Run it
//! with `cargo run --example run -- --help` for the whole contract; the text
//! is `USAGE` below.
//!
//! Choices the contract leaves open, made here:
//!
//! - A bad command line is one line `run: usage: ...` on stderr and exit
//!   status 125; `--help` prints the usage on stdout and exits 0.
//! - Any `--fd` makes the map the child's whole table: numbers up to the
//!   highest `CHILD` that no `--fd` names are closed. Naming one `CHILD`
//!   twice is a usage error.
//! - Any `--env` makes the environment exactly the `--env` strings, with or
//!   without `--clear-env`; a `KEY` given again replaces its value.
//! - Ids are decimal numbers only: user and group names are not looked up.
//! - Exit status 127 means the path led to no file (`ENOENT`, `ENOTDIR`,
//!   `ELOOP`, `ENAMETOOLONG` at `path` or `exec`), 126 that a file was found
//!   but the kernel would not run it; see `failure_status`.
//! - The child gets the default action for `SIGPIPE`: the Rust runtime
//!   ignores it in `run`, and an ignored signal would stay ignored across
//!   `execve`.
//! - `run` sets `SIGCHLD` back to its default action before it spawns: a
//!   parent that started it with `SIGCHLD` ignored would otherwise have the
//!   kernel reap the child at once, and its exit status would be lost.
//!
//! `run` is an ordinary `std` program, so it allocates freely while it
//! parses; the spawn itself allocates nothing.

use std::ffi::{CString, OsStr, OsString};
use std::io::Write;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::process::ExitCode;

use forkexec::{Command, Errno, Error, ExitStatus, MAX_FDS, SigSet, Slot, Step, Strategy};
use libc::{c_char, c_int, gid_t, pid_t, uid_t};

/// The text of `run --help`.
const USAGE: &str = "\
run [OPTIONS] [--] PROGRAM [ARGS...]

Starts PROGRAM with ARGS through forkexec, waits for it, and exits with its
status.

  --dir DIR            working directory of the child (after --chroot)
  --chroot DIR         new root
  --uid UID  --gid GID decimal ids (names are not looked up); without
                       --groups they drop every supplementary group
  --groups G1,G2,...   supplementary groups (\"\" drops all)
  --no-setgroups       leave supplementary groups alone
  --setsid
  --setpgid            own process group;  --pgid PGID  join PGID
  --ctty FD            terminal fd for --foreground (parent number) and
                       --setctty (child number)
  --foreground  --setctty  --noctty
  --ptrace             child stops at exec; run reports it, detaches, waits
  --fd CHILD=PARENT    map a descriptor (repeatable); CHILD=close closes it;
                       without any --fd the map is 0=0 1=1 2=2; with any, the
                       map is the whole table: numbers up to the highest
                       CHILD (below 512) that no --fd names are closed
  --close-fds          close every descriptor that is not mapped
  --env KEY=VALUE      (repeatable) the child's whole environment; a KEY
                       given again replaces its value
  --clear-env          empty environment; default: inherit
  --strategy fork|vfork|auto   (Linux; default auto)
  -h, --help           print this text and exit

A value may also follow its option after '=' (--dir=/srv). Options end at
PROGRAM or at '--'. An option that takes one value may be given once.
PROGRAM without '/' is searched in run's PATH, below --chroot, and below
--dir for relative PATH entries. The child's output passes through
untouched; the child gets the default action for SIGPIPE.

Exit status: the child's exit code; 128+N if signal N killed it. When the
spawn fails, one line on stderr, run: STEP: ERRNO_NAME (message), and exit
status 127 when PROGRAM was not found (path or exec: ENOENT, ENOTDIR,
ELOOP, ENAMETOOLONG), 126 when it was found but could not be executed (path
or exec: EACCES, EPERM, ENOEXEC, EISDIR, ETXTBSY, EINVAL, EIO, ELIBBAD),
125 for every other failure, bad usage included (run: usage: ...).
";

/// Every other failure, bad usage included (the convention of GNU `env`,
/// `nohup` and `timeout`, which shells share for 126 and 127).
const EXIT_FAILURE: u8 = 125;
/// The program was found but could not be executed (POSIX, Shell Command
/// Language, 2.8.2 "Exit Status for Commands").
const EXIT_CANNOT_EXECUTE: u8 = 126;
/// The program was not found (POSIX, as above).
const EXIT_NOT_FOUND: u8 = 127;
/// Added to the number of the signal that killed the child (POSIX, as
/// above: "greater than 128").
const EXIT_SIGNAL_BASE: u8 = 128;

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let options = match parse(args) {
        Ok(Parsed::Help) => {
            let mut out = std::io::stdout().lock();
            return match out.write_all(USAGE.as_bytes()).and_then(|()| out.flush()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => ExitCode::from(EXIT_FAILURE),
            };
        }
        Ok(Parsed::Run(options)) => options,
        Err(usage) => {
            say(&format!("usage: {usage}"));
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    // With SIGCHLD ignored the kernel reaps children itself and wait4 can
    // only say ECHILD; run exists to report the child's status.
    // SAFETY: SIG_DFL is a valid disposition, and no other thread exists yet.
    unsafe { libc::signal(libc::SIGCHLD, libc::SIG_DFL) };
    ExitCode::from(run(&options))
}

/// Prints `run: LINE` on stderr in one write, so that it does not interleave
/// with what the child writes there.
fn say(line: &str) {
    let text = format!("run: {line}\n");
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// What the command line asks for.
#[derive(Default)]
struct Options {
    dir: Option<CString>,
    chroot: Option<CString>,
    uid: Option<uid_t>,
    gid: Option<gid_t>,
    groups: Option<Vec<gid_t>>,
    no_setgroups: bool,
    setsid: bool,
    setpgid: bool,
    pgid: Option<pid_t>,
    ctty: Option<c_int>,
    foreground: bool,
    setctty: bool,
    noctty: bool,
    ptrace: bool,
    /// Slot `i` is what `--fd i=...` gave, `None` for a number no `--fd`
    /// names (closed in the child).
    fds: Option<Vec<Option<Slot>>>,
    close_fds: bool,
    env: Option<Vec<CString>>,
    clear_env: bool,
    strategy: Option<Strategy>,
    /// PROGRAM, then ARGS: the whole argument vector.
    argv: Vec<CString>,
}

enum Parsed {
    Help,
    Run(Options),
}

/// Parses the arguments after `argv[0]`; an error is the text that follows
/// `run: usage: `.
fn parse(args: Vec<OsString>) -> Result<Parsed, String> {
    let mut o = Options::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let bytes = arg.as_bytes();
        if bytes == b"--" {
            break;
        }
        if bytes.first() != Some(&b'-') {
            o.argv.push(cstring(arg));
            break;
        }
        // `--name=value` or `--name` (a value, if it takes one, follows).
        let (name, joined) = match bytes.iter().position(|&b| b == b'=') {
            Some(eq) => (&bytes[..eq], Some(OsStr::from_bytes(&bytes[eq + 1..]))),
            None => (bytes, None),
        };
        let name = String::from_utf8_lossy(name).into_owned();
        let is_help = name == "--help" || name == "-h";
        if is_help || is_flag(&name) {
            if joined.is_some() {
                return Err(format!("{name} takes no value"));
            }
            if is_help {
                return Ok(Parsed::Help);
            }
            set_flag(&mut o, &name);
            continue;
        }
        if !takes_value(&name) {
            return Err(format!("unknown option {}", arg.to_string_lossy()));
        }
        let value = match joined {
            Some(value) => value.to_os_string(),
            None => args.next().ok_or_else(|| format!("{name} needs a value"))?,
        };
        set_value(&mut o, &name, value)?;
    }
    o.argv.extend(args.map(cstring));
    if o.argv.is_empty() {
        return Err("missing PROGRAM".into());
    }
    if o.setpgid && o.pgid.is_some() {
        return Err("--setpgid and --pgid exclude each other".into());
    }
    if o.no_setgroups && o.groups.is_some() {
        return Err("--groups and --no-setgroups exclude each other".into());
    }
    if o.clear_env && o.env.is_none() {
        o.env = Some(Vec::new());
    }
    Ok(Parsed::Run(o))
}

/// The options that take no value, `--help` aside; giving one twice is
/// harmless.
const FLAGS: [&str; 9] = [
    "--no-setgroups",
    "--setsid",
    "--setpgid",
    "--foreground",
    "--setctty",
    "--noctty",
    "--ptrace",
    "--close-fds",
    "--clear-env",
];

fn is_flag(name: &str) -> bool {
    FLAGS.contains(&name)
}

fn set_flag(o: &mut Options, name: &str) {
    let field = match name {
        "--no-setgroups" => &mut o.no_setgroups,
        "--setsid" => &mut o.setsid,
        "--setpgid" => &mut o.setpgid,
        "--foreground" => &mut o.foreground,
        "--setctty" => &mut o.setctty,
        "--noctty" => &mut o.noctty,
        "--ptrace" => &mut o.ptrace,
        "--close-fds" => &mut o.close_fds,
        "--clear-env" => &mut o.clear_env,
        _ => unreachable!("FLAGS lists every flag"),
    };
    *field = true;
}

fn takes_value(name: &str) -> bool {
    matches!(
        name,
        "--dir"
            | "--chroot"
            | "--uid"
            | "--gid"
            | "--groups"
            | "--pgid"
            | "--ctty"
            | "--fd"
            | "--env"
            | "--strategy"
    )
}

/// Stores the value of option `name`, checking its syntax.
fn set_value(o: &mut Options, name: &str, value: OsString) -> Result<(), String> {
    let shown = format!("{name} {}", value.to_string_lossy());
    let bytes = value.as_bytes();
    let once = |given: bool| {
        if given {
            Err(format!("{name} given twice"))
        } else {
            Ok(())
        }
    };
    match name {
        "--dir" => {
            once(o.dir.is_some())?;
            o.dir = Some(cstring(value));
        }
        "--chroot" => {
            once(o.chroot.is_some())?;
            o.chroot = Some(cstring(value));
        }
        "--uid" => {
            once(o.uid.is_some())?;
            let uid = decimal(bytes).ok_or(format!("{shown}: expected a decimal user id"))?;
            o.uid = Some(uid);
        }
        "--gid" => {
            once(o.gid.is_some())?;
            let gid = decimal(bytes).ok_or(format!("{shown}: expected a decimal group id"))?;
            o.gid = Some(gid);
        }
        "--groups" => {
            once(o.groups.is_some())?;
            let groups = if bytes.is_empty() {
                Some(Vec::new())
            } else {
                bytes.split(|&b| b == b',').map(decimal).collect()
            };
            let groups = groups.ok_or(format!(
                "{shown}: expected decimal group ids, comma-separated"
            ))?;
            o.groups = Some(groups);
        }
        "--pgid" => {
            once(o.pgid.is_some())?;
            let pgid =
                decimal(bytes).ok_or(format!("{shown}: expected a decimal process group id"))?;
            o.pgid = Some(pgid);
        }
        "--ctty" => {
            once(o.ctty.is_some())?;
            let fd = decimal(bytes).ok_or(format!("{shown}: expected a descriptor number"))?;
            o.ctty = Some(fd);
        }
        "--fd" => {
            let bad = || {
                format!(
                    "{shown}: expected CHILD=PARENT, CHILD a descriptor number below \
                     {MAX_FDS}, PARENT a descriptor number or close"
                )
            };
            let eq = bytes.iter().position(|&b| b == b'=').ok_or_else(bad)?;
            let child: usize = decimal(&bytes[..eq]).ok_or_else(bad)?;
            if child >= MAX_FDS {
                return Err(bad());
            }
            let slot = match &bytes[eq + 1..] {
                b"close" => Slot::Closed,
                parent => Slot::Fd(decimal(parent).ok_or_else(bad)?),
            };
            let map = o.fds.get_or_insert_with(Vec::new);
            if map.len() <= child {
                map.resize(child + 1, None);
            } else if map[child].is_some() {
                return Err(format!("{shown}: descriptor {child} is mapped twice"));
            }
            map[child] = Some(slot);
        }
        "--env" => {
            // KEY is not empty and ends at the first '='.
            let key = match bytes.iter().position(|&b| b == b'=') {
                Some(eq) if eq > 0 => &bytes[..=eq],
                _ => return Err(format!("{shown}: expected KEY=VALUE")),
            };
            let env = o.env.get_or_insert_with(Vec::new);
            let entry = cstring(value.clone());
            match env.iter_mut().find(|e| e.as_bytes().starts_with(key)) {
                Some(old) => *old = entry,
                None => env.push(entry),
            }
        }
        "--strategy" => {
            once(o.strategy.is_some())?;
            o.strategy = Some(match bytes {
                b"fork" => Strategy::Fork,
                b"vfork" => Strategy::Vfork,
                b"auto" => Strategy::Auto,
                _ => return Err(format!("{shown}: expected fork, vfork or auto")),
            });
        }
        _ => unreachable!("takes_value lists every option with a value"),
    }
    Ok(())
}

/// A number made of ASCII digits only: no sign, blank or base prefix.
fn decimal<T: std::str::FromStr>(bytes: &[u8]) -> Option<T> {
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

/// An argument as a C string; it came from a C `argv`, so it holds no NUL.
fn cstring(arg: OsString) -> CString {
    CString::new(arg.into_vec()).expect("a command-line argument holds no NUL byte")
}

/// A NUL-terminated array of pointers to `strings`, for `execve`.
///
/// It is sized to the command line: a `CStrArray` has a capacity fixed at
/// compile time, which a long command line or environment could exceed,
/// while `args_raw` and `env_raw` take an array of any length.
fn pointers(strings: &[CString]) -> Vec<*const c_char> {
    let mut array: Vec<*const c_char> = strings.iter().map(|s| s.as_ptr()).collect();
    array.push(std::ptr::null());
    array
}

/// Starts the program as `o` asks, waits for it, and returns run's exit
/// status.
fn run(o: &Options) -> u8 {
    let argv = pointers(&o.argv);
    let envp = o.env.as_deref().map(pointers);
    let fds: Option<Vec<Slot>> = o.fds.as_ref().map(|map| {
        let closed = |slot: &Option<Slot>| slot.unwrap_or(Slot::Closed);
        map.iter().map(closed).collect()
    });
    let sigpipe = SigSet::empty()
        .with(libc::SIGPIPE)
        .expect("SIGPIPE is a signal number");

    let mut cmd = Command::new(&o.argv[0]);
    // SAFETY: `argv` ends with a null pointer, and it and the strings it
    // points to (`o.argv`) outlive `cmd` unchanged.
    unsafe { cmd.args_raw(argv.as_ptr()) };
    if let Some(envp) = &envp {
        // SAFETY: as above, for `envp` and `o.env`.
        unsafe { cmd.env_raw(envp.as_ptr()) };
    }
    if let Some(dir) = &o.dir {
        cmd.dir(dir);
    }
    if let Some(root) = &o.chroot {
        cmd.chroot(root);
    }
    if let Some(uid) = o.uid {
        cmd.uid(uid);
    }
    if let Some(gid) = o.gid {
        cmd.gid(gid);
    }
    if let Some(groups) = &o.groups {
        cmd.groups(groups);
    }
    if o.no_setgroups {
        cmd.no_setgroups();
    }
    if o.setsid {
        cmd.setsid();
    }
    if o.setpgid {
        cmd.setpgid();
    }
    if let Some(pgid) = o.pgid {
        cmd.pgid(pgid);
    }
    if let Some(fd) = o.ctty {
        cmd.ctty(fd);
    }
    if o.foreground {
        cmd.foreground();
    }
    if o.setctty {
        cmd.setctty();
    }
    if o.noctty {
        cmd.noctty();
    }
    if o.ptrace {
        cmd.ptrace();
    }
    if let Some(map) = &fds {
        cmd.fds(map);
    }
    if o.close_fds {
        cmd.close_other_fds();
    }
    if let Some(strategy) = o.strategy {
        cmd.strategy(strategy);
    }
    // The Rust runtime ignores SIGPIPE in run; the program must not inherit
    // that.
    cmd.sigdefault(sigpipe);

    match cmd.spawn() {
        Ok(child) => wait(&child, o.ptrace),
        Err(err) => {
            say(&describe(&err));
            failure_status(&err)
        }
    }
}

/// Waits for the child and returns run's exit status; a traced child is
/// reported at its exec stop and let go.
fn wait(child: &forkexec::Child, mut traced: bool) -> u8 {
    loop {
        let status = match child.wait() {
            Ok(status) => status,
            Err(errno) => {
                say(&format!("wait: {}", errno_text(errno)));
                return EXIT_FAILURE;
            }
        };
        match status {
            // An exit code is 0 to 255, a signal number 1 to 127 (wait(2)).
            ExitStatus::Exited(code) => return code as u8,
            ExitStatus::Signaled { signal, .. } => return EXIT_SIGNAL_BASE + signal as u8,
            // A child that asked to be traced stops with SIGTRAP once its
            // execve has succeeded (ptrace(2), "execve(2) under ptrace"). A
            // stop for any other signal is that signal on its way: the
            // detach hands it back.
            ExitStatus::Stopped(signal) if traced => {
                let pass = if signal == libc::SIGTRAP {
                    say(&format!("ptrace: stopped at exec (pid {})", child.pid()));
                    0
                } else {
                    signal
                };
                if let Err(errno) = detach(child.pid(), pass) {
                    say(&format!("ptrace: {}", errno_text(errno)));
                    let _ = child.kill(libc::SIGKILL);
                    let _ = child.wait();
                    return EXIT_FAILURE;
                }
                traced = false;
            }
            // An untraced child reports stops only to WUNTRACED and
            // continues only to WCONTINUED, which `wait` does not ask for.
            ExitStatus::Stopped(_) | ExitStatus::Continued => {}
        }
    }
}

/// `ptrace(PTRACE_DETACH, pid, 0, signal)` — lets the traced child go on,
/// delivering `signal` (0: none).
#[cfg(target_os = "linux")]
fn detach(pid: pid_t, signal: c_int) -> Result<(), Errno> {
    let data = signal as usize as *mut libc::c_void;
    // SAFETY: PTRACE_DETACH reads no memory: `data` is a signal number, not
    // a pointer (Linux ptrace(2)).
    let detached =
        unsafe { forkexec::raw::ptrace(libc::PTRACE_DETACH as _, pid, std::ptr::null_mut(), data) };
    detached.map(drop)
}

/// `ptrace(PT_DETACH, pid, 1, signal)` — lets the traced child go on where
/// it stopped (`addr` 1), delivering `signal` (0: none).
#[cfg(not(target_os = "linux"))]
fn detach(pid: pid_t, signal: c_int) -> Result<(), Errno> {
    let resume_where_stopped = 1 as *mut c_char;
    // SAFETY: PT_DETACH with `addr` 1 reads no memory (ptrace(2) of macOS
    // and the BSDs).
    let ret = unsafe { libc::ptrace(libc::PT_DETACH, pid, resume_where_stopped, signal) };
    if ret == -1 {
        let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        return Err(Errno::from_raw(errno));
    }
    Ok(())
}

/// The exit status for a failed spawn.
///
/// Only `path` and `exec` say anything about the program. 127: the name led
/// to no file, the errors of path resolution (path_resolution(7)); a missing
/// ELF or script interpreter also gives ENOENT and counts here, as in
/// shells. 126: a file was found and the kernel refused to run it, for its
/// permissions or mount (`EACCES`, `EPERM`), its format (`ENOEXEC`,
/// `EINVAL`, `ELIBBAD`, `EISDIR` for an interpreter that is a directory) or
/// its state (`ETXTBSY`, `EIO`), the file errors of execve(2). 125: the
/// remaining errors of `exec` (`E2BIG`, `ENOMEM`, `EAGAIN`, `EMFILE`,
/// `ENFILE`, `EFAULT`) belong to the request or the system, not the
/// program, like every failure of the other steps.
fn failure_status(err: &Error) -> u8 {
    if !matches!(err.step(), Step::Path | Step::Exec) {
        return EXIT_FAILURE;
    }
    match err.errno().raw() {
        libc::ENOENT | libc::ENOTDIR | libc::ELOOP | libc::ENAMETOOLONG => EXIT_NOT_FOUND,
        libc::EACCES
        | libc::EPERM
        | libc::ENOEXEC
        | libc::EISDIR
        | libc::ETXTBSY
        | libc::EINVAL
        | libc::EIO => EXIT_CANNOT_EXECUTE,
        #[cfg(target_os = "linux")]
        libc::ELIBBAD => EXIT_CANNOT_EXECUTE,
        _ => EXIT_FAILURE,
    }
}

/// `STEP: ERRNO_NAME (message)`, as the crate prints an [`Error`], with
/// [`errno_text`] for an errno the crate has no name for.
fn describe(err: &Error) -> String {
    if err.step() == Step::Invalid || has_name(err.errno()) {
        err.to_string()
    } else {
        format!("{}: {}", err.step(), errno_text(err.errno()))
    }
}

/// Whether the crate names `errno` (it answers `"E?"` when it does not).
fn has_name(errno: Errno) -> bool {
    errno.name() != "E?"
}

/// `ERRNO_NAME (message)`; for an errno the crate has no name for (it names
/// the POSIX ones), `errno N (message)` with the C library's message.
fn errno_text(errno: Errno) -> String {
    if has_name(errno) {
        return errno.to_string();
    }
    let message = std::io::Error::from_raw_os_error(errno.raw()).to_string();
    // std appends " (os error N)", which the number before says already.
    let message = match message.rfind(" (os error") {
        Some(end) => &message[..end],
        None => &message,
    };
    format!("errno {} ({message})", errno.raw())
}
