//! The Recurrent Variational Network ([`crate::models::recurrent_varnet`]) as a task-file solver:
//! `T` learned variational steps in k-space on the task's own coil maps and sampling mask, from
//! weights written by `inversa train recurrent-varnet` or the bundled ones.
//!
//! ```toml
//! [solver]
//! kind = "recurrent-varnet"
//! weights = "bundled"   # the default; or a .safetensors path
//! ```
//!
//! Unlike the RIM, which needs only `A` and `A*`, the RVN works in k-space, so the task's physics
//! must be one-channel Cartesian SENSE (`kind = "mri"`, simulated or a measured scan); any other
//! operator is refused by name. The measurement is scaled so the zero-filled image has a 99th
//! percentile of 1, as in training, and the output's real part is scaled back (the image model is
//! real; the maps carry the phase). It takes no prior: the network is its own.

use super::rim::{f32_of, relative_change};
use crate::models::bundled;
use crate::models::recurrent_varnet::kspace::Complex2;
use crate::models::recurrent_varnet::{KspaceProblem, RecurrentVarNet};
use crate::models::rim::input_scale;
use candle_core::{Device, Tensor};
use inversa::config::Section;
use inversa::operators::CartesianSense;
use inversa::real::{lit, Real};
use inversa::solvers::registry::{SolverBuild, SolverEntry};
use inversa::solvers::{Info, Iteration, Observer, Problem, Solver, SolverError};
use inversa::Error;

/// The `recurrent-varnet` entry of the solver registry.
pub fn entry<T: Real>() -> SolverEntry<T> {
    SolverEntry {
        name: "recurrent-varnet",
        summary: "recurrent variational network: T learned k-space steps w ← w − αM(w − y) + E R(E*w, h), learned initialiser and coil-map refinement (Yiasemis et al. 2022); Cartesian MRI only; weights = bundled | FILE",
        build: SolverBuild::Proximal(from_config::<T>),
    }
}

/// An RVN ready to run.
pub struct RecurrentVarNetSolver {
    net: RecurrentVarNet,
}

fn from_config<T: Real>(section: &mut Section) -> inversa::Result<Box<dyn Solver<T>>> {
    let net = match section.str_opt("weights")? {
        None | Some("bundled") => bundled::recurrent_varnet()?,
        Some(_) => {
            let key = section.key("weights");
            let path = section.path_opt("weights")?.ok_or_else(|| {
                Error::config(&key, "expected \"bundled\" or a .safetensors path")
            })?;
            let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
            RecurrentVarNet::from_safetensors(&bytes, &path)?
        }
    };
    Ok(Box::new(RecurrentVarNetSolver { net }))
}

impl RecurrentVarNetSolver {
    /// The solver of a loaded network.
    pub fn new(net: RecurrentVarNet) -> Self {
        Self { net }
    }
}

fn failed(e: impl std::fmt::Display) -> SolverError {
    SolverError::Unsupported {
        solver: "recurrent-varnet",
        reason: e.to_string(),
    }
}

/// The network's inputs from the task at `scale`: measurement `[1, coils, H, W, 2]`, mask and
/// maps.
fn inputs<T: Real>(
    sense: &CartesianSense<'_, T>,
    measurement: &[T],
    (h, w): (usize, usize),
    scale: f32,
) -> candle_core::Result<(Tensor, Tensor, Complex2)> {
    let coils = sense.coil_maps.len() / (h * w);
    let y: Vec<f32> = measurement.iter().map(|v| f32_of(*v) * scale).collect();
    let y = Tensor::from_vec(y, (1, coils, h, w, 2), &Device::Cpu)?;
    let mask: Vec<f32> = sense
        .acquired
        .iter()
        .map(|&a| f32::from(u8::from(a)))
        .collect();
    let mask = Tensor::from_vec(mask, (1, 1, h, w, 1), &Device::Cpu)?;
    let part = |f: fn(&num_complex::Complex<T>) -> T| {
        let v: Vec<f32> = sense.coil_maps.iter().map(|s| f32_of(f(s))).collect();
        Tensor::from_vec(v, (1, coils, h, w), &Device::Cpu)
    };
    Ok((y, mask, (part(|s| s.re)?, part(|s| s.im)?)))
}

impl<T: Real> Solver<T> for RecurrentVarNetSolver {
    fn solve(
        &self,
        problem: &Problem<T>,
        x: &mut [T],
        observer: &mut dyn Observer<T>,
    ) -> Result<Info, SolverError> {
        let shape = problem.operator.input_shape();
        let (Some(sense), [1, h, w]) = (problem.operator.cartesian_sense(), shape) else {
            return Err(failed(
                "the Recurrent VarNet works in k-space and needs one-channel Cartesian multi-coil MRI \
                 (physics kind = \"mri\")",
            ));
        };
        let (h, w) = (*h, *w);
        let zero_filled: Vec<f32> = problem
            .operator
            .adjoint_new(problem.measurement)
            .iter()
            .map(|v| f32_of(*v))
            .collect();
        let scale = input_scale(&zero_filled);
        let (y, mask, maps) = inputs(&sense, problem.measurement, (h, w), scale).map_err(failed)?;
        let images = self
            .net
            .unroll(&KspaceProblem {
                measurement: &y,
                mask: &mask,
                maps: &maps,
            })
            .map_err(failed)?;
        let steps = images.len();
        let mut previous = zero_filled.iter().map(|v| v * scale).collect::<Vec<_>>();
        for (index, image) in images.iter().enumerate() {
            let values = image
                .narrow(1, 0, 1)
                .and_then(|t| t.flatten_all())
                .and_then(|t| t.to_vec1::<f32>())
                .map_err(failed)?;
            x.iter_mut()
                .zip(&values)
                .for_each(|(xi, v)| *xi = lit(f64::from(v / scale)));
            if !inversa::real::all_finite(x) {
                return Err(SolverError::NonFinite {
                    solver: "recurrent-varnet",
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
