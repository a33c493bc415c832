//! The operating system backends. One of these is compiled in, picked from
//! this one list.

#[cfg(target_os = "linux")]
#[path = "linux/mod.rs"]
mod imp;

#[cfg(not(any(target_os = "linux")))]
compile_error!(
    "forkexec supports Linux, macOS, FreeBSD, OpenBSD and NetBSD; this OS is not one of them"
);

pub use imp::*;
