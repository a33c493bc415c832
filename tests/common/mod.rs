//! Code shared by the integration tests.
//!
//! Besides small conveniences (argument vectors, pipes, temporary
//! directories, pseudo-terminals), every test binary that includes this
//! module can play two roles when it is started with `FORKEXEC_TEST_ROLE` in
//! its environment. The role runs from `.init_array`, before the test
//! harness's `main` (which would open `/dev/null` on closed standard
//! descriptors and so change what is being observed), and ends the process:
//!
//! - `report`: writes what the process sees of itself (arguments,
//!   environment, working directory, descriptor table, credentials, session,
//!   terminal, tracer) to the file named by `FORKEXEC_TEST_REPORT`;
//! - `nest`: spawns itself in the `report` role with the attributes listed
//!   in `FORKEXEC_TEST_NEST`, and writes the outcome of that spawn to the
//!   file named by `FORKEXEC_TEST_RESULT`. It lets a test control a
//!   process's whole descriptor table, credentials and terminal, and spawn
//!   from there.

#![allow(
    dead_code,
    reason = "each test binary uses its own part of this module; the rest is dead code there"
)]

use std::collections::BTreeMap;
use std::ffi::{CStr, CString, OsStr, OsString};
use std::fs;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use forkexec::{CStrArray, Child, Command, Errno, Error, ExitStatus, Slot, Step, Strategy};

/// The variable that picks the spawn strategy for the whole suite.
pub const STRATEGY_VAR: &str = "FORKEXEC_TEST_STRATEGY";
/// The variable that names the role a re-executed test binary plays.
pub const ROLE_VAR: &str = "FORKEXEC_TEST_ROLE";
/// Where the `report` role writes its report.
pub const REPORT_VAR: &str = "FORKEXEC_TEST_REPORT";
/// What the `nest` role spawns, as `;`-separated items (see [`NestSpec`]).
pub const NEST_VAR: &str = "FORKEXEC_TEST_NEST";
/// Where the `nest` role writes the outcome of its spawn.
pub const RESULT_VAR: &str = "FORKEXEC_TEST_RESULT";

/// `strategy()` — the strategy every spawning test uses, from
/// `FORKEXEC_TEST_STRATEGY` (`fork`, `vfork` or `auto`; default `auto`), so
/// that CI can run the whole suite once per strategy.
pub fn strategy() -> Strategy {
    match std::env::var(STRATEGY_VAR).as_deref() {
        Err(std::env::VarError::NotPresent) | Ok("") | Ok("auto") => Strategy::Auto,
        Ok("fork") => Strategy::Fork,
        Ok("vfork") => Strategy::Vfork,
        other => panic!("{STRATEGY_VAR} must be fork, vfork or auto, not {other:?}"),
    }
}

/// `in_ci()` — whether the environment variable `CI` is `true`.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| v == "true")
}

/// `skip(test, why)` — says loudly that `test` cannot run here; under CI,
/// where everything must run, it fails instead.
pub fn skip(test: &str, why: &str) {
    if in_ci() {
        panic!("{test} cannot run: {why} (CI=true, so this is a failure)");
    }
    eprintln!("SKIPPED {test}: {why}");
}

/// `is_root()` — whether the effective user id is 0.
pub fn is_root() -> bool {
    // SAFETY: geteuid takes no argument and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// `require_root(test)` — true when running as root; otherwise says why
/// `test` is skipped and returns false (fails under CI, which runs as root).
pub fn require_root(test: &str) -> bool {
    if is_root() {
        return true;
    }
    skip(test, "it needs root (chroot or credential changes)");
    false
}

/// `cstr(s)` — `s` as an owned C string (panics on an interior NUL).
pub fn cstr(s: impl AsRef<OsStr>) -> CString {
    CString::new(s.as_ref().as_bytes()).expect("no NUL inside")
}

/// `Args` — owned C strings that lend themselves as a [`CStrArray`].
pub struct Args(Vec<CString>);

impl Args {
    /// `Args::new(items)` — the strings `items`.
    pub fn new<S: AsRef<OsStr>>(items: impl IntoIterator<Item = S>) -> Self {
        Self(items.into_iter().map(cstr).collect())
    }

    /// `args.array::<N>()` — the strings as an argv/envp array (panics when
    /// they do not fit).
    pub fn array<const N: usize>(&self) -> CStrArray<'_, N> {
        let refs: Vec<&CStr> = self.0.iter().map(CString::as_c_str).collect();
        CStrArray::from_slice(&refs).expect("the strings fit the array")
    }
}

/// `sh(script)` — the arguments of `sh -c script`.
pub fn sh(script: &str) -> Args {
    Args::new(["sh", "-c", script])
}

/// `pipe()` — a close-on-exec pipe, `(read end, write end)`.
pub fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [-1; 2];
    // SAFETY: `fds` has room for two descriptors.
    let r = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(r, 0, "pipe2: {}", std::io::Error::last_os_error());
    // SAFETY: pipe2 just made both descriptors, and nothing else owns them.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

/// `read_all(fd)` — everything `fd` gives until end of file.
pub fn read_all(fd: OwnedFd) -> String {
    let mut text = String::new();
    fs::File::from(fd)
        .read_to_string(&mut text)
        .expect("read the child's output");
    text
}

/// `spawn(cmd)` — `cmd.spawn()` with the suite's strategy, tried again while
/// the program is `ETXTBSY`.
///
/// A program file this test binary has just written can be held open for
/// writing for a moment by a child that another test forked concurrently
/// and that has not exec'd yet; `execve` refuses such a file with
/// `ETXTBSY`. That is the test's own race, not the crate's, so it is retried
/// (at most two seconds).
pub fn spawn(cmd: &Command<'_>) -> Result<Child, Error> {
    let mut cmd = *cmd;
    cmd.strategy(strategy());
    for _ in 0..200 {
        match cmd.spawn() {
            Err(e) if (e.step(), e.errno()) == (Step::Exec, Errno::ETXTBSY) => {
                std::thread::sleep(Duration::from_millis(10));
            }
            other => return other,
        }
    }
    cmd.spawn()
}

/// What [`output`] got: the child's status and what it wrote on its
/// descriptor 1.
#[derive(Debug)]
pub struct Output {
    /// How the child ended.
    pub status: ExitStatus,
    /// Its descriptor 1, read to end of file.
    pub stdout: String,
}

/// `output(cmd)` — runs `cmd` (with the suite's strategy) with descriptor 1
/// on a pipe, 0 and 2 inherited, and collects what it writes.
///
/// `cmd`'s own descriptor map, if any, is replaced.
pub fn output(cmd: &Command<'_>) -> Result<Output, Error> {
    let (read, write) = pipe();
    let map = [Slot::Fd(0), Slot::Fd(write.as_raw_fd()), Slot::Fd(2)];
    let mut cmd = *cmd;
    cmd.fds(&map);
    let child = spawn(&cmd);
    drop(write);
    let child = child?;
    let stdout = read_all(read);
    let status = child.wait().expect("wait for the child");
    Ok(Output { status, stdout })
}

/// `Reaper` — a child that is killed and reaped when dropped, so a failed
/// assertion does not leave it behind.
pub struct Reaper(pub Child);

impl std::ops::Deref for Reaper {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl Drop for Reaper {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill(libc::SIGKILL);
            let _ = self.0.wait();
        }
    }
}

/// `open_file(path, flags)` — `open(2)` with the given flags (mode 0644 for
/// a created file).
pub fn open_file(path: &Path, flags: libc::c_int) -> OwnedFd {
    let c = cstr(path);
    // SAFETY: `c` is NUL-terminated; open is called with a mode argument.
    let fd = unsafe { libc::open(c.as_ptr(), flags, 0o644 as libc::c_uint) };
    assert!(
        fd >= 0,
        "open {}: {}",
        path.display(),
        std::io::Error::last_os_error()
    );
    // SAFETY: open just made `fd`.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// `fd_target(fd)` — what `/proc/self/fd/FD` points to in this process.
pub fn fd_target(fd: RawFd) -> String {
    let link = fs::read_link(format!("/proc/self/fd/{fd}")).expect("readlink /proc/self/fd");
    link.to_string_lossy().into_owned()
}

/// `is_cloexec(fd)` — whether `fd` is open and close-on-exec in this
/// process; `None` when it is not open.
pub fn is_cloexec(fd: RawFd) -> Option<bool> {
    // SAFETY: F_GETFD takes no argument.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    (flags >= 0).then_some(flags & libc::FD_CLOEXEC != 0)
}

/// `inherited_fds()` — this process's descriptors that are not
/// close-on-exec, with their targets: what a child inherits by default.
pub fn inherited_fds() -> BTreeMap<RawFd, String> {
    let mut fds = BTreeMap::new();
    for entry in fs::read_dir("/proc/self/fd").expect("list /proc/self/fd") {
        let name = entry.expect("read /proc/self/fd").file_name();
        let fd: RawFd = name
            .to_str()
            .and_then(|s| s.parse().ok())
            .expect("fd number");
        if is_cloexec(fd) == Some(false) {
            fds.insert(fd, fd_target(fd));
        }
    }
    fds
}

/// `Scratch` — a temporary directory that every user may write to (the
/// children of credential tests write their reports there).
pub struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    /// `Scratch::new()` — a fresh directory with mode 1777.
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("forkexec-test")
            .tempdir()
            .expect("make a temporary directory");
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o1777)).expect("chmod 1777");
        Self { dir }
    }

    /// `scratch.path()` — the directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `scratch.file(name, contents, mode)` — writes a file and returns its
    /// path.
    pub fn file(&self, name: &str, contents: &[u8], mode: u32) -> PathBuf {
        let path = self.dir.path().join(name);
        fs::write(&path, contents).expect("write a scratch file");
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).expect("chmod");
        path
    }
}

/// `emulator()` — the command that runs a program of this test binary's
/// architecture, when the host runs another one (the tests then run under
/// user-mode emulation, as cargo's runner for a cross target does, and the
/// kernel cannot exec this binary by itself); `None` on a native run.
///
/// `FORKEXEC_TEST_EMULATOR` gives the command, words separated by spaces;
/// by default it is `qemu-ARCH -L /usr/ARCH-linux-gnu`, Debian's user-mode
/// emulator and cross sysroot.
pub fn emulator() -> Option<&'static [String]> {
    static EMULATOR: std::sync::OnceLock<Option<Vec<String>>> = std::sync::OnceLock::new();
    EMULATOR
        .get_or_init(|| {
            // e_machine of ELF (elf.h): EM_X86_64 is 62, EM_AARCH64 183.
            let own: u16 = match std::env::consts::ARCH {
                "x86_64" => 62,
                "aarch64" => 183,
                _ => return None,
            };
            let mut header = [0u8; 20];
            let mut host = fs::File::open("/bin/sh").ok()?;
            host.read_exact(&mut header).ok()?;
            if u16::from_le_bytes([header[18], header[19]]) == own {
                return None;
            }
            if let Ok(words) = std::env::var("FORKEXEC_TEST_EMULATOR") {
                return Some(words.split(' ').map(str::to_owned).collect());
            }
            let arch = std::env::consts::ARCH;
            Some(vec![
                format!("qemu-{arch}"),
                "-L".to_owned(),
                format!("/usr/{arch}-linux-gnu"),
            ])
        })
        .as_deref()
}

/// `unsupported_under_emulation(test, why)` — true, after saying so, when
/// the tests run under user-mode emulation, which cannot do what `test`
/// needs (`why`): the emulator, not the crate, lacks it, so this does not
/// fail under CI. The same test runs natively.
pub fn unsupported_under_emulation(test: &str, why: &str) -> bool {
    if emulator().is_none() {
        return false;
    }
    eprintln!("SKIPPED {test} under user-mode emulation: {why}");
    true
}

/// `Probe` — this test binary, started as a child in the `report` or `nest`
/// role, and the files through which it reports.
pub struct Probe {
    scratch: Scratch,
    exe: CString,
    env: Args,
    /// The arguments the probe is to see, when the test gives them.
    args: Option<Vec<OsString>>,
    /// How it is started: the emulator and its arguments under user-mode
    /// emulation (see [`emulator`]), otherwise the given arguments.
    launch: Option<(CString, Args)>,
    report: PathBuf,
    result: PathBuf,
}

/// `ProbeArrays` — the environment and argument arrays a probe is started
/// with; see [`Probe::env`].
pub struct ProbeArrays<'a> {
    env: CStrArray<'a, 8>,
    argv: Option<CStrArray<'a, 16>>,
}

impl Probe {
    /// `Probe::report()` — a child that reports what it sees of itself.
    pub fn report() -> Self {
        Self::new("report", None, false)
    }

    /// `Probe::report_public()` — as [`report`](Probe::report), but run from
    /// a copy of the test binary that every user may execute (the build
    /// directory may not be reachable by an unprivileged user).
    pub fn report_public() -> Self {
        Self::new("report", None, true)
    }

    /// `Probe::nest(spec)` — a child that spawns a reporting child of its
    /// own with the attributes of `spec` (see [`NestSpec`]), from a copy of
    /// the test binary that every user may execute.
    pub fn nest(spec: &str) -> Self {
        Self::new("nest", Some(spec), true)
    }

    fn new(role: &str, spec: Option<&str>, public: bool) -> Self {
        let scratch = Scratch::new();
        let report = scratch.path().join("report");
        let result = scratch.path().join("result");
        let current = std::env::current_exe().expect("the test binary's path");
        let exe = if public {
            let copy = scratch.path().join("probe");
            fs::copy(&current, &copy).expect("copy the test binary");
            fs::set_permissions(&copy, fs::Permissions::from_mode(0o755)).expect("chmod 755");
            copy
        } else {
            current
        };
        let mut env = vec![
            format!("{ROLE_VAR}={role}"),
            format!("{REPORT_VAR}={}", report.display()),
            format!("{RESULT_VAR}={}", result.display()),
        ];
        if let Some(spec) = spec {
            env.push(format!("{NEST_VAR}={spec}"));
        }
        if let Some(s) = std::env::var_os(STRATEGY_VAR) {
            env.push(format!("{STRATEGY_VAR}={}", s.to_string_lossy()));
        }
        let mut probe = Self {
            scratch,
            exe: cstr(exe),
            env: Args::new(env),
            args: None,
            launch: None,
            report,
            result,
        };
        probe.plan_launch();
        probe
    }

    /// `probe.with_args(args)` — the probe is started with these arguments,
    /// `argv[0]` included, rather than the default (its path alone).
    pub fn with_args<S: AsRef<OsStr>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.args = Some(args.into_iter().map(|a| a.as_ref().to_owned()).collect());
        self.plan_launch();
        self
    }

    fn plan_launch(&mut self) {
        let exe = OsStr::from_bytes(self.exe.to_bytes()).to_owned();
        self.launch = match (emulator(), &self.args) {
            (None, None) => None,
            (None, Some(args)) => Some((self.exe.clone(), Args::new(args))),
            (Some(emulator), args) => {
                let mut argv: Vec<OsString> = emulator.iter().map(OsString::from).collect();
                if let Some(args) = args {
                    argv.extend(["-0".into(), args[0].clone(), exe]);
                    argv.extend(args[1..].iter().cloned());
                } else {
                    argv.push(exe);
                }
                Some((cstr(&emulator[0]), Args::new(argv)))
            }
        };
    }

    /// `probe.exe()` — the test binary the probe runs.
    pub fn exe(&self) -> &CStr {
        &self.exe
    }

    /// `probe.env()` — what the probe is started with: the environment it
    /// needs (its role and the paths of its reports) and its arguments.
    pub fn env(&self) -> ProbeArrays<'_> {
        ProbeArrays {
            env: self.env.array(),
            argv: self.launch.as_ref().map(|(_, args)| args.array()),
        }
    }

    /// `probe.command(arrays)` — a command that starts the probe with
    /// `arrays` (from [`env`](Probe::env)) and the suite's strategy.
    pub fn command<'a>(&'a self, arrays: &'a ProbeArrays<'a>) -> Command<'a> {
        let program = match &self.launch {
            Some((program, _)) => program,
            None => &self.exe,
        };
        let mut cmd = Command::new(program);
        cmd.env(&arrays.env).strategy(strategy());
        if let Some(argv) = &arrays.argv {
            cmd.args(argv);
        }
        cmd
    }

    /// `probe.scratch()` — the probe's world-writable directory.
    pub fn scratch(&self) -> &Scratch {
        &self.scratch
    }

    /// `probe.finish(child)` — waits for the reporting child, checks that it
    /// exited with 0, and parses its report.
    pub fn finish(&self, child: Child) -> Report {
        let status = child.wait().expect("wait for the probe");
        assert_eq!(status, ExitStatus::Exited(0), "the probe failed");
        self.read_report()
    }

    /// `probe.read_report()` — the report of the reporting child.
    pub fn read_report(&self) -> Report {
        let text = fs::read_to_string(&self.report).expect("the probe wrote its report");
        Report::parse(&text)
    }

    /// `probe.finish_nest(child)` — waits for the nesting child and returns
    /// the outcome of its spawn (`ok STATUS` or `err STEP ERRNO`) and, when
    /// the reporting child ran, its report.
    pub fn finish_nest(&self, child: Child) -> (String, Option<Report>) {
        let status = child.wait().expect("wait for the nest");
        let result = fs::read_to_string(&self.result).unwrap_or_default();
        assert_eq!(status, ExitStatus::Exited(0), "the nest failed: {result}");
        let report = self.report.exists().then(|| self.read_report());
        (result, report)
    }
}

/// `Report` — what a child in the `report` role saw of itself.
#[derive(Debug, Default)]
pub struct Report {
    /// Its arguments (`/proc/self/cmdline`).
    pub args: Vec<String>,
    /// Its environment as exec'd (`/proc/self/environ`).
    pub env: Vec<String>,
    /// `getcwd()`.
    pub cwd: String,
    /// Its descriptors and what each points to, as found in
    /// `/proc/self/fd` before the report opened anything.
    pub fds: BTreeMap<RawFd, String>,
    /// `getpid()`.
    pub pid: i32,
    /// `getppid()`.
    pub ppid: i32,
    /// `getpgid(0)`.
    pub pgid: i32,
    /// `getsid(0)`.
    pub sid: i32,
    /// The controlling terminal's device number (0: none), field 7 of
    /// `/proc/thread-self/stat`.
    pub tty_nr: u64,
    /// The terminal's foreground process group (-1: none), field 8 of
    /// `/proc/thread-self/stat`.
    pub tpgid: i32,
    /// Real, effective and saved user ids.
    pub uids: [u32; 3],
    /// Real, effective and saved group ids.
    pub gids: [u32; 3],
    /// Supplementary groups, sorted.
    pub groups: Vec<u32>,
    /// `TracerPid` of `/proc/self/status`.
    pub tracer: i32,
}

impl Report {
    fn parse(text: &str) -> Report {
        let mut r = Report::default();
        let num = |v: &str| v.parse::<i64>().expect("a number in the report");
        let ids = |v: &str| -> [u32; 3] {
            let ids: Vec<u32> = v.split(' ').map(|x| x.parse().expect("an id")).collect();
            ids.try_into().expect("three ids")
        };
        for line in text.lines() {
            let (key, value) = line.split_once('\t').expect("key TAB value");
            match key {
                "arg" => r.args.push(value.to_owned()),
                "env" => r.env.push(value.to_owned()),
                "cwd" => r.cwd = value.to_owned(),
                "fd" => {
                    let (fd, target) = value.split_once('\t').expect("fd TAB target");
                    r.fds.insert(num(fd) as RawFd, target.to_owned());
                }
                "pid" => r.pid = num(value) as i32,
                "ppid" => r.ppid = num(value) as i32,
                "pgid" => r.pgid = num(value) as i32,
                "sid" => r.sid = num(value) as i32,
                "tty_nr" => r.tty_nr = num(value) as u64,
                "tpgid" => r.tpgid = num(value) as i32,
                "uids" => r.uids = ids(value),
                "gids" => r.gids = ids(value),
                "groups" => {
                    r.groups = value
                        .split(' ')
                        .filter(|x| !x.is_empty())
                        .map(|x| x.parse().expect("a group id"))
                        .collect();
                }
                "tracer" => r.tracer = num(value) as i32,
                _ => panic!("unknown report line {line:?}"),
            }
        }
        r
    }

    /// `report.env_without_probe()` — the environment less the variables
    /// that made the child a probe.
    pub fn env_without_probe(&self) -> Vec<String> {
        let ours = [ROLE_VAR, REPORT_VAR, RESULT_VAR, NEST_VAR, STRATEGY_VAR];
        self.env
            .iter()
            .filter(|e| !ours.iter().any(|v| e.starts_with(&format!("{v}="))))
            .cloned()
            .collect()
    }
}

/// `Pty` — a pseudo-terminal pair, both ends close-on-exec, opened without
/// becoming anyone's controlling terminal.
pub struct Pty {
    /// The controlling side.
    pub master: OwnedFd,
    /// The terminal device a child can take.
    pub slave: OwnedFd,
    /// The terminal's device number (`st_rdev` of the slave).
    pub rdev: u64,
}

/// `openpty()` — a new pseudo-terminal (`posix_openpt`, `grantpt`,
/// `unlockpt`, `ptsname_r`).
pub fn openpty() -> Pty {
    let flags = libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC;
    // SAFETY: posix_openpt takes flags only.
    let master = unsafe { libc::posix_openpt(flags) };
    assert!(
        master >= 0,
        "posix_openpt: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: posix_openpt just made `master`.
    let master = unsafe { OwnedFd::from_raw_fd(master) };
    // SAFETY: `master` is an open pseudo-terminal master.
    assert_eq!(unsafe { libc::grantpt(master.as_raw_fd()) }, 0, "grantpt");
    // SAFETY: as above.
    assert_eq!(unsafe { libc::unlockpt(master.as_raw_fd()) }, 0, "unlockpt");
    let mut name = [0 as libc::c_char; 128];
    // SAFETY: `name` is a writable buffer of the length given.
    let r = unsafe { libc::ptsname_r(master.as_raw_fd(), name.as_mut_ptr(), name.len()) };
    assert_eq!(r, 0, "ptsname_r");
    // SAFETY: ptsname_r wrote a NUL-terminated name into `name`.
    let name = unsafe { CStr::from_ptr(name.as_ptr()) };
    let slave = open_file(Path::new(OsStr::from_bytes(name.to_bytes())), flags);
    let rdev = fs::metadata(format!("/proc/self/fd/{}", slave.as_raw_fd()))
        .map(|m| std::os::unix::fs::MetadataExt::rdev(&m))
        .expect("stat the terminal");
    Pty {
        master,
        slave,
        rdev,
    }
}

/// `make_root()` — a directory that can serve as a new root: `/bin/sh` with
/// the shared libraries it needs (found by `ldd`), an empty `/sub`, and a
/// file `/marker`.
pub fn make_root() -> tempfile::TempDir {
    let root = tempfile::Builder::new()
        .prefix("forkexec-root")
        .tempdir()
        .expect("make a root directory");
    let out = std::process::Command::new("ldd")
        .arg("/bin/sh")
        .output()
        .expect("run ldd /bin/sh");
    assert!(out.status.success(), "ldd /bin/sh failed");
    let mut files = vec![PathBuf::from("/bin/sh")];
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        // "libc.so.6 => /lib/.../libc.so.6 (0x...)" or "/lib64/ld-... (0x...)"
        let path = match line.split_once("=>") {
            Some((_, rest)) => rest.trim(),
            None => line.trim(),
        };
        let path = path.split(" (").next().unwrap_or_default();
        if path.starts_with('/') {
            files.push(PathBuf::from(path));
        }
    }
    for file in &files {
        let to = root.path().join(file.strip_prefix("/").expect("absolute"));
        fs::create_dir_all(to.parent().expect("a parent")).expect("mkdir in the root");
        fs::copy(file, &to).expect("copy into the root");
    }
    fs::create_dir(root.path().join("sub")).expect("mkdir sub");
    fs::write(root.path().join("marker"), b"inside\n").expect("write the marker");
    root
}

/// `NestSpec` — what the `nest` role spawns, parsed from `FORKEXEC_TEST_NEST`:
/// `;`-separated items `uid=N`, `gid=N`, `groups=A,B` (empty: none),
/// `no_setgroups`, `fds=S,S,...` (each a descriptor number or `c` for
/// closed; empty: a map of no slot), `close_other`, `setsid`, `setpgid`,
/// `foreground=FD`, `setctty=FD`, `noctty`, `program=PATH`, `dir=PATH`,
/// `chroot=PATH`.
#[derive(Default)]
pub struct NestSpec {
    uid: Option<u32>,
    gid: Option<u32>,
    groups: Option<Vec<libc::gid_t>>,
    no_setgroups: bool,
    fds: Option<Vec<Slot>>,
    close_other: bool,
    setsid: bool,
    setpgid: bool,
    foreground: Option<RawFd>,
    setctty: Option<RawFd>,
    noctty: bool,
    program: Option<CString>,
    dir: Option<CString>,
    chroot: Option<CString>,
}

impl NestSpec {
    fn parse(spec: &str) -> NestSpec {
        let mut s = NestSpec::default();
        let num = |v: &str| v.parse::<i64>().expect("a number in the nest spec");
        for item in spec.split(';').filter(|i| !i.is_empty()) {
            let (key, value) = item.split_once('=').unwrap_or((item, ""));
            match key {
                "uid" => s.uid = Some(num(value) as u32),
                "gid" => s.gid = Some(num(value) as u32),
                "groups" => {
                    let list = value.split(',').filter(|g| !g.is_empty());
                    s.groups = Some(list.map(|g| num(g) as libc::gid_t).collect());
                }
                "no_setgroups" => s.no_setgroups = true,
                "fds" => {
                    let slots = value.split(',').filter(|f| !f.is_empty());
                    let slot = |f: &str| match f {
                        "c" => Slot::Closed,
                        n => Slot::Fd(num(n) as RawFd),
                    };
                    s.fds = Some(slots.map(slot).collect());
                }
                "close_other" => s.close_other = true,
                "setsid" => s.setsid = true,
                "setpgid" => s.setpgid = true,
                "foreground" => s.foreground = Some(num(value) as RawFd),
                "setctty" => s.setctty = Some(num(value) as RawFd),
                "noctty" => s.noctty = true,
                "program" => s.program = Some(cstr(value)),
                "dir" => s.dir = Some(cstr(value)),
                "chroot" => s.chroot = Some(cstr(value)),
                _ => panic!("unknown nest item {item:?}"),
            }
        }
        s
    }
}

// The roles. The hook runs before `main`, from `.init_array`, like a C
// constructor; it returns at once unless `FORKEXEC_TEST_ROLE` names a role of
// this module.
#[used]
#[unsafe(link_section = ".init_array")]
static ROLE_HOOK: extern "C" fn() = play_role;

extern "C" fn play_role() {
    let role = std::env::var_os(ROLE_VAR);
    let code = match role.as_deref().and_then(OsStr::to_str) {
        Some("report") => {
            let path = std::env::var_os(REPORT_VAR).expect("FORKEXEC_TEST_REPORT");
            write_report(Path::new(&path));
            0
        }
        Some("nest") => nest(),
        _ => return,
    };
    // SAFETY: _exit ends the process at once, which is what a role does.
    unsafe { libc::_exit(code) }
}

/// The `report` role: see [`Report`]. The descriptor table is read first,
/// through a directory stream whose own descriptor is left out.
fn write_report(path: &Path) {
    let fds = list_own_fds();
    let mut out = String::new();
    let mut line = |key: &str, value: &str| {
        out.push_str(key);
        out.push('\t');
        out.push_str(value);
        out.push('\n');
    };
    let nul_list = |file: &str| -> Vec<String> {
        let bytes = fs::read(file).expect("read /proc/self");
        bytes
            .split(|&b| b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect()
    };
    for arg in nul_list("/proc/self/cmdline") {
        line("arg", &arg);
    }
    for var in nul_list("/proc/self/environ") {
        line("env", &var);
    }
    let cwd = std::env::current_dir().expect("getcwd");
    line("cwd", &cwd.to_string_lossy());
    for (fd, target) in &fds {
        line("fd", &format!("{fd}\t{target}"));
    }
    // SAFETY: these calls take no pointer (or null for "this process").
    let (pid, ppid, pgid, sid) = unsafe {
        (
            libc::getpid(),
            libc::getppid(),
            libc::getpgid(0),
            libc::getsid(0),
        )
    };
    line("pid", &pid.to_string());
    line("ppid", &ppid.to_string());
    line("pgid", &pgid.to_string());
    line("sid", &sid.to_string());
    // The thread's stat has the same terminal fields as the process's; it is
    // read because qemu-user answers /proc/self/stat with zeros there.
    let stat = fs::read_to_string("/proc/thread-self/stat").expect("read /proc/thread-self/stat");
    // Fields after the command name, which ends with the last ')': state,
    // ppid, pgrp, session, tty_nr, tpgid (proc_pid_stat(5)).
    let after: Vec<&str> = stat[stat.rfind(')').expect("comm") + 2..]
        .split(' ')
        .collect();
    line("tty_nr", after[4]);
    line("tpgid", after[5]);
    let (mut ru, mut eu, mut su) = (0, 0, 0);
    let (mut rg, mut eg, mut sg) = (0, 0, 0);
    // SAFETY: each pointer is a live local.
    unsafe {
        libc::getresuid(&mut ru, &mut eu, &mut su);
        libc::getresgid(&mut rg, &mut eg, &mut sg);
    }
    line("uids", &format!("{ru} {eu} {su}"));
    line("gids", &format!("{rg} {eg} {sg}"));
    let mut groups = vec![0 as libc::gid_t; 65536];
    // SAFETY: `groups` has room for the given number of ids.
    let n = unsafe { libc::getgroups(groups.len() as libc::c_int, groups.as_mut_ptr()) };
    assert!(n >= 0, "getgroups");
    groups.truncate(n as usize);
    groups.sort_unstable();
    let groups: Vec<String> = groups.iter().map(u32::to_string).collect();
    line("groups", &groups.join(" "));
    let status = fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let tracer = status
        .lines()
        .find_map(|l| l.strip_prefix("TracerPid:"))
        .expect("TracerPid")
        .trim();
    line("tracer", tracer);
    fs::write(path, out).expect("write the report");
}

/// This process's descriptors and their targets, without the descriptor of
/// the directory stream that lists them.
fn list_own_fds() -> BTreeMap<RawFd, String> {
    let mut fds = BTreeMap::new();
    // SAFETY: the path is NUL-terminated.
    let dir = unsafe { libc::opendir(c"/proc/self/fd".as_ptr()) };
    assert!(!dir.is_null(), "opendir /proc/self/fd");
    // SAFETY: `dir` is an open directory stream.
    let own = unsafe { libc::dirfd(dir) };
    loop {
        // SAFETY: as above.
        let entry = unsafe { libc::readdir(dir) };
        if entry.is_null() {
            break;
        }
        // SAFETY: readdir returned a live entry with a NUL-terminated name.
        let name = unsafe { CStr::from_ptr((*entry).d_name.as_ptr()) };
        let Some(fd) = name.to_str().ok().and_then(|s| s.parse::<RawFd>().ok()) else {
            continue;
        };
        if fd == own {
            continue;
        }
        let link = fs::read_link(format!("/proc/self/fd/{fd}")).expect("readlink");
        fds.insert(fd, link.to_string_lossy().into_owned());
    }
    // SAFETY: `dir` is open and not used after this.
    unsafe { libc::closedir(dir) };
    fds
}

/// The `nest` role: spawns `/proc/self/exe` in the `report` role with the
/// attributes of `FORKEXEC_TEST_NEST`, waits for it, and writes the outcome.
fn nest() -> libc::c_int {
    let var = |name: &str| -> OsString { std::env::var_os(name).expect(name) };
    let spec = NestSpec::parse(&var(NEST_VAR).to_string_lossy());
    let env = Args::new([
        format!("{ROLE_VAR}=report"),
        format!("{REPORT_VAR}={}", var(REPORT_VAR).to_string_lossy()),
    ]);
    let envp = env.array::<4>();
    let (program, argv) = match (&spec.program, emulator()) {
        (Some(program), _) => (program.clone(), Args::new(["report"])),
        (None, None) => (c"/proc/self/exe".to_owned(), Args::new(["report"])),
        (None, Some(emulator)) => {
            let exe = std::env::current_exe().expect("the test binary's path");
            let mut argv: Vec<OsString> = emulator.iter().map(OsString::from).collect();
            argv.push(exe.into_os_string());
            (cstr(&emulator[0]), Args::new(argv))
        }
    };
    let argv = argv.array::<8>();
    let mut cmd = Command::new(&program);
    cmd.args(&argv).env(&envp).strategy(strategy());
    if let Some(uid) = spec.uid {
        cmd.uid(uid);
    }
    if let Some(gid) = spec.gid {
        cmd.gid(gid);
    }
    if let Some(groups) = &spec.groups {
        cmd.groups(groups);
    }
    if spec.no_setgroups {
        cmd.no_setgroups();
    }
    if let Some(map) = &spec.fds {
        cmd.fds(map);
    }
    if spec.close_other {
        cmd.close_other_fds();
    }
    if spec.setsid {
        cmd.setsid();
    }
    if spec.setpgid {
        cmd.setpgid();
    }
    if let Some(fd) = spec.foreground {
        cmd.ctty(fd).foreground();
    }
    if let Some(fd) = spec.setctty {
        cmd.ctty(fd).setctty();
    }
    if spec.noctty {
        cmd.noctty();
    }
    if let Some(dir) = &spec.dir {
        cmd.dir(dir);
    }
    if let Some(root) = &spec.chroot {
        cmd.chroot(root);
    }
    let mut outcome = match cmd.spawn() {
        Ok(child) => match child.wait() {
            Ok(status) => format!("ok {status:?}"),
            Err(errno) => format!("wait {}", errno.name()),
        },
        Err(e) => format!("err {} {}", e.step(), e.errno().name()),
    };
    // Whatever happened, no child may be left: not reaped, not running.
    // SAFETY: a null status pointer is allowed.
    let left = unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) };
    if left != -1 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ECHILD) {
        outcome.push_str(" (a child was left behind)");
    }
    fs::write(var(RESULT_VAR), outcome).expect("write the nest's result");
    0
}
