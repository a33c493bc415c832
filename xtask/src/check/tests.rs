//! The checks fed deliberately wrong bindings, end to end: a copy of the
//! crate with one thing broken, built for aarch64 macOS like
//! `check-targets` builds it, must fail the check that guards that thing,
//! with a message that names it. The unbroken copy passes, so a failure
//! comes from the break and not from the copy.
//!
//! Each case is a copy under `target/xtask-tests/<case>`, rewritten only
//! where it changed, with its own target directory (cases run at once, and
//! a shared one would let one case read another's library), so a second
//! run rebuilds nothing. They need the rustup target aarch64-apple-darwin and,
//! for the links, `cargo-zigbuild`; without them a case says why and
//! passes, except under `CI=true`, where it fails.

use std::path::{Path, PathBuf};

use super::{Target, Tools, Workspace, audit, build_probe, link_macos_problems, objects::Code};
use crate::generate;
use crate::spec::Spec;

/// The configuration every case builds: aarch64 macOS, where variadic
/// arguments go on the stack.
fn macos_arm() -> Target {
    super::TARGETS
        .into_iter()
        .find(|t| t.triple == "aarch64-apple-darwin")
        .unwrap()
}

/// Whether the case can run here; says why not, and fails under `CI=true`.
fn can_run(need_zig: bool) -> Option<Tools> {
    let tools = Tools::find();
    let missing = match (tools.target_available(&macos_arm()), &tools.zigbuild) {
        (Err(why), _) => Some(why),
        (Ok(()), Err(why)) if need_zig => Some(why.clone()),
        _ => None,
    };
    match missing {
        None => Some(tools),
        Some(why) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("cannot run under CI=true: {why}");
            }
            eprintln!("skipped: {why}");
            None
        }
    }
}

/// The real workspace root.
fn root() -> PathBuf {
    generate::workspace_root()
}

/// A copy of the workspace (the crate, the xtask, the probe) under
/// `target/xtask-tests/<case>`, with `change` applied to the copy's files.
/// Only files whose text differs are written, so cargo sees unchanged
/// files as fresh.
fn copy(case: &str, change: impl FnOnce(&Path)) -> Workspace {
    let from = root();
    let to = root().join("target").join("xtask-tests").join(case);
    let stage = to.with_extension("stage");
    let _ = std::fs::remove_dir_all(&stage);
    copy_tree(&from, &stage);
    change(&stage);
    sync_tree(&stage, &to);
    std::fs::remove_dir_all(&stage).unwrap();
    Workspace {
        target_dir: to.join("target"),
        root: to,
    }
}

/// Copies the tree at `from` to `to`, leaving out build output and git.
fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            if [".git", "target"].contains(&entry.file_name().to_str().unwrap_or_default()) {
                continue;
            }
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        }
    } else if from.is_file() {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
    }
}

/// Makes `to` hold what `from` holds, writing only the files that differ.
fn sync_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            sync_tree(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        let text = std::fs::read(from).unwrap();
        if std::fs::read(to).ok().as_deref() != Some(&text[..]) {
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::write(to, text).unwrap();
        }
    }
}

/// Replaces the one occurrence of `old` in the file at `path`.
fn patch(path: &Path, old: &str, new: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert_eq!(
        text.matches(old).count(),
        1,
        "{} should hold exactly one `{old}`; the case needs updating",
        path.display()
    );
    std::fs::write(path, text.replacen(old, new, 1)).unwrap();
}

/// Edits the copy's spec with `patch` and regenerates the copy's bindings
/// from it: a wrong binding made the way a wrong spec would make it.
fn regenerate(copy: &Path, old: &str, new: &str) {
    patch(&copy.join(crate::spec::SPEC_PATH), old, new);
    let spec = Spec::load(copy).unwrap();
    for (path, text) in generate::generate(&spec).unwrap() {
        std::fs::write(copy.join(path), text).unwrap();
    }
}

/// The object audit and the IR check of the probe built from `ws`, against
/// the real spec: their problems, or the build's error.
fn audit(ws: &Workspace) -> Result<(Vec<String>, Vec<String>), String> {
    let spec = Spec::load(&root())?;
    let expect = audit::Expect::from_spec(&spec, macos_arm().backend, macos_arm().arch)?;
    let (archive, ir) = build_probe(ws, &macos_arm())?;
    let code = Code::parse(&std::fs::read(&archive).unwrap(), super::PROBE_ENTRY)?;
    let objects = audit::audit_code(&code, &expect).problems;
    let declarations = audit::audit_ir(&std::fs::read_to_string(ir).unwrap(), &expect).problems;
    Ok((objects, declarations))
}

fn assert_has(problems: &[String], wanted: &[&str]) {
    eprintln!("found: {problems:#?}");
    assert!(
        problems
            .iter()
            .any(|p| wanted.iter().all(|w| p.contains(w))),
        "no problem mentions all of {wanted:?}; got {problems:#?}"
    );
}

#[test]
fn the_unbroken_crate_passes_every_check() {
    let Some(tools) = can_run(true) else { return };
    let ws = copy("unbroken", |_| {});
    let (objects, declarations) = audit(&ws).unwrap();
    assert_eq!(objects, Vec::<String>::new());
    assert_eq!(declarations, Vec::<String>::new());
    let spec = Spec::load(&root()).unwrap();
    let zig = tools.zigbuild.unwrap();
    let (problems, _) = link_macos_problems(&ws, &spec, &macos_arm(), &zig).unwrap();
    assert_eq!(problems, Vec::<String>::new());
}

#[test]
fn a_fixed_arity_fcntl_fails_the_declaration_check() {
    if can_run(false).is_none() {
        return;
    }
    let ws = copy("fixed-arity-fcntl", |c| {
        regenerate(
            c,
            "args = [\"fd: c_int\", \"cmd: c_int\", \"arg: c_int\"]\nret = \"c_int\"\nvariadic_after = 2\n",
            "args = [\"fd: c_int\", \"cmd: c_int\", \"arg: c_int\"]\nret = \"c_int\"\n",
        )
    });
    let (_, declarations) = audit(&ws).unwrap();
    assert_has(&declarations, &["`fcntl` is C-variadic", "fixed arguments"]);
}

#[test]
fn fork_instead_of_underscore_fork_fails_the_audit_and_the_link_check() {
    let Some(tools) = can_run(true) else { return };
    let ws = copy("fork-not-__fork", |c| {
        regenerate(
            c,
            "macos = { symbol = \"__fork\"",
            "macos = { symbol = \"fork\"",
        )
    });
    let (objects, _) = audit(&ws).unwrap();
    assert_has(&objects, &["`_fork`", "forbidden"]);
    assert_has(&objects, &["fork entry point `___fork`"]);
    let spec = Spec::load(&root()).unwrap();
    let zig = tools.zigbuild.unwrap();
    let (problems, _) = link_macos_problems(&ws, &spec, &macos_arm(), &zig).unwrap();
    assert_has(&problems, &["does not import `___fork`"]);
}

#[test]
fn a_direct_call_to_a_child_allowed_symbol_fails_the_binding_check() {
    if can_run(false).is_none() {
        return;
    }
    let ws = copy("direct-call", |c| {
        patch(
            &c.join("src/os/macos/aarch64.rs"),
            "let f = unsafe { core::ptr::read_volatile(&raw const TABLE.setsid) };",
            "let f = sym::setsid;",
        )
    });
    let (objects, _) = audit(&ws).unwrap();
    assert_has(&objects, &["`_setsid`", "ARM64_RELOC_BRANCH26"]);
}

#[test]
fn a_parent_only_call_in_the_child_fails_the_child_path_check() {
    if can_run(false).is_none() {
        return;
    }
    let ws = copy("child-calls-getppid", |c| {
        patch(
            &c.join("src/child.rs"),
            "pub(crate) unsafe fn run(plan: &mut Plan<'_>) -> Record {\n",
            "pub(crate) unsafe fn run(plan: &mut Plan<'_>) -> Record {\n    \
             // SAFETY: getppid takes no argument.\n    \
             if unsafe { libc::getppid() } == 0 {\n        \
             return Record { step: 0, errno: 0 };\n    }\n",
        )
    });
    let (objects, _) = audit(&ws).unwrap();
    assert_has(&objects, &["child path", "`_getppid`"]);
}

#[test]
fn a_symbol_libsystem_lacks_fails_the_link() {
    let Some(tools) = can_run(true) else { return };
    let ws = copy("fork-does-not-exist", |c| {
        regenerate(
            c,
            "macos = { symbol = \"__fork\"",
            "macos = { symbol = \"__fork_does_not_exist\"",
        )
    });
    let spec = Spec::load(&root()).unwrap();
    let zig = tools.zigbuild.unwrap();
    let error = link_macos_problems(&ws, &spec, &macos_arm(), &zig).unwrap_err();
    assert!(
        error.contains("undefined symbol") && error.contains("__fork_does_not_exist"),
        "{error}"
    );
}
