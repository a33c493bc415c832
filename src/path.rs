//! Finding the program: a name without `/` is looked up in `PATH`, in the
//! parent, without allocating.

use core::ffi::CStr;

use libc::{c_char, c_int};

use crate::command::Command;
use crate::os;
use crate::{Errno, Error, Step};

/// Longest path, terminating NUL included (`PATH_MAX` in `limits.h` on
/// Linux and the BSDs is 1024 or 4096; the larger one is used).
pub(crate) const PATH_MAX: usize = 4096;

/// Used when the parent's environment has no `PATH`, as musl and the BSDs do.
const DEFAULT_PATH: &[u8] = b"/usr/local/bin:/bin:/usr/bin";

/// The program's path for `execve`: `cmd.program` itself when it contains a
/// `/`; otherwise the first match in `PATH`, written into `buf`.
///
/// The lookup follows `execvp`: an entry where the name does not exist is
/// skipped; one where it exists but cannot be executed is remembered and
/// skipped, and reported as `EACCES` when nothing better is found; any other
/// error ends the search. An empty entry means the working directory.
///
/// The check is made where the child will look: below `cmd.chroot`, and for
/// a relative entry, below `cmd.dir`.
pub(crate) fn resolve(cmd: &Command<'_>, buf: &mut [u8; PATH_MAX]) -> Result<*const c_char, Error> {
    let name = cmd.program.to_bytes();
    if name.is_empty() {
        return Err(Error::new(Step::Path, Errno::ENOENT));
    }
    if name.contains(&b'/') {
        return Ok(cmd.program.as_ptr());
    }
    if name.len() > 255 {
        return Err(Error::new(Step::Path, Errno::ENAMETOOLONG));
    }

    let search = path_variable().unwrap_or(DEFAULT_PATH);
    let mut denied = false;
    for entry in search.split(|&b| b == b':') {
        let Some(start) = join(buf, cmd, entry, name) else {
            continue;
        };
        // SAFETY: `join` wrote a NUL-terminated path into `buf`.
        let check = unsafe { CStr::from_ptr(buf.as_ptr().cast()) };
        match executable(check) {
            Ok(()) => return Ok(buf[start..].as_ptr().cast()),
            Err(Errno::ENOENT | Errno::ENOTDIR) => {}
            Err(Errno::EACCES) => denied = true,
            Err(errno) => return Err(Error::new(Step::Path, errno)),
        }
    }
    let errno = if denied { Errno::EACCES } else { Errno::ENOENT };
    Err(Error::new(Step::Path, errno))
}

/// Writes `[chroot]/[dir/]entry/name` into `buf` and returns where the part
/// the child execs (`entry/name`) starts; `None` when it does not fit.
fn join(buf: &mut [u8; PATH_MAX], cmd: &Command<'_>, entry: &[u8], name: &[u8]) -> Option<usize> {
    let mut w = Writer { buf, len: 0 };
    if let Some(root) = cmd.chroot {
        w.push(root.to_bytes())?;
        w.push(b"/")?;
    }
    let relative = entry.first() != Some(&b'/');
    if relative {
        if let Some(dir) = cmd.dir {
            w.push(dir.to_bytes())?;
            w.push(b"/")?;
        }
    }
    let start = w.len;
    if entry.is_empty() {
        w.push(b".")?;
    } else {
        w.push(entry)?;
    }
    w.push(b"/")?;
    w.push(name)?;
    w.push(b"\0")?;
    Some(start)
}

struct Writer<'b> {
    buf: &'b mut [u8; PATH_MAX],
    len: usize,
}

impl Writer<'_> {
    fn push(&mut self, bytes: &[u8]) -> Option<()> {
        let end = self.len.checked_add(bytes.len())?;
        self.buf.get_mut(self.len..end)?.copy_from_slice(bytes);
        self.len = end;
        Some(())
    }
}

/// Whether `path` names a regular file the caller may execute.
fn executable(path: &CStr) -> Result<(), Errno> {
    // SAFETY: an all-zero `stat` is a valid value of a plain C struct.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    // SAFETY: `path` is NUL-terminated and `st` is a live `stat`.
    unsafe { os::fstatat(libc::AT_FDCWD, path.as_ptr(), &mut st, 0) }?;
    if st.st_mode & libc::S_IFMT != libc::S_IFREG {
        return Err(Errno::EACCES);
    }
    // SAFETY: `path` is NUL-terminated.
    unsafe { os::faccessat(libc::AT_FDCWD, path.as_ptr(), libc::X_OK as c_int) }
}

/// The value of `PATH` in the parent's environment.
fn path_variable() -> Option<&'static [u8]> {
    let mut envp = os::environ();
    if envp.is_null() {
        return None;
    }
    loop {
        // SAFETY: `environ` is a NUL-terminated array of C strings.
        let entry = unsafe { *envp };
        if entry.is_null() {
            return None;
        }
        // SAFETY: each entry is a NUL-terminated string.
        let bytes = unsafe { CStr::from_ptr(entry) }.to_bytes();
        if let Some(value) = bytes.strip_prefix(b"PATH=") {
            return Some(value);
        }
        // SAFETY: the array goes on up to its null terminator.
        envp = unsafe { envp.add(1) };
    }
}
