//! What `inversa invert` and `inversa edit` share: the model (`--model unet|rf|PATH`), the source
//! image (`--image x.png`, or `--test-image N` of the bundled Fashion-MNIST test images), the
//! method flags, and the conversions between 28×28 pixels in [0, 1] and the networks' 32×32
//! states in [−1, 1].

use crate::failure::{bad, failed, Failure};
use anyhow::anyhow;
use candle_core::{DType, Device, Tensor};
use clap::Args;
use inversa::io::{read_png, write_png_u8};
use inversa_learn::data::fashion_mnist::{CLASS_NAMES, SIDE};
use inversa_learn::diffusion::editing::{Counting, DiffusionMethod, FlowMethod, Settings};
use inversa_learn::diffusion::{DiffusionError, Grid, Parameterised};
use inversa_learn::models::bundled;
use inversa_learn::models::unet::{FlowUnet, Objective, Unet};
use std::path::{Path, PathBuf};

/// The side of a Fashion-MNIST image.
pub const IMAGE: usize = 28;

/// Pixels of padding on each side of the 28×28 image in the 32×32 state.
const PAD: usize = (SIDE - IMAGE) / 2;

/// Each pixel of the comparison figures is drawn as a block of this side.
const ZOOM: usize = 4;

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
    /// Seed of DDCM's noise.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Folder for the outputs (created if missing).
    #[arg(long)]
    pub out: PathBuf,
}

/// A loaded model, counting its network calls, with the method chosen for its kind.
pub enum Model {
    Diffusion {
        model: Counting<Parameterised<Unet>>,
        grid: Grid,
        method: DiffusionMethod,
    },
    Flow {
        model: Counting<FlowUnet>,
        method: FlowMethod,
    },
}

impl Model {
    pub fn method_name(&self) -> &'static str {
        match self {
            Model::Diffusion { method, .. } => method.name(),
            Model::Flow { method, .. } => method.name(),
        }
    }

    /// Network calls so far.
    pub fn calls(&self) -> usize {
        match self {
            Model::Diffusion { model, .. } => model.calls(),
            Model::Flow { model, .. } => model.calls(),
        }
    }
}

/// Everything the flags chose, checked.
pub struct Chosen {
    pub model: Model,
    pub model_name: String,
    pub settings: Settings,
    pub dtype: DType,
    pub classes: usize,
    pub source: Source,
}

/// The image to invert, its pixels in [0, 1] (28×28, row-major).
pub struct Source {
    pub pixels: Vec<f64>,
    /// Where it came from, for messages and the metrics.
    pub name: String,
    /// The bundled test image's label.
    pub label: Option<usize>,
}

pub fn diffusion_failure(e: DiffusionError) -> Failure {
    match e {
        DiffusionError::Input(e) => Failure::BadInput(e.into()),
        DiffusionError::Network(e) => Failure::Reconstruction(e.into()),
    }
}

/// Reads and checks the flags.
pub fn choose(flags: &InversionFlags) -> Result<Chosen, Failure> {
    if flags.steps == 0 {
        return Err(bad("--steps must be at least 1"));
    }
    if !flags.guidance.is_finite() {
        return Err(bad(format!(
            "--guidance {} is not a finite number",
            flags.guidance
        )));
    }
    let (model, classes) = load_model(&flags.model, flags.method.as_deref(), flags.steps)?;
    let settings = Settings {
        steps: flags.steps,
        guidance: flags.guidance,
        seed: flags.seed,
        ..Settings::default()
    };
    Ok(Chosen {
        model,
        model_name: flags.model.clone(),
        settings,
        dtype: if flags.dtype == "f64" {
            DType::F64
        } else {
            DType::F32
        },
        classes,
        source: source(flags)?,
    })
}

/// The model `name` (`unet`, `rf` or a weights path) with the method `method` (its kind's
/// default when `None`) on a grid of `steps`, and the model's number of classes.
pub fn load_model(
    name: &str,
    method: Option<&str>,
    steps: usize,
) -> Result<(Model, usize), Failure> {
    let net = match name {
        "unet" => bundled::diffusion_unet()?,
        "rf" => bundled::flow_unet()?,
        path => Unet::load(Path::new(path)).map_err(|e| {
            Failure::BadInput(anyhow!(e).context(format!(
                "--model {path}: expected unet, rf, or a weights file of `inversa train diffusion|flow`"
            )))
        })?,
    };
    let config = net.config();
    let model = match config.objective {
        Objective::Epsilon => {
            if steps > config.timesteps {
                return Err(bad(format!("--steps must be at most {}", config.timesteps)));
            }
            let name = method.unwrap_or("ddim");
            let method = DiffusionMethod::from_name(name).ok_or_else(|| {
                bad(format!(
                    "--method {name}: the diffusion model takes ddim, edict, bdia, null-text, spdinv or ddcm{}",
                    flow_hint(name)
                ))
            })?;
            let model = net.into_noise_predictor().map_err(diffusion_failure)?;
            let grid = model.schedule.grid(steps).map_err(diffusion_failure)?;
            Model::Diffusion {
                model: Counting::new(model),
                grid,
                method,
            }
        }
        Objective::RectifiedFlow => {
            let name = method.unwrap_or("rf-solver");
            let method = FlowMethod::from_name(name).ok_or_else(|| {
                bad(format!(
                    "--method {name}: the rectified-flow model takes euler or rf-solver (diffusion methods need --model unet)"
                ))
            })?;
            let model = Counting::new(net.into_velocity_model().map_err(diffusion_failure)?);
            Model::Flow { model, method }
        }
    };
    Ok((model, config.classes))
}

fn flow_hint(name: &str) -> &'static str {
    match FlowMethod::from_name(name) {
        Some(_) => " (euler and rf-solver need --model rf)",
        None => "",
    }
}

/// The image of `--image` or `--test-image`.
fn source(flags: &InversionFlags) -> Result<Source, Failure> {
    let Some(path) = &flags.image else {
        let index = flags.test_image.unwrap_or(0);
        let images = bundled::test_images()?;
        if index >= images.len() {
            return Err(bad(format!(
                "--test-image {index}: the bundled test images are 0 to {}",
                images.len() - 1
            )));
        }
        let label = usize::from(images.labels()[index]);
        return Ok(Source {
            pixels: images
                .pixels(index)
                .iter()
                .map(|&p| f64::from(p) / 255.0)
                .collect(),
            name: format!("bundled test image {index} ({})", CLASS_NAMES[label]),
            label: Some(label),
        });
    };
    let image = read_png(path)?;
    let (channels, h, w) = (image.shape[0], image.shape[1], image.shape[2]);
    if (h, w) != (IMAGE, IMAGE) {
        return Err(bad(format!(
            "--image {}: the models take {IMAGE}×{IMAGE} grey images (Fashion-MNIST), this one is {w}×{h}",
            path.display()
        )));
    }
    // Colour is averaged to grey: the models were trained on grey images.
    let pixels = (0..h * w)
        .map(|p| {
            let sum: f64 = (0..channels).map(|c| image.data[c * h * w + p]).sum();
            sum / channels as f64
        })
        .collect();
    Ok(Source {
        pixels,
        name: path.display().to_string(),
        label: None,
    })
}

/// A checked class flag: `given`, else the bundled image's label.
pub fn class_flag(
    key: &str,
    given: Option<usize>,
    source: &Source,
    classes: usize,
) -> Result<usize, Failure> {
    let class = given.or(source.label).ok_or_else(|| {
        bad(format!(
            "{key} is needed with --image (the class of the garment, 0 to {})",
            classes - 1
        ))
    })?;
    if class >= classes {
        return Err(bad(format!(
            "{key} {class}: the model has classes 0 to {}",
            classes - 1
        )));
    }
    Ok(class)
}

/// 28×28 pixels in [0, 1] as the `[1, 1, 32, 32]` state in [−1, 1], padded with −1 (black).
pub fn to_state(pixels: &[f64], dtype: DType) -> candle_core::Result<Tensor> {
    let mut data = vec![-1.0f64; SIDE * SIDE];
    for (r, row) in pixels.chunks(IMAGE).enumerate() {
        let start = (r + PAD) * SIDE + PAD;
        for (out, &p) in data[start..start + IMAGE].iter_mut().zip(row) {
            *out = 2.0 * p - 1.0;
        }
    }
    Tensor::from_vec(data, (1, 1, SIDE, SIDE), &Device::Cpu)?.to_dtype(dtype)
}

/// The 28×28 pixels in [0, 1] of a `[1, 1, 32, 32]` state (not clipped).
pub fn to_pixels(state: &Tensor) -> candle_core::Result<Vec<f64>> {
    let values = state
        .to_dtype(DType::F64)?
        .flatten_all()?
        .to_vec1::<f64>()?;
    Ok((PAD..PAD + IMAGE)
        .flat_map(|r| values[r * SIDE + PAD..r * SIDE + PAD + IMAGE].to_vec())
        .map(|v| (v + 1.0) / 2.0)
        .collect())
}

/// Writes 28×28 `pixels` as a grey PNG.
pub fn write_image(path: &Path, pixels: &[f64]) -> Result<(), Failure> {
    let pixels: Vec<f32> = pixels.iter().map(|&p| p as f32).collect();
    Ok(write_png_u8(path, &[1, IMAGE, IMAGE], &pixels)?)
}

/// Writes 28×28 images side by side, each pixel a `ZOOM`-square, separated by white gaps.
pub fn write_row(path: &Path, images: &[&[f64]]) -> Result<(), Failure> {
    let (side, gap) = (IMAGE * ZOOM, 2 * ZOOM);
    let width = images.len() * (side + gap) - gap;
    let mut out = vec![1.0f32; side * width];
    for (k, image) in images.iter().enumerate() {
        for y in 0..side {
            for x in 0..side {
                out[y * width + k * (side + gap) + x] = image[(y / ZOOM) * IMAGE + x / ZOOM] as f32;
            }
        }
    }
    Ok(write_png_u8(path, &[1, side, width], &out)?)
}

/// `|a − b|·scale`, to show an error map.
pub fn difference(a: &[f64], b: &[f64], scale: f64) -> Vec<f64> {
    a.iter()
        .zip(b)
        .map(|(p, q)| (p - q).abs() * scale)
        .collect()
}

/// Writes `DIR/metrics.json`: what was run (method, model, image, steps, guidance, dtype), then
/// the entries of `results` (a JSON object), through a temporary name.
pub fn write_metrics(
    out: &Path,
    chosen: &Chosen,
    results: serde_json::Value,
) -> Result<(), Failure> {
    let mut metrics = serde_json::json!({
        "method": chosen.model.method_name(),
        "model": chosen.model_name,
        "image": chosen.source.name,
        "steps": chosen.settings.steps,
        "guidance": chosen.settings.guidance,
        "dtype": format!("{:?}", chosen.dtype).to_lowercase(),
    });
    if let (Some(all), serde_json::Value::Object(entries)) = (metrics.as_object_mut(), results) {
        all.extend(entries);
    }
    write_json(&out.join("metrics.json"), &metrics)
}

/// Writes `value` as pretty JSON to `path` (through a temporary name).
pub fn write_json(path: &Path, value: &serde_json::Value) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Failure::BadInput(e.into()))? + "\n";
    Ok(inversa::io::write_atomically(path, text.as_bytes())?)
}

/// Writes a latent as a float32 `.npy` of `[32, 32]`, or `[2, 32, 32]` for a pair.
pub fn write_latent(path: &Path, latent: &Tensor) -> Result<(), Failure> {
    let values = latent
        .to_dtype(DType::F32)
        .and_then(|t| t.flatten_all())
        .and_then(|t| t.to_vec1::<f32>())
        .map_err(failed)?;
    let states = values.len() / (SIDE * SIDE);
    let shape = match states {
        1 => vec![SIDE, SIDE],
        n => vec![n, SIDE, SIDE],
    };
    Ok(inversa::io::write_npy_f32(path, &shape, &values)?)
}
