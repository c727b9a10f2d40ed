//! Intermediate-feature model inversion (IF-GMI): Qiu, Fang, Yu, Wang, Shen, Xia, Xia, "A closer
//! look at GAN priors: exploiting intermediate features for enhanced model inversion attacks",
//! ECCV 2024 (arXiv:2407.13863), §3.2–3.3.
//!
//! GMI ([`super::gmi`]) searches only the latent `z`, so its reconstructions stay on the
//! generator's manifold of public images. IF-GMI starts where GMI ends and then frees the
//! generator's intermediate features, one block at a time. Write `G = G_{L−1} ∘ … ∘ G_0` for the
//! generator's blocks ([`super::gan::Generator::block`]) and `f₀ = ẑ` for GMI's latent. Stage
//! `k = 1, 2, …` starts from the features after block `k − 1`, `f̄ₖ = G_{k−1}(f_{k−1})`, and solves
//!
//! `fₖ = argmin_{‖f − f̄ₖ‖₁ ≤ rₖ}  L_id(G_{L−1} ∘ … ∘ G_k(f)) + λ_prior·L_prior(…)`
//!
//! by Adam steps, each followed by the projection onto the ℓ1 ball ([`super::l1_ball`]; the paper's
//! Eq. 6–7). The ball keeps the features close to ones the generator produces, the prior that
//! stops the search from fitting the target classifier with noise. The reconstructions are
//! `G_{L−1} ∘ … ∘ G_{K}(f_K)` after the last stage `K`. The authors' schedule searches the latent
//! first and then the features after successive early blocks, with fewer steps per later stage.

use super::gmi::{self, Inversion, Problem, Step};
use super::l1_ball::{distances, project_around};
use crate::models::classifier::Classifier;
use crate::models::gan::{Gan, BLOCKS};
use candle_core::{Result, Tensor};
use inversa::Control;

/// One intermediate stage.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// Adam steps.
    pub iterations: usize,
    /// `rₖ`, the ℓ1 radius around the stage's starting features (per restart).
    pub radius: f64,
}

/// The attack's settings: the GMI stage, then the intermediate ones, on the features after
/// blocks 0, 1, … of the generator.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub gmi: gmi::Settings,
    pub stages: Vec<Stage>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            gmi: gmi::Settings::default(),
            stages: vec![
                Stage {
                    iterations: 150,
                    radius: 100.0,
                },
                Stage {
                    iterations: 100,
                    radius: 100.0,
                },
            ],
        }
    }
}

/// Runs IF-GMI against `target` for `class`: GMI from `seed`'s latents, then each stage ([`refine`]);
/// reports every step to `progress` (the GMI steps as stage 0).
pub fn invert(
    gan: &Gan,
    target: &Classifier,
    class: usize,
    settings: &Settings,
    seed: u64,
    progress: &mut dyn FnMut(&Step) -> Control,
) -> Result<Inversion> {
    check(settings)?;
    let found = gmi::invert(gan, target, class, settings.gmi, seed, progress)?;
    refine(gan, target, class, settings, &found, progress)
}

/// The intermediate stages of IF-GMI, starting from GMI's result `found` (made with
/// `settings.gmi`): reports every step to `progress`.
pub fn refine(
    gan: &Gan,
    target: &Classifier,
    class: usize,
    settings: &Settings,
    found: &Inversion,
    progress: &mut dyn FnMut(&Step) -> Control,
) -> Result<Inversion> {
    check(settings)?;
    gmi::check(target, class, settings.gmi)?;
    let problem = Problem {
        gan,
        target,
        class,
        settings: settings.gmi,
    };
    let mut features = found.latent.clone();
    let mut identity_loss = found.identity_loss.clone();
    for (k, stage) in settings.stages.iter().enumerate() {
        let start = gan.generator.block(k, &features)?;
        let (optimised, history) = run_stage(&problem, &start, k + 1, *stage, progress)?;
        identity_loss.extend(history);
        features = optimised;
    }
    let first = settings.stages.len();
    Ok(Inversion {
        images: gan.generator.forward_from(first, &features)?,
        latent: found.latent.clone(),
        identity_loss,
    })
}

/// Rejects more stages than the generator has feature maps, or a negative radius.
fn check(settings: &Settings) -> Result<()> {
    if settings.stages.len() >= BLOCKS {
        candle_core::bail!(
            "IF-GMI has at most {} intermediate stages (the generator has {BLOCKS} blocks), not {}",
            BLOCKS - 1,
            settings.stages.len()
        );
    }
    if let Some(bad) = settings
        .stages
        .iter()
        .find(|s| s.radius.is_nan() || s.radius < 0.0)
    {
        candle_core::bail!("an ℓ1 radius must be non-negative, not {}", bad.radius);
    }
    Ok(())
}

/// Stage `stage`: optimises `start`, the features entering block `stage`, inside the ball of
/// `settings.radius` around it.
fn run_stage(
    problem: &Problem,
    start: &Tensor,
    stage: usize,
    settings: Stage,
    progress: &mut dyn FnMut(&Step) -> Control,
) -> Result<(Tensor, Vec<f64>)> {
    let generator = &problem.gan.generator;
    let render = |f: &Tensor| generator.forward_from(stage, f);
    let project = |f: &Tensor| project_around(f, start, settings.radius);
    let mut report = |iteration, identity, prior, f: &Tensor| {
        let deviation = distances(f, start).map_or(f64::NAN, |d| {
            inversa::report::finite::max_propagating_nan(
                std::iter::once(0.0).chain(d.iter().map(|&x| f64::from(x))),
            )
        });
        progress(&Step {
            stage,
            iteration,
            identity_loss: identity,
            prior_loss: prior,
            deviation: Some(deviation),
        })
    };
    problem.descend(start, settings.iterations, &render, &project, &mut report)
}
