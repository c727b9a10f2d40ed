//! `inversa invert`: inverts a 28×28 grey garment with its class and regenerates it with the same
//! class. Files: `reconstruction.png`, `comparison.png` (source, reconstruction, |error|×10) and
//! `latent.npy` (the noise found; EDICT's and BDIA's pair stacked as `[2, …]`).
//!
//! ```
//! use inversa_lab::fashion_inversion::{self, invert};
//!
//! let common = fashion_inversion::Settings {
//!     method: Some("edict".into()),
//!     steps: 10,
//!     ..Default::default()
//! };
//! let settings = invert::Settings { common, class: None };
//! let outcome = invert::run(&settings, &mut |_line| {})?;
//! assert!(outcome.report.reconstruction_psnr > 40.0);
//! # Ok::<(), inversa_lab::Error>(())
//! ```

use super::{choose, dtype_name, image, latent_array, row, to_pixels, to_state};
use crate::{Outcome, Result};
use inversa::metrics::psnr;
use serde::Serialize;
use std::time::Instant;

/// The settings of one inversion.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub common: super::Settings,
    /// The garment's class; `None`: the bundled test image's label.
    pub class: Option<usize>,
}

/// `metrics.json` (keys in alphabetical order, as the CLI has always written them).
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub class: usize,
    pub dtype: String,
    /// SPDInv's largest fixed-point residual; `null` for the other methods.
    pub fixed_point_residual: Option<f64>,
    pub guidance: f64,
    pub image: String,
    pub method: &'static str,
    pub model: String,
    pub model_calls: usize,
    /// On pixels in [0, 1].
    pub reconstruction_max_abs_error: f64,
    #[serde(serialize_with = "inversa::report::finite::decibels")]
    pub reconstruction_psnr: f64,
    /// Inversion and regeneration.
    pub seconds: f64,
    pub steps: usize,
}

/// Inverts and regenerates the chosen image; `say` receives the one-line summary.
pub fn run(settings: &Settings, say: &mut dyn FnMut(&str)) -> Result<Outcome<Report>> {
    let chosen = choose(&settings.common)?;
    let class = chosen
        .model
        .class("class", settings.class, &chosen.source)?;
    let x0 = to_state(&chosen.source.pixels, settings.common.dtype)?;
    let inverter = chosen.model.inverter(chosen.method, &chosen.settings)?;
    let start = Instant::now();
    let latent = inverter.invert(&x0, class)?;
    let rebuilt = inverter.regenerate(&latent, class)?;
    let calls = inverter.calls();
    let seconds = start.elapsed().as_secs_f64();
    let reconstruction = to_pixels(&rebuilt)?;
    let source = &chosen.source.pixels;
    // NaN when any pixel is NaN: a reconstruction full of NaNs is not a perfect one.
    let max_error = inversa::report::finite::max_propagating_nan(
        reconstruction
            .iter()
            .zip(source)
            .map(|(a, b)| (a - b).abs()),
    );
    let report = Report {
        class,
        dtype: dtype_name(settings.common.dtype),
        fixed_point_residual: latent.fixed_point_residual(),
        guidance: chosen.settings.guidance,
        image: chosen.source.name.clone(),
        method: chosen.method,
        model: settings.common.model.clone(),
        model_calls: calls,
        reconstruction_max_abs_error: max_error,
        reconstruction_psnr: psnr(&reconstruction, source, 1.0),
        seconds,
        steps: chosen.settings.steps,
    };
    say(&summary(&report));
    // |error|×10 makes round-off-sized differences visible.
    let error_map: Vec<f64> = reconstruction
        .iter()
        .zip(source)
        .map(|(p, q)| (p - q).abs() * 10.0)
        .collect();
    Ok(Outcome::new(report)
        .with("reconstruction.png", image(&reconstruction))
        .with(
            "comparison.png",
            row(&[source, &reconstruction, &error_map]),
        )
        .with("latent.npy", latent_array(&latent.tensor()?)?))
}

fn summary(r: &Report) -> String {
    format!(
        "{} inversion of {} (class {}), {} steps, guidance {}: reconstruction {:.2} dB, max |error| {:.2e}, {} model calls in {:.1} s",
        r.method, r.image, r.class, r.steps, r.guidance, r.reconstruction_psnr,
        r.reconstruction_max_abs_error, r.model_calls, r.seconds
    )
}
