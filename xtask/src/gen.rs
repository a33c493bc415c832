//! `cargo xtask gen [--check]` — writes the bindings of every backend and
//! arch from the spec, or checks that the committed files are what the spec
//! gives.
//!
//! The output is deterministic: the spec is sorted, the code is emitted in
//! spec order and formatted by `rustfmt --edition 2024`.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::spec::{Arg, Backend, Kind, Resolved, Ret, SPEC_PATH, SYSCALL_SYMBOL, Spec};

/// The first lines of every generated file.
pub const HEADER: &str = "// Regenerate with `cargo xtask gen` from xtask/spec/calls.toml.\n\
                          // Generated file: DO NOT EDIT.\n";

/// Doc comments are wrapped to this width.
const WIDTH: usize = 80;

/// Runs the task.
pub fn run(args: &[String]) -> Result<(), String> {
    let mut check = false;
    for arg in args {
        match arg.as_str() {
            "--check" => check = true,
            other => return Err(format!("gen: unknown argument `{other}`")),
        }
    }
    let root = workspace_root();
    let spec = Spec::load(&root)?;
    let files = generate(&spec)?;
    if check {
        check_files(&root, &spec, &files)
    } else {
        for (path, text) in &files {
            let full = root.join(path);
            if std::fs::read_to_string(&full).ok().as_deref() == Some(text.as_str()) {
                continue;
            }
            if let Some(dir) = full.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
            std::fs::write(&full, text)
                .map_err(|e| format!("cannot write {}: {e}", full.display()))?;
            println!("gen: wrote {}", path.display());
        }
        Ok(())
    }
}

/// The workspace root: the parent of this crate's folder.
pub fn workspace_root() -> PathBuf {
    let xtask = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask).to_path_buf()
}

/// Every generated file: its path relative to the root, and its text.
pub fn generate(spec: &Spec) -> Result<Vec<(PathBuf, String)>, String> {
    let mut files = Vec::new();
    for (name, backend) in &spec.backend {
        for arch in &backend.archs {
            let calls = spec.calls_of(name, arch)?;
            let code = match backend.kind {
                Kind::Syscall => syscall_file(backend, arch, &calls)?,
                Kind::Libc => libc_file(backend, arch, &calls)?,
            };
            files.push((spec.file_of(name, arch), rustfmt(&code)?));
        }
    }
    Ok(files)
}

/// Compares the committed files with `files`, and looks for generated files
/// that the spec no longer gives.
fn check_files(root: &Path, spec: &Spec, files: &[(PathBuf, String)]) -> Result<(), String> {
    let mut problems = Vec::new();
    for (path, text) in files {
        match std::fs::read_to_string(root.join(path)) {
            Ok(committed) if committed == *text => {}
            Ok(committed) => problems.push(format!(
                "{} differs from what {SPEC_PATH} gives (first difference at line {})",
                path.display(),
                first_difference(&committed, text)
            )),
            Err(e) => problems.push(format!("{} cannot be read: {e}", path.display())),
        }
    }
    let expected: BTreeSet<&Path> = files.iter().map(|(p, _)| p.as_path()).collect();
    let dirs: BTreeSet<&str> = spec.backend.values().map(|b| b.dir.as_str()).collect();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = Path::new(dir).join(entry.file_name());
            let is_generated =
                std::fs::read_to_string(entry.path()).is_ok_and(|text| text.starts_with(HEADER));
            if is_generated && !expected.contains(path.as_path()) {
                problems.push(format!(
                    "{} is marked generated but {SPEC_PATH} gives no such file",
                    path.display()
                ));
            }
        }
    }
    if problems.is_empty() {
        println!("gen: {} files match {SPEC_PATH}", files.len());
        Ok(())
    } else {
        for problem in &problems {
            eprintln!("gen: {problem}");
        }
        Err("generated files are out of date: run `cargo xtask gen`".to_string())
    }
}

fn first_difference(a: &str, b: &str) -> usize {
    let mut lines = a.lines().zip(b.lines());
    let same = lines.by_ref().take_while(|(x, y)| x == y).count();
    same + 1
}

/// Formats `code` with rustfmt, as `cargo fmt` would.
fn rustfmt(code: &str) -> Result<String, String> {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run rustfmt: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("rustfmt has no stdin")?;
    let input = code.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child
        .wait_with_output()
        .map_err(|e| format!("rustfmt failed: {e}"))?;
    writer
        .join()
        .map_err(|_| "rustfmt writer panicked".to_string())?
        .map_err(|e| format!("cannot write to rustfmt: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "rustfmt rejected the generated code:\n{}\n--- code ---\n{code}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| format!("rustfmt output: {e}"))
}

// --- raw Linux system calls ----------------------------------------------

fn syscall_file(backend: &Backend, arch: &str, calls: &[Resolved]) -> Result<String, String> {
    let mut out = String::from(HEADER);
    let _ = writeln!(
        out,
        "//! {} {arch} system calls made directly through `sc`, with no libc",
        backend.title
    );
    out.push_str("//! function in between.\n\n");

    let mut types = BTreeSet::new();
    for call in calls {
        for arg in &call.args {
            type_idents(&arg.ty, &mut types);
        }
        if let Ret::Value(ty) = &call.ret {
            type_idents(ty, &mut types);
        }
    }
    out.push_str("use super::{check, unreachable_exit};\nuse crate::Errno;\n");
    let _ = writeln!(out, "use libc::{{{}}};\n", join(&types));

    // sc's numbers against libc's, for every system call made here.
    let mut numbers = BTreeSet::new();
    for call in calls {
        numbers.insert(syscall_parts(&call.call)?.0);
        if let Some(guard) = &call.guard {
            numbers.insert(syscall_parts(&guard.call)?.0);
        }
    }
    for name in &numbers {
        let _ = writeln!(
            out,
            "static_assertions::const_assert_eq!(sc::nr::{name}, libc::SYS_{} as usize);",
            name.to_lowercase()
        );
    }

    for call in calls {
        out.push('\n');
        let (nr, _) = syscall_parts(&call.call)?;
        let alias = (nr.to_lowercase() != call.name).then(|| nr.to_lowercase());
        docs(&mut out, call, alias.as_deref(), None, None);
        let _ = writeln!(
            out,
            "#[inline]\npub unsafe fn {}({}) -> {} {{",
            call.name,
            params(call),
            rust_ret(call)
        );
        if let Some(guard) = &call.guard {
            let _ = writeln!(
                out,
                "if {} {{\n// SAFETY: the caller upholds this function's contract.\n\
                 return check(unsafe {{ {} }}).map(|_| {});\n}}",
                guard.when,
                syscall_macro(&guard.call)?,
                guard.value
            );
        }
        let made = format!("unsafe {{ {} }}", syscall_macro(&call.call)?);
        out.push_str("// SAFETY: the caller upholds this function's contract.\n");
        let body = match (&call.ret, call.infallible) {
            (Ret::Value(ty), true) => format!("({made}) as {ty}"),
            (Ret::Value(ty), false) => format!("check({made}).map(|r| r as {ty})"),
            (Ret::Unit, _) => format!("check({made}).map(drop)"),
            (Ret::Size, _) => format!("check({made})"),
            (Ret::Errno, _) => format!(
                "match check({made}) {{\nOk(_) => Errno::from_raw(0),\nErr(errno) => errno,\n}}"
            ),
            (Ret::Never, _) => format!("{made};\nunreachable_exit()"),
        };
        let _ = writeln!(out, "{body}\n}}");
    }
    Ok(out)
}

/// Splits `NAME(a, b)` into the `sc::nr` name and the argument list.
fn syscall_parts(call: &str) -> Result<(String, String), String> {
    let open = call
        .find('(')
        .ok_or_else(|| format!("system call `{call}` has no `(`"))?;
    let args = call[open + 1..]
        .strip_suffix(')')
        .ok_or_else(|| format!("system call `{call}` does not end with `)`"))?;
    let name = call[..open].trim();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(format!(
            "system call `{call}`: the name must be an upper-case `sc::nr` name"
        ));
    }
    Ok((name.to_string(), args.trim().to_string()))
}

fn syscall_macro(call: &str) -> Result<String, String> {
    let (name, args) = syscall_parts(call)?;
    Ok(if args.is_empty() {
        format!("sc::syscall!({name})")
    } else {
        format!("sc::syscall!({name}, {args})")
    })
}

// --- libc bindings ---------------------------------------------------------

fn libc_file(backend: &Backend, arch: &str, calls: &[Resolved]) -> Result<String, String> {
    let errno_symbol = backend
        .errno
        .as_deref()
        .ok_or("libc backend without errno")?;
    let library = backend.library.as_deref().unwrap_or("libc");

    let mut out = String::from(HEADER);
    let intro = format!(
        "{} {arch}: the entry points of {library} that forkexec calls.",
        backend.title
    );
    wrap_into(&mut out, 0, "//! ", &intro);
    out.push_str("//!\n");
    wrap_into(
        &mut out,
        0,
        "//! ",
        "The calls allowed between fork and exec are made only through `TABLE`, \
         pointers that the dynamic linker fills in when it loads the program (data \
         relocations), never through a lazily bound stub, which could block on a \
         dynamic-linker lock held by a thread that does not exist in the child. \
         Nothing else in the crate names those symbols: in the built objects they \
         are referenced from the table alone, and each pointer is loaded with a \
         volatile read so that the compiler cannot turn it back into a direct \
         call. The parent-only calls go through the `libc` crate.",
    );
    if calls.iter().any(|c| !c.child && c.syscall.is_some()) {
        out.push_str("//!\n");
        wrap_into(
            &mut out,
            0,
            "//! ",
            "Except for those made by number: they reach the C library's `syscall` \
             through `TABLE` too, since the child's calls bind it there.",
        );
    }
    out.push('\n');

    let slots = table_slots(backend, calls);
    let mut decl_types = BTreeSet::from(["c_int".to_string()]);
    for slot in &slots {
        for arg in &slot.args {
            type_idents(&arg.ty, &mut decl_types);
        }
        type_idents(&slot.ret, &mut decl_types);
    }
    let mut top_types = decl_types.clone();
    for call in calls {
        for arg in &call.args {
            type_idents(&arg.ty, &mut top_types);
        }
        if let Ret::Value(ty) = &call.ret {
            type_idents(ty, &mut top_types);
        }
    }
    out.push_str("use crate::Errno;\n");
    let _ = writeln!(out, "use libc::{{{}}};\n", join(&top_types));

    // The declarations, named only by TABLE's initializer.
    out.push_str("/// The C declarations, named only by `TABLE`'s initializer.\nmod sym {\n");
    let _ = writeln!(out, "use libc::{{{}}};\n", join(&decl_types));
    out.push_str("unsafe extern \"C\" {\n");
    let _ = writeln!(
        out,
        "#[link_name = \"{errno_symbol}\"]\npub(super) fn errno_location() -> *mut c_int;"
    );
    for slot in &slots {
        if let Some(why) = &slot.why {
            wrap_into(&mut out, 8, "// ", &format!("`{}`: {why}", slot.symbol));
        }
        let _ = writeln!(
            out,
            "#[link_name = \"{}\"]\npub(super) fn {}({}){};",
            slot.symbol,
            slot.field,
            slot.params(true),
            ret_suffix(&slot.ret)
        );
    }
    out.push_str("}\n}\n\n");

    // The table.
    out.push_str(
        "/// The child-allowed entry points, bound by the dynamic linker at load \
         time.\nstruct Table {\n",
    );
    let _ = writeln!(
        out,
        "errno_location: unsafe extern \"C\" fn() -> *mut c_int,"
    );
    for slot in &slots {
        let _ = writeln!(
            out,
            "{}: unsafe extern \"C\" fn({}){},",
            slot.field,
            slot.params(false),
            ret_suffix(&slot.ret)
        );
    }
    out.push_str("}\n\n");
    out.push_str("static TABLE: Table = Table {\nerrno_location: sym::errno_location,\n");
    for slot in &slots {
        let _ = writeln!(out, "{0}: sym::{0},", slot.field);
    }
    out.push_str("};\n\n");

    // errno.
    let _ = writeln!(
        out,
        "/// The calling thread's `errno`, read through `{errno_symbol}`.\n\
         #[inline]\nfn errno() -> Errno {{\n\
         // SAFETY: TABLE is an initialized static; see the module's docs for\n\
         // why the load is volatile.\n\
         let location = unsafe {{ core::ptr::read_volatile(&raw const TABLE.errno_location) }};\n\
         // SAFETY: `{errno_symbol}` takes no argument and returns the address of\n\
         // the calling thread's errno.\n\
         Errno::from_raw(unsafe {{ *location() }})\n}}"
    );

    for call in calls {
        out.push('\n');
        let alias = (call.child && call.syscall.is_none() && call.symbol != call.name)
            .then_some(call.symbol.as_str());
        let how = match (&call.syscall, &backend.syscall) {
            (Some(number), Some(_)) if !call.child => Some(format!(
                "Made as system call `{number}` through the C library's \
                 `{SYSCALL_SYMBOL}`, by the table's pointer to it."
            )),
            (Some(number), Some(_)) => Some(format!(
                "Made as system call `{number}` through the C library's `{SYSCALL_SYMBOL}`, \
                 not by its `{}`, which can leave a forked child waiting forever (see \
                 the declaration of `{SYSCALL_SYMBOL}` above).",
                call.name
            )),
            _ => None,
        };
        let symbol = (call.child && how.is_none()).then_some(call.symbol.as_str());
        docs(&mut out, call, alias, symbol, how.as_deref());
        let _ = writeln!(
            out,
            "#[inline]\npub unsafe fn {}({}) -> {} {{",
            call.name,
            params(call),
            rust_ret(call)
        );
        let names: Vec<&str> = call.args.iter().map(|a| a.name.as_str()).collect();
        let made = if call.child || call.syscall.is_some() {
            let field = match call.syscall {
                Some(_) => SYSCALL_SYMBOL,
                None => call.name.as_str(),
            };
            let _ = writeln!(
                out,
                "// SAFETY: TABLE is an initialized static; see the module's docs for\n\
                 // why the load is volatile.\n\
                 let f = unsafe {{ core::ptr::read_volatile(&raw const TABLE.{field}) }};"
            );
            match &call.syscall {
                // The entry reads each argument as a `long`.
                Some(number) => {
                    let mut args = vec![format!("libc::{number}")];
                    args.extend(names.iter().map(|n| format!("{n} as c_long")));
                    format!("unsafe {{ f({}) }}", args.join(", "))
                }
                None => format!("unsafe {{ f({}) }}", names.join(", ")),
            }
        } else {
            format!("unsafe {{ libc::{} }}", call.call)
        };
        match &call.syscall {
            Some(number) => wrap_into(
                &mut out,
                4,
                "// ",
                &format!(
                    "SAFETY: the caller upholds this function's contract, and `{number}` \
                     takes these arguments, each passed as the `long` that `syscall` reads."
                ),
            ),
            None => out.push_str("// SAFETY: the caller upholds this function's contract.\n"),
        }
        // `syscall` returns a `long`, whatever the system call's C type.
        let value = match (&call.ret, &call.syscall) {
            (Ret::Value(ty), Some(_)) => format!("ret as {ty}"),
            _ => "ret".to_string(),
        };
        let body = match (&call.ret, call.infallible) {
            (Ret::Value(_), true) if call.syscall.is_some() => {
                format!("let ret = {made};\n{value}")
            }
            (Ret::Value(_), true) => made,
            (Ret::Value(_), false) => {
                format!("let ret = {made};\nif ret == -1 {{ Err(errno()) }} else {{ Ok({value}) }}")
            }
            (Ret::Unit, _) => {
                format!("let ret = {made};\nif ret == -1 {{ Err(errno()) }} else {{ Ok(()) }}")
            }
            (Ret::Size, _) => format!(
                "let ret = {made};\nif ret < 0 {{ Err(errno()) }} else {{ Ok(ret as usize) }}"
            ),
            (Ret::Errno, _) => format!("{made};\nerrno()"),
            (Ret::Never, _) => made,
        };
        let _ = writeln!(out, "{body}\n}}");
    }
    Ok(out)
}

/// The C return type of a call.
fn c_ret(ret: &Ret) -> String {
    match ret {
        Ret::Unit | Ret::Errno => "c_int".to_string(),
        Ret::Never => "!".to_string(),
        Ret::Size => "ssize_t".to_string(),
        Ret::Value(ty) => ty.clone(),
    }
}

fn ret_suffix(ret: &str) -> String {
    format!(" -> {ret}")
}

/// One slot of the table, and the C declaration it is filled from.
struct Slot<'a> {
    /// The field of `Table` and the name of the declaration.
    field: &'a str,
    symbol: &'a str,
    args: Vec<Arg>,
    /// `Some(n)`: C-variadic after the first `n` arguments.
    variadic_after: Option<usize>,
    ret: String,
    /// The comment above the declaration.
    why: Option<String>,
}

impl Slot<'_> {
    /// The C parameter list: named for a declaration, types only for a
    /// function pointer; `...` after the fixed ones of a variadic call.
    fn params(&self, named: bool) -> String {
        let fixed = self.variadic_after.unwrap_or(self.args.len());
        let mut parts: Vec<String> = self.args[..fixed]
            .iter()
            .map(|a| {
                if named {
                    format!("{}: {}", a.name, a.ty)
                } else {
                    a.ty.clone()
                }
            })
            .collect();
        if self.variadic_after.is_some() {
            parts.push("...".to_string());
        }
        parts.join(", ")
    }
}

/// The table's slots, sorted by field: one per child-allowed call made
/// through its own symbol, and one for the C library's `syscall` entry
/// when some calls are made through it (child-allowed ones, and perhaps
/// parent-only ones too).
fn table_slots<'a>(backend: &'a Backend, calls: &'a [Resolved]) -> Vec<Slot<'a>> {
    let mut slots: Vec<Slot<'a>> = calls
        .iter()
        .filter(|call| call.child && call.syscall.is_none())
        .map(|call| Slot {
            field: &call.name,
            symbol: &call.symbol,
            args: call.args.clone(),
            variadic_after: call.variadic_after,
            ret: c_ret(&call.ret),
            why: call.why.as_ref().map(|why| format!("{why}.")),
        })
        .collect();
    let through = |child: bool| -> Vec<String> {
        calls
            .iter()
            .filter(|call| call.child == child && call.syscall.is_some())
            .map(|call| format!("`{}`", call.name))
            .collect()
    };
    let (through, parent) = (through(true), through(false));
    if let (false, Some(entry)) = (through.is_empty(), &backend.syscall) {
        let parent = match parent.as_slice() {
            [] => String::new(),
            names => format!(
                " The parent-only {} are made through it too.",
                names.join(", ")
            ),
        };
        slots.push(Slot {
            field: SYSCALL_SYMBOL,
            symbol: SYSCALL_SYMBOL,
            args: vec![Arg {
                name: "number".to_string(),
                ty: "c_long".to_string(),
            }],
            variadic_after: Some(1),
            ret: "c_long".to_string(),
            why: Some(format!(
                "makes {} by number. {}.{parent}",
                through.join(", "),
                entry.why
            )),
        });
    }
    slots.sort_by(|a, b| a.field.cmp(b.field));
    slots
}

// --- shared by both kinds --------------------------------------------------

fn params(call: &Resolved) -> String {
    call.args
        .iter()
        .map(|a| format!("{}: {}", a.name, a.ty))
        .collect::<Vec<_>>()
        .join(", ")
}

fn rust_ret(call: &Resolved) -> String {
    match (&call.ret, call.infallible) {
        (Ret::Unit, _) => "Result<(), Errno>".to_string(),
        (Ret::Never, _) => "!".to_string(),
        (Ret::Errno, _) => "Errno".to_string(),
        (Ret::Size, _) => "Result<usize, Errno>".to_string(),
        (Ret::Value(ty), true) => ty.clone(),
        (Ret::Value(ty), false) => format!("Result<{ty}, Errno>"),
    }
}

/// The doc comment of a wrapper: call shape, purpose, where it may be
/// called, the symbol it binds (or `how`, a sentence on how it is made),
/// and its safety section.
fn docs(
    out: &mut String,
    call: &Resolved,
    alias: Option<&str>,
    symbol: Option<&str>,
    how: Option<&str>,
) {
    let names: Vec<&str> = call.args.iter().map(|a| a.name.as_str()).collect();
    let shape = format!("`{}({})` — {}.", call.name, names.join(", "), call.doc);
    wrap_into(out, 0, "/// ", &shape);
    out.push_str("///\n");
    let mut where_ = if call.child {
        "Allowed between fork and exec.".to_string()
    } else {
        "Parent only: not for a forked child.".to_string()
    };
    if let Some(symbol) = symbol.filter(|s| *s != call.name) {
        let _ = write!(where_, " Binds `{symbol}`");
        match &call.why {
            Some(why) => {
                let _ = write!(where_, ": {why}.");
            }
            None => where_.push('.'),
        }
    } else if let Some(why) = &call.why {
        let _ = write!(where_, " {}{}.", why[..1].to_uppercase(), &why[1..]);
    }
    if let Some(how) = how {
        let _ = write!(where_, " {how}");
    }
    wrap_into(out, 0, "/// ", &where_);
    out.push_str("///\n/// # Safety\n///\n");
    wrap_into(out, 0, "/// ", &call.safety);
    if let Some(alias) = alias {
        let _ = writeln!(out, "#[doc(alias = \"{alias}\")]");
    }
}

/// Appends `text` as comment lines starting with `prefix`, wrapped to
/// [`WIDTH`] once rustfmt has indented them by `indent` columns; code spans
/// in backticks are never split.
fn wrap_into(out: &mut String, indent: usize, prefix: &str, text: &str) {
    let mut words: Vec<String> = Vec::new();
    let mut in_code = false;
    for word in text.split(' ') {
        if in_code {
            if let Some(last) = words.last_mut() {
                last.push(' ');
                last.push_str(word);
            }
        } else {
            words.push(word.to_string());
        }
        if word.matches('`').count() % 2 == 1 {
            in_code = !in_code;
        }
    }
    let room = WIDTH.saturating_sub(indent + prefix.len());
    let mut line = String::new();
    for word in words {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > room {
            let _ = writeln!(out, "{prefix}{line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{prefix}{line}");
    }
}

/// Adds the `libc` names a type uses: bare identifiers that are not Rust
/// primitives, keywords, or part of a path.
fn type_idents(ty: &str, into: &mut BTreeSet<String>) {
    const SKIP: [&str; 16] = [
        "mut", "const", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64",
        "i128", "isize", "bool", "!",
    ];
    let bytes = ty.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_alphabetic() || bytes[i] == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let word = &ty[start..i];
            let in_path = ty[..start].ends_with("::") || ty[i..].starts_with("::");
            if !in_path && !SKIP.contains(&word) {
                into.insert(word.to_string());
            }
        } else {
            i += 1;
        }
    }
}

fn join(set: &BTreeSet<String>) -> String {
    set.iter().cloned().collect::<Vec<_>>().join(", ")
}
