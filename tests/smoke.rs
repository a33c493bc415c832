use forkexec::{CStrArray, Command, Errno, ExitStatus, Slot, Step};

#[test]
fn echo_runs() {
    let mut argv = CStrArray::<4>::new();
    argv.push(c"sh")
        .unwrap()
        .push(c"-c")
        .unwrap()
        .push(c"exit 3")
        .unwrap();
    let child = Command::new(c"sh").args(&argv).spawn().unwrap();
    assert_eq!(child.wait().unwrap(), ExitStatus::Exited(3));
}

#[test]
fn chdir_fails() {
    let err = Command::new(c"/bin/true")
        .dir(c"/nonexistent")
        .spawn()
        .unwrap_err();
    assert_eq!((err.step(), err.errno()), (Step::Chdir, Errno::ENOENT));
    let err = Command::new(c"nonexistent-prog").spawn().unwrap_err();
    assert_eq!((err.step(), err.errno()), (Step::Path, Errno::ENOENT));
    let fds = [Slot::Fd(2), Slot::Fd(1), Slot::Fd(0)];
    let child = Command::new(c"/bin/true")
        .fds(&fds)
        .close_other_fds()
        .spawn()
        .unwrap();
    assert!(child.wait().unwrap().success());
}
