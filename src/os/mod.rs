//! The operating system backends. One of these is compiled in, picked from
//! this one list; each picks its generated `<arch>.rs` the same way.
//!
//! Every backend provides the same surface: the calls (`calls`, re-exported
//! here and as [`crate::raw`]) and the helpers the portable code needs
//! (`NSIG`, `NGROUPS_MAX`, `RawSigSet` and `bit`, the `TIOC*` requests,
//! `trace_me`, `reset_signal_handlers`, `set_sigmask`, `block`,
//! `pipe_cloexec`, `close_from`, `fd_limit`, `environ`).

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!("forkexec supports the x86_64 and aarch64 architectures; this one is neither");

#[cfg(target_os = "linux")]
#[path = "linux/mod.rs"]
mod imp;

#[cfg(target_os = "macos")]
#[path = "macos/mod.rs"]
mod imp;

#[cfg(target_os = "freebsd")]
#[path = "freebsd/mod.rs"]
mod imp;

#[cfg(target_os = "openbsd")]
#[path = "openbsd/mod.rs"]
mod imp;

#[cfg(target_os = "netbsd")]
#[path = "netbsd/mod.rs"]
mod imp;

#[cfg(not(any(
    target_os = "linux",
    target_os = "macos",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd"
)))]
compile_error!(
    "forkexec supports Linux, macOS, FreeBSD, OpenBSD and NetBSD; this OS is not one of them"
);

pub(crate) use imp::*;
