//! Random rotations and their Wigner-D matrices on spherical-harmonic features.
//!
//! A rotation `R` acts on a function by `(R f)(r) = f(R⁻¹ r)`, and on its coefficients degree by
//! degree: `(D x)_{lm'} = Σ_m D^l_{m'm} x_{lm}` with `D^l_{m'm} = ∫ conj(Y_l^{m'}(r))
//! Y_l^m(R⁻¹ r) dΩ`. The integrand is a polynomial of degree `2l` on the sphere (a rotated
//! harmonic stays one of the same degree), so [`SphereRule::exact_to`]`(2l)` gives `D` exactly up
//! to rounding, with no Euler-angle convention to get wrong.

use super::harmonics::{harmonics, index, SphereRule};
use num_complex::Complex64 as C64;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// A 3 × 3 rotation matrix, row-major.
pub type Rotation = [[f64; 3]; 3];

/// A rotation uniform on SO(3): the matrix of a unit quaternion with Gaussian coordinates.
pub fn random_rotation(rng: &mut ChaCha8Rng) -> Rotation {
    let q: [f64; 4] = std::array::from_fn(|_| rng.sample(StandardNormal));
    let norm = q
        .iter()
        .map(|v| v * v)
        .sum::<f64>()
        .sqrt()
        .max(f64::MIN_POSITIVE);
    let [w, x, y, z] = q.map(|v| v / norm);
    [
        [
            1.0 - 2.0 * (y * y + z * z),
            2.0 * (x * y - w * z),
            2.0 * (x * z + w * y),
        ],
        [
            2.0 * (x * y + w * z),
            1.0 - 2.0 * (x * x + z * z),
            2.0 * (y * z - w * x),
        ],
        [
            2.0 * (x * z - w * y),
            2.0 * (y * z + w * x),
            1.0 - 2.0 * (x * x + y * y),
        ],
    ]
}

/// `R⁻¹ r = Rᵀ r` for the unit vector at `(θ, φ)`, as `(θ, φ)`.
fn rotate_back(rotation: &Rotation, (theta, phi): (f64, f64)) -> (f64, f64) {
    let r = [
        theta.sin() * phi.cos(),
        theta.sin() * phi.sin(),
        theta.cos(),
    ];
    let q: [f64; 3] = std::array::from_fn(|i| (0..3).map(|k| rotation[k][i] * r[k]).sum());
    (q[2].clamp(-1.0, 1.0).acos(), q[1].atan2(q[0]))
}

/// The Wigner-D blocks of one rotation for degrees `0 ..= max_degree`.
pub struct WignerD {
    /// Block `l`: `(2l+1) × (2l+1)`, row `m' + l`, column `m + l`.
    blocks: Vec<Vec<C64>>,
}

impl WignerD {
    pub fn new(rotation: &Rotation, max_degree: usize) -> Self {
        let rule = SphereRule::exact_to(2 * max_degree);
        let mut blocks: Vec<Vec<C64>> = (0..=max_degree)
            .map(|l| vec![C64::new(0.0, 0.0); (2 * l + 1) * (2 * l + 1)])
            .collect();
        for (&point, &weight) in rule.points.iter().zip(&rule.weights) {
            let here = harmonics(max_degree, point.0, point.1);
            let (theta, phi) = rotate_back(rotation, point);
            let there = harmonics(max_degree, theta, phi);
            for (l, block) in blocks.iter_mut().enumerate() {
                let width = 2 * l + 1;
                let start = index(l, -(l as i64));
                for (row, &a) in here[start..start + width].iter().enumerate() {
                    let a = a.conj() * weight;
                    for (column, &b) in there[start..start + width].iter().enumerate() {
                        block[row * width + column] += a * b;
                    }
                }
            }
        }
        Self { blocks }
    }

    /// `max |D D^H − I|` over the blocks: a Wigner-D matrix is unitary.
    pub fn unitarity_error(&self) -> f64 {
        let mut worst = 0.0_f64;
        for (l, block) in self.blocks.iter().enumerate() {
            let width = 2 * l + 1;
            for i in 0..width {
                for j in 0..width {
                    let row = |k: usize| &block[k * width..][..width];
                    let dot: C64 = row(i).iter().zip(row(j)).map(|(a, b)| a * b.conj()).sum();
                    let target = if i == j { 1.0 } else { 0.0 };
                    worst = worst.max((dot - target).norm());
                }
            }
        }
        worst
    }

    /// `D x` for a feature vector of degrees `≤ max_degree`.
    pub fn apply(&self, x: &[C64]) -> Vec<C64> {
        let mut out = vec![C64::new(0.0, 0.0); x.len()];
        for (l, block) in self.blocks.iter().enumerate() {
            if index(l, l as i64) >= x.len() {
                break;
            }
            let width = 2 * l + 1;
            let start = index(l, -(l as i64));
            let input = &x[start..start + width];
            for (row, value) in out[start..start + width].iter_mut().enumerate() {
                *value = block[row * width..][..width]
                    .iter()
                    .zip(input)
                    .map(|(d, v)| d * v)
                    .sum();
            }
        }
        out
    }
}
