//! Preconditioned gradient descent in function space, the iteration the paper's proof emulates
//! with networks:
//!
//! ```text
//! u ← u − η (I − Δ)⁻¹ (−div ∇L(∇u) + u − f),
//! ```
//!
//! the bracket being the gradient of `E(u) = ∫ L(∇u) + ½u² − f u`. With `1 ≤ ∇²L ≤ 1 + κ` the
//! preconditioned Hessian's spectrum lies in `[1, 1 + κ]` whatever the dimension, so
//! `η = 2 / (2 + κ)` contracts the error by `κ / (2 + κ)` per step in every `d`.
//!
//! It runs Fourier-spectrally on a periodic grid of `n` points per axis. On the full grid of
//! `[0, 1)^d` that is `n^d` values, feasible only for small `d`. Because `u*`, `f` and every
//! operator above depend on `x` only through `y = W x` (the ridge projections), the iterates do
//! too: `u_t(x) = g_t(W x)` with `∇ₓ u = Wᵀ ∇_y g` and `Δₓ ↦ −4π² |Wᵀk|²` on the `m`-torus's modes
//! `k`. So the same iteration runs exactly on an `n^m` grid for any `d` ([`Torus::reduced`]);
//! [`Torus::full`] is the plain grid, kept for the small `d` where it fits, to check the two agree.

use super::problem::{density, flux, Problem};
use num_complex::Complex64 as C;
use serde::Serialize;
use std::f64::consts::PI;

/// A periodic grid of `n` points per axis on the `axes`-torus.
pub struct Torus {
    n: usize,
    axes: usize,
    /// `P` (`axes × d`): `∇ₓ = Pᵀ ∇_z`.
    pull: Vec<Vec<f64>>,
    /// `M` (`m × axes`): the ridge projections `W x = M z`.
    lift: Vec<Vec<f64>>,
    /// `e^{−2πi j/n}`.
    twiddle: Vec<C>,
}

fn identity(size: usize) -> Vec<Vec<f64>> {
    (0..size)
        .map(|i| (0..size).map(|j| f64::from(u8::from(i == j))).collect())
        .collect()
}

impl Torus {
    /// The full grid on `[0, 1)^d`.
    pub fn full(problem: &Problem, n: usize) -> Self {
        Self::new(n, identity(problem.dim()), problem.ridges.clone())
    }

    /// The grid on the ridge projections' `m`-torus.
    pub fn reduced(problem: &Problem, n: usize) -> Self {
        Self::new(n, problem.ridges.clone(), identity(problem.terms()))
    }

    fn new(n: usize, pull: Vec<Vec<f64>>, lift: Vec<Vec<f64>>) -> Self {
        let twiddle = (0..n)
            .map(|j| C::from_polar(1.0, -2.0 * PI * j as f64 / n as f64))
            .collect();
        Self {
            n,
            axes: pull.len(),
            pull,
            lift,
            twiddle,
        }
    }

    /// The number of grid values.
    pub fn len(&self) -> usize {
        self.n.pow(self.axes as u32)
    }

    fn digits(&self, index: usize) -> Vec<usize> {
        let mut rest = index;
        let mut digits = vec![0; self.axes];
        for d in digits.iter_mut().rev() {
            *d = rest % self.n;
            rest /= self.n;
        }
        digits
    }

    /// The ridge projections `W x` of grid point `index`.
    fn projection(&self, index: usize) -> Vec<f64> {
        let z: Vec<f64> = self
            .digits(index)
            .iter()
            .map(|&i| i as f64 / self.n as f64)
            .collect();
        self.lift
            .iter()
            .map(|row| row.iter().zip(&z).map(|(a, b)| a * b).sum())
            .collect()
    }

    /// Signed wavenumbers of mode `index`, the Nyquist mode's set to zero: a real field's
    /// derivative there is undefined, and zeroing it keeps `D` skew-adjoint, so the residual below
    /// is exactly the gradient of the discrete energy.
    fn wavenumbers(&self, index: usize) -> Vec<f64> {
        let half = self.n / 2;
        self.digits(index)
            .iter()
            .map(|&i| match i {
                i if i < half || self.n % 2 == 1 && i == half => i as f64,
                i if i == half => 0.0,
                i => i as f64 - self.n as f64,
            })
            .collect()
    }

    /// The DFT along every axis (unnormalised forward; the inverse divides by `n^axes`).
    fn transform(&self, data: &mut [C], inverse: bool) {
        let n = self.n;
        let mut line = vec![C::new(0.0, 0.0); n];
        for axis in 0..self.axes {
            let stride = n.pow((self.axes - 1 - axis) as u32);
            for outer in 0..n.pow(axis as u32) {
                for inner in 0..stride {
                    let start = outer * n * stride + inner;
                    for (j, v) in line.iter_mut().enumerate() {
                        *v = data[start + j * stride];
                    }
                    for k in 0..n {
                        let sum: C = line
                            .iter()
                            .enumerate()
                            .map(|(j, v)| {
                                let w = self.twiddle[(j * k) % n];
                                v * if inverse { w.conj() } else { w }
                            })
                            .sum();
                        data[start + k * stride] = sum;
                    }
                }
            }
        }
        if inverse {
            let scale = 1.0 / self.len() as f64;
            data.iter_mut().for_each(|v| *v *= scale);
        }
    }

    fn forward(&self, field: &[f64]) -> Vec<C> {
        let mut data: Vec<C> = field.iter().map(|&v| C::new(v, 0.0)).collect();
        self.transform(&mut data, false);
        data
    }

    fn backward(&self, mut data: Vec<C>) -> Vec<f64> {
        self.transform(&mut data, true);
        data.iter().map(|v| v.re).collect()
    }

    /// `∂/∂z_axis` of the field with coefficients `hat`.
    fn derivative(&self, hat: &[C], axis: usize) -> Vec<f64> {
        let scaled = hat
            .iter()
            .enumerate()
            .map(|(i, v)| v * C::new(0.0, 2.0 * PI * self.wavenumbers(i)[axis]))
            .collect();
        self.backward(scaled)
    }

    /// `(I − Δₓ)⁻¹`'s symbol at mode `index`: `1 / (1 + 4π² |Pᵀk|²)`.
    fn preconditioner(&self, index: usize) -> f64 {
        let k = self.wavenumbers(index);
        let dim = self.pull[0].len();
        let norm: f64 = (0..dim)
            .map(|i| {
                let c: f64 = (0..self.axes).map(|j| self.pull[j][i] * k[j]).sum();
                c * c
            })
            .sum();
        1.0 / (1.0 + 4.0 * PI * PI * norm)
    }

    /// The energy's gradient `−div ∇L(∇u) + u − f` at `u` and the energy itself.
    pub fn gradient(&self, kappa: f64, u: &[f64], f: &[f64]) -> (Vec<f64>, f64) {
        let hat = self.forward(u);
        let dz: Vec<Vec<f64>> = (0..self.axes).map(|j| self.derivative(&hat, j)).collect();
        let dim = self.pull[0].len();
        let mut fluxes = vec![vec![0.0; self.len()]; self.axes];
        let mut energy = 0.0;
        for pt in 0..self.len() {
            for i in 0..dim {
                let p: f64 = (0..self.axes).map(|j| self.pull[j][i] * dz[j][pt]).sum();
                energy += density(kappa, p);
                let q = flux(kappa, p);
                (0..self.axes).for_each(|j| fluxes[j][pt] += self.pull[j][i] * q);
            }
            energy += 0.5 * u[pt] * u[pt] - f[pt] * u[pt];
        }
        let mut divergence = vec![0.0; self.len()];
        for (j, r) in fluxes.iter().enumerate() {
            let part = self.derivative(&self.forward(r), j);
            divergence.iter_mut().zip(part).for_each(|(d, v)| *d += v);
        }
        let gradient = (0..self.len())
            .map(|pt| -divergence[pt] + u[pt] - f[pt])
            .collect();
        (gradient, energy / self.len() as f64)
    }

    /// One step `u − η (I − Δ)⁻¹ g`.
    fn step(&self, u: &[f64], gradient: &[f64], rate: f64) -> Vec<f64> {
        let (mut hat, g) = (self.forward(u), self.forward(gradient));
        for (i, (h, gi)) in hat.iter_mut().zip(g).enumerate() {
            *h -= gi * (rate * self.preconditioner(i));
        }
        self.backward(hat)
    }
}

/// One run of the iteration.
#[derive(Clone, Debug, Serialize)]
pub struct Descent {
    /// Grid values per field.
    pub grid_values: usize,
    /// Relative L2 error against `u*` on the grid, before each step and after the last.
    pub errors: Vec<f64>,
    pub energies: Vec<f64>,
    /// `‖∇E(u_t)‖ / ‖∇E(u_0)‖`: goes to zero whatever the grid's own error.
    pub residuals: Vec<f64>,
    /// The geometric mean of the residual's contraction per step (see [`contraction`]).
    pub contraction: f64,
    pub seconds: f64,
}

/// `steps` steps of rate `rate` from `u = 0` on `torus`.
pub fn descend(problem: &Problem, torus: &Torus, steps: usize, rate: f64) -> Descent {
    let clock = std::time::Instant::now();
    let points: Vec<Vec<f64>> = (0..torus.len()).map(|i| torus.projection(i)).collect();
    let f: Vec<f64> = points.iter().map(|y| problem.source(y)).collect();
    let truth: Vec<f64> = points.iter().map(|y| problem.value(y)).collect();
    let norm = truth.iter().map(|v| v * v).sum::<f64>().sqrt();
    let mut u = vec![0.0; torus.len()];
    let (mut errors, mut energies, mut residuals) = (Vec::new(), Vec::new(), Vec::new());
    for step in 0..=steps {
        let (gradient, energy) = torus.gradient(problem.kappa, &u, &f);
        let error = u
            .iter()
            .zip(&truth)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>();
        errors.push(error.sqrt() / norm);
        energies.push(energy);
        residuals.push(gradient.iter().map(|g| g * g).sum::<f64>().sqrt());
        if step < steps {
            u = torus.step(&u, &gradient, rate);
        }
    }
    Descent {
        grid_values: torus.len(),
        contraction: contraction(&residuals),
        residuals: residuals.iter().map(|r| r / residuals[0]).collect(),
        errors,
        energies,
        seconds: clock.elapsed().as_secs_f64(),
    }
}

/// The mean per-step contraction of `residuals` while above 1e-10 of the first (below it
/// rounding, not the iteration, is what is left).
fn contraction(residuals: &[f64]) -> f64 {
    let floor = 1e-10 * residuals[0];
    let above = residuals.iter().take_while(|&&r| r > floor).count().max(2);
    let last = above.min(residuals.len()) - 1;
    (residuals[last] / residuals[0]).powf(1.0 / last as f64)
}
