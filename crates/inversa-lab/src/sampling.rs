//! Drawing Fashion-MNIST images (`inversa sample`) from the bundled diffusion UNet, the bundled
//! rectified-flow UNet (by RF-Solver) or trained weights, with classifier-free guidance; diffusion
//! by DDIM (`eta = 0`) or DDPM-like (`eta = 1`) sampling. Files: `samples.npy` (`[count, 32, 32]`
//! float32, `(x + 1)/2`, so the data's range is [0, 1]; values outside it are kept) and
//! `samples.png` (a near-square grid, clipped). The report is not written as a file: the command
//! prints it.
//!
//! ```
//! use inversa_lab::sampling::{run, Settings};
//!
//! let settings = Settings { class: Some(3), count: 4, steps: 10, ..Settings::default() };
//! let outcome = run(&settings, &mut |_line| {})?;
//! assert_eq!(outcome.report.count, 4);
//! # Ok::<(), inversa_lab::Error>(())
//! ```

use crate::fashion_inversion::{FashionModel, Network};
use crate::{Artifact, Error, Outcome, Result};
use candle_core::{DType, Tensor};
use inversa_learn::data::fashion_mnist::SIDE;
use inversa_learn::diffusion::inversion::rectified_flow::sampling_times;
use inversa_learn::diffusion::inversion::{ddim, rf_solver};
use inversa_learn::diffusion::{standard_normal, Guided};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// Pixels between the images of the grid (white).
const GAP: usize = 2;

/// What to draw; the defaults are the CLI's.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `unet`, `rf` or a weights file of `inversa train diffusion|flow`.
    pub model: String,
    /// The class to draw; `None`: unconditional.
    pub class: Option<usize>,
    pub count: usize,
    pub steps: usize,
    pub guidance: f64,
    /// Stochasticity: 0 is DDIM, 1 DDPM ancestral sampling (diffusion only).
    pub eta: f64,
    /// Seed of the starting noise (and of the sampling noise when `eta > 0`).
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            model: "unet".into(),
            class: None,
            count: 16,
            steps: 50,
            guidance: 3.0,
            eta: 0.0,
            seed: 0,
        }
    }
}

/// What was drawn, and how long it took.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub model: String,
    pub class: Option<usize>,
    pub count: usize,
    pub steps: usize,
    pub guidance: f64,
    pub seconds: f64,
}

/// Draws `settings.count` images; `say` receives nothing (the report says it all).
pub fn run(settings: &Settings, _say: &mut dyn FnMut(&str)) -> Result<Outcome<Report>> {
    let model = checked_model(settings)?;
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
    let noise = standard_normal(&mut rng, &[settings.count, 1, SIDE, SIDE], DType::F32)?;
    let start = std::time::Instant::now();
    let x = draw(&model, &noise, settings)?;
    let seconds = start.elapsed().as_secs_f64();
    let pixels: Vec<f32> = x
        .flatten_all()?
        .to_vec1::<f32>()?
        .into_iter()
        .map(|v| (v + 1.0) / 2.0)
        .collect();
    let report = Report {
        model: settings.model.clone(),
        class: settings.class,
        count: settings.count,
        steps: settings.steps,
        guidance: settings.guidance,
        seconds,
    };
    let (shape, tiled) = tile(&pixels, settings.count);
    let array = Artifact::Array {
        shape: vec![settings.count, SIDE, SIDE],
        data: pixels,
    };
    let grid = Artifact::Image {
        shape,
        pixels: tiled,
    };
    Ok(Outcome::new(report)
        .with("samples.npy", array)
        .with("samples.png", grid))
}

/// The model of `settings`, with the counts, steps and class checked against it.
fn checked_model(settings: &Settings) -> Result<FashionModel> {
    if settings.count == 0 || !settings.guidance.is_finite() {
        let message = "must be at least 1 and --guidance a finite number";
        return Err(Error::setting("count", message));
    }
    if settings.steps == 0 {
        return Err(Error::setting("steps", "must be at least 1"));
    }
    // The whole batch goes through the UNet at once: its activations are about this many
    // image-sized f32 arrays per sample (32 channels at full size, more at the coarser levels).
    const ACTIVATIONS: usize = 256;
    inversa::memory::check_array("count", &[settings.count, SIDE, SIDE], 4, ACTIVATIONS)
        .map_err(|e| Error::at_setting("count", e))?;
    let model = FashionModel::load(&settings.model)?;
    model.check_steps(settings.steps)?;
    if let Some(c) = settings.class.filter(|&c| c >= model.classes) {
        let message = format!("{c}: the model has classes 0 to {}", model.classes - 1);
        return Err(Error::setting("class", message));
    }
    Ok(model)
}

/// Samples from `noise` down to data with the model's sampler.
pub(crate) fn draw(model: &FashionModel, noise: &Tensor, settings: &Settings) -> Result<Tensor> {
    Ok(match &model.network {
        Network::Diffusion(model) => {
            let guided = Guided {
                model,
                scale: settings.guidance,
            };
            let grid = model.schedule.grid(settings.steps)?;
            let (class, eta, seed) = (settings.class, settings.eta, settings.seed);
            ddim::sample(&guided, &grid, noise, class, eta, seed)?
        }
        Network::Flow(model) => {
            let guided = Guided {
                model,
                scale: settings.guidance,
            };
            let times = sampling_times(settings.steps)?;
            rf_solver::integrate(&guided, noise, &times, settings.class)?
        }
    })
}

/// `count` images of `SIDE²` in a near-square grid, separated by white gaps: `[rows·…, cols·…]`.
fn tile(pixels: &[f32], count: usize) -> (Vec<usize>, Vec<f32>) {
    let cols = (1..=count).find(|c| c * c >= count).unwrap_or(1);
    inversa::io::image::tile(pixels, (SIDE, SIDE), cols, GAP)
}
