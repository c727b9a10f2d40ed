//! The flags `inversa invert` and `inversa edit` share: the model (`--model unet|rf|PATH`), the
//! source image (`--image x.png`, or `--test-image N` of the bundled Fashion-MNIST test images),
//! the method and the sampling. They become [`inversa_lab::fashion_inversion::Settings`].

use crate::failure::{bad, Failure};
use candle_core::DType;
use clap::Args;
use inversa_lab::fashion_inversion::{Picture, Settings};
use std::path::PathBuf;

/// The flags of `invert` and `edit` that pick the model, the image and the method.
#[derive(Args)]
pub struct InversionFlags {
    /// The model: `unet` (the bundled class-conditional diffusion UNet), `rf` (the bundled
    /// rectified-flow UNet), or a weights file written by `inversa train diffusion|flow`.
    #[arg(long, default_value = "unet")]
    model: String,
    /// Inversion method: ddim, edict, bdia, null-text, spdinv, ddcm (diffusion); euler,
    /// rf-solver (rectified flow) [ddim, or rf-solver with --model rf].
    #[arg(long)]
    method: Option<String>,
    /// A 28×28 grey PNG (a Fashion-MNIST-like garment, white on black).
    #[arg(long, conflicts_with = "test_image")]
    image: Option<PathBuf>,
    /// One of the 100 bundled Fashion-MNIST test images, by index (used when --image is not
    /// given) [0].
    #[arg(long)]
    test_image: Option<usize>,
    /// Sampling steps (flow: steps of the solver; RF-Solver calls the model twice per step).
    #[arg(long, default_value_t = 50)]
    steps: usize,
    /// Classifier-free guidance scale (1: the conditional model alone).
    #[arg(long, default_value_t = 3.0)]
    guidance: f64,
    /// Arithmetic of the states: f32 or f64 (the network itself runs in f32).
    #[arg(long, default_value = "f32", value_parser = ["f32", "f64"])]
    dtype: String,
    /// Seed of DDCM's noise (only DDCM draws noise) [0].
    #[arg(long)]
    seed: Option<u64>,
    /// Folder for the outputs (created if missing).
    #[arg(long)]
    pub out: PathBuf,
}

impl InversionFlags {
    /// The paths read: the source image and the model's weights.
    pub fn inputs(&self) -> [(&'static str, Option<&std::path::Path>); 2] {
        [
            ("--image", self.image.as_deref()),
            ("--model", crate::outputs::model_file(&self.model)),
        ]
    }

    /// The protocol's settings; `--seed` with a method that draws no noise is refused rather than
    /// ignored.
    pub fn settings(&self) -> Result<Settings, Failure> {
        if self.seed.is_some() && self.method.as_deref() != Some("ddcm") {
            return Err(bad(format!(
                "--seed: only --method ddcm draws noise; {} is deterministic",
                self.method.as_deref().unwrap_or("the default method")
            )));
        }
        Ok(Settings {
            model: self.model.clone(),
            method: self.method.clone(),
            image: match &self.image {
                Some(path) => Picture::Png(path.clone()),
                None => Picture::Bundled(self.test_image.unwrap_or(0)),
            },
            steps: self.steps,
            guidance: self.guidance,
            dtype: if self.dtype == "f64" {
                DType::F64
            } else {
                DType::F32
            },
            seed: self.seed.unwrap_or(0),
        })
    }
}
