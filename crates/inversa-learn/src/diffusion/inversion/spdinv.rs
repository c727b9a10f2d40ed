//! SPDInv: DDIM inversion made implicit by a fixed-point search at every step. Li, Li, Guo,
//! Zhang, "Source Prompt Disentangled Inversion for Boosting Image Editability with Diffusion
//! Models", ECCV 2024, arXiv:2403.11105.
//!
//! Exact DDIM inversion from level `k − 1` to `k` needs the noise at the unknown `z_k`: `z_k`
//! must be a fixed point of
//!
//! ```text
//! F(z) = a z_{k−1} + b ε(z, τ_k, c),     (a, b) = the DDIM move from level k − 1 to k,
//! ```
//!
//! for then the deterministic sampling step from `z_k` returns `z_{k−1}` exactly. DDIM inversion
//! stops at `z = F(z_{k−1})`; SPDInv starts there and drives the residual `g(z) = F(z) − z` to
//! zero. The reference code minimises `‖g‖²` by AdamW (learning rate 10⁻³, at most 25 rounds,
//! stopping below 5·10⁻⁶), which needs the model's gradient. This file solves the same equation
//! without gradients, by Anderson acceleration of the fixed-point iteration (Walker, Ni,
//! "Anderson Acceleration for Fixed-Point Iterations", SIAM J. Numer. Anal. 2011,
//! doi:10.1137/10078356X): with the last `m` differences `ΔG`, `ΔF` of residuals and images,
//!
//! ```text
//! γ = argmin ‖g_i − ΔG γ‖,     z_{i+1} = F(z_i) − ΔF γ,
//! ```
//!
//! which is plain iteration `z ← F(z)` at `m = 0`. Plain iteration converges only where
//! `|b|·Lip(ε) < 1`; with strong guidance `ε̂` is steep at intermediate noise levels and it
//! stalls there, which the acceleration mostly overcomes. Where the guided sampling step is not
//! injective (possible for guidance scales well above 1 near class boundaries) there may be no
//! fixed point near the DDIM guess, and no solver finds one. Each step stops when
//! `‖g(z)‖ ≤ tolerance · ‖z‖` or after `max_iterations` evaluations of `F`, keeping the iterate
//! with the smallest residual.
//!
//! The residual `‖z_k − F(z_k)‖` (Euclidean norm over the whole batch) is reported per step;
//! DDIM inversion's own residual is [`residual`] at its iterate.

use super::ddim;
use super::{Diffusion, Inverter, Latent, Model, Settings};
use crate::diffusion::model::NoisePredictor;
use crate::diffusion::schedule::Grid;
use crate::diffusion::{bad, combine, norm};
use crate::Result;
use candle_core::Tensor;

/// How each inversion step solves its fixed-point equation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FixedPointParams {
    /// Evaluations of `F` per step after the DDIM initial guess.
    pub max_iterations: usize,
    /// Stop when `‖z − F(z)‖ ≤ tolerance · ‖z‖`.
    pub tolerance: f64,
    /// Anderson memory `m` (0: plain fixed-point iteration).
    pub memory: usize,
}

impl Default for FixedPointParams {
    fn default() -> Self {
        Self {
            max_iterations: 25,
            tolerance: 1e-6,
            memory: 5,
        }
    }
}
/// The inverted trajectory `z_0 … z_S`, with each step's final residual `‖z_k − F(z_k)‖` and
/// the model evaluations it used.
#[derive(Clone, Debug)]
pub struct FixedPointInversion {
    pub trajectory: Vec<Tensor>,
    pub residuals: Vec<f64>,
    pub evaluations: Vec<usize>,
}

/// `F(z) = a z_{k−1} + b ε(z, τ_k, c)` for the step from level `k − 1` to `k`.
fn map(
    model: &impl NoisePredictor,
    grid: &Grid,
    k: usize,
    below: &Tensor,
    z: &Tensor,
    class: Option<usize>,
) -> Result<Tensor> {
    let (a, b) = grid.ddim_coefficients(k - 1, k);
    Ok(combine(
        a,
        below,
        b,
        &model.eps(z, grid.timestep(k), class)?,
    )?)
}

/// `‖z − F(z)‖` of the step from `below` (level `k − 1`) to `z` (level `k`).
pub fn residual(
    model: &impl NoisePredictor,
    grid: &Grid,
    k: usize,
    below: &Tensor,
    z: &Tensor,
    class: Option<usize>,
) -> Result<f64> {
    Ok(norm(&(z - map(model, grid, k, below, z, class)?)?)?)
}

/// Inverts `x0` to level `S`, solving each step's fixed-point equation.
pub fn invert(
    model: &impl NoisePredictor,
    grid: &Grid,
    x0: &Tensor,
    class: Option<usize>,
    params: FixedPointParams,
) -> Result<FixedPointInversion> {
    if params.tolerance.is_nan() || params.tolerance < 0.0 {
        return Err(bad("tolerance", format!("{} is not ≥ 0", params.tolerance)));
    }
    let mut out = FixedPointInversion {
        trajectory: vec![x0.clone()],
        residuals: Vec::new(),
        evaluations: Vec::new(),
    };
    for k in 1..=grid.steps() {
        let below = out.trajectory[k - 1].clone();
        let step = |z: &Tensor| map(model, grid, k, &below, z, class);
        let (z, residual, evaluations) = solve(step(&below)?, step, params)?;
        out.trajectory.push(z);
        out.residuals.push(residual);
        out.evaluations.push(evaluations + 1);
    }
    Ok(out)
}

/// Anderson-accelerated iteration of `map` from `z`: the best iterate, its residual and the
/// number of evaluations of `map`.
fn solve(
    mut z: Tensor,
    map: impl Fn(&Tensor) -> Result<Tensor>,
    params: FixedPointParams,
) -> Result<(Tensor, f64, usize)> {
    let mut image = map(&z)?;
    let mut gap = (&image - &z)?;
    let mut residual = norm(&gap)?;
    let mut best = (z.clone(), residual);
    let (mut gap_steps, mut image_steps) = (Vec::<Tensor>::new(), Vec::<Tensor>::new());
    let mut evaluations = 1;
    while evaluations < params.max_iterations && residual > params.tolerance * norm(&z)? {
        let weights = least_squares(&gap_steps, &gap)?;
        let mut next = image.clone();
        for (w, step) in weights.iter().zip(&image_steps) {
            next = combine(1.0, &next, -w, step)?;
        }
        let next_image = map(&next)?;
        evaluations += 1;
        let next_gap = (&next_image - &next)?;
        gap_steps.push((&next_gap - &gap)?);
        image_steps.push((&next_image - &image)?);
        if gap_steps.len() > params.memory {
            gap_steps.remove(0);
            image_steps.remove(0);
        }
        (z, image, gap) = (next, next_image, next_gap);
        residual = norm(&gap)?;
        if !residual.is_finite() {
            return Err(bad(
                "spdinv",
                format!("the fixed-point residual became {residual}"),
            ));
        }
        if residual < best.1 {
            best = (z.clone(), residual);
        }
    }
    Ok((best.0, best.1, evaluations))
}

/// `γ = argmin ‖g − Σ_j γ_j columns_j‖` by the (slightly regularised) normal equations; no
/// columns, or a singular system, gives no correction.
fn least_squares(columns: &[Tensor], g: &Tensor) -> Result<Vec<f64>> {
    let dot = |a: &Tensor, b: &Tensor| -> Result<f64> {
        Ok((a * b)?
            .to_dtype(candle_core::DType::F64)?
            .sum_all()?
            .to_scalar::<f64>()?)
    };
    let m = columns.len();
    let mut gram = vec![vec![0.0; m + 1]; m];
    for i in 0..m {
        for j in 0..=i {
            let value = dot(&columns[i], &columns[j])?;
            (gram[i][j], gram[j][i]) = (value, value);
        }
        gram[i][m] = dot(&columns[i], g)?;
    }
    let ridge = 1e-12
        * inversa::report::finite::max_propagating_nan(
            std::iter::once(0.0).chain((0..m).map(|i| gram[i][i])),
        );
    (0..m).for_each(|i| gram[i][i] += ridge);
    Ok(gaussian_elimination(gram).unwrap_or_else(|| vec![0.0; m]))
}

/// Solves the `m × (m+1)` augmented system by elimination with partial pivoting.
fn gaussian_elimination(mut a: Vec<Vec<f64>>) -> Option<Vec<f64>> {
    let m = a.len();
    for col in 0..m {
        let pivot = (col..m).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col] == 0.0 {
            return None;
        }
        a.swap(col, pivot);
        let pivot_row = a[col].clone();
        for row in &mut a[col + 1..] {
            let factor = row[col] / pivot_row[col];
            for (target, source) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                *target -= factor * source;
            }
        }
    }
    let mut x = vec![0.0; m];
    for row in (0..m).rev() {
        let tail: f64 = (row + 1..m).map(|k| a[row][k] * x[k]).sum();
        x[row] = (a[row][m] - tail) / a[row][row];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// SPDInv under guidance with the settings' fixed-point search, regenerating by deterministic
/// DDIM sampling, as an [`Inverter`].
pub struct SpdInv<'a> {
    diffusion: Diffusion<'a>,
    params: FixedPointParams,
}

impl<'a> SpdInv<'a> {
    pub fn new(model: Model<'a>, settings: &Settings) -> Result<Self> {
        Ok(Self {
            diffusion: Diffusion::new(model, settings, "spdinv")?,
            params: settings.fixed_point,
        })
    }
}

impl Inverter for SpdInv<'_> {
    #[allow(clippy::expect_used, reason = "the trajectory holds S + 1 ≥ 1 states")]
    fn invert(&self, x0: &Tensor, class: usize) -> Result<Latent> {
        let d = &self.diffusion;
        let mut found = invert(&d.guided(), &d.grid, x0, Some(class), self.params)?;
        Ok(Latent::FixedPoint {
            state: found.trajectory.pop().expect("S + 1 states"),
            // The worst step; with no steps there is nothing left unsolved.
            residual: inversa::report::finite::max_propagating_nan(
                std::iter::once(0.0).chain(found.residuals.iter().copied()),
            ),
        })
    }

    fn regenerate(&self, latent: &Latent, class: usize) -> Result<Tensor> {
        let Latent::FixedPoint { state, .. } = latent else {
            return Err(Latent::foreign("spdinv"));
        };
        let d = &self.diffusion;
        ddim::sample(&d.guided(), &d.grid, state, Some(class), 0.0, 0)
    }

    fn calls(&self) -> usize {
        self.diffusion.model.calls()
    }
}
