//! The direct Gaunt tensor product: every non-zero Gaunt coefficient, from Wigner 3j symbols.
//!
//! For complex harmonics, `conj(Y_l^m) = (−1)^m Y_l^{−m}` and
//! `∫ Y_{l₁}^{m₁} Y_{l₂}^{m₂} Y_{l₃}^{m₃} dΩ = √((2l₁+1)(2l₂+1)(2l₃+1)/4π)
//! (l₁ l₂ l₃; 0 0 0) (l₁ l₂ l₃; m₁ m₂ m₃)`, so
//! `z_{l₃m₃} = Σ G^{l₃m₃}_{l₁m₁,l₂m₂} x_{l₁m₁} y_{l₂m₂}` with
//! `G = (−1)^{m₃} √(…) (l₁ l₂ l₃; 0 0 0) (l₁ l₂ l₃; m₁ m₂ −m₃)`. It vanishes unless
//! `m₃ = m₁ + m₂`, `|l₁ − l₂| ≤ l₃ ≤ l₁ + l₂` and `l₁ + l₂ + l₃` is even, which leaves `O(L⁵)`
//! terms (the paper's `O(L⁶)` counts every `(m₁, m₂, m₃)` of each `(l₁, l₂, l₃)`).

use super::harmonics::{features, index};
use num_complex::Complex64 as C64;
use std::f64::consts::PI;

/// `n!` for `n ≤ top`, in `f64` (exact up to `22!`, then rounded; finite up to `170!`).
pub struct Factorials(Vec<f64>);

impl Factorials {
    pub fn new(top: usize) -> Self {
        let mut table = vec![1.0; top + 1];
        for n in 1..=top {
            table[n] = table[n - 1] * n as f64;
        }
        Self(table)
    }

    fn of(&self, n: i64) -> f64 {
        self.0[n as usize]
    }
}

/// The Wigner 3j symbol `(j₁ j₂ j₃; m₁ m₂ m₃)` by Racah's formula, zero outside the selection
/// rules. `factorials` must reach `j₁ + j₂ + j₃ + 1`.
pub fn wigner_3j(factorials: &Factorials, j: [i64; 3], m: [i64; 3]) -> f64 {
    let [j1, j2, j3] = j;
    let [m1, m2, m3] = m;
    let triangle = j3 >= (j1 - j2).abs() && j3 <= j1 + j2;
    if m1 + m2 + m3 != 0 || !triangle || j.iter().zip(&m).any(|(j, m)| m.abs() > *j) {
        return 0.0;
    }
    let f = |n: i64| factorials.of(n);
    let delta = f(j1 + j2 - j3) * f(j1 - j2 + j3) * f(-j1 + j2 + j3) / f(j1 + j2 + j3 + 1);
    let norm =
        (delta * f(j1 + m1) * f(j1 - m1) * f(j2 + m2) * f(j2 - m2) * f(j3 + m3) * f(j3 - m3))
            .sqrt();
    let low = 0.max(j2 - j3 - m1).max(j1 - j3 + m2);
    let high = (j1 + j2 - j3).min(j1 - m1).min(j2 + m2);
    let sum: f64 = (low..=high)
        .map(|k| {
            let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
            let denominator = f(k)
                * f(j3 - j2 + k + m1)
                * f(j3 - j1 + k - m2)
                * f(j1 + j2 - j3 - k)
                * f(j1 - k - m1)
                * f(j2 - k + m2);
            sign / denominator
        })
        .sum();
    let phase = if (j1 - j2 - m3).rem_euclid(2) == 0 {
        1.0
    } else {
        -1.0
    };
    phase * norm * sum
}

/// The non-zero Gaunt coefficients for inputs of degrees `≤ L₁` and `≤ L₂`.
pub struct GauntTable {
    out_degree: usize,
    /// `(index of x, index of y, index of z, G)`.
    entries: Vec<(u32, u32, u32, f64)>,
}

impl GauntTable {
    pub fn new(first: usize, second: usize) -> Self {
        let out_degree = first + second;
        let factorials = Factorials::new(2 * out_degree + 1);
        let mut entries = Vec::new();
        for l1 in 0..=first {
            for l2 in 0..=second {
                for l3 in (l1.abs_diff(l2)..=l1 + l2).step_by(2) {
                    push_path(&factorials, [l1, l2, l3], &mut entries);
                }
            }
        }
        Self {
            out_degree,
            entries,
        }
    }

    /// The number of non-zero coefficients (the multiply-adds of one product).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// `z_{l₃m₃} = Σ G x_{l₁m₁} y_{l₂m₂}`.
    pub fn product(&self, x: &[C64], y: &[C64]) -> Vec<C64> {
        let mut z = vec![C64::new(0.0, 0.0); features(self.out_degree)];
        for &(i, j, k, g) in &self.entries {
            z[k as usize] += x[i as usize] * y[j as usize] * g;
        }
        z
    }
}

/// An upper bound on [`GauntTable::len`], for the memory check before building it:
/// `(L₁+1)² (L₂+1)²` pairs times at most `min(L₁, L₂) + 1` output degrees each.
pub fn table_bound(first: usize, second: usize) -> usize {
    features(first) * features(second) * (first.min(second) + 1)
}

/// The coefficients of one path `(l₁, l₂, l₃)` (`l₁ + l₂ + l₃` even).
fn push_path(factorials: &Factorials, l: [usize; 3], entries: &mut Vec<(u32, u32, u32, f64)>) {
    let [l1, l2, l3] = l.map(|l| l as i64);
    let size = ((2 * l1 + 1) * (2 * l2 + 1) * (2 * l3 + 1)) as f64;
    let parity = wigner_3j(factorials, [l1, l2, l3], [0, 0, 0]);
    let scale = (size / (4.0 * PI)).sqrt() * parity;
    if scale == 0.0 {
        return;
    }
    for m1 in -l1..=l1 {
        for m2 in -l2..=l2 {
            let m3 = m1 + m2;
            if m3.abs() > l3 {
                continue;
            }
            let sign = if m3 % 2 == 0 { 1.0 } else { -1.0 };
            let g = sign * scale * wigner_3j(factorials, [l1, l2, l3], [m1, m2, -m3]);
            if g != 0.0 {
                let [i, j, k] = [index(l[0], m1), index(l[1], m2), index(l[2], m3)];
                entries.push((i as u32, j as u32, k as u32, g));
            }
        }
    }
}
