//! Fuzzes the descriptor-map arrangement of the child (step 8) against the
//! model in `src/fdmap_model.rs`: any map, any parent table, any status
//! channel number, any `RLIMIT_NOFILE`, and one failure injected at any
//! operation. Every run must keep the model's property.
#![no_main]

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use forkexec::fdmap_fuzz::{Case, Entry, MODEL_FDS, check};
use forkexec::{Errno, Slot};
use libfuzzer_sys::fuzz_target;

/// One slot: `None` is `Closed`; numbers stay small so that sources meet
/// slots, copies and the status channel often.
#[derive(Arbitrary, Debug)]
struct Input {
    map: Option<Vec<Option<u8>>>,
    close_other_fds: bool,
    /// Open parent descriptors: number and close-on-exec flag.
    parent: Vec<(u8, bool)>,
    status_fd: Option<u8>,
    limit: Option<u16>,
    inject: Option<(u8, u8)>,
}

/// The failures an operation may meet in a child: a signal, an I/O error,
/// no memory, a full table.
const ERRNOS: [Errno; 4] = [Errno::EINTR, Errno::EIO, Errno::ENOMEM, Errno::EMFILE];

fuzz_target!(|input: Input| {
    let map = input.map.map(|slots| {
        slots
            .into_iter()
            .take(forkexec::MAX_FDS)
            .map(|slot| slot.map_or(Slot::Closed, |fd| Slot::Fd(fd.into())))
            .collect()
    });
    let parent: BTreeMap<_, _> = (0..)
        .zip(input.parent)
        .map(|(file, (fd, cloexec))| (fd.into(), Entry { file, cloexec }))
        .collect();
    let case = Case {
        map,
        close_other_fds: input.close_other_fds,
        parent,
        status_fd: input.status_fd.map_or(-1, Into::into),
        limit: input
            .limit
            .map_or(MODEL_FDS, |l| i32::from(l) % (MODEL_FDS + 1)),
        inject: input
            .inject
            .map(|(at, e)| (usize::from(at), ERRNOS[usize::from(e) % ERRNOS.len()])),
    };
    if let Err(why) = check(&case) {
        panic!("{why}\n{case:?}");
    }
});
