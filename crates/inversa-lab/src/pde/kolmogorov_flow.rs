//! 2-D incompressible Navier–Stokes in vorticity form on the periodic square `[0, 2π)²`, driven by
//! the Kolmogorov force `χ sin(k_f y) x̂` and damped by a linear drag `α` (which keeps the inverse
//! energy cascade of 2-D turbulence from piling up in the box-size mode):
//!
//! ```text
//! ω_t + u·∇ω = ν Δω − α ω − χ k_f cos(k_f y),     u = (∂_y ψ, −∂_x ψ),   −Δψ = ω.
//! ```
//!
//! Pseudo-spectral: products on the grid, derivatives in Fourier space, the nonlinear term
//! de-aliased by the 2/3 rule (modes with `|k_x|` or `|k_y|` above `n/3` zeroed). Time stepping is
//! the integrating-factor Runge–Kutta 4 of Lawson ("Generalized Runge–Kutta processes for stable
//! systems with large Lipschitz constants", SIAM J. Numer. Anal. 1967): the linear part
//! `L = −ν|k|² − α` is integrated exactly through `e^{hL}`, the advection and the force by the
//! classical RK4 weights. So a single Fourier mode (whose advection vanishes: `u ⟂ k ∥ ∇ω`)
//! decays exactly as `e^{−(ν|k|²+α)t}`, and the laminar profile
//! `ω_L = −χ k_f cos(k_f y) / (ν k_f² + α)` (a shear flow, no advection) is steady up to the RK4
//! quadrature of the force, `O(h⁴)`.

use num_complex::Complex64;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

/// The flow's parameters.
#[derive(Clone, Copy, Debug)]
pub struct Flow {
    /// Grid points per side (even).
    pub n: usize,
    pub viscosity: f64,
    pub drag: f64,
    /// The force's amplitude `χ` and wavenumber `k_f`.
    pub forcing: f64,
    pub forcing_wavenumber: usize,
}

/// A solver on one grid: the FFT plans, the symbols and the step's propagators.
pub struct Solver {
    pub flow: Flow,
    /// Integer wavenumbers in FFT order.
    k: Vec<f64>,
    forward: Arc<dyn Fft<f64>>,
    inverse: Arc<dyn Fft<f64>>,
    /// `e^{hL/2}` and `e^{hL}` per mode, row-major `[ky][kx]`.
    half: Vec<f64>,
    full: Vec<f64>,
    /// Whether a mode survives the 2/3 rule.
    kept: Vec<bool>,
    /// The force's vorticity in Fourier space.
    force: Vec<Complex64>,
    pub h: f64,
}

/// Transposes the row-major `n × n` matrix `data` in place.
fn transpose(data: &mut [Complex64], n: usize) {
    for row in 0..n {
        for col in row + 1..n {
            data.swap(row * n + col, col * n + row);
        }
    }
}

/// Integer wavenumbers of an `n`-point periodic grid in FFT order.
pub fn wavenumbers(n: usize) -> Vec<f64> {
    (0..n)
        .map(|j| {
            if j <= n / 2 {
                j as f64
            } else {
                j as f64 - n as f64
            }
        })
        .collect()
}

impl Solver {
    /// A solver of `flow` with step `h`.
    pub fn new(flow: Flow, h: f64) -> Self {
        let n = flow.n;
        let k = wavenumbers(n);
        let mut planner = FftPlanner::new();
        let (forward, inverse) = (planner.plan_fft_forward(n), planner.plan_fft_inverse(n));
        let mut half = vec![0.0; n * n];
        let mut full = vec![0.0; n * n];
        let mut kept = vec![false; n * n];
        for row in 0..n {
            for col in 0..n {
                let (kx, ky) = (k[col], k[row]);
                let l = -flow.viscosity * (kx * kx + ky * ky) - flow.drag;
                half[row * n + col] = (0.5 * h * l).exp();
                full[row * n + col] = (h * l).exp();
                let cut = n as f64 / 3.0;
                kept[row * n + col] = kx.abs() < cut && ky.abs() < cut;
            }
        }
        let mut solver = Self {
            flow,
            k,
            forward,
            inverse,
            half,
            full,
            kept,
            force: Vec::new(),
            h,
        };
        let kf = flow.forcing_wavenumber as f64;
        let force: Vec<f64> = (0..n * n)
            .map(|i| -flow.forcing * kf * (kf * solver.y(i / n)).cos())
            .collect();
        solver.force = solver.to_fourier(&force);
        solver
    }

    /// The coordinate of grid row (or column) `j`.
    pub fn y(&self, j: usize) -> f64 {
        2.0 * std::f64::consts::PI * j as f64 / self.flow.n as f64
    }

    /// The laminar vorticity `ω_L(y)` on the grid, row-major.
    pub fn laminar(&self) -> Vec<f64> {
        let f = &self.flow;
        let kf = f.forcing_wavenumber as f64;
        let amplitude = f.forcing * kf / (f.viscosity * kf * kf + f.drag);
        (0..f.n * f.n)
            .map(|i| -amplitude * (kf * self.y(i / f.n)).cos())
            .collect()
    }

    /// 2-D transform in place: every row in one call, then every column (rows of the transpose).
    fn transform(&self, data: &mut [Complex64], fft: &Arc<dyn Fft<f64>>) {
        let n = self.flow.n;
        fft.process(data);
        transpose(data, n);
        fft.process(data);
        transpose(data, n);
    }

    pub fn to_fourier(&self, field: &[f64]) -> Vec<Complex64> {
        let mut data: Vec<Complex64> = field.iter().map(|&v| Complex64::new(v, 0.0)).collect();
        self.transform(&mut data, &self.forward);
        data
    }

    pub fn to_grid(&self, spectrum: &[Complex64]) -> Vec<f64> {
        let mut data = spectrum.to_vec();
        self.transform(&mut data, &self.inverse);
        let scale = 1.0 / (self.flow.n * self.flow.n) as f64;
        data.iter().map(|c| c.re * scale).collect()
    }

    /// `−(u·∇ω)^` (de-aliased) plus the force, for the vorticity spectrum `w`.
    pub fn tendency(&self, w: &[Complex64]) -> Vec<Complex64> {
        let n = self.flow.n;
        let i = Complex64::new(0.0, 1.0);
        let mut fields: [Vec<Complex64>; 4] =
            std::array::from_fn(|_| vec![Complex64::default(); n * n]);
        for (m, &wm) in w.iter().enumerate() {
            if !self.kept[m] {
                continue;
            }
            let (kx, ky) = (self.k[m % n], self.k[m / n]);
            let k2 = kx * kx + ky * ky;
            let psi = if k2 > 0.0 {
                wm / k2
            } else {
                Complex64::default()
            };
            fields[0][m] = i * ky * psi; // u = ∂_y ψ
            fields[1][m] = -i * kx * psi; // v = −∂_x ψ
            fields[2][m] = i * kx * wm; // ω_x
            fields[3][m] = i * ky * wm; // ω_y
        }
        let [u, v, wx, wy] = fields.map(|f| self.to_grid(&f));
        let advection: Vec<f64> = (0..n * n).map(|m| u[m] * wx[m] + v[m] * wy[m]).collect();
        let mut out = self.to_fourier(&advection);
        for (m, value) in out.iter_mut().enumerate() {
            *value = if self.kept[m] {
                -*value
            } else {
                Complex64::default()
            } + self.force[m];
        }
        out
    }

    /// One Lawson RK4 step of the spectrum `w`: with `E = e^{hL/2}`,
    /// `k₁ = N(w)`, `k₂ = N(E(w + h/2 k₁))`, `k₃ = N(Ew + h/2 k₂)`, `k₄ = N(E²w + hEk₃)`,
    /// `w ← E²w + h/6 (E²k₁ + 2E(k₂ + k₃) + k₄)`.
    pub fn step(&self, w: &mut [Complex64]) {
        let (h, e, e2) = (self.h, &self.half, &self.full);
        let k1 = self.tendency(w);
        let a: Vec<Complex64> = (0..w.len())
            .map(|m| e[m] * (w[m] + 0.5 * h * k1[m]))
            .collect();
        let k2 = self.tendency(&a);
        let b: Vec<Complex64> = (0..w.len())
            .map(|m| e[m] * w[m] + 0.5 * h * k2[m])
            .collect();
        let k3 = self.tendency(&b);
        let c: Vec<Complex64> = (0..w.len())
            .map(|m| e2[m] * w[m] + h * e[m] * k3[m])
            .collect();
        let k4 = self.tendency(&c);
        for m in 0..w.len() {
            w[m] = e2[m] * w[m] + h / 6.0 * (e2[m] * k1[m] + 2.0 * e[m] * (k2[m] + k3[m]) + k4[m]);
        }
    }

    /// `steps` steps from the grid vorticity `omega`; the grid vorticity after.
    pub fn advance(&self, omega: &[f64], steps: usize) -> Vec<f64> {
        let mut w = self.to_fourier(omega);
        for _ in 0..steps {
            self.step(&mut w);
        }
        self.to_grid(&w)
    }
}

/// The sharp spectral cut-off of the `n²` grid field `field` to the modes `|k_x|, |k_y| < m/2`,
/// sampled on the coarse `m²` grid (`m` even, `m ≤ n`): the filter and the coarsening in one,
/// exact for every mode kept. `solver` must be on the fine grid; `coarse` on the `m` grid.
pub fn filter_to(solver: &Solver, coarse: &Solver, field: &[f64]) -> Vec<f64> {
    let (n, m) = (solver.flow.n, coarse.flow.n);
    let spectrum = solver.to_fourier(field);
    let coarse_k = wavenumbers(m);
    let index = |k: f64, size: usize| -> usize {
        if k >= 0.0 {
            k as usize
        } else {
            (size as f64 + k) as usize
        }
    };
    let mut out = vec![Complex64::default(); m * m];
    let scale = (m * m) as f64 / (n * n) as f64;
    let limit = m as f64 / 2.0;
    for row in 0..m {
        for col in 0..m {
            let (kx, ky) = (coarse_k[col], coarse_k[row]);
            // The coarse Nyquist modes are dropped: their sign is ambiguous.
            if kx.abs() >= limit || ky.abs() >= limit {
                continue;
            }
            out[row * m + col] = spectrum[index(ky, n) * n + index(kx, n)] * scale;
        }
    }
    coarse.to_grid(&out)
}

/// The energy spectrum `E(k) = Σ_{k−½ ≤ |k| < k+½} ½|û|² = ½|ω̂|²/|k|²` (normalised by the number
/// of points squared, so `Σ_k E(k)` is the mean kinetic energy) of the `n²` grid vorticity, for
/// `k = 1 … n/2 − 1`.
pub fn energy_spectrum(solver: &Solver, omega: &[f64]) -> Vec<f64> {
    let n = solver.flow.n;
    let spectrum = solver.to_fourier(omega);
    let mut shells = vec![0.0; n / 2];
    let norm = 1.0 / ((n * n) as f64 * (n * n) as f64);
    for (m, value) in spectrum.iter().enumerate() {
        let (kx, ky) = (solver.k[m % n], solver.k[m / n]);
        let k2 = kx * kx + ky * ky;
        let shell = k2.sqrt().round() as usize;
        if k2 > 0.0 && shell < n / 2 {
            shells[shell] += 0.5 * value.norm_sqr() / k2 * norm;
        }
    }
    shells[1..].to_vec()
}
