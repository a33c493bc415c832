//! Hostile allocator states: a thread that allocates and frees in a tight
//! loop while another spawns ten thousand times, and a spawn made from
//! inside the global allocator's `alloc`. A spawn takes no allocator lock
//! and allocates nothing, so neither can hang it.

mod common;
mod hostile;

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU8, AtomicU64, Ordering};

use forkexec::{Command, ExitStatus, Strategy};
use hostile::{Counting, allocations, strategies, watchdog};

/// The allocator of this test binary: [`Counting`], which can also be told
/// to spawn a program from inside `alloc` for one request of a given size.
struct Hostile;

#[global_allocator]
static ALLOCATOR: Hostile = Hostile;

/// The request size that triggers a spawn inside `alloc` when armed.
const MAGIC_SIZE: usize = 12_345;

static SPAWN_ARMED: AtomicBool = AtomicBool::new(false);
/// The strategy of the spawn inside `alloc`: 0 fork, 1 vfork, 2 auto.
static SPAWN_STRATEGY: AtomicU8 = AtomicU8::new(0);
/// What the spawn inside `alloc` saw: the exit code, `-1000 - errno` for a
/// failed spawn, or `i64::MIN` before it ran.
static SPAWN_RESULT: AtomicI64 = AtomicI64::new(i64::MIN);
/// Calls into the allocator made while a spawn inside `alloc` was running.
static ALLOCATED_DURING_SPAWN: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static IN_SPAWN: Cell<bool> = const { Cell::new(false) };
}

fn during_spawn() {
    if IN_SPAWN.try_with(Cell::get).unwrap_or(false) {
        ALLOCATED_DURING_SPAWN.fetch_add(1, Ordering::SeqCst);
    }
}

/// Spawns `/bin/true` and waits for it, from inside `alloc`.
fn spawn_inside_alloc() {
    IN_SPAWN.with(|flag| flag.set(true));
    let strategy = match SPAWN_STRATEGY.load(Ordering::SeqCst) {
        0 => Strategy::Fork,
        1 => Strategy::Vfork,
        _ => Strategy::Auto,
    };
    let result = match Command::new(c"/bin/true").strategy(strategy).spawn() {
        Ok(child) => match child.wait() {
            Ok(ExitStatus::Exited(code)) => i64::from(code),
            Ok(_) => -2,
            Err(errno) => -1000 - i64::from(errno.raw()),
        },
        Err(err) => -1000 - i64::from(err.errno().raw()),
    };
    SPAWN_RESULT.store(result, Ordering::SeqCst);
    IN_SPAWN.with(|flag| flag.set(false));
}

// SAFETY: every call is passed on unchanged to `Counting`; the spawn in
// `alloc` touches no memory the caller could see.
unsafe impl GlobalAlloc for Hostile {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        during_spawn();
        if layout.size() == MAGIC_SIZE && SPAWN_ARMED.swap(false, Ordering::SeqCst) {
            spawn_inside_alloc();
        }
        // SAFETY: forwarded from the caller.
        unsafe { Counting.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        during_spawn();
        // SAFETY: forwarded from the caller.
        unsafe { Counting.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        during_spawn();
        // SAFETY: forwarded from the caller.
        unsafe { Counting.realloc(ptr, layout, size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        during_spawn();
        // SAFETY: forwarded from the caller.
        unsafe { Counting.dealloc(ptr, layout) }
    }
}

#[test]
fn spawn_from_inside_the_global_allocator() {
    let _dog = watchdog(60, "spawn_from_inside_the_global_allocator");
    for strategy in strategies() {
        let code = match strategy {
            Strategy::Fork => 0,
            Strategy::Vfork => 1,
            _ => 2,
        };
        for _ in 0..20 {
            SPAWN_STRATEGY.store(code, Ordering::SeqCst);
            SPAWN_RESULT.store(i64::MIN, Ordering::SeqCst);
            SPAWN_ARMED.store(true, Ordering::SeqCst);
            let block: Vec<u8> = black_box(Vec::with_capacity(MAGIC_SIZE));
            assert_eq!(block.capacity(), MAGIC_SIZE);
            drop(block);
            assert!(!SPAWN_ARMED.load(Ordering::SeqCst), "alloc was not called");
            assert_eq!(
                SPAWN_RESULT.load(Ordering::SeqCst),
                0,
                "{strategy:?}: spawn inside alloc (exit code, or -1000 - errno)"
            );
        }
        assert_eq!(
            ALLOCATED_DURING_SPAWN.load(Ordering::SeqCst),
            0,
            "{strategy:?}: the spawn inside alloc called the allocator"
        );
    }
}

/// Spawns per strategy while other threads hammer the allocator.
const SPAWNS: usize = 10_000;
/// The same under user-mode emulation, where the emulator makes each fork
/// (and runs each child's loader) some twenty times slower.
const EMULATED_SPAWNS: usize = 1_000;

#[test]
fn ten_thousand_spawns_while_other_threads_allocate() {
    let _dog = watchdog(120, "ten_thousand_spawns_while_other_threads_allocate");
    let stop = Arc::new(AtomicBool::new(false));
    let hammers: Vec<_> = (0..1)
        .map(|seed| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                // The lowest priority: the loop takes every free cycle, but
                // does not starve the spawns on a small machine.
                // SAFETY: setpriority takes no pointer; 0 is this thread.
                unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 19) };
                let mut size = 1usize + seed;
                let mut kept = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    // Sizes from a few bytes to past the mmap threshold
                    // (128 KiB by default, mallopt(3)).
                    size = (size * 7 + 13) % 200_000 + 1;
                    let block: Vec<u8> = black_box(Vec::with_capacity(size));
                    if size % 5 == 0 {
                        kept.push(block);
                    }
                    if kept.len() > 16 {
                        kept.clear();
                    }
                }
                allocations()
            })
        })
        .collect();

    let spawns = match common::emulator() {
        Some(_) => EMULATED_SPAWNS,
        None => SPAWNS,
    };
    for strategy in strategies() {
        let mut cmd = Command::new(c"/bin/true");
        cmd.strategy(strategy);
        let before = allocations();
        for _ in 0..spawns {
            let child = match cmd.spawn() {
                Ok(child) => child,
                Err(err) => panic!("{strategy:?}: {err}"),
            };
            match child.wait() {
                Ok(ExitStatus::Exited(0)) => {}
                other => panic!("{strategy:?}: {other:?}"),
            }
        }
        let during = allocations() - before;
        assert_eq!(
            during, 0,
            "{strategy:?}: {SPAWNS} spawns called the allocator"
        );
    }

    stop.store(true, Ordering::Relaxed);
    for hammer in hammers {
        let calls = hammer.join().unwrap();
        assert!(calls > 10_000, "the allocating thread hardly ran: {calls}");
    }
}

/// Spawns from children forked while another thread allocates.
const FORKED_CHILDREN: usize = 200;

#[test]
fn spawn_from_a_raw_fork_child_while_another_thread_allocates() {
    // A crash reporter forks without atfork handlers, then starts a program
    // from the child: if another thread held an allocator lock at the fork,
    // the child's copy of that lock is held forever. The spawn in the child
    // must not need it.
    let _dog = watchdog(
        80,
        "spawn_from_a_raw_fork_child_while_another_thread_allocates",
    );
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let hammer = std::thread::spawn(move || {
        let mut size = 1usize;
        while !flag.load(Ordering::Relaxed) {
            size = (size * 7 + 13) % 200_000 + 1;
            drop(black_box(Vec::<u8>::with_capacity(size)));
        }
    });
    for strategy in strategies() {
        for n in 0..FORKED_CHILDREN {
            // SAFETY: the child runs only the spawn, the wait and the raw
            // exit, none of which allocates or takes a lock.
            let pid = unsafe { forkexec::raw::fork() }.expect("fork");
            if pid == 0 {
                let code = match Command::new(c"/bin/true").strategy(strategy).spawn() {
                    Ok(child) => match child.wait() {
                        Ok(ExitStatus::Exited(0)) => 0,
                        _ => 2,
                    },
                    Err(_) => 1,
                };
                // SAFETY: the raw exit of the forked child.
                unsafe { forkexec::raw::exit(code) };
            }
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            let mut status = 0;
            loop {
                // SAFETY: `status` is a live c_int; `pid` is our child.
                let got = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
                if got == pid {
                    break;
                }
                if std::time::Instant::now() > deadline {
                    // SAFETY: `pid` is our unreaped child.
                    unsafe {
                        libc::kill(pid, libc::SIGKILL);
                        libc::waitpid(pid, &mut status, 0);
                    }
                    panic!("{strategy:?}: forked child {n} hung in its spawn");
                }
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
            assert_eq!(
                ExitStatus::from_raw(status),
                ExitStatus::Exited(0),
                "{strategy:?}: forked child {n} (1: spawn failed, 2: bad wait)"
            );
        }
    }
    stop.store(true, Ordering::Relaxed);
    hammer.join().unwrap();
}
