//! The Kuramoto–Sivashinsky equation on a periodic interval `[0, L)`,
//!
//! ```text
//! u_t = −u u_x − u_xx − u_xxxx,      in Fourier:  û_t = λ_k û − (i k / 2) (u²)^,   λ_k = k² − k⁴,
//! ```
//!
//! integrated by ETDRK4 (S. M. Cox, P. C. Matthews, "Exponential time differencing for stiff
//! systems", J. Comput. Phys. 2002): the linear part exactly through `e^{hλ}`, the nonlinear part
//! by a fourth-order Runge–Kutta quadrature of the variation-of-constants formula. Its
//! coefficients `(e^z − 1)/z`, `(−4 − z + e^z(4 − 3z + z²))/z³`, … cancel catastrophically for
//! small `z`; they are evaluated as means over a circle of radius 1 around `z` in the complex plane
//! (A.-K. Kassam, L. N. Trefethen, "Fourth-order time-stepping for stiff PDEs", SIAM J. Sci.
//! Comput. 2005, eq. 2.5 and their code's `M = 32` points). The nonlinear term is evaluated on the
//! grid (products) with the Nyquist mode's derivative set to zero. The mean `û_0` is conserved.
//!
//! [`Spectral::multiplier_matrix`] turns any function of the symbol into the real circulant
//! matrix that applies it on the grid (and [`Spectral::derivative_matrix`] the same after `∂/∂x`),
//! the exact linear propagators a learned semilinear operator uses.

use num_complex::Complex64;
use rustfft::{Fft, FftPlanner};
use std::f64::consts::PI;
use std::sync::Arc;

/// The grid and the Fourier symbols of one domain.
pub struct Spectral {
    pub n: usize,
    pub length: f64,
    /// Wavenumbers `k` in FFT order (the Nyquist one is `0` in derivatives).
    pub k: Vec<f64>,
    forward: Arc<dyn Fft<f64>>,
    inverse: Arc<dyn Fft<f64>>,
}

impl Spectral {
    /// `n` points (even) on `[0, length)`.
    pub fn new(n: usize, length: f64) -> Self {
        let k = (0..n)
            .map(|j| {
                let j = if j < n / 2 {
                    j as f64
                } else if j == n / 2 {
                    0.0
                } else {
                    j as f64 - n as f64
                };
                2.0 * PI * j / length
            })
            .collect();
        let mut planner = FftPlanner::new();
        Self {
            n,
            length,
            k,
            forward: planner.plan_fft_forward(n),
            inverse: planner.plan_fft_inverse(n),
        }
    }

    /// The KS linear symbol `λ_k = k² − k⁴` (the Nyquist mode gets its true `|k| = π n / L`).
    pub fn ks_symbol(&self) -> Vec<f64> {
        (0..self.n)
            .map(|j| {
                let k = if j == self.n / 2 {
                    PI * self.n as f64 / self.length
                } else {
                    self.k[j]
                };
                k * k - k.powi(4)
            })
            .collect()
    }

    pub fn to_fourier(&self, u: &[f64]) -> Vec<Complex64> {
        let mut v: Vec<Complex64> = u.iter().map(|&x| Complex64::new(x, 0.0)).collect();
        self.forward.process(&mut v);
        v
    }

    pub fn to_grid(&self, v: &[Complex64]) -> Vec<f64> {
        let mut w = v.to_vec();
        self.inverse.process(&mut w);
        let scale = 1.0 / self.n as f64;
        w.iter().map(|c| c.re * scale).collect()
    }

    /// The real circulant `n × n` matrix (row-major) of the Fourier multiplier `m(λ_k)`; `m` of an
    /// even symbol gives a symmetric matrix.
    pub fn multiplier_matrix(&self, symbol: &[f64], m: impl Fn(f64) -> f64) -> Vec<f64> {
        let gains: Vec<Complex64> = symbol.iter().map(|&s| Complex64::new(m(s), 0.0)).collect();
        self.circulant(&gains)
    }

    /// The same matrix composed with `∂/∂x` (the multiplier `i k m(λ_k)`, zero at Nyquist), real
    /// and antisymmetric.
    pub fn derivative_matrix(&self, symbol: &[f64], m: impl Fn(f64) -> f64) -> Vec<f64> {
        let gains: Vec<Complex64> = symbol
            .iter()
            .zip(&self.k)
            .map(|(&s, &k)| Complex64::new(0.0, k * m(s)))
            .collect();
        self.circulant(&gains)
    }

    /// The matrix `M` with `(M u)^_k = gains_k û_k`, row-major; real when `gains` is
    /// Hermitian-symmetric.
    fn circulant(&self, gains: &[Complex64]) -> Vec<f64> {
        let mut matrix = vec![0.0; self.n * self.n];
        for column in 0..self.n {
            let mut unit = vec![0.0; self.n];
            unit[column] = 1.0;
            let mut v = self.to_fourier(&unit);
            v.iter_mut().zip(gains).for_each(|(c, g)| *c *= g);
            for (row, value) in self.to_grid(&v).into_iter().enumerate() {
                matrix[row * self.n + column] = value;
            }
        }
        matrix
    }
}

/// `(e^z − 1)/z`, the step-weighted `φ₁`, stable at `z → 0` (value 1).
pub fn phi1(z: f64) -> f64 {
    if z.abs() < 1e-5 {
        1.0 + z / 2.0 + z * z / 6.0
    } else {
        z.exp_m1() / z
    }
}

/// One ETDRK4 integrator of KS at step `h` (optionally with a forcing held fixed over the step).
pub struct Etdrk4 {
    pub spectral: Spectral,
    pub h: f64,
    e: Vec<f64>,
    e2: Vec<f64>,
    q: Vec<f64>,
    f1: Vec<f64>,
    f2: Vec<f64>,
    f3: Vec<f64>,
}

impl Etdrk4 {
    pub fn new(n: usize, length: f64, h: f64) -> Self {
        let spectral = Spectral::new(n, length);
        let symbol = spectral.ks_symbol();
        // Kassam & Trefethen: each coefficient is a mean over M points of a circle around hλ.
        let contour = |lambda: f64, f: &dyn Fn(Complex64) -> Complex64| -> f64 {
            let m = 32;
            let sum: Complex64 = (1..=m)
                .map(|j| {
                    let angle = PI * (j as f64 - 0.5) / m as f64;
                    f(Complex64::new(h * lambda, 0.0) + Complex64::from_polar(1.0, angle))
                })
                .sum();
            h * (sum / m as f64).re
        };
        let map = |f: &dyn Fn(Complex64) -> Complex64| -> Vec<f64> {
            symbol.iter().map(|&l| contour(l, f)).collect()
        };
        let q = map(&|z| ((z / 2.0).exp() - 1.0) / z);
        let f1 = map(&|z| (-4.0 - z + z.exp() * (4.0 - 3.0 * z + z * z)) / z.powi(3));
        let f2 = map(&|z| (2.0 + z + z.exp() * (z - 2.0)) / z.powi(3));
        let f3 = map(&|z| (-4.0 - 3.0 * z - z * z + z.exp() * (4.0 - z)) / z.powi(3));
        Self {
            e: symbol.iter().map(|l| (h * l).exp()).collect(),
            e2: symbol.iter().map(|l| (h * l / 2.0).exp()).collect(),
            spectral,
            h,
            q,
            f1,
            f2,
            f3,
        }
    }

    /// `−(i k / 2) (u²)^ + forcing` at the Fourier coefficients `v`.
    fn nonlinear(&self, v: &[Complex64], forcing: Option<&[Complex64]>) -> Vec<Complex64> {
        let u = self.spectral.to_grid(v);
        let squares: Vec<f64> = u.iter().map(|x| x * x).collect();
        let mut w = self.spectral.to_fourier(&squares);
        for (j, c) in w.iter_mut().enumerate() {
            *c *= Complex64::new(0.0, -0.5 * self.spectral.k[j]);
            if let Some(f) = forcing {
                *c += f[j];
            }
        }
        w
    }

    /// One step of the Fourier coefficients `v` in place.
    pub fn step(&self, v: &mut [Complex64], forcing: Option<&[Complex64]>) {
        let nv = self.nonlinear(v, forcing);
        let stage = |base: &[Complex64], n: &[Complex64]| -> Vec<Complex64> {
            (0..v.len())
                .map(|j| base[j] * self.e2[j] + n[j] * self.q[j])
                .collect()
        };
        let a = stage(v, &nv);
        let na = self.nonlinear(&a, forcing);
        let b = stage(v, &na);
        let nb = self.nonlinear(&b, forcing);
        let twice: Vec<Complex64> = nb.iter().zip(&nv).map(|(x, y)| 2.0 * x - y).collect();
        let c = stage(&a, &twice);
        let nc = self.nonlinear(&c, forcing);
        for j in 0..v.len() {
            v[j] = v[j] * self.e[j]
                + nv[j] * self.f1[j]
                + (na[j] + nb[j]) * (2.0 * self.f2[j])
                + nc[j] * self.f3[j];
        }
    }

    /// `u` on the grid advanced by `steps` steps.
    pub fn advance(&self, u: &[f64], steps: usize, forcing: Option<&[f64]>) -> Vec<f64> {
        let mut v = self.spectral.to_fourier(u);
        let forcing = forcing.map(|f| self.spectral.to_fourier(f));
        for _ in 0..steps {
            self.step(&mut v, forcing.as_deref());
        }
        self.spectral.to_grid(&v)
    }
}
