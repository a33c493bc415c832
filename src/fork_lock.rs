//! The fork lock: keeps a fork from happening while a descriptor is half
//! made.
//!
//! A descriptor that should not reach a child is made close-on-exec. Where
//! the system makes it so atomically (`pipe2`, `O_CLOEXEC`, `accept4`,
//! `F_DUPFD_CLOEXEC`), nothing can go wrong. Where it takes two calls (macOS
//! has no `pipe2`: `pipe`, then `fcntl(F_SETFD)`), a fork in another thread
//! between the two hands the descriptor to the child unmarked, and the
//! program the child runs inherits it: a pipe then never sees end of file.
//!
//! Code that makes descriptors in two steps takes the lock shared
//! ([`ForkLock::shared`]); a spawn on macOS takes it exclusively around the
//! making of its own status pipe and the fork ([`ForkLock::exclusive`]).
//! Makers do not wait for each other, only for a fork in progress. On Linux
//! and the BSDs every call that makes a descriptor has a close-on-exec form,
//! the crate's own pipe is made by `pipe2`, and spawns do not take the lock:
//! holding it across a fork would make concurrent spawns wait for each other
//! for no gain. Code that forks by other means can still take it.
//!
//! The lock is a spin lock on one atomic word: no allocation, no system
//! call, usable where the standard library is not. Hold it briefly.
//!
//! Known limitation: a spin lock cannot tell that its holder is the thread
//! that asks again. A signal handler that spawns, or takes the lock, while
//! its own thread holds the lock spins forever; block signals around a
//! shared hold if a handler may spawn. Likewise a thread must not take the
//! lock shared twice: once an exclusive taker waits, the second `shared()`
//! waits behind it, and the exclusive taker waits for the first hold.

use core::sync::atomic::{AtomicUsize, Ordering};

/// The state: the number of shared holders, plus the flags below.
static STATE: AtomicUsize = AtomicUsize::new(0);

/// Set while one holder has the lock exclusively.
const EXCLUSIVE: usize = 1 << (usize::BITS - 1);
/// Set while an exclusive taker waits, so that new shared takers wait
/// behind it and a steady flow of them cannot starve it.
const WAITING: usize = 1 << (usize::BITS - 2);
/// The bits that count shared holders.
const SHARED: usize = WAITING - 1;

/// `ForkLock` — the process-wide lock that orders descriptor making against
/// forks.
///
/// ```
/// use forkexec::ForkLock;
///
/// // Make a descriptor in two steps, with no spawn in between.
/// let guard = ForkLock::shared();
/// // ... pipe(), then fcntl(F_SETFD, FD_CLOEXEC) on both ends ...
/// drop(guard);
/// ```
#[derive(Debug)]
pub struct ForkLock {
    _private: (),
}

impl ForkLock {
    /// `ForkLock::shared()` — waits until no fork of this crate is in
    /// progress, and keeps any from starting until the guard is dropped.
    ///
    /// Take it around code that makes a descriptor and then marks it
    /// close-on-exec in a second call.
    pub fn shared() -> SharedGuard {
        loop {
            if let Some(guard) = Self::try_shared() {
                return guard;
            }
            core::hint::spin_loop();
        }
    }

    /// `ForkLock::try_shared()` — [`shared`](ForkLock::shared) without
    /// waiting: `None` while a fork is in progress or waiting to start.
    pub fn try_shared() -> Option<SharedGuard> {
        let state = STATE.load(Ordering::Relaxed);
        if state & (EXCLUSIVE | WAITING) != 0 || state & SHARED == SHARED {
            return None;
        }
        STATE
            .compare_exchange_weak(state, state + 1, Ordering::Acquire, Ordering::Relaxed)
            .ok()
            .map(|_| SharedGuard { _private: () })
    }

    /// `ForkLock::exclusive()` — waits until no descriptor is being made
    /// under the lock and no other holder has it, and keeps it so until the
    /// guard is dropped.
    ///
    /// Spawns on macOS take it around their fork. Code that forks by other means can
    /// take it too, so that no descriptor made under the shared lock reaches
    /// its child half made.
    pub fn exclusive() -> ExclusiveGuard {
        loop {
            let state = STATE.load(Ordering::Relaxed);
            if state & (EXCLUSIVE | SHARED) == 0 {
                // Free: take it, and clear WAITING (other exclusive takers set
                // it again on their next turn).
                if STATE
                    .compare_exchange_weak(state, EXCLUSIVE, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
                    return ExclusiveGuard { _private: () };
                }
            } else if state & WAITING == 0 {
                STATE.fetch_or(WAITING, Ordering::Relaxed);
            }
            core::hint::spin_loop();
        }
    }
}

/// The exclusive hold a spawn takes: on macOS, where the status pipe is
/// made in two calls; elsewhere none.
pub(crate) fn for_spawn() -> Option<ExclusiveGuard> {
    if cfg!(target_os = "macos") {
        Some(ForkLock::exclusive())
    } else {
        None
    }
}

/// `SharedGuard` — a shared hold of the [`ForkLock`], released on drop.
#[derive(Debug)]
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct SharedGuard {
    _private: (),
}

impl Drop for SharedGuard {
    fn drop(&mut self) {
        STATE.fetch_sub(1, Ordering::Release);
    }
}

/// `ExclusiveGuard` — the exclusive hold of the [`ForkLock`], released on
/// drop.
#[derive(Debug)]
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct ExclusiveGuard {
    _private: (),
}

impl Drop for ExclusiveGuard {
    fn drop(&mut self) {
        // Keep WAITING if another exclusive taker set it meanwhile.
        STATE.fetch_and(!EXCLUSIVE, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The lock is process-wide and no other unit test takes it, so the
    // state is this test's alone.
    #[test]
    fn holders_exclude_each_other_as_documented() {
        let a = ForkLock::shared();
        let b = ForkLock::shared();
        assert_eq!(STATE.load(Ordering::Relaxed), 2);
        drop(a);
        drop(b);
        assert_eq!(STATE.load(Ordering::Relaxed), 0);

        let fork = ForkLock::exclusive();
        assert_eq!(STATE.load(Ordering::Relaxed), EXCLUSIVE);
        assert!(ForkLock::try_shared().is_none());
        drop(fork);
        let maker = ForkLock::try_shared();
        assert!(maker.is_some());
        drop(maker);
        assert_eq!(STATE.load(Ordering::Relaxed), 0);

        // A waiting exclusive taker (WAITING, as it leaves the state while
        // it spins) holds off new shared holders, and taking the lock clears
        // the flag.
        STATE.store(WAITING, Ordering::Relaxed);
        assert!(ForkLock::try_shared().is_none());
        drop(ForkLock::exclusive());
        assert_eq!(STATE.load(Ordering::Relaxed), 0);
        assert!(ForkLock::try_shared().is_some());
    }
}
