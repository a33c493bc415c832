//! `Command::close_other_fds`: no descriptor reaches the child unless the
//! map names it, whether the kernel closes them in one call (`close_range`)
//! or the child has to fall back to closing them one by one.
//!
//! The child is a shell that looks for each descriptor number in its own
//! descriptor directory (`/proc/<pid>/fd` on Linux, `/dev/fd` elsewhere) and
//! reports on its descriptor 3. Each check runs once without
//! `close_other_fds` too, where every stray descriptor must show up: that
//! proves the probe sees them, so a probe that saw nothing could not pass.

use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::Mutex;

use forkexec::{CStrArray, Command, Slot, Strategy};

/// The descriptor the probe writes its report to.
const REPORT_FD: RawFd = 3;

/// The probe: for each argument, `N open` or `N closed`, on descriptor 3.
/// It runs no other program, so the shell's own table is what is seen.
#[cfg(target_os = "linux")]
const PROBE: &std::ffi::CStr = c"for fd in \"$@\"; do
    if [ -e /proc/$$/fd/$fd ]; then echo \"$fd open\"; else echo \"$fd closed\"; fi
done >&3";
#[cfg(not(target_os = "linux"))]
const PROBE: &std::ffi::CStr = c"for fd in \"$@\"; do
    if [ -e /dev/fd/$fd ]; then echo \"$fd open\"; else echo \"$fd closed\"; fi
done >&3";

/// Serializes the tests of this file: each one plants descriptors that are
/// not close-on-exec, which a concurrent spawn would also pass on.
static SERIAL: Mutex<()> = Mutex::new(());

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

/// A descriptor of `/dev/null` at the lowest free number from `min` up,
/// not close-on-exec: the kind of stray descriptor that leaks into
/// children.
fn stray_at(min: RawFd) -> OwnedFd {
    let null = std::fs::File::open("/dev/null").unwrap();
    // SAFETY: F_DUPFD takes an int and returns a new descriptor, without
    // FD_CLOEXEC.
    let fd = unsafe { libc::fcntl(null.as_raw_fd(), libc::F_DUPFD, min) };
    assert!(
        fd >= min,
        "F_DUPFD {min}: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: `fd` is a new descriptor that nothing else owns.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// The soft limit on descriptors: the child's fallback loop closes the
/// numbers below it.
fn soft_fd_limit() -> RawFd {
    let mut rlim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `rlim` is a live rlimit.
    assert_eq!(
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rlim) },
        0
    );
    rlim.rlim_cur.min(RawFd::MAX as libc::rlim_t) as RawFd
}

/// Stray descriptors spread over the table: the lowest free number, one in
/// the middle, and the highest the soft limit allows (capped, so that a huge
/// limit does not make the kernel grow the table to match).
fn plant_strays() -> Vec<OwnedFd> {
    let top = soft_fd_limit().min(1 << 16) - 1;
    vec![stray_at(REPORT_FD + 1), stray_at(100), stray_at(top)]
}

/// Spawns the probe over `fds`, with descriptors 0-2 and the report
/// channel mapped, and returns its report as `(number, open)` pairs, in the
/// order of `fds`.
fn probe(fds: &[RawFd], close_other_fds: bool) -> Vec<(RawFd, bool)> {
    let numbers: Vec<std::ffi::CString> = fds
        .iter()
        .map(|fd| std::ffi::CString::new(fd.to_string()).unwrap())
        .collect();
    let mut argv = CStrArray::<16>::new();
    argv.push(c"sh")
        .unwrap()
        .push(c"-c")
        .unwrap()
        .push(PROBE)
        .unwrap()
        .push(c"sh")
        .unwrap();
    for number in &numbers {
        argv.push(number).unwrap();
    }

    let (mut reader, writer) = UnixStream::pair().unwrap();
    let map = [
        Slot::Fd(0),
        Slot::Fd(1),
        Slot::Fd(2),
        Slot::Fd(writer.as_raw_fd()),
    ];
    let mut cmd = Command::new(c"/bin/sh");
    cmd.args(&argv).fds(&map).strategy(strategy());
    if close_other_fds {
        cmd.close_other_fds();
    }
    let child = cmd.spawn().unwrap();
    drop(writer);
    let mut report = String::new();
    reader.read_to_string(&mut report).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "probe: {status:?}, report {report:?}");

    let parsed: Vec<(RawFd, bool)> = report
        .lines()
        .map(|line| match line.split_once(' ') {
            Some((fd, "open")) => (fd.parse().unwrap(), true),
            Some((fd, "closed")) => (fd.parse().unwrap(), false),
            _ => panic!("probe report line {line:?}"),
        })
        .collect();
    assert_eq!(parsed.len(), fds.len(), "probe report {report:?}");
    parsed
}

/// Spawns a probe over `strays` with and without `close_other_fds`: with
/// it every stray is closed; without it every stray is open, which shows
/// that the probe does see them.
fn check_strays_are_closed(strays: &[OwnedFd]) {
    let numbers: Vec<RawFd> = strays.iter().map(|fd| fd.as_raw_fd()).collect();

    let inherited = probe(&numbers, false);
    let open: Vec<(RawFd, bool)> = numbers.iter().map(|&fd| (fd, true)).collect();
    assert_eq!(
        inherited, open,
        "without close_other_fds the strays reach the child"
    );

    let closed = probe(&numbers, true);
    let want: Vec<(RawFd, bool)> = numbers.iter().map(|&fd| (fd, false)).collect();
    assert_eq!(
        closed, want,
        "with close_other_fds no stray reaches the child"
    );
}

#[test]
fn close_other_fds_closes_every_unmapped_descriptor() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let strays = plant_strays();
    check_strays_are_closed(&strays);
}

#[test]
fn close_other_fds_keeps_mapped_descriptors() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // The report channel sits at REPORT_FD in the child, so the probe's
    // report arriving at all shows the mapped slot survived; a stray planted
    // next to it must not.
    let strays = [stray_at(REPORT_FD + 1)];
    let numbers = [REPORT_FD, strays[0].as_raw_fd()];
    let report = probe(&numbers, true);
    assert_eq!(report, [(REPORT_FD, true), (numbers[1], false)]);
}

/// Linux only: `close_range` (Linux 5.9) is the fast way, and a seccomp
/// filter is how a test can take it away. The other systems' ways
/// (`closefrom`, the bounded loop) have no refusable variant to test.
#[cfg(target_os = "linux")]
#[test]
fn close_other_fds_falls_back_when_close_range_is_refused() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let strays = plant_strays();

    // A seccomp filter applies to the thread that installs it and to the
    // processes that thread starts, so it goes in a thread of its own and
    // the rest of the test binary is untouched.
    let outcome = std::thread::spawn(move || -> Result<(), String> {
        seccomp::refuse_close_range()?;
        // The filter is in force: close_range now fails with ENOSYS, as on a
        // kernel older than 5.9, in this thread and in every child of it.
        // SAFETY: close_range on a number that is not open closes nothing.
        let ret = unsafe { libc::syscall(libc::SYS_close_range, 1 << 20, 1 << 20, 0) };
        let errno = std::io::Error::last_os_error().raw_os_error();
        assert_eq!(
            (ret, errno),
            (-1, Some(libc::ENOSYS)),
            "close_range is refused"
        );

        check_strays_are_closed(&strays);
        Ok(())
    })
    .join()
    .unwrap();

    if let Err(why) = outcome {
        if std::env::var_os("CI").is_some_and(|v| v == "true") {
            panic!("cannot refuse close_range with seccomp: {why} (CI=true, so this fails)");
        }
        eprintln!("SKIPPED close_other_fds_falls_back_when_close_range_is_refused: {why}");
    }
}

#[cfg(target_os = "linux")]
mod seccomp {
    //! A six-instruction seccomp filter: `close_range` fails with `ENOSYS`,
    //! every other call (and every call of another architecture's ABI) is
    //! allowed. The layout is the kernel's, from `linux/seccomp.h`,
    //! `linux/filter.h` and `linux/audit.h`.

    use libc::{
        BPF_ABS, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_RET, BPF_W, SECCOMP_RET_ALLOW,
        SECCOMP_RET_ERRNO, sock_filter, sock_fprog,
    };

    /// `AUDIT_ARCH_*` of `linux/audit.h`: the ELF machine (`EM_X86_64` 62,
    /// `EM_AARCH64` 183) with `__AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE`.
    #[cfg(target_arch = "x86_64")]
    const AUDIT_ARCH: u32 = 0xC000_003E;
    #[cfg(target_arch = "aarch64")]
    const AUDIT_ARCH: u32 = 0xC000_00B7;

    /// Offsets in `struct seccomp_data`: `int nr`, then `__u32 arch`.
    const NR_OFFSET: u32 = 0;
    const ARCH_OFFSET: u32 = 4;

    const fn stmt(code: u32, k: u32) -> sock_filter {
        sock_filter {
            code: code as u16,
            jt: 0,
            jf: 0,
            k,
        }
    }

    const fn jump(code: u32, k: u32, jt: u8, jf: u8) -> sock_filter {
        sock_filter {
            code: code as u16,
            jt,
            jf,
            k,
        }
    }

    /// Installs the filter on the calling thread, with `no_new_privs` set
    /// as an unprivileged filter needs.
    pub fn refuse_close_range() -> Result<(), String> {
        let allow = stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        let mut program = [
            stmt(BPF_LD | BPF_W | BPF_ABS, ARCH_OFFSET),
            jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH, 0, 3),
            stmt(BPF_LD | BPF_W | BPF_ABS, NR_OFFSET),
            jump(
                BPF_JMP | BPF_JEQ | BPF_K,
                libc::SYS_close_range as u32,
                0,
                1,
            ),
            stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | libc::ENOSYS as u32),
            allow,
        ];
        let prog = sock_fprog {
            len: program.len() as u16,
            filter: program.as_mut_ptr(),
        };
        // SAFETY: PR_SET_NO_NEW_PRIVS takes integer arguments only.
        if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
            return Err(format!(
                "prctl(PR_SET_NO_NEW_PRIVS): {}",
                std::io::Error::last_os_error()
            ));
        }
        // SAFETY: `prog` points to `program`, live for the call; the kernel
        // copies the filter.
        let ret = unsafe {
            libc::prctl(
                libc::PR_SET_SECCOMP,
                libc::SECCOMP_MODE_FILTER as libc::c_ulong,
                &prog as *const sock_fprog,
            )
        };
        if ret != 0 {
            let error = std::io::Error::last_os_error();
            let why = if error.raw_os_error() == Some(libc::EINVAL) {
                " (a kernel without CONFIG_SECCOMP_FILTER, or an emulator such as \
                 qemu-user, which refuses filters)"
            } else {
                ""
            };
            return Err(format!("prctl(PR_SET_SECCOMP): {error}{why}"));
        }
        Ok(())
    }
}
