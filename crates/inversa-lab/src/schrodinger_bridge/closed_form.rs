//! The Gaussian case in closed form. For marginals `N(μ₀, Σ₀)`, `N(μ₁, Σ₁)` and the Brownian
//! reference `q(y | x) = N(y; x, s I)`, the bridge minimises `E_π‖x − y‖²/(2s) − H(π)`; over
//! couplings with those marginals and cross-covariance `C` the entropy is largest for the Gaussian
//! one, `½ log det(Σ₁ − Cᵀ Σ₀⁻¹ C) + const`, so the optimum solves `C = Σ₀ (Σ₁ − Cᵀ Σ₀⁻¹ C) / s`:
//!
//! ```text
//! C = ½ Σ₀^{1/2} D Σ₀^{-1/2} − (s/2) I,    D = (4 Σ₀^{1/2} Σ₁ Σ₀^{1/2} + s² I)^{1/2}
//! ```
//!
//! (substituting gives `Σ₁ − Cᵀ Σ₀⁻¹ C = ½ Σ₀^{-1/2} (D − sI) Σ₀^{-1/2}`; the form of Janati et al.,
//! "Entropic optimal transport between unbalanced Gaussian measures has a closed form", NeurIPS
//! 2020, and Mallasto et al., "Entropy-regularized 2-Wasserstein distance between Gaussian
//! measures", 2021, in this parameterisation). A linear reference `q(y | x) = N(y; Mx + m, qI)`
//! reduces to it with `s = 1` by `x̃ = Mx/√q`, `ỹ = y/√q`: `C = q M⁻¹ C̃(M Σ₀ Mᵀ/q, Σ₁/q)`. For the
//! reference that generated the data, `Σ₁ = M Σ₀ Mᵀ + qI`, and the true coupling, `C = Σ₀ Mᵀ`,
//! solves it.

use super::sinkhorn::Coupling;
use super::Point;

/// A 2 × 2 matrix, row-major.
pub type Mat2 = [f64; 4];

pub fn mul(a: Mat2, b: Mat2) -> Mat2 {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
    ]
}

pub fn transpose(a: Mat2) -> Mat2 {
    [a[0], a[2], a[1], a[3]]
}

pub fn inverse(a: Mat2) -> Mat2 {
    let det = a[0] * a[3] - a[1] * a[2];
    [a[3] / det, -a[1] / det, -a[2] / det, a[0] / det]
}

/// `a + t I`.
pub fn shift(a: Mat2, t: f64) -> Mat2 {
    [a[0] + t, a[1], a[2], a[3] + t]
}

pub fn scaled(a: Mat2, t: f64) -> Mat2 {
    a.map(|x| x * t)
}

/// The square root of a symmetric positive definite `a`: `(a + √det a I) / √(tr a + 2√det a)`
/// (Cayley–Hamilton).
pub fn sqrt_spd(a: Mat2) -> Mat2 {
    let root_det = (a[0] * a[3] - a[1] * a[2]).sqrt();
    scaled(
        shift(a, root_det),
        1.0 / (a[0] + a[3] + 2.0 * root_det).sqrt(),
    )
}

/// `‖a − b‖_F / ‖b‖_F`.
pub fn relative_error(a: Mat2, b: Mat2) -> f64 {
    let diff: f64 = a.iter().zip(&b).map(|(x, y)| (x - y).powi(2)).sum();
    let norm: f64 = b.iter().map(|y| y * y).sum();
    (diff / norm).sqrt()
}

/// The bridge's cross-covariance for the Brownian reference of variance `s`.
pub fn brownian_cross_covariance(sigma0: Mat2, sigma1: Mat2, s: f64) -> Mat2 {
    let r = sqrt_spd(sigma0);
    let d = sqrt_spd(shift(scaled(mul(mul(r, sigma1), r), 4.0), s * s));
    shift(scaled(mul(mul(r, d), inverse(r)), 0.5), -0.5 * s)
}

/// The bridge's cross-covariance for the reference `N(y; Mx + m, qI)`.
pub fn linear_cross_covariance(sigma0: Mat2, sigma1: Mat2, m: Mat2, q: f64) -> Mat2 {
    let x_cov = scaled(mul(mul(m, sigma0), transpose(m)), 1.0 / q);
    let unit = brownian_cross_covariance(x_cov, scaled(sigma1, 1.0 / q), 1.0);
    scaled(mul(inverse(m), unit), q)
}

/// Means and covariances of the chain `x_{k+1} = M x_k + ξ`, `ξ ~ N(0, qI)`, for `count` steps.
pub fn marginals(mean: Point, cov: Mat2, m: Mat2, q: f64, count: usize) -> Vec<(Point, Mat2)> {
    let mut out = vec![(mean, cov)];
    while out.len() < count {
        let Some(&(mu, sigma)) = out.last() else {
            break;
        };
        let next_mu = [m[0] * mu[0] + m[1] * mu[1], m[2] * mu[0] + m[3] * mu[1]];
        out.push((next_mu, shift(mul(mul(m, sigma), transpose(m)), q)));
    }
    out
}

/// `Σ_ij π_ij (x_i − x̄)(y_j − ȳ)ᵀ`, the means taken under the coupling's marginals.
pub fn coupling_cross_covariance(coupling: &Coupling, xs: &[Point], ys: &[Point]) -> Mat2 {
    let mut x_bar = [0.0; 2];
    let mut y_bar = [0.0; 2];
    let mut second = [0.0; 4];
    for (i, x) in xs.iter().enumerate() {
        for (w, y) in coupling.row(i).iter().zip(ys) {
            for d in 0..2 {
                x_bar[d] += w * x[d];
                y_bar[d] += w * y[d];
            }
            second[0] += w * x[0] * y[0];
            second[1] += w * x[0] * y[1];
            second[2] += w * x[1] * y[0];
            second[3] += w * x[1] * y[1];
        }
    }
    [
        second[0] - x_bar[0] * y_bar[0],
        second[1] - x_bar[0] * y_bar[1],
        second[2] - x_bar[1] * y_bar[0],
        second[3] - x_bar[1] * y_bar[1],
    ]
}
