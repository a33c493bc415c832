//! Reading the `declare` lines of LLVM IR: which external functions a
//! module declares, and whether each is C-variadic.

use std::collections::BTreeMap;

/// The functions `ir` declares, by symbol name, each with `true` when its
/// parameter list ends in `...`.
///
/// A line reads `declare <attrs> <type> @<name>(<params>) <attrs>`; the
/// name may be quoted (`@"\01__fork"`, where `\01` tells LLVM not to
/// mangle the name further), and parameters may carry attributes with
/// parentheses of their own (`ptr captures(none)`).
pub fn declarations(ir: &str) -> Result<BTreeMap<String, bool>, String> {
    let mut out = BTreeMap::new();
    for (number, line) in ir.lines().enumerate() {
        let Some(rest) = line.strip_prefix("declare ") else {
            continue;
        };
        let bad = |what: &str| format!("IR line {}: {what}: {line}", number + 1);
        let at = rest.find('@').ok_or_else(|| bad("no function name"))?;
        let after = &rest[at + 1..];
        let (name, params) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"').ok_or_else(|| bad("unterminated name"))?;
            let name = quoted[..end].trim_start_matches("\\01");
            (name.to_string(), &quoted[end + 1..])
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || "_.$-".contains(c)))
                .ok_or_else(|| bad("no parameter list"))?;
            (after[..end].to_string(), &after[end..])
        };
        let params = params
            .strip_prefix('(')
            .ok_or_else(|| bad("no parameter list"))?;
        let mut depth = 1;
        let mut close = None;
        for (i, c) in params.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let close = close.ok_or_else(|| bad("unbalanced parameter list"))?;
        let variadic = params[..close].trim_end().ends_with("...");
        out.insert(name, variadic);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_names_and_variadic_lists() {
        let ir = "\
define void @f() {
  ret void
}
declare noundef i32 @fcntl(i32 noundef, i32 noundef, ...) unnamed_addr #0
declare noundef i32 @__fork() unnamed_addr #0
declare noundef i64 @write(i32 noundef, ptr noundef readonly captures(none), i64 noundef) #1
declare i32 @\"\\01_ioctl\"(i32, i64, ...)
declare noundef i32 @ptrace(i32 noundef, i32 noundef, ptr noundef, i32 noundef) #0
declare i32 @\"fstatat$INODE64\"(i32, ptr, ptr, i32)
";
        let d = declarations(ir).unwrap();
        assert_eq!(d.get("fcntl"), Some(&true));
        assert_eq!(d.get("__fork"), Some(&false));
        assert_eq!(d.get("write"), Some(&false));
        assert_eq!(d.get("_ioctl"), Some(&true));
        assert_eq!(d.get("ptrace"), Some(&false));
        assert_eq!(d.get("fstatat$INODE64"), Some(&false));
        assert_eq!(d.get("f"), None);
        assert_eq!(d.len(), 6);
    }

    #[test]
    fn rejects_a_cut_line() {
        assert!(declarations("declare i32 @fcntl(i32, i32, ...").is_err());
    }
}
