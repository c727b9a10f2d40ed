//! `inversa attack model`: model inversion of a classifier of private Fashion-MNIST classes
//! (GMI or IF-GMI, [`inversa_learn::attacks::gmi`], [`inversa_learn::attacks::if_gmi`]) with a
//! GAN trained on the public classes as the prior; the bundled models by default (`--gan`,
//! `--target`, `--evaluation` take weights files instead). Writes `reconstruction.png` (one row per
//! attacked class: the reconstructions, a white tile, then real private test images of the class)
//! and `metrics.json` (attack accuracy by the evaluation classifier, target accuracy, the attack
//! accuracy after the latent search alone, seconds, settings) to `--out`. IF-GMI refines the very
//! latents GMI found with the same seed, so the two accuracies compare the methods directly.

use crate::failure::{bad, failed, Failure};
use anyhow::anyhow;
use candle_core::Tensor;
use clap::{Args, ValueEnum};
use inversa::io::png_image::write_png_u8;
use inversa_learn::attacks::gmi::{self, attack_accuracy, Inversion, Step};
use inversa_learn::attacks::if_gmi::{self, Stage};
use inversa_learn::data::fashion_mnist::CLASS_NAMES;
use inversa_learn::models::bundled;
use inversa_learn::models::classifier::Classifier;
use inversa_learn::models::gan::Gan;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Method {
    /// GMI: search the generator's latent space.
    Gmi,
    /// IF-GMI: GMI, then the generator's intermediate features inside ℓ1 balls.
    IfGmi,
}

/// Real private images shown beside each row of reconstructions.
const REAL_SHOWN: usize = 4;

#[derive(Args)]
pub struct ModelArgs {
    /// The attack.
    #[arg(long, value_enum, default_value = "if-gmi")]
    method: Method,
    /// The private class to rebuild (0–4 for the bundled target), or `all`.
    #[arg(long, default_value = "all")]
    class: String,
    /// Random starts per class.
    #[arg(long)]
    restarts: Option<usize>,
    /// Adam steps of the latent search (GMI, and IF-GMI's first stage).
    #[arg(long)]
    iterations: Option<usize>,
    /// Adam's learning rate.
    #[arg(long)]
    lr: Option<f64>,
    /// λ_prior, the weight of the discriminator's realism loss.
    #[arg(long)]
    prior_weight: Option<f64>,
    /// IF-GMI: Adam steps of each intermediate stage, comma-separated (one stage per value,
    /// on the features after generator blocks 0, 1, …).
    #[arg(long, value_delimiter = ',')]
    stages: Option<Vec<usize>>,
    /// IF-GMI: the ℓ1 radius of each stage (one value for all, or one per stage).
    #[arg(long, value_delimiter = ',')]
    radius: Option<Vec<f64>>,
    /// Seed of the starting latents.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// GAN weights (`inversa train gan`) [the bundled GAN of classes 5–9].
    #[arg(long)]
    gan: Option<PathBuf>,
    /// Target classifier weights [the bundled target of classes 0–4].
    #[arg(long)]
    target: Option<PathBuf>,
    /// Evaluation classifier weights [the bundled evaluation classifier of classes 0–4].
    #[arg(long)]
    evaluation: Option<PathBuf>,
    /// Folder for reconstruction.png and metrics.json (created if missing).
    #[arg(long, default_value = "attack-model")]
    out: PathBuf,
}

/// The GAN and the two classifiers, bundled or from the flags' files.
struct Models {
    gan: Gan,
    target: Classifier,
    evaluation: Classifier,
}

fn load_models(args: &ModelArgs) -> Result<Models, Failure> {
    let classifier = |path: &Option<PathBuf>, bundled: fn() -> inversa::Result<Classifier>| {
        path.as_deref().map_or_else(bundled, Classifier::load)
    };
    let models = Models {
        gan: args
            .gan
            .as_deref()
            .map_or_else(bundled::inversion_gan, Gan::load)?,
        target: classifier(&args.target, bundled::private_target)?,
        evaluation: classifier(&args.evaluation, bundled::private_evaluation)?,
    };
    let (t, e) = (models.target.config(), models.evaluation.config());
    if t.classes != e.classes {
        return Err(bad(format!(
            "--evaluation has {} classes but --target has {}",
            e.classes, t.classes
        )));
    }
    Ok(models)
}

/// The attack's settings from the flags over the library defaults.
fn settings(args: &ModelArgs) -> Result<if_gmi::Settings, Failure> {
    let mut s = if_gmi::Settings::default();
    let g = &mut s.gmi;
    g.restarts = args.restarts.unwrap_or(g.restarts);
    g.iterations = args.iterations.unwrap_or(g.iterations);
    g.learning_rate = args.lr.unwrap_or(g.learning_rate);
    g.prior_weight = args.prior_weight.unwrap_or(g.prior_weight);
    if g.restarts == 0 || g.restarts > 256 {
        return Err(bad(format!(
            "--restarts must be in 1..=256, not {}",
            g.restarts
        )));
    }
    if g.iterations == 0 {
        return Err(bad("--iterations must be at least 1"));
    }
    if !(g.learning_rate > 0.0 && g.learning_rate.is_finite()) {
        return Err(bad(format!(
            "--lr must be positive, not {}",
            g.learning_rate
        )));
    }
    if !(g.prior_weight >= 0.0 && g.prior_weight.is_finite()) {
        return Err(bad(format!(
            "--prior-weight must be non-negative, not {}",
            g.prior_weight
        )));
    }
    s.stages = stages(args, &s.stages)?;
    Ok(s)
}

/// IF-GMI's stages from `--stages` and `--radius` (each defaulting to `defaults`).
fn stages(args: &ModelArgs, defaults: &[Stage]) -> Result<Vec<Stage>, Failure> {
    if args.method == Method::Gmi && (args.stages.is_some() || args.radius.is_some()) {
        return Err(bad("--stages and --radius apply to --method if-gmi"));
    }
    let iterations = args
        .stages
        .clone()
        .unwrap_or_else(|| defaults.iter().map(|s| s.iterations).collect());
    let count = iterations.len();
    if count == 0 || count >= inversa_learn::models::gan::BLOCKS || iterations.contains(&0) {
        return Err(bad(format!(
            "--stages takes 1 to {} positive step counts, not {iterations:?}",
            inversa_learn::models::gan::BLOCKS - 1
        )));
    }
    let radii = match &args.radius {
        Some(r) if r.len() == 1 => vec![r[0]; count],
        Some(r) if r.len() == count => r.clone(),
        Some(r) => {
            return Err(bad(format!(
                "--radius takes one value or one per stage ({count}), not {}",
                r.len()
            )))
        }
        None if args.stages.is_none() => defaults.iter().map(|s| s.radius).collect(),
        None => vec![defaults[0].radius; count],
    };
    if let Some(r) = radii.iter().find(|r| !(**r >= 0.0 && r.is_finite())) {
        return Err(bad(format!("--radius must be non-negative, not {r}")));
    }
    Ok(iterations
        .into_iter()
        .zip(radii)
        .map(|(iterations, radius)| Stage { iterations, radius })
        .collect())
}

/// The classes `--class` names.
fn classes(args: &ModelArgs, count: usize) -> Result<Vec<usize>, Failure> {
    if args.class == "all" {
        return Ok((0..count).collect());
    }
    match args.class.parse::<usize>() {
        Ok(c) if c < count => Ok(vec![c]),
        _ => Err(bad(format!(
            "--class must be a private class 0–{} or `all`, not {:?}",
            count - 1,
            args.class
        ))),
    }
}

/// Runs the command.
pub fn run(args: ModelArgs) -> Result<(), Failure> {
    let settings = settings(&args)?;
    let models = load_models(&args)?;
    let classes = classes(&args, models.target.config().classes)?;
    let per_class = settings.gmi.iterations
        + match args.method {
            Method::Gmi => 0,
            Method::IfGmi => settings.stages.iter().map(|s| s.iterations).sum(),
        };
    let bar = crate::progress::counter((per_class * classes.len()) as u64, "model inversion");
    let started = Instant::now();
    let mut results = Vec::new();
    for (done, &class) in classes.iter().enumerate() {
        let mut report = |step: &Step| {
            bar.inc(1);
            if step.iteration % 10 == 0 {
                bar.set_message(format!(
                    "class {class} stage {}: identity loss {:.3}",
                    step.stage, step.identity_loss
                ));
            }
        };
        let (gan, target) = (&models.gan, &models.target);
        let found = gmi::invert(gan, target, class, settings.gmi, args.seed, &mut report)
            .map_err(failed)?;
        let gmi_stage =
            attack_accuracy(&models.evaluation, &found.images, class).map_err(failed)?;
        let found = match args.method {
            Method::Gmi => found,
            Method::IfGmi => if_gmi::refine(gan, target, class, &settings, &found, &mut report)
                .map_err(failed)?,
        };
        results.push(score(&models, class, found, gmi_stage).map_err(failed)?);
        bar.set_position((per_class * (done + 1)) as u64);
    }
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    write_outputs(&args, &settings, &results, seconds)
}

/// One class's reconstructions and scores.
struct ClassResult {
    class: usize,
    images: Tensor,
    attack_accuracy: f64,
    target_accuracy: f64,
    /// The attack accuracy after the latent search (GMI's result, IF-GMI's starting point).
    gmi_stage_accuracy: f64,
    final_identity_loss: Option<f64>,
}

fn score(
    models: &Models,
    class: usize,
    found: Inversion,
    gmi_stage_accuracy: f64,
) -> candle_core::Result<ClassResult> {
    Ok(ClassResult {
        class,
        gmi_stage_accuracy,
        attack_accuracy: attack_accuracy(&models.evaluation, &found.images, class)?,
        target_accuracy: attack_accuracy(&models.target, &found.images, class)?,
        final_identity_loss: found.identity_loss.last().copied(),
        images: found.images,
    })
}

fn write_outputs(
    args: &ModelArgs,
    settings: &if_gmi::Settings,
    results: &[ClassResult],
    seconds: f64,
) -> Result<(), Failure> {
    let io = |e: inversa::Error| Failure::BadInput(anyhow!(e));
    std::fs::create_dir_all(&args.out)
        .map_err(|e| bad(format!("cannot create {}: {e}", args.out.display())))?;
    let (shape, picture) = picture(results).map_err(Failure::Reconstruction)?;
    write_png_u8(&args.out.join("reconstruction.png"), &shape, &picture).map_err(io)?;
    let mean = |f: fn(&ClassResult) -> f64| {
        results.iter().map(f).sum::<f64>() / results.len().max(1) as f64
    };
    let (attack, target) = (mean(|r| r.attack_accuracy), mean(|r| r.target_accuracy));
    let per_class: Vec<_> = results
        .iter()
        .map(|r| {
            serde_json::json!({
                "class": r.class,
                "name": CLASS_NAMES.get(r.class),
                "attack_accuracy": r.attack_accuracy,
                "target_accuracy": r.target_accuracy,
                "gmi_stage_attack_accuracy": r.gmi_stage_accuracy,
                "final_identity_loss": r.final_identity_loss,
            })
        })
        .collect();
    let g = settings.gmi;
    let stages: Vec<_> = match args.method {
        Method::Gmi => Vec::new(),
        Method::IfGmi => settings
            .stages
            .iter()
            .map(|s| serde_json::json!({"iterations": s.iterations, "radius": s.radius}))
            .collect(),
    };
    let source = |p: &Option<PathBuf>| {
        p.as_ref()
            .map_or("bundled".into(), |p| p.display().to_string())
    };
    let metrics = serde_json::json!({
        "method": method_name(args.method),
        "attack_accuracy": attack,
        "target_accuracy": target,
        "gmi_stage_attack_accuracy": mean(|r| r.gmi_stage_accuracy),
        "classes": per_class,
        "seconds": seconds,
        "seed": args.seed,
        "restarts": g.restarts,
        "iterations": g.iterations,
        "learning_rate": g.learning_rate,
        "prior_weight": g.prior_weight,
        "stages": stages,
        "gan": source(&args.gan),
        "target": source(&args.target),
        "evaluation": source(&args.evaluation),
    });
    let text = serde_json::to_string_pretty(&metrics).map_err(bad)? + "\n";
    inversa::io::write_atomically(&args.out.join("metrics.json"), text.as_bytes()).map_err(io)?;
    say!(
        "{} on {} class(es): attack accuracy {:.1}% (evaluation classifier), target accuracy {:.1}%, {seconds:.1} s; wrote reconstruction.png and metrics.json to {}/",
        method_name(args.method),
        results.len(),
        100.0 * attack,
        100.0 * target,
        args.out.display()
    );
    Ok(())
}

/// One row per class: its reconstructions, a white tile, then up to [`REAL_SHOWN`] real test
/// images of the class from the bundled set.
fn picture(results: &[ClassResult]) -> anyhow::Result<(Vec<usize>, Vec<f32>)> {
    let test = bundled::test_images()?;
    let restarts = results.first().map_or(0, |r| r.images.dim(0).unwrap_or(0));
    let mut rows = Vec::new();
    for r in results {
        let real: Vec<usize> = (0..test.len())
            .filter(|&i| usize::from(test.labels()[i]) == r.class)
            .take(REAL_SHOWN)
            .collect();
        let white = Tensor::ones((1, 1, 28, 28), candle_core::DType::F32, r.images.device())?;
        let mut row = vec![r.images.clone(), white.clone(), test.batch(&real, 28)?];
        // Classes with fewer real images than shown are padded with white tiles.
        row.extend((real.len()..REAL_SHOWN).map(|_| white.clone()));
        rows.push(Tensor::cat(&row, 0)?);
    }
    Ok(tile(&Tensor::cat(&rows, 0)?, restarts + 1 + REAL_SHOWN)?)
}

/// Images `[B, 1, H, W]` in `[−1, 1]` laid out `columns` to a row with 2-pixel white gaps: a grey
/// picture `[1, height, width]` in `[0, 1]` (the last row padded with white).
pub(crate) fn tile(images: &Tensor, columns: usize) -> candle_core::Result<(Vec<usize>, Vec<f32>)> {
    let (_, _, h, w) = images.dims4()?;
    let values = images
        .affine(0.5, 0.5)?
        .clamp(0f32, 1f32)?
        .flatten_all()?
        .to_vec1::<f32>()?;
    Ok(inversa::io::image::tile(&values, (h, w), columns, 2))
}

fn method_name(method: Method) -> &'static str {
    match method {
        Method::Gmi => "gmi",
        Method::IfGmi => "if-gmi",
    }
}
