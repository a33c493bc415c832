//! The descriptor map, checked against the child's own descriptor table.
//!
//! Most cases run in a `nest` child whose whole table the test sets to
//! exactly `{0: a, 1: b, 2: c, 3: d}` (four scratch files, none
//! close-on-exec), so that low-numbered permutations, swaps and cycles can
//! be written down literally. The others run from the test process itself
//! with high-numbered sources.

mod common;

use std::collections::BTreeMap;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::Path;

use common::{Probe, Scratch, fd_target, inherited_fds, open_file, spawn};
use forkexec::{Errno, MAX_FDS, Slot, Step};

/// Opens scratch files named after `names`, close-on-exec.
fn open_files(scratch: &Scratch, names: &[&str]) -> Vec<OwnedFd> {
    names
        .iter()
        .map(|name| {
            let path = scratch.file(name, name.as_bytes(), 0o644);
            open_file(&path, libc::O_RDONLY | libc::O_CLOEXEC)
        })
        .collect()
}

/// A descriptor table with each target shortened to its file name.
fn by_name(fds: &BTreeMap<RawFd, String>) -> Vec<(RawFd, String)> {
    fds.iter()
        .map(|(fd, target)| {
            let name = Path::new(target).file_name().unwrap().to_str().unwrap();
            (*fd, name.to_owned())
        })
        .collect()
}

fn table(entries: &[(RawFd, &str)]) -> Vec<(RawFd, String)> {
    entries.iter().map(|(fd, n)| (*fd, n.to_string())).collect()
}

/// Runs a `nest` child whose table is `{0: a, 1: b, 2: c, 3: d}` and which
/// spawns a reporting child with `spec`; returns the nest's outcome and the
/// reporting child's table by file name.
fn nested(spec: &str) -> (String, Option<Vec<(RawFd, String)>>) {
    let probe = Probe::nest(spec);
    let files = open_files(probe.scratch(), &["a", "b", "c", "d"]);
    let map: Vec<Slot> = files.iter().map(|f| Slot::Fd(f.as_raw_fd())).collect();
    let env = probe.env();
    let child = spawn(probe.command(&env).fds(&map).close_other_fds()).unwrap();
    let (result, report) = probe.finish_nest(child);
    (result, report.map(|r| by_name(&r.fds)))
}

/// Asserts that `nest` with `spec` exec'd the reporting child, whose table
/// is `expected`.
fn assert_nested(spec: &str, expected: &[(RawFd, &str)]) {
    let (result, fds) = nested(spec);
    assert_eq!(result, "ok Exited(0)", "{spec}");
    assert_eq!(fds.unwrap(), table(expected), "{spec}");
}

#[test]
fn the_nests_table_is_as_set() {
    // Without a map the table is inherited as it is: this checks the setup
    // the other nested cases rely on.
    assert_nested("", &[(0, "a"), (1, "b"), (2, "c"), (3, "d")]);
}

#[test]
fn identity_map_keeps_everything_in_place() {
    assert_nested("fds=0,1,2", &[(0, "a"), (1, "b"), (2, "c"), (3, "d")]);
}

#[test]
fn swap_of_0_and_1() {
    assert_nested("fds=1,0,2", &[(0, "b"), (1, "a"), (2, "c"), (3, "d")]);
}

#[test]
fn cycle_0_to_1_to_2_to_0() {
    // Slot 1 gets 0's content, slot 2 gets 1's, slot 0 gets 2's.
    assert_nested("fds=2,0,1", &[(0, "c"), (1, "a"), (2, "b"), (3, "d")]);
}

#[test]
fn cycle_the_other_way() {
    assert_nested("fds=1,2,0", &[(0, "b"), (1, "c"), (2, "a"), (3, "d")]);
}

#[test]
fn reversal_over_four_slots() {
    assert_nested("fds=3,2,1,0", &[(0, "d"), (1, "c"), (2, "b"), (3, "a")]);
}

#[test]
fn shift_up_by_one() {
    assert_nested("fds=c,0,1,2", &[(1, "a"), (2, "b"), (3, "c")]);
}

#[test]
fn one_source_in_every_slot() {
    // 3 is above the map, so as a source it is closed.
    assert_nested("fds=3,3,3", &[(0, "d"), (1, "d"), (2, "d")]);
}

#[test]
fn a_low_source_in_every_slot() {
    assert_nested("fds=0,0,0", &[(0, "a"), (1, "a"), (2, "a"), (3, "d")]);
}

#[test]
fn duplicates_mixed_with_moves() {
    assert_nested("fds=1,1,0,1", &[(0, "b"), (1, "b"), (2, "a"), (3, "b")]);
}

#[test]
fn closed_slot_is_closed() {
    assert_nested("fds=0,c,2", &[(0, "a"), (2, "c"), (3, "d")]);
}

#[test]
fn every_slot_closed() {
    assert_nested("fds=c,c,c,c", &[]);
}

#[test]
fn standard_slots_beyond_a_short_map_are_closed() {
    assert_nested("fds=2", &[(0, "c"), (3, "d")]);
    assert_nested("fds=1,0", &[(0, "b"), (1, "a"), (3, "d")]);
}

#[test]
fn empty_map_closes_0_to_2() {
    assert_nested("fds=", &[(3, "d")]);
}

#[test]
fn sources_above_the_map_are_closed() {
    assert_nested("fds=3", &[(0, "d")]);
    assert_nested("fds=3,1", &[(0, "d"), (1, "b")]);
}

#[test]
fn close_other_leaves_only_the_map() {
    assert_nested("fds=1,0;close_other", &[(0, "b"), (1, "a")]);
    assert_nested("close_other", &[(0, "a"), (1, "b"), (2, "c")]);
}

#[test]
fn slots_above_the_status_channel() {
    // The nest's status pipe takes 4 and 5, which this map closes or fills:
    // the channel must move above the map, still working.
    assert_nested("fds=0,1,2,3,c,c", &[(0, "a"), (1, "b"), (2, "c"), (3, "d")]);
    assert_nested("fds=0,1,2,c,c,3", &[(0, "a"), (1, "b"), (2, "c"), (5, "d")]);
    assert_nested("fds=c,c,c,c,3,3", &[(4, "d"), (5, "d")]);
}

#[test]
fn failure_is_reported_after_the_map_covers_the_status_channel() {
    let (result, fds) = nested("fds=0,1,2,c,c,3;program=/nonexistent/program");
    assert_eq!(result, "err exec ENOENT");
    assert_eq!(fds, None);
    let (result, _) = nested("fds=3,3,3,3,3,3;program=/nonexistent/program");
    assert_eq!(result, "err exec ENOENT");
}

#[test]
fn a_source_with_the_status_channels_number_is_a_bad_descriptor() {
    // In the nest 4 and 5 are free, so the status pipe takes them: naming
    // them as sources names descriptors that were not open, and must not
    // hand the pipe to the child.
    let (result, fds) = nested("fds=4");
    assert_eq!(result, "err fd EBADF");
    assert_eq!(fds, None);
    let (result, fds) = nested("fds=0,1,2,5");
    assert_eq!(result, "err fd EBADF");
    assert_eq!(fds, None);
}

#[test]
fn a_source_that_is_not_open_is_a_bad_descriptor() {
    let (result, _) = nested("fds=0,1,9");
    assert_eq!(result, "err fd EBADF");
}

/// Runs a reporting child from the test process with `map`; returns its
/// table with real targets.
fn direct(
    probe: &Probe,
    map: &[Slot],
    close_other: bool,
) -> Result<BTreeMap<RawFd, String>, forkexec::Error> {
    let env = probe.env();
    let mut cmd = probe.command(&env);
    cmd.fds(map);
    if close_other {
        cmd.close_other_fds();
    }
    let child = spawn(&cmd)?;
    Ok(probe.finish(child).fds)
}

#[test]
fn high_sources_permuted_into_the_standard_slots() {
    let probe = Probe::report();
    let files = open_files(probe.scratch(), &["a", "b", "c"]);
    let [a, b, c] = [0, 1, 2].map(|i| files[i].as_raw_fd());
    let map = [Slot::Fd(c), Slot::Fd(a), Slot::Fd(b)];
    let fds = direct(&probe, &map, true).unwrap();
    assert_eq!(by_name(&fds), table(&[(0, "c"), (1, "a"), (2, "b")]));
}

#[test]
fn a_close_on_exec_source_in_its_own_slot_is_passed_on() {
    let probe = Probe::report();
    let files = open_files(probe.scratch(), &["a", "b", "c", "e"]);
    let [a, b, c, e] = [0, 1, 2, 3].map(|i| files[i].as_raw_fd());
    assert_eq!(common::is_cloexec(e), Some(true));
    let mut map = vec![Slot::Closed; e as usize + 1];
    map[..3].copy_from_slice(&[Slot::Fd(a), Slot::Fd(b), Slot::Fd(c)]);
    map[e as usize] = Slot::Fd(e);
    let fds = direct(&probe, &map, true).unwrap();
    assert_eq!(
        by_name(&fds),
        table(&[(0, "a"), (1, "b"), (2, "c"), (e, "e")])
    );
}

#[test]
fn a_map_of_max_fds_slots() {
    let probe = Probe::report();
    let files = open_files(probe.scratch(), &["a", "b", "c", "e"]);
    let [a, b, c, e] = [0, 1, 2, 3].map(|i| files[i].as_raw_fd());
    let mut map = vec![Slot::Closed; MAX_FDS];
    map[..3].copy_from_slice(&[Slot::Fd(a), Slot::Fd(b), Slot::Fd(c)]);
    let last = MAX_FDS as RawFd - 1;
    map[last as usize] = Slot::Fd(e);
    let fds = direct(&probe, &map, true).unwrap();
    assert_eq!(
        by_name(&fds),
        table(&[(0, "a"), (1, "b"), (2, "c"), (last, "e")])
    );
}

#[test]
fn without_close_other_only_inheritable_descriptors_pass() {
    // The test process may have inherited descriptors that are not
    // close-on-exec (from whatever started it); those reach the child, and
    // nothing else does: not the test's own (close-on-exec) files, not the
    // map's sources, not the status channel.
    let probe = Probe::report();
    let files = open_files(probe.scratch(), &["a", "b", "c"]);
    let [a, b, c] = [0, 1, 2].map(|i| files[i].as_raw_fd());
    let map = [Slot::Fd(b), Slot::Fd(c), Slot::Fd(a)];
    let mut expected = inherited_fds();
    expected.retain(|fd, _| *fd >= 3);
    expected.insert(0, fd_target(b));
    expected.insert(1, fd_target(c));
    expected.insert(2, fd_target(a));
    let fds = direct(&probe, &map, false).unwrap();
    assert_eq!(fds, expected);
}

#[test]
fn without_a_map_the_inheritable_descriptors_pass_as_they_are() {
    let probe = Probe::report();
    let env = probe.env();
    let fds = probe.finish(spawn(&probe.command(&env)).unwrap()).fds;
    assert_eq!(fds, inherited_fds());
}

#[test]
fn without_a_map_close_other_keeps_0_to_2() {
    let probe = Probe::report();
    let env = probe.env();
    let fds = probe
        .finish(spawn(probe.command(&env).close_other_fds()).unwrap())
        .fds;
    let mut expected = inherited_fds();
    expected.retain(|fd, _| *fd < 3);
    assert_eq!(fds, expected);
}

#[test]
fn unopened_source_from_the_parent_is_a_bad_descriptor() {
    let probe = Probe::report();
    // Far above anything this process opens.
    let map = [Slot::Fd(0), Slot::Fd(1), Slot::Fd(2), Slot::Fd(19_999)];
    let err = direct(&probe, &map, false).unwrap_err();
    assert_eq!((err.step(), err.errno()), (Step::Fd, Errno::EBADF));
}
