//! The data sets of the convex ReLU experiments: two interleaved spirals and XOR, each with a
//! constant feature so that a neuron's weights include its bias.

use crate::numerics::gaussian;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A labelled point set: row-major `n × d` features (the last column the constant 1) and `±1` labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    pub d: usize,
    pub features: Vec<f64>,
    pub labels: Vec<f64>,
}

impl Dataset {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Two interleaved spirals in the plane (`n/2` points each, one and a half turns, Gaussian
    /// jitter `noise`), plus the bias column: `d = 3`.
    pub fn spirals(n: usize, noise: f64, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut features = Vec::with_capacity(3 * n);
        let mut labels = Vec::with_capacity(n);
        for j in 0..n {
            let label = if j % 2 == 0 { 1.0 } else { -1.0 };
            let t = rng.gen::<f64>().sqrt() * 3.0 * std::f64::consts::PI;
            let r = t / (3.0 * std::f64::consts::PI);
            let jitter = gaussian(&mut rng, 2);
            features.extend([
                label * r * t.cos() + noise * jitter[0],
                label * r * t.sin() + noise * jitter[1],
                1.0,
            ]);
            labels.push(label);
        }
        Self {
            d: 3,
            features,
            labels,
        }
    }

    /// The XOR of two signs: `x` uniform on `[−1, 1]²`, label `sign(x₁ x₂)`, plus the bias column.
    pub fn xor(n: usize, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut features = Vec::with_capacity(3 * n);
        let mut labels = Vec::with_capacity(n);
        for _ in 0..n {
            let (a, b) = (rng.gen_range(-1.0..1.0), rng.gen_range(-1.0..1.0));
            features.extend([a, b, 1.0]);
            labels.push(if a * b >= 0.0 { 1.0 } else { -1.0 });
        }
        Self {
            d: 3,
            features,
            labels,
        }
    }

    pub(super) fn row(&self, j: usize) -> &[f64] {
        &self.features[j * self.d..(j + 1) * self.d]
    }
}
