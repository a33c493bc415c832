//! The `run` example, driven as a real process: every line of its contract
//! in the design's "`run`: the command-line face" section, each checked by
//! exact stdout, stderr and exit status.
//!
//! How the binary is found. Cargo gives integration tests no path to an
//! example, and `cargo test --test run_cli` does not even build it, so the
//! first test that needs it runs `cargo build --example run` once (the cargo
//! that runs the tests, `$CARGO`), for the profile and target that built
//! this test, both read off the test's own path
//! (`<target-dir>[/<triple>]/<profile>/deps/run_cli-<hash>`), and takes the
//! path from cargo's JSON messages. When this test was built with
//! `--target`, the example is run through the runner cargo uses for that
//! target: `CARGO_TARGET_<TRIPLE>_RUNNER`, else `target.<triple>.runner`
//! from cargo's config files (see [`target_runner`]). Under qemu's user
//! mode, which has no ptrace, the `--ptrace` test checks that run reports
//! exactly that.
//!
//! `FORKEXEC_TEST_STRATEGY` (`fork`, `vfork`, `auto`) adds `--strategy` to
//! every run started, so that CI covers each strategy.
//!
//! Every `run` process starts with descriptors 0, 1 and 2 and those a test
//! gives it, and no other: descriptors this test inherited are closed, so
//! listings of the child's table are exact.
//!
//! Tests that need root, a C compiler or a pseudo-terminal say why they
//! cannot run, and fail when `CI` is `true`.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long one `run` may take before the test kills it and fails.
const TIMEOUT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------
// Finding and starting the example.

/// The built example and the runner its target needs, if any.
struct Example {
    path: PathBuf,
    runner: Vec<OsString>,
}

fn example() -> &'static Example {
    static EXAMPLE: OnceLock<Example> = OnceLock::new();
    EXAMPLE.get_or_init(build_example)
}

fn build_example() -> Example {
    let exe = std::env::current_exe().expect("path of the test executable");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test runs from <profile>/deps");
    // Cargo marks every directory it owns with CACHEDIR.TAG; the directory
    // above the profile is a target triple's when its own parent is one too.
    let above = profile_dir.parent().expect("a target directory");
    let triple = match above.parent() {
        Some(root) if root.join("CACHEDIR.TAG").exists() => above.file_name(),
        _ => None,
    };

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let mut build = Command::new(cargo);
    build
        .args(["build", "--example", "run", "--message-format=json"])
        .arg("--manifest-path")
        .arg(&manifest);
    match profile_dir.file_name().and_then(OsStr::to_str) {
        Some("debug") => {}
        Some("release") => {
            build.arg("--release");
        }
        Some(profile) => {
            build.args(["--profile", profile]);
        }
        None => panic!("no profile directory in {}", exe.display()),
    }
    if let Some(triple) = triple {
        build.arg("--target").arg(triple);
    }
    let out = build
        .stdin(Stdio::null())
        .output()
        .expect("start cargo build --example run");
    assert!(
        out.status.success(),
        "cargo build --example run failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|line| line.contains(r#""reason":"compiler-artifact""#))
        .filter(|line| line.contains(r#""kind":["example"]"#) && line.contains(r#""name":"run""#))
        .find_map(json_executable)
        .expect("cargo reported the run example's executable");

    let runner = match triple.and_then(OsStr::to_str) {
        Some(triple) => target_runner(triple),
        None => Vec::new(),
    };
    Example {
        path: PathBuf::from(path),
        runner,
    }
}

/// The runner cargo uses for `triple`, as cargo finds it: the variable
/// `CARGO_TARGET_<TRIPLE>_RUNNER`, else `target.<triple>.runner` in the
/// nearest `.cargo/config.toml` from the working directory up, then in
/// `$CARGO_HOME`. (Runners given for a `cfg(...)` are not looked at.)
fn target_runner(triple: &str) -> Vec<OsString> {
    let var = format!(
        "CARGO_TARGET_{}_RUNNER",
        triple.to_uppercase().replace(['-', '.'], "_")
    );
    let (mut runner, base): (Vec<OsString>, Option<PathBuf>) = match std::env::var(var) {
        Ok(value) => (value.split_whitespace().map(OsString::from).collect(), None),
        Err(_) => match runner_in_config(triple) {
            Some((words, base)) => (words.into_iter().map(OsString::from).collect(), Some(base)),
            None => return Vec::new(),
        },
    };
    if let Some(program) = runner.first_mut() {
        *program = resolve_program(program, base.as_deref());
    }
    runner
}

/// `target.<triple>.runner` from the first cargo config file that sets it,
/// with the directory its relative paths start from (the one holding
/// `.cargo`).
fn runner_in_config(triple: &str) -> Option<(Vec<String>, PathBuf)> {
    let cwd = std::env::current_dir().ok()?;
    let mut dirs: Vec<PathBuf> = cwd.ancestors().map(|d| d.join(".cargo")).collect();
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")));
    dirs.extend(home);
    for dir in dirs {
        let Some(text) = ["config.toml", "config"]
            .iter()
            .find_map(|name| std::fs::read_to_string(dir.join(name)).ok())
        else {
            continue;
        };
        let table: toml::Table = match text.parse() {
            Ok(table) => table,
            Err(e) => panic!("{}: {e}", dir.display()),
        };
        let runner = table
            .get("target")
            .and_then(|t| t.get(triple))
            .and_then(|t| t.get("runner"));
        let words = match runner {
            None => continue,
            Some(toml::Value::String(s)) => s.split_whitespace().map(String::from).collect(),
            Some(toml::Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(String::from))
                .collect::<Option<Vec<_>>>()
                .expect("a runner array holds strings"),
            Some(other) => panic!("{}: runner is {other:?}", dir.display()),
        };
        let base = dir.parent().unwrap_or(&dir).to_path_buf();
        return Some((words, base));
    }
    None
}

/// Whether the example runs under qemu's user mode (its runner is a
/// `qemu-*` program).
fn under_qemu() -> bool {
    example().runner.first().is_some_and(|program| {
        Path::new(program)
            .file_name()
            .is_some_and(|name| name.as_bytes().starts_with(b"qemu-"))
    })
}

/// `program` as a path: itself when absolute; below `base` when relative
/// with a `/` (cargo's rule for paths in config files); else its first
/// match in `PATH`, since some tests give run another PATH.
fn resolve_program(program: &OsStr, base: Option<&Path>) -> OsString {
    if program.as_bytes().contains(&b'/') {
        return match base {
            Some(base) => base.join(program).into(),
            None => program.into(),
        };
    }
    in_path(program)
}

/// `program` as a path: itself when it has a `/`, else its first match in
/// `PATH` (or itself, when nothing matches).
fn in_path(program: &OsStr) -> OsString {
    if program.as_bytes().contains(&b'/') {
        return program.into();
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
        .map_or_else(|| program.into(), OsString::from)
}

/// The value of `"executable":"..."` in one line of cargo's JSON output.
fn json_executable(line: &str) -> Option<String> {
    let start = line.find(r#""executable":""#)? + r#""executable":""#.len();
    let mut path = String::new();
    let mut chars = line[start..].chars();
    loop {
        match chars.next()? {
            '"' => return Some(path),
            '\\' => path.push(chars.next()?),
            c => path.push(c),
        }
    }
}

/// The words that start the example: its runner, its path, then
/// `--strategy S` when `FORKEXEC_TEST_STRATEGY` names one, so that CI runs
/// this file once per strategy.
fn run_words(path: &Path) -> Vec<OsString> {
    let mut words = bare_run_words(path);
    match std::env::var("FORKEXEC_TEST_STRATEGY").as_deref() {
        Err(std::env::VarError::NotPresent) | Ok("") => {}
        Ok(strategy @ ("fork" | "vfork" | "auto")) => {
            words.extend(["--strategy".into(), strategy.into()]);
        }
        other => panic!("FORKEXEC_TEST_STRATEGY must be fork, vfork or auto, not {other:?}"),
    }
    words
}

/// The words that start the example without a strategy: for the tests of
/// `--strategy` and of bad command lines.
fn bare_run_words(path: &Path) -> Vec<OsString> {
    let mut words = example().runner.clone();
    words.push(path.into());
    words
}

/// A `run` invocation being put together.
struct Run {
    cmd: Command,
    /// (descriptor number in run, file) pairs.
    fds: Vec<(RawFd, File)>,
}

/// `run ARGS...`, with stdin from /dev/null and the test's environment.
fn run<S: AsRef<OsStr>>(args: &[S]) -> Run {
    run_at(&example().path, args)
}

/// As [`run`], for a copy of the example at `path`.
fn run_at<S: AsRef<OsStr>>(path: &Path, args: &[S]) -> Run {
    run_words_then(run_words(path), args)
}

/// As [`run`], without the strategy of `FORKEXEC_TEST_STRATEGY`.
fn bare_run<S: AsRef<OsStr>>(args: &[S]) -> Run {
    run_words_then(bare_run_words(&example().path), args)
}

fn run_words_then<S: AsRef<OsStr>>(words: Vec<OsString>, args: &[S]) -> Run {
    let mut cmd = Command::new(&words[0]);
    cmd.args(&words[1..]).args(args).stdin(Stdio::null());
    Run {
        cmd,
        fds: Vec::new(),
    }
}

impl Run {
    /// Gives run `file` as its descriptor `fd` (3 or above), not
    /// close-on-exec.
    fn fd(mut self, fd: RawFd, file: File) -> Self {
        assert!(fd >= 3, "0, 1 and 2 are set with stdin, stdout, stderr");
        self.fds.push((fd, file));
        self
    }

    fn stdin(mut self, file: File) -> Self {
        self.cmd.stdin(file);
        self
    }

    fn env_clear(mut self) -> Self {
        self.cmd.env_clear();
        self
    }

    fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Self {
        self.cmd.env(key, value);
        self
    }

    /// Runs it to the end and collects what it printed.
    fn go(mut self) -> Out {
        let places: Vec<(RawFd, RawFd)> = self
            .fds
            .iter()
            .map(|(fd, file)| (*fd, file.as_raw_fd()))
            .collect();
        assert!(places.len() <= MAX_PLACES, "too many descriptors for run");
        // SAFETY: the closure makes only async-signal-safe calls (fcntl,
        // dup2, close, close_range), and allocates nothing: `places` was
        // built before the fork.
        unsafe {
            self.cmd.pre_exec(move || arrange_fds(&places));
        }
        self.cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = self.cmd.spawn().expect("start run");
        drop(self.fds);
        let mut stdout = child.stdout.take().expect("stdout pipe");
        let mut stderr = child.stderr.take().expect("stderr pipe");
        let out_reader = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            stdout.read_to_end(&mut bytes).map(|_| bytes)
        });
        let err_reader = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            stderr.read_to_end(&mut bytes).map(|_| bytes)
        });
        let deadline = Instant::now() + TIMEOUT;
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for run") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("run did not finish within {TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let stdout = out_reader.join().unwrap().expect("read run's stdout");
        let stderr = err_reader.join().unwrap().expect("read run's stderr");
        let code = status
            .code()
            .unwrap_or_else(|| panic!("run itself did not exit: {status:?}"));
        Out {
            code,
            stdout,
            stderr,
        }
    }
}

/// Most descriptors one test gives run, beyond 0, 1 and 2.
const MAX_PLACES: usize = 8;

/// In the forked child, before it execs run: puts each source at its
/// place and closes every other descriptor above 2. It allocates nothing.
fn arrange_fds(places: &[(RawFd, RawFd)]) -> std::io::Result<()> {
    let check = |ret: libc::c_int| {
        if ret < 0 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(ret)
        }
    };
    // Far above every place, so that no dup2 below overwrites a source.
    const SCRATCH: RawFd = 1000;
    let mut moved = [0 as RawFd; MAX_PLACES];
    for (slot, &(_, source)) in moved.iter_mut().zip(places) {
        // SAFETY: fcntl on a descriptor number takes no pointer.
        *slot = check(unsafe { libc::fcntl(source, libc::F_DUPFD_CLOEXEC, SCRATCH) })?;
    }
    for (&(place, _), &source) in places.iter().zip(&moved) {
        // SAFETY: dup2 takes descriptor numbers only.
        check(unsafe { libc::dup2(source, place) })?;
    }
    // Close everything from 3 up but the places, one gap at a time.
    let mut first = 3;
    let mut sorted = [RawFd::MAX; MAX_PLACES];
    for (slot, &(place, _)) in sorted.iter_mut().zip(places) {
        *slot = place;
    }
    sorted.sort_unstable();
    for &place in sorted.iter().take(places.len()).chain([RawFd::MAX].iter()) {
        if place > first {
            let last = if place == RawFd::MAX {
                u32::MAX
            } else {
                place as u32 - 1
            };
            // SAFETY: close_range takes numbers only (Linux 5.9).
            let ret = unsafe { libc::syscall(libc::SYS_close_range, first as u32, last, 0u32) };
            check(ret as libc::c_int)?;
        }
        first = place.saturating_add(1);
    }
    Ok(())
}

/// What a finished `run` printed and its exit status.
struct Out {
    code: i32,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Out {
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// Asserts the exit status, stdout and stderr at once.
    #[track_caller]
    fn is(&self, code: i32, stdout: &str, stderr: &str) {
        assert_eq!(
            (self.code, self.stdout().as_str(), self.stderr().as_str()),
            (code, stdout, stderr)
        );
    }
}

// ---------------------------------------------------------------------------
// Other helpers.

/// Says why a test cannot run here; fails instead when `CI` is `true`.
fn cannot_run(why: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("cannot run on CI: {why}");
    }
    eprintln!("skipped: {why}");
}

fn is_root() -> bool {
    // SAFETY: geteuid takes no argument and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// A fresh directory (mode 0755) under the system's temporary directory,
/// removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        loop {
            let n = COUNT.fetch_add(1, Ordering::Relaxed);
            let name = format!("forkexec-run-cli-{}-{n}", std::process::id());
            let path = std::env::temp_dir().join(name);
            match std::fs::create_dir(&path) {
                Ok(()) => {
                    let mode = std::fs::Permissions::from_mode(0o755);
                    std::fs::set_permissions(&path, mode).expect("chmod temp dir");
                    let path = path.canonicalize().expect("canonical temp dir");
                    return Self(path);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => panic!("cannot make a temporary directory: {e}"),
            }
        }
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes a file through `sh`, so that no descriptor open for writing on it
/// ever exists in this multithreaded process: a fork in another test thread
/// could hold such a copy and make the exec fail with ETXTBSY.
fn write_file(path: &Path, content: &str, mode: &str) {
    let status = Command::new("sh")
        .args(["-c", r#"printf '%s' "$2" > "$1" && chmod "$3" "$1""#, "sh"])
        .arg(path)
        .args([content, mode])
        .status()
        .expect("start sh");
    assert!(status.success(), "could not write {}", path.display());
}

/// A file opened for reading with `content`.
fn file_with(dir: &TempDir, name: &str, content: &str) -> File {
    let path = dir.join(name);
    write_file(&path, content, "644");
    File::open(path).expect("open test file")
}

/// A copy of the example that any user can run, in a 0755 directory: the
/// build's own directory may be closed to other users.
fn public_copy(dir: &TempDir) -> PathBuf {
    let copy = dir.join("run");
    let status = Command::new("cp")
        .arg(&example().path)
        .arg(&copy)
        .status()
        .expect("start cp");
    assert!(status.success());
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
    copy
}

/// A shell script that prints, from /proc, what the shell knows of itself:
/// `pid ppid pgrp sid tty_nr tpgid` (proc_pid_stat(5), fields 1, 4-8).
const STAT: &str = "read pid comm state ppid pgrp sid tty tpgid rest < /proc/$$/stat; \
                    echo $pid $ppid $pgrp $sid $tty $tpgid";

#[derive(Debug, PartialEq, Eq)]
struct Stat {
    pid: i64,
    ppid: i64,
    pgrp: i64,
    sid: i64,
    tty: i64,
    tpgid: i64,
}

fn stat_of(out: &Out) -> Stat {
    assert_eq!(
        (out.code, out.stderr().as_str()),
        (0, ""),
        "stat probe failed"
    );
    let text = out.stdout();
    let n: Vec<i64> = text
        .split_whitespace()
        .map(|w| w.parse().expect("a number"))
        .collect();
    assert_eq!(n.len(), 6, "stat probe printed {text:?}");
    Stat {
        pid: n[0],
        ppid: n[1],
        pgrp: n[2],
        sid: n[3],
        tty: n[4],
        tpgid: n[5],
    }
}

/// A shell script that lists the shell's open descriptors on descriptor
/// `out`: the glob's own directory descriptor is gone by the time each name
/// is tested.
fn list_fds(out: RawFd) -> String {
    format!(
        r#"for f in /proc/$$/fd/*; do if [ -e "$f" ]; then echo "${{f##*/}}" >&{out}; fi; done"#
    )
}

fn fd_numbers(text: &str) -> Vec<i32> {
    let mut fds: Vec<i32> = text.lines().map(|l| l.parse().expect("a number")).collect();
    fds.sort_unstable();
    fds
}

// ---------------------------------------------------------------------------
// Basics: output, exit status, options and their end.

#[test]
fn echo_prints_hello() {
    run(&["/bin/echo", "hello"]).go().is(0, "hello\n", "");
}

#[test]
fn program_without_slash_is_searched_in_path() {
    run(&["echo", "hello"]).go().is(0, "hello\n", "");
}

#[test]
fn output_passes_through_untouched() {
    let out = run(&["sh", "-c", r"printf 'a\000b\r\n\377'; printf 'err\001' >&2"]).go();
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout, b"a\0b\r\n\xff");
    assert_eq!(out.stderr, b"err\x01");
}

#[test]
fn exit_code_passes_through() {
    for code in [0, 1, 7, 125, 126, 127, 255] {
        run(&["sh", "-c", &format!("exit {code}")])
            .go()
            .is(code, "", "");
    }
}

#[test]
fn killed_by_signal_gives_128_plus_signal() {
    run(&["sh", "-c", "kill -TERM $$"]).go().is(143, "", "");
    run(&["sh", "-c", "kill -KILL $$"]).go().is(137, "", "");
}

#[test]
fn child_gets_default_sigpipe() {
    // An ignored SIGPIPE would survive the exec and let the shell go on.
    run(&["sh", "-c", "kill -PIPE $$; exit 3"])
        .go()
        .is(141, "", "");
}

#[test]
fn double_dash_ends_options() {
    run(&["--", "/bin/echo", "--setsid"])
        .go()
        .is(0, "--setsid\n", "");
    run(&["--", "--help"])
        .go()
        .is(127, "", "run: path: ENOENT (No such file or directory)\n");
}

#[test]
fn options_end_at_program() {
    run(&["/bin/echo", "--setsid", "-x", "--", "--dir"])
        .go()
        .is(0, "--setsid -x -- --dir\n", "");
}

#[test]
fn value_may_follow_an_equals_sign() {
    run(&["--dir=/", "--", "sh", "-c", "pwd -P"])
        .go()
        .is(0, "/\n", "");
}

#[test]
fn help_goes_to_stdout() {
    for flag in ["--help", "-h"] {
        let out = run(&["--setsid", flag, "--frobnicate"]).go();
        assert_eq!((out.code, out.stderr().as_str()), (0, ""));
        let help = out.stdout();
        assert!(
            help.starts_with("run [OPTIONS] [--] PROGRAM [ARGS...]\n"),
            "{help}"
        );
        for option in [
            "--dir DIR",
            "--chroot DIR",
            "--uid UID",
            "--gid GID",
            "--groups G1,G2,...",
            "--no-setgroups",
            "--setsid",
            "--setpgid",
            "--pgid PGID",
            "--ctty FD",
            "--foreground",
            "--setctty",
            "--noctty",
            "--ptrace",
            "--fd CHILD=PARENT",
            "--close-fds",
            "--env KEY=VALUE",
            "--clear-env",
            "--strategy fork|vfork|auto",
        ] {
            assert!(help.contains(option), "--help does not show {option}");
        }
    }
}

#[test]
fn usage_errors_exit_125() {
    let cases: &[(&[&str], &str)] = &[
        (&[], "missing PROGRAM"),
        (&["--"], "missing PROGRAM"),
        (&["--setsid"], "missing PROGRAM"),
        (&["--frobnicate", "true"], "unknown option --frobnicate"),
        (&["--frob=1", "true"], "unknown option --frob=1"),
        (&["-x", "true"], "unknown option -x"),
        (&["-", "true"], "unknown option -"),
        (&["--dir"], "--dir needs a value"),
        (&["--strategy"], "--strategy needs a value"),
        (&["--setsid=yes", "true"], "--setsid takes no value"),
        (&["--help=1"], "--help takes no value"),
        (&["--dir", "/", "--dir", "/", "true"], "--dir given twice"),
        (
            &["--uid", "abc", "true"],
            "--uid abc: expected a decimal user id",
        ),
        (
            &["--uid", "-1", "true"],
            "--uid -1: expected a decimal user id",
        ),
        (
            &["--uid", "+1", "true"],
            "--uid +1: expected a decimal user id",
        ),
        (&["--uid", "", "true"], "--uid : expected a decimal user id"),
        (
            &["--gid", "4294967296", "true"],
            "--gid 4294967296: expected a decimal group id",
        ),
        (
            &["--groups", "1,,2", "true"],
            "--groups 1,,2: expected decimal group ids, comma-separated",
        ),
        (
            &["--groups", "wheel", "true"],
            "--groups wheel: expected decimal group ids, comma-separated",
        ),
        (
            &["--pgid", "-5", "true"],
            "--pgid -5: expected a decimal process group id",
        ),
        (
            &["--ctty", "x", "true"],
            "--ctty x: expected a descriptor number",
        ),
        (
            &["--setpgid", "--pgid", "3", "true"],
            "--setpgid and --pgid exclude each other",
        ),
        (
            &["--groups", "1", "--no-setgroups", "true"],
            "--groups and --no-setgroups exclude each other",
        ),
        (
            &["--strategy", "bogus", "true"],
            "--strategy bogus: expected fork, vfork or auto",
        ),
        (
            &["--env", "NOEQUALS", "true"],
            "--env NOEQUALS: expected KEY=VALUE",
        ),
        (&["--env", "=x", "true"], "--env =x: expected KEY=VALUE"),
    ];
    for (args, message) in cases {
        let out = bare_run(args).go();
        assert_eq!(
            (out.code, out.stdout().as_str(), out.stderr().as_str()),
            (125, "", format!("run: usage: {message}\n").as_str()),
            "run {args:?}"
        );
    }
}

#[test]
fn bad_fd_syntax_is_a_usage_error() {
    let syntax = |value: &str| {
        format!(
            "run: usage: --fd {value}: expected CHILD=PARENT, CHILD a descriptor number \
             below 512, PARENT a descriptor number or close\n"
        )
    };
    for value in ["x=1", "1=-3", "1=", "=1", "1", "-1=1", "512=1", "1=closed"] {
        run(&["--fd", value, "true"])
            .go()
            .is(125, "", &syntax(value));
    }
    run(&["--fd", "1=2", "--fd", "1=close", "true"]).go().is(
        125,
        "",
        "run: usage: --fd 1=close: descriptor 1 is mapped twice\n",
    );
}

// ---------------------------------------------------------------------------
// Spawn failures: 127, 126, 125.

#[test]
fn not_found_in_path_is_127() {
    run(&["forkexec-no-such-program"]).go().is(
        127,
        "",
        "run: path: ENOENT (No such file or directory)\n",
    );
}

#[test]
fn not_found_path_is_127() {
    let dir = TempDir::new();
    let missing = dir.join("missing");
    run(&[&missing])
        .go()
        .is(127, "", "run: exec: ENOENT (No such file or directory)\n");
    // A path through a regular file resolves to nothing either.
    let file = dir.join("file");
    write_file(&file, "", "755");
    run(&[file.join("x")])
        .go()
        .is(127, "", "run: exec: ENOTDIR (Not a directory)\n");
}

#[test]
fn not_executable_is_126() {
    let dir = TempDir::new();
    let file = dir.join("data");
    write_file(&file, "echo never\n", "644");
    run(&[&file])
        .go()
        .is(126, "", "run: exec: EACCES (Permission denied)\n");
    // A directory is found, and cannot be executed.
    run(&[dir.path()])
        .go()
        .is(126, "", "run: exec: EACCES (Permission denied)\n");
    // In PATH, a name found only without execute permission.
    run(&["data"]).env("PATH", dir.path()).go().is(
        126,
        "",
        "run: path: EACCES (Permission denied)\n",
    );
}

#[test]
fn bad_format_is_126() {
    let dir = TempDir::new();
    let file = dir.join("garbage");
    write_file(&file, "\u{1}\u{2}this is not a program\n", "755");
    run(&[&file])
        .go()
        .is(126, "", "run: exec: ENOEXEC (Exec format error)\n");
}

#[test]
fn missing_dir_is_125() {
    run(&["--dir", "/nonexistent", "--", "/bin/true"]).go().is(
        125,
        "",
        "run: chdir: ENOENT (No such file or directory)\n",
    );
}

#[test]
fn invalid_request_is_125() {
    run(&["--uid", "4294967295", "true"]).go().is(
        125,
        "",
        "run: invalid: EINVAL (uid or gid -1 is not an id)\n",
    );
}

// ---------------------------------------------------------------------------
// Directory and root.

#[test]
fn dir_sets_working_directory() {
    let dir = TempDir::new();
    let expected = format!("{}\n", dir.path().display());
    run(&[
        OsStr::new("--dir"),
        dir.path().as_os_str(),
        "sh".as_ref(),
        "-c".as_ref(),
        "pwd -P".as_ref(),
    ])
    .go()
    .is(0, &expected, "");
}

#[test]
fn missing_chroot_is_125() {
    run(&["--chroot", "/nonexistent", "--", "/bin/true"])
        .go()
        .is(125, "", "run: chroot: ENOENT (No such file or directory)\n");
}

/// A C program, linked statically so that it runs in an empty root: prints
/// its argv[0], working directory, and whether /etc/passwd exists.
const PROBE_C: &str = r#"
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
    char cwd[4096];
    if (argc < 1 || getcwd(cwd, sizeof cwd) == NULL) return 2;
    printf("%s cwd=%s passwd=%d\n", argv[0], cwd, access("/etc/passwd", F_OK) == 0);
    return 0;
}
"#;

#[test]
fn chroot_runs_inside_new_root() {
    if !is_root() {
        return cannot_run("chroot needs root");
    }
    let root = TempDir::new();
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::create_dir_all(root.join("sub")).unwrap();
    let source = root.join("probe.c");
    write_file(&source, PROBE_C, "644");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let compiled = Command::new(&cc)
        .args(["-static", "-O", "-o"])
        .arg(root.join("bin/probe"))
        .arg(&source)
        .output();
    match compiled {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            let why = format!(
                "{cc} -static failed (a static C library is needed): {}",
                String::from_utf8_lossy(&out.stderr)
            );
            return cannot_run(&why);
        }
        Err(e) => return cannot_run(&format!("no C compiler ({cc}): {e}")),
    }
    // The probe sees /etc/passwd outside the root, so its absence below
    // shows the root changed.
    let root_arg = root.path().as_os_str();
    run(&[OsStr::new("--chroot"), root_arg, "/bin/probe".as_ref()])
        .go()
        .is(0, "/bin/probe cwd=/ passwd=0\n", "");
    run(&[
        OsStr::new("--chroot"),
        root_arg,
        "--dir".as_ref(),
        "/sub".as_ref(),
        "/bin/probe".as_ref(),
    ])
    .go()
    .is(0, "/bin/probe cwd=/sub passwd=0\n", "");
    // PATH (run's own) is searched below the new root.
    run(&[OsStr::new("--chroot"), root_arg, "probe".as_ref()])
        .env("PATH", "/bin")
        .go()
        .is(0, "probe cwd=/ passwd=0\n", "");
}

// ---------------------------------------------------------------------------
// Credentials.

const IDS: &str = r#"grep -E "^(Uid|Gid|Groups):" /proc/self/status"#;

/// The lines [`IDS`] printed, each with its blanks collapsed to one space
/// (kernels differ in the blanks around an empty group list).
fn ids_of(out: &Out) -> Vec<String> {
    assert_eq!(
        (out.code, out.stderr().as_str()),
        (0, ""),
        "id probe failed"
    );
    let words = |line: &str| line.split_whitespace().collect::<Vec<_>>().join(" ");
    out.stdout().lines().map(words).collect()
}

const NOBODY: [&str; 2] = [
    "Uid: 65534 65534 65534 65534",
    "Gid: 65534 65534 65534 65534",
];

#[test]
fn uid_gid_groups_are_set() {
    if !is_root() {
        return cannot_run("changing ids needs root");
    }
    let ids = |args: &[&str]| {
        let mut args = args.to_vec();
        args.extend(["--", "sh", "-c", IDS]);
        ids_of(&run(&args).go())
    };
    let [uid, gid] = NOBODY;
    // Without --groups a new id drops every supplementary group.
    let ids_only = ["--uid", "65534", "--gid", "65534"];
    assert_eq!(ids(&ids_only), [uid, gid, "Groups:"]);
    let given = ["--uid", "65534", "--gid", "65534", "--groups", "1,2"];
    assert_eq!(ids(&given), [uid, gid, "Groups: 1 2"]);
    let none = ["--uid", "65534", "--gid", "65534", "--groups", ""];
    assert_eq!(ids(&none), [uid, gid, "Groups:"]);
}

#[test]
fn no_setgroups_keeps_groups() {
    if !is_root() {
        return cannot_run("changing ids needs root");
    }
    // The outer run gives the inner one groups 5 and 6 to keep or drop.
    let nested = |extra: &[&str]| {
        let mut args: Vec<OsString> = vec!["--groups".into(), "5,6".into(), "--".into()];
        args.extend(run_words(&example().path));
        args.extend(extra.iter().map(OsString::from));
        args.extend(["--gid", "65534", "--", "sh", "-c", IDS].map(OsString::from));
        ids_of(&run(&args).go())
    };
    let [_, gid] = NOBODY;
    let uid = "Uid: 0 0 0 0";
    assert_eq!(nested(&["--no-setgroups"]), [uid, gid, "Groups: 5 6"]);
    assert_eq!(nested(&[]), [uid, gid, "Groups:"]);
}

#[test]
fn unprivileged_id_change_is_eperm() {
    let dir = TempDir::new();
    let copy = public_copy(&dir);
    // As root, the outer run drops to nobody and the inner run asks for
    // root back; otherwise the test process is unprivileged already.
    let check = |inner: &[&str], line: &str| {
        let out = if is_root() {
            let mut args: Vec<OsString> = ["--uid", "65534", "--gid", "65534", "--"]
                .map(OsString::from)
                .to_vec();
            args.extend(run_words(&copy));
            args.extend(inner.iter().map(OsString::from));
            run(&args).go()
        } else {
            run_at(&copy, inner).go()
        };
        out.is(125, "", line);
    };
    check(
        &["--uid", "0", "--", "/bin/true"],
        "run: setgroups: EPERM (Operation not permitted)\n",
    );
    check(
        &["--no-setgroups", "--gid", "0", "--", "/bin/true"],
        "run: setgid: EPERM (Operation not permitted)\n",
    );
    check(
        &["--no-setgroups", "--uid", "0", "--", "/bin/true"],
        "run: setuid: EPERM (Operation not permitted)\n",
    );
}

// ---------------------------------------------------------------------------
// Sessions and process groups.

fn own_ids() -> (i64, i64) {
    // SAFETY: getpgrp and getsid(0) take no pointer and cannot fail for the
    // calling process.
    unsafe { (i64::from(libc::getpgrp()), i64::from(libc::getsid(0))) }
}

#[test]
fn default_keeps_group_and_session() {
    let (pgrp, sid) = own_ids();
    let stat = stat_of(&run(&["sh", "-c", STAT]).go());
    assert_eq!((stat.pgrp, stat.sid), (pgrp, sid));
    assert_ne!(stat.pgrp, stat.pid);
}

#[test]
fn setsid_starts_a_session() {
    let stat = stat_of(&run(&["--setsid", "sh", "-c", STAT]).go());
    assert_eq!((stat.pgrp, stat.sid, stat.tty), (stat.pid, stat.pid, 0));
}

#[test]
fn setpgid_starts_a_group() {
    let (_, sid) = own_ids();
    for args in [&["--setpgid"][..], &["--pgid", "0"]] {
        let mut args = args.to_vec();
        args.extend(["sh", "-c", STAT]);
        let stat = stat_of(&run(&args).go());
        assert_eq!((stat.pgrp, stat.sid), (stat.pid, sid), "run {args:?}");
    }
}

#[test]
fn pgid_joins_a_group() {
    let mut leader = Command::new("sleep")
        .arg("60")
        .process_group(0)
        .spawn()
        .expect("start sleep");
    let pgid = leader.id().to_string();
    let out = run(&["--pgid", &pgid, "sh", "-c", STAT]).go();
    let _ = leader.kill();
    let _ = leader.wait();
    let stat = stat_of(&out);
    assert_eq!(stat.pgrp.to_string(), pgid);
    assert_ne!(stat.pid.to_string(), pgid);
}

#[test]
fn pgid_of_no_group_is_eperm() {
    // Above every pid the kernel hands out (PID_MAX_LIMIT is 2^22).
    run(&["--pgid", "2147483647", "/bin/true"]).go().is(
        125,
        "",
        "run: setpgid: EPERM (Operation not permitted)\n",
    );
}

#[test]
fn setsid_and_setpgid_are_invalid_together() {
    run(&["--setsid", "--setpgid", "/bin/true"]).go().is(
        125,
        "",
        "run: invalid: EINVAL (setsid and setpgid exclude each other: a session leader \
         cannot change its group)\n",
    );
}

// ---------------------------------------------------------------------------
// Descriptors.

#[test]
fn fd_maps_a_parent_descriptor() {
    let dir = TempDir::new();
    let seven = file_with(&dir, "seven", "from seven\n");
    run(&["--fd", "0=7", "--fd", "1=1", "--fd", "2=2", "cat"])
        .fd(7, seven)
        .go()
        .is(0, "from seven\n", "");
}

#[test]
fn fd_map_can_swap() {
    run(&[
        "--fd",
        "0=0",
        "--fd",
        "1=2",
        "--fd",
        "2=1",
        "sh",
        "-c",
        "echo out; echo err >&2",
    ])
    .go()
    .is(0, "err\n", "out\n");
}

#[test]
fn fd_default_map_is_the_standard_three() {
    let out = run(&["sh", "-c", &list_fds(1)]).go();
    assert_eq!((out.code, out.stderr().as_str()), (0, ""));
    assert_eq!(fd_numbers(&out.stdout()), [0, 1, 2]);
}

#[test]
fn fd_close_closes_the_slot() {
    let out = run(&[
        "--fd",
        "0=0",
        "--fd",
        "1=close",
        "--fd",
        "2=1",
        "sh",
        "-c",
        &list_fds(2),
    ])
    .go();
    assert_eq!((out.code, out.stderr().as_str()), (0, ""));
    assert_eq!(fd_numbers(&out.stdout()), [0, 2]);
}

#[test]
fn fd_gaps_are_closed() {
    let out = run(&["--fd", "4=1", "sh", "-c", &list_fds(4)]).go();
    assert_eq!((out.code, out.stderr().as_str()), (0, ""));
    assert_eq!(fd_numbers(&out.stdout()), [4]);
}

#[test]
fn close_fds_closes_unmapped_descriptors() {
    let dir = TempDir::new();
    let nine = || file_with(&dir, "nine", "from nine\n");
    // Without --close-fds, run's descriptor 9 (not close-on-exec) reaches
    // the child.
    let out = run(&["sh", "-c", &list_fds(1)]).fd(9, nine()).go();
    assert_eq!((out.code, out.stderr().as_str()), (0, ""));
    assert_eq!(fd_numbers(&out.stdout()), [0, 1, 2, 9]);
    let out = run(&["--close-fds", "sh", "-c", &list_fds(1)])
        .fd(9, nine())
        .go();
    assert_eq!((out.code, out.stderr().as_str()), (0, ""));
    assert_eq!(fd_numbers(&out.stdout()), [0, 1, 2]);
    // A mapped one stays, at its slot.
    let script = format!("cat <&3; {}", list_fds(1));
    let map = ["--fd", "0=0", "--fd", "1=1", "--fd", "2=2", "--fd", "3=9"];
    let mut args = vec!["--close-fds"];
    args.extend(map);
    args.extend(["sh", "-c", &script]);
    let out = run(&args).fd(9, nine()).go();
    assert_eq!((out.code, out.stderr().as_str()), (0, ""));
    let text = out.stdout();
    let listing = text
        .strip_prefix("from nine\n")
        .expect("cat read descriptor 3");
    assert_eq!(fd_numbers(listing), [0, 1, 2, 3]);
}

#[test]
fn fd_source_not_open_is_ebadf() {
    run(&["--fd", "0=99", "/bin/true"])
        .go()
        .is(125, "", "run: fd: EBADF (Bad file descriptor)\n");
}

// ---------------------------------------------------------------------------
// Environment.

#[test]
fn env_is_the_whole_environment() {
    run(&["--env", "A=1", "--env", "B=x=y", "env"])
        .go()
        .is(0, "A=1\nB=x=y\n", "");
    run(&["--env", "A=1", "--env", "A=2", "env"])
        .go()
        .is(0, "A=2\n", "");
}

#[test]
fn clear_env_empties_it() {
    run(&["--clear-env", "env"]).go().is(0, "", "");
    run(&["--clear-env", "--env", "A=1", "env"])
        .go()
        .is(0, "A=1\n", "");
}

#[test]
fn env_is_inherited_by_default() {
    let path = std::env::var_os("PATH").expect("PATH is set");
    let out = run(&["env"])
        .env_clear()
        .env("PATH", &path)
        .env("FORKEXEC_TEST", "inherited")
        .go();
    assert_eq!((out.code, out.stderr().as_str()), (0, ""));
    let mut lines: Vec<String> = out.stdout().lines().map(String::from).collect();
    lines.sort();
    let path = format!("PATH={}", path.to_string_lossy());
    assert_eq!(lines, ["FORKEXEC_TEST=inherited".to_string(), path]);
}

// ---------------------------------------------------------------------------
// ptrace.

#[test]
fn ptrace_reports_exec_stop_and_detaches() {
    let out = run(&["--ptrace", "sh", "-c", "echo $$; exit 5"]).go();
    if under_qemu() {
        // qemu's user mode has no ptrace: the child's PTRACE_TRACEME fails,
        // and run must report exactly that.
        return out.is(125, "", "run: ptrace: ENOSYS (Function not implemented)\n");
    }
    let stderr = out.stderr();
    if stderr.starts_with("run: ptrace: E") && out.code == 125 {
        return cannot_run(&format!("ptrace is not available: {stderr}"));
    }
    let pid = out.stdout();
    let pid = pid.trim_end();
    assert!(
        !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()),
        "{pid:?}"
    );
    out.is(
        5,
        &format!("{pid}\n"),
        &format!("run: ptrace: stopped at exec (pid {pid})\n"),
    );
    // A signal after the detach still ends it as usual.
    let out = run(&["--ptrace", "sh", "-c", "echo $$; kill -TERM $$"]).go();
    let pid = out.stdout();
    let pid = pid.trim_end();
    out.is(
        143,
        &format!("{pid}\n"),
        &format!("run: ptrace: stopped at exec (pid {pid})\n"),
    );
}

// ---------------------------------------------------------------------------
// Terminals.

#[test]
fn terminal_requests_are_checked() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["--foreground", "--setctty", "--ctty", "0"],
            "EINVAL (foreground and setctty exclude each other)",
        ),
        (
            &["--foreground"],
            "EINVAL (foreground needs a ctty descriptor)",
        ),
        (
            &["--setsid", "--foreground", "--ctty", "0"],
            "EINVAL (foreground needs the parent's terminal, which setsid leaves)",
        ),
        (
            &["--setctty", "--ctty", "0"],
            "EINVAL (setctty needs setsid: only a session leader can take a terminal)",
        ),
        (
            &["--setsid", "--setctty"],
            "EINVAL (setctty needs a ctty descriptor)",
        ),
        (
            &["--setsid", "--setctty", "--ctty", "5"],
            "EBADF (setctty's ctty is not a descriptor of the child's map)",
        ),
    ];
    for (args, error) in cases {
        let mut args = args.to_vec();
        args.push("/bin/true");
        let out = run(&args).go();
        assert_eq!(
            (out.code, out.stdout().as_str(), out.stderr().as_str()),
            (125, "", format!("run: invalid: {error}\n").as_str()),
            "run {args:?}"
        );
    }
}

#[test]
fn noctty_without_terminal_is_enotty() {
    run(&["--noctty", "/bin/true"]).go().is(
        125,
        "",
        "run: noctty: ENOTTY (Inappropriate ioctl for device)\n",
    );
}

/// A new pseudo-terminal: its master side, its slave side (neither becomes
/// this process's controlling terminal), and the slave's `tty_nr` as
/// /proc shows it.
fn open_pty() -> Option<(File, File, i64)> {
    use std::os::fd::FromRawFd;
    // SAFETY: posix_openpt takes flags only.
    let master = unsafe { libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY) };
    if master < 0 {
        return None;
    }
    // SAFETY: `master` is a fresh descriptor this function owns.
    let master = unsafe { File::from_raw_fd(master) };
    let mut name = [0 as libc::c_char; 128];
    // SAFETY: grantpt and unlockpt take the master descriptor; ptsname_r
    // writes at most `name.len()` bytes into `name`.
    let named = unsafe {
        libc::grantpt(master.as_raw_fd()) == 0
            && libc::unlockpt(master.as_raw_fd()) == 0
            && libc::ptsname_r(master.as_raw_fd(), name.as_mut_ptr(), name.len()) == 0
    };
    if !named {
        return None;
    }
    // SAFETY: ptsname_r wrote a NUL-terminated string.
    let name = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) };
    let slave = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY)
        .open(OsStr::from_bytes(name.to_bytes()))
        .ok()?;
    let rdev = std::os::unix::fs::MetadataExt::rdev(&slave.metadata().ok()?);
    let (major, minor) = (libc::major(rdev) as i64, libc::minor(rdev) as i64);
    // proc_pid_stat(5), tty_nr: the minor number in bits 31-20 and 7-0, the
    // major number in bits 15-8.
    let tty_nr = (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12);
    Some((master, slave, tty_nr))
}

#[test]
fn setctty_takes_the_terminal() {
    let Some((_master, slave, tty_nr)) = open_pty() else {
        return cannot_run("no pseudo-terminal");
    };
    let with = |args: &[&str]| {
        let mut args = args.to_vec();
        args.extend(["sh", "-c", STAT]);
        stat_of(&run(&args).stdin(slave.try_clone().unwrap()).go())
    };
    let stat = with(&["--setsid", "--setctty", "--ctty", "0"]);
    assert_eq!(
        (stat.sid, stat.tty, stat.tpgid),
        (stat.pid, tty_nr, stat.pid)
    );
    // Without --setctty the new session has no terminal.
    let stat = with(&["--setsid"]);
    assert_eq!((stat.sid, stat.tty), (stat.pid, 0));
}

/// `run --setsid --setctty --ctty 0 -- run INNER... sh -c STAT` with the
/// slave as stdin: the inner run leads a session whose terminal is the
/// pty.
fn in_pty_session(slave: &File, inner: &[&str]) -> Stat {
    let mut args: Vec<OsString> = ["--setsid", "--setctty", "--ctty", "0", "--"]
        .map(OsString::from)
        .to_vec();
    args.extend(run_words(&example().path));
    args.extend(inner.iter().map(OsString::from));
    args.extend(["sh", "-c", STAT].map(OsString::from));
    stat_of(&run(&args).stdin(slave.try_clone().unwrap()).go())
}

#[test]
fn noctty_gives_up_the_terminal() {
    let Some((_master, slave, tty_nr)) = open_pty() else {
        return cannot_run("no pseudo-terminal");
    };
    let stat = in_pty_session(&slave, &[]);
    assert_eq!(stat.tty, tty_nr);
    let stat = in_pty_session(&slave, &["--noctty"]);
    assert_eq!(stat.tty, 0);
}

#[test]
fn foreground_takes_the_terminal_for_its_group() {
    let Some((_master, slave, tty_nr)) = open_pty() else {
        return cannot_run("no pseudo-terminal");
    };
    // Its own group, but the session leader (the inner run) stays in front.
    let stat = in_pty_session(&slave, &["--setpgid"]);
    assert_eq!(
        (stat.pgrp, stat.tty, stat.tpgid),
        (stat.pid, tty_nr, stat.ppid)
    );
    // With --foreground the child's own group is in front.
    let stat = in_pty_session(&slave, &["--foreground", "--ctty", "0"]);
    assert_eq!(
        (stat.pgrp, stat.tty, stat.tpgid),
        (stat.pid, tty_nr, stat.pid)
    );
}

// ---------------------------------------------------------------------------
// Strategy.

#[test]
fn strategy_fork_and_auto_run() {
    for strategy in ["fork", "auto"] {
        bare_run(&["--strategy", strategy, "/bin/echo", "hello"])
            .go()
            .is(0, "hello\n", "");
    }
}

#[test]
fn strategy_vfork_runs_or_reports_invalid() {
    let out = bare_run(&["--strategy", "vfork", "/bin/echo", "hello"]).go();
    if out.code == 125 {
        eprintln!("the vfork strategy is not available in this build");
        out.is(
            125,
            "",
            "run: invalid: EINVAL (the vfork strategy is not available on this target)\n",
        );
    } else {
        out.is(0, "hello\n", "");
    }
}

#[test]
fn writes_nothing_but_the_childs_output() {
    // run's own messages go to stderr only, and only on failure.
    let out = run(&["sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3"]).go();
    out.is(3, "to-stdout\n", "to-stderr\n");
}
