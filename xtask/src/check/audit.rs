//! The rules a built spawn path must follow, and the checks of a [`Code`]
//! and of LLVM IR against them.
//!
//! What the rules call the spawn path is everything a program gets from
//! forkexec when it spawns, waits and signals: the probe crate exports one
//! function that does all of that, and is built with fat LTO into a static
//! library, so the library holds exactly that code. The child path is the
//! part of it that runs between fork and exec: the functions of the
//! `forkexec::child` module (and, on raw Linux, the fast path's child entry
//! `forkexec::vfork::entry`) and every function they reach.
//!
//! The expectations come from the bindings spec (`xtask/spec/calls.toml`,
//! read with [`Spec`]), so that the audit follows the generator, and from a
//! few fixed rules that no spec may relax:
//!
//! - imports: only the spec's C symbols of the backend (child-allowed and
//!   parent-only), the few that the hand-written backend code and the
//!   compiler's runtime call (listed here, with why), and the block copies
//!   the compiler emits; never an
//!   entry point that runs atfork or atexit handlers, allocates, or spawns
//!   by other means ([`FORBIDDEN`]); and every child-allowed symbol, since
//!   the table of pointers binds each of them at load time;
//! - entry points: the spec's fork and exit symbols are DESIGN.md's;
//! - binding: a child-allowed symbol is referenced only by data or GOT
//!   relocations (bound when the program is loaded), never by a call or
//!   jump, which the linker would route through a lazily bound stub;
//! - child path: it imports nothing but child-allowed symbols, and those
//!   through the table only;
//! - declarations (IR): each child-allowed C function is declared, and
//!   C-variadic exactly when the spec says so.

use std::collections::{BTreeMap, BTreeSet};

use super::ir;
use super::objects::{Class, Code, To};
use crate::spec::{Kind, Spec};

/// C functions the spawn path must never import, on any system: the
/// libc fork and exit (which run atfork and atexit handlers), handler
/// registration, the allocator, and the other ways of starting a program.
pub const FORBIDDEN: [&str; 17] = [
    "fork",
    "vfork",
    "exit",
    "atexit",
    "__cxa_atexit",
    "pthread_atfork",
    "malloc",
    "calloc",
    "realloc",
    "free",
    "posix_memalign",
    "aligned_alloc",
    "posix_spawn",
    "posix_spawnp",
    "system",
    "popen",
    "dlopen",
];

/// C functions the compiler and `core` call on their own: block copies,
/// fills and compares (`__bzero` is what LLVM calls on x86_64 macOS), and a
/// C string's length (`CStr::from_ptr`). Allowed in the parent only; the
/// child-path audit rejects them like any import.
pub const RUNTIME: [&str; 8] = [
    "memcpy", "memmove", "memset", "memcmp", "bcmp", "bzero", "__bzero", "strlen",
];

/// The fork and exit entry points of each backend, as DESIGN.md's table
/// names them (`None`: raw system calls, no C symbol).
pub fn design_entry_points(backend: &str) -> Option<(&'static str, &'static str)> {
    match backend {
        "macos" => Some(("__fork", "__exit")),
        "freebsd" => Some(("_Fork", "_exit")),
        "openbsd" => Some(("_thread_sys_fork", "_exit")),
        "netbsd" => Some(("__fork", "_exit")),
        "linux_libc" => Some(("_Fork", "_exit")),
        _ => None,
    }
}

/// Parent-only C functions and data that are outside the spec, each with
/// the reason: what the hand-written backend code (`src/os/<os>/mod.rs`,
/// `src/os/libc_shared.rs`, `src/os/linux/raw.rs`) uses, and what the
/// compiler's runtime library calls on its own.
pub fn outside_spec(backend: &str, arch: &str) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    match backend {
        "macos" => {
            out.push((
                "_NSGetEnviron",
                "the environment's address; a shared library cannot name `environ`",
            ));
            out.push(("getdtablesize", "the bound of the descriptor-closing loop"));
        }
        "linux" | "linux_libc" | "freebsd" | "openbsd" | "netbsd" => {
            out.push(("environ", "the environment a child inherits"));
        }
        _ => {}
    }
    if matches!(backend, "linux" | "linux_libc") && arch == "aarch64" {
        out.push((
            "getauxval",
            "compiler-rt asks, once at load time, whether the CPU has LSE atomics",
        ));
    }
    out
}

/// What one backend on one arch may and must import, from the spec.
#[derive(Debug, Default)]
pub struct Expect {
    pub backend: String,
    pub arch: String,
    /// Child-allowed C symbols, each with the calls that reach it.
    pub child: BTreeMap<String, String>,
    /// Parent-only C functions (the `libc` crate's), each with its call.
    pub parent: BTreeMap<String, String>,
    /// The fork and exit symbols.
    pub fork: Option<String>,
    pub exit: Option<String>,
    /// Whether each child-allowed symbol is C-variadic.
    pub variadic: BTreeMap<String, bool>,
}

impl Expect {
    /// The expectations of `backend` on `arch`.
    pub fn from_spec(spec: &Spec, backend: &str, arch: &str) -> Result<Expect, String> {
        let info = spec
            .backend
            .get(backend)
            .ok_or_else(|| format!("the spec has no backend `{backend}`"))?;
        let mut expect = Expect {
            backend: backend.to_string(),
            arch: arch.to_string(),
            ..Expect::default()
        };
        if info.kind == Kind::Syscall {
            return Ok(expect);
        }
        if let Some(errno) = &info.errno {
            expect.child.insert(errno.clone(), "errno".into());
            expect.variadic.insert(errno.clone(), false);
        }
        for call in spec.calls_of(backend, arch)? {
            // A parent-only call made through the `syscall` entry reaches it
            // through the table, as the child's calls do.
            if call.child || call.syscall.is_some() {
                // Several calls may reach one symbol (the `syscall` entry).
                expect
                    .child
                    .entry(call.symbol.clone())
                    .and_modify(|names| {
                        names.push_str(", ");
                        names.push_str(&call.name);
                    })
                    .or_insert_with(|| call.name.clone());
                expect
                    .variadic
                    .insert(call.symbol.clone(), call.c_variadic());
            } else {
                let function = call.call.split('(').next().unwrap_or_default().trim();
                expect
                    .parent
                    .insert(function.to_string(), call.name.clone());
            }
            match call.name.as_str() {
                "fork" => expect.fork = Some(call.symbol.clone()),
                "exit" => expect.exit = Some(call.symbol.clone()),
                _ => {}
            }
        }
        Ok(expect)
    }

    /// Whether `import` is one of the parent-only functions, as the `libc`
    /// crate links it: by its name or by a versioned variant of it (Mach-O
    /// `fstatat$INODE64`, ELF `fstatat@FBSD_1.1`, NetBSD `__wait450`).
    fn is_parent(&self, import: &str) -> bool {
        self.parent.keys().any(|name| is_variant_of(import, name))
    }
}

/// Whether `symbol` is `name` or a versioned variant of it.
fn is_variant_of(symbol: &str, name: &str) -> bool {
    if symbol == name {
        return true;
    }
    if let Some(rest) = symbol.strip_prefix(name) {
        return rest.starts_with('$') || rest.starts_with('@');
    }
    // NetBSD renames a call whose ABI changed to `__<name><version>`.
    if let Some(rest) = symbol.strip_prefix("__").and_then(|s| s.strip_prefix(name)) {
        return !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit());
    }
    false
}

/// The outcome of the object audits: problems found, and a one-line summary.
#[derive(Debug, Default)]
pub struct Findings {
    pub problems: Vec<String>,
    pub notes: Vec<String>,
}

/// Audits the imports, the binding and the child path of `code`.
pub fn audit_code(code: &Code, expect: &Expect) -> Findings {
    let mut findings = Findings::default();
    imports(code, expect, &mut findings);
    binding(code, expect, &mut findings);
    child_path(code, expect, &mut findings);
    findings
}

fn imports(code: &Code, expect: &Expect, findings: &mut Findings) {
    let p = code.prefix();
    let extra = outside_spec(&expect.backend, &expect.arch);
    let mut parent = Vec::new();
    for import in &code.imports {
        let base = FORBIDDEN.iter().find(|f| is_variant_of(import, f));
        if let Some(name) = base {
            findings.problems.push(format!(
                "imports `{p}{import}`: `{name}` is forbidden in the spawn path"
            ));
            continue;
        }
        if expect.child.contains_key(import) {
            continue;
        }
        if expect.is_parent(import)
            || extra.iter().any(|(name, _)| name == import)
            || RUNTIME.contains(&import.as_str())
        {
            parent.push(format!("{p}{import}"));
            continue;
        }
        findings.problems.push(format!(
            "imports `{p}{import}`, which is neither in the spec for `{}` nor a known parent-only helper",
            expect.backend
        ));
    }
    for (symbol, call) in &expect.child {
        if !code.imports.contains(symbol) {
            findings.problems.push(format!(
                "does not import `{p}{symbol}` (`{call}`): the table must bind every child-allowed symbol"
            ));
        }
    }
    match design_entry_points(&expect.backend) {
        Some((fork, exit)) => {
            for (what, spec, design) in [("fork", &expect.fork, fork), ("exit", &expect.exit, exit)]
            {
                if spec.as_deref() != Some(design) {
                    findings.problems.push(format!(
                        "the spec binds {what} to {spec:?}; DESIGN.md's entry point is `{design}`"
                    ));
                }
                if !code.imports.contains(design) {
                    findings.problems.push(format!(
                        "does not import the {what} entry point `{p}{design}`"
                    ));
                }
            }
        }
        None => {
            if let Some(fork) = &expect.fork {
                findings.problems.push(format!(
                    "the spec binds fork to `{fork}` on a backend of raw system calls"
                ));
            }
        }
    }
    findings.notes.push(format!(
        "{} imports: {} child-allowed, {} parent-only ({})",
        code.imports.len(),
        code.imports
            .iter()
            .filter(|i| expect.child.contains_key(*i))
            .count(),
        parent.len(),
        parent.join(", ")
    ));
}

fn binding(code: &Code, expect: &Expect, findings: &mut Findings) {
    let p = code.prefix();
    let mut seen = BTreeSet::new();
    let mut data = 0;
    for r in &code.references {
        let To::Import(name) = &r.to else { continue };
        if !expect.child.contains_key(name) {
            continue;
        }
        if matches!(r.class, Class::Data | Class::Got) {
            data += 1;
            continue;
        }
        let from = r
            .from
            .map_or("data".to_string(), |f| code.functions[f].name.clone());
        if seen.insert((name.clone(), from.clone(), r.kind.clone())) {
            findings.problems.push(format!(
                "`{p}{name}` is child-allowed but `{from}` reaches it by {}, not through the table bound at load time",
                r.kind
            ));
        }
    }
    findings.notes.push(format!(
        "{data} load-time references to child-allowed symbols"
    ));
}

/// Where the child's code starts: the functions of `forkexec::child` (the
/// child sequence), and on raw Linux the entry function that the fast
/// path's trampoline calls on the child's own stack. Each of these must be
/// in the object.
fn child_roots(backend: &str) -> Vec<&'static str> {
    let mut roots = vec!["forkexec::child::"];
    if backend == "linux" {
        roots.push("forkexec::vfork::entry");
    }
    roots
}

fn child_path(code: &Code, expect: &Expect, findings: &mut Findings) {
    let p = code.prefix();
    let mut roots = Vec::new();
    for root in child_roots(&expect.backend) {
        let found: Vec<usize> = code
            .functions
            .iter()
            .enumerate()
            .filter(|(_, f)| f.name.starts_with(root))
            .map(|(i, _)| i)
            .collect();
        if found.is_empty() {
            findings.problems.push(format!(
                "no function `{root}*` in the object: the child path cannot be found"
            ));
        }
        roots.extend(found);
    }
    if roots.is_empty() {
        return;
    }
    let reach = code.reachable(&roots);
    let mut seen = BTreeSet::new();
    for r in &code.references {
        let Some(f) = r.from.filter(|f| reach.contains(f)) else {
            continue;
        };
        let from = &code.functions[f].name;
        match &r.to {
            To::Import(name)
                if !expect.child.contains_key(name)
                    && seen.insert((name.clone(), from.clone())) =>
            {
                findings.problems.push(format!(
                    "the child path (`{from}`) reaches `{p}{name}` by {}: only child-allowed calls may run between fork and exec",
                    r.kind
                ));
            }
            To::Unnamed if r.class == Class::Branch => {
                findings.problems.push(format!(
                    "the child path (`{from}`) branches by {} to code the object does not name: it cannot be followed",
                    r.kind
                ));
            }
            _ => {}
        }
    }
    let names: BTreeSet<&str> = reach
        .iter()
        .map(|&f| code.functions[f].name.as_str())
        .collect();
    findings.notes.push(format!(
        "child path: {} functions ({})",
        names.len(),
        names.into_iter().collect::<Vec<_>>().join(", ")
    ));
}

/// Checks the declarations of the child-allowed functions in `ir`.
pub fn audit_ir(ir_text: &str, expect: &Expect) -> Findings {
    let mut findings = Findings::default();
    let declared = match ir::declarations(ir_text) {
        Ok(d) => d,
        Err(e) => {
            findings.problems.push(e);
            return findings;
        }
    };
    let mut variadic = Vec::new();
    for (symbol, &want) in &expect.variadic {
        match declared.get(symbol) {
            None => findings
                .problems
                .push(format!("the IR does not declare `{symbol}`")),
            Some(&got) if got != want => findings.problems.push(if want {
                format!("`{symbol}` is C-variadic, but the IR declares it with fixed arguments")
            } else {
                format!("`{symbol}` takes fixed arguments, but the IR declares it variadic")
            }),
            Some(_) => {
                if want {
                    variadic.push(symbol.as_str());
                }
            }
        }
    }
    findings.notes.push(format!(
        "{} declarations match the spec; variadic: {}",
        expect.variadic.len(),
        if variadic.is_empty() {
            "none".to_string()
        } else {
            variadic.join(", ")
        }
    ));
    findings
}

#[cfg(test)]
mod tests {
    //! The rules on small objects written here, in each format and arch:
    //! one that follows them, and one that breaks each rule.

    use object::write::{self, Mangling, StandardSection, SymbolSection};
    use object::{
        Architecture, BinaryFormat, Endianness, RelocationFlags, SymbolFlags, SymbolKind,
        SymbolScope,
    };

    use super::*;
    use crate::check::objects::prefix;

    /// `forkexec::child::run` and `forkexec::fdmap::place`, mangled.
    const CHILD_RUN: &str = "_ZN8forkexec5child3run17h0123456789abcdefE";
    const HELPER: &str = "_ZN8forkexec5fdmap5place17h0123456789abcdefE";
    const PARENT: &str = "_ZN8forkexec5spawn10spawn_fork17h0123456789abcdefE";

    const KINDS: [(BinaryFormat, Architecture); 4] = [
        (BinaryFormat::MachO, Architecture::Aarch64),
        (BinaryFormat::MachO, Architecture::X86_64),
        (BinaryFormat::Elf, Architecture::X86_64),
        (BinaryFormat::Elf, Architecture::Aarch64),
    ];

    /// An object under construction.
    struct Synth {
        obj: write::Object<'static>,
        format: BinaryFormat,
        arch: Architecture,
        functions: BTreeMap<String, (write::SymbolId, u64)>,
        imports: BTreeMap<String, write::SymbolId>,
    }

    impl Synth {
        fn new(format: BinaryFormat, arch: Architecture) -> Synth {
            let mut obj = write::Object::new(format, arch, Endianness::Little);
            obj.set_mangling(Mangling::None);
            Synth {
                obj,
                format,
                arch,
                functions: BTreeMap::new(),
                imports: BTreeMap::new(),
            }
        }

        /// The object name of C or Rust symbol `name`.
        fn name(&self, name: &str) -> Vec<u8> {
            format!("{}{name}", prefix(self.format)).into_bytes()
        }

        /// Defines a 64-byte function.
        fn function(&mut self, name: &str) {
            let text = self.obj.section_id(StandardSection::Text);
            let offset = self.obj.append_section_data(text, &[0; 64], 16);
            let id = self.obj.add_symbol(write::Symbol {
                name: self.name(name),
                value: offset,
                size: 64,
                kind: SymbolKind::Text,
                scope: SymbolScope::Compilation,
                weak: false,
                section: SymbolSection::Section(text),
                flags: SymbolFlags::None,
            });
            self.functions.insert(name.to_string(), (id, offset));
        }

        fn symbol(&mut self, name: &str) -> write::SymbolId {
            if let Some(&(id, _)) = self.functions.get(name) {
                return id;
            }
            if let Some(&id) = self.imports.get(name) {
                return id;
            }
            let id = self.obj.add_symbol(write::Symbol {
                name: self.name(name),
                value: 0,
                size: 0,
                kind: SymbolKind::Text,
                scope: SymbolScope::Dynamic,
                weak: false,
                section: SymbolSection::Undefined,
                flags: SymbolFlags::None,
            });
            self.imports.insert(name.to_string(), id);
            id
        }

        /// A call from function `from` (at its `n`th slot) to `to`.
        fn call(&mut self, from: &str, n: u64, to: &str) {
            let (_, start) = self.functions[from];
            let symbol = self.symbol(to);
            let (flags, addend) = match (self.format, self.arch) {
                (BinaryFormat::MachO, Architecture::Aarch64) => (
                    RelocationFlags::MachO {
                        r_type: object::macho::ARM64_RELOC_BRANCH26,
                        r_pcrel: true,
                        r_length: 2,
                    },
                    0,
                ),
                (BinaryFormat::MachO, _) => (
                    RelocationFlags::MachO {
                        r_type: object::macho::X86_64_RELOC_BRANCH,
                        r_pcrel: true,
                        r_length: 2,
                    },
                    0,
                ),
                (_, Architecture::X86_64) => (
                    RelocationFlags::Elf {
                        r_type: object::elf::R_X86_64_PLT32,
                    },
                    -4,
                ),
                _ => (
                    RelocationFlags::Elf {
                        r_type: object::elf::R_AARCH64_CALL26,
                    },
                    0,
                ),
            };
            let text = self.obj.section_id(StandardSection::Text);
            self.obj
                .add_relocation(
                    text,
                    write::Relocation {
                        offset: start + 8 * n + 4,
                        symbol,
                        addend,
                        flags,
                    },
                )
                .unwrap();
        }

        /// A pointer to `to` in read-only data: a table entry.
        fn pointer(&mut self, to: &str) {
            let symbol = self.symbol(to);
            let data = self.obj.section_id(StandardSection::ReadOnlyDataWithRel);
            let offset = self.obj.append_section_data(data, &[0; 8], 8);
            let flags = match (self.format, self.arch) {
                (BinaryFormat::MachO, Architecture::Aarch64) => RelocationFlags::MachO {
                    r_type: object::macho::ARM64_RELOC_UNSIGNED,
                    r_pcrel: false,
                    r_length: 3,
                },
                (BinaryFormat::MachO, _) => RelocationFlags::MachO {
                    r_type: object::macho::X86_64_RELOC_UNSIGNED,
                    r_pcrel: false,
                    r_length: 3,
                },
                (_, Architecture::X86_64) => RelocationFlags::Elf {
                    r_type: object::elf::R_X86_64_64,
                },
                _ => RelocationFlags::Elf {
                    r_type: object::elf::R_AARCH64_ABS64,
                },
            };
            self.obj
                .add_relocation(
                    data,
                    write::Relocation {
                        offset,
                        symbol,
                        addend: 0,
                        flags,
                    },
                )
                .unwrap();
        }

        fn code(self) -> Code {
            let bytes = self.obj.write().unwrap();
            Code::parse(&bytes, "").unwrap()
        }
    }

    /// The fork and exit symbols of the synthetic backend: macOS's on
    /// Mach-O, the Linux libc flavour's on ELF.
    fn entry_points(format: BinaryFormat) -> (&'static str, &'static str, &'static str) {
        if format == BinaryFormat::MachO {
            ("macos", "__fork", "__exit")
        } else {
            ("linux_libc", "_Fork", "_exit")
        }
    }

    fn expect(format: BinaryFormat) -> Expect {
        let (backend, fork, exit) = entry_points(format);
        let mut e = Expect {
            backend: backend.into(),
            arch: "x86_64".into(),
            fork: Some(fork.into()),
            exit: Some(exit.into()),
            ..Expect::default()
        };
        e.child.insert(fork.into(), "fork".into());
        e.child.insert(exit.into(), "exit".into());
        e.parent.insert("wait4".into(), "wait4".into());
        e
    }

    /// A spawn path that follows the rules: the child calls a helper, the
    /// parent calls `wait4`, and the table points to the fork and exit.
    fn good(format: BinaryFormat, arch: Architecture) -> Synth {
        let (_, fork, exit) = entry_points(format);
        let mut s = Synth::new(format, arch);
        s.function(CHILD_RUN);
        s.function(HELPER);
        s.function(PARENT);
        s.call(CHILD_RUN, 0, HELPER);
        s.call(PARENT, 0, CHILD_RUN);
        s.call(PARENT, 1, "wait4");
        s.pointer(fork);
        s.pointer(exit);
        s
    }

    fn problems(s: Synth, format: BinaryFormat) -> Vec<String> {
        audit_code(&s.code(), &expect(format)).problems
    }

    #[test]
    fn a_spawn_path_that_follows_the_rules_passes() {
        for (format, arch) in KINDS {
            let code = good(format, arch).code();
            let findings = audit_code(&code, &expect(format));
            assert!(
                findings.problems.is_empty(),
                "{format:?} {arch:?}: {:?}",
                findings.problems
            );
            let notes = findings.notes.join("\n");
            assert!(
                notes.contains("forkexec::child::run") && notes.contains("forkexec::fdmap::place"),
                "{format:?} {arch:?}: the child path should hold the helper: {notes}"
            );
        }
    }

    #[test]
    fn a_direct_call_to_a_child_allowed_symbol_fails() {
        for (format, arch) in KINDS {
            let (_, fork, _) = entry_points(format);
            let mut s = good(format, arch);
            s.call(PARENT, 2, fork);
            let problems = problems(s, format);
            let branch = match (format, arch) {
                (BinaryFormat::MachO, Architecture::Aarch64) => "ARM64_RELOC_BRANCH26",
                (BinaryFormat::MachO, _) => "X86_64_RELOC_BRANCH",
                (_, Architecture::X86_64) => "R_X86_64_PLT32",
                _ => "R_AARCH64_CALL26",
            };
            assert!(
                problems.iter().any(|p| p.contains(fork)
                    && p.contains(branch)
                    && p.contains("forkexec::spawn::spawn_fork")),
                "{format:?} {arch:?}: {problems:?}"
            );
        }
    }

    #[test]
    fn a_parent_only_call_on_the_child_path_fails() {
        for (format, arch) in KINDS {
            let mut s = good(format, arch);
            s.call(HELPER, 0, "wait4");
            let problems = problems(s, format);
            assert!(
                problems
                    .iter()
                    .any(|p| p.contains("forkexec::fdmap::place") && p.contains("wait4")),
                "{format:?} {arch:?}: {problems:?}"
            );
        }
    }

    #[test]
    fn binding_fork_instead_of_the_raw_entry_fails() {
        for (format, arch) in KINDS {
            let (_, fork, exit) = entry_points(format);
            let mut s = Synth::new(format, arch);
            s.function(CHILD_RUN);
            s.pointer("fork");
            s.pointer(exit);
            let problems = problems(s, format);
            let p = prefix(format);
            assert!(
                problems
                    .iter()
                    .any(|m| m.contains(&format!("`{p}fork`")) && m.contains("forbidden")),
                "{format:?} {arch:?}: {problems:?}"
            );
            assert!(
                problems
                    .iter()
                    .any(|m| m.contains(&format!("entry point `{p}{fork}`"))),
                "{format:?} {arch:?}: {problems:?}"
            );
        }
    }

    #[test]
    fn an_unknown_import_fails() {
        for (format, arch) in KINDS {
            let mut s = good(format, arch);
            s.call(PARENT, 2, "getppid");
            let problems = problems(s, format);
            assert!(
                problems
                    .iter()
                    .any(|p| p.contains("getppid") && p.contains("neither in the spec")),
                "{format:?} {arch:?}: {problems:?}"
            );
        }
    }

    #[test]
    fn a_spawn_path_without_the_child_module_fails() {
        for (format, arch) in KINDS {
            let (_, fork, exit) = entry_points(format);
            let mut s = Synth::new(format, arch);
            s.function(PARENT);
            s.pointer(fork);
            s.pointer(exit);
            let problems = problems(s, format);
            assert!(
                problems
                    .iter()
                    .any(|p| p.contains("no function `forkexec::child::*`")),
                "{format:?} {arch:?}: {problems:?}"
            );
        }
    }

    #[test]
    fn declarations_must_match_the_variadic_marks() {
        let mut e = expect(BinaryFormat::MachO);
        e.variadic.insert("fcntl".into(), true);
        e.variadic.insert("__fork".into(), false);
        let right = "declare i32 @fcntl(i32, i32, ...)\ndeclare i32 @__fork()\n";
        assert!(audit_ir(right, &e).problems.is_empty());
        let fixed = "declare i32 @fcntl(i32, i32, i32)\ndeclare i32 @__fork()\n";
        let problems = audit_ir(fixed, &e).problems;
        assert!(
            problems.iter().any(|p| p.contains("`fcntl` is C-variadic")),
            "{problems:?}"
        );
        let missing = "declare i32 @fcntl(i32, i32, ...)\n";
        let problems = audit_ir(missing, &e).problems;
        assert!(
            problems
                .iter()
                .any(|p| p.contains("does not declare `__fork`")),
            "{problems:?}"
        );
    }

    /// Calls made through the C library's `syscall` entry make it one
    /// child-allowed symbol, expected to be declared C-variadic, and leave
    /// their own wrappers out of what the spawn path may import.
    #[test]
    fn calls_through_syscall_expect_one_variadic_symbol() {
        let spec = Spec::load(&crate::generate::workspace_root()).unwrap();
        for arch in ["aarch64", "x86_64"] {
            let e = Expect::from_spec(&spec, "linux_libc", arch).unwrap();
            assert_eq!(
                e.child["syscall"], "pidfd_open, pidfd_send_signal, setgid, setgroups, setuid",
                "{arch}"
            );
            assert!(e.variadic["syscall"], "{arch}");
            for wrapper in ["setgid", "setgroups", "setuid"] {
                assert!(!e.child.contains_key(wrapper), "{arch}: {wrapper}");
                assert!(!e.is_parent(wrapper), "{arch}: {wrapper}");
            }
        }
        let only = Expect {
            variadic: BTreeMap::from([("syscall".to_string(), true)]),
            ..Expect::default()
        };
        let right = "declare i64 @syscall(i64, ...)\n";
        assert!(audit_ir(right, &only).problems.is_empty());
        let fixed = "declare i64 @syscall(i64, i32)\n";
        let problems = audit_ir(fixed, &only).problems;
        assert!(
            problems
                .iter()
                .any(|p| p.contains("`syscall` is C-variadic")),
            "{problems:?}"
        );
    }

    #[test]
    fn versioned_variants_of_a_name_are_recognised() {
        assert!(is_variant_of("fstatat$INODE64", "fstatat"));
        assert!(is_variant_of("wait4@FBSD_1.0", "wait4"));
        assert!(is_variant_of("__wait450", "wait4"));
        assert!(!is_variant_of("__fork", "fork"));
        assert!(!is_variant_of("_exit", "exit"));
        assert!(!is_variant_of("freeaddrinfo", "free"));
    }
}
