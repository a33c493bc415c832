//! Random descriptor maps run for real: the same kinds of maps the model
//! test in `src/fdmap_model.rs` checks (closed slots, duplicates, cycles,
//! sources that are not open, sources beyond the map, up to 64 slots), on a
//! real parent table, with the child's table read from `/proc`.
//!
//! The test sets its own descriptor numbers, so it runs in a scenario: a
//! fresh copy of the test binary.

mod common;
mod hostile;

use std::collections::{BTreeMap, BTreeSet};

use forkexec::{CStrArray, Command, Errno, Slot, Step, Strategy as How};
use hostile::{FileId, SLEEP, in_subprocess, strategies, watchdog};
use libc::c_int;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Descriptor numbers the cases use, all below this.
const NUMBERS: c_int = 100;
/// Where the setup parks a descriptor while it builds the table.
const PARKING: c_int = 900;

#[derive(Clone, Debug)]
struct Case {
    map: Vec<Slot>,
    close_other_fds: bool,
    /// Numbers above 2 open in the parent, with their close-on-exec flag
    /// (0, 1 and 2 are the scenario's standard descriptors, always open).
    open: BTreeMap<c_int, bool>,
}

fn case() -> impl Strategy<Value = Case> {
    let len = prop_oneof![6 => 0usize..=4, 3 => 5usize..=16, 1 => 17usize..=64];
    len.prop_flat_map(|len| {
        let near = len as c_int + 8;
        let slot = prop_oneof![
            1 => Just(Slot::Closed),
            6 => (0..near).prop_map(Slot::Fd),
            2 => (0..NUMBERS).prop_map(Slot::Fd),
        ];
        (
            prop::collection::vec(slot, len),
            any::<bool>(),
            prop::collection::vec(prop::bool::weighted(0.93), NUMBERS as usize),
            prop::collection::vec(any::<bool>(), NUMBERS as usize),
            prop::collection::vec(3..NUMBERS, 0..12),
        )
    })
    .prop_map(|(map, close_other_fds, open_flags, cloexec, unrelated)| {
        let mut open = BTreeMap::new();
        for slot in &map {
            if let Slot::Fd(fd) = *slot {
                if fd >= 3 && open_flags[fd as usize] {
                    open.insert(fd, cloexec[fd as usize]);
                }
            }
        }
        for fd in unrelated {
            open.entry(fd).or_insert(cloexec[fd as usize]);
        }
        Case {
            map,
            close_other_fds,
            open,
        }
    })
}

/// Makes the parent table of `case`: each number a pipe of its own.
fn set_up(case: &Case) -> BTreeMap<c_int, FileId> {
    for (&fd, &cloexec) in &case.open {
        let [read_end, write_end] = hostile::pipe();
        // SAFETY: plain descriptor calls on the scenario's own numbers.
        unsafe {
            let parked = libc::fcntl(read_end, libc::F_DUPFD_CLOEXEC, PARKING);
            assert!(parked >= PARKING);
            libc::close(read_end);
            libc::close(write_end);
            let flags = if cloexec { libc::O_CLOEXEC } else { 0 };
            assert_eq!(libc::dup3(parked, fd, flags), fd);
            libc::close(parked);
        }
    }
    (0..3)
        .chain(case.open.keys().copied())
        .map(|fd| (fd, hostile::file_id(fd)))
        .collect()
}

fn tear_down() {
    // SAFETY: the scenario owns every descriptor above 2.
    assert_eq!(unsafe { libc::close_range(3, u32::MAX, 0) }, 0);
}

/// Runs `case` for real and compares the child's table with what the map
/// asks for.
fn run(strategy: How, case: &Case) -> Result<(), TestCaseError> {
    let parent = set_up(case);
    let len = case.map.len() as c_int;
    let sources: BTreeSet<c_int> = case
        .map
        .iter()
        .filter_map(|slot| match *slot {
            Slot::Fd(fd) => Some(fd),
            Slot::Closed => None,
        })
        .collect();
    let missing = sources.iter().find(|fd| !parent.contains_key(fd));

    let mut argv = CStrArray::<3>::new();
    argv.push(c"sleep").unwrap().push(c"1000").unwrap();
    let mut cmd = Command::new(SLEEP);
    cmd.args(&argv).fds(&case.map).strategy(strategy);
    if case.close_other_fds {
        cmd.close_other_fds();
    }
    let result = cmd.spawn();
    let outcome = match (result, missing) {
        (Err(err), Some(_)) => {
            prop_assert_eq!((err.step(), err.errno()), (Step::Fd, Errno::EBADF));
            Ok(())
        }
        (Err(err), None) => Err(TestCaseError::fail(format!("spawn failed: {err}"))),
        (Ok(child), missing) => {
            hostile::wait_until_sleeping(child.pid());
            let got = hostile::child_fds(child.pid());
            hostile::kill_and_reap(&child);
            prop_assert!(
                missing.is_none(),
                "spawned although {missing:?} is not open"
            );
            let mut expected = BTreeMap::new();
            for (i, slot) in (0..).zip(&case.map) {
                if let Slot::Fd(source) = *slot {
                    expected.insert(i, parent[&source]);
                }
            }
            for (&fd, &cloexec) in &case.open {
                if !cloexec && fd >= len.max(3) && !sources.contains(&fd) && !case.close_other_fds {
                    expected.insert(fd, parent[&fd]);
                }
            }
            prop_assert_eq!(got, expected);
            Ok(())
        }
    };
    tear_down();
    outcome
}

#[test]
fn random_maps_run_for_real() {
    in_subprocess(120, || {
        let _dog = watchdog(110, "random_maps_run_for_real");
        tear_down();
        for strategy in strategies() {
            let mut runner = TestRunner::new(Config {
                cases: 300,
                failure_persistence: None,
                ..Config::default()
            });
            if let Err(failure) = runner.run(&case(), |case| run(strategy, &case)) {
                panic!("{strategy:?}: {failure}");
            }
        }
        assert_eq!(hostile::open_fds(), [0, 1, 2], "descriptors leaked");
        hostile::assert_no_child_left();
    });
}

#[test]
fn missing_sources_where_copies_land_are_ebadf_not_a_hang() {
    in_subprocess(60, || {
        let _dog = watchdog(30, "missing_sources_where_copies_land_are_ebadf_not_a_hang");
        tear_down();
        // Only 0, 1 and 2 are open. The status pipe (fork) takes 3 and 4; a
        // copy made above the map, or the moved status channel, lands on 4
        // or 5. A slot whose source is that number must fail, not receive
        // the copy: receiving the status pipe would keep the parent waiting
        // for as long as the program runs.
        let maps: [&[Slot]; 6] = [
            // The status pipe's own ends, where the fork path makes it.
            &[Slot::Fd(3)],
            &[Slot::Fd(0), Slot::Fd(1), Slot::Fd(2), Slot::Fd(4)],
            &[
                Slot::Fd(0),
                Slot::Fd(1),
                Slot::Fd(2),
                Slot::Closed,
                Slot::Fd(5),
            ],
            &[Slot::Closed, Slot::Fd(0), Slot::Fd(2), Slot::Fd(4)],
            &[Slot::Closed, Slot::Fd(0), Slot::Fd(2), Slot::Fd(5)],
            &[Slot::Fd(5)],
        ];
        let mut argv = CStrArray::<3>::new();
        argv.push(c"sleep").unwrap().push(c"1000").unwrap();
        for strategy in strategies() {
            for map in maps {
                let result = Command::new(SLEEP)
                    .args(&argv)
                    .fds(map)
                    .strategy(strategy)
                    .spawn();
                match result {
                    Err(err) => assert_eq!(
                        (err.step(), err.errno()),
                        (Step::Fd, Errno::EBADF),
                        "{strategy:?}, {map:?}"
                    ),
                    Ok(child) => {
                        let fds = hostile::child_fds(child.pid());
                        hostile::kill_and_reap(&child);
                        panic!("{strategy:?}, {map:?}: spawned with {fds:?}");
                    }
                }
            }
        }
        assert_eq!(hostile::open_fds(), [0, 1, 2], "descriptors leaked");
        hostile::assert_no_child_left();
    });
}

/// Where the daemon test keeps its standard output and error meanwhile.
const SAVED_STDOUT: c_int = 500;
const SAVED_STDERR: c_int = 501;

/// The child's table, or the spawn's error as text.
type Outcome = Result<BTreeMap<c_int, FileId>, String>;

/// One spawn of `sleep` with `map`, in a parent whose 0, 1 and 2 are
/// closed.
fn daemon_spawn(strategy: How, map: Option<&[Slot]>) -> Outcome {
    let mut argv = CStrArray::<3>::new();
    argv.push(c"sleep").unwrap().push(c"1000").unwrap();
    let mut cmd = Command::new(SLEEP);
    cmd.args(&argv).strategy(strategy);
    if let Some(map) = map {
        cmd.fds(map);
    }
    let child = cmd.spawn().map_err(|e| e.to_string())?;
    hostile::wait_until_sleeping(child.pid());
    let fds = hostile::child_fds(child.pid());
    hostile::kill_and_reap(&child);
    Ok(fds)
}

#[test]
fn daemon_with_standard_descriptors_closed() {
    // A daemon runs with 0, 1 and 2 closed, so the status pipe takes 0 and
    // 1: it must not reach the program through the numbers it occupies.
    in_subprocess(60, || {
        let _dog = watchdog(50, "daemon_with_standard_descriptors_closed");
        tear_down();
        // SAFETY: the scenario's own descriptors; 1 and 2 come back below.
        unsafe {
            assert_eq!(
                libc::fcntl(1, libc::F_DUPFD_CLOEXEC, SAVED_STDOUT),
                SAVED_STDOUT
            );
            assert_eq!(
                libc::fcntl(2, libc::F_DUPFD_CLOEXEC, SAVED_STDERR),
                SAVED_STDERR
            );
            libc::close(0);
            libc::close(1);
            libc::close(2);
        }
        // Nothing can be printed until 1 and 2 are back: collect.
        let mut failures = Vec::new();
        let mut check = |what: String, got: Outcome, want: Outcome| {
            if got != want {
                failures.push(format!("{what}: got {got:?}, expected {want:?}"));
            }
        };
        for strategy in strategies() {
            let closed = [Slot::Closed, Slot::Closed, Slot::Closed];
            let missing = [Slot::Fd(0)];
            let none = || Ok(BTreeMap::new());
            check(
                format!("{strategy:?}, no map"),
                daemon_spawn(strategy, None),
                none(),
            );
            let got = daemon_spawn(strategy, Some(&closed));
            check(format!("{strategy:?}, closed slots"), got, none());
            let got = daemon_spawn(strategy, Some(&missing));
            let ebadf = Err("fd: EBADF (Bad file descriptor)".to_owned());
            check(format!("{strategy:?}, a map of the closed 0"), got, ebadf);
            // SAFETY: a path that exists; it takes the lowest number, 0.
            let null = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
            let id = hostile::file_id(null);
            let all_null = [Slot::Fd(null), Slot::Fd(null), Slot::Fd(null)];
            let got = daemon_spawn(strategy, Some(&all_null));
            let want = Ok([(0, id), (1, id), (2, id)].into());
            check(
                format!("{strategy:?}, /dev/null at {null} in each slot"),
                got,
                want,
            );
            hostile::close(null);
        }
        // SAFETY: the saved descriptors go back to 1 and 2.
        unsafe {
            assert_eq!(libc::dup2(SAVED_STDOUT, 1), 1);
            assert_eq!(libc::dup2(SAVED_STDERR, 2), 2);
            libc::close(SAVED_STDOUT);
            libc::close(SAVED_STDERR);
        }
        assert!(failures.is_empty(), "{failures:#?}");
        assert_eq!(hostile::open_fds(), [1, 2], "descriptors leaked");
        hostile::assert_no_child_left();
    });
}
