//! `nostd [fork|vfork|auto]` — starts `/bin/echo hello` and waits for it,
//! without the standard library and without any allocator.
//!
//! This is the proof that forkexec needs neither: the program is
//! `#![no_std]` and `#![no_main]`, links only libc (for `environ` and the C
//! runtime that calls `main`), has no `#[global_allocator]` and no `alloc`
//! crate. It exits with 0 when echo succeeded, 1 otherwise, after one line
//! on standard error saying what failed.
#![no_std]
#![no_main]

use core::ffi::{CStr, c_char, c_int};
use core::fmt::Write;

use forkexec::{CStrArray, Child, Command, Error, Strategy};

/// Standard error, written with no buffer and no allocation.
struct Stderr;

impl Write for Stderr {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let mut rest = s.as_bytes();
        while !rest.is_empty() {
            // SAFETY: `rest` is a live buffer of the length given.
            let n = unsafe { libc::write(2, rest.as_ptr().cast(), rest.len()) };
            if n <= 0 {
                return Err(core::fmt::Error);
            }
            rest = &rest[n as usize..];
        }
        Ok(())
    }
}

/// The strategy named by the first argument, if any.
fn strategy(argc: c_int, argv: *const *const c_char) -> Option<Strategy> {
    if argc < 2 {
        return Some(Strategy::Auto);
    }
    // SAFETY: the C runtime passes `argc` valid NUL-terminated strings.
    let arg = unsafe { CStr::from_ptr(*argv.add(1)) };
    match arg.to_bytes() {
        b"auto" => Some(Strategy::Auto),
        b"fork" => Some(Strategy::Fork),
        b"vfork" => Some(Strategy::Vfork),
        _ => None,
    }
}

fn spawn_echo(strategy: Strategy) -> Result<Child, Error> {
    let mut argv = CStrArray::<3>::new();
    argv.push(c"echo")?.push(c"hello")?;
    Command::new(c"/bin/echo")
        .args(&argv)
        .strategy(strategy)
        .spawn()
}

/// The C entry point, called by the C runtime's start code.
#[unsafe(no_mangle)]
extern "C" fn main(argc: c_int, argv: *const *const c_char) -> c_int {
    let Some(strategy) = strategy(argc, argv) else {
        let _ = writeln!(Stderr, "usage: nostd [fork|vfork|auto]");
        return 2;
    };
    let child = match spawn_echo(strategy) {
        Ok(child) => child,
        Err(e) => {
            let _ = writeln!(Stderr, "nostd: {e}");
            return 1;
        }
    };
    match child.wait() {
        Ok(status) if status.success() => 0,
        Ok(status) => {
            let _ = writeln!(Stderr, "nostd: echo ended with {status:?}");
            1
        }
        Err(errno) => {
            let _ = writeln!(Stderr, "nostd: wait: {errno}");
            1
        }
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    // SAFETY: abort takes no argument and does not return.
    unsafe { libc::abort() }
}
