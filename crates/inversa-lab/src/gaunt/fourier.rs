//! The Gaunt tensor product through the 2-D Fourier basis (Luo, Chen & Krishnapriyan, ICLR 2024):
//! spherical harmonics → 2-D Fourier coefficients, a 2-D convolution by FFT, and back.
//!
//! * To Fourier: `F(u, v) = Σ_{l ≥ |v|} x_{l v} c^{l v}_u` — `O(L³)`.
//! * Product: `H = F_x ⊛ F_y`, a linear convolution of two `(2L+1)²` grids computed as a
//!   circular one on an `N × N` grid, `N ≥ 2(L₁ + L₂) + 1` so nothing wraps — `O(L² log L)`.
//! * Back: `z_{lm} = ∫ h conj(Y_l^m) dΩ`; the `φ`-integral keeps the column `v = m`, and the
//!   `θ`-integral of `e^{iuθ} conj(Θ_l^m) sin θ` over `[0, π]` is exact through
//!   `I(k) = ∫_0^π e^{ikθ} sin θ dθ = (1 + (−1)^k)/(1 − k²)` (`k ≠ ±1`), `I(±1) = ±iπ/2`, so
//!   `z_{lm} = Σ_u M^{lm}_u H(u, m)` with `M^{lm}_u = 2π Σ_w conj(c^{lm}_w) I(u − w)`
//!   precomputed — `O(L³)` per product.

use super::harmonics::{features, index, ThetaSeries};
use inversa::operators::fft2::Fft2;
use num_complex::Complex64 as C64;
use std::f64::consts::PI;

/// The precomputed conversions and FFT plans for products of degrees `≤ L₁` and `≤ L₂`.
pub struct FourierProduct {
    degrees: [usize; 2],
    /// `L₁ + L₂`, the output's highest degree.
    out_degree: usize,
    /// FFT grid side.
    size: usize,
    series: ThetaSeries,
    /// `M^{lm}_u`: row `index(l, m)`, column `u + out_degree`.
    to_harmonics: Vec<C64>,
    fft: Fft2<f64>,
}

impl FourierProduct {
    /// Precomputes everything that depends only on the degrees (the paper does the same).
    pub fn new(first: usize, second: usize) -> Self {
        let out_degree = first + second;
        let series = ThetaSeries::new(out_degree);
        let size = smooth_size(2 * out_degree + 1);
        Self {
            degrees: [first, second],
            out_degree,
            size,
            to_harmonics: back_conversion(&series),
            series,
            fft: Fft2::new(size, size),
        }
    }

    /// The FFT grid side `N`.
    pub fn grid_size(&self) -> usize {
        self.size
    }

    /// The Gaunt tensor product `z` (degrees `≤ L₁ + L₂`) of `x` (`(L₁+1)²` coefficients) and `y`
    /// (`(L₂+1)²`): the spherical-harmonic coefficients of the product of the two functions.
    pub fn product(&self, x: &[C64], y: &[C64]) -> Vec<C64> {
        let mut grid_x = self.to_fourier(x, self.degrees[0]);
        let mut grid_y = self.to_fourier(y, self.degrees[1]);
        self.fft.forward(&mut grid_x);
        self.fft.forward(&mut grid_y);
        let scale = 1.0 / (self.size * self.size) as f64;
        for (a, b) in grid_x.iter_mut().zip(&grid_y) {
            *a *= b * scale;
        }
        self.fft.inverse(&mut grid_x);
        self.to_spherical(&grid_x)
    }

    /// Grid row of frequency `u` (or column of `v`): negative ones wrap to the end.
    fn wrap(&self, frequency: i64) -> usize {
        frequency.rem_euclid(self.size as i64) as usize
    }

    /// `F(u, v)` on the `N × N` grid (row `u`, column `v`).
    fn to_fourier(&self, x: &[C64], degree: usize) -> Vec<C64> {
        let mut grid = vec![C64::new(0.0, 0.0); self.size * self.size];
        for l in 0..=degree {
            for m in -(l as i64)..=l as i64 {
                let coefficient = x[index(l, m)];
                let column = self.wrap(m);
                for u in -(l as i64)..=l as i64 {
                    let cell = self.wrap(u) * self.size + column;
                    grid[cell] += coefficient * self.series.coefficient(l, m, u);
                }
            }
        }
        grid
    }

    /// `z_{lm} = Σ_u M^{lm}_u H(u, m)` for every `l ≤ L₁ + L₂`.
    fn to_spherical(&self, grid: &[C64]) -> Vec<C64> {
        let width = 2 * self.out_degree + 1;
        let top = self.out_degree as i64;
        let mut z = vec![C64::new(0.0, 0.0); features(self.out_degree)];
        for l in 0..=self.out_degree {
            for m in -(l as i64)..=l as i64 {
                let row = &self.to_harmonics[index(l, m) * width..][..width];
                let column = self.wrap(m);
                z[index(l, m)] = (-top..=top)
                    .zip(row)
                    .map(|(u, weight)| weight * grid[self.wrap(u) * self.size + column])
                    .sum();
            }
        }
        z
    }
}

/// `M^{lm}_u = 2π Σ_{|w| ≤ l} conj(c^{lm}_w) I(u − w)` for `|u| ≤ L`, `L` the series' degree.
fn back_conversion(series: &ThetaSeries) -> Vec<C64> {
    let top = series.max_degree() as i64;
    let width = 2 * series.max_degree() + 1;
    let mut matrix = vec![C64::new(0.0, 0.0); features(series.max_degree()) * width];
    for l in 0..=series.max_degree() {
        let degree = l as i64;
        for m in -degree..=degree {
            let row = &mut matrix[index(l, m) * width..][..width];
            for (u, entry) in (-top..=top).zip(row.iter_mut()) {
                let sum: C64 = (-degree..=degree)
                    .map(|w| series.coefficient(l, m, w).conj() * sine_moment(u - w))
                    .sum();
                *entry = 2.0 * PI * sum;
            }
        }
    }
    matrix
}

/// `I(k) = ∫_0^π e^{ikθ} sin θ dθ`: the sphere's measure `sin θ dθ` against one Fourier mode.
/// (The odd moments `I(±1)` cancel in every `z_{lm}`: column `m` of `H` and `Θ_l^m` both have
/// the parity `(−1)^m` in `θ`, so their product is even; they are kept so that `M` is the exact
/// integral of any trigonometric polynomial.)
fn sine_moment(k: i64) -> C64 {
    match k {
        1 | -1 => C64::new(0.0, k as f64 * PI / 2.0),
        _ if k % 2 == 0 => C64::new(2.0 / (1.0 - (k * k) as f64), 0.0),
        _ => C64::new(0.0, 0.0),
    }
}

/// The least `n ≥ least` whose prime factors are 2, 3 and 5 (fast FFT sizes).
fn smooth_size(least: usize) -> usize {
    (least..)
        .find(|&n| {
            let mut rest = n;
            for p in [2, 3, 5] {
                while rest % p == 0 {
                    rest /= p;
                }
            }
            rest == 1
        })
        .unwrap_or(least)
}
