//! `inversa edit`: inverts a 28×28 grey garment with its class and regenerates it with another.
//! The report scores the edit with the bundled classifier (editability) and against the source
//! (fidelity); files: `edit.png` and `comparison.png` (source, reconstruction with the source
//! class, edit).
//!
//! ```
//! use inversa_lab::fashion_inversion::{self, edit};
//!
//! let common = fashion_inversion::Settings {
//!     method: Some("ddcm".into()),
//!     steps: 5,
//!     ..Default::default()
//! };
//! // Bundled test image 0 is an ankle boot (class 9); turn it into a sneaker (7).
//! let settings = edit::Settings { common, source_class: None, target_class: 7 };
//! let outcome = edit::run(&settings, &mut |_line| {})?;
//! assert!((0.0..=1.0).contains(&outcome.report.target_class_probability));
//! # Ok::<(), inversa_lab::Error>(())
//! ```

use super::{choose, classify, dtype_name, image, row, to_pixels, to_state, IMAGE};
use crate::{Outcome, Result};
use candle_core::Tensor;
use inversa::metrics::{psnr, ssim};
use inversa_learn::data::fashion_mnist::CLASS_NAMES;
use inversa_learn::diffusion::Inverter;
use inversa_learn::models::bundled;
use serde::Serialize;
use std::time::Instant;

/// The settings of one edit.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub common: super::Settings,
    /// The garment's class; `None`: the bundled test image's label.
    pub source_class: Option<usize>,
    /// The class to turn it into.
    pub target_class: usize,
}

/// `metrics.json` (keys in alphabetical order, as the CLI has always written them).
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The classifier's (f32) probabilities, widened to f64 as the CLI has always written them.
    pub class_probabilities: Vec<f64>,
    pub dtype: String,
    pub guidance: f64,
    pub image: String,
    pub method: &'static str,
    pub model: String,
    pub predicted_class: usize,
    #[serde(serialize_with = "inversa::report::finite::decibels")]
    pub psnr_to_source: f64,
    #[serde(serialize_with = "inversa::report::finite::decibels")]
    pub reconstruction_psnr: f64,
    /// The inversion and the edit, not the reconstruction drawn for the figure.
    pub seconds: f64,
    pub source_class: usize,
    pub ssim_to_source: f64,
    pub steps: usize,
    pub target_class: usize,
    pub target_class_probability: f64,
}

/// The edit and the reconstruction of one image, with the seconds the edit took.
pub struct Edited {
    pub edit: Tensor,
    pub reconstruction: Tensor,
    pub seconds: f64,
}

/// Inverts `x0` with `source`, regenerates it with `target` (the edit, timed with the inversion)
/// and then with `source` (the reconstruction).
pub fn edit_image(
    inverter: &dyn Inverter,
    x0: &Tensor,
    source: usize,
    target: usize,
) -> Result<Edited> {
    let start = Instant::now();
    let latent = inverter.invert(x0, source)?;
    let edit = inverter.regenerate(&latent, target)?;
    let seconds = start.elapsed().as_secs_f64();
    Ok(Edited {
        edit,
        reconstruction: inverter.regenerate(&latent, source)?,
        seconds,
    })
}

/// Edits the chosen image; `say` receives the one-line summary.
pub fn run(settings: &Settings, say: &mut dyn FnMut(&str)) -> Result<Outcome<Report>> {
    let chosen = choose(&settings.common)?;
    let model = &chosen.model;
    let source_class = model.class("source_class", settings.source_class, &chosen.source)?;
    let target_class = model.class("target_class", Some(settings.target_class), &chosen.source)?;
    let x0 = to_state(&chosen.source.pixels, settings.common.dtype)?;
    let inverter = model.inverter(chosen.method, &chosen.settings)?;
    let edited = edit_image(inverter.as_ref(), &x0, source_class, target_class)?;
    let edit = to_pixels(&edited.edit)?;
    let reconstruction = to_pixels(&edited.reconstruction)?;
    let source = &chosen.source.pixels;
    let (probabilities, predicted) = classify(&bundled::classifier()?, &edit)?;
    let report = Report {
        target_class_probability: f64::from(probabilities[target_class]),
        class_probabilities: probabilities.into_iter().map(f64::from).collect(),
        dtype: dtype_name(settings.common.dtype),
        guidance: chosen.settings.guidance,
        image: chosen.source.name.clone(),
        method: chosen.method,
        model: settings.common.model.clone(),
        predicted_class: predicted,
        psnr_to_source: psnr(&edit, source, 1.0),
        reconstruction_psnr: psnr(&reconstruction, source, 1.0),
        seconds: edited.seconds,
        source_class,
        ssim_to_source: ssim(&edit, source, &[1, IMAGE, IMAGE], 1.0)?,
        steps: chosen.settings.steps,
        target_class,
    };
    say(&summary(&report));
    Ok(Outcome::new(report)
        .with("edit.png", image(&edit))
        .with("comparison.png", row(&[source, &reconstruction, &edit])))
}

fn summary(r: &Report) -> String {
    let name = |class: usize| CLASS_NAMES[class];
    format!(
        "{} edit of {} from {} to {}: classifier says {} ({:.1}% {}), SSIM to the source {:.3}, {:.1} s",
        r.method,
        r.image,
        name(r.source_class),
        name(r.target_class),
        name(r.predicted_class),
        100.0 * r.target_class_probability,
        name(r.target_class),
        r.ssim_to_source,
        r.seconds
    )
}
