//! A failed child must leave without running the parent's exit path: with
//! unflushed stdio buffers and an atexit handler registered, spawns whose
//! exec fails (and one that fails earlier, at chdir) must not flush the
//! buffers or run the handler; the parent's own exit does each once.

mod common;
mod hostile;

use std::io::Write;

use forkexec::{Command, Errno, Step};
use hostile::{in_subprocess, strategies, watchdog};

const C_STDIO_TEXT: &str = "unflushed C stdio text";
const RUST_STDOUT_TEXT: &str = "unflushed Rust stdout text";
const ATEXIT_TEXT: &str = "atexit handler ran";

extern "C" fn at_exit() {
    let line = format!("{ATEXIT_TEXT}\n");
    // SAFETY: a write of a live buffer to descriptor 1.
    unsafe { libc::write(1, line.as_ptr().cast(), line.len()) };
}

#[test]
fn failed_exec_runs_no_atexit_handler_and_flushes_no_stdio() {
    let Some(out) = in_subprocess(60, || {
        let _dog = watchdog(
            50,
            "failed_exec_runs_no_atexit_handler_and_flushes_no_stdio",
        );
        // SAFETY: the handler is an extern "C" fn that lives forever.
        assert_eq!(unsafe { libc::atexit(at_exit) }, 0);
        // Standard output is a pipe here, so C stdio buffers it fully, and
        // Rust's stdout keeps a line without its newline.
        let text = std::ffi::CString::new(C_STDIO_TEXT).unwrap();
        // SAFETY: `text` is a NUL-terminated string.
        assert!(unsafe { libc::puts(text.as_ptr()) } >= 0);
        print!("{RUST_STDOUT_TEXT}");

        for strategy in strategies() {
            for _ in 0..20 {
                let err = Command::new(c"/nonexistent/program")
                    .strategy(strategy)
                    .spawn()
                    .unwrap_err();
                assert_eq!((err.step(), err.errno()), (Step::Exec, Errno::ENOENT));
                let err = Command::new(c"/bin/true")
                    .dir(c"/nonexistent")
                    .strategy(strategy)
                    .spawn()
                    .unwrap_err();
                assert_eq!((err.step(), err.errno()), (Step::Chdir, Errno::ENOENT));
            }
        }
        hostile::assert_no_child_left();
        // The Rust text ends here, so the scenario's closing line starts
        // on a line of its own.
        println!();
        std::io::stdout().flush().unwrap();
    }) else {
        return;
    };
    for text in [C_STDIO_TEXT, RUST_STDOUT_TEXT, ATEXIT_TEXT] {
        assert_eq!(
            out.stdout.matches(text).count(),
            1,
            "`{text}` should appear once\n{}",
            out.stdout
        );
    }
}
