//! Fisher–Kolmogorov reaction–diffusion on a masked 2-D grid:
//!
//! ```text
//! ∂u/∂t = ∇·(D(x) ∇u) + ρ u (1 − u)   in Ω,      D ∇u · n = 0   on ∂Ω,
//! ```
//!
//! with `D(x) = s · d(x)` for a unit field `d` (zero outside the domain `Ω`, the cells with
//! `d > 0`) and a scale `s`, so that one solver serves every diffusivity of an inversion.
//! Finite volumes on square cells of side `h`: the flux through the face between cells `i` and `j`
//! is `D_ij (u_j − u_i) / h`, with `D_ij` the harmonic mean of the two cells' values (zero when
//! either is outside `Ω`: no flux), and forward Euler in time:
//!
//! ```text
//! u ← u + Δt [ Σ_faces D_ij (u_j − u_i) / h² + ρ u (1 − u) ].
//! ```
//!
//! Every face's flux enters its two cells with opposite signs, so with `ρ = 0` the total `Σ u`
//! is conserved to round-off. The step keeps `0 ≤ u ≤ 1` (a discrete maximum principle) when
//! `Δt (max_i Σ_faces D_ij / h² + ρ) ≤ 1`, the bound [`FisherKpp::stable_steps`] meets. One step
//! costs about 15 flops per cell.

use crate::{Error, Result};

/// The solver of one domain: the face coefficients of the unit field, on a grid padded by one
/// empty cell on each side so that the stencil needs no edge cases.
pub struct FisherKpp {
    nx: usize,
    ny: usize,
    h: f64,
    /// `inside[k]`: whether padded cell `k` lies in `Ω`.
    inside: Vec<bool>,
    /// Coefficient of the face between padded cells `k` and `k + 1`.
    east: Vec<f64>,
    /// Coefficient of the face between padded cells `k` and `k + (nx + 2)`.
    south: Vec<f64>,
    /// `max_k Σ_faces` of the unit field, the stiffness of the diffusion step.
    stiffness: f64,
}

impl FisherKpp {
    /// The solver on an `nx × ny` grid (row-major, `ny` rows) of cell side `h` with the unit
    /// diffusivity `unit` per cell; cells with `unit ≤ 0` are outside the domain.
    pub fn new(nx: usize, ny: usize, h: f64, unit: &[f64]) -> Result<Self> {
        if unit.len() != nx * ny || nx == 0 || ny == 0 || h.is_nan() || h <= 0.0 {
            let message = format!(
                "needs {nx} × {ny} cells and h > 0, got {} and {h}",
                unit.len()
            );
            return Err(Error::setting("diffusivity", message));
        }
        let width = nx + 2;
        let mut padded = vec![0.0; width * (ny + 2)];
        for (row, values) in unit.chunks_exact(nx).enumerate() {
            let start = (row + 1) * width + 1;
            padded[start..start + nx].copy_from_slice(values);
        }
        let harmonic = |a: f64, b: f64| {
            if a > 0.0 && b > 0.0 {
                2.0 * a * b / (a + b)
            } else {
                0.0
            }
        };
        let east: Vec<f64> = (0..padded.len())
            .map(|k| harmonic(padded[k], *padded.get(k + 1).unwrap_or(&0.0)))
            .collect();
        let south: Vec<f64> = (0..padded.len())
            .map(|k| harmonic(padded[k], *padded.get(k + width).unwrap_or(&0.0)))
            .collect();
        let stiffness = (width..padded.len() - width)
            .map(|k| east[k] + east[k - 1] + south[k] + south[k - width])
            .fold(0.0, f64::max);
        Ok(Self {
            nx,
            ny,
            h,
            inside: padded.iter().map(|&d| d > 0.0).collect(),
            east,
            south,
            stiffness,
        })
    }

    /// Cells `(nx, ny)`.
    pub fn shape(&self) -> (usize, usize) {
        (self.nx, self.ny)
    }

    /// Whether cell `(column, row)` lies in the domain.
    pub fn inside(&self, column: usize, row: usize) -> bool {
        self.inside[(row + 1) * (self.nx + 2) + column + 1]
    }

    /// The fewest forward-Euler steps that reach `t_end` within the stability bound for every
    /// scale up to `scale_max` and rate up to `rho_max`. Callers fix the step count for a whole
    /// inversion, so the solution is a smooth function of the parameters.
    pub fn stable_steps(&self, scale_max: f64, rho_max: f64, t_end: f64) -> usize {
        let rate = scale_max * self.stiffness / (self.h * self.h) + rho_max;
        (t_end * rate).ceil().max(1.0) as usize
    }

    /// Advances `u` (`nx × ny`, row-major; values outside the domain are set to zero) by `steps`
    /// steps of `t_end / steps` with diffusivity `scale · unit` and rate `rho`.
    pub fn run(&self, u: &mut [f64], scale: f64, rho: f64, t_end: f64, steps: usize) -> Result<()> {
        let dt = t_end / steps.max(1) as f64;
        let rate = scale * self.stiffness / (self.h * self.h) + rho;
        // Written so that a NaN rate counts as unstable.
        let stable = dt * rate <= 1.0 + 1e-12;
        if u.len() != self.nx * self.ny || !stable || scale < 0.0 || rho < 0.0 {
            let message = format!(
                "{steps} steps to t = {t_end} with D scale {scale} and ρ {rho} break Δt·rate ≤ 1 \
                 (rate {rate:.3e}) or the field has {} cells, not {}",
                u.len(),
                self.nx * self.ny
            );
            return Err(Error::setting("steps", message));
        }
        let width = self.nx + 2;
        let mut now = vec![0.0; width * (self.ny + 2)];
        for (row, values) in u.chunks_exact(self.nx).enumerate() {
            let start = (row + 1) * width + 1;
            now[start..start + self.nx].copy_from_slice(values);
        }
        let mut next = now.clone();
        let diffusion = dt * scale / (self.h * self.h);
        for _ in 0..steps {
            self.step(&now, &mut next, diffusion, dt * rho);
            std::mem::swap(&mut now, &mut next);
        }
        for (row, values) in u.chunks_exact_mut(self.nx).enumerate() {
            let start = (row + 1) * width + 1;
            values.copy_from_slice(&now[start..start + self.nx]);
        }
        Ok(())
    }

    /// One step from `now` into `next` (`diffusion = Δt s / h²`, `reaction = Δt ρ`); the halo
    /// and the cells outside the domain stay zero.
    fn step(&self, now: &[f64], next: &mut [f64], diffusion: f64, reaction: f64) {
        let width = self.nx + 2;
        for k in width..now.len() - width {
            if !self.inside[k] {
                next[k] = 0.0;
                continue;
            }
            let u = now[k];
            let flux = self.east[k] * (now[k + 1] - u) - self.east[k - 1] * (u - now[k - 1])
                + self.south[k] * (now[k + width] - u)
                - self.south[k - width] * (u - now[k - width]);
            next[k] = u + diffusion * flux + reaction * u * (1.0 - u);
        }
    }
}
