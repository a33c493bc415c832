//! `cargo xtask check-targets` — the crate built and audited for every OS
//! and arch it supports, on a machine that runs none of the BSDs or macOS.
//!
//! For each target (and Linux's libc flavour), in one target directory
//! (`target/check-targets`), one after another:
//!
//! - **check**, **clippy**: `cargo check` and `cargo clippy -D warnings` of
//!   the library, with its default features and, where rustup has the
//!   standard library, with `std`; clippy of the probe library too. Targets
//!   without a rustup standard library (OpenBSD, and FreeBSD and NetBSD on
//!   aarch64) use nightly's `-Zbuild-std=core`.
//! - **audit**: the probe crate (`xtask/probe`), which calls the whole
//!   public spawn API from one exported function, is built as a static
//!   library with fat LTO, so it holds exactly the code a spawning program
//!   gets, generics and inlined calls included. Its imports, its
//!   relocations and its child path are checked against the bindings spec
//!   (see [`audit`] for the rules).
//! - **ir**: the same build's LLVM IR declares each child-allowed C function
//!   C-variadic exactly when the spec says so (`fcntl`, `ioctl`).
//! - **link**: for macOS, the probe program is linked against libSystem's
//!   stub by `cargo zigbuild`, so a symbol libSystem does not export fails
//!   the build, and the program's imports from libSystem are checked; on
//!   the build machine's own target, the program is linked, its dynamic
//!   relocations are checked for lazily bound child-allowed symbols, and it
//!   is run to spawn a shell.
//!
//! A missing toolchain, target or tool skips the steps that need it, with
//! the reason; under `CI=true` a skip is a failure.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use object::{Object, ObjectSymbol, ObjectSymbolTable};

use crate::spec::Spec;

pub mod audit;
pub mod ir;
pub mod objects;
#[cfg(test)]
mod tests;

use audit::{Expect, Findings};
use objects::Code;

/// One build configuration: a target, and the crate features it needs.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub triple: &'static str,
    /// The spec's backend.
    pub backend: &'static str,
    pub arch: &'static str,
    /// No rustup standard library: nightly with `-Zbuild-std=core`.
    pub build_std: bool,
    /// Extra features of the crate.
    pub features: &'static [&'static str],
}

impl Target {
    /// How the summary names it.
    pub fn label(&self) -> String {
        if self.features.is_empty() {
            self.triple.to_string()
        } else {
            format!("{} ({})", self.triple, self.features.join(","))
        }
    }

    fn is_macos(&self) -> bool {
        self.backend == "macos"
    }
}

const fn target(
    triple: &'static str,
    backend: &'static str,
    arch: &'static str,
    build_std: bool,
) -> Target {
    Target {
        triple,
        backend,
        arch,
        build_std,
        features: &[],
    }
}

/// Every configuration, in the order they run.
pub const TARGETS: [Target; 12] = [
    target("x86_64-unknown-linux-gnu", "linux", "x86_64", false),
    Target {
        features: &["linux-libc"],
        ..target("x86_64-unknown-linux-gnu", "linux_libc", "x86_64", false)
    },
    target("aarch64-unknown-linux-gnu", "linux", "aarch64", false),
    Target {
        features: &["linux-libc"],
        ..target("aarch64-unknown-linux-gnu", "linux_libc", "aarch64", false)
    },
    target("x86_64-apple-darwin", "macos", "x86_64", false),
    target("aarch64-apple-darwin", "macos", "aarch64", false),
    target("x86_64-unknown-freebsd", "freebsd", "x86_64", false),
    target("aarch64-unknown-freebsd", "freebsd", "aarch64", true),
    target("x86_64-unknown-openbsd", "openbsd", "x86_64", true),
    target("aarch64-unknown-openbsd", "openbsd", "aarch64", true),
    target("x86_64-unknown-netbsd", "netbsd", "x86_64", false),
    target("aarch64-unknown-netbsd", "netbsd", "aarch64", true),
];

/// The result of one step.
#[derive(Debug)]
pub enum Outcome {
    Ok(Vec<String>),
    Failed(Vec<String>),
    Skipped(String),
    /// The step does not apply to the target.
    None,
}

impl Outcome {
    fn word(&self) -> &'static str {
        match self {
            Outcome::Ok(_) => "ok",
            Outcome::Failed(_) => "FAILED",
            Outcome::Skipped(_) => "skipped",
            Outcome::None => "-",
        }
    }

    fn from_findings(findings: Findings) -> Outcome {
        if findings.problems.is_empty() {
            Outcome::Ok(findings.notes)
        } else {
            Outcome::Failed(findings.problems)
        }
    }
}

/// The function the probe library exports: the whole spawn path.
const PROBE_ENTRY: &str = "forkexec_probe";

/// The steps, in the order they run and the summary shows them.
const STEPS: [&str; 5] = ["check", "clippy", "audit", "ir", "link"];

/// Where a run builds: the crate's root (with `xtask/probe` under it) and
/// the target directory.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
    pub target_dir: PathBuf,
}

impl Workspace {
    fn probe(&self) -> PathBuf {
        self.root.join("xtask").join("probe")
    }
}

/// Runs the task.
pub fn run(args: &[String]) -> Result<(), String> {
    let mut filters = Vec::new();
    for arg in args {
        if arg.starts_with('-') {
            return Err(format!(
                "check-targets: unknown option `{arg}`\nusage: cargo xtask check-targets [TARGET-SUBSTRING...]"
            ));
        }
        filters.push(arg.as_str());
    }
    let targets: Vec<Target> = TARGETS
        .into_iter()
        .filter(|t| filters.is_empty() || filters.iter().any(|f| t.label().contains(f)))
        .collect();
    if targets.is_empty() {
        return Err(format!("check-targets: no target matches {filters:?}"));
    }
    let root = crate::generate::workspace_root();
    let spec = Spec::load(&root)?;
    let ws = Workspace {
        target_dir: root.join("target").join("check-targets"),
        root,
    };
    let required = std::env::var("CI").is_ok_and(|v| v == "true");
    let tools = Tools::find();
    let start = Instant::now();

    let mut rows = Vec::new();
    for t in &targets {
        let label = t.label();
        let mut row: BTreeMap<&str, Outcome> = BTreeMap::new();
        let mut record = |step: &'static str, outcome: Outcome, start: Instant| {
            report(&label, step, &outcome, start);
            row.insert(step, outcome);
        };
        let available = tools.target_available(t);
        let skip = |why: &String| Outcome::Skipped(why.clone());

        let start = Instant::now();
        let check = match &available {
            Err(why) => skip(why),
            Ok(()) => cargo_step(&ws, t, "check"),
        };
        record("check", check, start);

        let start = Instant::now();
        let clippy = match (&available, tools.clippy_available(t)) {
            (Err(why), _) => skip(why),
            (_, Err(why)) => skip(&why),
            _ => cargo_step(&ws, t, "clippy"),
        };
        record("clippy", clippy, start);

        let start = Instant::now();
        let (audit, ir) = match &available {
            Err(why) if is_syscall(&spec, t) => (skip(why), Outcome::None),
            Err(why) => (skip(why), skip(why)),
            Ok(()) => audit_step(&ws, &spec, t),
        };
        record("audit", audit, start);
        record("ir", ir, start);

        let start = Instant::now();
        let link = if t.is_macos() {
            match (&available, &tools.zigbuild) {
                (Err(why), _) | (_, Err(why)) => skip(why),
                (Ok(()), Ok(zig)) => link_macos(&ws, &spec, t, zig),
            }
        } else if tools.runs(t) {
            match &available {
                Err(why) => skip(why),
                Ok(()) => link_and_run(&ws, &spec, t),
            }
        } else {
            Outcome::None
        };
        record("link", link, start);
        rows.push((label, row));
    }

    println!();
    println!(
        "{:<48}{}",
        "target",
        STEPS.map(|s| format!("{s:<9}")).join("")
    );
    let mut failed = 0;
    let mut skipped = 0;
    for (label, row) in &rows {
        let cells: Vec<String> = STEPS
            .iter()
            .map(|s| format!("{:<9}", row.get(s).map_or("-", Outcome::word)))
            .collect();
        println!("{label:<48}{}", cells.join(""));
        for outcome in row.values() {
            match outcome {
                Outcome::Failed(_) => failed += 1,
                Outcome::Skipped(_) => skipped += 1,
                _ => {}
            }
        }
    }
    println!(
        "check-targets: {} targets, {failed} failed, {skipped} skipped steps, {:.0} s",
        rows.len(),
        start.elapsed().as_secs_f64()
    );
    if failed > 0 {
        return Err(format!("check-targets: {failed} step(s) failed"));
    }
    if skipped > 0 && required {
        return Err(format!(
            "check-targets: {skipped} step(s) skipped, and CI=true requires every one"
        ));
    }
    Ok(())
}

fn report(label: &str, step: &str, outcome: &Outcome, start: Instant) {
    let secs = start.elapsed().as_secs_f64();
    match outcome {
        Outcome::Ok(notes) => {
            println!("check-targets: {label}: {step} ok ({secs:.0} s)");
            for note in notes {
                println!("    {note}");
            }
        }
        Outcome::Failed(problems) => {
            println!("check-targets: {label}: {step} FAILED ({secs:.0} s)");
            for problem in problems {
                println!("    {problem}");
            }
        }
        Outcome::Skipped(why) => println!("check-targets: {label}: {step} skipped: {why}"),
        Outcome::None => {}
    }
}

/// The toolchains and tools found on this machine.
#[derive(Debug)]
pub struct Tools {
    /// The host's target triple.
    host: String,
    /// Targets with a rustup standard library on the stable toolchain.
    stable_targets: Vec<String>,
    /// Nightly with `rust-src`, or why not.
    nightly: Result<(), String>,
    /// Clippy on stable and on nightly, or why not.
    clippy: Result<(), String>,
    nightly_clippy: Result<(), String>,
    /// The `cargo-zigbuild` program, or why not.
    zigbuild: Result<PathBuf, String>,
}

impl Tools {
    /// Looks for what the steps need.
    pub fn find() -> Tools {
        let host = output(Command::new(rustc()).arg("-vV"))
            .ok()
            .and_then(|o| {
                o.lines()
                    .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
            })
            .unwrap_or_default();
        let stable_targets = output(Command::new("rustup").args(["target", "list", "--installed"]))
            .map(|o| o.lines().map(str::to_string).collect())
            .unwrap_or_default();
        let nightly =
            output(Command::new("rustup").args(["run", "nightly", "rustc", "--print", "sysroot"]))
                .map_err(|e| format!("no nightly toolchain ({e})"))
                .and_then(|sysroot| {
                    let src = Path::new(sysroot.trim()).join("lib/rustlib/src/rust/library/core");
                    if src.is_dir() {
                        Ok(())
                    } else {
                        Err(
                    "nightly has no rust-src (rustup component add rust-src --toolchain nightly)"
                        .into(),
                )
                    }
                });
        let clippy = |c: &mut Command, toolchain: &str| {
            output(c.args(["clippy", "--version"])).map(drop).map_err(|_| {
                format!("clippy is not installed (rustup component add clippy --toolchain {toolchain})")
            })
        };
        Tools {
            host,
            stable_targets,
            nightly,
            clippy: clippy(&mut Command::new(cargo()), "stable"),
            nightly_clippy: clippy(
                Command::new("rustup").args(["run", "nightly", "cargo"]),
                "nightly",
            ),
            zigbuild: find_zigbuild(),
        }
    }

    /// Whether `t` can be built here, or why not.
    pub fn target_available(&self, t: &Target) -> Result<(), String> {
        if t.build_std {
            self.nightly.clone()
        } else if self.stable_targets.iter().any(|s| s == t.triple) {
            Ok(())
        } else {
            Err(format!(
                "the rustup target {} is not installed (rustup target add {})",
                t.triple, t.triple
            ))
        }
    }

    /// Whether clippy for `t`'s toolchain is installed, or why not.
    fn clippy_available(&self, t: &Target) -> Result<(), String> {
        if t.build_std {
            self.nightly_clippy.clone()
        } else {
            self.clippy.clone()
        }
    }

    /// Whether programs built for `t` run here.
    fn runs(&self, t: &Target) -> bool {
        t.triple == self.host
    }
}

/// `cargo-zigbuild`, on `PATH` or where pip puts scripts.
fn find_zigbuild() -> Result<PathBuf, String> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    for query in [
        "import sysconfig; print(sysconfig.get_path('scripts'))",
        "import site; print(site.getuserbase() + '/bin')",
    ] {
        if let Ok(dir) = output(Command::new("python3").args(["-c", query])) {
            dirs.push(PathBuf::from(dir.trim()));
        }
    }
    dirs.into_iter()
        .map(|d| d.join("cargo-zigbuild"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            "cargo-zigbuild is not installed (pip install ziglang cargo-zigbuild)".into()
        })
}

/// The stable `cargo`: the one running this task.
fn cargo() -> PathBuf {
    std::env::var_os("CARGO").map_or_else(|| "cargo".into(), PathBuf::from)
}

fn rustc() -> PathBuf {
    std::env::var_os("RUSTC").map_or_else(|| "rustc".into(), PathBuf::from)
}

/// A cargo command for `t`: stable cargo, or nightly's through rustup.
fn cargo_for(t: &Target) -> Command {
    if t.build_std {
        let mut c = Command::new("rustup");
        c.args(["run", "nightly", "cargo"]);
        c
    } else {
        Command::new(cargo())
    }
}

/// The arguments every build of `t` shares: the target, build-std, and the
/// target directory.
fn common_args(c: &mut Command, ws: &Workspace, t: &Target) {
    c.args(["--target", t.triple]);
    if t.build_std {
        c.arg("-Zbuild-std=core");
    }
    c.arg("--target-dir").arg(&ws.target_dir);
}

/// `cargo check` or `cargo clippy -D warnings` of the library.
fn cargo_step(ws: &Workspace, t: &Target, step: &str) -> Outcome {
    // Where rustup has the standard library, the `std` feature too.
    let mut feature_sets = vec![t.features.to_vec()];
    if !t.build_std {
        feature_sets.push([t.features, &["std"]].concat());
    }
    let mut notes = Vec::new();
    for features in &feature_sets {
        let mut c = cargo_for(t);
        c.current_dir(&ws.root)
            .args([step, "--quiet", "-p", "forkexec", "--lib"]);
        common_args(&mut c, ws, t);
        if !features.is_empty() {
            c.args(["--features", &features.join(",")]);
        }
        if step == "clippy" {
            c.args(["--", "-D", "warnings"]);
        }
        if let Err(e) = run_quiet(&mut c) {
            return Outcome::Failed(vec![e]);
        }
        notes.push(if features.is_empty() {
            "the library, default features".to_string()
        } else {
            format!("the library, features {}", features.join(","))
        });
    }
    if step == "clippy" {
        // The probe is a workspace of its own: lint it too.
        let mut c = cargo_for(t);
        c.current_dir(ws.probe())
            .args(["clippy", "--quiet", "--lib"]);
        common_args(&mut c, ws, t);
        c.args(["--", "-D", "warnings"]);
        if let Err(e) = run_quiet(&mut c) {
            return Outcome::Failed(vec![e]);
        }
        notes.push("the probe library".into());
    }
    Outcome::Ok(vec![notes.join("; ")])
}

/// Whether `t`'s backend makes raw system calls: no C declarations to check.
fn is_syscall(spec: &Spec, t: &Target) -> bool {
    spec.backend
        .get(t.backend)
        .is_some_and(|b| b.kind == crate::spec::Kind::Syscall)
}

/// Builds the probe library for `t` with its LLVM IR, and audits both.
fn audit_step(ws: &Workspace, spec: &Spec, t: &Target) -> (Outcome, Outcome) {
    let expect = match Expect::from_spec(spec, t.backend, t.arch) {
        Ok(e) => e,
        Err(e) => return (Outcome::Failed(vec![e.clone()]), Outcome::Failed(vec![e])),
    };
    let (archive, ir_path) = match build_probe(ws, t) {
        Ok(paths) => paths,
        Err(e) => {
            let why = "the probe did not build".to_string();
            return (Outcome::Failed(vec![e]), Outcome::Failed(vec![why]));
        }
    };
    let audit = match std::fs::read(&archive) {
        Ok(data) => match Code::parse(&data, PROBE_ENTRY) {
            Ok(code) => Outcome::from_findings(audit::audit_code(&code, &expect)),
            Err(e) => Outcome::Failed(vec![format!("{}: {e}", archive.display())]),
        },
        Err(e) => Outcome::Failed(vec![format!("cannot read {}: {e}", archive.display())]),
    };
    let ir = if is_syscall(spec, t) {
        Outcome::None
    } else {
        match std::fs::read_to_string(&ir_path) {
            Ok(text) => Outcome::from_findings(audit::audit_ir(&text, &expect)),
            Err(e) => Outcome::Failed(vec![format!(
                "cannot read {}: {e} (cargo found the probe fresh and emitted no IR; \
                 remove {} to rebuild)",
                ir_path.display(),
                ws.target_dir.display()
            )]),
        }
    };
    (audit, ir)
}

/// The name a configuration's files get: the triple and its features.
fn file_stem(t: &Target) -> String {
    let mut stem = t.triple.to_string();
    for f in t.features {
        stem.push('-');
        stem.push_str(f);
    }
    stem
}

/// Builds the probe library for `t`: its static library and its LLVM IR.
fn build_probe(ws: &Workspace, t: &Target) -> Result<(PathBuf, PathBuf), String> {
    let ir_dir = ws.target_dir.join("probe-ir");
    std::fs::create_dir_all(&ir_dir).map_err(|e| format!("{}: {e}", ir_dir.display()))?;
    let ir_path = ir_dir.join(format!("{}.ll", file_stem(t)));
    let mut c = cargo_for(t);
    c.current_dir(ws.probe()).args([
        "rustc",
        "--quiet",
        "--lib",
        "--release",
        "--crate-type",
        "staticlib",
    ]);
    common_args(&mut c, ws, t);
    if !t.features.is_empty() {
        let features: Vec<String> = t.features.iter().map(|f| format!("forkexec/{f}")).collect();
        c.args(["--features", &features.join(",")]);
    }
    c.arg("--")
        .arg(format!("--emit=llvm-ir={},link", ir_path.display()));
    run_quiet(&mut c)?;
    let archive = ws
        .target_dir
        .join(t.triple)
        .join("release")
        .join("libforkexec_probe.a");
    Ok((archive, ir_path))
}

/// Links the probe program for macOS against libSystem's stub and checks
/// that it imports every child-allowed symbol, the fork and exit entry
/// points included, from libSystem.
fn link_macos(ws: &Workspace, spec: &Spec, t: &Target, zigbuild: &Path) -> Outcome {
    match link_macos_problems(ws, spec, t, zigbuild) {
        Ok((problems, _)) if !problems.is_empty() => Outcome::Failed(problems),
        Ok((_, notes)) => Outcome::Ok(notes),
        Err(e) => Outcome::Failed(vec![e]),
    }
}

/// As [`link_macos`]: `Err` when the link fails, else the problems found in
/// the linked program and notes.
pub fn link_macos_problems(
    ws: &Workspace,
    spec: &Spec,
    t: &Target,
    zigbuild: &Path,
) -> Result<(Vec<String>, Vec<String>), String> {
    let expect = Expect::from_spec(spec, t.backend, t.arch)?;
    let program = build_program(ws, t, Some(zigbuild))?;
    let data = std::fs::read(&program).map_err(|e| format!("{}: {e}", program.display()))?;
    let file = object::File::parse(&*data).map_err(|e| format!("{}: {e}", program.display()))?;
    let imports = file
        .imports()
        .and_then(|i| i.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{}: {e}", program.display()))?;
    let mut problems = Vec::new();
    let mut from_libsystem = 0;
    for symbol in expect.child.keys() {
        let mangled = format!("_{symbol}");
        match imports
            .iter()
            .find(|i| i.name() == object::NameOrOrdinal::Name(mangled.as_bytes()))
        {
            None => problems.push(format!("the linked program does not import `{mangled}`")),
            Some(i) if !String::from_utf8_lossy(i.library()).contains("libSystem") => problems
                .push(format!(
                    "the linked program imports `{mangled}` from {}, not libSystem",
                    String::from_utf8_lossy(i.library())
                )),
            Some(_) => from_libsystem += 1,
        }
    }
    let notes = vec![format!(
        "linked by zig against libSystem; {from_libsystem} child-allowed symbols imported from it"
    )];
    Ok((problems, notes))
}

/// Builds the probe program for `t`, with `cargo zigbuild` when given.
fn build_program(ws: &Workspace, t: &Target, zigbuild: Option<&Path>) -> Result<PathBuf, String> {
    let mut c = match zigbuild {
        Some(zig) => {
            let mut c = Command::new(zig);
            c.arg("zigbuild").env("CARGO", cargo());
            c
        }
        None => {
            let mut c = Command::new(cargo());
            c.arg("build");
            c
        }
    };
    c.current_dir(ws.probe()).args([
        "--quiet",
        "--profile",
        "probe-program",
        "--bin",
        "forkexec-probe",
    ]);
    common_args(&mut c, ws, t);
    let mut features = vec!["std".to_string()];
    features.extend(t.features.iter().map(|f| format!("forkexec/{f}")));
    c.args(["--features", &features.join(",")]);
    run_quiet(&mut c)?;
    Ok(ws
        .target_dir
        .join(t.triple)
        .join("probe-program")
        .join("forkexec-probe"))
}

/// Links the probe program for the build machine's own target, checks that
/// no child-allowed symbol is bound lazily (a PLT slot), and runs it to
/// spawn a shell that exits with 7.
fn link_and_run(ws: &Workspace, spec: &Spec, t: &Target) -> Outcome {
    let result = (|| -> Result<Vec<String>, String> {
        let expect = Expect::from_spec(spec, t.backend, t.arch)?;
        let program = build_program(ws, t, None)?;
        let data = std::fs::read(&program).map_err(|e| format!("{}: {e}", program.display()))?;
        let lazy = lazily_bound(&data)?;
        let bad: Vec<&String> = lazy
            .iter()
            .filter(|s| expect.child.contains_key(*s))
            .collect();
        if !bad.is_empty() {
            return Err(format!(
                "child-allowed symbols bound lazily through the PLT: {bad:?}"
            ));
        }
        let status = Command::new(&program)
            .args(["sh", "-c", "exit 7"])
            .status()
            .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
        if status.code() != Some(7) {
            return Err(format!(
                "the probe program spawned `sh -c 'exit 7'` and got {status}"
            ));
        }
        Ok(vec![format!(
            "linked; {} PLT slots, none for a child-allowed symbol; spawned `sh -c 'exit 7'`: 7",
            lazy.len()
        )])
    })();
    match result {
        Ok(notes) => Outcome::Ok(notes),
        Err(e) => Outcome::Failed(vec![e]),
    }
}

/// The symbols an ELF program binds lazily: those of its jump-slot dynamic
/// relocations (`R_X86_64_JUMP_SLOT`, `R_AARCH64_JUMP_SLOT`).
fn lazily_bound(data: &[u8]) -> Result<Vec<String>, String> {
    let file = object::File::parse(data).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let Some(relocations) = file.dynamic_relocations() else {
        return Ok(out);
    };
    for (_, reloc) in relocations {
        let object::RelocationFlags::Elf { r_type } = reloc.flags() else {
            continue;
        };
        if r_type != object::elf::R_X86_64_JUMP_SLOT && r_type != object::elf::R_AARCH64_JUMP_SLOT {
            continue;
        }
        if let object::RelocationTarget::Symbol(index) = reloc.target()
            && let Some(symbol) = file
                .dynamic_symbol_table()
                .and_then(|table| table.symbol_by_index(index).ok())
        {
            out.push(symbol.name().unwrap_or_default().to_string());
        }
    }
    Ok(out)
}

/// Runs `c`, keeping its output to show only when it fails.
fn run_quiet(c: &mut Command) -> Result<(), String> {
    let out: Output = c
        .output()
        .map_err(|e| format!("cannot run {:?}: {e}", c.get_program()))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let tail = lines[lines.len().saturating_sub(40)..].join("\n    ");
    let args: Vec<String> = c
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    Err(format!(
        "`{} {}` failed ({}):\n    {tail}",
        c.get_program().to_string_lossy(),
        args.join(" "),
        out.status
    ))
}

/// The standard output of `c`, when it succeeds.
fn output(c: &mut Command) -> Result<String, String> {
    let out = c
        .output()
        .map_err(|e| format!("cannot run {:?}: {e}", c.get_program()))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}
