//! Exit codes and signals, decoded from real children.

mod common;

use std::thread::sleep;
use std::time::Duration;

use common::{Args, Reaper, sh, spawn};
use forkexec::{Command, Errno, ExitStatus};

/// A child that runs until it is killed.
fn sleeper() -> Reaper {
    let args = Args::new(["sleep", "60"]);
    let argv = args.array::<3>();
    Reaper(spawn(Command::new(c"/bin/sleep").args(&argv)).unwrap())
}

#[test]
fn exit_codes_from_0_to_255() {
    let codes = [0, 1, 2, 3, 42, 100, 125, 126, 127, 128, 129, 200, 254, 255];
    let scripts: Vec<Args> = codes.iter().map(|c| sh(&format!("exit {c}"))).collect();
    let arrays: Vec<_> = scripts.iter().map(|a| a.array::<4>()).collect();
    // Start them all, then wait for them all.
    let children: Vec<Reaper> = arrays
        .iter()
        .map(|argv| Reaper(spawn(Command::new(c"/bin/sh").args(argv)).unwrap()))
        .collect();
    for (code, child) in codes.iter().zip(&children) {
        let status = child.wait().unwrap();
        assert_eq!(status, ExitStatus::Exited(*code));
        assert_eq!(status.code(), Some(*code));
        assert_eq!(status.success(), *code == 0);
        assert_eq!(status.signal(), None);
    }
}

#[test]
fn a_code_above_255_is_taken_modulo_256() {
    let args = sh("exit 300");
    let argv = args.array::<4>();
    let child = spawn(Command::new(c"/bin/sh").args(&argv)).unwrap();
    assert_eq!(child.wait().unwrap(), ExitStatus::Exited(300 % 256));
}

#[test]
fn killed_by_sigkill() {
    let child = sleeper();
    child.kill(libc::SIGKILL).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(
        status,
        ExitStatus::Signaled {
            signal: libc::SIGKILL,
            core_dumped: false
        }
    );
    assert_eq!(status.signal(), Some(libc::SIGKILL));
    assert_eq!(status.code(), None);
    assert!(!status.success());
}

#[test]
fn killed_by_sigterm_without_a_core() {
    let child = sleeper();
    child.kill(libc::SIGTERM).unwrap();
    assert_eq!(
        child.wait().unwrap(),
        ExitStatus::Signaled {
            signal: libc::SIGTERM,
            core_dumped: false
        }
    );
}

#[test]
fn a_child_that_kills_itself() {
    let args = sh("kill -USR1 $$");
    let argv = args.array::<4>();
    let child = spawn(Command::new(c"/bin/sh").args(&argv)).unwrap();
    assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGUSR1));
}

#[test]
fn stopped_continued_and_killed() {
    let child = sleeper();
    child.kill(libc::SIGSTOP).unwrap();
    let status = child.wait_stopped().unwrap();
    assert_eq!(status, ExitStatus::Stopped(libc::SIGSTOP));
    assert_eq!(status.signal(), Some(libc::SIGSTOP));
    assert_eq!(status.code(), None);

    child.kill(libc::SIGCONT).unwrap();
    let status = child.wait_stopped().unwrap();
    assert_eq!(status, ExitStatus::Continued);
    assert_eq!(status.signal(), None);

    child.kill(libc::SIGKILL).unwrap();
    assert_eq!(child.wait_stopped().unwrap().signal(), Some(libc::SIGKILL));
}

#[test]
fn wait_does_not_return_for_a_stop() {
    // wait() reports only the end (or a ptrace stop), so a SIGSTOP followed
    // by SIGCONT and SIGKILL gives the kill.
    let child = sleeper();
    child.kill(libc::SIGSTOP).unwrap();
    assert_eq!(
        child.wait_stopped().unwrap(),
        ExitStatus::Stopped(libc::SIGSTOP)
    );
    child.kill(libc::SIGCONT).unwrap();
    child.kill(libc::SIGKILL).unwrap();
    assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGKILL));
}

#[test]
fn try_wait_is_none_while_running() {
    let child = sleeper();
    assert_eq!(child.try_wait().unwrap(), None);
    sleep(Duration::from_millis(20));
    assert_eq!(child.try_wait().unwrap(), None);
    child.kill(libc::SIGKILL).unwrap();
    // The status may take a moment to be there.
    let mut status = None;
    for _ in 0..500 {
        status = child.try_wait().unwrap();
        if status.is_some() {
            break;
        }
        sleep(Duration::from_millis(10));
    }
    assert_eq!(status.and_then(ExitStatus::signal), Some(libc::SIGKILL));
}

#[test]
fn a_reaped_child_cannot_be_waited_for_again() {
    let child = spawn(&Command::new(c"/bin/true")).unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(child.wait(), Err(Errno::ECHILD));
    assert_eq!(child.try_wait(), Err(Errno::ECHILD));
}

#[test]
fn killing_with_a_bad_signal_is_einval() {
    let child = sleeper();
    assert_eq!(child.kill(1000), Err(Errno::EINVAL));
}

#[test]
fn raw_status_words_decode() {
    // The encodings of Linux's wait(2) (bits/waitstatus.h): exit code in
    // bits 8-15; terminating signal in bits 0-6, core flag 0x80; stop
    // signal in bits 8-15 with 0x7f below; continued is 0xffff.
    assert_eq!(ExitStatus::from_raw(0), ExitStatus::Exited(0));
    assert_eq!(ExitStatus::from_raw(255 << 8), ExitStatus::Exited(255));
    assert_eq!(
        ExitStatus::from_raw(libc::SIGQUIT | 0x80),
        ExitStatus::Signaled {
            signal: libc::SIGQUIT,
            core_dumped: true
        }
    );
    assert_eq!(
        ExitStatus::from_raw(libc::SIGTERM),
        ExitStatus::Signaled {
            signal: libc::SIGTERM,
            core_dumped: false
        }
    );
    assert_eq!(
        ExitStatus::from_raw((libc::SIGTSTP << 8) | 0x7f),
        ExitStatus::Stopped(libc::SIGTSTP)
    );
    assert_eq!(ExitStatus::from_raw(0xffff), ExitStatus::Continued);
}
