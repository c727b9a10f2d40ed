//! An exponential moving average (EMA) of the weights during training, the weights a diffusion
//! model is sampled with: Ho, Jain, Abbeel, "Denoising Diffusion Probabilistic Models", NeurIPS
//! 2020, arXiv:2006.11239, App. B (decay 0.9999); Song, Ermon, "Improved Techniques for Training
//! Score-Based Generative Models", NeurIPS 2020, arXiv:2006.09011, §3.5 (an EMA removes the
//! artefacts that the last steps' noise leaves in the samples); the averaging itself is
//! Polyak, Juditsky, SIAM J. Control Optim. 30 (1992), doi:10.1137/0330046.
//!
//! After step `k` (1-based) with raw weights `θ_k`, the EMA with decay `β` is the normalised
//! weighted average
//!
//! $$ \bar\theta_k = \frac{\sum_{j=1}^{k} \beta^{k-j} \theta_j}{\sum_{j=1}^{k} \beta^{k-j}},
//!    \qquad \bar\theta_k = (1 - w_k)\, \bar\theta_{k-1} + w_k\, \theta_k,
//!    \quad w_k = \frac{1 - \beta}{1 - \beta^k}, $$
//!
//! the bias-corrected form of Adam's moments (Kingma, Ba, ICLR 2015, arXiv:1412.6980, §3): the
//! plain recursion started at the initial weights would keep `β^k` of them (37% after 1,000 steps
//! at β = 0.999), which for a fresh network is noise. `β = 0` is the raw weights. The average
//! spans about `1/(1 − β)` steps: 0.9999 (the paper's, for 800k steps) would here average over the
//! whole of a few-thousand-step run, early weights included, so the Fashion-MNIST UNets default
//! to 0.999 (a window of ~1,000 steps).
//!
//! Cost: one copy of the weights and one fused multiply-add per weight and step.

use candle_core::{Result, Tensor};
use candle_nn::VarMap;

/// The EMA of a model's weights.
pub struct Ema {
    decay: f64,
    /// Steps averaged so far.
    steps: usize,
    /// The average, by variable name, sorted.
    weights: Vec<(String, Tensor)>,
}

impl Ema {
    /// An EMA with `decay` in [0, 1) of the variables of `varmap`, having averaged `steps` steps
    /// into `weights` (0 and the current weights for a fresh one; the checkpoint's on resuming).
    pub fn new(decay: f64, steps: usize, mut weights: Vec<(String, Tensor)>) -> Result<Self> {
        if !(0.0..1.0).contains(&decay) {
            candle_core::bail!("the EMA decay must be in [0, 1), not {decay}");
        }
        weights.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Self {
            decay,
            steps,
            weights,
        })
    }

    /// A fresh EMA (no step averaged) of the current weights of `varmap`.
    pub fn start(decay: f64, varmap: &VarMap) -> Result<Self> {
        Self::new(decay, 0, current(varmap)?)
    }

    /// The weight `w_k` of step `k`'s raw weights in the average (the module's formula).
    pub fn step_weight(decay: f64, k: usize) -> f64 {
        let k = i32::try_from(k).unwrap_or(i32::MAX);
        (1.0 - decay) / (1.0 - decay.powi(k))
    }

    /// Averages in the current weights of `varmap` as one more step.
    pub fn update(&mut self, varmap: &VarMap) -> Result<()> {
        self.steps += 1;
        let w = Self::step_weight(self.decay, self.steps);
        let raw = current(varmap)?;
        for ((name, average), (raw_name, value)) in self.weights.iter_mut().zip(&raw) {
            if name != raw_name {
                candle_core::bail!("the EMA holds {name:?} where the model has {raw_name:?}");
            }
            *average = ((average.affine(1.0 - w, 0.0)? + value.affine(w, 0.0)?)?).detach();
        }
        Ok(())
    }

    /// The average, by variable name.
    pub fn weights(&self) -> &[(String, Tensor)] {
        &self.weights
    }
}

/// Copies of the current values of the variables of `varmap`, sorted by name.
pub fn current(varmap: &VarMap) -> Result<Vec<(String, Tensor)>> {
    let mut out: Vec<(String, Tensor)> = crate::training::named_vars(varmap)
        .into_iter()
        .map(|(k, v)| Ok((k, v.as_tensor().copy()?.detach())))
        .collect::<Result<_>>()?;
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Sets the variables of `varmap` to `weights` (by name).
pub fn set(varmap: &VarMap, weights: &[(String, Tensor)]) -> Result<()> {
    for (name, var) in crate::training::named_vars(varmap) {
        match weights.iter().find(|(n, _)| *n == name) {
            Some((_, value)) => var.set(value)?,
            None => candle_core::bail!("no weights for {name:?}"),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};

    /// A varmap with one parameter `p` of two values.
    fn toy() -> (VarMap, candle_core::Var) {
        let varmap = VarMap::new();
        let vb = candle_nn::VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        let _ = vb
            .get_with_hints(2, "p", candle_nn::Init::Const(0.0))
            .unwrap();
        let var = crate::training::named_vars(&varmap).remove(0).1;
        (varmap, var)
    }

    fn values(ema: &Ema) -> Vec<f32> {
        ema.weights()[0].1.to_vec1::<f32>().unwrap()
    }

    /// The raw weights after step `j` of the toy run.
    fn theta(j: usize) -> [f32; 2] {
        [j as f32, (j * j) as f32 * 0.1 - 3.0]
    }

    #[test]
    fn decay_zero_is_the_raw_weights() {
        let (varmap, var) = toy();
        let mut ema = Ema::start(0.0, &varmap).unwrap();
        for j in 1..=5 {
            var.set(&Tensor::new(&theta(j), &Device::Cpu).unwrap())
                .unwrap();
            ema.update(&varmap).unwrap();
            assert_eq!(values(&ema), theta(j));
        }
    }

    #[test]
    fn the_average_after_k_steps_is_the_normalised_geometric_average() {
        let (varmap, var) = toy();
        let decay = 0.8;
        let mut ema = Ema::start(decay, &varmap).unwrap();
        for k in 1..=12 {
            var.set(&Tensor::new(&theta(k), &Device::Cpu).unwrap())
                .unwrap();
            ema.update(&varmap).unwrap();
            // Σ β^{k−j} θ_j / Σ β^{k−j}, summed directly.
            let weights: Vec<f64> = (1..=k).map(|j| decay.powi((k - j) as i32)).collect();
            let total: f64 = weights.iter().sum();
            for (i, got) in values(&ema).into_iter().enumerate() {
                let expected: f64 = (1..=k)
                    .map(|j| weights[j - 1] * f64::from(theta(j)[i]))
                    .sum::<f64>()
                    / total;
                assert!((f64::from(got) - expected).abs() < 1e-4 * (1.0 + expected.abs()));
            }
        }
    }

    #[test]
    fn a_decay_outside_zero_to_one_is_refused() {
        let (varmap, _) = toy();
        assert!(Ema::start(1.0, &varmap).is_err());
        assert!(Ema::start(-0.1, &varmap).is_err());
        assert!(Ema::start(f64::NAN, &varmap).is_err());
    }
}
