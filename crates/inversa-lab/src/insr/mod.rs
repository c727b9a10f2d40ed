//! INSR (H. Chen, R. Wu, E. Grinspun, C. Zheng, P. Y. Chen, "Implicit Neural Spatial
//! Representations for Time-dependent PDEs", ICML 2023, arXiv:2210.00124).
//!
//! The spatial field `u(·, tₙ)` is a network `u_θₙ` (a SIREN, [`field`]); each time step is the time
//! integrator written as a minimisation over `θ`, warm-started from `θₙ₋₁` and solved by Adam on
//! points sampled anew at every iteration — no mesh anywhere ([`solver`], the paper's Eq. 4 with the
//! semi-Lagrangian advection of its fluid solver):
//!
//! ```text
//! θₙ = argmin_θ  Σ_x ½ |u_θ(x) − u_θₙ₋₁(x_d(x))|² + ½ νΔt |∂ₓu_θ(x)|²,
//! ```
//!
//! `x_d` the departure point of the characteristic through `x`. Protocol ([`problems`]): the paper's
//! 1-D advection of a Gaussian pulse (exact solution known) and viscous Burgers (nonlinear; exact by
//! Cole–Hopf), each solved by INSR at several widths and by grid solvers running the same integrator
//! on as many stored values as the network has parameters, with linear and with cubic
//! interpolation ([`grid`]). Error: relative L2 at the final time on a fine evaluation grid against
//! the exact solution, and against a 4,097-node cubic grid with the same Δt (the time-discrete
//! reference, so the spatial error alone). Claim: at a given memory INSR's error is below the grid
//! solver's.

use crate::outcome::{report_page_with_table, Artifact, Outcome};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

mod field;
mod figures;
mod grid;
mod problems;
mod solver;

use grid::{solve, Interpolation};
use problems::{relative_error, Problem};
use solver::{run_insr, InsrRun, Training};

/// The figure's name.
pub const FIGURE: &str = "insr.png";
/// Nodes of the fine reference grid (cubic, same Δt).
const REFERENCE_NODES: usize = 4097;

/// The experiment's settings (read from Python's keywords, where a missing one keeps its default
/// and an unknown one is an error).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub seed: u64,
    /// INSR widths (the memory sweep); the grids get as many values as each network has weights.
    pub widths: Vec<usize>,
    /// Sine layers.
    pub hidden: usize,
    /// SIREN's frequency ω₀.
    pub omega: f64,
    /// Adam iterations per time step.
    pub iterations: usize,
    /// Adam iterations of the fit to the initial condition.
    pub initial_iterations: usize,
    /// Adam's rate at the start of each step (cosine-decayed to zero within it).
    pub rate: f64,
    /// Points drawn per Adam iteration.
    pub points: usize,
    pub advection_speed: f64,
    pub advection_dt: f64,
    pub advection_steps: usize,
    /// Burgers' ν.
    pub viscosity: f64,
    pub burgers_dt: f64,
    pub burgers_steps: usize,
    /// Weight of the Dirichlet penalty in Burgers' energy.
    pub boundary_weight: f64,
    /// Grid sizes run besides the matched ones (to show where the grids overtake).
    pub extra_grid_sizes: Vec<usize>,
    /// Points of the error's evaluation grid.
    pub evaluation_points: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            seed: 0,
            widths: vec![4, 6, 8, 12, 16, 24],
            hidden: 2,
            omega: 30.0,
            iterations: 200,
            initial_iterations: 2000,
            rate: 1e-3,
            points: 256,
            advection_speed: 0.25,
            // cΔt is not a whole number of cells at the matched sizes, where a semi-Lagrangian grid
            // would shift the pulse exactly.
            advection_dt: 0.09,
            advection_steps: 100,
            viscosity: 0.01,
            burgers_dt: 0.01,
            burgers_steps: 50,
            boundary_weight: 1.0,
            extra_grid_sizes: vec![1500, 3000],
            evaluation_points: 1001,
        }
    }
}

impl Settings {
    /// The small setting of the test and of `--quick`.
    pub fn quick() -> Self {
        Self {
            widths: vec![4, 8, 16],
            advection_steps: 40,
            burgers_steps: 25,
            extra_grid_sizes: Vec::new(),
            ..Self::default()
        }
    }

    fn check(&self) -> Result<()> {
        let counts = [
            ("hidden", self.hidden, 1, 8),
            ("iterations", self.iterations, 1, 1_000_000),
            ("initial_iterations", self.initial_iterations, 1, 1_000_000),
            ("points", self.points, 4, 1_000_000),
            ("advection_steps", self.advection_steps, 1, 100_000),
            ("burgers_steps", self.burgers_steps, 1, 100_000),
            ("evaluation_points", self.evaluation_points, 16, 1_000_000),
        ];
        for (key, value, least, most) in counts {
            if value < least || value > most {
                return Err(Error::setting(
                    key,
                    format!("must be in {least} ..= {most}, got {value}"),
                ));
            }
        }
        if self.widths.is_empty() || self.widths.iter().any(|&w| !(2..=512).contains(&w)) {
            return Err(Error::setting(
                "widths",
                format!(
                    "must be one or more widths in 2 ..= 512, got {:?}",
                    self.widths
                ),
            ));
        }
        if self
            .extra_grid_sizes
            .iter()
            .any(|&n| !(4..=1_000_000).contains(&n))
        {
            return Err(Error::setting(
                "extra_grid_sizes",
                format!("must be in 4 ..= 1000000, got {:?}", self.extra_grid_sizes),
            ));
        }
        let positive = [
            ("omega", self.omega),
            ("rate", self.rate),
            ("advection_speed", self.advection_speed),
            ("advection_dt", self.advection_dt),
            ("viscosity", self.viscosity),
            ("burgers_dt", self.burgers_dt),
            ("boundary_weight", self.boundary_weight),
        ];
        for (key, value) in positive {
            if !(value > 0.0 && value.is_finite()) {
                return Err(Error::setting(
                    key,
                    format!("must be positive and finite, got {value}"),
                ));
            }
        }
        // The widest activations: value and slope per point and unit, a few copies in the graph.
        let widest = self.widths.iter().copied().max().unwrap_or(0);
        crate::error::check_memory("points", &[self.points, widest, 8], 8, 2)
    }

    fn training(&self) -> Training {
        Training {
            hidden: self.hidden,
            omega: self.omega,
            iterations: self.iterations,
            initial_iterations: self.initial_iterations,
            rate: self.rate,
            points: self.points,
            boundary_weight: self.boundary_weight,
            seed: self.seed,
        }
    }

    fn problems(&self) -> [Problem; 2] {
        [
            Problem::Advection {
                speed: self.advection_speed,
                dt: self.advection_dt,
                steps: self.advection_steps,
            },
            Problem::Burgers {
                viscosity: self.viscosity,
                dt: self.burgers_dt,
                steps: self.burgers_steps,
            },
        ]
    }
}

/// `metrics.json`.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub experiment: &'static str,
    pub settings: Settings,
    pub advection: Comparison,
    pub burgers: Comparison,
}

/// INSR and the grids on one problem.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    pub problem: &'static str,
    pub final_time: f64,
    /// The fine reference grid's error against the exact solution: the time step's share, which
    /// no spatial representation removes.
    pub time_step_floor: f64,
    pub insr: Vec<InsrRun>,
    /// Every grid size: the matched memories and the extra sizes, ascending.
    pub grids: Vec<GridRun>,
    /// Memories at which INSR's error is below the linear / the cubic grid's at the same memory.
    pub insr_beats_linear_at: Vec<usize>,
    pub insr_beats_cubic_at: Vec<usize>,
}

/// Both grid solvers at one size.
#[derive(Clone, Debug, Serialize)]
pub struct GridRun {
    /// Stored values (nodes).
    pub memory: usize,
    pub linear_error: f64,
    pub cubic_error: f64,
    /// Against the fine grid with the same Δt.
    pub linear_reference_error: f64,
    pub cubic_reference_error: f64,
}

fn compare(
    problem: &Problem,
    settings: &Settings,
    say: &mut dyn FnMut(&str),
) -> Result<Comparison> {
    let (lo, hi) = problem.domain();
    let count = settings.evaluation_points;
    let xs: Vec<f64> = (0..count)
        .map(|i| lo + (hi - lo) * i as f64 / (count - 1) as f64)
        .collect();
    let t = problem.horizon();
    let exact: Vec<f64> = xs.iter().map(|&x| problem.exact(x, t)).collect();
    let fine = solve(problem, REFERENCE_NODES, Interpolation::Cubic);
    let reference: Vec<f64> = xs.iter().map(|&x| fine.at(x)).collect();
    let time_step_floor = relative_error(&reference, &exact);

    let training = settings.training();
    let mut insr = Vec::new();
    for &width in &settings.widths {
        let run = run_insr(problem, width, &training, &xs, &exact, &reference)?;
        say(&format!(
            "{} INSR width {width} ({} weights): error {:.3e} ({:.1} s)",
            problem.name(),
            run.memory,
            run.error,
            run.seconds
        ));
        insr.push(run);
    }
    let mut sizes: Vec<usize> = insr.iter().map(|r| r.memory).collect();
    sizes.extend(&settings.extra_grid_sizes);
    sizes.sort_unstable();
    sizes.dedup();
    let grids: Vec<GridRun> = sizes
        .iter()
        .map(|&n| {
            let errors = |interpolation| {
                let grid = solve(problem, n, interpolation);
                let values: Vec<f64> = xs.iter().map(|&x| grid.at(x)).collect();
                (
                    relative_error(&values, &exact),
                    relative_error(&values, &reference),
                )
            };
            let (linear_error, linear_reference_error) = errors(Interpolation::Linear);
            let (cubic_error, cubic_reference_error) = errors(Interpolation::Cubic);
            GridRun {
                memory: n,
                linear_error,
                cubic_error,
                linear_reference_error,
                cubic_reference_error,
            }
        })
        .collect();
    let beats = |error: fn(&GridRun) -> f64| -> Vec<usize> {
        insr.iter()
            .filter(|r| {
                grids
                    .iter()
                    .any(|g| g.memory == r.memory && r.error < error(g))
            })
            .map(|r| r.memory)
            .collect()
    };
    Ok(Comparison {
        problem: problem.name(),
        final_time: t,
        time_step_floor,
        insr_beats_linear_at: beats(|g| g.linear_error),
        insr_beats_cubic_at: beats(|g| g.cubic_error),
        insr,
        grids,
    })
}

/// Runs both problems; `say` gets a line per INSR run.
pub fn run(settings: &Settings, say: &mut dyn FnMut(&str)) -> Result<Outcome<Report>> {
    settings.check()?;
    let [advection, burgers] = settings.problems();
    let report = Report {
        experiment: "insr",
        settings: settings.clone(),
        advection: compare(&advection, settings, say)?,
        burgers: compare(&burgers, settings, say)?,
    };
    let page = report_page_with_table(
        "INSR: implicit neural spatial representations (Chen et al., ICML 2023)",
        &figures::page_text(&report),
        &figures::table(&report),
        &[FIGURE],
        &report,
    )?;
    let outcome = Outcome::new(report.clone())
        .with(FIGURE, Artifact::Plot(figures::panels(&report)))
        .with("report.html", page);
    // A NaN anywhere is a failed run, not a result.
    outcome.check_finite()?;
    Ok(outcome)
}

#[cfg(test)]
mod tests;
