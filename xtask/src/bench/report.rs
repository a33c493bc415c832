//! What the benchmark makes of its samples: medians and p99, the goals of
//! the fast path checked against them, the markdown report, the plot, and
//! the system it ran on.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use plotters::prelude::*;

use super::spawners::Method;

/// The median and 99th percentile of one series, in nanoseconds.
#[derive(Copy, Clone, Debug)]
pub struct Summary {
    /// The median (the mean of the two middle samples when `n` is even).
    pub median: f64,
    /// The 99th percentile, nearest rank.
    pub p99: f64,
}

/// `summarize(samples)` — the summary of a non-empty series.
pub fn summarize(mut samples: Vec<u64>) -> Summary {
    samples.sort_unstable();
    let n = samples.len();
    let median = if n % 2 == 1 {
        samples[n / 2] as f64
    } else {
        (samples[n / 2 - 1] as f64 + samples[n / 2] as f64) / 2.0
    };
    // Nearest rank: the smallest sample with at least 99% of the series at
    // or below it.
    let rank = (n * 99).div_ceil(100).max(1);
    Summary {
        median,
        p99: samples[rank - 1] as f64,
    }
}

/// One measured cell: a method, a child, an RSS level (index), spawners.
pub type Key = (Method, usize, usize, usize);

/// Everything measured, and along which axes.
pub struct Results {
    /// The methods that ran, in table order.
    pub methods: Vec<Method>,
    /// The children's names.
    pub children: Vec<String>,
    /// The RSS levels, in GiB.
    pub levels: Vec<u64>,
    /// The spawner counts.
    pub spawners: Vec<usize>,
    /// The summaries.
    pub cells: HashMap<Key, Summary>,
}

impl Results {
    fn median(&self, method: Method, child: usize, level: usize, spawners: usize) -> Option<f64> {
        self.cells
            .get(&(method, child, level, spawners))
            .map(|s| s.median)
    }

    fn cell_name(&self, child: usize, level: usize, spawners: usize) -> String {
        format!(
            "{}, {} GiB, {}",
            self.children[child],
            self.levels[level],
            spawner_text(spawners)
        )
    }

    /// Every (child, level, spawners) cell.
    fn each_cell(&self) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
        (0..self.children.len()).flat_map(move |c| {
            (0..self.levels.len()).flat_map(move |l| self.spawners.iter().map(move |&s| (c, l, s)))
        })
    }
}

fn spawner_text(spawners: usize) -> String {
    match spawners {
        1 => "1 spawner".to_owned(),
        n => format!("{n} concurrent spawners"),
    }
}

/// Whether a goal was met.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Every cell it covers meets it.
    Met,
    /// At least one cell misses it.
    Missed,
    /// The run did not measure what it needs.
    NotMeasured,
}

/// A goal and how the numbers compare with it.
pub struct Goal {
    /// The goal.
    pub text: &'static str,
    /// Met, missed, or not measured.
    pub status: Status,
    /// The worst ratio and every miss.
    pub detail: Vec<String>,
}

/// `goals(results)` — the goals of the fast path, each checked against the
/// medians of every cell it covers.
pub fn goals(r: &Results) -> Vec<Goal> {
    let mut goals = vec![
        ratio_goal(
            r,
            "forkexec auto ≤ 1.05× C vfork+execve (median) in every cell",
            Method::Auto,
            Method::CVfork,
            1.05,
        ),
        ratio_goal(
            r,
            "forkexec auto faster than libc posix_spawn (median) in every cell",
            Method::Auto,
            Method::PosixSpawn,
            1.0,
        ),
    ];

    // Auto at 4 GiB against auto at 0, per child and spawner count.
    let text = "forkexec auto at 4 GiB ≤ 1.1× auto at 0 GiB (median)";
    let zero = r.levels.iter().position(|&g| g == 0);
    let four = r.levels.iter().position(|&g| g == 4);
    let mut detail = Vec::new();
    let mut ratios = Vec::new();
    let top = match (zero, four) {
        (Some(z), Some(f)) => Some((z, f)),
        (Some(z), None) if r.levels.len() > 1 => {
            detail.push("4 GiB was not measured in this run".to_owned());
            Some((z, r.levels.len() - 1))
        }
        _ => None,
    };
    if let Some((z, high)) = top {
        for c in 0..r.children.len() {
            for &s in &r.spawners {
                let (Some(a0), Some(ah)) = (
                    r.median(Method::Auto, c, z, s),
                    r.median(Method::Auto, c, high, s),
                ) else {
                    continue;
                };
                ratios.push((
                    ah / a0,
                    format!(
                        "{}, {}: {} GiB / 0 GiB = {:.3}×",
                        r.children[c],
                        spawner_text(s),
                        r.levels[high],
                        ah / a0
                    ),
                ));
            }
        }
    }
    let status = match four {
        None => Status::NotMeasured,
        Some(_) if ratios.iter().all(|(x, _)| *x <= 1.1) => Status::Met,
        Some(_) => Status::Missed,
    };
    detail.extend(ratios.into_iter().map(|(_, line)| line));
    goals.push(Goal {
        text,
        status,
        detail,
    });

    goals.push(ratio_goal(
        r,
        "forkexec fork ≤ 1.05× C fork+execve (median) in every cell",
        Method::Fork,
        Method::CFork,
        1.05,
    ));
    goals
}

/// `method / reference ≤ bound` in every cell (`<` when `bound` is 1).
fn ratio_goal(
    r: &Results,
    text: &'static str,
    method: Method,
    reference: Method,
    bound: f64,
) -> Goal {
    let within = |x: f64| if bound == 1.0 { x < 1.0 } else { x <= bound };
    let mut ratios = Vec::new();
    for (c, l, s) in r.each_cell() {
        if let (Some(m), Some(f)) = (r.median(method, c, l, s), r.median(reference, c, l, s)) {
            ratios.push((m / f, r.cell_name(c, l, s)));
        }
    }
    if ratios.is_empty() {
        return Goal {
            text,
            status: Status::NotMeasured,
            detail: vec![format!(
                "{} or {} was not measured",
                method.name(),
                reference.name()
            )],
        };
    }
    let worst = ratios
        .iter()
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(x, cell)| format!("worst: {x:.2}× ({cell})"));
    let best = ratios
        .iter()
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(x, cell)| format!("best: {x:.2}× ({cell})"));
    let misses: Vec<String> = ratios
        .iter()
        .filter(|(x, _)| !within(*x))
        .map(|(x, cell)| {
            let relation = if bound == 1.0 { "≥" } else { ">" };
            format!("missed: {x:.3}× {relation} {bound}× ({cell})")
        })
        .collect();
    Goal {
        text,
        status: if misses.is_empty() {
            Status::Met
        } else {
            Status::Missed
        },
        detail: worst.into_iter().chain(best).chain(misses).collect(),
    }
}

/// The system a run measured.
pub struct System {
    /// One `- name: value` line each.
    pub lines: Vec<(String, String)>,
}

/// `system(go)` — the kernel, CPU, libc and tools of this machine.
pub fn system(go: &Result<std::path::PathBuf, String>, root: &Path) -> System {
    let read = |path: &str| {
        std::fs::read_to_string(path)
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|e| format!("unknown ({path}: {e})"))
    };
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name") || l.starts_with("Model"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let commit = git_commit(root);
    let lines = vec![
        ("load average at start".to_owned(), load_average()),
        (
            "kernel".to_owned(),
            format!(
                "Linux {} ({})",
                read("/proc/sys/kernel/osrelease"),
                std::env::consts::ARCH
            ),
        ),
        ("CPU".to_owned(), format!("{cpu}, {cores} cores")),
        ("libc".to_owned(), libc_version()),
        (
            "transparent huge pages".to_owned(),
            format!(
                "`{}`; the touched memory asks for small pages (MADV_NOHUGEPAGE)",
                read("/sys/kernel/mm/transparent_hugepage/enabled")
            ),
        ),
        (
            "Rust".to_owned(),
            super::programs::version(&rustc, "--version"),
        ),
        (
            "C compiler".to_owned(),
            super::programs::version(&cc, "--version"),
        ),
        (
            "Go".to_owned(),
            match go {
                Ok(_) => super::programs::version("go", "version"),
                Err(why) => format!("not measured: {why}"),
            },
        ),
        ("forkexec".to_owned(), commit),
    ];
    System { lines }
}

/// `load_average()` — the 1, 5 and 15 minute load averages: other work
/// on the machine while the benchmark runs shows here.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(", "))
        .unwrap_or_else(|| "unknown".to_owned())
}

fn git_commit(root: &Path) -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    match git(&["rev-parse", "--short", "HEAD"]) {
        None => "unknown commit".to_owned(),
        Some(commit) => {
            // Changes outside the results themselves make the commit an
            // approximation of what ran.
            let dirty = git(&["status", "--porcelain", "--", ".", ":!docs/bench"])
                .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("commit {commit} with uncommitted changes")
            } else {
                format!("commit {commit}")
            }
        }
    }
}

#[cfg(target_env = "gnu")]
fn libc_version() -> String {
    // SAFETY: gnu_get_libc_version returns a static NUL-terminated string.
    let version = unsafe { std::ffi::CStr::from_ptr(libc::gnu_get_libc_version()) };
    format!("glibc {}", version.to_string_lossy())
}

#[cfg(not(target_env = "gnu"))]
fn libc_version() -> String {
    format!("{} (not glibc)", std::env::consts::OS)
}

/// What a report says about how the run was made.
pub struct Run {
    /// `--quick` or the full run.
    pub quick: bool,
    /// What `forkexec auto` was in this build.
    pub auto_note: String,
    /// Samples per method and cell, for each level.
    pub samples: Vec<String>,
    /// How long the run took, in seconds.
    pub seconds: u64,
}

/// `markdown(results, system, goals, run)` — the report.
pub fn markdown(r: &Results, system: &System, goals: &[Goal], run: &Run) -> String {
    let mut md = String::new();
    let kind = if run.quick {
        "a `--quick` run (fewer samples, no 4 GiB level): indicative only"
    } else {
        "a full run"
    };
    let _ = writeln!(md, "# Spawn latency\n");
    let _ = writeln!(
        md,
        "Written by `cargo xtask bench{}`, {kind}, in {} s.\n",
        if run.quick { " --quick" } else { "" },
        run.seconds
    );
    let _ = writeln!(md, "## System\n");
    for (name, value) in &system.lines {
        let _ = writeln!(md, "- {name}: {value}");
    }
    let _ = writeln!(md, "\n## Method\n");
    let _ = writeln!(md, "{}\n", run.auto_note);
    md.push_str(METHODS);
    let _ = writeln!(
        md,
        "Each sample is one spawn and wait: from just before the spawn call to \
         just after the child was reaped, on a monotonic clock. The spawning \
         process first maps and touches the RSS of the column (one write per \
         page). The Rust, libc and nix methods run in the benchmark process; \
         the C and Go methods run in programs of their own that touch the same \
         RSS and report their own latencies. Methods take turns in small \
         batches, in an order shuffled every round, so that drift affects all \
         alike and no method always follows the same one; every level starts with 2 s of uncounted spawns, a first \
         round per cell is discarded as warm-up, and every \
         batch starts after three uncounted `posix_spawn` spawns of the same \
         child, because a fork from a large parent leaves the caches cold for \
         the next few spawns of any method. With two \
         spawners, two threads of one process spawn at the same time and \
         every spawn of both is a sample. Samples per cell and method: {}.\n",
        run.samples.join(", ")
    );
    let _ = writeln!(
        md,
        "Median and p99 (nearest rank) in µs; `×floor` is the median over the \
         median of C vfork+execve in the same cell.\n"
    );

    let _ = writeln!(md, "## Goals\n");
    for goal in goals {
        let mark = match goal.status {
            Status::Met => "met",
            Status::Missed => "MISSED",
            Status::NotMeasured => "not measured",
        };
        let _ = writeln!(md, "- **{mark}**: {}", goal.text);
        for line in &goal.detail {
            let _ = writeln!(md, "  - {line}");
        }
    }

    let _ = writeln!(md, "\n## Results\n");
    md.push_str(&tables(r));
    md
}

/// What each method and child is, for the report.
const METHODS: &str = "\
Methods, each starting the child by its absolute path with `argv = [path]` \
and the inherited environment and descriptors:

- forkexec auto, forkexec fork: `forkexec::Command::new(path)`, \
  `.strategy(Strategy::Auto)` or `.strategy(Strategy::Fork)`, `.spawn()`, \
  `.wait()`; optimized build.
- std Command: `std::process::Command::new(path).spawn()`, `.wait()` (on \
  glibc, std uses `posix_spawn` for such a command).
- libc posix_spawn: `posix_spawn` with no attributes and no file actions, \
  then `waitpid`.
- nix fork+execve: `nix::unistd::fork`, then `nix::unistd::execve` in the \
  child, `waitpid` in the parent.
- C vfork+execve (the floor), C fork+execve: `vfork` or `fork`, `execve`, \
  `_exit` on failure, `waitpid`, in `xtask/bench/floor.c` (`cc -O2`).
- Go os/exec: `exec.Command(path).Run()` in `xtask/bench/peer.go`, as Go \
  runs it by default (nil standard streams: the child gets `/dev/null`).

Children: the tiny static child is `xtask/bench/tiny.c`, a static \
executable without libc whose `_start` calls `exit_group(0)`, so the spawn \
and exec dominate; `/bin/true` is the system's dynamically linked one.

";

/// `tables(results)` — one markdown table per child and spawner count.
pub fn tables(r: &Results) -> String {
    let mut md = String::new();
    for (c, child) in r.children.iter().enumerate() {
        for &s in &r.spawners {
            let _ = writeln!(md, "### {child}, {}\n", spawner_text(s));
            let mut head = "| method |".to_owned();
            let mut rule = "|---|".to_owned();
            for g in &r.levels {
                let _ = write!(head, " {g} GiB median | p99 | ×floor |");
                rule.push_str("--:|--:|--:|");
            }
            let _ = writeln!(md, "{head}\n{rule}");
            for &m in &r.methods {
                let _ = write!(md, "| {} |", m.name());
                for l in 0..r.levels.len() {
                    match r.cells.get(&(m, c, l, s)) {
                        Some(sum) => {
                            let floor = r.median(Method::CVfork, c, l, s);
                            let ratio = floor
                                .map_or("–".to_owned(), |f| format!("{:.2}", sum.median / f));
                            let _ = write!(md, " {} | {} | {ratio} |", us(sum.median), us(sum.p99));
                        }
                        None => md.push_str(" – | – | – |"),
                    }
                }
                md.push('\n');
            }
            md.push('\n');
        }
    }
    md
}

/// Nanoseconds as microseconds, one decimal below 100 µs.
fn us(ns: f64) -> String {
    let us = ns / 1000.0;
    if us < 100.0 {
        format!("{us:.1}")
    } else {
        format!("{us:.0}")
    }
}

/// Line colours, one per method in [`Method::ALL`] order.
const COLOURS: [RGBColor; 8] = [
    RGBColor(214, 39, 40),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(31, 119, 180),
    RGBColor(148, 103, 189),
    RGBColor(0, 0, 0),
    RGBColor(127, 127, 127),
    RGBColor(23, 190, 207),
];

/// `plot(results, note, path)` — median latency against RSS, one line per
/// method, one panel per child and spawner count, as SVG; `note` goes under
/// the legend.
pub fn plot(r: &Results, note: &str, path: &Path) -> Result<(), String> {
    let rows = r.children.len();
    let cols = r.spawners.len();
    let height = u32::try_from(rows * 420 + 40).unwrap_or(900);
    let root = SVGBackend::new(path, (1180, height)).into_drawing_area();
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let root = root
        .titled(
            "Spawn + wait latency (median) against the spawner's touched RSS",
            ("sans-serif", 22),
        )
        .map_err(|e| err(&e))?;
    let (plots, legend) = root.split_horizontally(1000);

    let all: Vec<f64> = r.cells.values().map(|s| s.median / 1000.0).collect();
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min) * 0.7;
    let hi = all.iter().copied().fold(0.0, f64::max) * 1.5;
    let x_max = r.levels.iter().copied().max().unwrap_or(1) as f64 + 0.3;
    let whole = |x: &f64| {
        if (x - x.round()).abs() < 1e-9 {
            format!("{}", x.round().abs())
        } else {
            String::new()
        }
    };

    for (i, panel) in plots.split_evenly((rows, cols)).iter().enumerate() {
        let (c, s) = (i / cols, r.spawners[i % cols]);
        let mut chart = ChartBuilder::on(panel)
            .caption(
                format!("{}, {}", r.children[c], spawner_text(s)),
                ("sans-serif", 16),
            )
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d(-0.3..x_max, (lo..hi).log_scale())
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .x_desc("touched RSS of the spawner (GiB)")
            .y_desc("µs (log scale)")
            .x_labels(12)
            .light_line_style(BLACK.mix(0.04))
            .x_label_formatter(&whole)
            .y_label_formatter(&|y| format!("{y}"))
            .draw()
            .map_err(|e| err(&e))?;
        for &m in &r.methods {
            let colour = colour(m);
            let points: Vec<(f64, f64)> = (0..r.levels.len())
                .filter_map(|l| {
                    r.median(m, c, l, s)
                        .map(|ns| (r.levels[l] as f64, ns / 1000.0))
                })
                .collect();
            chart
                .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))
                .map_err(|e| err(&e))?;
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 3, colour.filled())))
                .map_err(|e| err(&e))?;
        }
    }

    for (i, &m) in r.methods.iter().enumerate() {
        let y = 80 + 24 * i32::try_from(i).unwrap_or(0);
        let colour = colour(m);
        legend
            .draw(&PathElement::new(
                vec![(8, y), (36, y)],
                colour.stroke_width(3),
            ))
            .map_err(|e| err(&e))?;
        legend
            .draw(&Text::new(
                m.name(),
                (44, y - 7),
                ("sans-serif", 14).into_font(),
            ))
            .map_err(|e| err(&e))?;
    }
    let y = 80 + 24 * i32::try_from(r.methods.len()).unwrap_or(0) + 12;
    for (i, line) in wrap(note, 22).iter().enumerate() {
        legend
            .draw(&Text::new(
                line.as_str(),
                (8, y + 18 * i32::try_from(i).unwrap_or(0)),
                ("sans-serif", 13).into_font(),
            ))
            .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))
}

/// `text` in lines of at most about `width` characters, broken at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split(' ') {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_owned()),
        }
    }
    lines
}

/// A method's line colour.
fn colour(method: Method) -> RGBColor {
    COLOURS[Method::ALL.iter().position(|&m| m == method).unwrap_or(0)]
}
