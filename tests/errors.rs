//! Every failing step reports itself as (step, errno), and every request the
//! crate must refuse is refused before anything is done.

mod common;

use std::os::fd::AsRawFd;

use common::{Probe, Scratch, cstr, open_file, sh, spawn};
use forkexec::{CStrArray, Command, Errno, Error, MAX_FDS, SigSet, Slot, Step};

fn fails(cmd: &Command<'_>) -> (Step, Errno) {
    match spawn(cmd) {
        Ok(child) => {
            let status = child.wait();
            panic!("the spawn succeeded (the child ended with {status:?})");
        }
        Err(e) => (e.step(), e.errno()),
    }
}

// Exec.

#[test]
fn exec_of_a_missing_program_is_enoent() {
    assert_eq!(
        fails(&Command::new(c"/nonexistent/program")),
        (Step::Exec, Errno::ENOENT)
    );
}

#[test]
fn exec_of_a_file_without_execute_permission_is_eacces() {
    // No execute bit at all: refused even to root.
    let scratch = Scratch::new();
    let path = cstr(scratch.file("plain", b"#!/bin/sh\nexit 0\n", 0o644));
    assert_eq!(fails(&Command::new(&path)), (Step::Exec, Errno::EACCES));
}

#[test]
fn exec_of_a_directory_is_eacces() {
    let scratch = Scratch::new();
    let path = cstr(scratch.path());
    assert_eq!(fails(&Command::new(&path)), (Step::Exec, Errno::EACCES));
}

#[test]
fn exec_of_an_unknown_format_is_enoexec() {
    let scratch = Scratch::new();
    let path = cstr(scratch.file("garbage", b"\x01\x02 not a program\n", 0o755));
    assert_eq!(fails(&Command::new(&path)), (Step::Exec, Errno::ENOEXEC));
}

#[test]
fn exec_through_a_file_as_a_directory_is_enotdir() {
    let scratch = Scratch::new();
    let file = scratch.file("file", b"", 0o644);
    let path = cstr(file.join("program"));
    assert_eq!(fails(&Command::new(&path)), (Step::Exec, Errno::ENOTDIR));
}

// Path search (without changing PATH; see path_search.rs for the rest).

#[test]
fn a_name_not_in_path_is_a_path_error() {
    assert_eq!(
        fails(&Command::new(c"forkexec-no-such-program")),
        (Step::Path, Errno::ENOENT)
    );
}

#[test]
fn an_empty_name_is_a_path_error() {
    assert_eq!(fails(&Command::new(c"")), (Step::Path, Errno::ENOENT));
}

#[test]
fn a_name_longer_than_a_file_name_is_a_path_error() {
    let name = cstr("x".repeat(256));
    assert_eq!(
        fails(&Command::new(&name)),
        (Step::Path, Errno::ENAMETOOLONG)
    );
}

// Directories.

#[test]
fn chdir_to_a_missing_directory() {
    let cmd = *Command::new(c"/bin/true").dir(c"/nonexistent/dir");
    assert_eq!(fails(&cmd), (Step::Chdir, Errno::ENOENT));
}

#[test]
fn chdir_to_a_file() {
    let scratch = Scratch::new();
    let file = cstr(scratch.file("file", b"", 0o644));
    let cmd = *Command::new(c"/bin/true").dir(&file);
    assert_eq!(fails(&cmd), (Step::Chdir, Errno::ENOTDIR));
}

#[test]
fn chroot_to_a_missing_directory() {
    let cmd = *Command::new(c"/bin/true").chroot(c"/nonexistent/new-root");
    assert_eq!(fails(&cmd), (Step::Chroot, Errno::ENOENT));
}

#[test]
fn chroot_to_a_file() {
    let scratch = Scratch::new();
    let file = cstr(scratch.file("file", b"", 0o644));
    let cmd = *Command::new(c"/bin/true").chroot(&file);
    assert_eq!(fails(&cmd), (Step::Chroot, Errno::ENOTDIR));
}

#[test]
fn dir_is_looked_up_inside_the_new_root() {
    if !common::require_root("dir_is_looked_up_inside_the_new_root") {
        return;
    }
    // The host path of the root's `sub` does not exist inside the root.
    let root = common::make_root();
    let root_c = cstr(root.path());
    let host_sub = cstr(root.path().join("sub"));
    let cmd = *Command::new(c"/bin/sh").chroot(&root_c).dir(&host_sub);
    assert_eq!(fails(&cmd), (Step::Chdir, Errno::ENOENT));
}

#[test]
fn the_program_is_looked_up_inside_the_new_root() {
    if !common::require_root("the_program_is_looked_up_inside_the_new_root") {
        return;
    }
    let root = common::make_root();
    let root_c = cstr(root.path());
    let cmd = *Command::new(c"/usr/bin/env").chroot(&root_c);
    assert_eq!(fails(&cmd), (Step::Exec, Errno::ENOENT));
}

#[test]
fn chroot_is_refused_to_an_unprivileged_user() {
    refused("chroot=/", "err chroot EPERM");
}

// Credentials: refused to an unprivileged user. When the tests run as
// root, a nest child with uid and gid 65534 (and no groups) makes the
// spawn; otherwise the test process itself does.

/// Asserts that a spawn with the nest items `spec` fails as `expected`
/// (`err STEP ERRNO`) when made by an unprivileged process.
fn refused(spec: &str, expected: &str) {
    if common::is_root() {
        let probe = Probe::nest(spec);
        let env = probe.env();
        let child = spawn(probe.command(&env).uid(65534).gid(65534)).unwrap();
        let (result, report) = probe.finish_nest(child);
        assert_eq!(result, expected, "{spec}");
        assert!(report.is_none());
        return;
    }
    let mut groups = Vec::new();
    let mut cmd = Command::new(c"/bin/true");
    let mut root = None;
    for item in spec.split(';') {
        let (key, value) = item.split_once('=').unwrap_or((item, ""));
        match key {
            "uid" => {
                cmd.uid(value.parse().unwrap());
            }
            "gid" => {
                cmd.gid(value.parse().unwrap());
            }
            "groups" => groups = value.split(',').map(|g| g.parse().unwrap()).collect(),
            "no_setgroups" => {
                cmd.no_setgroups();
            }
            "chroot" => root = Some(cstr(value)),
            _ => panic!("{item}"),
        }
    }
    if spec.contains("groups=") {
        cmd.groups(&groups);
    }
    if let Some(root) = &root {
        cmd.chroot(root);
    }
    let (step, errno) = fails(&cmd);
    assert_eq!(format!("err {step} {}", errno.name()), expected, "{spec}");
}

#[test]
fn setuid_is_refused_to_an_unprivileged_user() {
    refused("uid=0;no_setgroups", "err setuid EPERM");
}

#[test]
fn setgid_is_refused_to_an_unprivileged_user() {
    refused("gid=0;no_setgroups", "err setgid EPERM");
}

#[test]
fn setgroups_is_refused_to_an_unprivileged_user() {
    refused("groups=0", "err setgroups EPERM");
}

#[test]
fn groups_are_set_before_the_uid() {
    // Dropping the groups comes first, and is what an unprivileged user
    // cannot do.
    refused("uid=0", "err setgroups EPERM");
}

// Session, group and terminal.

#[test]
fn joining_a_group_that_does_not_exist_is_eperm() {
    // pid_max is at most 4194304 (PID_MAX_LIMIT in linux/threads.h).
    let cmd = *Command::new(c"/bin/true").pgid(4_194_304);
    assert_eq!(fails(&cmd), (Step::Setpgid, Errno::EPERM));
}

#[test]
fn foreground_on_a_descriptor_that_is_not_a_terminal() {
    let null = open_file("/dev/null".as_ref(), libc::O_RDWR | libc::O_CLOEXEC);
    let cmd = *Command::new(c"/bin/true")
        .ctty(null.as_raw_fd())
        .foreground();
    assert_eq!(fails(&cmd), (Step::Foreground, Errno::ENOTTY));
}

#[test]
fn foreground_on_a_terminal_that_is_not_the_controlling_one() {
    let pty = common::openpty();
    let cmd = *Command::new(c"/bin/true")
        .ctty(pty.slave.as_raw_fd())
        .foreground();
    assert_eq!(fails(&cmd), (Step::Foreground, Errno::ENOTTY));
}

#[test]
fn noctty_without_a_terminal_on_0() {
    let null = open_file("/dev/null".as_ref(), libc::O_RDWR | libc::O_CLOEXEC);
    let map = [Slot::Fd(null.as_raw_fd()), Slot::Fd(1), Slot::Fd(2)];
    let cmd = *Command::new(c"/bin/true").fds(&map).noctty();
    assert_eq!(fails(&cmd), (Step::Noctty, Errno::ENOTTY));
}

#[test]
fn setctty_on_a_descriptor_that_is_not_a_terminal() {
    let null = open_file("/dev/null".as_ref(), libc::O_RDWR | libc::O_CLOEXEC);
    let map = [Slot::Fd(null.as_raw_fd()), Slot::Fd(1), Slot::Fd(2)];
    let cmd = *Command::new(c"/bin/true")
        .fds(&map)
        .setsid()
        .ctty(0)
        .setctty();
    assert_eq!(fails(&cmd), (Step::Setctty, Errno::ENOTTY));
}

#[test]
fn setctty_on_a_terminal_that_another_session_holds() {
    let pty = common::openpty();
    let slave = pty.slave.as_raw_fd();
    let map = [Slot::Fd(slave), Slot::Fd(slave), Slot::Fd(slave)];
    // The first child takes the terminal and keeps it while it runs.
    let args = sh("read line");
    let argv = args.array::<4>();
    let holder = *Command::new(c"/bin/sh")
        .args(&argv)
        .fds(&map)
        .setsid()
        .ctty(0)
        .setctty();
    let holder = common::Reaper(spawn(&holder).unwrap());
    let second = *Command::new(c"/bin/true")
        .fds(&map)
        .setsid()
        .ctty(0)
        .setctty();
    assert_eq!(fails(&second), (Step::Setctty, Errno::EPERM));
    drop(holder);
}

// Requests refused before the fork.

fn invalid(cmd: &Command<'_>) -> (Errno, &'static str) {
    match cmd.spawn() {
        Ok(child) => {
            let status = child.wait();
            panic!("the spawn succeeded (the child ended with {status:?})");
        }
        Err(e) => {
            assert_eq!(e.step(), Step::Invalid, "{e}");
            let reason = e.reason().expect("an invalid request says why");
            assert!(!reason.is_empty());
            (e.errno(), reason)
        }
    }
}

#[test]
fn foreground_with_setctty_is_invalid() {
    let cmd = *Command::new(c"/bin/true")
        .ctty(0)
        .foreground()
        .setsid()
        .setctty()
        .strategy(common::strategy());
    assert_eq!(invalid(&cmd).0, Errno::EINVAL);
    let cmd = *Command::new(c"/bin/true")
        .ctty(0)
        .foreground()
        .setctty()
        .strategy(common::strategy());
    assert_eq!(invalid(&cmd).0, Errno::EINVAL);
}

#[test]
fn foreground_without_ctty_is_invalid() {
    let cmd = *Command::new(c"/bin/true")
        .foreground()
        .strategy(common::strategy());
    assert_eq!(invalid(&cmd).0, Errno::EINVAL);
}

#[test]
fn foreground_with_setsid_is_invalid() {
    let cmd = *Command::new(c"/bin/true")
        .ctty(0)
        .foreground()
        .setsid()
        .strategy(common::strategy());
    assert_eq!(invalid(&cmd).0, Errno::EINVAL);
}

#[test]
fn setctty_without_ctty_is_invalid() {
    let cmd = *Command::new(c"/bin/true")
        .setsid()
        .setctty()
        .strategy(common::strategy());
    assert_eq!(invalid(&cmd).0, Errno::EINVAL);
}

#[test]
fn setctty_with_a_ctty_outside_the_map_is_invalid() {
    let cmd = *Command::new(c"/bin/true")
        .setsid()
        .ctty(5)
        .setctty()
        .strategy(common::strategy());
    assert_eq!(invalid(&cmd).0, Errno::EBADF);
    let map = [Slot::Fd(0), Slot::Closed, Slot::Fd(2)];
    let cmd = *Command::new(c"/bin/true")
        .fds(&map)
        .setsid()
        .ctty(1)
        .setctty()
        .strategy(common::strategy());
    assert_eq!(invalid(&cmd).0, Errno::EBADF);
}

#[test]
fn setctty_without_setsid_is_invalid() {
    let cmd = *Command::new(c"/bin/true")
        .ctty(0)
        .setctty()
        .strategy(common::strategy());
    assert_eq!(invalid(&cmd).0, Errno::EINVAL);
}

#[test]
fn negative_ctty_is_invalid() {
    let cmd = *Command::new(c"/bin/true")
        .ctty(-1)
        .foreground()
        .strategy(common::strategy());
    assert_eq!(invalid(&cmd).0, Errno::EBADF);
}

#[test]
fn a_negative_slot_is_invalid() {
    let map = [Slot::Fd(0), Slot::Fd(-1), Slot::Fd(2)];
    let cmd = *Command::new(c"/bin/true")
        .fds(&map)
        .strategy(common::strategy());
    assert_eq!(invalid(&cmd).0, Errno::EBADF);
}

#[test]
fn more_slots_than_max_fds_is_invalid() {
    let map = vec![Slot::Closed; MAX_FDS + 1];
    let cmd = *Command::new(c"/bin/true")
        .fds(&map)
        .strategy(common::strategy());
    assert_eq!(invalid(&cmd).0, Errno::E2BIG);
}

#[test]
fn more_groups_than_ngroups_max_is_invalid() {
    // NGROUPS_MAX is 65536 (linux/limits.h).
    let groups = vec![1000; 65537];
    let cmd = *Command::new(c"/bin/true")
        .groups(&groups)
        .strategy(common::strategy());
    assert_eq!(invalid(&cmd).0, Errno::EINVAL);
}

#[test]
fn setsid_with_setpgid_is_invalid() {
    let cmd = *Command::new(c"/bin/true")
        .setsid()
        .setpgid()
        .strategy(common::strategy());
    assert_eq!(invalid(&cmd).0, Errno::EINVAL);
    let cmd = *Command::new(c"/bin/true")
        .setsid()
        .pgid(1)
        .strategy(common::strategy());
    assert_eq!(invalid(&cmd).0, Errno::EINVAL);
}

#[test]
fn a_negative_pgid_is_invalid() {
    let cmd = *Command::new(c"/bin/true")
        .pgid(-1)
        .strategy(common::strategy());
    assert_eq!(invalid(&cmd).0, Errno::EINVAL);
}

#[test]
fn id_minus_one_is_invalid() {
    let cmd = *Command::new(c"/bin/true")
        .uid(u32::MAX)
        .strategy(common::strategy());
    assert_eq!(invalid(&cmd).0, Errno::EINVAL);
    let cmd = *Command::new(c"/bin/true")
        .gid(u32::MAX)
        .strategy(common::strategy());
    assert_eq!(invalid(&cmd).0, Errno::EINVAL);
}

#[test]
fn an_empty_argv_is_invalid() {
    let argv = CStrArray::<4>::new();
    let cmd = *Command::new(c"/bin/true")
        .args(&argv)
        .strategy(common::strategy());
    assert_eq!(invalid(&cmd).0, Errno::EINVAL);
}

#[test]
fn a_null_envp_is_invalid() {
    let mut cmd = Command::new(c"/bin/true");
    // SAFETY: the crate must reject a null pointer before reading it.
    unsafe { cmd.env_raw(std::ptr::null()) };
    cmd.strategy(common::strategy());
    assert_eq!(invalid(&cmd).0, Errno::EINVAL);
}

#[test]
fn a_full_cstrarray_refuses_more_with_e2big() {
    let mut argv = CStrArray::<3>::new();
    argv.push(c"one").unwrap().push(c"two").unwrap();
    let err = argv.push(c"three").map(drop).unwrap_err();
    assert_eq!((err.step(), err.errno()), (Step::Invalid, Errno::E2BIG));
    assert_eq!(argv.len(), 2);

    let err = CStrArray::<2>::from_slice(&[c"a", c"b"])
        .map(drop)
        .unwrap_err();
    assert_eq!((err.step(), err.errno()), (Step::Invalid, Errno::E2BIG));
    // N counts the terminating null: a CStrArray<1> holds nothing.
    assert!(CStrArray::<1>::new().push(c"a").is_err());
}

#[test]
fn a_bad_signal_number_is_invalid() {
    for sig in [0, -1, 65, 1000] {
        let err = SigSet::empty().with(sig).unwrap_err();
        assert_eq!((err.step(), err.errno()), (Step::Invalid, Errno::EINVAL));
    }
}

#[test]
fn errors_display_as_step_errno_and_message() {
    let err = Error::new(Step::Chdir, Errno::ENOENT);
    assert_eq!(err.to_string(), "chdir: ENOENT (No such file or directory)");
    let argv = CStrArray::<1>::new();
    let err = Command::new(c"/bin/true")
        .args(&argv)
        .strategy(common::strategy())
        .spawn()
        .map(drop)
        .unwrap_err();
    assert!(err.to_string().starts_with("invalid: EINVAL ("), "{err}");
}

#[test]
fn exactly_max_fds_slots_is_accepted() {
    let map = vec![Slot::Closed; MAX_FDS];
    let child = spawn(Command::new(c"/bin/true").fds(&map)).unwrap();
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_failed_child_is_reaped() {
    // The nest looks for children left behind after its spawn failed, and
    // says so in its result.
    let probe = Probe::nest("dir=/nonexistent");
    let env = probe.env();
    let (result, _) = probe.finish_nest(spawn(&probe.command(&env)).unwrap());
    assert_eq!(result, "err chdir ENOENT");
    let probe = Probe::nest("program=/nonexistent");
    let env = probe.env();
    let (result, _) = probe.finish_nest(spawn(&probe.command(&env)).unwrap());
    assert_eq!(result, "err exec ENOENT");
}
