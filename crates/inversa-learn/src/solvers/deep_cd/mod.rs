//! The deep conjugate direction method (Kaneda, Akar, Chen, Kala, Hyde, Teran, "A Deep Conjugate
//! Direction Method for Iteratively Solving Linear Systems", ICML 2023, arXiv:2205.10763): a
//! convolutional network `f ≈ c·A⁻¹` for the five-point Poisson matrix, trained without
//! solutions, supplies the search directions of a conjugate-direction iteration.
//!
//! - [`network`]: the network, a weight-shared convolutional V-cycle that runs on any grid.
//! - [`training`]: the paper's loss (one solver step's residual) on spectral right-hand sides.
//! - [`solver`]: the iteration (Algorithm 1), generic over the [`solver::DirectionMap`].
//!
//! Here the network's values are `f32` and the iteration's vectors `f64`. The network is
//! trained for the constant-coefficient matrix; on a variable-coefficient Poisson matrix it is
//! applied to the Jacobi-scaled residual ([`NetworkDirections::jacobi_scaled`]), our addition to
//! the paper's method.

pub mod network;
pub mod solver;
pub mod training;

use candle_core::{Device, Tensor};
use inversa::krylov::problems::diffusion::diffusion_matrix;
use inversa::krylov::problems::System;
use inversa::krylov::sequence::SequenceReport;
use inversa::krylov::sparse::{relative_residual, CsrMatrix};
use inversa::solvers::SolverError;
use network::DeepCdNet;
use solver::{DeepCd, DirectionMap};
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// The network as a [`DirectionMap`] on a `rows × cols` grid (row-major vectors), optionally
/// with a symmetric diagonal scaling `r ↦ S f(S r)`.
pub struct NetworkDirections<'a> {
    net: &'a DeepCdNet,
    rows: usize,
    cols: usize,
    scale: Option<Vec<f64>>,
}

impl<'a> NetworkDirections<'a> {
    /// `net` on vectors of `rows · cols` values.
    pub fn new(net: &'a DeepCdNet, rows: usize, cols: usize) -> Self {
        Self {
            net,
            rows,
            cols,
            scale: None,
        }
    }

    /// `r ↦ S f(S r)` with `S = diag(A)^(−½)`: the network applied to the Jacobi-scaled matrix
    /// `S A S`, which for a smooth coefficient `a` is close to the constant-coefficient matrix the
    /// network was trained for (`diag(A) ∝ a`, and `A ≈ D^½ (−Δ) D^½` to leading order).
    pub fn jacobi_scaled(net: &'a DeepCdNet, rows: usize, cols: usize, a: &CsrMatrix) -> Self {
        let scale = a
            .diagonal()
            .iter()
            .map(|&d| 1.0 / d.abs().sqrt().max(f64::MIN_POSITIVE))
            .collect();
        Self {
            scale: Some(scale),
            ..Self::new(net, rows, cols)
        }
    }
}

impl DirectionMap for NetworkDirections<'_> {
    fn direction(&self, r: &[f64]) -> inversa::Result<Vec<f64>> {
        if r.len() != self.rows * self.cols {
            return Err(inversa::Error::Shape(format!(
                "a residual of {} values on a {}×{} grid",
                r.len(),
                self.rows,
                self.cols
            )));
        }
        let network = |e: candle_core::Error| {
            inversa::Error::Solver(SolverError::Unsupported {
                solver: "deep-cd",
                reason: format!("the network failed: {e}"),
            })
        };
        let scaled: Vec<f64> = match &self.scale {
            Some(s) => r.iter().zip(s).map(|(v, s)| v * s).collect(),
            None => r.to_vec(),
        };
        let size = scaled
            .iter()
            .map(|v| v * v)
            .sum::<f64>()
            .sqrt()
            .max(f64::MIN_POSITIVE);
        let input: Vec<f32> = scaled.iter().map(|&v| (v / size) as f32).collect();
        let input =
            Tensor::from_vec(input, (1, 1, self.rows, self.cols), &Device::Cpu).map_err(network)?;
        let output = self
            .net
            .forward(&input)
            .and_then(|f| f.flatten_all()?.to_vec1::<f32>())
            .map_err(network)?;
        Ok(match &self.scale {
            Some(s) => output
                .into_iter()
                .zip(s)
                .map(|(f, s)| f64::from(f) * s)
                .collect(),
            None => output.into_iter().map(f64::from).collect(),
        })
    }
}

/// The constant-coefficient Poisson matrix `−Δ` on the `n × n` interior grid of the unit square
/// (five-point, zero Dirichlet boundary, scaled by `1/h²`), the matrix the network is trained for.
pub fn laplacian_matrix(n: usize) -> inversa::Result<CsrMatrix> {
    diffusion_matrix(n, &vec![1.0; n * n], None)
}

/// The bundled network (trained by `inversa train deep-cd`, see `data/README.md`), loaded once.
pub fn bundled() -> inversa::Result<Arc<DeepCdNet>> {
    static NET: OnceLock<Arc<DeepCdNet>> = OnceLock::new();
    if let Some(net) = NET.get() {
        return Ok(net.clone());
    }
    let origin = Path::new("the bundled deep_cd_poisson.safetensors");
    let net = Arc::new(DeepCdNet::from_safetensors(WEIGHTS, origin)?);
    Ok(NET.get_or_init(|| net).clone())
}

/// The bundled weights.
const WEIGHTS: &[u8] = include_bytes!("../../../../../data/weights/deep_cd_poisson.safetensors");

/// Solves each of `systems` (on the `grid × grid` grid, in order, from `x = 0`) with `solver`
/// and `net` (on the Jacobi-scaled residual when `scaled`); every system must reach the tolerance on its true residual, or the first that does
/// not is an error. The report has the fields of the core's sequence driver.
pub fn solve_systems(
    systems: &[System],
    grid: usize,
    solver: &DeepCd,
    net: &DeepCdNet,
    scaled: bool,
) -> inversa::Result<SequenceReport> {
    let start = Instant::now();
    let mut report = SequenceReport {
        order: (0..systems.len()).collect(),
        iterations: Vec::new(),
        matvecs: Vec::new(),
        relative_residuals: Vec::new(),
        total_iterations: 0,
        total_matvecs: 0,
        seconds: 0.0,
        setup_seconds: 0.0,
        max_relative_residual: 0.0,
    };
    for (index, system) in systems.iter().enumerate() {
        let (a, b) = (&system.matrix, &system.rhs);
        let mut x = vec![0.0; b.len()];
        let map = match scaled {
            true => NetworkDirections::jacobi_scaled(net, grid, grid, a),
            false => NetworkDirections::new(net, grid, grid),
        };
        let info = solver.solve(a, b, &mut x, &map)?;
        let residual = relative_residual(a, &x, b);
        let reached = residual <= solver.tolerance; // false for NaN
        if !info.converged || !reached {
            return Err(SolverError::NoConvergence {
                solver: "deep-cd",
                what: format!("system {index}"),
                iterations: info.iterations,
                tolerance: solver.tolerance,
                relative_residual: residual,
            }
            .into());
        }
        report.record(&info, residual);
    }
    report.finish(start.elapsed().as_secs_f64());
    Ok(report)
}
