//! The Generative Model-Inversion attack (GMI): Zhang, Jia, Pei, Wang, Li, Song, "The secret
//! revealer: generative model-inversion attacks against deep neural networks", CVPR 2020, §4.2.
//!
//! The attacker holds a target classifier `T` trained on private images, and a GAN `(G, D)`
//! ([`super::gan`]) trained on public images of other classes. To rebuild what `T` learned of
//! private class `c`, it searches the generator's latent space (Eq. 3–5):
//!
//! `ẑ = argmin_z  λ_prior · L_prior(z) + L_id(z)`, with `L_prior(z) = softplus(−D(G(z)))`
//! (`−log σ(D)`, the non-saturating form of the paper's `−D(G(z))`, as our `D` outputs a logit)
//! and `L_id(z) = −log softmax(T(G(z)))_c`, the target's cross-entropy for class `c`.
//!
//! Several random starts `z ~ U[−1, 1]^latent` are optimised together (each by its own loss),
//! with Adam, clipping `z` back into `[−1, 1]` after every step as the paper's code does. The
//! reconstructions `G(ẑ)` are scored by a separate evaluation classifier: the attack accuracy is
//! the fraction it assigns to `c` ([`attack_accuracy`]).

use crate::data::fashion_mnist::SIDE;
use crate::models::classifier::Classifier;
use crate::models::gan::{self, uniform_latents, Gan};
use crate::optim::adam::TensorAdam;
use candle_core::{Result, Tensor, Var, D};
use inversa::Control;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The attack's settings.
#[derive(Clone, Copy, Debug, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Random starts, optimised as one batch.
    pub restarts: usize,
    /// Adam steps.
    pub iterations: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// `λ_prior`, the weight of the discriminator's realism loss.
    pub prior_weight: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            restarts: 8,
            iterations: 300,
            learning_rate: 0.02,
            prior_weight: 1.0,
        }
    }
}

/// What the attack reports after each step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step {
    /// 0 for the latent search, `k ≥ 1` for IF-GMI's `k`-th intermediate stage.
    pub stage: usize,
    /// The step within the stage (from 0).
    pub iteration: usize,
    /// The mean identity loss `L_id` over the restarts before the step.
    pub identity_loss: f64,
    /// The mean prior loss `L_prior` before the step.
    pub prior_loss: f64,
    /// IF-GMI only: the largest ℓ1 distance of a restart's features to the stage's start, after
    /// the step and its projection.
    pub deviation: Option<f64>,
}

/// The attack's result.
pub struct Inversion {
    /// The latents `[restarts, latent]` found by the latent search.
    pub latent: Tensor,
    /// The reconstructions `[restarts, 1, 28, 28]` on the data's `[−1, 1]` scale.
    pub images: Tensor,
    /// The mean identity loss before every step, over all stages.
    pub identity_loss: Vec<f64>,
}

/// Runs GMI against `target` for `class`, starting from latents drawn from `seed`; reports each
/// step to `progress`.
pub fn invert(
    gan: &Gan,
    target: &Classifier,
    class: usize,
    settings: Settings,
    seed: u64,
    progress: &mut dyn FnMut(&Step) -> Control,
) -> Result<Inversion> {
    check(target, class, settings)?;
    let latent = gan.generator.config().latent;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let start = uniform_latents(&mut rng, settings.restarts, latent)?;
    let render = |z: &Tensor| gan.generator.generate(z);
    let clip = |z: &Tensor| z.clamp(-1f32, 1f32);
    let problem = Problem {
        gan,
        target,
        class,
        settings,
    };
    let (z, identity_loss) = problem.descend(
        &start,
        settings.iterations,
        &render,
        &clip,
        &mut |iteration, identity, prior, _| {
            progress(&Step {
                stage: 0,
                iteration,
                identity_loss: identity,
                prior_loss: prior,
                deviation: None,
            })
        },
    )?;
    Ok(Inversion {
        images: gan.generator.generate(&z)?,
        latent: z,
        identity_loss,
    })
}

/// Rejects a class the target does not have, or no restart or step.
pub(crate) fn check(target: &Classifier, class: usize, settings: Settings) -> Result<()> {
    let classes = target.config().classes;
    if class >= classes {
        candle_core::bail!("class {class} is past the target's {classes} classes");
    }
    if settings.restarts == 0 || settings.iterations == 0 {
        candle_core::bail!("the attack needs at least one restart and one iteration");
    }
    Ok(())
}

/// One attack: the models, the class and the settings.
pub(crate) struct Problem<'a> {
    pub gan: &'a Gan,
    pub target: &'a Classifier,
    pub class: usize,
    pub settings: Settings,
}

impl Problem<'_> {
    /// The summed loss `λ_prior·L_prior + L_id` of `images` (each restart's gradient is its own
    /// loss's), with the mean identity and prior losses.
    fn objective(&self, images: &Tensor) -> Result<(Tensor, f64, f64)> {
        let logits = self.target.logits(&classifier_input(images)?)?;
        let identity = candle_nn::ops::log_softmax(&logits, D::Minus1)?
            .narrow(1, self.class, 1)?
            .neg()?
            .sum_all()?;
        let prior = gan::softplus(&self.gan.discriminator.logits(images)?.neg()?)?.sum_all()?;
        let total = (&identity + (&prior * self.settings.prior_weight)?)?;
        let count = images.dim(0)? as f64;
        let mean = |t: &Tensor| -> Result<f64> { Ok(f64::from(t.to_scalar::<f32>()?) / count) };
        Ok((total, mean(&identity)?, mean(&prior)?))
    }

    /// `iterations` Adam steps on `start`, the input of `render` (which makes the images), each
    /// followed by `constrain`; reports `(step, identity, prior, x after the step)`. Returns the
    /// final `x` and the identity loss before each step.
    pub fn descend(
        &self,
        start: &Tensor,
        iterations: usize,
        render: &dyn Fn(&Tensor) -> Result<Tensor>,
        constrain: &dyn Fn(&Tensor) -> Result<Tensor>,
        report: &mut dyn FnMut(usize, f64, f64, &Tensor) -> Control,
    ) -> Result<(Tensor, Vec<f64>)> {
        let x = Var::from_tensor(start)?;
        let mut adam = TensorAdam::new(start)?;
        let mut history = Vec::with_capacity(iterations);
        for step in 0..iterations {
            let (loss, identity, prior) = self.objective(&render(x.as_tensor())?)?;
            if !identity.is_finite() || !prior.is_finite() {
                candle_core::bail!("the attack's loss is not finite at step {step}");
            }
            let grads = loss.backward()?;
            let Some(g) = grads.get(x.as_tensor()) else {
                candle_core::bail!("the loss does not depend on the optimised tensor");
            };
            let update = adam.step(g, step as i32 + 1, self.settings.learning_rate)?;
            x.set(&constrain(&(x.as_tensor() + update)?)?)?;
            history.push(identity);
            if report(step, identity, prior, x.as_tensor()) == Control::Stop {
                break;
            }
        }
        Ok((x.as_tensor().detach(), history))
    }
}

/// Generated 28×28 images `[B, 1, 28, 28]` as the classifiers see them: centred in 32×32 with
/// `−1` (black) padding, as [`crate::data::fashion_mnist`] pads the data.
pub fn classifier_input(images: &Tensor) -> Result<Tensor> {
    let (_, _, h, w) = images.dims4()?;
    let (top, left) = ((SIDE - h) / 2, (SIDE - w) / 2);
    images
        .affine(1.0, 1.0)?
        .pad_with_zeros(2, top, SIDE - h - top)?
        .pad_with_zeros(3, left, SIDE - w - left)?
        .affine(1.0, -1.0)
}

/// The fraction of `images` (`[B, 1, 28, 28]` on the `[−1, 1]` scale) that `classifier` assigns to
/// `class`.
pub fn attack_accuracy(classifier: &Classifier, images: &Tensor, class: usize) -> Result<f64> {
    let predicted = classifier
        .logits(&classifier_input(images)?)?
        .argmax(D::Minus1)?
        .to_vec1::<u32>()?;
    let hits = predicted.iter().filter(|&&p| p as usize == class).count();
    Ok(hits as f64 / predicted.len().max(1) as f64)
}
