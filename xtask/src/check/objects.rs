//! What a built object holds, for the audits: the functions it defines, the
//! symbols it imports, and every relocation, with its kind and the function
//! it sits in.
//!
//! A static library is read as one unit: a symbol that one member leaves
//! undefined and another defines (a compiler builtin) is not an import.

use std::collections::{BTreeMap, BTreeSet};

use object::read::archive::ArchiveFile;
use object::{
    Architecture, BinaryFormat, Object, ObjectSection, ObjectSymbol, RelocationFlags,
    RelocationTarget, SectionIndex, SectionKind, SymbolKind,
};

/// How a relocation makes its reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// An absolute pointer stored in data, bound by the dynamic linker when
    /// it loads the program.
    Data,
    /// A load of the symbol's address from the global offset table, which
    /// is bound at load time too.
    Got,
    /// A call or jump, which the static linker sends through a stub that
    /// may bind the symbol lazily, at its first call.
    Branch,
    /// Anything else: a PC-relative address, a page offset.
    Other,
}

/// A function defined in the object.
#[derive(Debug)]
pub struct Function {
    /// The symbol as the object spells it.
    pub symbol: String,
    /// The Rust path without its hash, or the symbol when it is not Rust.
    pub name: String,
    member: usize,
    section: SectionIndex,
    start: u64,
    end: u64,
}

/// Where a relocation points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum To {
    /// A symbol no member defines, by its C name (`__fork`, not `___fork`).
    Import(String),
    /// A function of the object (an index into [`Code::functions`]).
    Function(usize),
    /// Defined data, or a place the audit does not need to follow.
    Other,
    /// A section-relative place inside code whose function the relocation
    /// does not name.
    Unnamed,
}

/// One relocation.
#[derive(Debug)]
pub struct Reference {
    /// The function it sits in, or `None` outside code.
    pub from: Option<usize>,
    pub to: To,
    pub class: Class,
    /// The relocation type's name, for messages.
    pub kind: String,
}

/// Everything the audits read from one object or static library.
#[derive(Debug)]
pub struct Code {
    pub format: BinaryFormat,
    pub functions: Vec<Function>,
    pub references: Vec<Reference>,
    /// The C names of the symbols no member defines.
    pub imports: BTreeSet<String>,
}

impl Code {
    /// Reads an object file, or the members of a static library that a
    /// program referencing `entry` gets: the member defining it, and then,
    /// as a linker pulls them, every member that defines a symbol the ones
    /// already taken leave undefined.
    pub fn parse(data: &[u8], entry: &str) -> Result<Code, String> {
        let mut all = Vec::new();
        if let Ok(archive) = ArchiveFile::parse(data) {
            for member in archive.members() {
                let member = member.map_err(|e| format!("bad archive member: {e}"))?;
                let name = String::from_utf8_lossy(member.name()).into_owned();
                let bytes = member
                    .data(data)
                    .map_err(|e| format!("archive member {name}: {e}"))?;
                if !name.ends_with(".o") {
                    // rustc's `lib.rmeta` and other non-objects.
                    continue;
                }
                let file = object::File::parse(bytes)
                    .map_err(|e| format!("archive member {name}: {e}"))?;
                all.push(file);
            }
        } else {
            all.push(object::File::parse(data).map_err(|e| format!("not an object: {e}"))?);
        }
        let members = pull(all, entry)?;
        let first = &members[0];
        let (format, arch) = (first.format(), first.architecture());
        if members
            .iter()
            .any(|m| m.format() != format || m.architecture() != arch)
        {
            return Err("the archive mixes object formats or architectures".into());
        }
        let mut code = Code {
            format,
            functions: Vec::new(),
            references: Vec::new(),
            imports: BTreeSet::new(),
        };

        // Functions, and the global symbols defined anywhere.
        let mut defined = BTreeSet::new();
        for (m, file) in members.iter().enumerate() {
            for function in functions(m, file) {
                code.functions.push(function);
            }
            for symbol in file.symbols() {
                if symbol.is_definition()
                    && symbol.is_global()
                    && let Ok(name) = symbol.name()
                {
                    defined.insert(name.to_string());
                }
            }
        }
        let by_name: BTreeMap<&str, usize> = code
            .functions
            .iter()
            .enumerate()
            .map(|(i, f)| (f.symbol.as_str(), i))
            .collect();
        let mut references = Vec::new();
        let mut imports = BTreeSet::new();

        for (m, file) in members.iter().enumerate() {
            for section in file.sections() {
                for (offset, reloc) in section.relocations() {
                    let place = section.address() + offset;
                    let from = code.find(m, section.index(), place);
                    let class = classify(format, arch, reloc.flags());
                    let to = match reloc.target() {
                        RelocationTarget::Symbol(index) => {
                            let symbol = file
                                .symbol_by_index(index)
                                .map_err(|e| format!("bad relocation symbol: {e}"))?;
                            let name = symbol.name().unwrap_or_default();
                            if symbol.is_undefined() {
                                if let Some(&f) = by_name.get(name) {
                                    To::Function(f)
                                } else if defined.contains(name) {
                                    To::Other
                                } else {
                                    let c = c_name(format, name).to_string();
                                    imports.insert(c.clone());
                                    To::Import(c)
                                }
                            } else if let Some(section) = symbol.section_index() {
                                let mut at = symbol.address();
                                if symbol.kind() == SymbolKind::Section {
                                    at = at.wrapping_add(target_addend(arch, &reloc) as u64);
                                }
                                match code.find(m, section, at) {
                                    Some(f) => To::Function(f),
                                    None => To::Other,
                                }
                            } else {
                                To::Other
                            }
                        }
                        RelocationTarget::Section(index) => {
                            let code_section = file
                                .section_by_index(index)
                                .is_ok_and(|s| s.kind() == SectionKind::Text);
                            if code_section && from.is_some() {
                                To::Unnamed
                            } else {
                                To::Other
                            }
                        }
                        _ => To::Other,
                    };
                    references.push(Reference {
                        from,
                        to,
                        class,
                        kind: kind_name(format, arch, reloc.flags()),
                    });
                }
            }
        }
        // Undefined symbols that no relocation names are imports too.
        for file in &members {
            for symbol in file.symbols() {
                if symbol.is_undefined() {
                    let name = symbol.name().unwrap_or_default();
                    if !name.is_empty() && !defined.contains(name) {
                        imports.insert(c_name(format, name).to_string());
                    }
                }
            }
        }
        code.references = references;
        code.imports = imports;
        Ok(code)
    }

    /// The function of member `member` that holds `at` in `section`.
    fn find(&self, member: usize, section: SectionIndex, at: u64) -> Option<usize> {
        self.functions.iter().position(|f| {
            f.member == member && f.section == section && (f.start..f.end).contains(&at)
        })
    }

    /// The functions that `roots` reach through relocations, roots included.
    pub fn reachable(&self, roots: &[usize]) -> BTreeSet<usize> {
        let mut seen: BTreeSet<usize> = roots.iter().copied().collect();
        let mut work: Vec<usize> = roots.to_vec();
        while let Some(f) = work.pop() {
            for r in &self.references {
                if r.from == Some(f)
                    && let To::Function(g) = r.to
                    && seen.insert(g)
                {
                    work.push(g);
                }
            }
        }
        seen
    }

    /// The symbol prefix of the format: `_` for Mach-O, none for ELF.
    pub fn prefix(&self) -> &'static str {
        prefix(self.format)
    }
}

/// The members a link that needs `entry` takes from `all`, `entry`'s own
/// first.
fn pull<'d>(all: Vec<object::File<'d>>, entry: &str) -> Result<Vec<object::File<'d>>, String> {
    if all.len() == 1 {
        return Ok(all);
    }
    let entry = format!("{}{entry}", prefix(all[0].format()));
    let defines = |file: &object::File<'_>, name: &str| {
        file.symbols()
            .any(|s| s.is_definition() && s.is_global() && s.name() == Ok(name))
    };
    let mut taken = vec![false; all.len()];
    let mut wanted = vec![entry.clone()];
    let mut order = Vec::new();
    while let Some(name) = wanted.pop() {
        let Some(m) = (0..all.len()).find(|&m| defines(&all[m], &name)) else {
            continue;
        };
        if taken[m] {
            continue;
        }
        taken[m] = true;
        order.push(m);
        for symbol in all[m].symbols() {
            if symbol.is_undefined()
                && let Ok(name) = symbol.name()
            {
                wanted.push(name.to_string());
            }
        }
    }
    if order.is_empty() {
        return Err(format!("no member of the archive defines `{entry}`"));
    }
    let mut all: Vec<Option<object::File<'d>>> = all.into_iter().map(Some).collect();
    Ok(order.into_iter().filter_map(|m| all[m].take()).collect())
}

/// The symbol prefix C names get in `format`.
pub fn prefix(format: BinaryFormat) -> &'static str {
    if format == BinaryFormat::MachO {
        "_"
    } else {
        ""
    }
}

/// The C name of a symbol: Mach-O puts `_` before every C name.
fn c_name(format: BinaryFormat, symbol: &str) -> &str {
    symbol.strip_prefix(prefix(format)).unwrap_or(symbol)
}

/// The functions a member defines. A function runs from its symbol to its
/// size (ELF), or to the next symbol of its section, or to the section's
/// end. Mach-O's assembler-local labels (`l...`, `L...`) are not functions.
fn functions(member: usize, file: &object::File<'_>) -> Vec<Function> {
    let mut out = Vec::new();
    for section in file.sections() {
        if section.kind() != SectionKind::Text {
            continue;
        }
        let index = section.index();
        let mut symbols: Vec<(u64, u64, String)> = file
            .symbols()
            .filter(|s| s.section_index() == Some(index) && s.is_definition())
            .filter(|s| matches!(s.kind(), SymbolKind::Text | SymbolKind::Unknown))
            .filter_map(|s| Some((s.address(), s.size(), s.name().ok()?.to_string())))
            .filter(|(_, _, name)| {
                !name.is_empty()
                    && !(file.format() == BinaryFormat::MachO
                        && (name.starts_with('l') || name.starts_with('L')))
            })
            .collect();
        symbols.sort();
        let section_end = section.address() + section.size();
        for (i, (start, size, name)) in symbols.iter().enumerate() {
            let next = symbols[i..]
                .iter()
                .map(|s| s.0)
                .find(|&a| a > *start)
                .unwrap_or(section_end);
            let end = if *size > 0 { start + size } else { next };
            out.push(Function {
                name: rust_name(c_name(file.format(), name)),
                symbol: name.clone(),
                member,
                section: index,
                start: *start,
                end,
            });
        }
    }
    out
}

/// A Rust symbol's path without its hash; other symbols as they are.
fn rust_name(symbol: &str) -> String {
    match rustc_demangle::try_demangle(symbol) {
        Ok(name) => format!("{name:#}"),
        Err(_) => symbol.to_string(),
    }
}

/// The offset inside its section that a section-symbol relocation names:
/// its addend, corrected on x86_64 for PC-relative fields, whose addend
/// counts from the end of the 4-byte field.
fn target_addend(arch: Architecture, reloc: &object::Relocation) -> i64 {
    let pc_relative = matches!(
        reloc.flags(),
        RelocationFlags::Elf {
            r_type: object::elf::R_X86_64_PC32
                | object::elf::R_X86_64_PLT32
                | object::elf::R_X86_64_GOTPCREL
                | object::elf::R_X86_64_GOTPCRELX
                | object::elf::R_X86_64_REX_GOTPCRELX
        }
    );
    if arch == Architecture::X86_64 && pc_relative {
        reloc.addend() + 4
    } else {
        reloc.addend()
    }
}

/// The class of a relocation type, from `<mach-o/x86_64/reloc.h>`,
/// `<mach-o/arm64/reloc.h>` and the x86-64 and AArch64 ELF psABIs.
pub fn classify(format: BinaryFormat, arch: Architecture, flags: RelocationFlags) -> Class {
    use object::{elf, macho};
    match (format, arch, flags) {
        (BinaryFormat::MachO, Architecture::X86_64, RelocationFlags::MachO { r_type, .. }) => {
            match r_type {
                macho::X86_64_RELOC_UNSIGNED => Class::Data,
                macho::X86_64_RELOC_GOT_LOAD | macho::X86_64_RELOC_GOT => Class::Got,
                macho::X86_64_RELOC_BRANCH => Class::Branch,
                _ => Class::Other,
            }
        }
        (BinaryFormat::MachO, Architecture::Aarch64, RelocationFlags::MachO { r_type, .. }) => {
            match r_type {
                macho::ARM64_RELOC_UNSIGNED => Class::Data,
                macho::ARM64_RELOC_GOT_LOAD_PAGE21
                | macho::ARM64_RELOC_GOT_LOAD_PAGEOFF12
                | macho::ARM64_RELOC_POINTER_TO_GOT => Class::Got,
                macho::ARM64_RELOC_BRANCH26 => Class::Branch,
                _ => Class::Other,
            }
        }
        (BinaryFormat::Elf, Architecture::X86_64, RelocationFlags::Elf { r_type }) => {
            match r_type {
                elf::R_X86_64_64 => Class::Data,
                elf::R_X86_64_GOTPCREL | elf::R_X86_64_GOTPCRELX | elf::R_X86_64_REX_GOTPCRELX => {
                    Class::Got
                }
                elf::R_X86_64_PLT32 => Class::Branch,
                _ => Class::Other,
            }
        }
        (BinaryFormat::Elf, Architecture::Aarch64, RelocationFlags::Elf { r_type }) => match r_type
        {
            elf::R_AARCH64_ABS64 => Class::Data,
            elf::R_AARCH64_ADR_GOT_PAGE | elf::R_AARCH64_LD64_GOT_LO12_NC => Class::Got,
            elf::R_AARCH64_CALL26 | elf::R_AARCH64_JUMP26 => Class::Branch,
            _ => Class::Other,
        },
        _ => Class::Other,
    }
}

/// A relocation type's name as the headers spell it.
fn kind_name(format: BinaryFormat, arch: Architecture, flags: RelocationFlags) -> String {
    use object::{elf, macho};
    let name = match (format, arch, flags) {
        (BinaryFormat::MachO, Architecture::X86_64, RelocationFlags::MachO { r_type, .. }) => {
            match r_type {
                macho::X86_64_RELOC_UNSIGNED => "X86_64_RELOC_UNSIGNED",
                macho::X86_64_RELOC_SIGNED => "X86_64_RELOC_SIGNED",
                macho::X86_64_RELOC_BRANCH => "X86_64_RELOC_BRANCH",
                macho::X86_64_RELOC_GOT_LOAD => "X86_64_RELOC_GOT_LOAD",
                macho::X86_64_RELOC_GOT => "X86_64_RELOC_GOT",
                _ => "",
            }
        }
        (BinaryFormat::MachO, Architecture::Aarch64, RelocationFlags::MachO { r_type, .. }) => {
            match r_type {
                macho::ARM64_RELOC_UNSIGNED => "ARM64_RELOC_UNSIGNED",
                macho::ARM64_RELOC_BRANCH26 => "ARM64_RELOC_BRANCH26",
                macho::ARM64_RELOC_PAGE21 => "ARM64_RELOC_PAGE21",
                macho::ARM64_RELOC_PAGEOFF12 => "ARM64_RELOC_PAGEOFF12",
                macho::ARM64_RELOC_GOT_LOAD_PAGE21 => "ARM64_RELOC_GOT_LOAD_PAGE21",
                macho::ARM64_RELOC_GOT_LOAD_PAGEOFF12 => "ARM64_RELOC_GOT_LOAD_PAGEOFF12",
                macho::ARM64_RELOC_POINTER_TO_GOT => "ARM64_RELOC_POINTER_TO_GOT",
                _ => "",
            }
        }
        (BinaryFormat::Elf, Architecture::X86_64, RelocationFlags::Elf { r_type }) => {
            match r_type {
                elf::R_X86_64_64 => "R_X86_64_64",
                elf::R_X86_64_PC32 => "R_X86_64_PC32",
                elf::R_X86_64_PLT32 => "R_X86_64_PLT32",
                elf::R_X86_64_GOTPCREL => "R_X86_64_GOTPCREL",
                elf::R_X86_64_GOTPCRELX => "R_X86_64_GOTPCRELX",
                elf::R_X86_64_REX_GOTPCRELX => "R_X86_64_REX_GOTPCRELX",
                _ => "",
            }
        }
        (BinaryFormat::Elf, Architecture::Aarch64, RelocationFlags::Elf { r_type }) => match r_type
        {
            elf::R_AARCH64_ABS64 => "R_AARCH64_ABS64",
            elf::R_AARCH64_CALL26 => "R_AARCH64_CALL26",
            elf::R_AARCH64_JUMP26 => "R_AARCH64_JUMP26",
            elf::R_AARCH64_ADR_GOT_PAGE => "R_AARCH64_ADR_GOT_PAGE",
            elf::R_AARCH64_LD64_GOT_LO12_NC => "R_AARCH64_LD64_GOT_LO12_NC",
            elf::R_AARCH64_ADR_PREL_PG_HI21 => "R_AARCH64_ADR_PREL_PG_HI21",
            elf::R_AARCH64_ADD_ABS_LO12_NC => "R_AARCH64_ADD_ABS_LO12_NC",
            _ => "",
        },
        _ => "",
    };
    if name.is_empty() {
        format!("{flags:?}")
    } else {
        name.to_string()
    }
}
