//! The bindings spec, `xtask/spec/calls.toml`: every entry point forkexec
//! binds, and how each backend reaches it.
//!
//! `gen` turns it into source files; checks that look at built objects can
//! load it too, to know which symbols are child-allowed on which OS
//! ([`Spec::resolve`] gives the binding as one backend sees it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Where the spec lives, relative to the workspace root.
pub const SPEC_PATH: &str = "xtask/spec/calls.toml";

/// The backends a call may name.
pub const BACKENDS: [&str; 6] = [
    "freebsd",
    "linux",
    "linux_libc",
    "macos",
    "netbsd",
    "openbsd",
];

/// The architectures a backend may have files for.
pub const ARCHS: [&str; 2] = ["aarch64", "x86_64"];

/// The C library's entry that makes a system call by number,
/// `long syscall(long number, ...)` (`syscall(2)`): the symbol a call with
/// a `syscall` binding reaches.
pub const SYSCALL_SYMBOL: &str = "syscall";

/// The whole spec.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Backends by name (`linux`, `linux_libc`, `macos`, ...), sorted.
    pub backend: BTreeMap<String, Backend>,
    /// Entry points, sorted by name.
    pub call: Vec<Call>,
}

/// How a backend makes its calls.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Raw Linux system calls through `sc`.
    Syscall,
    /// `extern "C"` bindings to the system's C library.
    Libc,
}

/// One set of generated files.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backend {
    pub kind: Kind,
    pub title: String,
    pub dir: String,
    pub archs: Vec<String>,
    #[serde(default)]
    pub library: Option<String>,
    #[serde(default)]
    pub errno: Option<String>,
    /// (libc) Present when some child calls are made through the C
    /// library's `syscall` entry; says why.
    #[serde(default)]
    pub syscall: Option<SyscallEntry>,
}

/// A libc backend's use of the C library's `syscall` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyscallEntry {
    /// Why the calls that name it do not go through their own wrappers.
    pub why: String,
}

/// One entry point, as written in the spec.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Call {
    pub name: String,
    pub doc: String,
    pub safety: String,
    pub args: Vec<String>,
    pub ret: String,
    #[serde(default)]
    pub infallible: bool,
    #[serde(default)]
    pub variadic_after: Option<usize>,
    pub child: bool,
    #[serde(default)]
    pub linux: Option<Binding>,
    #[serde(default)]
    pub linux_libc: Option<Binding>,
    #[serde(default)]
    pub macos: Option<Binding>,
    #[serde(default)]
    pub freebsd: Option<Binding>,
    #[serde(default)]
    pub openbsd: Option<Binding>,
    #[serde(default)]
    pub netbsd: Option<Binding>,
}

/// A backend's way of making a call, with its overrides.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct Binding {
    #[serde(default)]
    pub symbol: Option<String>,
    #[serde(default)]
    pub syscall: Option<String>,
    #[serde(default)]
    pub call: Option<String>,
    #[serde(default)]
    pub args: Option<Vec<String>>,
    #[serde(default)]
    pub ret: Option<String>,
    #[serde(default)]
    pub variadic_after: Option<usize>,
    #[serde(default)]
    pub doc: Option<String>,
    #[serde(default)]
    pub safety: Option<String>,
    #[serde(default)]
    pub why: Option<String>,
    #[serde(default)]
    pub guard: Option<Guard>,
    #[serde(default)]
    pub arch: BTreeMap<String, Binding>,
}

/// A special case of a system call: when `when` holds, `call` is made
/// instead and `value` returned on success.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Guard {
    pub when: String,
    pub call: String,
    pub value: String,
}

/// One argument: its name and Rust type.
#[derive(Debug, Clone)]
pub struct Arg {
    pub name: String,
    pub ty: String,
}

/// What a call returns, and how failure shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ret {
    /// 0 on success, -1 and errno on failure: `Result<(), Errno>`.
    Unit,
    /// Never returns.
    Never,
    /// Returns only on failure, with errno: `Errno`.
    Errno,
    /// A byte count, `ssize_t` in C: `Result<usize, Errno>`.
    Size,
    /// A value of this type, -1 on failure (or never failing when the call
    /// is infallible).
    Value(String),
}

/// A call as one backend on one arch makes it, overrides applied.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub name: String,
    pub doc: String,
    pub safety: String,
    pub args: Vec<Arg>,
    pub ret: Ret,
    pub infallible: bool,
    /// `Some(n)`: C-variadic after the first `n` arguments.
    pub variadic_after: Option<usize>,
    pub child: bool,
    /// The C symbol (libc backends): [`SYSCALL_SYMBOL`] when the call is
    /// made through it.
    pub symbol: String,
    /// (libc, child) The `libc` crate's `SYS_*` constant when the call is
    /// made by number through the C library's `syscall` entry.
    pub syscall: Option<String>,
    /// The `libc` crate call (libc, parent only) or the system call
    /// (syscall backend).
    pub call: String,
    pub why: Option<String>,
    pub guard: Option<Guard>,
}

impl Spec {
    /// Reads and checks the spec at `root`/[`SPEC_PATH`].
    pub fn load(root: &Path) -> Result<Spec, String> {
        let path = root.join(SPEC_PATH);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Spec::parse(&text)
    }

    /// Reads and checks a spec from its text.
    pub fn parse(text: &str) -> Result<Spec, String> {
        let spec: Spec = toml::from_str(text).map_err(|e| format!("{SPEC_PATH}: {e}"))?;
        spec.validate()?;
        Ok(spec)
    }

    fn validate(&self) -> Result<(), String> {
        for pair in self.call.windows(2) {
            if pair[0].name >= pair[1].name {
                return Err(format!(
                    "{SPEC_PATH}: calls must be sorted by name, with no repeats: `{}` before `{}`",
                    pair[0].name, pair[1].name
                ));
            }
        }
        for (name, backend) in &self.backend {
            if !BACKENDS.contains(&name.as_str()) {
                return Err(format!("{SPEC_PATH}: unknown backend `{name}`"));
            }
            for arch in &backend.archs {
                if !ARCHS.contains(&arch.as_str()) {
                    return Err(format!(
                        "{SPEC_PATH}: backend `{name}`: unknown arch `{arch}`"
                    ));
                }
            }
            if backend.kind == Kind::Libc && backend.errno.is_none() {
                return Err(format!("{SPEC_PATH}: libc backend `{name}` needs `errno`"));
            }
            if backend.kind != Kind::Libc && backend.syscall.is_some() {
                return Err(format!(
                    "{SPEC_PATH}: backend `{name}`: `syscall` is for libc backends"
                ));
            }
        }
        for (name, backend) in &self.backend {
            for arch in &backend.archs {
                let calls = self.calls_of(name, arch)?;
                for call in &calls {
                    check_resolved(call, backend, name)?;
                }
                let through_syscall = calls.iter().any(|c| c.syscall.is_some());
                // The entry's `why` is about the child's calls.
                let child_through_syscall = calls.iter().any(|c| c.child && c.syscall.is_some());
                if backend.syscall.is_some() && !child_through_syscall {
                    return Err(format!(
                        "{SPEC_PATH}: backend `{name}` gives `syscall`, but no child call on {arch} is made through it"
                    ));
                }
                if through_syscall && calls.iter().any(|c| c.name == SYSCALL_SYMBOL) {
                    return Err(format!(
                        "{SPEC_PATH}: backend `{name}`: a call named `{SYSCALL_SYMBOL}` would clash with the entry other calls are made through"
                    ));
                }
            }
        }
        Ok(())
    }

    /// `call` as backend `backend` makes it on `arch`, or `None` when the
    /// backend does not have it.
    pub fn resolve(
        &self,
        call: &Call,
        backend: &str,
        arch: &str,
    ) -> Result<Option<Resolved>, String> {
        let Some(binding) = call.binding_of(backend) else {
            return Ok(None);
        };
        let kind = self.backend[backend].kind;
        for key in binding.arch.keys() {
            if !ARCHS.contains(&key.as_str()) {
                return Err(format!(
                    "{SPEC_PATH}: `{}`: unknown arch `{key}`",
                    call.name
                ));
            }
        }
        let arch_binding = binding.arch.get(arch);
        let pick =
            |f: fn(&Binding) -> Option<String>| arch_binding.and_then(f).or_else(|| f(binding));
        let arg_strings = arch_binding
            .and_then(|b| b.args.clone())
            .or_else(|| binding.args.clone())
            .unwrap_or_else(|| call.args.clone());
        let args = arg_strings
            .iter()
            .map(|a| parse_arg(a).map_err(|e| format!("{SPEC_PATH}: `{}`: {e}", call.name)))
            .collect::<Result<Vec<_>, _>>()?;
        let ret_string = pick(|b| b.ret.clone()).unwrap_or_else(|| call.ret.clone());
        let ret = match ret_string.as_str() {
            "()" => Ret::Unit,
            "!" => Ret::Never,
            "Errno" => Ret::Errno,
            "usize" => Ret::Size,
            other => Ret::Value(other.to_string()),
        };
        let variadic_after = arch_binding
            .and_then(|b| b.variadic_after)
            .or(binding.variadic_after)
            .or(call.variadic_after);
        let arg_names = args
            .iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let symbol = pick(|b| b.symbol.clone());
        let syscall = pick(|b| b.syscall.clone());
        if syscall.is_some() && symbol.is_some() {
            return Err(format!(
                "{SPEC_PATH}: `{}` on `{backend}`: give `symbol` or `syscall`, not both",
                call.name
            ));
        }
        let default_call = match kind {
            Kind::Syscall => format!("{}({arg_names})", call.name.to_uppercase()),
            Kind::Libc => format!("{}({arg_names})", call.name),
        };
        Ok(Some(Resolved {
            name: call.name.clone(),
            doc: pick(|b| b.doc.clone()).unwrap_or_else(|| call.doc.clone()),
            safety: pick(|b| b.safety.clone()).unwrap_or_else(|| call.safety.clone()),
            args,
            ret,
            infallible: call.infallible,
            variadic_after,
            child: call.child,
            symbol: match &syscall {
                Some(_) => SYSCALL_SYMBOL.to_string(),
                None => symbol.unwrap_or_else(|| call.name.clone()),
            },
            syscall,
            call: pick(|b| b.call.clone()).unwrap_or(default_call),
            why: pick(|b| b.why.clone()),
            guard: arch_binding
                .and_then(|b| b.guard.clone())
                .or_else(|| binding.guard.clone()),
        }))
    }

    /// Every call that `backend` has on `arch`, in spec order.
    pub fn calls_of(&self, backend: &str, arch: &str) -> Result<Vec<Resolved>, String> {
        let mut out = Vec::new();
        for call in &self.call {
            if let Some(resolved) = self.resolve(call, backend, arch)? {
                out.push(resolved);
            }
        }
        Ok(out)
    }

    /// The generated file of `backend` on `arch`, relative to the root.
    pub fn file_of(&self, backend: &str, arch: &str) -> PathBuf {
        Path::new(&self.backend[backend].dir).join(format!("{arch}.rs"))
    }
}

impl Resolved {
    /// Whether the C function this call reaches is C-variadic: declared
    /// with `...` in the spec, or the `syscall` entry.
    pub fn c_variadic(&self) -> bool {
        self.variadic_after.is_some() || self.syscall.is_some()
    }
}

impl Call {
    /// The binding written for `backend`, if any.
    pub fn binding_of(&self, backend: &str) -> Option<&Binding> {
        match backend {
            "linux" => self.linux.as_ref(),
            "linux_libc" => self.linux_libc.as_ref(),
            "macos" => self.macos.as_ref(),
            "freebsd" => self.freebsd.as_ref(),
            "openbsd" => self.openbsd.as_ref(),
            "netbsd" => self.netbsd.as_ref(),
            _ => None,
        }
    }
}

fn parse_arg(text: &str) -> Result<Arg, String> {
    let (name, ty) = text
        .split_once(':')
        .ok_or_else(|| format!("argument `{text}` is not `name: type`"))?;
    let name = name.trim();
    let ty = ty.trim();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("argument `{text}`: bad name"));
    }
    if ty.is_empty() {
        return Err(format!("argument `{text}`: no type"));
    }
    Ok(Arg {
        name: name.to_string(),
        ty: ty.to_string(),
    })
}

fn check_resolved(call: &Resolved, info: &Backend, backend: &str) -> Result<(), String> {
    let kind = info.kind;
    let at = format!("{SPEC_PATH}: `{}` on `{backend}`", call.name);
    if call.doc.trim().is_empty() || call.safety.trim().is_empty() {
        return Err(format!("{at}: needs a doc line and safety text"));
    }
    if let Some(n) = call.variadic_after
        && (n == 0 || n >= call.args.len())
    {
        return Err(format!(
            "{at}: variadic_after must leave fixed and variadic arguments"
        ));
    }
    if call.infallible && !matches!(call.ret, Ret::Value(_)) {
        return Err(format!("{at}: an infallible call must return a value"));
    }
    if call.guard.is_some() && kind != Kind::Syscall {
        return Err(format!("{at}: a guard is for system calls only"));
    }
    if kind == Kind::Libc && call.child && call.call != default_libc_call(call) {
        return Err(format!(
            "{at}: a child-allowed call goes through the table: give `symbol` or `syscall`, not `call`"
        ));
    }
    if let Some(number) = &call.syscall {
        check_syscall(call, number, info).map_err(|e| format!("{at}: {e}"))?;
    }
    Ok(())
}

/// The rules of a call made through the C library's `syscall` entry.
fn check_syscall(call: &Resolved, number: &str, info: &Backend) -> Result<(), String> {
    if info.kind != Kind::Libc {
        return Err("`syscall` is for libc backends; a raw backend gives `call`".into());
    }
    if info.syscall.is_none() {
        return Err("`syscall` needs the backend's `syscall = { why = ... }`".into());
    }
    if !call.child && call.why.is_none() {
        return Err(
            "a parent-only call made through `syscall` gives `why`: the reason it does not use its own wrapper"
                .into(),
        );
    }
    let name_ok = number.strip_prefix("SYS_").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    });
    if !name_ok {
        return Err(format!(
            "`syscall = \"{number}\"` is not a `libc` crate `SYS_*` constant name"
        ));
    }
    if call.variadic_after.is_some() {
        return Err(
            "a call made through `syscall` passes every argument through `...`: drop `variadic_after`"
                .into(),
        );
    }
    if call.ret == Ret::Never {
        return Err(
            "`syscall` returns: a call that never returns cannot be made through it".into(),
        );
    }
    Ok(())
}

fn default_libc_call(call: &Resolved) -> String {
    let names = call
        .args
        .iter()
        .map(|a| a.name.as_str())
        .collect::<Vec<_>>();
    format!("{}({})", call.name, names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Spec {
        Spec::load(&crate::generate::workspace_root()).expect("the spec loads")
    }

    /// The calls a fork-for-exec child needs (DESIGN.md's sixteen, with the
    /// fork itself), present and child-allowed on every backend and arch.
    #[test]
    fn every_backend_has_the_child_calls() {
        const CHILD: [&str; 17] = [
            "chdir",
            "chroot",
            "close",
            "dup2",
            "execve",
            "exit",
            "fcntl",
            "fork",
            "getpid",
            "ioctl",
            "ptrace",
            "setgid",
            "setgroups",
            "setpgid",
            "setsid",
            "setuid",
            "write",
        ];
        let spec = spec();
        for (name, backend) in &spec.backend {
            for arch in &backend.archs {
                let calls = spec.calls_of(name, arch).unwrap();
                for want in CHILD {
                    let call = calls.iter().find(|c| c.name == want);
                    assert!(
                        call.is_some_and(|c| c.child),
                        "{name}/{arch}: `{want}` is missing or not child-allowed"
                    );
                }
            }
        }
    }

    /// The libc entry points that run atfork or atexit handlers are never
    /// bound, and the parent-only calls are never marked child-allowed.
    #[test]
    fn libc_backends_bind_no_handler_running_entry() {
        let spec = spec();
        for (name, backend) in &spec.backend {
            if backend.kind != Kind::Libc {
                continue;
            }
            for arch in &backend.archs {
                for call in spec.calls_of(name, arch).unwrap() {
                    assert!(
                        !["fork", "vfork", "exit"].contains(&call.symbol.as_str()),
                        "{name}/{arch}: `{}` binds `{}`",
                        call.name,
                        call.symbol
                    );
                    if ["read", "wait4", "kill", "faccessat", "fstatat"]
                        .contains(&call.name.as_str())
                    {
                        assert!(!call.child, "{name}/{arch}: `{}` is parent-only", call.name);
                    }
                }
            }
        }
    }

    /// The set-id calls of the C library change every thread's ids and wait
    /// for threads that a forked child does not have: on Linux's libc
    /// flavour the child makes them through the `syscall` entry, declared
    /// C-variadic, and never binds the wrappers themselves.
    #[test]
    fn linux_libc_makes_the_set_id_calls_through_syscall() {
        const SET_ID: [(&str, &str); 3] = [
            ("setgid", "SYS_setgid"),
            ("setgroups", "SYS_setgroups"),
            ("setuid", "SYS_setuid"),
        ];
        let spec = spec();
        for arch in &spec.backend["linux_libc"].archs {
            let calls = spec.calls_of("linux_libc", arch).unwrap();
            for (name, number) in SET_ID {
                let call = calls.iter().find(|c| c.name == name).unwrap();
                assert_eq!(call.syscall.as_deref(), Some(number), "{arch}: {name}");
                assert_eq!(call.symbol, SYSCALL_SYMBOL, "{arch}: {name}");
                assert!(call.child && call.c_variadic(), "{arch}: {name}");
            }
            for call in calls.iter().filter(|c| c.child) {
                assert!(
                    !SET_ID.iter().any(|(name, _)| call.symbol == *name),
                    "{arch}: `{}` binds `{}`",
                    call.name,
                    call.symbol
                );
            }
        }
    }

    /// The generated file declares the `syscall` entry once, C-variadic,
    /// with the reason above it, fills one table slot from it, and passes
    /// the number and each argument as a `long`.
    #[test]
    fn the_syscall_entry_is_one_variadic_table_slot() {
        let spec = spec();
        let files = crate::generate::generate(&spec).unwrap();
        for arch in &spec.backend["linux_libc"].archs {
            let path = spec.file_of("linux_libc", arch);
            let text = &files.iter().find(|(p, _)| *p == path).unwrap().1;
            let once = |needle: &str| {
                assert_eq!(
                    text.matches(needle).count(),
                    1,
                    "{}: {needle}",
                    path.display()
                );
            };
            once(
                "#[link_name = \"syscall\"]\n        pub(super) fn syscall(number: c_long, ...) -> c_long;",
            );
            once("    syscall: unsafe extern \"C\" fn(c_long, ...) -> c_long,");
            once("    syscall: sym::syscall,");
            once("// `syscall`: makes `setgid`, `setgroups`, `setuid` by number. glibc's");
            once("f(libc::SYS_setuid, uid as c_long)");
            once("f(libc::SYS_setgroups, size as c_long, list as c_long)");
            assert!(
                !text.contains("link_name = \"setuid\""),
                "{}",
                path.display()
            );
        }
    }

    /// A parent-only call made by number (the pidfd calls of Linux's libc
    /// flavour, which have no wrapper in musl) goes through the table's
    /// `syscall` slot too: a direct call would bind, lazily, the very
    /// symbol that the child's calls need bound at load time.
    #[test]
    fn parent_calls_by_number_go_through_the_table_too() {
        let spec = spec();
        let files = crate::generate::generate(&spec).unwrap();
        for arch in &spec.backend["linux_libc"].archs {
            let calls = spec.calls_of("linux_libc", arch).unwrap();
            for name in ["pidfd_open", "pidfd_send_signal"] {
                let call = calls.iter().find(|c| c.name == name).unwrap();
                assert!(!call.child, "{arch}: {name} is parent-only");
                assert_eq!(call.symbol, SYSCALL_SYMBOL, "{arch}: {name}");
            }
            let path = spec.file_of("linux_libc", arch);
            let text = &files.iter().find(|(p, _)| *p == path).unwrap().1;
            assert_eq!(
                text.matches("f(libc::SYS_pidfd_open, pid as c_long, flags as c_long)")
                    .count(),
                1,
                "{}",
                path.display()
            );
            assert!(!text.contains("libc::syscall("), "{}", path.display());
        }
    }

    /// A `syscall` binding is refused where it cannot work.
    #[test]
    fn a_misplaced_syscall_binding_is_refused() {
        let text =
            std::fs::read_to_string(crate::generate::workspace_root().join(SPEC_PATH)).unwrap();
        let replaced = |text: &str, old: &str, new: &str| {
            assert_eq!(
                text.matches(old).count(),
                1,
                "`{old}`: the case needs updating"
            );
            text.replacen(old, new, 1)
        };
        let broken = |old: &str, new: &str| Spec::parse(&replaced(&text, old, new)).unwrap_err();
        let setuid = "linux_libc = { syscall = \"SYS_setuid\"";
        let cases = [
            (
                broken(
                    setuid,
                    "linux_libc = { symbol = \"setuid\", syscall = \"SYS_setuid\"",
                ),
                "not both",
            ),
            (
                broken(setuid, "linux_libc = { syscall = \"setuid\""),
                "`SYS_*` constant",
            ),
            (
                broken(
                    setuid,
                    "linux_libc = { variadic_after = 1, args = [\"uid: uid_t\", \"x: c_int\"], syscall = \"SYS_setuid\"",
                ),
                "drop `variadic_after`",
            ),
            (
                broken(
                    "args = [\"pid: pid_t\", \"sig: c_int\"]\nret = \"()\"\nchild = false\nlinux = {}\nlinux_libc = {}",
                    "args = [\"pid: pid_t\", \"sig: c_int\"]\nret = \"()\"\nchild = false\nlinux = {}\nlinux_libc = { syscall = \"SYS_kill\" }",
                ),
                "gives `why`",
            ),
            (
                broken(
                    "macos = { args = [\"size: c_int\", \"list: *const gid_t\"] }",
                    "macos = { args = [\"size: c_int\", \"list: *const gid_t\"], syscall = \"SYS_setgroups\" }",
                ),
                "backend's `syscall",
            ),
            (
                broken(
                    "[backend.linux]\nkind = \"syscall\"\n",
                    "[backend.linux]\nkind = \"syscall\"\nsyscall = { why = \"no\" }\n",
                ),
                "is for libc backends",
            ),
        ];
        for (error, wanted) in cases {
            eprintln!("{error}");
            assert!(error.contains(wanted), "{error}");
        }
        let mut unused = text.clone();
        for name in ["setgid", "setgroups", "setuid"] {
            let old = format!("syscall = \"SYS_{name}\"");
            unused = replaced(&unused, &old, &format!("symbol = \"{name}\""));
        }
        let error = Spec::parse(&unused).unwrap_err();
        assert!(error.contains("no child call on"), "{error}");
    }

    /// Two runs of the generator give the same text.
    #[test]
    fn generation_is_deterministic() {
        let spec = spec();
        let first = crate::generate::generate(&spec).unwrap();
        let second = crate::generate::generate(&spec).unwrap();
        assert_eq!(first, second);
        assert_eq!(first.len(), 12);
        for (path, text) in &first {
            assert!(
                text.starts_with(crate::generate::HEADER),
                "{}",
                path.display()
            );
        }
    }
}
