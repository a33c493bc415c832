//! `cargo xtask bench` — spawn+wait latency of forkexec against std, libc
//! `posix_spawn`, nix, C vfork/fork and Go, with the spawner's touched RSS
//! at 0, 1 and 4 GiB, one spawner and two concurrent ones.
//!
//! A benchmark, never a test: it reports what it measured and whether the
//! goals of the fast path are met, and fails only when something cannot be
//! measured.

mod programs;
mod report;
mod spawners;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use report::{Results, Status};
use spawners::{Method, Peer, Target, Touched};

/// Bytes in a GiB.
const GIB: u64 = 1 << 30;

/// The number of threads that spawn at once, per table.
const SPAWNERS: [usize; 2] = [1, 2];

/// One RSS level of a run.
struct Level {
    /// Touched RSS of every spawner, in GiB.
    gib: u64,
    /// Samples per method and cell: a multiple of `batch` times every
    /// spawner count, so that every cell has exactly as many.
    samples: usize,
    /// Spawns per thread and method in one round.
    batch: usize,
    /// How many times `batch` a method spawns per round when its warm-up
    /// round took less than [`CHEAP`] a spawn: the methods whose cost does
    /// not grow with the RSS get more samples at no great cost, so their
    /// medians are as steady as at 0 GiB.
    cheap: usize,
}

/// A spawn that takes less than this (in the warm-up round) is cheap: a
/// fork from 1 GiB takes tens of ms, a vfork-like spawn of `/bin/true`
/// about 1 ms.
const CHEAP: Duration = Duration::from_millis(5);

/// Full run: about 10 minutes on 2 busy cores, most of it in the forks
/// from 1 and 4 GiB (tens to hundreds of ms each).
const FULL: [Level; 3] = [
    Level {
        gib: 0,
        samples: 2000,
        batch: 10,
        cheap: 1,
    },
    Level {
        gib: 1,
        samples: 240,
        batch: 4,
        cheap: 5,
    },
    Level {
        gib: 4,
        samples: 120,
        batch: 2,
        cheap: 10,
    },
];

/// `--quick`: under a minute; no 4 GiB level.
const QUICK: [Level; 2] = [
    Level {
        gib: 0,
        samples: 300,
        batch: 10,
        cheap: 1,
    },
    Level {
        gib: 1,
        samples: 60,
        batch: 3,
        cheap: 5,
    },
];

const USAGE: &str = "usage: cargo xtask bench [--quick] [--out DIR]
                 spawn+wait latency against RSS, every method side by side;
                 writes RESULTS.md and latency.svg to DIR (default: docs/bench
                 for a full run, target/xtask-bench/quick for --quick)";

/// `bench::run(args)` — runs the benchmark.
pub fn run(args: &[String]) -> Result<(), String> {
    let args_given = args;
    let mut quick = false;
    let mut out = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--out" => out = Some(PathBuf::from(args.next().ok_or("--out needs a directory")?)),
            other => return Err(format!("bench: unknown argument `{other}`\n{USAGE}")),
        }
    }
    if !cfg!(target_os = "linux") {
        return Err("bench: measures Linux spawn paths and runs on Linux only".to_owned());
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("xtask has no parent directory")?
        .to_owned();
    if cfg!(debug_assertions) {
        // forkexec's parent side is measured too: build it as users would.
        println!("bench: running an optimized build (cargo run --release)");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = std::process::Command::new(cargo)
            .args([
                "run",
                "--release",
                "--quiet",
                "--package",
                "xtask",
                "--",
                "bench",
            ])
            .args(args_given)
            .current_dir(&root)
            .status()
            .map_err(|e| format!("bench: cargo: {e}"))?;
        return if status.success() {
            Ok(())
        } else {
            Err(format!("bench: the optimized run failed ({status})"))
        };
    }
    let started = Instant::now();
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let work = target_dir.join("xtask-bench");
    let out = out.unwrap_or_else(|| {
        if quick {
            work.join("quick")
        } else {
            root.join("docs").join("bench")
        }
    });
    let levels: &[Level] = if quick { &QUICK } else { &FULL };

    println!("bench: building the helper programs in {}", work.display());
    let programs = programs::build(&root.join("xtask").join("bench"), &work)?;
    if let Err(why) = &programs.go {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            return Err(format!("bench: Go is needed in CI: {why}"));
        }
        println!("bench: Go os/exec is skipped: {why}");
    }
    let system = report::system(&programs.go, &root);
    for (name, value) in &system.lines {
        println!("bench: {name}: {value}");
    }

    let children = [
        ("tiny static child", Target::new(&programs.tiny)?),
        ("/bin/true", Target::new(Path::new("/bin/true"))?),
    ];
    let (auto_note, auto_short) = auto_note(&children[0].1)?;
    println!("bench: {auto_note}");
    let methods: Vec<Method> = Method::ALL
        .into_iter()
        .filter(|&m| m != Method::Go || programs.go.is_ok())
        .collect();
    if quick {
        println!("bench: --quick: RSS 0 and 1 GiB only, few samples");
    }

    let mut cells = HashMap::new();
    for (l, level) in levels.iter().enumerate() {
        let rss = level.gib * GIB;
        println!("bench: {} GiB: touching memory in every spawner", level.gib);
        let mut floor = Peer::start("C floor", &programs.floor, rss)?;
        let mut go = match &programs.go {
            Ok(peer) => Some(Peer::start("Go peer", peer, rss)?),
            Err(_) => None,
        };
        let touched = Touched::new(rss)?;
        floor.ready()?;
        if let Some(go) = &mut go {
            go.ready()?;
        }
        // Idle CPUs wake up slowly at first (in a VM, halt polling adapts to
        // how soon a CPU is woken): spawn for a while before measuring, so
        // the first cell of a level is measured like the others.
        let settle = Instant::now();
        while settle.elapsed() < SETTLE {
            spawners::batch(Method::PosixSpawn, &children[0].1, 1, 100)?;
        }
        for (c, (child, target)) in children.iter().enumerate() {
            for spawners in SPAWNERS {
                let peers = Peers {
                    floor: &mut floor,
                    go: go.as_mut(),
                };
                let got = measure(&methods, target, spawners, level, peers)?;
                let mut line = format!(
                    "bench: [{:>3} s] {child}, {} GiB, {spawners} spawner(s), median µs:",
                    started.elapsed().as_secs(),
                    level.gib
                );
                for (m, samples) in got {
                    let summary = report::summarize(samples);
                    line.push_str(&format!(" {} {:.1};", m.name(), summary.median / 1000.0));
                    cells.insert((m, c, l, spawners), summary);
                }
                println!("{}", line.trim_end_matches(';'));
            }
        }
        drop(touched);
    }

    let results = Results {
        methods,
        children: children
            .iter()
            .map(|(name, _)| (*name).to_owned())
            .collect(),
        levels: levels.iter().map(|l| l.gib).collect(),
        spawners: SPAWNERS.to_vec(),
        cells,
    };
    let mut system = system;
    system.lines.insert(
        1,
        ("load average at end".to_owned(), report::load_average()),
    );
    let goals = report::goals(&results);
    let run = report::Run {
        quick,
        auto_note,
        samples: levels
            .iter()
            .map(|l| match l.cheap {
                1 => format!("{} at {} GiB", l.samples, l.gib),
                n => format!(
                    "{} at {} GiB ({} for a method whose first round took less \
                     than {} ms a spawn)",
                    l.samples,
                    l.gib,
                    l.samples * n,
                    CHEAP.as_millis()
                ),
            })
            .collect(),
        seconds: started.elapsed().as_secs(),
    };
    let md = report::markdown(&results, &system, &goals, &run);

    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let md_path = out.join("RESULTS.md");
    std::fs::write(&md_path, &md).map_err(|e| format!("{}: {e}", md_path.display()))?;
    let svg_path = out.join("latency.svg");
    report::plot(&results, auto_short, &svg_path)?;

    println!();
    println!("{}", report::tables(&results));
    for goal in &goals {
        let mark = match goal.status {
            Status::Met => "met",
            Status::Missed => "MISSED",
            Status::NotMeasured => "not measured",
        };
        println!("goal {mark}: {}", goal.text);
        for line in &goal.detail {
            println!("    {line}");
        }
    }
    println!(
        "bench: wrote {} and {} in {} s",
        md_path.display(),
        svg_path.display(),
        run.seconds
    );
    Ok(())
}

/// The spawners in processes of their own at the current level.
struct Peers<'a> {
    floor: &'a mut Peer,
    go: Option<&'a mut Peer>,
}

/// Spawns of the batch's child by `posix_spawn`, not counted, before every
/// batch. Measured on the C floor from 4 GiB: the first vfork+execve after
/// a fork took 3 times as long as usual, the next ones 2, 1.5, 1.2 and 1.1
/// times; three cheap spawns absorb most of that.
const WARM_UP: usize = 3;

/// The seed of the order in which methods take turns.
const SEED: u64 = 0x5eed;

/// How long every level spawns, uncounted, before it measures.
const SETTLE: Duration = Duration::from_secs(2);

/// Rounds of a level at `spawners` threads.
fn rounds(level: &Level, spawners: usize) -> usize {
    level.samples.div_ceil(level.batch * spawners)
}

/// Measures every method on one cell, taking turns: each round runs one
/// batch of every method, in an order shuffled anew every round, so that no
/// method always follows the same one (a method pays for some of what the
/// one before it left behind). Round 0 is warm-up and is not kept.
fn measure(
    methods: &[Method],
    target: &Target,
    spawners: usize,
    level: &Level,
    peers: Peers<'_>,
) -> Result<Vec<(Method, Vec<u64>)>, String> {
    let Peers { floor, mut go } = peers;
    let mut samples: Vec<(Method, Vec<u64>)> = methods.iter().map(|&m| (m, Vec::new())).collect();
    let mut counts = vec![level.batch; methods.len()];
    // A fixed seed: every run takes the same turns.
    let mut rng = fastrand::Rng::with_seed(SEED);
    let mut order: Vec<usize> = (0..methods.len()).collect();
    for round in 0..=rounds(level, spawners) {
        rng.shuffle(&mut order);
        for &i in &order {
            let method = methods[i];
            let count = counts[i];
            // A fork from a large parent walks every page of it and leaves
            // the caches cold for the next few spawns, whichever method
            // makes them: start every batch from the same state.
            spawners::batch(Method::PosixSpawn, target, 1, WARM_UP)?;
            let t0 = Instant::now();
            let got = match method {
                Method::CVfork => floor.batch("vfork", spawners, count, target)?,
                Method::CFork => floor.batch("fork", spawners, count, target)?,
                Method::Go => match go.as_mut() {
                    Some(go) => go.batch("exec", spawners, count, target)?,
                    None => return Err("Go peer missing".to_owned()),
                },
                _ => spawners::batch(method, target, spawners, count)?,
            };
            if round == 0 {
                let spawns = u32::try_from(count * spawners).unwrap_or(u32::MAX);
                if t0.elapsed() < CHEAP * spawns {
                    counts[i] = level.batch * level.cheap;
                }
            } else {
                samples[i].1.extend(got);
            }
        }
    }
    Ok(samples)
}

/// What `forkexec auto` is in this build, in a sentence and in a few
/// words: the fast path when `Strategy::Vfork` spawns, a fork when it is
/// refused as unavailable.
fn auto_note(target: &Target) -> Result<(String, &'static str), String> {
    let mut cmd = forkexec::Command::new(&target.path);
    cmd.strategy(forkexec::Strategy::Vfork);
    match cmd.spawn() {
        Ok(child) => {
            child.wait().map_err(|e| format!("vfork probe: {e}"))?;
            Ok((
                "`forkexec auto` takes the vfork fast path in this build \
                 (`Strategy::Vfork` spawns)."
                    .to_owned(),
                "forkexec auto: vfork fast path",
            ))
        }
        Err(e) if e.step() == forkexec::Step::Invalid => Ok((
            format!(
                "`forkexec auto` is a plain fork in this build: \
                 `Strategy::Vfork` is refused ({e}), so the numbers of \
                 `forkexec auto` are those of the fork path, not of the vfork \
                 fast path."
            ),
            "forkexec auto: fork (no fast path in this build)",
        )),
        Err(e) => Err(format!("vfork probe: {e}")),
    }
}
