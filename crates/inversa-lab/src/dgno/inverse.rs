//! The inverse problem: from noisy readings `y = H u + ε`, `ε ~ N(0, σ²I)`, of the true solution
//! at a sensor lattice, the posterior over the latent
//!
//! ```text
//! p(β | y) ∝ exp(−‖y − H u(·; β)‖² / 2σ²) p(β),   p(β) = N(μ, LLᵀ),
//! ```
//!
//! pushed forward through both decoders to `a(x; β)` and `u(x; β)`. The prior is the Gaussian
//! fitted to the encodings of the unlabelled fields (a deterministic encoder leaves the latents'
//! law to be estimated after training: Ghosh et al., "From variational to deterministic
//! autoencoders", ICLR 2020). Sampled by preconditioned Crank–Nicolson in whitened coordinates
//! `β = μ + L z` (Cotter, Roberts, Stuart & White, Statist. Sci. 2013): `z' = √(1 − s²) z + s ξ`,
//! accepted with probability `min(1, e^{Φ(z) − Φ(z')})`, `Φ` the misfit — exact for the prior, so
//! only the likelihood decides; `s` is tuned during burn-in towards a quarter accepted. The latent
//! has tens of dimensions and one step costs a batched pass of the branch net, so exact MCMC
//! replaces the paper's variational approximation at no real cost.

use super::model::Dgno;
use crate::Result;
use candle_core::{Device, Tensor};
use inversa::numerics::gaussian;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The fitted latent prior `N(μ, LLᵀ)`.
pub struct LatentPrior {
    pub mean: Vec<f64>,
    /// Lower-triangular `L`, row-major `d × d`.
    pub factor: Vec<f64>,
}

/// The lower Cholesky factor of the symmetric positive definite `d × d` matrix `a`.
pub fn cholesky(a: &[f64], d: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0f64; d * d];
    for j in 0..d {
        let diagonal = a[j * d + j] - (0..j).map(|k| l[j * d + k].powi(2)).sum::<f64>();
        if diagonal <= 0.0 || !diagonal.is_finite() {
            return None;
        }
        l[j * d + j] = diagonal.sqrt();
        for i in j + 1..d {
            let s: f64 = (0..j).map(|k| l[i * d + k] * l[j * d + k]).sum();
            l[i * d + j] = (a[i * d + j] - s) / l[j * d + j];
        }
    }
    Some(l)
}

impl LatentPrior {
    /// The mean and covariance (plus 10⁻⁶ of its mean variance, a guard) of `latents` (rows).
    pub fn fit(latents: &[Vec<f64>]) -> Result<Self> {
        let (count, d) = (latents.len() as f64, latents[0].len());
        let mean: Vec<f64> = (0..d)
            .map(|j| latents.iter().map(|b| b[j]).sum::<f64>() / count)
            .collect();
        let mut covariance = vec![0.0; d * d];
        for b in latents {
            for (i, (bi, mi)) in b.iter().zip(&mean).enumerate() {
                for (j, (bj, mj)) in b.iter().zip(&mean).enumerate() {
                    covariance[i * d + j] += (bi - mi) * (bj - mj) / count;
                }
            }
        }
        let jitter = 1e-6 * (0..d).map(|i| covariance[i * d + i]).sum::<f64>() / d as f64;
        (0..d).for_each(|i| covariance[i * d + i] += jitter.max(1e-12));
        let factor = cholesky(&covariance, d).ok_or_else(|| {
            crate::Error::setting(
                "latent",
                "the encodings' covariance is not positive definite",
            )
        })?;
        Ok(Self { mean, factor })
    }

    /// `μ + L z` for the rows of `z` (`[C, d]`).
    fn latent(&self, z: &Tensor) -> Result<Tensor> {
        let d = self.mean.len();
        let factor = Tensor::from_vec(self.factor.clone(), (d, d), &Device::Cpu)?;
        let mean = Tensor::from_vec(self.mean.clone(), (1, d), &Device::Cpu)?;
        Ok(z.matmul(&factor.t()?)?.broadcast_add(&mean)?)
    }
}

/// The chains' output: latents kept after burn-in (thinned) and the acceptance rate.
pub struct Posterior {
    pub latents: Tensor,
    pub acceptance: f64,
}

/// pCN settings.
pub struct Chains {
    pub chains: usize,
    pub steps: usize,
    pub burn_in: usize,
    /// Samples kept per chain.
    pub keep: usize,
    pub seed: u64,
}

/// The misfits `‖y − H u(β)‖² / 2σ²` of the rows of `z`.
fn misfit(
    model: &Dgno,
    prior: &LatentPrior,
    basis: &Tensor,
    z: &Tensor,
    sensors: &Tensor,
    y: &Tensor,
    sigma: f64,
) -> Result<Vec<f64>> {
    let u = model.solution_with(&prior.latent(z)?, basis)?;
    let miss = u.index_select(sensors, 1)?.broadcast_sub(y)?;
    Ok((miss.sqr()?.sum(1)? / (2.0 * sigma * sigma))?.to_vec1()?)
}

/// pCN on `p(β | y)` with `chains.chains` chains side by side.
pub fn sample(
    model: &Dgno,
    prior: &LatentPrior,
    sensors: &[usize],
    readings: &[f64],
    sigma: f64,
    chains: &Chains,
) -> Result<Posterior> {
    let (c, d) = (chains.chains, prior.mean.len());
    let mut rng = ChaCha8Rng::seed_from_u64(chains.seed);
    let basis = model.basis()?;
    let index: Vec<u32> = sensors.iter().map(|&s| s as u32).collect();
    let index = Tensor::new(index.as_slice(), &Device::Cpu)?;
    let y = Tensor::from_vec(readings.to_vec(), (1, readings.len()), &Device::Cpu)?;
    let mut z = gaussian(&mut rng, c * d);
    let mut phi = misfit(
        model,
        prior,
        &basis,
        &Tensor::from_vec(z.clone(), (c, d), &Device::Cpu)?,
        &index,
        &y,
        sigma,
    )?;
    let (mut s, mut accepted, mut tried, mut window_accepted) = (0.3f64, 0usize, 0usize, 0usize);
    let thin = ((chains.steps - chains.burn_in) / chains.keep).max(1);
    let mut kept = Vec::new();
    for step in 0..chains.steps {
        let xi = gaussian(&mut rng, c * d);
        let keep_weight = (1.0 - s * s).sqrt();
        let proposal: Vec<f64> = z
            .iter()
            .zip(&xi)
            .map(|(z, x)| keep_weight * z + s * x)
            .collect();
        let proposed = misfit(
            model,
            prior,
            &basis,
            &Tensor::from_vec(proposal.clone(), (c, d), &Device::Cpu)?,
            &index,
            &y,
            sigma,
        )?;
        for chain in 0..c {
            let log_ratio = phi[chain] - proposed[chain];
            if log_ratio >= 0.0 || rng.gen::<f64>() < log_ratio.exp() {
                z[chain * d..(chain + 1) * d]
                    .copy_from_slice(&proposal[chain * d..(chain + 1) * d]);
                phi[chain] = proposed[chain];
                window_accepted += 1;
                if step >= chains.burn_in {
                    accepted += 1;
                }
            }
        }
        if step >= chains.burn_in {
            tried += c;
        } else if (step + 1) % 50 == 0 {
            // Robbins–Monro-like tuning towards a quarter accepted, frozen after burn-in.
            let rate = window_accepted as f64 / (50 * c) as f64;
            s = (s * (2.0 * (rate - 0.25)).exp()).clamp(1e-4, 1.0);
            window_accepted = 0;
        }
        let after = step + 1;
        if after > chains.burn_in
            && (after - chains.burn_in) % thin == 0
            && kept.len() < chains.keep * c * d
        {
            kept.extend_from_slice(&z);
        }
    }
    let rows = kept.len() / d;
    let latents = prior.latent(&Tensor::from_vec(kept, (rows, d), &Device::Cpu)?)?;
    Ok(Posterior {
        latents,
        acceptance: accepted as f64 / tried.max(1) as f64,
    })
}

/// The `q`-quantile of `values` (sorted in place), by linear interpolation between order statistics.
pub fn quantile(values: &mut [f64], q: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let at = q * (values.len() - 1) as f64;
    let (low, high) = (at.floor() as usize, at.ceil() as usize);
    values[low] + (at - low as f64) * (values[high] - values[low])
}

/// Per node: the samples' mean and std, and the central intervals of the given masses.
pub struct Summary {
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
    /// `(mass, lower, upper)`.
    pub intervals: Vec<(f64, Vec<f64>, Vec<f64>)>,
}

/// Summarises `samples` (`[S, points]` rows) at `masses`.
pub fn summarise(samples: &[Vec<f64>], masses: &[f64]) -> Summary {
    let points = samples[0].len();
    let count = samples.len() as f64;
    let mut column = vec![0.0; samples.len()];
    let mut summary = Summary {
        mean: vec![0.0; points],
        std: vec![0.0; points],
        intervals: masses
            .iter()
            .map(|&m| (m, vec![0.0; points], vec![0.0; points]))
            .collect(),
    };
    for p in 0..points {
        column.iter_mut().zip(samples).for_each(|(c, s)| *c = s[p]);
        let mean = column.iter().sum::<f64>() / count;
        summary.mean[p] = mean;
        summary.std[p] = (column.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / count).sqrt();
        for (mass, lower, upper) in &mut summary.intervals {
            lower[p] = quantile(&mut column, 0.5 - 0.5 * *mass);
            upper[p] = quantile(&mut column, 0.5 + 0.5 * *mass);
        }
    }
    summary
}

/// The fraction of `points` where `truth` lies in `[lower, upper]`.
pub fn coverage(truth: &[f64], lower: &[f64], upper: &[f64], points: &[usize]) -> f64 {
    let inside = points
        .iter()
        .filter(|&&p| lower[p] <= truth[p] && truth[p] <= upper[p])
        .count();
    inside as f64 / points.len().max(1) as f64
}
