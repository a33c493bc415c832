//! A model of a descriptor table for [`arrange`], and the property every run
//! of `arrange` must satisfy on it.
//!
//! The model is a map from descriptor numbers to an open file's identity and
//! its close-on-exec flag, with the kernel's rules for each operation of
//! [`FdOps`] (Linux `fcntl(2)`, `dup(2)`, `close(2)`, `close_range(2)`),
//! an `RLIMIT_NOFILE` limit, and one failure that can be injected at any
//! operation. The unit tests below drive it with random cases; the fuzz
//! target (built with `--cfg fuzzing`) drives it with the fuzzer's input.

extern crate std;

use std::collections::{BTreeMap, BTreeSet};
use std::format;
use std::string::String;
use std::vec;
use std::vec::Vec;

use libc::c_int;

use super::{FdOps, Request, arrange};
use crate::Errno;
use crate::command::Slot;

/// The identity of the status channel in the model.
pub const STATUS_FILE: u32 = u32::MAX;

/// Numbers the model can hold: every descriptor is below this, whatever the
/// limit says.
pub const MODEL_FDS: c_int = 1024;

/// One open descriptor: which open file it refers to, and whether it closes
/// at `execve`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The open file (two descriptors with the same `file` are duplicates).
    pub file: u32,
    /// The close-on-exec flag.
    pub cloexec: bool,
}

/// One run of `arrange`: the request and the child's table when step 8
/// starts.
#[derive(Clone, Debug)]
pub struct Case {
    /// The descriptor map, or `None` for none given.
    pub map: Option<Vec<Slot>>,
    /// Whether descriptors outside the map are closed.
    pub close_other_fds: bool,
    /// The parent's descriptors, inherited by the child. The status channel
    /// is not one of them: a number held by both counts as the status
    /// channel.
    pub parent: BTreeMap<c_int, Entry>,
    /// The status channel's number, or `-1` for none.
    pub status_fd: c_int,
    /// The `RLIMIT_NOFILE` soft limit: no descriptor can be made at or
    /// above it.
    pub limit: c_int,
    /// An operation (counted from 0) that fails with this errno whatever
    /// its arguments, as a signal or the kernel's memory could make it.
    pub inject: Option<(usize, Errno)>,
}

/// The model's descriptor table and the operations of step 8 on it.
#[derive(Debug)]
pub struct ModelFds {
    table: BTreeMap<c_int, Entry>,
    limit: c_int,
    inject: Option<(usize, Errno)>,
    ops: usize,
    injected: bool,
    errors: Vec<Errno>,
}

impl ModelFds {
    fn new(table: BTreeMap<c_int, Entry>, limit: c_int, inject: Option<(usize, Errno)>) -> Self {
        Self {
            table,
            limit: limit.clamp(0, MODEL_FDS),
            inject,
            ops: 0,
            injected: false,
            errors: Vec::new(),
        }
    }

    /// Counts one operation and returns the injected failure if it is due.
    fn enter(&mut self) -> Result<(), Errno> {
        let n = self.ops;
        self.ops += 1;
        match self.inject {
            Some((at, errno)) if at == n => {
                self.injected = true;
                Err(errno)
            }
            _ => Ok(()),
        }
    }

    fn fail<T>(&mut self, errno: Errno) -> Result<T, Errno> {
        self.errors.push(errno);
        Err(errno)
    }

    fn get(&self, fd: c_int) -> Option<Entry> {
        self.table.get(&fd).copied()
    }
}

impl FdOps for ModelFds {
    fn dup_above(&mut self, fd: c_int, min: c_int) -> Result<c_int, Errno> {
        self.enter()?;
        let Some(entry) = self.get(fd) else {
            return self.fail(Errno::EBADF);
        };
        // fcntl(2): F_DUPFD fails with EINVAL when `min` is negative or not
        // below RLIMIT_NOFILE, and with EMFILE when no number is free.
        if min < 0 || min >= self.limit {
            return self.fail(Errno::EINVAL);
        }
        let Some(free) = (min..self.limit).find(|n| !self.table.contains_key(n)) else {
            return self.fail(Errno::EMFILE);
        };
        self.table.insert(
            free,
            Entry {
                file: entry.file,
                cloexec: true,
            },
        );
        Ok(free)
    }

    fn clear_cloexec(&mut self, fd: c_int) -> Result<(), Errno> {
        self.enter()?;
        match self.table.get_mut(&fd) {
            Some(entry) => {
                entry.cloexec = false;
                Ok(())
            }
            None => self.fail(Errno::EBADF),
        }
    }

    fn dup2(&mut self, old: c_int, new: c_int) -> Result<(), Errno> {
        self.enter()?;
        let Some(entry) = self.get(old) else {
            return self.fail(Errno::EBADF);
        };
        // dup(2): a `new` out of range is EBADF; `old == new` changes
        // nothing, not even the close-on-exec flag.
        if new < 0 || new >= self.limit {
            return self.fail(Errno::EBADF);
        }
        if old != new {
            self.table.insert(
                new,
                Entry {
                    file: entry.file,
                    cloexec: false,
                },
            );
        }
        Ok(())
    }

    fn close(&mut self, fd: c_int) -> Result<(), Errno> {
        self.enter()?;
        match self.table.remove(&fd) {
            Some(_) => Ok(()),
            None => self.fail(Errno::EBADF),
        }
    }

    fn close_from(&mut self, first: c_int, keep: c_int) -> Result<(), Errno> {
        self.enter()?;
        self.table.retain(|&fd, _| fd < first || fd == keep);
        Ok(())
    }
}

/// Runs `arrange` on the model for `case` and checks what it did.
///
/// The property: when `arrange` succeeds, the descriptors that survive
/// `execve` (those not close-on-exec) are exactly slot `i` → the file of
/// the parent's source of slot `i` for every `Fd` slot, and the parent's
/// descriptors that were not close-on-exec, are not a source, and are
/// neither a slot nor one of 0-2 beyond a given map, unless
/// `close_other_fds` (then none of them, except 0-2 when no map is given);
/// and the status channel is open and close-on-exec at the number
/// returned. `arrange` must fail with `EBADF` when a source is not open in
/// the parent, must return an injected failure, and may fail otherwise only
/// with an error the model gave it (a limit reached), never succeed after
/// one.
///
/// # Errors
///
/// A description of the first way the run broke the property.
pub fn check(case: &Case) -> Result<(), String> {
    let map = case.map.as_deref();
    let mut table = case.parent.clone();
    let mut status_fd = case.status_fd.max(-1);
    if status_fd >= 0 {
        table.insert(
            status_fd,
            Entry {
                file: STATUS_FILE,
                cloexec: true,
            },
        );
    }
    let mut fds = ModelFds::new(table, case.limit, case.inject);
    let request = Request {
        map,
        close_other_fds: case.close_other_fds,
    };
    let mut moved = vec![0; map.map_or(0, <[Slot]>::len)];
    let result = arrange(&mut fds, &request, &mut status_fd, &mut moved);

    let slots = map.unwrap_or(&[]);
    let len = slots.len() as c_int;
    let sources: BTreeSet<c_int> = slots
        .iter()
        .filter_map(|slot| match *slot {
            Slot::Fd(fd) => Some(fd),
            Slot::Closed => None,
        })
        .collect();
    let parent_file = |fd: c_int| match case.parent.get(&fd) {
        Some(entry) if fd != case.status_fd => Some(entry.file),
        _ => None,
    };
    let missing = sources
        .iter()
        .copied()
        .find(|&fd| parent_file(fd).is_none());

    let errno = result.err();
    if fds.injected {
        return match errno {
            Some(errno) if Some(errno) == case.inject.map(|(_, e)| e) => Ok(()),
            _ => Err(format!(
                "the injected failure {:?} was not returned: got {errno:?}",
                case.inject
            )),
        };
    }
    if let Some(errno) = errno {
        // EBADF for a missing source may come from arrange's own check.
        let own = (errno == Errno::EBADF && missing.is_some())
            || (errno == Errno::EMFILE && fds.errors.contains(&Errno::EINVAL));
        if !own && !fds.errors.contains(&errno) {
            return Err(format!("{errno:?} was returned, but no operation gave it"));
        }
        let limited = case.limit < MODEL_FDS;
        return match (errno, missing) {
            (Errno::EBADF, Some(_)) => Ok(()),
            // A slot at or above the limit cannot be made: dup2 says EBADF.
            (Errno::EBADF, None) if len > case.limit => Ok(()),
            (Errno::EMFILE | Errno::EINVAL, _) if limited => Ok(()),
            _ => Err(format!(
                "failed with {errno:?}, limit {}, missing source {missing:?}",
                case.limit
            )),
        };
    }
    if let Some(fd) = missing {
        return Err(format!("succeeded although source {fd} is not open"));
    }

    // What must survive execve.
    let mut expected = BTreeMap::new();
    for (i, slot) in (0..).zip(slots) {
        if let Slot::Fd(source) = *slot {
            expected.insert(i, parent_file(source).unwrap_or(0));
        }
    }
    for (&fd, entry) in &case.parent {
        if entry.cloexec || fd == case.status_fd {
            continue;
        }
        let survives = match map {
            None => fd < 3 || !case.close_other_fds,
            Some(_) => fd >= len.max(3) && !sources.contains(&fd) && !case.close_other_fds,
        };
        if survives {
            expected.insert(fd, entry.file);
        }
    }
    let survived: BTreeMap<c_int, u32> = fds
        .table
        .iter()
        .filter(|(_, entry)| !entry.cloexec)
        .map(|(&fd, entry)| (fd, entry.file))
        .collect();
    if survived != expected {
        return Err(format!(
            "after exec the table would be {survived:?}, expected {expected:?}"
        ));
    }

    if case.status_fd >= 0 {
        let at = fds.get(status_fd);
        if at
            != Some(Entry {
                file: STATUS_FILE,
                cloexec: true,
            })
        {
            return Err(format!("status channel at {status_fd} is {at:?}"));
        }
    } else if status_fd != -1 {
        return Err(format!("no status channel, but {status_fd} was returned"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Lengths: mostly the short maps real programs use, sometimes long
    /// ones, up to 64 slots.
    fn map_len() -> impl Strategy<Value = usize> {
        prop_oneof![6 => 0usize..=4, 3 => 5usize..=16, 1 => 17usize..=64]
    }

    /// A source number: near the map (cycles, duplicates, numbers where
    /// copies land) or anywhere in the first 100.
    fn slot(len: usize) -> impl Strategy<Value = Slot> {
        let near = len as c_int + 8;
        prop_oneof![
            1 => Just(Slot::Closed),
            6 => (0..near).prop_map(Slot::Fd),
            2 => (0..100).prop_map(Slot::Fd),
        ]
    }

    fn errno() -> impl Strategy<Value = Errno> {
        prop_oneof![
            Just(Errno::EINTR),
            Just(Errno::EIO),
            Just(Errno::ENOMEM),
            Just(Errno::EMFILE),
        ]
    }

    prop_compose! {
        fn case()(len in map_len(), no_map in prop::bool::weighted(0.1))
            (
                map in prop::collection::vec(slot(len), len),
                no_map in Just(no_map),
                close_other_fds in any::<bool>(),
                // Whether each number below 100 is open in the parent when
                // it is a source, and its close-on-exec flag.
                open in prop::collection::vec(prop::bool::weighted(0.93), 100),
                cloexec in prop::collection::vec(any::<bool>(), 100),
                unrelated in prop::collection::vec(0..100 as c_int, 0..12),
                status in prop_oneof![
                    2 => Just(-1),
                    6 => 0..100 as c_int,
                    // The number of some source.
                    1 => (0..100usize).prop_map(|i| -2 - i as c_int),
                ],
                limit in prop_oneof![4 => Just(MODEL_FDS), 1 => 0..120 as c_int],
                inject in prop_oneof![
                    6 => Just(None),
                    1 => (0..200usize, errno()).prop_map(Some),
                ],
            ) -> Case {
            let mut parent = BTreeMap::new();
            let mut file = 0;
            let mut add = |fd: c_int, parent: &mut BTreeMap<c_int, Entry>| {
                file += 1;
                parent.entry(fd).or_insert(Entry { file, cloexec: cloexec[fd as usize] });
            };
            for slot in &map {
                if let Slot::Fd(fd) = *slot {
                    if open[fd as usize] {
                        add(fd, &mut parent);
                    }
                }
            }
            for &fd in &unrelated {
                add(fd, &mut parent);
            }
            let sources: Vec<c_int> = map.iter().filter_map(|slot| match *slot {
                Slot::Fd(fd) => Some(fd),
                Slot::Closed => None,
            }).collect();
            let status_fd = match status {
                s if s >= -1 => s,
                s => match sources.len() {
                    0 => -1,
                    n => sources[(-2 - s) as usize % n],
                },
            };
            parent.remove(&status_fd);
            Case {
                map: if no_map { None } else { Some(map) },
                close_other_fds,
                parent,
                status_fd,
                limit,
                inject,
            }
        }
    }

    /// Cases per run. The property is pure computation, the same on every
    /// target: the full run is on x86_64, and a sample elsewhere, where CI
    /// runs the tests under qemu-user, some fifty times slower.
    const CASES: u32 = if cfg!(target_arch = "x86_64") {
        20_000
    } else {
        1_000
    };

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: CASES,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn arrange_matches_the_model(case in case()) {
            if let Err(why) = check(&case) {
                prop_assert!(false, "{why}\n{case:?}");
            }
        }
    }

    fn fd_case(map: &[Slot], parent: &[c_int], status_fd: c_int) -> Case {
        Case {
            map: Some(map.to_vec()),
            close_other_fds: false,
            parent: (0..)
                .zip(parent)
                .map(|(file, &fd)| {
                    (
                        fd,
                        Entry {
                            file,
                            cloexec: true,
                        },
                    )
                })
                .collect(),
            status_fd,
            limit: MODEL_FDS,
            inject: None,
        }
    }

    #[test]
    fn copy_landing_on_a_missing_source_is_ebadf() {
        // Slot 1's source 0 is copied above the map, to 3, the lowest free
        // number: 3 is not open in the parent, so slot 2 must not get it.
        let case = fd_case(&[Slot::Closed, Slot::Fd(0), Slot::Fd(3)], &[0], -1);
        check(&case).unwrap();
    }

    #[test]
    fn status_moved_onto_a_missing_source_is_ebadf() {
        // The status channel at 0 moves to 3, where slot 0's source should
        // have been.
        let case = fd_case(&[Slot::Fd(3)], &[], 0);
        check(&case).unwrap();
    }

    #[test]
    fn source_equal_to_the_status_channel_is_ebadf() {
        let case = fd_case(&[Slot::Fd(0), Slot::Fd(5)], &[0], 5);
        check(&case).unwrap();
    }

    #[test]
    fn swap_of_0_and_1_is_placed() {
        let case = fd_case(&[Slot::Fd(1), Slot::Fd(0), Slot::Fd(2)], &[0, 1, 2], 3);
        check(&case).unwrap();
    }

    #[test]
    fn limit_below_the_map_is_an_error_not_a_panic() {
        let mut case = fd_case(&[Slot::Fd(1), Slot::Fd(0), Slot::Fd(2)], &[0, 1, 2], 3);
        case.limit = 4;
        check(&case).unwrap();
        case.limit = 0;
        check(&case).unwrap();
    }
}
