//! The sample quality of a Fashion-MNIST generative model (`inversa sample --evaluate`): draw
//! `count` samples, the classes balanced, with the sampler of [`crate::sampling`], and score them
//! with the bundled classifier ([`bundled::classifier`], 89% accurate on the test set):
//!
//! - **class fraction**: the fraction of samples whose most probable class is the class they were
//!   drawn for (overall and per class), the conditional counterpart of the Inception Score's
//!   "is it recognisably something" (Salimans et al., "Improved Techniques for Training GANs",
//!   NeurIPS 2016, arXiv:1606.03498);
//! - **Fréchet distance** of the classifier's penultimate features (128 after the ReLU) between
//!   the samples and real test images ([`inversa::numerics::frechet`]; Heusel et al., NeurIPS 2017,
//!   arXiv:1706.08500, there on Inception features, so these numbers are not FIDs and compare only
//!   with each other): against the 100 bundled test images always, and against the 10,000 test
//!   images of the Debian package `dataset-fashion-mnist` when it is installed (or `data` names
//!   its folder).
//!
//! Samples are clipped to the data's range [−1, 1] before scoring, as the PNG shows them. The
//! Fréchet distance is biased upwards for few vectors, so the report also gives the distance of
//! `count` real images (training images when the full set is present, else none) to the same
//! reference: what a perfect sampler would score at this `count`.

use crate::error::check_memory;
use crate::fashion_inversion::FashionModel;
use crate::sampling::draw;
use crate::{Artifact, Error, Outcome, Result};
use candle_core::{DType, Tensor, D};
use inversa::numerics::frechet::{frechet_distance, Gaussian};
use inversa_learn::data::fashion_mnist::{LabelledImages, Split, DEFAULT_DIR, SIDE};
use inversa_learn::diffusion::standard_normal;
use inversa_learn::models::bundled;
use inversa_learn::models::classifier::Classifier;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::path::PathBuf;

/// Images per network batch (sampling and scoring).
const BATCH: usize = 100;

/// Samples per class in `samples.png` (one row per class).
const SHOWN: usize = 10;

/// Pixels between the images of the grid.
const GAP: usize = 2;

/// What to evaluate; the defaults are the CLI's.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `unet`, `rf` or a weights file of `inversa train diffusion|flow`.
    pub model: String,
    /// Samples in all, spread evenly over the classes.
    pub count: usize,
    pub steps: usize,
    pub guidance: f64,
    pub eta: f64,
    pub seed: u64,
    /// Folder of the full Fashion-MNIST; `None`: the Debian package's, if installed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            model: "unet".into(),
            count: 1000,
            steps: 50,
            guidance: 3.0,
            eta: 0.0,
            seed: 0,
            data: None,
        }
    }
}

/// The scores (`metrics.json`).
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub settings: Settings,
    /// Fraction of samples the classifier assigns to the class they were drawn for.
    pub class_fraction: f64,
    /// The same, per class (index = class).
    pub class_fraction_by_class: Vec<f64>,
    /// Fréchet distance of the classifier's features to the 100 bundled test images.
    pub frechet_bundled_test: f64,
    /// Fréchet distance to the full test set (absent without it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frechet_full_test: Option<f64>,
    /// Fréchet distance of `count` real training images to the full test set: the floor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frechet_full_test_real_floor: Option<f64>,
    /// Images in the full test set (absent without it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_test_images: Option<usize>,
    /// Seconds spent sampling.
    pub sampling_seconds: f64,
}

/// Draws and scores the samples; `say` hears one line per class drawn.
pub fn run(settings: &Settings, say: &mut dyn FnMut(&str)) -> Result<Outcome<Report>> {
    let model = checked_model(settings)?;
    let full = full_test_set(settings)?;
    let classifier = bundled::classifier()?;
    let start = std::time::Instant::now();
    let (samples, classes) = draw_balanced(&model, settings, say)?;
    let sampling_seconds = start.elapsed().as_secs_f64();
    let (predicted, features) = score(&classifier, &samples)?;
    let (class_fraction, class_fraction_by_class) =
        class_fraction(&predicted, &classes, model.classes);
    let generated = fit(&features, classifier.feature_width())?;
    let bundled_test = bundled::test_images()?;
    let reference = fit(
        &set_features(&classifier, &bundled_test, usize::MAX)?,
        classifier.feature_width(),
    )?;
    let mut report = Report {
        settings: settings.clone(),
        class_fraction,
        class_fraction_by_class,
        frechet_bundled_test: frechet_distance(&generated, &reference)?,
        frechet_full_test: None,
        frechet_full_test_real_floor: None,
        full_test_images: None,
        sampling_seconds,
    };
    if let Some((test, train)) = full {
        compare_full(
            &classifier,
            &generated,
            &test,
            &train,
            settings.count,
            &mut report,
        )?;
    }
    let pixels = samples.flatten_all()?.to_vec1::<f32>()?;
    Ok(with_files(report, pixels, &classes, model.classes))
}

/// The model of `settings`, with the count, steps and guidance checked against it.
fn checked_model(settings: &Settings) -> Result<FashionModel> {
    if settings.steps == 0 {
        return Err(Error::setting("steps", "must be at least 1"));
    }
    if !settings.guidance.is_finite() {
        return Err(Error::setting("guidance", "must be a finite number"));
    }
    // The samples, their clipped copy and their features stay in memory; a batch at a time runs.
    check_memory("count", &[settings.count, SIDE, SIDE], 4, 3)?;
    let model = FashionModel::load(&settings.model)?;
    model.check_steps(settings.steps)?;
    if settings.count < 2 * model.classes {
        let message = format!(
            "{} is too few: --evaluate draws at least two samples for each of the {} classes",
            settings.count, model.classes
        );
        return Err(Error::setting("count", message));
    }
    Ok(model)
}

/// The full test set and the training set, from `data` or the Debian package when installed.
fn full_test_set(settings: &Settings) -> Result<Option<(LabelledImages, LabelledImages)>> {
    let dir = match &settings.data {
        Some(dir) => dir.clone(),
        None if std::path::Path::new(DEFAULT_DIR).is_dir() => PathBuf::from(DEFAULT_DIR),
        None => return Ok(None),
    };
    let read = |split| {
        LabelledImages::read_fashion_mnist(&dir, split)
            .map_err(|e| Error::setting("data", e.to_string()))
    };
    Ok(Some((read(Split::Test)?, read(Split::Train)?)))
}

/// `count` samples, `[count, 1, 32, 32]` clipped to [−1, 1], and the class each was drawn for:
/// class `c` gets `count / classes` samples, one more for the first `count % classes` classes.
fn draw_balanced(
    model: &FashionModel,
    settings: &Settings,
    say: &mut dyn FnMut(&str),
) -> Result<(Tensor, Vec<usize>)> {
    let mut parts = Vec::new();
    let mut classes = Vec::with_capacity(settings.count);
    for class in 0..model.classes {
        let n =
            settings.count / model.classes + usize::from(class < settings.count % model.classes);
        // One noise stream per class: a class's samples do not depend on the others' counts.
        let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
        rng.set_stream(class as u64);
        for (chunk, start) in (0..n).step_by(BATCH).enumerate() {
            let size = BATCH.min(n - start);
            let noise = standard_normal(&mut rng, &[size, 1, SIDE, SIDE], DType::F32)?;
            let chunk_settings = crate::sampling::Settings {
                model: settings.model.clone(),
                class: Some(class),
                count: size,
                steps: settings.steps,
                guidance: settings.guidance,
                eta: settings.eta,
                seed: settings.seed ^ ((class as u64) << 32 | chunk as u64),
            };
            parts.push(draw(model, &noise, &chunk_settings)?.clamp(-1f32, 1f32)?);
        }
        classes.extend(std::iter::repeat_n(class, n));
        say(&format!("class {class}: {n} samples drawn"));
    }
    Ok((Tensor::cat(&parts, 0)?, classes))
}

/// The classifier's most probable class and penultimate features (row-major, f64) of `images`.
pub fn score(classifier: &Classifier, images: &Tensor) -> Result<(Vec<usize>, Vec<f64>)> {
    let mut predicted = Vec::new();
    let mut features = Vec::new();
    for start in (0..images.dim(0)?).step_by(BATCH) {
        let size = BATCH.min(images.dim(0)? - start);
        let z = classifier.features(&images.narrow(0, start, size)?)?;
        let logits = classifier.logits_of_features(&z)?;
        let best = logits.argmax(D::Minus1)?.to_vec1::<u32>()?;
        predicted.extend(best.into_iter().map(|c| c as usize));
        features.extend(z.flatten_all()?.to_dtype(DType::F64)?.to_vec1::<f64>()?);
    }
    Ok((predicted, features))
}

/// The fraction of `predicted` equal to `drawn_for`, overall and per class (`classes` of them;
/// a class with no sample scores 0).
pub fn class_fraction(predicted: &[usize], drawn_for: &[usize], classes: usize) -> (f64, Vec<f64>) {
    let mut hits = vec![0usize; classes];
    let mut totals = vec![0usize; classes];
    for (&p, &c) in predicted.iter().zip(drawn_for) {
        if let Some(total) = totals.get_mut(c) {
            *total += 1;
            hits[c] += usize::from(p == c);
        }
    }
    let ratio = |h: usize, t: usize| h as f64 / t.max(1) as f64;
    let by_class = hits
        .iter()
        .zip(&totals)
        .map(|(&h, &t)| ratio(h, t))
        .collect();
    let overall = ratio(hits.iter().sum(), totals.iter().sum());
    (overall, by_class)
}

/// The classifier's features of the first `count` images of `set` (row-major, f64).
fn set_features(classifier: &Classifier, set: &LabelledImages, count: usize) -> Result<Vec<f64>> {
    let all: Vec<usize> = (0..count.min(set.len())).collect();
    let mut features = Vec::new();
    for indices in all.chunks(BATCH * 5) {
        features.extend(score(classifier, &set.batch(indices, SIDE)?)?.1);
    }
    Ok(features)
}

fn fit(features: &[f64], width: usize) -> Result<Gaussian> {
    Ok(Gaussian::fit(features, width)?)
}

/// Fills the report's comparisons with the full test set, and the floor from `count` training
/// images.
fn compare_full(
    classifier: &Classifier,
    generated: &Gaussian,
    test: &LabelledImages,
    train: &LabelledImages,
    count: usize,
    report: &mut Report,
) -> Result<()> {
    let width = classifier.feature_width();
    let reference = fit(&set_features(classifier, test, usize::MAX)?, width)?;
    let floor = fit(&set_features(classifier, train, count)?, width)?;
    report.frechet_full_test = Some(frechet_distance(generated, &reference)?);
    report.frechet_full_test_real_floor = Some(frechet_distance(&floor, &reference)?);
    report.full_test_images = Some(test.len());
    Ok(())
}

/// The report with `samples.npy` (`[count, 32, 32]`, in [0, 1]) and `samples.png` (the first
/// [`SHOWN`] samples of each class, one row per class).
fn with_files(
    report: Report,
    pixels: Vec<f32>,
    classes: &[usize],
    count: usize,
) -> Outcome<Report> {
    let data: Vec<f32> = pixels.iter().map(|v| (v + 1.0) / 2.0).collect();
    let image = SIDE * SIDE;
    let mut shown = Vec::with_capacity(count * SHOWN * image);
    for class in 0..count {
        let first = classes
            .iter()
            .position(|&c| c == class)
            .unwrap_or(classes.len());
        let n = classes[first..].iter().take_while(|&&c| c == class).count();
        for i in 0..SHOWN {
            match (i < n).then(|| &data[(first + i) * image..(first + i + 1) * image]) {
                Some(sample) => shown.extend_from_slice(sample),
                None => shown.extend(std::iter::repeat_n(1.0, image)),
            }
        }
    }
    let (shape, tiled) = inversa::io::image::tile(&shown, (SIDE, SIDE), SHOWN, GAP);
    let array = Artifact::Array {
        shape: vec![classes.len(), SIDE, SIDE],
        data,
    };
    Outcome::new(report).with("samples.npy", array).with(
        "samples.png",
        Artifact::Image {
            shape,
            pixels: tiled,
        },
    )
}
