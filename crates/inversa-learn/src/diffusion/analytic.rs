//! Class-conditional Gaussian-mixture data, for which the exact noise predictor and the exact
//! rectified-flow velocity are closed form: a model with no training error, so any error an
//! inversion method leaves is the method's own.
//!
//! Class `c` is the mixture `Σ_{j∈c} π_j N(μ_j, s_j² I)` in `d` dimensions (component weights
//! normalised within the class); the unconditional law is the mixture of all components with
//! weights normalised over all of them. Both noising processes are `x = a x₀ + σ ε`, under which
//! component `j` becomes `N(a μ_j, σ_j² I)`, `σ_j² = a² s_j² + σ²`:
//!
//! - diffusion: `a = √ᾱ_t`, `σ = √(1−ᾱ_t)`; rectified flow: `a = 1 − t`, `σ = t`.
//! - Posterior responsibilities `w_j(x) ∝ π_j N(x; a μ_j, σ_j² I)`; within component `j`,
//!   `E[ε | x] = σ (x − a μ_j)/σ_j²` and `E[x₀ | x] = μ_j + a s_j² (x − a μ_j)/σ_j²`.
//! - `ε(x, t, c) = Σ_j w_j E_j[ε | x] = −σ ∇ log p(x | c)` (Tweedie), and
//!   `v(x, t, c) = Σ_j w_j (E_j[ε | x] − E_j[x₀ | x])`.

use super::model::{NoisePredictor, VelocityModel};
use super::schedule::NoiseSchedule;
use super::{bad, standard_normal};
use crate::Result;
use candle_core::{bail, DType, Device, Tensor};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One Gaussian `N(mean, std² I)` of class `class` with mixture weight `weight`.
#[derive(Clone, Debug, PartialEq)]
pub struct Component {
    pub class: usize,
    pub weight: f64,
    pub mean: Vec<f64>,
    pub std: f64,
}

/// Class-conditional Gaussian-mixture data with a diffusion schedule for integer timesteps.
#[derive(Clone, Debug)]
pub struct GaussianMixture {
    components: Vec<Component>,
    schedule: NoiseSchedule,
    dim: usize,
    classes: usize,
}

/// The components of one conditioning, as tensors in one dtype.
struct Selected {
    /// `[J, d]` means.
    means: Tensor,
    /// `ln π_j` (normalised), `s_j²`.
    log_weights: Vec<f64>,
    variances: Vec<f64>,
}

impl GaussianMixture {
    /// The mixture of `components` (classes `0 … C−1`, each with at least one component).
    pub fn new(components: Vec<Component>, schedule: NoiseSchedule) -> Result<Self> {
        let dim = components.first().map_or(0, |c| c.mean.len());
        if dim == 0 {
            return Err(bad(
                "components",
                "needs at least one component of dimension ≥ 1",
            ));
        }
        for (j, c) in components.iter().enumerate() {
            if c.mean.len() != dim || !positive(c.weight) || !positive(c.std) {
                return Err(bad(
                    &format!("components[{j}]"),
                    format!("needs a {dim}-vector mean, weight > 0 and std > 0"),
                ));
            }
        }
        let classes = components.iter().map(|c| c.class + 1).max().unwrap_or(0);
        if let Some(c) = (0..classes).find(|c| components.iter().all(|k| k.class != *c)) {
            return Err(bad("components", format!("class {c} has no component")));
        }
        Ok(Self {
            components,
            schedule,
            dim,
            classes,
        })
    }

    /// `d`, the dimension of a sample.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The number of classes.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// The diffusion schedule that maps integer timesteps to `ᾱ_t`.
    pub fn schedule(&self) -> &NoiseSchedule {
        &self.schedule
    }

    /// `n` draws of clean data `[n, d]` (of `class`, or of the whole mixture), in `dtype`.
    pub fn sample(
        &self,
        n: usize,
        class: Option<usize>,
        seed: u64,
        dtype: DType,
    ) -> Result<Tensor> {
        let chosen = self.members(class)?;
        let total: f64 = chosen.iter().map(|c| c.weight).sum();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let noise = standard_normal(&mut rng, &[n, self.dim], DType::F64)?.to_vec2::<f64>()?;
        let mut values = Vec::with_capacity(n * self.dim);
        for row in noise {
            let mut u = rng.gen::<f64>() * total;
            let pick = chosen
                .iter()
                .find(|c| {
                    u -= c.weight;
                    u < 0.0
                })
                .unwrap_or(&chosen[chosen.len() - 1]);
            values.extend(row.iter().zip(&pick.mean).map(|(z, m)| m + pick.std * z));
        }
        Ok(Tensor::from_vec(values, (n, self.dim), &Device::Cpu)?.to_dtype(dtype)?)
    }

    /// `ln p(x | class)` per sample (`[B]`) of `x = a x₀ + σ ε`.
    pub fn log_density(
        &self,
        x: &Tensor,
        a: f64,
        sigma: f64,
        class: Option<usize>,
    ) -> Result<Tensor> {
        let (flat, _) = self.flatten(x)?;
        let (logits, _, _) = self.posterior_logits_with(&flat, a, sigma, class, None)?;
        let max = logits.max_keepdim(1)?;
        let sum = logits.broadcast_sub(&max)?.exp()?.sum_keepdim(1)?.log()?;
        Ok((sum + max)?.squeeze(1)?)
    }

    /// `(E[ε | x], E[x₀ | x])` for `x = a x₀ + σ ε`, shaped as `x`.
    pub fn posterior_means(
        &self,
        x: &Tensor,
        a: f64,
        sigma: f64,
        class: Option<usize>,
    ) -> candle_core::Result<(Tensor, Tensor)> {
        self.posterior_means_with(x, a, sigma, class, None)
    }

    /// [`Self::posterior_means`] under a class prior given as logits (see
    /// [`Self::eps_with_null`]).
    fn posterior_means_with(
        &self,
        x: &Tensor,
        a: f64,
        sigma: f64,
        class: Option<usize>,
        class_logits: Option<&Tensor>,
    ) -> candle_core::Result<(Tensor, Tensor)> {
        let (flat, shape) = self.flatten(x).map_err(candle_core::Error::wrap)?;
        let (logits, diff, selected) = self
            .posterior_logits_with(&flat, a, sigma, class, class_logits)
            .map_err(candle_core::Error::wrap)?;
        let responsibilities = candle_nn::ops::softmax(&logits, 1)?;
        let dtype = flat.dtype();
        let inverse: Vec<f64> = selected
            .variances
            .iter()
            .map(|s2| 1.0 / (a * a * s2 + sigma * sigma))
            .collect();
        let scaled = |values: Vec<f64>| -> candle_core::Result<Tensor> {
            let n = values.len();
            let per_component =
                Tensor::from_vec(values, (1, n, 1), &Device::Cpu)?.to_dtype(dtype)?;
            let weights = responsibilities
                .unsqueeze(2)?
                .broadcast_mul(&per_component)?;
            weights.broadcast_mul(&diff)?.sum(1)
        };
        let eps = scaled(inverse.iter().map(|i| sigma * i).collect())?;
        let gains = selected
            .variances
            .iter()
            .zip(&inverse)
            .map(|(s2, i)| a * s2 * i)
            .collect();
        let mean = responsibilities.matmul(&selected.means)?;
        let x0 = (scaled(gains)? + mean)?;
        Ok((eps.reshape(shape.clone())?, x0.reshape(shape)?))
    }

    /// The components of `class`, or all of them.
    pub(crate) fn members(&self, class: Option<usize>) -> Result<Vec<&Component>> {
        match class {
            Some(c) if c >= self.classes => {
                Err(bad("class", format!("{c} is not below {}", self.classes)))
            }
            _ => Ok(self
                .components
                .iter()
                .filter(|k| class.is_none_or(|c| k.class == c))
                .collect()),
        }
    }

    /// `x` as `[B, d]`, with its original shape.
    fn flatten(&self, x: &Tensor) -> Result<(Tensor, Vec<usize>)> {
        let shape = x.dims().to_vec();
        let batch = shape.first().copied().unwrap_or(0);
        if batch == 0 || x.elem_count() != batch * self.dim {
            return Err(bad(
                "x",
                format!("shape {shape:?} is not a batch of {}-vectors", self.dim),
            ));
        }
        Ok((x.reshape((batch, self.dim))?, shape))
    }

    /// The log-joint `ln π_j N(x; a μ_j, σ_j² I)` (`[B, J]`), `x − a μ_j` (`[B, J, d]`), and
    /// the selected components.
    /// With `class_logits` (`[C]`, through a softmax), every component is weighted by its class's
    /// probability times its weight within its class.
    fn posterior_logits_with(
        &self,
        x: &Tensor,
        a: f64,
        sigma: f64,
        class: Option<usize>,
        class_logits: Option<&Tensor>,
    ) -> Result<(Tensor, Tensor, Selected)> {
        let selected = match class_logits {
            Some(_) => self.select_within_classes(x.dtype())?,
            None => self.select(class, x.dtype())?,
        };
        let diff = x
            .unsqueeze(1)?
            .broadcast_sub(&selected.means.affine(a, 0.0)?.unsqueeze(0)?)?;
        let squared = diff.sqr()?.sum(2)?;
        let d = self.dim as f64;
        let (scales, offsets): (Vec<f64>, Vec<f64>) = selected
            .variances
            .iter()
            .zip(&selected.log_weights)
            .map(|(s2, lw)| {
                let v = a * a * s2 + sigma * sigma;
                (
                    -0.5 / v,
                    lw - 0.5 * d * (2.0 * std::f64::consts::PI * v).ln(),
                )
            })
            .unzip();
        let row = |values: Vec<f64>| -> candle_core::Result<Tensor> {
            let n = values.len();
            Tensor::from_vec(values, (1, n), &Device::Cpu)?.to_dtype(x.dtype())
        };
        let mut logits = squared
            .broadcast_mul(&row(scales)?)?
            .broadcast_add(&row(offsets)?)?;
        if let Some(class_logits) = class_logits {
            let log_prior = candle_nn::ops::log_softmax(&class_logits.to_dtype(x.dtype())?, 0)?;
            let classes: Vec<u32> = self.components.iter().map(|c| c.class as u32).collect();
            let index = Tensor::new(classes, &Device::Cpu)?;
            logits = logits.broadcast_add(&log_prior.index_select(&index, 0)?.unsqueeze(0)?)?;
        }
        Ok((logits, diff, selected))
    }

    /// Every component, with its weight normalised within its class.
    fn select_within_classes(&self, dtype: DType) -> Result<Selected> {
        let mut selected = self.select(None, dtype)?;
        selected.log_weights = self
            .components
            .iter()
            .map(|c| {
                let total: f64 = self
                    .components
                    .iter()
                    .filter(|k| k.class == c.class)
                    .map(|k| k.weight)
                    .sum();
                (c.weight / total).ln()
            })
            .collect();
        Ok(selected)
    }

    /// The null condition under which [`Self::eps_with_null`] is the unconditional ε: the data's
    /// class probabilities as logits (`ln` of each class's total weight) and a zero mean shift,
    /// `[C + d]`.
    pub fn null_condition(&self, dtype: DType) -> candle_core::Result<Tensor> {
        let mut null: Vec<f64> = (0..self.classes)
            .map(|c| {
                self.components
                    .iter()
                    .filter(|k| k.class == c)
                    .map(|k| k.weight)
                    .sum::<f64>()
                    .ln()
            })
            .collect();
        null.resize(self.classes + self.dim, 0.0);
        Tensor::from_vec(null, self.classes + self.dim, &Device::Cpu)?.to_dtype(dtype)
    }

    /// `ε(x_t, t)` of the unconditional model under a tunable null condition `null` (`[C + d]`):
    /// class probabilities `softmax(null[..C])` and every mean shifted by `null[C..]`. This is
    /// the mixture's stand-in for a network's null-text embedding (a condition with as many
    /// degrees of freedom as the sample), differentiable in `null`; Null-text inversion tunes it.
    pub fn eps_with_null(
        &self,
        x_t: &Tensor,
        t: usize,
        null: &Tensor,
    ) -> candle_core::Result<Tensor> {
        if null.dims() != [self.classes + self.dim] {
            bail!(
                "a null condition has {} entries (classes + dimension), not {:?}",
                self.classes + self.dim,
                null.dims()
            )
        }
        let alpha_bar = self.alpha_bar(t)?;
        let (a, sigma) = (alpha_bar.sqrt(), (1.0 - alpha_bar).sqrt());
        let logits = null.narrow(0, 0, self.classes)?;
        let shift = null.narrow(0, self.classes, self.dim)?.affine(a, 0.0)?;
        let flat = x_t.reshape(((), self.dim))?;
        let shifted = flat.broadcast_sub(&shift.to_dtype(x_t.dtype())?)?;
        let eps = self
            .posterior_means_with(&shifted, a, sigma, None, Some(&logits))?
            .0;
        eps.reshape(x_t.dims())
    }

    /// `ᾱ_t`, or an error past the schedule.
    fn alpha_bar(&self, t: usize) -> candle_core::Result<f64> {
        match self.schedule.alpha_bars().get(t) {
            Some(&alpha_bar) => Ok(alpha_bar),
            None => bail!(
                "timestep {t} is past the schedule's {}",
                self.schedule.len()
            ),
        }
    }

    /// The components of `class` (or all) as tensors of `dtype`.
    fn select(&self, class: Option<usize>, dtype: DType) -> Result<Selected> {
        let chosen = self.members(class)?;
        let total: f64 = chosen.iter().map(|c| c.weight).sum();
        let means: Vec<f64> = chosen.iter().flat_map(|c| c.mean.iter().copied()).collect();
        Ok(Selected {
            means: Tensor::from_vec(means, (chosen.len(), self.dim), &Device::Cpu)?
                .to_dtype(dtype)?,
            log_weights: chosen.iter().map(|c| (c.weight / total).ln()).collect(),
            variances: chosen.iter().map(|c| c.std * c.std).collect(),
        })
    }
}

/// `x > 0` and finite.
fn positive(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

impl NoisePredictor for GaussianMixture {
    fn eps(&self, x_t: &Tensor, t: usize, class: Option<usize>) -> candle_core::Result<Tensor> {
        let alpha_bar = self.alpha_bar(t)?;
        Ok(self
            .posterior_means(x_t, alpha_bar.sqrt(), (1.0 - alpha_bar).sqrt(), class)?
            .0)
    }
}

impl VelocityModel for GaussianMixture {
    fn velocity(&self, x_t: &Tensor, t: f64, class: Option<usize>) -> candle_core::Result<Tensor> {
        if !(0.0..=1.0).contains(&t) {
            bail!("rectified-flow time {t} is not in [0, 1]")
        }
        let (eps, x0) = self.posterior_means(x_t, 1.0 - t, t, class)?;
        eps - x0
    }
}
