//! The Recurrent Inference Machine ([`crate::models::rim`]) as a task-file solver: `T` learned
//! steps driven by the log-likelihood gradient `A*(y − Ax)` of the task's own operator, from
//! weights written by `inversa train rim` or one of the bundled ones.
//!
//! ```toml
//! [solver]
//! kind = "rim"
//! weights = "indrnn"   # bundled: "gru", "mgu" or "indrnn" (the default); or a .safetensors path
//! ```
//!
//! The RIM starts from the zero-filled image `A*y`, as it was trained (the task's `init` does not
//! apply), scaled to a 99th percentile of 1 and scaled back at the end. It takes no prior: the
//! network is its own. Any operator on one-channel images works; the bundled weights were
//! trained on multi-coil Cartesian MRI and are only meaningful there.

use crate::models::bundled;
use crate::models::rim::recurrent_unit::RecurrentUnit;
use crate::models::rim::{input_scale, Rim};
use candle_core::{Device, Tensor};
use inversa::config::Section;
use inversa::real::{lit, Real};
use inversa::solvers::registry::{SolverBuild, SolverEntry};
use inversa::solvers::{Info, Iteration, Observer, Problem, Solver, SolverError};
use inversa::Error;

/// The `rim` entry of the solver registry.
pub fn entry<T: Real>() -> SolverEntry<T> {
    SolverEntry {
        name: "rim",
        summary: "recurrent inference machine: T learned steps on A*(y − Ax), GRU/MGU/IndRNN cells (Karkalousos et al. 2020); weights = gru | mgu | indrnn | FILE",
        build: SolverBuild::Proximal(from_config::<T>),
    }
}

/// A RIM ready to run.
pub struct RimSolver {
    rim: Rim,
}

fn from_config<T: Real>(section: &mut Section) -> inversa::Result<Box<dyn Solver<T>>> {
    let key = section.key("weights");
    let rim = match section.str_opt("weights")? {
        None => bundled::rim(RecurrentUnit::IndRnn)?,
        Some(name) => match name.parse::<RecurrentUnit>() {
            Ok(unit) => bundled::rim(unit)?,
            Err(_) => {
                let path = section.path_opt("weights")?.ok_or_else(|| {
                    Error::config(&key, "expected gru, mgu, indrnn or a .safetensors path")
                })?;
                let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
                Rim::from_safetensors(&bytes, &path)?
            }
        },
    };
    Ok(Box::new(RimSolver { rim }))
}

impl RimSolver {
    /// The solver of a loaded network.
    pub fn new(rim: Rim) -> Self {
        Self { rim }
    }
}

/// `‖x − previous‖ / ‖x‖` (0 for a zero image), the change a step made.
pub(super) fn relative_change(x: &[f32], previous: &[f32]) -> f64 {
    let change = inversa::real::norm_squared(
        &x.iter()
            .zip(previous)
            .map(|(a, b)| a - b)
            .collect::<Vec<f32>>(),
    );
    let size = inversa::real::norm_squared(x);
    if size > 0.0 {
        (change / size).sqrt()
    } else {
        0.0
    }
}

/// `v` in f32 (NaN if it does not convert, which the finiteness check then reports).
pub(super) fn f32_of<T: Real>(v: T) -> f32 {
    v.to_f32().unwrap_or(f32::NAN)
}

fn failed(e: impl std::fmt::Display) -> SolverError {
    SolverError::Unsupported {
        solver: "rim",
        reason: e.to_string(),
    }
}

impl<T: Real> Solver<T> for RimSolver {
    fn solve(
        &self,
        problem: &Problem<T>,
        x: &mut [T],
        observer: &mut dyn Observer<T>,
    ) -> Result<Info, SolverError> {
        let shape = problem.operator.input_shape();
        let [1, h, w] = shape[..] else {
            return Err(failed(format!(
                "the RIM reconstructs one-channel images, the task's are {shape:?}"
            )));
        };
        let zero_filled: Vec<f32> = problem
            .operator
            .adjoint_new(problem.measurement)
            .iter()
            .map(|v| f32_of(*v))
            .collect();
        let scale = input_scale(&zero_filled);
        // The measurement stays in the task's precision; only the network runs in f32.
        let y: Vec<T> = problem
            .measurement
            .iter()
            .map(|v| *v * lit(f64::from(scale)))
            .collect();
        let image = |v: Vec<f32>| Tensor::from_vec(v, (1, 1, h, w), &Device::Cpu);
        let x0 = image(zero_filled.iter().map(|v| v * scale).collect()).map_err(failed)?;
        let gradient = |x: &Tensor| {
            let current: Vec<T> = x
                .flatten_all()?
                .to_vec1::<f32>()?
                .iter()
                .map(|v| lit(f64::from(*v)))
                .collect();
            let mut residual = problem.operator.apply_new(&current);
            residual
                .iter_mut()
                .zip(&y)
                .for_each(|(r, yi)| *r = *yi - *r);
            image(
                problem
                    .operator
                    .adjoint_new(&residual)
                    .iter()
                    .map(|v| f32_of(*v))
                    .collect(),
            )
        };
        let iterates = self.rim.unroll(&x0, gradient).map_err(failed)?;
        let steps = iterates.len();
        let mut previous = x0
            .flatten_all()
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(failed)?;
        for (index, iterate) in iterates.iter().enumerate() {
            let values = iterate
                .flatten_all()
                .and_then(|t| t.to_vec1::<f32>())
                .map_err(failed)?;
            x.iter_mut()
                .zip(&values)
                .for_each(|(xi, v)| *xi = lit(f64::from(v / scale)));
            if !inversa::real::all_finite(x) {
                return Err(SolverError::NonFinite {
                    solver: "rim",
                    iteration: index + 1,
                });
            }
            observer.observe(&Iteration {
                index: index + 1,
                x,
                objective: problem.objective(x),
                relative_change: relative_change(&values, &previous),
                residual: f64::NAN,
            });
            previous = values;
        }
        Ok(Info {
            iterations: steps,
            converged: false,
            objective: problem.objective(x),
            model_calls: Some(steps),
            spread: None,
        })
    }
}
