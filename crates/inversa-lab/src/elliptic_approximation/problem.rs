//! The manufactured problem: `u*(x) = Σₖ aₖ sin(2π wₖ·x + φₖ)` on the torus `[0, 1)^d`, a sum of
//! `m` ridge functions with integer directions `wₖ` (two coordinates of ±1 each, so every term has
//! the same frequency `|wₖ| = √2` in every dimension and only the ambient `d` changes), and the
//! source `f = −div ∇L(∇u*) + u*` computed from its analytic derivatives. `L` acts per coordinate,
//! `L(p) = Σᵢ ½pᵢ² + κ √(1 + pᵢ²)`, so `∇²L` lies between `1` and `1 + κ`: strongly convex and
//! smooth, the paper's setting. With `pᵢ = ∂ᵢu*`:
//!
//! ```text
//! f = −Σᵢ (1 + κ (1 + pᵢ²)^(−3/2)) ∂ᵢᵢu* + u*.
//! ```
//!
//! Everything depends on `x` only through the `m` projections `y = W x`, which is what lets the
//! function-space iteration run on an `m`-dimensional torus for any `d` ([`super::function_space`]).

use rand::seq::index::sample;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::f64::consts::PI;

/// `∂L/∂pᵢ`, the flux of one coordinate.
pub fn flux(kappa: f64, p: f64) -> f64 {
    p + kappa * p / (1.0 + p * p).sqrt()
}

/// `L`'s term of one coordinate.
pub fn density(kappa: f64, p: f64) -> f64 {
    0.5 * p * p + kappa * (1.0 + p * p).sqrt()
}

/// `∂²L/∂pᵢ²`.
pub fn stiffness(kappa: f64, p: f64) -> f64 {
    1.0 + kappa * (1.0 + p * p).powf(-1.5)
}

/// The manufactured solution and its PDE.
#[derive(Clone, Debug)]
pub struct Problem {
    /// `W`, `m` rows of length `d`.
    pub ridges: Vec<Vec<f64>>,
    pub amplitudes: Vec<f64>,
    pub phases: Vec<f64>,
    pub kappa: f64,
}

impl Problem {
    /// `terms` ridge functions in dimension `dim` (`terms ≤ dim`), drawn with `seed`; the
    /// directions are redrawn until linearly independent, so that `x ↦ W x` pulls functions on
    /// the `m`-torus back isometrically.
    pub fn manufactured(dim: usize, terms: usize, kappa: f64, seed: u64) -> Self {
        assert!(
            terms >= 1 && terms <= dim,
            "{terms} terms in dimension {dim}"
        );
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x0e11_1971);
        let ridges = loop {
            let rows: Vec<Vec<f64>> = (0..terms).map(|_| ridge(&mut rng, dim)).collect();
            if independent(&rows) {
                break rows;
            }
        };
        // Equal shares of a unit total amplitude keep |∇u*| of order 2π√2, where κ√(1+p²) is
        // already far from quadratic.
        let amplitudes = (0..terms)
            .map(|_| rng.gen_range(0.5..1.0) / terms as f64)
            .collect();
        let phases = (0..terms).map(|_| rng.gen_range(0.0..2.0 * PI)).collect();
        Self {
            ridges,
            amplitudes,
            phases,
            kappa,
        }
    }

    pub fn dim(&self) -> usize {
        self.ridges[0].len()
    }

    pub fn terms(&self) -> usize {
        self.ridges.len()
    }

    /// `y = W x`.
    pub fn project(&self, x: &[f64]) -> Vec<f64> {
        self.ridges
            .iter()
            .map(|w| w.iter().zip(x).map(|(a, b)| a * b).sum())
            .collect()
    }

    fn angles<'a>(&'a self, y: &'a [f64]) -> impl Iterator<Item = (usize, f64)> + 'a {
        y.iter()
            .zip(&self.phases)
            .map(|(yk, phase)| 2.0 * PI * yk + phase)
            .enumerate()
    }

    /// `u*` at projection `y`.
    pub fn value(&self, y: &[f64]) -> f64 {
        self.angles(y)
            .map(|(k, t)| self.amplitudes[k] * t.sin())
            .sum()
    }

    /// `∇u*` at projection `y` (length `d`).
    pub fn gradient(&self, y: &[f64]) -> Vec<f64> {
        let mut g = vec![0.0; self.dim()];
        for (k, t) in self.angles(y) {
            let c = 2.0 * PI * self.amplitudes[k] * t.cos();
            for (gi, w) in g.iter_mut().zip(&self.ridges[k]) {
                *gi += c * w;
            }
        }
        g
    }

    /// `∂ᵢᵢu*` at projection `y` (length `d`).
    fn second_derivatives(&self, y: &[f64]) -> Vec<f64> {
        let mut h = vec![0.0; self.dim()];
        for (k, t) in self.angles(y) {
            let s = -4.0 * PI * PI * self.amplitudes[k] * t.sin();
            for (hi, w) in h.iter_mut().zip(&self.ridges[k]) {
                *hi += s * w * w;
            }
        }
        h
    }

    /// `f` at projection `y`.
    pub fn source(&self, y: &[f64]) -> f64 {
        let p = self.gradient(y);
        let h = self.second_derivatives(y);
        let divergence: f64 = p
            .iter()
            .zip(&h)
            .map(|(&pi, hi)| stiffness(self.kappa, pi) * hi)
            .sum();
        self.value(y) - divergence
    }
}

/// A direction with ±1 on two distinct coordinates (one in dimension 1).
fn ridge(rng: &mut ChaCha8Rng, dim: usize) -> Vec<f64> {
    let mut w = vec![0.0; dim];
    for i in sample(rng, dim, dim.min(2)) {
        w[i] = if rng.gen_bool(0.5) { 1.0 } else { -1.0 };
    }
    w
}

/// Whether `rows` are linearly independent (Gram–Schmidt; integer rows, so a clear threshold).
fn independent(rows: &[Vec<f64>]) -> bool {
    let mut basis: Vec<Vec<f64>> = Vec::new();
    for row in rows {
        let mut v = row.clone();
        for b in &basis {
            let dot: f64 = v.iter().zip(b).map(|(x, y)| x * y).sum();
            v.iter_mut().zip(b).for_each(|(x, y)| *x -= dot * y);
        }
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm < 1e-6 {
            return false;
        }
        basis.push(v.iter().map(|x| x / norm).collect());
    }
    true
}
