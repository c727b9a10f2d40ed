//! Model inversion of a classifier of private Fashion-MNIST classes with a GAN trained on the
//! public classes as the prior (`inversa attack model`): GMI (Zhang et al., "The Secret Revealer",
//! CVPR 2020) searches the generator's latent space, IF-GMI (Qiu et al., "A Closer Look at GAN
//! Priors: Exploiting Intermediate Features for Enhanced Model Inversion Attacks", ECCV 2024) then
//! refines the very latents GMI found, with the same seed, through the generator's intermediate
//! features, so the two accuracies compare the methods directly. Each class's reconstructions are
//! scored by a separate evaluation classifier (the attack accuracy) and by the target itself;
//! `reconstruction.png` shows one row per class: the reconstructions, a white tile, then real
//! private test images of the class.
//!
//! ```no_run
//! use inversa_lab::model_inversion::{run, Settings};
//!
//! let settings = Settings { class: Some(1), ..Settings::default() };
//! let outcome = run(&settings, &mut |_progress| inversa::Control::Continue)?;
//! println!("attack accuracy {:.2}", outcome.report.attack_accuracy);
//! # Ok::<(), inversa_lab::Error>(())
//! ```

use crate::error::check_memory;
use crate::outcome::{Artifact, Outcome};
use crate::{Error, Result};
use candle_core::Tensor;
use inversa::Control;
use inversa_learn::attacks::gmi::{self, attack_accuracy, Inversion, Step};
use inversa_learn::attacks::if_gmi;
use inversa_learn::data::fashion_mnist::CLASS_NAMES;
use inversa_learn::models::bundled;
use inversa_learn::models::classifier::Classifier;
use inversa_learn::models::gan::{self, Gan, BLOCKS};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

/// The attack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// GMI: search the generator's latent space.
    Gmi,
    /// IF-GMI: GMI, then the generator's intermediate features inside ℓ1 balls.
    IfGmi,
}

impl Method {
    /// The name in `metrics.json` and in the CLI's `--method`.
    pub fn name(self) -> &'static str {
        match self {
            Method::Gmi => "gmi",
            Method::IfGmi => "if-gmi",
        }
    }
}

/// The protocol's settings; the defaults are the CLI's (the bundled models, every class).
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub method: Method,
    /// The private class to rebuild; `None`: every class of the target.
    pub class: Option<usize>,
    /// The latent search and, for IF-GMI, its intermediate stages.
    pub attack: if_gmi::Settings,
    /// Seed of the starting latents.
    pub seed: u64,
    /// GAN weights; `None`: the bundled GAN of classes 5–9.
    pub gan: Option<PathBuf>,
    /// Target classifier weights; `None`: the bundled target of classes 0–4.
    pub target: Option<PathBuf>,
    /// Evaluation classifier weights; `None`: the bundled evaluation classifier of classes 0–4.
    pub evaluation: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            method: Method::IfGmi,
            class: None,
            attack: if_gmi::Settings::default(),
            seed: 0,
            gan: None,
            target: None,
            evaluation: None,
        }
    }
}

/// Most random starts per class: they are optimised as one batch.
const MOST_RESTARTS: usize = 256;

/// Real private images shown beside each row of reconstructions.
const REAL_SHOWN: usize = 4;

/// `metrics.json`; the keys in alphabetical order, as the CLI has always written them.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Mean over the classes of the evaluation classifier's accuracy on the reconstructions.
    pub attack_accuracy: f64,
    pub classes: Vec<ClassReport>,
    /// Where the evaluation classifier came from: `bundled` or its file.
    pub evaluation: String,
    pub gan: String,
    /// The attack accuracy after the latent search alone (GMI's result, IF-GMI's start).
    pub gmi_stage_attack_accuracy: f64,
    pub iterations: usize,
    pub learning_rate: f64,
    pub method: &'static str,
    pub prior_weight: f64,
    pub restarts: usize,
    pub seconds: f64,
    pub seed: u64,
    /// IF-GMI's stages; empty for GMI.
    pub stages: Vec<if_gmi::Stage>,
    pub target: String,
    /// Mean over the classes of the target's own accuracy on the reconstructions.
    pub target_accuracy: f64,
}

/// One class's scores; the keys in alphabetical order.
#[derive(Clone, Debug, Serialize)]
pub struct ClassReport {
    pub attack_accuracy: f64,
    pub class: usize,
    pub final_identity_loss: Option<f64>,
    pub gmi_stage_attack_accuracy: f64,
    /// The Fashion-MNIST class name.
    pub name: Option<&'static str>,
    pub target_accuracy: f64,
}

/// One step of the attack on one class.
pub struct Progress<'a> {
    pub class: usize,
    pub step: &'a Step,
    /// Steps of the whole run, over all classes and stages.
    pub total: usize,
}

/// The GAN and the two classifiers.
struct Models {
    gan: Gan,
    target: Classifier,
    evaluation: Classifier,
}

/// Runs the attack on each class; `progress` after every step, which may stop the attack there
/// (the classes attacked so far are reported).
pub fn run(
    settings: &Settings,
    progress: &mut dyn FnMut(&Progress) -> Control,
) -> Result<Outcome<Report>> {
    check(&settings.attack)?;
    let models = load_models(settings)?;
    let classes = classes(settings, models.target.config().classes)?;
    let stages = match settings.method {
        Method::Gmi => Vec::new(),
        Method::IfGmi => settings.attack.stages.clone(),
    };
    let per_class =
        settings.attack.gmi.iterations + stages.iter().map(|s| s.iterations).sum::<usize>();
    let total = per_class * classes.len();
    let started = Instant::now();
    let mut results = Vec::new();
    for &class in &classes {
        let mut stopped = false;
        let mut report = |step: &Step| {
            let control = progress(&Progress { class, step, total });
            stopped |= control == Control::Stop;
            control
        };
        results.push(attack_class(settings, &models, class, &mut report)?);
        if stopped {
            break;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let picture = picture(&results)?;
    let report = report(settings, results, stages, seconds);
    Ok(Outcome::new(report).with("reconstruction.png", picture))
}

/// The attack's settings checked, each naming its CLI flag.
fn check(attack: &if_gmi::Settings) -> Result<()> {
    let g = &attack.gmi;
    if g.restarts == 0 || g.restarts > MOST_RESTARTS {
        let message = format!("must be in 1..={MOST_RESTARTS}, not {}", g.restarts);
        return Err(Error::setting("restarts", message));
    }
    if g.iterations == 0 {
        return Err(Error::setting("iterations", "must be at least 1"));
    }
    // The loss history keeps one value per iteration of each stage.
    check_memory("iterations", &[g.iterations], 8, BLOCKS)?;
    if !(g.learning_rate > 0.0 && g.learning_rate.is_finite()) {
        let message = format!("must be positive, not {}", g.learning_rate);
        return Err(Error::setting("lr", message));
    }
    if !(g.prior_weight >= 0.0 && g.prior_weight.is_finite()) {
        let message = format!("must be non-negative, not {}", g.prior_weight);
        return Err(Error::setting("prior_weight", message));
    }
    let counts: Vec<usize> = attack.stages.iter().map(|s| s.iterations).collect();
    // Each stage optimises the features after one generator block, and the last block's output
    // is the image itself.
    if counts.is_empty() || counts.len() >= BLOCKS || counts.contains(&0) {
        let message = format!(
            "takes 1 to {} positive step counts, not {counts:?}",
            BLOCKS - 1
        );
        return Err(Error::setting("stages", message));
    }
    if let Some(s) = attack
        .stages
        .iter()
        .find(|s| !(s.radius >= 0.0 && s.radius.is_finite()))
    {
        let message = format!("must be non-negative, not {}", s.radius);
        return Err(Error::setting("radius", message));
    }
    Ok(())
}

/// The bundled models or the settings' files, the classifiers checked to agree.
fn load_models(settings: &Settings) -> Result<Models> {
    let classifier = |path: &Option<PathBuf>, bundled: fn() -> inversa::Result<Classifier>| {
        path.as_deref().map_or_else(bundled, Classifier::load)
    };
    let models = Models {
        gan: settings
            .gan
            .as_deref()
            .map_or_else(bundled::inversion_gan, Gan::load)?,
        target: classifier(&settings.target, bundled::private_target)?,
        evaluation: classifier(&settings.evaluation, bundled::private_evaluation)?,
    };
    let (t, e) = (models.target.config(), models.evaluation.config());
    if t.classes != e.classes {
        let message = format!("has {} classes but --target has {}", e.classes, t.classes);
        return Err(Error::setting("evaluation", message));
    }
    Ok(models)
}

/// The classes to attack among the target's `count`.
fn classes(settings: &Settings, count: usize) -> Result<Vec<usize>> {
    match settings.class {
        None => Ok((0..count).collect()),
        Some(c) if c < count => Ok(vec![c]),
        Some(c) => {
            let message = format!(
                "must be a private class 0–{} or `all`, not {:?}",
                count - 1,
                c.to_string()
            );
            Err(Error::setting("class", message))
        }
    }
}

/// One class's reconstructions and scores.
struct ClassResult {
    images: Tensor,
    scores: ClassReport,
}

/// GMI on `class`, then IF-GMI's stages when asked, scored after each.
fn attack_class(
    settings: &Settings,
    models: &Models,
    class: usize,
    progress: &mut dyn FnMut(&Step) -> Control,
) -> Result<ClassResult> {
    let Models {
        gan,
        target,
        evaluation,
    } = models;
    let attack = &settings.attack;
    let found = gmi::invert(gan, target, class, attack.gmi, settings.seed, progress)?;
    let gmi_stage_attack_accuracy = attack_accuracy(evaluation, &found.images, class)?;
    let found: Inversion = match settings.method {
        Method::Gmi => found,
        Method::IfGmi => if_gmi::refine(gan, target, class, attack, &found, progress)?,
    };
    let scores = ClassReport {
        attack_accuracy: attack_accuracy(evaluation, &found.images, class)?,
        class,
        final_identity_loss: found.identity_loss.last().copied(),
        gmi_stage_attack_accuracy,
        name: CLASS_NAMES.get(class).copied(),
        target_accuracy: attack_accuracy(target, &found.images, class)?,
    };
    Ok(ClassResult {
        images: found.images,
        scores,
    })
}

fn report(
    settings: &Settings,
    results: Vec<ClassResult>,
    stages: Vec<if_gmi::Stage>,
    seconds: f64,
) -> Report {
    let classes: Vec<ClassReport> = results.into_iter().map(|r| r.scores).collect();
    let mean = |f: fn(&ClassReport) -> f64| {
        classes.iter().map(f).sum::<f64>() / classes.len().max(1) as f64
    };
    let source = |p: &Option<PathBuf>| {
        p.as_ref()
            .map_or("bundled".into(), |p| p.display().to_string())
    };
    let g = settings.attack.gmi;
    Report {
        attack_accuracy: mean(|r| r.attack_accuracy),
        evaluation: source(&settings.evaluation),
        gan: source(&settings.gan),
        gmi_stage_attack_accuracy: mean(|r| r.gmi_stage_attack_accuracy),
        iterations: g.iterations,
        learning_rate: g.learning_rate,
        method: settings.method.name(),
        prior_weight: g.prior_weight,
        restarts: g.restarts,
        seconds,
        seed: settings.seed,
        stages,
        target: source(&settings.target),
        target_accuracy: mean(|r| r.target_accuracy),
        classes,
    }
}

/// One row per class: its reconstructions, a white tile, then up to [`REAL_SHOWN`] real test
/// images of the class from the bundled set.
fn picture(results: &[ClassResult]) -> Result<Artifact> {
    let test = bundled::test_images()?;
    let restarts = results.first().map_or(0, |r| r.images.dim(0).unwrap_or(0));
    let mut rows = Vec::new();
    for r in results {
        let class = r.scores.class;
        let real: Vec<usize> = (0..test.len())
            .filter(|&i| usize::from(test.labels()[i]) == class)
            .take(REAL_SHOWN)
            .collect();
        let white = Tensor::ones((1, 1, 28, 28), candle_core::DType::F32, r.images.device())?;
        let mut row = vec![r.images.clone(), white.clone(), test.batch(&real, 28)?];
        // Classes with fewer real images than shown are padded with white tiles.
        row.extend((real.len()..REAL_SHOWN).map(|_| white.clone()));
        rows.push(Tensor::cat(&row, 0)?);
    }
    let (shape, pixels) = gan::tile(&Tensor::cat(&rows, 0)?, restarts + 1 + REAL_SHOWN, 2)?;
    Ok(Artifact::Image { shape, pixels })
}
