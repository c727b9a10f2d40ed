//! Complex spherical harmonics (Condon–Shortley phase, orthonormal on the unit sphere), the 2-D
//! Fourier series of their θ-parts, and a product quadrature rule on the sphere.
//!
//! `Y_l^m(θ, φ) = Θ_l^m(θ) e^{imφ}` with `Θ_l^{−m} = (−1)^m Θ_l^m`. For `m ≥ 0`, `Θ_l^m` is
//! `sin^m θ` times a polynomial of degree `l − m` in `cos θ`, so with the *signed* `sin θ` it is a
//! trigonometric polynomial of degree `l` on the whole circle: `Θ_l^m(θ) = Σ_{|u| ≤ l} c^{lm}_u
//! e^{iuθ}`, and `N ≥ 2l + 1` equispaced samples give its coefficients exactly (a DFT).

use num_complex::Complex64 as C64;
use std::f64::consts::PI;

/// Position of `Y_l^m` in a feature vector: degree after degree, `m = −l … l` within each.
pub fn index(l: usize, m: i64) -> usize {
    (l * l + l).wrapping_add_signed(m as isize)
}

/// Coefficients of a feature vector of degrees `0 ..= max_degree`.
pub fn features(max_degree: usize) -> usize {
    (max_degree + 1) * (max_degree + 1)
}

/// `Θ_l^m` for `0 ≤ m ≤ l ≤ max_degree` at `cos θ = x`, `sin θ = s` (signed, so that the result
/// is the trigonometric polynomial beyond `[0, π]`), at `l(l + 1)/2 + m`. The recurrences of the
/// orthonormal functions (no factorials, so no overflow at high degree):
/// `Θ_m^m = −√((2m+1)/(2m)) s Θ_{m−1}^{m−1}`, `Θ_{m+1}^m = √(2m+3) x Θ_m^m`,
/// `Θ_l^m = a_{lm} (x Θ_{l−1}^m − b_{lm} Θ_{l−2}^m)` with `a_{lm} = √((4l²−1)/(l²−m²))`,
/// `b_{lm} = √(((l−1)²−m²)/(4(l−1)²−1))`.
pub fn theta_parts(max_degree: usize, x: f64, s: f64) -> Vec<f64> {
    let at = |l: usize, m: usize| l * (l + 1) / 2 + m;
    let mut parts = vec![0.0; at(max_degree + 1, 0)];
    let mut diagonal = (4.0 * PI).sqrt().recip();
    for m in 0..=max_degree {
        if m > 0 {
            let mf = m as f64;
            diagonal *= -((2.0 * mf + 1.0) / (2.0 * mf)).sqrt() * s;
        }
        parts[at(m, m)] = diagonal;
        if m < max_degree {
            parts[at(m + 1, m)] = (2.0 * m as f64 + 3.0).sqrt() * x * diagonal;
        }
        for l in m + 2..=max_degree {
            let (lf, mf) = (l as f64, m as f64);
            let a = ((4.0 * lf * lf - 1.0) / (lf * lf - mf * mf)).sqrt();
            let b = (((lf - 1.0).powi(2) - mf * mf) / (4.0 * (lf - 1.0).powi(2) - 1.0)).sqrt();
            parts[at(l, m)] = a * (x * parts[at(l - 1, m)] - b * parts[at(l - 2, m)]);
        }
    }
    parts
}

/// `Θ_l^m` for a signed `m` from [`theta_parts`]' table.
fn signed_part(parts: &[f64], l: usize, m: i64) -> f64 {
    let value = parts[l * (l + 1) / 2 + m.unsigned_abs() as usize];
    if m < 0 && m % 2 != 0 {
        -value
    } else {
        value
    }
}

/// Every `Y_l^m(θ, φ)`, `l ≤ max_degree`, in [`index`] order.
pub fn harmonics(max_degree: usize, theta: f64, phi: f64) -> Vec<C64> {
    let parts = theta_parts(max_degree, theta.cos(), theta.sin());
    let mut values = Vec::with_capacity(features(max_degree));
    for l in 0..=max_degree {
        for m in -(l as i64)..=l as i64 {
            values.push(C64::from_polar(signed_part(&parts, l, m), m as f64 * phi));
        }
    }
    values
}

/// The Fourier coefficients `c^{lm}_u` of every `Θ_l^m`, `l ≤ max_degree`, `|u| ≤ max_degree`
/// (zero for `|u| > l`).
pub struct ThetaSeries {
    max_degree: usize,
    /// Row `index(l, m)`, column `u + max_degree`.
    coefficients: Vec<C64>,
}

impl ThetaSeries {
    /// The coefficients from `2 max_degree + 1` equispaced samples on `[0, 2π)`: enough for a
    /// trigonometric polynomial of degree `max_degree`, so the DFT is exact up to rounding.
    pub fn new(max_degree: usize) -> Self {
        let width = 2 * max_degree + 1;
        let angles: Vec<f64> = (0..width)
            .map(|j| 2.0 * PI * j as f64 / width as f64)
            .collect();
        let samples: Vec<Vec<f64>> = angles
            .iter()
            .map(|&t| theta_parts(max_degree, t.cos(), t.sin()))
            .collect();
        // e^{−iuθ_j} once, rather than a sine and a cosine per (l, m, u, j): setup is O(L⁴).
        let modes: Vec<C64> = (0..width)
            .flat_map(|k| {
                let u = k as f64 - max_degree as f64;
                angles.iter().map(move |&t| C64::from_polar(1.0, -u * t))
            })
            .collect();
        let mut coefficients = vec![C64::new(0.0, 0.0); features(max_degree) * width];
        for l in 0..=max_degree {
            for m in -(l as i64)..=l as i64 {
                let values: Vec<f64> = samples.iter().map(|p| signed_part(p, l, m)).collect();
                let row = &mut coefficients[index(l, m) * width..][..width];
                for u in -(l as i64)..=l as i64 {
                    let k = (u + max_degree as i64) as usize;
                    let mode = &modes[k * width..][..width];
                    let sum: C64 = values.iter().zip(mode).map(|(v, e)| e * v).sum();
                    row[k] = sum / width as f64;
                }
            }
        }
        Self {
            max_degree,
            coefficients,
        }
    }

    /// The highest degree it holds.
    pub fn max_degree(&self) -> usize {
        self.max_degree
    }

    /// `c^{lm}_u` for `|u| ≤ l ≤ max_degree`.
    pub fn coefficient(&self, l: usize, m: i64, u: i64) -> C64 {
        let width = 2 * self.max_degree + 1;
        self.coefficients[index(l, m) * width + (u + self.max_degree as i64) as usize]
    }
}

/// Gauss–Legendre nodes and weights on `[−1, 1]` (exact for polynomials of degree `2n − 1`):
/// Newton's method on `P_n` from the asymptotic guesses `cos(π(i + 3/4)/(n + 1/2))`.
pub fn gauss_legendre(n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut nodes = Vec::with_capacity(n);
    let mut weights = Vec::with_capacity(n);
    for i in 0..n {
        let mut x = (PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
        for _ in 0..100 {
            let (p, dp) = legendre_with_derivative(n, x);
            let step = p / dp;
            x -= step;
            if step.abs() < 1e-16 {
                break;
            }
        }
        let derivative = legendre_with_derivative(n, x).1;
        nodes.push(x);
        weights.push(2.0 / ((1.0 - x * x) * derivative * derivative));
    }
    (nodes, weights)
}

/// `P_n(x)` and `P_n'(x)` by Bonnet's recurrence.
fn legendre_with_derivative(n: usize, x: f64) -> (f64, f64) {
    let (mut previous, mut current) = (1.0, x);
    if n == 0 {
        return (1.0, 0.0);
    }
    for k in 2..=n {
        let kf = k as f64;
        let next = ((2.0 * kf - 1.0) * x * current - (kf - 1.0) * previous) / kf;
        previous = current;
        current = next;
    }
    let derivative = n as f64 * (x * current - previous) / (x * x - 1.0);
    (current, derivative)
}

/// A product rule on the unit sphere: Gauss–Legendre in `cos θ` times the trapezoid rule in `φ`.
pub struct SphereRule {
    /// `(θ, φ)` of each node.
    pub points: Vec<(f64, f64)>,
    pub weights: Vec<f64>,
}

impl SphereRule {
    /// A rule exact for every polynomial of degree `≤ degree` on the sphere (every product of
    /// spherical harmonics whose degrees sum to at most `degree`): `degree/2 + 1` Gauss nodes in
    /// `cos θ` and `degree + 1` angles in `φ`.
    pub fn exact_to(degree: usize) -> Self {
        let (nodes, gauss_weights) = gauss_legendre(degree / 2 + 1);
        let angles = degree + 1;
        let mut points = Vec::with_capacity(nodes.len() * angles);
        let mut weights = Vec::with_capacity(nodes.len() * angles);
        for (&x, &w) in nodes.iter().zip(&gauss_weights) {
            for j in 0..angles {
                points.push((x.acos(), 2.0 * PI * j as f64 / angles as f64));
                weights.push(w * 2.0 * PI / angles as f64);
            }
        }
        Self { points, weights }
    }
}

/// The reference product by quadrature: `z_{lm} = Σ_k w_k f(r_k) g(r_k) conj(Y_l^m(r_k))`, exact
/// up to rounding with a rule of degree `2(L₁ + L₂)` (the integrand's).
pub fn quadrature_product(x: &[C64], y: &[C64], first: usize, second: usize) -> Vec<C64> {
    let out = first + second;
    let rule = SphereRule::exact_to(2 * out);
    let mut z = vec![C64::new(0.0, 0.0); features(out)];
    for (&(theta, phi), &weight) in rule.points.iter().zip(&rule.weights) {
        let values = harmonics(out, theta, phi);
        let at = |coefficients: &[C64]| -> C64 {
            coefficients.iter().zip(&values).map(|(c, v)| c * v).sum()
        };
        let product = at(&x[..features(first)]) * at(&y[..features(second)]) * weight;
        for (zi, v) in z.iter_mut().zip(&values) {
            *zi += product * v.conj();
        }
    }
    z
}
