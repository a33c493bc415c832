//! The `std` feature: conversions into `std::io::Error`, descriptors of
//! `std::os::fd` in the map, and `ExitStatus` both ways with
//! `std::process::ExitStatus`, each checked against what the standard
//! library itself makes of the same errno or the same program.
//!
//! Built only with the feature (`cargo test --features std`); without it
//! the conversions do not exist and this file is empty.
#![cfg(feature = "std")]

use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::ExitStatusExt;
use std::process;

use forkexec::{CStrArray, Command, Errno, Error, ExitStatus, Slot, Step, Strategy};

/// The strategy the suite runs with, from `FORKEXEC_TEST_STRATEGY` (`fork`,
/// `vfork` or `auto`; default `auto`), so CI covers each.
fn strategy() -> Strategy {
    match std::env::var("FORKEXEC_TEST_STRATEGY").as_deref() {
        Err(std::env::VarError::NotPresent) | Ok("") | Ok("auto") => Strategy::Auto,
        Ok("fork") => Strategy::Fork,
        Ok("vfork") => Strategy::Vfork,
        other => panic!("FORKEXEC_TEST_STRATEGY must be fork, vfork or auto, not {other:?}"),
    }
}

/// Runs `sh -c script` with forkexec and waits for it.
fn sh(script: &std::ffi::CStr) -> ExitStatus {
    let mut argv = CStrArray::<4>::new();
    argv.push(c"sh")
        .unwrap()
        .push(c"-c")
        .unwrap()
        .push(script)
        .unwrap();
    let child = Command::new(c"/bin/sh")
        .args(&argv)
        .strategy(strategy())
        .spawn()
        .unwrap();
    child.wait().unwrap()
}

/// Runs `sh -c script` with the standard library and waits for it.
fn std_sh(script: &str) -> process::ExitStatus {
    process::Command::new("/bin/sh")
        .args(["-c", script])
        .status()
        .unwrap()
}

#[test]
fn errno_converts_to_the_io_error_std_makes_for_it() {
    let ours = Command::new(c"/nonexistent/program")
        .strategy(strategy())
        .spawn()
        .unwrap_err();
    assert_eq!((ours.step(), ours.errno()), (Step::Exec, Errno::ENOENT));
    // What std makes of the same failure of the same system call. (Not
    // std's own spawn: under qemu-user its exec failure shows up only after
    // it has returned.)
    let std_error = std::fs::File::open("/nonexistent/program").unwrap_err();

    let converted = io::Error::from(ours.errno());
    assert_eq!(converted.raw_os_error(), std_error.raw_os_error());
    assert_eq!(converted.kind(), std_error.kind());
    assert_eq!(converted.to_string(), std_error.to_string());
}

#[test]
fn error_converts_keeping_the_step() {
    let error = Command::new(c"/bin/true")
        .dir(c"/nonexistent")
        .strategy(strategy())
        .spawn()
        .unwrap_err();
    let converted = io::Error::from(error);

    assert_eq!(converted.kind(), io::ErrorKind::NotFound);
    assert_eq!(converted.to_string(), error.to_string());
    assert_eq!(converted.raw_os_error(), None);
    let inner = converted
        .get_ref()
        .and_then(|e| e.downcast_ref::<Error>())
        .expect("the forkexec error is the io::Error's inner error");
    assert_eq!(*inner, error);

    let denied = io::Error::from(Error::new(Step::Exec, Errno::EACCES));
    assert_eq!(denied.kind(), io::ErrorKind::PermissionDenied);
}

#[test]
fn question_mark_turns_a_spawn_error_into_io_error() {
    fn spawn_in(dir: &std::ffi::CStr) -> io::Result<ExitStatus> {
        let child = Command::new(c"/bin/true")
            .dir(dir)
            .strategy(strategy())
            .spawn()?;
        Ok(child.wait()?)
    }
    assert_eq!(spawn_in(c"/").unwrap(), ExitStatus::Exited(0));
    let error = spawn_in(c"/nonexistent").unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::NotFound);
    assert!(error.to_string().starts_with("chdir: ENOENT"), "{error}");
}

#[test]
fn std_descriptors_fill_the_map() {
    let (mut out_reader, out_writer) = UnixStream::pair().unwrap();
    let (mut err_reader, err_writer) = UnixStream::pair().unwrap();
    let err_owned = OwnedFd::from(err_writer);
    let (mut extra_reader, extra_writer) = UnixStream::pair().unwrap();

    let mut argv = CStrArray::<4>::new();
    argv.push(c"sh")
        .unwrap()
        .push(c"-c")
        .unwrap()
        .push(c"echo out; echo err >&2; echo extra >&3")
        .unwrap();
    let fds = [
        Slot::Closed,
        Slot::from(&out_writer),          // &UnixStream
        Slot::from(&err_owned),           // &OwnedFd
        Slot::from(extra_writer.as_fd()), // BorrowedFd
    ];
    assert_eq!(fds[1], Slot::Fd(out_writer.as_raw_fd()));
    assert_eq!(fds[2], Slot::Fd(err_owned.as_raw_fd()));
    assert_eq!(fds[3], Slot::Fd(extra_writer.as_raw_fd()));

    let child = Command::new(c"/bin/sh")
        .args(&argv)
        .fds(&fds)
        .strategy(strategy())
        .spawn()
        .unwrap();
    drop((out_writer, err_owned, extra_writer));
    let read = |reader: &mut UnixStream| {
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        text
    };
    assert_eq!(read(&mut out_reader), "out\n");
    assert_eq!(read(&mut err_reader), "err\n");
    assert_eq!(read(&mut extra_reader), "extra\n");
    assert_eq!(child.wait().unwrap(), ExitStatus::Exited(0));
}

#[test]
fn a_slot_whose_descriptor_was_closed_fails_with_ebadf() {
    let (a, _b) = UnixStream::pair().unwrap();
    // A number far above the ones the test harness's threads get, so that
    // nothing reuses it between the close and the spawn.
    // SAFETY: F_DUPFD_CLOEXEC takes an int and returns a new descriptor.
    let high = unsafe { libc::fcntl(a.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 700) };
    assert!(
        high >= 700,
        "F_DUPFD_CLOEXEC: {}",
        io::Error::last_os_error()
    );
    // SAFETY: `high` is a new descriptor that nothing else owns.
    let owned = unsafe { OwnedFd::from_raw_fd(high) };
    let fds = [Slot::Fd(0), Slot::Fd(1), Slot::Fd(2), Slot::from(&owned)];
    drop(owned);

    let error = Command::new(c"/bin/true")
        .fds(&fds)
        .strategy(strategy())
        .spawn()
        .unwrap_err();
    assert_eq!((error.step(), error.errno()), (Step::Fd, Errno::EBADF));
}

#[test]
fn exit_status_matches_std_for_exit_and_signal() {
    for script in [
        c"exit 0",
        c"exit 3",
        c"exit 255",
        c"kill -9 $$",
        c"kill -TERM $$",
    ] {
        let ours = sh(script);
        let std_status = std_sh(script.to_str().unwrap());
        let converted = process::ExitStatus::from(ours);
        assert_eq!(converted, std_status, "{script:?}: {ours:?}");
        assert_eq!(converted.code(), std_status.code());
        assert_eq!(converted.signal(), std_status.signal());
        assert_eq!(ExitStatus::from(std_status), ours, "{script:?}");
    }
}

#[test]
fn exit_status_matches_std_for_stop_and_continue() {
    let mut argv = CStrArray::<4>::new();
    argv.push(c"sleep").unwrap().push(c"30").unwrap();
    let child = Command::new(c"/bin/sleep")
        .args(&argv)
        .strategy(strategy())
        .spawn()
        .unwrap();

    child.kill(libc::SIGSTOP).unwrap();
    let stopped = child.wait_stopped().unwrap();
    assert_eq!(stopped, ExitStatus::Stopped(libc::SIGSTOP));
    let converted = process::ExitStatus::from(stopped);
    assert_eq!(converted.stopped_signal(), Some(libc::SIGSTOP));
    assert_eq!(converted.code(), None);
    assert_eq!(ExitStatus::from(converted), stopped);

    child.kill(libc::SIGCONT).unwrap();
    let continued = child.wait_stopped().unwrap();
    assert_eq!(continued, ExitStatus::Continued);
    let converted = process::ExitStatus::from(continued);
    assert!(converted.continued());
    assert_eq!(ExitStatus::from(converted), continued);

    child.kill(libc::SIGKILL).unwrap();
    let killed = child.wait().unwrap();
    assert_eq!(
        process::ExitStatus::from(killed).signal(),
        Some(libc::SIGKILL)
    );
}

#[test]
fn core_dump_flag_survives_the_conversion() {
    let status = ExitStatus::Signaled {
        signal: libc::SIGSEGV,
        core_dumped: true,
    };
    let converted = process::ExitStatus::from(status);
    assert_eq!(converted.signal(), Some(libc::SIGSEGV));
    assert!(converted.core_dumped());
    assert_eq!(ExitStatus::from(converted), status);
}
