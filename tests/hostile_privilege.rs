//! Privilege drops that must be final: after `uid`, `gid` and `groups` the
//! child's real, effective and saved ids and its groups are exactly what
//! was asked, it keeps no capability, and it cannot get root back; and a
//! `chroot` without a working directory leaves the child's working
//! directory inside the new root, not outside it where it could escape.
//!
//! Both need root (tests run as root in CI).

mod common;
mod hostile;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use forkexec::{CStrArray, Command, ExitStatus, Slot, Strategy};
use hostile::{SLEEP, strategies, watchdog};

/// The variable that turns a copy of this binary into the probe.
const PROBE: &str = "FORKEXEC_HOSTILE_PROBE";

/// Run as the spawned program: reports its ids, groups and capabilities,
/// and whether it can become root again, on one line.
fn probe() {
    let (mut r, mut e, mut s) = (0, 0, 0);
    // SAFETY: three live ids.
    assert_eq!(unsafe { libc::getresuid(&mut r, &mut e, &mut s) }, 0);
    let uids = format!("{r},{e},{s}");
    // SAFETY: three live ids.
    assert_eq!(unsafe { libc::getresgid(&mut r, &mut e, &mut s) }, 0);
    let gids = format!("{r},{e},{s}");
    let mut groups = vec![0; 256];
    // SAFETY: `groups` has room for 256 ids.
    let n = unsafe { libc::getgroups(256, groups.as_mut_ptr()) };
    assert!(n >= 0, "getgroups");
    groups.truncate(n as usize);
    groups.sort_unstable();
    let groups: Vec<String> = groups.iter().map(u32::to_string).collect();
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let caps: Vec<&str> = status
        .lines()
        .filter(|l| {
            ["CapPrm:", "CapEff:", "CapAmb:"]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .map(|l| l.split_whitespace().nth(1).unwrap_or("?"))
        .collect();
    let errno = |r: libc::c_int| {
        if r == 0 {
            "ok".to_owned()
        } else {
            std::io::Error::last_os_error()
                .raw_os_error()
                .map_or("?".to_owned(), |e| e.to_string())
        }
    };
    // The raw calls, each for this thread only: the probe only asks.
    // SAFETY: system calls with integer arguments.
    let setuid = errno(unsafe { libc::syscall(libc::SYS_setuid, 0) } as libc::c_int);
    // SAFETY: as above.
    let setgid = errno(unsafe { libc::syscall(libc::SYS_setgid, 0) } as libc::c_int);
    let root = [0 as libc::gid_t];
    // SAFETY: `root` is a live array of one id.
    let setgroups =
        errno(unsafe { libc::syscall(libc::SYS_setgroups, 1, root.as_ptr()) } as libc::c_int);
    println!(
        "probe uids={uids} gids={gids} groups={} caps={} setuid0={setuid} setgid0={setgid} setgroups0={setgroups}",
        groups.join(","),
        caps.join(",")
    );
}

/// A copy of this test binary in a fresh directory that any user can read,
/// so the probe runs whatever the permissions of the build directory.
fn probe_binary(dir: &Path) -> PathBuf {
    let copy = dir.join("probe");
    hostile::copy_in_child(&std::env::current_exe().unwrap(), &copy).unwrap();
    copy
}

/// Spawns the probe as `uid` and `gid`, with `groups` if given, and
/// returns its line.
fn run_probe(
    strategy: Strategy,
    exe: &Path,
    uid: libc::uid_t,
    gid: libc::gid_t,
    groups: Option<&[libc::gid_t]>,
) -> String {
    // Under user-mode emulation the emulator runs the probe.
    let mut words: Vec<std::ffi::CString> = common::emulator()
        .unwrap_or(&[])
        .iter()
        .map(common::cstr)
        .collect();
    words.push(hostile::c_path(exe));
    for arg in [
        "dropped_ids_and_groups_are_exactly_as_asked",
        "--exact",
        "--nocapture",
        "--test-threads=1",
        "--quiet",
    ] {
        words.push(common::cstr(arg));
    }
    let mut argv = CStrArray::<16>::new();
    for word in &words {
        argv.push(word).unwrap();
    }
    let mut envp = CStrArray::<2>::new();
    envp.push(c"FORKEXEC_HOSTILE_PROBE=1").unwrap();
    let [read_end, write_end] = hostile::pipe();
    let map = [Slot::Closed, Slot::Fd(write_end), Slot::Fd(2)];
    let mut cmd = Command::new(&words[0]);
    cmd.args(&argv).env(&envp).fds(&map).strategy(strategy);
    cmd.uid(uid).gid(gid);
    if let Some(groups) = groups {
        cmd.groups(groups);
    }
    let child = cmd.spawn().unwrap_or_else(|e| panic!("{strategy:?}: {e}"));
    hostile::close(write_end);
    let mut out = String::new();
    // SAFETY: the read end is ours alone from here on.
    let mut file = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(read_end) };
    file.read_to_string(&mut out).unwrap();
    assert_eq!(child.wait().unwrap(), ExitStatus::Exited(0), "probe: {out}");
    out.lines()
        .find(|l| l.starts_with("probe "))
        .unwrap_or_else(|| panic!("no probe line in {out:?}"))
        .to_owned()
}

#[test]
fn dropped_ids_and_groups_are_exactly_as_asked() {
    if std::env::var_os(PROBE).is_some() {
        probe();
        return;
    }
    if !common::require_root("dropped_ids_and_groups_are_exactly_as_asked") {
        return;
    }
    let _dog = watchdog(60, "dropped_ids_and_groups_are_exactly_as_asked");
    let dir = hostile::temp_dir("forkexec-probe");
    let exe = probe_binary(&dir.0);
    // The setuid(0), setgid(0) and setgroups([0]) attempts all fail with
    // EPERM (1), and no capability is left.
    let final_ = "caps=0000000000000000,0000000000000000,0000000000000000 \
                  setuid0=1 setgid0=1 setgroups0=1";
    let groups = [65534, 4242];
    for strategy in strategies() {
        let line = run_probe(strategy, &exe, 65534, 65533, Some(&groups));
        assert_eq!(
            line,
            format!(
                "probe uids=65534,65534,65534 gids=65533,65533,65533 groups=4242,65534 {final_}"
            ),
            "{strategy:?}"
        );
        // Without a list, changing ids drops every supplementary group.
        let line = run_probe(strategy, &exe, 4243, 4244, None);
        assert_eq!(
            line,
            format!("probe uids=4243,4243,4243 gids=4244,4244,4244 groups= {final_}"),
            "{strategy:?}"
        );
    }
}

/// A directory holding `/bin/sleep` and the libraries it loads, to chroot
/// into.
fn sleep_root(dir: &Path) -> Result<(), String> {
    let ldd = std::process::Command::new("ldd")
        .arg(SLEEP.to_str().unwrap())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("ldd cannot run: {e}"))?;
    let listing = String::from_utf8_lossy(&ldd.stdout);
    let mut files = vec![PathBuf::from(SLEEP.to_str().unwrap())];
    for line in listing.lines() {
        // "libc.so.6 => /lib/.../libc.so.6 (0x...)" or "/lib64/ld-... (0x...)"
        let path = line.split("=>").last().unwrap_or("").trim();
        let path = path.split(" (").next().unwrap_or("");
        if path.starts_with('/') {
            files.push(PathBuf::from(path));
        }
    }
    for file in files {
        let target = dir.join(file.strip_prefix("/").unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).map_err(|e| e.to_string())?;
        hostile::copy_in_child(&file, &target)?;
    }
    std::fs::create_dir(dir.join("sub")).map_err(|e| e.to_string())?;
    Ok(())
}

#[test]
fn chroot_without_dir_puts_the_cwd_inside_the_new_root() {
    if !common::require_root("chroot_without_dir_puts_the_cwd_inside_the_new_root") {
        return;
    }
    let _dog = watchdog(60, "chroot_without_dir_puts_the_cwd_inside_the_new_root");
    let dir = hostile::temp_dir("forkexec-chroot");
    if let Err(why) = sleep_root(&dir.0) {
        let why = format!("cannot build a root with sleep in it: {why}");
        common::skip("chroot_without_dir_puts_the_cwd_inside_the_new_root", &why);
        return;
    }
    let root = std::fs::canonicalize(&dir.0).unwrap();
    let root_c = hostile::c_path(&root);
    let mut argv = CStrArray::<3>::new();
    argv.push(c"sleep").unwrap().push(c"1000").unwrap();
    for strategy in strategies() {
        for (dir, expected_cwd) in [
            (None, root.clone()),
            (Some(c"/sub"), root.join("sub")),
            (Some(c"sub"), root.join("sub")),
        ] {
            let mut cmd = Command::new(SLEEP);
            cmd.args(&argv).chroot(&root_c).strategy(strategy);
            if let Some(dir) = dir {
                cmd.dir(dir);
            }
            let child = cmd.spawn().unwrap_or_else(|e| panic!("{strategy:?}: {e}"));
            hostile::wait_until_sleeping(child.pid());
            let link = |what| std::fs::read_link(format!("/proc/{}/{what}", child.pid()));
            let (child_root, cwd) = (link("root"), link("cwd"));
            hostile::kill_and_reap(&child);
            assert_eq!(child_root.unwrap(), root, "{strategy:?}, dir {dir:?}: root");
            assert_eq!(cwd.unwrap(), expected_cwd, "{strategy:?}, dir {dir:?}: cwd");
        }
    }
}
