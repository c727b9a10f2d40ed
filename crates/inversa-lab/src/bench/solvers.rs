//! The solver tables: seconds per iteration of every registered solver (FBP aside) on Gaussian
//! blur and on 8-coil MRI, with the `A` and `A*` calls an iteration makes, counted by wrapping
//! the operator, and the memory floor of those calls.

use super::floor::time_operator;
use crate::timing::median_seconds;
use crate::Result;
use inversa::config::Section;
use inversa::operators::blur::{gaussian_kernel, Blur};
use inversa::operators::kspace_mask::{LineMask, MaskKind};
use inversa::operators::mri::Mri;
use inversa::operators::{random_vector, LinearOperator};
use inversa::priors::tikhonov::Tikhonov;
use inversa::priors::tv::TotalVariation;
use inversa::priors::Prior;
use inversa::solvers::registry::{solvers, SolverBuild};
use inversa::solvers::{Problem, Silent, Solver};
use serde::Serialize;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Every solver on one problem.
#[derive(Clone, Debug, Serialize)]
pub struct SolverTable {
    /// "Gaussian blur σ=2" or "8-coil MRI, 4×".
    pub problem: String,
    pub rows: Vec<SolverRow>,
}

/// One solver's iteration.
#[derive(Clone, Debug, Serialize)]
pub struct SolverRow {
    pub solver: String,
    pub iteration_s: f64,
    /// `A` calls per iteration.
    pub applies: f64,
    /// `A*` calls per iteration.
    pub adjoints: f64,
    /// Fraction of an iteration spent in the operator calls.
    pub operator_share: f64,
    /// The memory floor of those calls, seconds per iteration.
    pub floor_s: f64,
}

/// The blur table, then the MRI table; `say` receives each with a blank line after it.
pub(super) fn tables(
    size: usize,
    repeats: usize,
    say: &mut dyn FnMut(&str),
) -> Result<Vec<SolverTable>> {
    let blur = Blur::<f32>::new(&[1, size, size], &gaussian_kernel(2.0))?;
    let blur_table = table("Gaussian blur σ=2", &blur, repeats, say)?;
    say("");
    let mri = mri_8_coils(size)?;
    let mri_table = table("8-coil MRI, 4×", &mri, repeats, say)?;
    say("");
    Ok(vec![blur_table, mri_table])
}

/// The multi-coil Cartesian MRI users run: 8 synthetic coils, random lines at 4×.
pub(super) fn mri_8_coils(size: usize) -> inversa::Result<Mri<f32>> {
    let mask = LineMask {
        kind: MaskKind::Random,
        acceleration: 4.0,
        center_fraction: 0.08,
    };
    Mri::synthetic(&[1, size, size], 8, &mask, 0)
}

/// The registered solver `name`, set to run `iterations` iterations.
pub(super) fn build_solver(name: &str, iterations: usize) -> Result<Box<dyn Solver<f32>>> {
    let entry = solvers::<f32>()
        .into_iter()
        .find(|e| e.name == name)
        .ok_or_else(|| inversa::Error::config("solver", format!("no solver {name}")))?;
    let SolverBuild::Proximal(build) = entry.build else {
        let message = format!("{name} is a sampler; the bench times proximal solvers");
        return Err(inversa::Error::config("solver", message).into());
    };
    let mut table = toml::Table::new();
    table.insert("iterations".into(), toml::Value::Integer(iterations as i64));
    Ok(build(&mut Section::new(&table, "solver", Path::new(".")))?)
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

/// Runs `solver` on `op` and returns the (A, A*) calls it made.
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
    // A solver that stops early (e.g. on divergence) has still made its calls: the counts and
    // times stand either way, so the outcome is not needed.
    let _ = solver.solve(&problem, &mut x, &mut Silent);
    counted.counts()
}

/// Every solver's iteration on `op` (TV weight 0.001; Tikhonov for CG); `say` receives the
/// header, labelled `label`, and one line per solver.
fn table(
    label: &str,
    op: &dyn LinearOperator<f32>,
    repeats: usize,
    say: &mut dyn FnMut(&str),
) -> Result<SolverTable> {
    say(&format!(
        "{:<8} {:>8} {:>8} {:>8} {:>10} {:>10} {:>8}   ({label}, TV weight 0.001; CG: Tikhonov)",
        "solver", "ms / it", "A / it", "A* / it", "A share", "floor ms", "× floor"
    ));
    let times = time_operator(op, repeats);
    let truth = random_vector::<f32>(op.input_len(), 3);
    let y = op.apply_new(&truth);
    let shape = op.input_shape().to_vec();
    let tv = TotalVariation::<f32>::new(0.001, &shape, 20)?;
    let tikhonov = Tikhonov::new(0.001, &shape);
    let (short, long) = (10, 30);
    let mut rows = Vec::new();
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
        let row = SolverRow {
            solver: entry.name.into(),
            iteration_s: seconds,
            applies,
            adjoints,
            operator_share: operator_time / seconds,
            floor_s: applies * times.apply_floor + adjoints * times.adjoint_floor,
        };
        say(&format!(
            "{:<8} {:>8.3} {:>8.2} {:>8.2} {:>9.0}% {:>10.3} {:>8.1}",
            row.solver,
            row.iteration_s * 1e3,
            row.applies,
            row.adjoints,
            100.0 * row.operator_share,
            row.floor_s * 1e3,
            row.iteration_s / row.floor_s
        ));
        rows.push(row);
    }
    Ok(SolverTable {
        problem: label.into(),
        rows,
    })
}
