//! Training the deep-CD network without solutions, on the loss of Kaneda et al. (ICML 2023,
//! arXiv:2205.10763): for unit right-hand sides `b`, the residual left by one step of the solver
//! along `f(b)`,
//!
//! ```text
//! L = mean_b ‖b − α A f(b)‖²,   α = bᵀf(b) / f(b)ᵀA f(b),
//! ```
//!
//! with `A` the five-point Laplacian `4u_p − Σ_neighbours u_q` (zero Dirichlet boundary), applied
//! inside the autodiff graph as a fixed 3×3 convolution with zero padding. Only the direction of
//! `f(b)` matters, so the network learns `A⁻¹` up to a constant.
//!
//! As in the paper, `b` is a random combination of eigenvectors of `A` weighted toward the low end
//! of the spectrum, the smooth modes that dominate the residuals an iteration leaves behind. For
//! this `A` on the `n × n` grid the eigenvectors are `v_jk(p, q) = sin(jπp/(n+1)) sin(kπq/(n+1))`
//! with eigenvalues `λ_jk = 4 sin²(jπ/2(n+1)) + 4 sin²(kπ/2(n+1))`; the coefficient of `v_jk` is
//! `ξ_jk (λ₁₁/λ_jk)^½`, `ξ ~ N(0, 1)`, so `b ~ N(0, A⁻¹)` up to scale: every scale of the grid
//! contributes about equally. Each step trains on one grid size, cycling through the sizes given.
//!
//! Validation reports the same loss on a fixed batch, and the iterations the solver needs to
//! reach a relative residual of 1e-4 on one fixed system of the first grid size (at most 1000:
//! a run that does not get there, or breaks down, reports 1000).

use super::network::{DeepCdConfig, DeepCdNet};
use super::solver::DeepCd;
use super::NetworkDirections;
use crate::training::Trainable;
use candle_core::{DType, Device, Result, Tensor};
use candle_nn::{VarBuilder, VarMap};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use std::collections::HashMap;

/// Right-hand sides per validation batch.
const VALIDATION_BATCH: usize = 8;

/// The cap on the validation solve's iterations.
const VALIDATION_ITERATIONS: usize = 1000;

/// The validation right-hand sides come from this seed.
const VALIDATION_SEED: u64 = 0xdcd;

/// The five-point Laplacian as a 3×3 kernel.
const STENCIL: [f32; 9] = [0.0, -1.0, 0.0, -1.0, 4.0, -1.0, 0.0, -1.0, 0.0];

/// A deep-CD network with the grid sizes it trains on and its fixed validation batch.
pub struct DeepCdTraining {
    varmap: VarMap,
    net: DeepCdNet,
    grids: Vec<usize>,
    held: Tensor,
}

impl DeepCdTraining {
    /// A fresh network of `config` (its weights are drawn by the training loop from its seed),
    /// trained on the `grids` (each at least 3).
    pub fn new(config: DeepCdConfig, grids: &[usize]) -> inversa::Result<Self> {
        if grids.is_empty() || grids.iter().any(|&n| n < 3) {
            return Err(inversa::Error::config(
                "grid",
                format!("every grid side must be at least 3, got {grids:?}"),
            ));
        }
        if config.channels == 0 {
            return Err(inversa::Error::config("channels", "must be at least 1"));
        }
        let network = |e: candle_core::Error| inversa::Error::config("network", e.to_string());
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        let net = DeepCdNet::new(vb, config).map_err(network)?;
        let mut rng = ChaCha8Rng::seed_from_u64(VALIDATION_SEED);
        let held = spectral_batch(grids[0], VALIDATION_BATCH, &mut rng).map_err(network)?;
        Ok(Self {
            varmap,
            net,
            grids: grids.to_vec(),
            held,
        })
    }

    /// The network being trained.
    pub fn net(&self) -> &DeepCdNet {
        &self.net
    }

    /// The grid sizes, in the order the steps cycle through them.
    pub fn grids(&self) -> &[usize] {
        &self.grids
    }
}

/// `A u` for a `[B, 1, n, n]` batch: the five-point Laplacian with zero Dirichlet boundary.
pub fn laplacian(u: &Tensor) -> Result<Tensor> {
    let kernel = Tensor::from_slice(&STENCIL, (1, 1, 3, 3), u.device())?;
    crate::nn::conv2d::conv2d(u, &kernel, 1)
}

/// The paper's loss of `net` on the unit right-hand sides `b` (`[B, 1, n, n]`).
pub fn loss(net: &DeepCdNet, b: &Tensor) -> Result<Tensor> {
    let f = net.forward(b)?;
    let af = laplacian(&f)?;
    let per_sample = |t: &Tensor| {
        t.flatten_from(1)?
            .sum(1)?
            .unsqueeze(1)?
            .unsqueeze(2)?
            .unsqueeze(3)
    };
    let alpha = per_sample(&(b * &f)?)?.broadcast_div(&per_sample(&(&f * &af)?)?)?;
    (b - af.broadcast_mul(&alpha)?)?
        .sqr()?
        .sum_all()?
        .affine(1.0 / b.dim(0)? as f64, 0.0)
}

/// `count` unit right-hand sides `Σ ξ_jk (λ₁₁/λ_jk)^½ v_jk` on the `n × n` grid, `[count, 1, n, n]`.
pub fn spectral_batch(n: usize, count: usize, rng: &mut ChaCha8Rng) -> Result<Tensor> {
    let mut data = Vec::with_capacity(count * n * n);
    for _ in 0..count {
        data.extend(spectral_rhs(n, rng).into_iter().map(|v| v as f32));
    }
    Tensor::from_vec(data, (count, 1, n, n), &Device::Cpu)
}

/// One unit right-hand side of [`spectral_batch`], row-major.
pub fn spectral_rhs(n: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let theta = std::f64::consts::PI / (n + 1) as f64;
    // sine[p][j] = sin((p+1)(j+1)θ): column j is the j-th one-dimensional eigenvector.
    let sine: Vec<f64> = (0..n * n)
        .map(|i| (((i / n + 1) * (i % n + 1)) as f64 * theta).sin())
        .collect();
    let mu: Vec<f64> = (1..=n)
        .map(|j| 4.0 * (j as f64 * theta / 2.0).sin().powi(2))
        .collect();
    // c[j][k]: coefficient of v_jk.
    let c: Vec<f64> = (0..n * n)
        .map(|i| {
            let xi: f64 = StandardNormal.sample(rng);
            xi * ((2.0 * mu[0]) / (mu[i / n] + mu[i % n])).sqrt()
        })
        .collect();
    // b = S C Sᵀ, in two n³ products.
    let mut sc = vec![0.0; n * n];
    for p in 0..n {
        for j in 0..n {
            let s = sine[p * n + j];
            for k in 0..n {
                sc[p * n + k] += s * c[j * n + k];
            }
        }
    }
    let mut b = vec![0.0; n * n];
    for p in 0..n {
        for q in 0..n {
            b[p * n + q] = (0..n).map(|k| sc[p * n + k] * sine[q * n + k]).sum();
        }
    }
    let size = b.iter().map(|v| v * v).sum::<f64>().sqrt();
    b.iter_mut().for_each(|v| *v /= size);
    b
}

impl Trainable for DeepCdTraining {
    fn varmap(&self) -> &VarMap {
        &self.varmap
    }

    fn metadata(&self) -> HashMap<String, String> {
        let mut metadata = self.net.config().metadata();
        let grids: Vec<String> = self.grids.iter().map(usize::to_string).collect();
        metadata.insert("grids".into(), grids.join(","));
        metadata
    }

    /// The loss on `batch` fresh right-hand sides on grid `grids[step % len]` (`_crop` unused).
    fn loss(
        &self,
        step: usize,
        rng: &mut ChaCha8Rng,
        batch: usize,
        _crop: usize,
    ) -> Result<Tensor> {
        let n = self.grids[step % self.grids.len()];
        loss(&self.net, &spectral_batch(n, batch, rng)?)
    }

    /// `loss`: the loss on the fixed batch; `iterations 1e-4`: the solver's iterations (at most
    /// 1000) on the Laplacian with the first right-hand side of that batch.
    fn validate(&self) -> Result<Vec<(String, f64)>> {
        let value = loss(&self.net, &self.held)?.to_scalar::<f32>()?;
        let n = self.grids[0];
        let b: Vec<f64> = self
            .held
            .get(0)?
            .flatten_all()?
            .to_vec1::<f32>()?
            .into_iter()
            .map(f64::from)
            .collect();
        let a = super::laplacian_matrix(n).map_err(candle_core::Error::wrap)?;
        let map = NetworkDirections::new(&self.net, n, n);
        let solver = DeepCd {
            max_iterations: VALIDATION_ITERATIONS,
            ..DeepCd::default()
        };
        let mut x = vec![0.0; b.len()];
        // A run that misses the tolerance reports the cap (JSON has no NaN for the history).
        let iterations = match solver.solve(&a, &b, &mut x, &map) {
            Ok(info) => info.iterations as f64,
            Err(_) => VALIDATION_ITERATIONS as f64,
        };
        Ok(vec![
            ("loss".into(), f64::from(value)),
            ("iterations 1e-4".into(), iterations),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn laplacian_matches_the_csr_matrix() {
        let n = 7;
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let u = spectral_rhs(n, &mut rng);
        // The CSR matrix is −Δ, the stencil divided by h² = 1/(n+1)².
        let a = super::super::laplacian_matrix(n).unwrap();
        let h2 = 1.0 / ((n + 1) * (n + 1)) as f64;
        let expected: Vec<f64> = a.apply_new(&u).iter().map(|v| v * h2).collect();
        let data: Vec<f32> = u.iter().map(|&v| v as f32).collect();
        let t = Tensor::from_vec(data, (1, 1, n, n), &Device::Cpu).unwrap();
        let got = laplacian(&t)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        for (g, e) in got.iter().zip(&expected) {
            assert!((f64::from(*g) - e).abs() <= 1e-5, "{g} vs {e}");
        }
    }

    #[test]
    fn spectral_rhs_is_unit_and_weighted_toward_smooth_modes() {
        // ⟨b, v_jk⟩ ∝ ξ (λ₁₁/λ_jk)^½, so the energy in the low quarter of the modes (by index)
        // outweighs that in the high quarter; checked by projecting on the eigenvectors directly.
        let n = 12;
        let theta = std::f64::consts::PI / (n + 1) as f64;
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let (mut low, mut high) = (0.0, 0.0);
        for _ in 0..20 {
            let b = spectral_rhs(n, &mut rng);
            assert!((b.iter().map(|v| v * v).sum::<f64>() - 1.0).abs() < 1e-12);
            for j in 1..=n {
                for k in 1..=n {
                    let project: f64 = (0..n * n)
                        .map(|i| {
                            let (p, q) = ((i / n + 1) as f64, (i % n + 1) as f64);
                            b[i] * (j as f64 * p * theta).sin() * (k as f64 * q * theta).sin()
                        })
                        .sum();
                    if j <= n / 2 && k <= n / 2 {
                        low += project * project;
                    } else if j > n / 2 && k > n / 2 {
                        high += project * project;
                    }
                }
            }
        }
        assert!(low > 3.0 * high, "low {low}, high {high}");
    }
}
