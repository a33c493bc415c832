//! No descriptor of the parent reaches the child unless it is mapped, or is
//! inheritable and `close_other_fds` is not set.
//!
//! These tests open descriptors that are not close-on-exec, which any child
//! started meanwhile would inherit, so they live in a test binary of their
//! own and run one at a time.

mod common;

use std::collections::BTreeMap;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::{Mutex, MutexGuard};

use common::{Probe, fd_target, inherited_fds, open_file, spawn};
use forkexec::Slot;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// Three close-on-exec files for the standard slots, and one file that is
/// not close-on-exec, as libc's `open` without `O_CLOEXEC` leaves it.
struct Files {
    std: [OwnedFd; 3],
    leaky: OwnedFd,
}

fn files(probe: &Probe) -> Files {
    let open = |name: &str, flags| {
        let path = probe.scratch().file(name, name.as_bytes(), 0o644);
        open_file(&path, flags)
    };
    let cloexec = libc::O_RDONLY | libc::O_CLOEXEC;
    Files {
        std: [open("a", cloexec), open("b", cloexec), open("c", cloexec)],
        leaky: open("leaky", libc::O_RDONLY),
    }
}

fn run(probe: &Probe, map: Option<&[Slot]>, close_other: bool) -> BTreeMap<RawFd, String> {
    let env = probe.env();
    let mut cmd = probe.command(&env);
    if let Some(map) = map {
        cmd.fds(map);
    }
    if close_other {
        cmd.close_other_fds();
    }
    probe.finish(spawn(&cmd).unwrap()).fds
}

#[test]
fn close_other_fds_keeps_only_the_map() {
    let _serial = serial();
    let probe = Probe::report();
    let f = files(&probe);
    assert_eq!(common::is_cloexec(f.leaky.as_raw_fd()), Some(false));
    let [a, b, c] = f.std.each_ref().map(AsRawFd::as_raw_fd);
    let map = [Slot::Fd(a), Slot::Fd(b), Slot::Fd(c)];
    let fds = run(&probe, Some(&map), true);
    let expected = BTreeMap::from([(0, fd_target(a)), (1, fd_target(b)), (2, fd_target(c))]);
    assert_eq!(fds, expected);
}

#[test]
fn close_other_fds_without_a_map_keeps_only_0_to_2() {
    let _serial = serial();
    let probe = Probe::report();
    let f = files(&probe);
    let fds = run(&probe, None, true);
    let mut expected = inherited_fds();
    expected.retain(|fd, _| *fd < 3);
    assert!(!fds.contains_key(&f.leaky.as_raw_fd()));
    assert_eq!(fds, expected);
}

#[test]
fn without_close_other_fds_an_inheritable_descriptor_passes() {
    // The control for the tests above: the leaky descriptor does reach a
    // child when nothing closes it, so its absence there means something.
    let _serial = serial();
    let probe = Probe::report();
    let f = files(&probe);
    let leaky = f.leaky.as_raw_fd();
    let [a, b, c] = f.std.each_ref().map(AsRawFd::as_raw_fd);
    let map = [Slot::Fd(a), Slot::Fd(b), Slot::Fd(c)];
    let fds = run(&probe, Some(&map), false);
    assert_eq!(fds.get(&leaky), Some(&fd_target(leaky)));

    // Exactly the inheritable descriptors above 2, plus the map; not the
    // close-on-exec sources, not the status channel.
    let mut expected = inherited_fds();
    expected.retain(|fd, _| *fd >= 3);
    expected.extend([(0, fd_target(a)), (1, fd_target(b)), (2, fd_target(c))]);
    assert_eq!(fds, expected);
}

#[test]
fn an_inheritable_source_above_the_map_is_closed() {
    let _serial = serial();
    let probe = Probe::report();
    let f = files(&probe);
    let leaky = f.leaky.as_raw_fd();
    let map = [Slot::Fd(0), Slot::Fd(leaky), Slot::Fd(2)];
    let fds = run(&probe, Some(&map), false);
    assert_eq!(fds.get(&1), Some(&fd_target(leaky)));
    assert!(!fds.contains_key(&leaky), "{fds:?}");
}
