//! `inversa bench`: time every registered operator's apply and adjoint and one iteration of every
//! solver, each next to the least time the memory traffic it must do takes on this machine,
//! measured in the same run; then how time and memory grow with the image size. Medians of
//! repeated runs; nothing here is a test.
//!
//! The floor of an operator is the time to read its input once plus the time to write its output
//! once, timed at the same sizes (so it sits in the same cache level). The floor of a solver iteration
//! is the operator floors times the number of `A` and `A*` calls it makes per iteration, counted
//! by wrapping the operator. "× floor" then says how much is left to gain; "A share" says how much
//! of an iteration the operator calls take (the rest is the prior and the vector updates).

use crate::heap;
use inversa::config::Section;
use inversa::operators::blur::{gaussian_kernel, Blur};
use inversa::operators::kspace_mask::{LineMask, MaskKind};
use inversa::operators::mri::Mri;
use inversa::operators::physics::BuildContext;
use inversa::operators::registry::physics;
use inversa::operators::{random_vector, LinearOperator};
use inversa::priors::tikhonov::Tikhonov;
use inversa::priors::tv::TotalVariation;
use inversa::priors::Prior;
use inversa::solvers::registry::solvers;
use inversa::solvers::{Problem, Silent, Solver};
use inversa_lab::timing::median_seconds;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Streaming bandwidth in bytes/second (read + write counted) on 64 MiB of f32 each way.
fn dram_bandwidth() -> f64 {
    let n = 16 << 20;
    (2 * n * 4) as f64 / copy_seconds(n, n, 5)
}

/// Time to read `input_len` f32 (an integer sum of their bits, which vectorises) plus the time to
/// write `output_len` f32 (a fill): the memory floor of any map between those sizes. Each is the
/// faster of a serial and a parallel loop, since small arrays do not gain from threads.
fn copy_seconds(input_len: usize, output_len: usize, repeats: usize) -> f64 {
    use rayon::prelude::*;
    let source = vec![1u32; input_len.max(1)];
    let mut target = vec![0.0f32; output_len.max(1)];
    let block = 1 << 12;
    let sum = |c: &[u32]| c.iter().fold(0u32, |s, v| s.wrapping_add(*v));
    let serial_read = median_seconds(repeats, || {
        std::hint::black_box(sum(&source));
    });
    let parallel_read = median_seconds(repeats, || {
        let total = source
            .par_chunks(block)
            .map(sum)
            .reduce(|| 0, u32::wrapping_add);
        std::hint::black_box(total);
    });
    let serial_write = median_seconds(repeats, || target.fill(2.0));
    let parallel_write = median_seconds(repeats, || {
        target.par_chunks_mut(block).for_each(|t| t.fill(3.0));
    });
    std::hint::black_box(&target);
    serial_read.min(parallel_read) + serial_write.min(parallel_write)
}

/// The tables `inversa bench --only` can select.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Table {
    Operators,
    Solvers,
    Scaling,
    Networks,
}

/// Prints the benchmark tables (`only`, or all when empty) for `size × size` images, scaling up
/// to `max_size`.
pub fn run(size: usize, repeats: usize, max_size: usize, only: &[Table]) -> anyhow::Result<()> {
    for (flag, value) in [
        ("--size", size),
        ("--repeats", repeats),
        ("--max-size", max_size),
    ] {
        if value == 0 {
            anyhow::bail!("{flag} must be at least 1");
        }
    }
    let wanted = |table| only.is_empty() || only.contains(&table);
    say!(
        "Inversa bench: {size}×{size} grey images, f32, {} threads, median of {repeats} runs",
        rayon::current_num_threads()
    );
    if wanted(Table::Operators) {
        say!(
            "memory bandwidth (parallel read + write, 64 MiB each): {:.1} GB/s\n",
            dram_bandwidth() / 1e9
        );
        operators(size, repeats)?;
        say!();
    }
    if wanted(Table::Solvers) {
        let blur = Blur::<f32>::new(&[1, size, size], &gaussian_kernel(2.0))?;
        solver_iterations("Gaussian blur σ=2", &blur, repeats.min(5))?;
        say!();
        let mri = mri_8_coils(size)?;
        solver_iterations("8-coil MRI, 4×", &mri, repeats.min(5))?;
        say!();
    }
    if wanted(Table::Scaling) {
        scaling(repeats.min(5), max_size)?;
        say!();
    }
    if wanted(Table::Networks) {
        crate::commands::bench_networks::run(repeats.min(5))?;
    }
    Ok(())
}

/// The multi-coil Cartesian MRI users run: 8 synthetic coils, random lines at 4×.
fn mri_8_coils(size: usize) -> inversa::Result<Mri<f32>> {
    let mask = LineMask {
        kind: MaskKind::Random,
        acceleration: 4.0,
        center_fraction: 0.08,
    };
    Mri::synthetic(&[1, size, size], 8, &mask, 0)
}

/// Apply and adjoint times of `op` with their copy floors, in seconds.
struct OperatorTimes {
    apply: f64,
    adjoint: f64,
    apply_floor: f64,
    adjoint_floor: f64,
}

fn time_operator(op: &dyn LinearOperator<f32>, repeats: usize) -> OperatorTimes {
    let x = random_vector::<f32>(op.input_len(), 1);
    let mut y = vec![0.0f32; op.output_len()];
    let apply = median_seconds(repeats, || op.apply(&x, &mut y));
    let mut back = vec![0.0f32; op.input_len()];
    let adjoint = median_seconds(repeats, || op.adjoint(&y, &mut back));
    OperatorTimes {
        apply,
        adjoint,
        apply_floor: copy_seconds(op.input_len(), op.output_len(), repeats),
        adjoint_floor: copy_seconds(op.output_len(), op.input_len(), repeats),
    }
}

fn operators(size: usize, repeats: usize) -> anyhow::Result<()> {
    say!(
        "{:<12} {:>10} {:>10} {:>12} {:>10} {:>10}",
        "operator",
        "apply ms",
        "adjoint ms",
        "in+out MB",
        "floor ms",
        "× floor"
    );
    let ctx = BuildContext {
        image_shape: vec![1, size, size],
        seed: 0,
    };
    for entry in physics::<f32>() {
        // Multi-coil MRI is the case users run; one coil would time a single FFT.
        let settings: toml::Table = if entry.name == "mri" {
            toml::toml! { coils = 8 }
        } else {
            toml::Table::new()
        };
        let mut section = Section::new(&settings, "physics", Path::new("."));
        let op = match (entry.build)(&mut section, &ctx) {
            Ok(physics) => physics.operator,
            Err(e) => {
                say!("{:<12} skipped: {e}", entry.name);
                continue;
            }
        };
        let t = time_operator(op.as_ref(), repeats);
        let bytes = 4.0 * (op.input_len() + op.output_len()) as f64;
        say!(
            "{:<12} {:>10.3} {:>10.3} {:>12.2} {:>10.3} {:>10.1}",
            entry.name,
            t.apply * 1e3,
            t.adjoint * 1e3,
            bytes / 1e6,
            t.apply_floor * 1e3,
            t.apply / t.apply_floor
        );
    }
    Ok(())
}

/// An operator that counts its `A` and `A*` calls (closed-form normal solves count as one of
/// each: they are one FFT pair, like `A*A`).
struct Counted<'a> {
    inner: &'a dyn LinearOperator<f32>,
    applies: AtomicUsize,
    adjoints: AtomicUsize,
}

impl<'a> Counted<'a> {
    fn new(inner: &'a dyn LinearOperator<f32>) -> Self {
        Self {
            inner,
            applies: AtomicUsize::new(0),
            adjoints: AtomicUsize::new(0),
        }
    }
    fn counts(&self) -> (usize, usize) {
        (
            self.applies.load(Ordering::Relaxed),
            self.adjoints.load(Ordering::Relaxed),
        )
    }
}

impl LinearOperator<f32> for Counted<'_> {
    fn input_shape(&self) -> &[usize] {
        self.inner.input_shape()
    }
    fn output_shape(&self) -> &[usize] {
        self.inner.output_shape()
    }
    fn apply(&self, x: &[f32], y: &mut [f32]) {
        self.applies.fetch_add(1, Ordering::Relaxed);
        self.inner.apply(x, y);
    }
    fn adjoint(&self, y: &[f32], x: &mut [f32]) {
        self.adjoints.fetch_add(1, Ordering::Relaxed);
        self.inner.adjoint(y, x);
    }
    fn solve_regularized_normal(&self, rhs: &[f32], rho: f32, out: &mut [f32]) -> bool {
        let solved = self.inner.solve_regularized_normal(rhs, rho, out);
        if solved {
            self.applies.fetch_add(1, Ordering::Relaxed);
            self.adjoints.fetch_add(1, Ordering::Relaxed);
        }
        solved
    }
}

/// Runs `solver` for `iterations` on `op` and returns the (A, A*) calls it made.
fn solve_counting(
    solver: &dyn Solver<f32>,
    op: &dyn LinearOperator<f32>,
    y: &[f32],
    prior: &dyn Prior<f32>,
) -> (usize, usize) {
    let counted = Counted::new(op);
    let problem = Problem {
        operator: &counted,
        measurement: y,
        prior,
    };
    let mut x = counted.adjoint_new(y);
    let _ = solver.solve(&problem, &mut x, &mut Silent);
    counted.counts()
}

fn build_solver(name: &str, iterations: usize) -> anyhow::Result<Box<dyn Solver<f32>>> {
    let entry = solvers::<f32>()
        .into_iter()
        .find(|e| e.name == name)
        .ok_or_else(|| anyhow::anyhow!("no solver {name}"))?;
    let mut table = toml::Table::new();
    table.insert("iterations".into(), toml::Value::Integer(iterations as i64));
    Ok((entry.build)(&mut Section::new(
        &table,
        "solver",
        Path::new("."),
    ))?)
}

fn solver_iterations(
    label: &str,
    op: &dyn LinearOperator<f32>,
    repeats: usize,
) -> anyhow::Result<()> {
    say!(
        "{:<8} {:>8} {:>8} {:>8} {:>10} {:>10} {:>8}   ({label}, TV weight 0.001; CG: Tikhonov)",
        "solver",
        "ms / it",
        "A / it",
        "A* / it",
        "A share",
        "floor ms",
        "× floor"
    );
    let times = time_operator(op, repeats);
    let truth = random_vector::<f32>(op.input_len(), 3);
    let y = op.apply_new(&truth);
    let shape = op.input_shape().to_vec();
    let tv = TotalVariation::<f32>::new(0.001, &shape, 20);
    let tikhonov = Tikhonov::new(0.001, &shape);
    let (short, long) = (10, 30);
    for entry in solvers::<f32>() {
        if entry.name == "fbp" {
            continue;
        }
        let prior: &dyn Prior<f32> = if entry.name == "cg" { &tikhonov } else { &tv };
        // Per-iteration cost as the difference of a long and a short run: set-up (power
        // iterations for step sizes, the first residual) cancels.
        let (solver_short, solver_long) = (
            build_solver(entry.name, short)?,
            build_solver(entry.name, long)?,
        );
        let (a0, t0) = solve_counting(solver_short.as_ref(), op, &y, prior);
        let (a1, t1) = solve_counting(solver_long.as_ref(), op, &y, prior);
        let per = (long - short) as f64;
        let (applies, adjoints) = ((a1 - a0) as f64 / per, (t1 - t0) as f64 / per);
        let run = |solver: &dyn Solver<f32>| {
            let problem = Problem {
                operator: op,
                measurement: &y,
                prior,
            };
            median_seconds(repeats, || {
                let mut x = op.adjoint_new(&y);
                let _ = solver.solve(&problem, &mut x, &mut Silent);
            })
        };
        let seconds = ((run(solver_long.as_ref()) - run(solver_short.as_ref())) / per).max(0.0);
        let operator_time = applies * times.apply + adjoints * times.adjoint;
        let floor = applies * times.apply_floor + adjoints * times.adjoint_floor;
        say!(
            "{:<8} {:>8.3} {:>8.2} {:>8.2} {:>9.0}% {:>10.3} {:>8.1}",
            entry.name,
            seconds * 1e3,
            applies,
            adjoints,
            100.0 * operator_time / seconds,
            floor * 1e3,
            seconds / floor
        );
    }
    Ok(())
}

/// Time per call or iteration against image size, with the heap a PDHG+TV solve needs: FFT-bound
/// operators should grow as N log N, pixel-wise work as N, and memory as a small multiple of N.
fn scaling(repeats: usize, max_size: usize) -> anyhow::Result<()> {
    say!(
        "{:<7} {:>10} {:>12} {:>10} {:>12} {:>10} {:>12} {:>14}",
        "size",
        "blur ms",
        "/(N log N)",
        "MRI ms",
        "/(N log N)",
        "PDHG ms/it",
        "/N",
        "PDHG heap/img"
    );
    let mut size = 256;
    let mut reference: Option<[f64; 3]> = None;
    while size <= max_size {
        let n = (size * size) as f64;
        let n_log_n = n * n.log2();
        let blur = Blur::<f32>::new(&[1, size, size], &gaussian_kernel(2.0))?;
        let mri = mri_8_coils(size)?;
        let blur_seconds = time_operator(&blur, repeats).apply;
        let mri_seconds = time_operator(&mri, repeats).apply;
        let (pdhg_seconds, heap_ratio) = pdhg_iteration(&blur, repeats)?;
        let normalised = [
            blur_seconds / n_log_n,
            mri_seconds / n_log_n,
            pdhg_seconds / n,
        ];
        let base = *reference.get_or_insert(normalised);
        say!(
            "{:<7} {:>10.3} {:>12.2} {:>10.3} {:>12.2} {:>10.3} {:>12.2} {:>14.1}",
            format!("{size}²"),
            blur_seconds * 1e3,
            normalised[0] / base[0],
            mri_seconds * 1e3,
            normalised[1] / base[1],
            pdhg_seconds * 1e3,
            normalised[2] / base[2],
            heap_ratio
        );
        size *= 2;
    }
    say!(
        "(/(N log N) and /N: time per unit of work relative to the first row; 1.0 = ideal scaling)"
    );
    Ok(())
}

/// Seconds per PDHG+TV iteration on `blur`, and the peak heap of a solve (operator excluded)
/// divided by the image size in bytes.
fn pdhg_iteration(blur: &Blur<f32>, repeats: usize) -> anyhow::Result<(f64, f64)> {
    let y = blur.apply_new(&random_vector::<f32>(blur.input_len(), 3));
    let tv = TotalVariation::<f32>::new(0.001, blur.input_shape(), 20);
    let problem = Problem {
        operator: blur,
        measurement: &y,
        prior: &tv,
    };
    let (short, long) = (5, 15);
    let run = |iterations: usize| -> anyhow::Result<f64> {
        let solver = build_solver("pdhg", iterations)?;
        Ok(median_seconds(repeats, || {
            let mut x = y.clone();
            let _ = solver.solve(&problem, &mut x, &mut Silent);
        }))
    };
    let seconds = ((run(long)? - run(short)?) / (long - short) as f64).max(0.0);
    let solver = build_solver("pdhg", short)?;
    let mut x = y.clone();
    let before = heap::reset_peak();
    let _ = solver.solve(&problem, &mut x, &mut Silent);
    let image_bytes = (4 * blur.input_len()) as f64;
    Ok((seconds, (heap::peak() - before) as f64 / image_bytes))
}
