//! Every attribute of a spawn, checked from the child's own view: its
//! arguments, environment, working directory, root, credentials, session,
//! process group, controlling terminal and tracer.

mod common;

use std::ffi::CStr;
use std::fs;
use std::os::fd::AsRawFd;
use std::path::Path;

use common::{Args, Probe, Reaper, Report, cstr, output, sh, spawn};
use forkexec::{CStrArray, Child, Command, Error, ExitStatus, Slot};

#[test]
fn argv_reaches_the_program_unchanged() {
    let args = Args::new([
        "sh",
        "-c",
        "printf '%s|' \"$0\" \"$@\"",
        "zero",
        "a",
        "b c",
        "",
    ]);
    let argv = args.array::<8>();
    let out = output(Command::new(c"/bin/sh").args(&argv)).unwrap();
    assert_eq!(out.status, ExitStatus::Exited(0));
    assert_eq!(out.stdout, "zero|a|b c||");
}

#[test]
fn default_argv_is_the_program_alone() {
    let probe = Probe::report();
    let env = probe.env();
    let report = probe.finish(spawn(&probe.command(&env)).unwrap());
    assert_eq!(report.args, [probe.exe().to_str().unwrap()]);
}

#[test]
fn argv0_may_differ_from_the_program() {
    let probe = Probe::report().with_args(["another-name", "x y", "-"]);
    let env = probe.env();
    let report = probe.finish(spawn(&probe.command(&env)).unwrap());
    assert_eq!(report.args, ["another-name", "x y", "-"]);
}

#[test]
fn raw_argv_is_passed_as_given() {
    let argv = [
        c"sh".as_ptr(),
        c"-c".as_ptr(),
        c"echo \"$#:$1\"".as_ptr(),
        c"sh".as_ptr(),
        c"raw".as_ptr(),
        std::ptr::null(),
    ];
    let mut cmd = Command::new(c"/bin/sh");
    // SAFETY: `argv` is a null-terminated array of static C strings that
    // outlives the command.
    unsafe { cmd.args_raw(argv.as_ptr()) };
    let out = output(&cmd).unwrap();
    assert_eq!(out.stdout, "1:raw\n");
}

#[test]
fn a_thousand_arguments_fit_a_large_array() {
    let mut items = vec!["sh".to_owned(), "-c".to_owned(), "echo $#".to_owned()];
    items.extend((0..1001).map(|i| format!("arg{i}")));
    let args = Args::new(&items);
    let argv = args.array::<1005>();
    let out = output(Command::new(c"/bin/sh").args(&argv)).unwrap();
    // $0 is arg0; the thousand others are the positional parameters.
    assert_eq!(out.stdout, "1000\n");
}

#[test]
fn explicit_env_is_the_whole_environment() {
    let vars = Args::new(["A=1", "B=two words", "EMPTY="]);
    let envp = vars.array::<4>();
    let out = output(Command::new(c"/usr/bin/env").env(&envp)).unwrap();
    assert_eq!(out.status, ExitStatus::Exited(0));
    assert_eq!(out.stdout, "A=1\nB=two words\nEMPTY=\n");
}

#[test]
fn empty_env_gives_an_empty_environment() {
    let envp = CStrArray::<1>::new();
    let out = output(Command::new(c"/usr/bin/env").env(&envp)).unwrap();
    assert_eq!(out.status, ExitStatus::Exited(0));
    assert_eq!(out.stdout, "");
}

#[test]
fn default_env_is_the_parents_environment() {
    let args = Args::new(["env", "-0"]);
    let argv = args.array::<3>();
    let out = output(Command::new(c"/usr/bin/env").args(&argv)).unwrap();
    let child: Vec<&str> = out.stdout.split_terminator('\0').collect();
    let parent: Vec<String> = std::env::vars_os()
        .map(|(k, v)| format!("{}={}", k.to_string_lossy(), v.to_string_lossy()))
        .collect();
    assert!(!parent.is_empty());
    assert_eq!(child, parent);
}

#[test]
fn dir_is_the_working_directory() {
    let scratch = common::Scratch::new();
    let dir = cstr(scratch.path());
    let probe = Probe::report();
    let env = probe.env();
    let report = probe.finish(spawn(probe.command(&env).dir(&dir)).unwrap());
    let expected = fs::canonicalize(scratch.path()).unwrap();
    assert_eq!(report.cwd, expected.to_str().unwrap());

    let args = sh("pwd -P");
    let argv = args.array::<4>();
    let out = output(Command::new(c"/bin/sh").args(&argv).dir(&dir)).unwrap();
    assert_eq!(out.stdout, format!("{}\n", expected.display()));
}

#[test]
fn relative_dir_starts_from_the_parents_directory() {
    // Cargo runs integration tests in the package's root, which has `src`.
    let probe = Probe::report();
    let env = probe.env();
    let report = probe.finish(spawn(probe.command(&env).dir(c"src")).unwrap());
    let expected = fs::canonicalize("src").unwrap();
    assert_eq!(report.cwd, expected.to_str().unwrap());
}

#[test]
fn without_dir_the_working_directory_is_inherited() {
    let probe = Probe::report();
    let env = probe.env();
    let report = probe.finish(spawn(&probe.command(&env)).unwrap());
    let expected = std::env::current_dir().unwrap();
    assert_eq!(report.cwd, expected.to_str().unwrap());
}

/// Runs `script` in `sh` inside a new root made by [`common::make_root`],
/// with `dir` as the working directory when given.
fn in_chroot(script: &str, dir: Option<&CStr>) -> String {
    let root = common::make_root();
    let root_c = cstr(root.path());
    let args = sh(script);
    let argv = args.array::<4>();
    let mut cmd = Command::new(c"/bin/sh");
    cmd.args(&argv).chroot(&root_c);
    if let Some(dir) = dir {
        cmd.dir(dir);
    }
    let out = output(&cmd).unwrap();
    assert_eq!(out.status, ExitStatus::Exited(0), "{}", out.stdout);
    out.stdout
}

// Only builtins: the new root holds nothing but `sh`.
const WHERE_AM_I: &str =
    "pwd -P; read m < /marker && echo $m; test -e /proc/self && echo proc; cd ..; pwd -P";

#[test]
fn chroot_without_dir_starts_at_the_new_root() {
    if !common::require_root("chroot_without_dir_starts_at_the_new_root") {
        return;
    }
    // `/marker` exists only in the new root, and `/proc` only outside it;
    // `cd ..` cannot leave the root.
    assert_eq!(in_chroot(WHERE_AM_I, None), "/\ninside\n/\n");
}

#[test]
fn chroot_with_absolute_dir_resolves_inside_the_new_root() {
    if !common::require_root("chroot_with_absolute_dir_resolves_inside_the_new_root") {
        return;
    }
    assert_eq!(in_chroot(WHERE_AM_I, Some(c"/sub")), "/sub\ninside\n/\n");
}

#[test]
fn chroot_with_relative_dir_resolves_from_the_new_root() {
    if !common::require_root("chroot_with_relative_dir_resolves_from_the_new_root") {
        return;
    }
    assert_eq!(in_chroot(WHERE_AM_I, Some(c"sub")), "/sub\ninside\n/\n");
}

#[test]
fn without_chroot_the_root_is_inherited() {
    let args = sh("test -e /proc/self && echo proc");
    let argv = args.array::<4>();
    let out = output(Command::new(c"/bin/sh").args(&argv)).unwrap();
    assert_eq!(out.stdout, "proc\n");
}

/// Parent's supplementary groups, sorted.
fn own_groups() -> Vec<u32> {
    let mut groups = vec![0 as libc::gid_t; 65536];
    // SAFETY: `groups` has room for the given number of ids.
    let n = unsafe { libc::getgroups(groups.len() as libc::c_int, groups.as_mut_ptr()) };
    assert!(n >= 0);
    groups.truncate(n as usize);
    groups.sort_unstable();
    groups
}

fn own_ids() -> ([u32; 3], [u32; 3]) {
    let (mut ru, mut eu, mut su) = (0, 0, 0);
    let (mut rg, mut eg, mut sg) = (0, 0, 0);
    // SAFETY: the pointers are live locals.
    unsafe {
        libc::getresuid(&mut ru, &mut eu, &mut su);
        libc::getresgid(&mut rg, &mut eg, &mut sg);
    }
    ([ru, eu, su], [rg, eg, sg])
}

/// Runs a reporting child from a copy of the test binary that any user can
/// execute, with `setup` applied.
fn report_with(setup: impl FnOnce(Command<'_>) -> Result<Child, Error>) -> Report {
    let probe = Probe::report_public();
    let env = probe.env();
    probe.finish(setup(probe.command(&env)).unwrap())
}

#[test]
fn without_credentials_the_ids_and_groups_are_inherited() {
    let report = report_with(|cmd| spawn(&cmd));
    let (uids, gids) = own_ids();
    assert_eq!((report.uids, report.gids), (uids, gids));
    assert_eq!(report.groups, own_groups());
}

#[test]
fn uid_sets_every_user_id_and_drops_the_groups() {
    if !common::require_root("uid_sets_every_user_id_and_drops_the_groups") {
        return;
    }
    let report = report_with(|mut cmd| spawn(cmd.uid(65534)));
    assert_eq!(report.uids, [65534; 3]);
    assert_eq!(report.gids, [0; 3]);
    assert_eq!(report.groups, [0u32; 0]);
}

#[test]
fn gid_sets_every_group_id_and_drops_the_groups() {
    if !common::require_root("gid_sets_every_group_id_and_drops_the_groups") {
        return;
    }
    let report = report_with(|mut cmd| spawn(cmd.gid(65534)));
    assert_eq!(report.uids, [0; 3]);
    assert_eq!(report.gids, [65534; 3]);
    assert_eq!(report.groups, [0u32; 0]);
}

#[test]
fn groups_are_the_supplementary_groups() {
    if !common::require_root("groups_are_the_supplementary_groups") {
        return;
    }
    let groups = [4343, 4242, 7];
    let report = report_with(|cmd| {
        let mut cmd = cmd;
        spawn(cmd.groups(&groups))
    });
    assert_eq!(report.uids, [0; 3]);
    assert_eq!(report.groups, [7, 4242, 4343]);
}

#[test]
fn uid_gid_and_groups_together_as_id_sees_them() {
    if !common::require_root("uid_gid_and_groups_together_as_id_sees_them") {
        return;
    }
    let groups = [4242];
    let args = sh("id -u; id -g; id -G");
    let argv = args.array::<4>();
    let out = output(
        Command::new(c"/bin/sh")
            .args(&argv)
            .uid(65534)
            .gid(65533)
            .groups(&groups),
    )
    .unwrap();
    assert_eq!(out.stdout, "65534\n65533\n65533 4242\n");
}

/// Starts a `nest` child that holds supplementary groups 4242 and 4343,
/// which then spawns a reporting child with `spec`.
fn nest_with_groups(spec: &str) -> Report {
    let probe = Probe::nest(spec);
    let env = probe.env();
    let groups = [4242, 4343];
    let child = spawn(probe.command(&env).groups(&groups)).unwrap();
    let (result, report) = probe.finish_nest(child);
    assert_eq!(result, "ok Exited(0)");
    report.unwrap()
}

#[test]
fn no_setgroups_keeps_the_groups_when_the_uid_changes() {
    if !common::require_root("no_setgroups_keeps_the_groups_when_the_uid_changes") {
        return;
    }
    let kept = nest_with_groups("uid=65534;no_setgroups");
    assert_eq!(kept.uids, [65534; 3]);
    assert_eq!(kept.groups, [4242, 4343]);
    // The control: the same without no_setgroups drops them.
    let dropped = nest_with_groups("uid=65534");
    assert_eq!(dropped.uids, [65534; 3]);
    assert_eq!(dropped.groups, [0u32; 0]);
}

fn own_session() -> (i32, i32) {
    // SAFETY: getsid and getpgrp take no pointer.
    unsafe { (libc::getsid(0), libc::getpgrp()) }
}

#[test]
fn by_default_the_session_and_group_are_the_parents() {
    let report = report_with(|cmd| spawn(&cmd));
    assert_eq!((report.sid, report.pgid), own_session());
    assert_ne!(report.pgid, report.pid);
}

#[test]
fn setsid_starts_a_session_without_a_terminal() {
    let report = report_with(|mut cmd| spawn(cmd.setsid()));
    assert_eq!(report.sid, report.pid);
    assert_eq!(report.pgid, report.pid);
    assert_eq!(report.tty_nr, 0);
}

#[test]
fn setpgid_leads_a_group_in_the_parents_session() {
    let report = report_with(|mut cmd| spawn(cmd.setpgid()));
    assert_eq!(report.pgid, report.pid);
    assert_eq!(report.sid, own_session().0);
}

#[test]
fn pgid_joins_an_existing_group() {
    let argv = Args::new(["sleep", "60"]);
    let argv = argv.array::<3>();
    let leader = Reaper(spawn(Command::new(c"/bin/sleep").args(&argv).setpgid()).unwrap());
    let report = report_with(|mut cmd| spawn(cmd.pgid(leader.pid())));
    assert_eq!(report.pgid, leader.pid());
    assert_ne!(report.pid, leader.pid());
    assert_eq!(report.sid, own_session().0);
}

#[test]
fn setctty_makes_the_terminal_the_controlling_terminal() {
    let pty = common::openpty();
    let slave = pty.slave.as_raw_fd();
    let map = [Slot::Fd(slave), Slot::Fd(slave), Slot::Fd(slave)];
    let report = report_with(|cmd| {
        let mut cmd = cmd;
        spawn(cmd.fds(&map).setsid().ctty(0).setctty())
    });
    assert_eq!(report.sid, report.pid);
    assert_eq!(report.tty_nr, pty.rdev);
    // TIOCSCTTY makes the session leader's group the foreground group.
    assert_eq!(report.tpgid, report.pid);
    let name = report.fds[&0].clone();
    assert!(name.starts_with("/dev/pts/"), "{name}");
    assert_eq!(report.fds.values().filter(|t| **t == name).count(), 3);
}

/// Starts a `nest` child that leads a session with a new pseudo-terminal as
/// its controlling terminal on descriptors 0 to 2, which then spawns a
/// reporting child with `spec`. Returns the nest's outcome, the report, and
/// the terminal's device number.
fn nest_on_terminal(spec: &str) -> (String, Option<Report>, u64) {
    let pty = common::openpty();
    let slave = pty.slave.as_raw_fd();
    let map = [Slot::Fd(slave), Slot::Fd(slave), Slot::Fd(slave)];
    let probe = Probe::nest(spec);
    let env = probe.env();
    let child = spawn(probe.command(&env).fds(&map).setsid().ctty(0).setctty()).unwrap();
    let (result, report) = probe.finish_nest(child);
    (result, report, pty.rdev)
}

#[test]
fn foreground_makes_the_childs_group_the_terminals_foreground_group() {
    let (result, report, rdev) = nest_on_terminal("setpgid;foreground=0");
    assert_eq!(result, "ok Exited(0)");
    let report = report.unwrap();
    assert_eq!(report.tty_nr, rdev);
    assert_eq!(report.pgid, report.pid);
    assert_eq!(report.tpgid, report.pid);
    // Still in the nest's session.
    assert_eq!(report.sid, report.ppid);

    // The control: without foreground the nest's group keeps the terminal.
    let (result, report, _) = nest_on_terminal("setpgid");
    assert_eq!(result, "ok Exited(0)");
    let report = report.unwrap();
    assert_eq!(report.pgid, report.pid);
    assert_eq!(report.tpgid, report.ppid);
}

#[test]
fn foreground_without_a_group_implies_setpgid() {
    let (result, report, _) = nest_on_terminal("foreground=0");
    assert_eq!(result, "ok Exited(0)");
    let report = report.unwrap();
    assert_eq!(
        report.pgid, report.pid,
        "the child leads a group of its own"
    );
    assert_eq!(report.tpgid, report.pid);
}

#[test]
fn noctty_gives_up_the_controlling_terminal() {
    let (result, report, _) = nest_on_terminal("noctty");
    assert_eq!(result, "ok Exited(0)");
    let report = report.unwrap();
    assert_eq!(report.tty_nr, 0);
    assert_eq!(report.tpgid, -1);

    // The control: without noctty the terminal is inherited.
    let (result, report, rdev) = nest_on_terminal("");
    assert_eq!(result, "ok Exited(0)");
    assert_eq!(report.unwrap().tty_nr, rdev);
}

#[test]
fn ptrace_stops_the_child_at_exec_until_detached() {
    let why = "qemu-user implements no ptrace";
    if common::unsupported_under_emulation("ptrace_stops_the_child_at_exec_until_detached", why) {
        return;
    }
    let args = sh("exit 7");
    let argv = args.array::<4>();
    let child = Reaper(spawn(Command::new(c"/bin/sh").args(&argv).ptrace()).unwrap());
    assert_eq!(child.wait().unwrap(), ExitStatus::Stopped(libc::SIGTRAP));

    // The child's own view: the thread that spawned it traces it.
    let status = fs::read_to_string(format!("/proc/{}/status", child.pid())).unwrap();
    let tracer: i32 = status
        .lines()
        .find_map(|l| l.strip_prefix("TracerPid:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // SAFETY: gettid takes no argument.
    assert_eq!(tracer, unsafe { libc::gettid() });

    let null = std::ptr::null_mut::<libc::c_void>();
    // SAFETY: detaching a stopped tracee of this thread; no pointer is read.
    let r = unsafe { libc::ptrace(libc::PTRACE_DETACH, child.pid(), null, null) };
    assert_eq!(r, 0, "PTRACE_DETACH: {}", std::io::Error::last_os_error());
    assert_eq!(child.wait().unwrap(), ExitStatus::Exited(7));
}

#[test]
fn without_ptrace_nothing_traces_the_child() {
    let report = report_with(|cmd| spawn(&cmd));
    assert_eq!(report.tracer, 0);
}

#[test]
fn the_program_is_what_runs() {
    // A sanity check of the probe itself: the reporting child is this test
    // binary, not something else.
    let probe = Probe::report();
    let env = probe.env();
    let child = spawn(&probe.command(&env)).unwrap();
    let pid = child.pid();
    let report = probe.finish(child);
    assert_eq!(report.pid, pid);
    assert_eq!(report.ppid, std::process::id() as i32);
    assert!(Path::new(probe.exe().to_str().unwrap()).exists());
}
