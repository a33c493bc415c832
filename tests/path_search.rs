//! The `PATH` search, and the environment as it is at the time of the spawn.
//!
//! These tests change the process environment, which every spawn reads, so
//! they live in a test binary of their own and take one lock each: no other
//! thread reads or writes the environment while one of them runs.

mod common;

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::sync::{Mutex, MutexGuard};

use common::{Scratch, cstr, output, sh};
use forkexec::{Command, Errno, ExitStatus, Step};

static ENV_LOCK: Mutex<()> = Mutex::new(());

/// The environment, held for one test: changes made through it are undone
/// when it is dropped.
struct Env {
    saved: Vec<(&'static str, Option<OsString>)>,
    _lock: MutexGuard<'static, ()>,
}

impl Env {
    /// Takes the environment for the calling test.
    fn lock() -> Self {
        Self {
            saved: Vec::new(),
            _lock: ENV_LOCK.lock().unwrap_or_else(|e| e.into_inner()),
        }
    }

    /// Sets `name` to `value`, or removes it.
    fn set(&mut self, name: &'static str, value: Option<&str>) {
        if !self.saved.iter().any(|(n, _)| *n == name) {
            self.saved.push((name, std::env::var_os(name)));
        }
        put(name, value.map(OsString::from));
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        for (name, old) in self.saved.drain(..).rev() {
            put(name, old);
        }
    }
}

fn put(name: &str, value: Option<OsString>) {
    // SAFETY: every test of this binary holds ENV_LOCK while it touches or
    // reads the environment, and none of them has another thread.
    unsafe {
        match value {
            Some(v) => std::env::set_var(name, v),
            None => std::env::remove_var(name),
        }
    }
}

/// A directory holding `prog`, a script that prints `tag`.
fn dir_with_program(tag: &str) -> Scratch {
    let scratch = Scratch::new();
    let script = format!("#!/bin/sh\necho {tag}\n");
    scratch.file("prog", script.as_bytes(), 0o755);
    scratch
}

/// A directory holding `prog` without any execute permission.
fn dir_with_plain_file() -> Scratch {
    let scratch = Scratch::new();
    scratch.file("prog", b"#!/bin/sh\necho plain\n", 0o644);
    scratch
}

fn joined(dirs: &[&Scratch]) -> String {
    let dirs: Vec<String> = dirs
        .iter()
        .map(|d| d.path().display().to_string())
        .collect();
    dirs.join(":")
}

fn run_prog(cmd: &Command<'_>) -> Result<String, (Step, Errno)> {
    match output(cmd) {
        Ok(out) => {
            assert_eq!(out.status, ExitStatus::Exited(0));
            Ok(out.stdout)
        }
        Err(e) => Err((e.step(), e.errno())),
    }
}

#[test]
fn the_first_match_in_path_runs() {
    let mut env = Env::lock();
    let (first, second) = (dir_with_program("first"), dir_with_program("second"));
    env.set("PATH", Some(&joined(&[&first, &second])));
    assert_eq!(run_prog(&Command::new(c"prog")), Ok("first\n".into()));
}

#[test]
fn a_non_executable_match_is_eacces() {
    let mut env = Env::lock();
    let plain = dir_with_plain_file();
    env.set("PATH", Some(&joined(&[&plain])));
    assert_eq!(
        run_prog(&Command::new(c"prog")),
        Err((Step::Path, Errno::EACCES))
    );
}

#[test]
fn eacces_is_kept_over_a_later_missing_entry() {
    let mut env = Env::lock();
    let plain = dir_with_plain_file();
    let path = format!("{}:/nonexistent/dir", plain.path().display());
    env.set("PATH", Some(&path));
    assert_eq!(
        run_prog(&Command::new(c"prog")),
        Err((Step::Path, Errno::EACCES))
    );
}

#[test]
fn a_later_executable_match_wins_over_a_non_executable_one() {
    let mut env = Env::lock();
    let (plain, good) = (dir_with_plain_file(), dir_with_program("good"));
    env.set("PATH", Some(&joined(&[&plain, &good])));
    assert_eq!(run_prog(&Command::new(c"prog")), Ok("good\n".into()));
}

#[test]
fn a_directory_with_the_programs_name_is_skipped() {
    let mut env = Env::lock();
    let with_dir = Scratch::new();
    fs::create_dir(with_dir.path().join("prog")).unwrap();
    let good = dir_with_program("good");
    env.set("PATH", Some(&joined(&[&with_dir, &good])));
    assert_eq!(run_prog(&Command::new(c"prog")), Ok("good\n".into()));
    env.set("PATH", Some(&joined(&[&with_dir])));
    assert_eq!(
        run_prog(&Command::new(c"prog")),
        Err((Step::Path, Errno::EACCES))
    );
}

#[test]
fn a_name_found_nowhere_is_enoent() {
    let mut env = Env::lock();
    let (a, b) = (Scratch::new(), Scratch::new());
    env.set("PATH", Some(&joined(&[&a, &b])));
    assert_eq!(
        run_prog(&Command::new(c"prog")),
        Err((Step::Path, Errno::ENOENT))
    );
}

#[test]
fn an_empty_entry_is_the_childs_working_directory() {
    let mut env = Env::lock();
    let here = dir_with_program("here");
    let dir = cstr(here.path());
    env.set("PATH", Some("/nonexistent/dir:"));
    assert_eq!(
        run_prog(Command::new(c"prog").dir(&dir)),
        Ok("here\n".into())
    );
    // Without the dir, the test's own working directory has no `prog`.
    assert_eq!(
        run_prog(&Command::new(c"prog")),
        Err((Step::Path, Errno::ENOENT))
    );
}

#[test]
fn a_relative_entry_is_resolved_from_dir() {
    let mut env = Env::lock();
    let top = Scratch::new();
    fs::create_dir(top.path().join("bin")).unwrap();
    let script = top.path().join("bin").join("prog");
    fs::write(&script, "#!/bin/sh\necho relative\n").unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    let dir = cstr(top.path());
    env.set("PATH", Some("bin"));
    assert_eq!(
        run_prog(Command::new(c"prog").dir(&dir)),
        Ok("relative\n".into())
    );
}

#[test]
fn a_name_with_a_slash_is_not_searched_and_runs_from_dir() {
    let mut env = Env::lock();
    let here = dir_with_program("slash");
    let dir = cstr(here.path());
    env.set("PATH", Some("/nonexistent/dir"));
    assert_eq!(
        run_prog(Command::new(c"./prog").dir(&dir)),
        Ok("slash\n".into())
    );
}

#[test]
fn without_path_the_default_search_list_is_used() {
    let mut env = Env::lock();
    // The default is /usr/local/bin:/bin:/usr/bin, which has `sh`.
    env.set("PATH", None);
    let args = sh("echo found");
    let argv = args.array::<4>();
    assert_eq!(
        run_prog(Command::new(c"sh").args(&argv)),
        Ok("found\n".into())
    );
}

#[test]
fn path_is_searched_inside_the_new_root() {
    let mut env = Env::lock();
    if !common::require_root("path_is_searched_inside_the_new_root") {
        return;
    }
    let root = common::make_root();
    let root_c = cstr(root.path());
    let args = sh("echo in the root");
    let argv = args.array::<4>();

    // `/bin` of the new root has `sh`.
    env.set("PATH", Some("/bin"));
    let cmd = *Command::new(c"sh").args(&argv).chroot(&root_c);
    assert_eq!(run_prog(&cmd), Ok("in the root\n".into()));

    // A directory that has the program outside the root does not count.
    let outside = dir_with_program("outside");
    env.set("PATH", Some(&joined(&[&outside])));
    let cmd = *Command::new(c"prog").chroot(&root_c);
    assert_eq!(run_prog(&cmd), Err((Step::Path, Errno::ENOENT)));
    assert_eq!(run_prog(&Command::new(c"prog")), Ok("outside\n".into()));
}

#[test]
fn a_relative_entry_is_resolved_from_dir_inside_the_new_root() {
    let mut env = Env::lock();
    if !common::require_root("a_relative_entry_is_resolved_from_dir_inside_the_new_root") {
        return;
    }
    let root = common::make_root();
    fs::write(root.path().join("sub/prog"), "#!/bin/sh\necho sub\n").unwrap();
    fs::set_permissions(
        root.path().join("sub/prog"),
        fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let root_c = cstr(root.path());
    env.set("PATH", Some("."));
    let cmd = *Command::new(c"prog").chroot(&root_c).dir(c"/sub");
    assert_eq!(run_prog(&cmd), Ok("sub\n".into()));
}

#[test]
fn the_environment_is_read_at_the_time_of_the_spawn() {
    let mut env = Env::lock();
    let args = sh("echo \"${FORKEXEC_TEST_MARK-unset}\"");
    let argv = args.array::<4>();
    let cmd = *Command::new(c"/bin/sh").args(&argv);
    env.set("FORKEXEC_TEST_MARK", Some("first"));
    assert_eq!(run_prog(&cmd), Ok("first\n".into()));
    env.set("FORKEXEC_TEST_MARK", Some("second"));
    assert_eq!(run_prog(&cmd), Ok("second\n".into()));
    env.set("FORKEXEC_TEST_MARK", None);
    assert_eq!(run_prog(&cmd), Ok("unset\n".into()));
}

#[test]
fn an_explicit_env_does_not_change_the_search() {
    let mut env = Env::lock();
    // PATH is the parent's, even when the child's environment has another.
    let here = dir_with_program("parent-path");
    env.set("PATH", Some(&joined(&[&here])));
    let vars = common::Args::new(["PATH=/nonexistent/dir"]);
    let envp = vars.array::<2>();
    assert_eq!(
        run_prog(Command::new(c"prog").env(&envp)),
        Ok("parent-path\n".into())
    );
}
