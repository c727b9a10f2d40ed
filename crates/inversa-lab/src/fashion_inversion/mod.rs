//! Inverting and editing one Fashion-MNIST garment ([`invert`], [`edit`]; `inversa invert` and
//! `inversa edit`), and what they share with the editing experiment and sampling: the model
//! (`unet`, `rf` or a weights file) and the methods it takes, the source image (a 28×28 PNG or a
//! bundled test image), and the conversion between 28×28 pixels in [0, 1] and the networks'
//! 32×32 states in [−1, 1].

pub mod edit;
pub mod invert;

use crate::error::check_memory;
use crate::{Artifact, Error, Result};
use candle_core::{DType, Device, Tensor};
use inversa::io::read_png;
use inversa_learn::data::fashion_mnist::{CLASS_NAMES, SIDE};
use inversa_learn::diffusion::inversion::registry;
use inversa_learn::diffusion::inversion::{self, Model, ModelKind};
use inversa_learn::diffusion::{Inverter, Parameterised};
use inversa_learn::models::bundled;
use inversa_learn::models::classifier::Classifier;
use inversa_learn::models::unet::{FlowUnet, Objective, Unet};
use std::path::{Path, PathBuf};

/// The side of a Fashion-MNIST image.
pub const IMAGE: usize = 28;

/// Pixels of padding on each side of the 28×28 image in the 32×32 state.
const PAD: usize = (SIDE - IMAGE) / 2;

/// Each pixel of the comparison figures is drawn as a block of this side.
const ZOOM: usize = 4;

/// What [`invert`] and [`edit`] share; the defaults are the CLI's.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `unet` (the bundled diffusion UNet), `rf` (the bundled rectified-flow UNet) or a weights
    /// file of `inversa train diffusion|flow`.
    pub model: String,
    /// A registered inversion method; `None`: ddim on a diffusion model, rf-solver on a flow.
    pub method: Option<String>,
    /// The image to invert.
    pub image: Picture,
    /// Sampling steps (flow: solver steps).
    pub steps: usize,
    /// Classifier-free guidance scale.
    pub guidance: f64,
    /// Arithmetic of the states (the network itself runs in f32).
    pub dtype: DType,
    /// Seed of DDCM's noise.
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            model: "unet".into(),
            method: None,
            image: Picture::Bundled(0),
            steps: 50,
            guidance: 3.0,
            dtype: DType::F32,
            seed: 0,
        }
    }
}

/// What a checked [`Settings`] chose.
pub(crate) struct Chosen {
    pub model: FashionModel,
    pub source: Source,
    pub method: &'static str,
    pub settings: inversion::Settings,
}

/// Checks `settings` in the order the CLI always has: steps, guidance, the model and its method,
/// then the image.
pub(crate) fn choose(settings: &Settings) -> Result<Chosen> {
    if settings.steps == 0 {
        return Err(Error::setting("steps", "must be at least 1"));
    }
    if !settings.guidance.is_finite() {
        let message = format!("{} is not a finite number", settings.guidance);
        return Err(Error::setting("guidance", message));
    }
    let model = FashionModel::load(&settings.model)?;
    model.check_steps(settings.steps)?;
    let method = model.method(settings.method.as_deref())?;
    Ok(Chosen {
        model,
        source: Source::choose(&settings.image)?,
        method,
        settings: inversion::Settings {
            steps: settings.steps,
            guidance: settings.guidance,
            seed: settings.seed,
            ..inversion::Settings::default()
        },
    })
}

/// A Fashion-MNIST generative network.
pub enum Network {
    Diffusion(Parameterised<Unet>),
    Flow(FlowUnet),
}

/// A loaded network and its number of classes.
pub struct FashionModel {
    pub network: Network,
    pub classes: usize,
}

impl FashionModel {
    /// `unet`, `rf` or the path of a weights file of `inversa train diffusion|flow`.
    pub fn load(name: &str) -> Result<Self> {
        let net = match name {
            "unet" => bundled::diffusion_unet()?,
            "rf" => bundled::flow_unet()?,
            path => Unet::load(Path::new(path)).map_err(|e| {
                let expected =
                    "expected unet, rf, or a weights file of `inversa train diffusion|flow`";
                Error::setting("model", format!("{path}: {expected}: {e}"))
            })?,
        };
        let classes = net.config().classes;
        let network = match net.config().objective {
            Objective::Epsilon => Network::Diffusion(net.into_noise_predictor()?),
            Objective::RectifiedFlow => Network::Flow(net.into_velocity_model()?),
        };
        Ok(Self { network, classes })
    }

    pub fn kind(&self) -> ModelKind {
        match self.network {
            Network::Diffusion(_) => ModelKind::Diffusion,
            Network::Flow(_) => ModelKind::Flow,
        }
    }

    /// A diffusion model samples on at most its training timesteps; a flow has no such bound, so
    /// its trajectory (every state kept, a few copies per state while inverting and regenerating)
    /// is checked against memory.
    pub fn check_steps(&self, steps: usize) -> Result<()> {
        match &self.network {
            Network::Diffusion(model) if steps > model.schedule.len() => Err(Error::setting(
                "steps",
                format!("must be at most {}", model.schedule.len()),
            )),
            _ => check_memory("steps", &[steps.saturating_add(1), 28, 28], 8, 4),
        }
    }

    /// The registered method `name` if it runs on this model (`None`: its kind's default).
    pub fn method(&self, name: Option<&str>) -> Result<&'static str> {
        let kind = self.kind();
        let name = name.unwrap_or(match kind {
            ModelKind::Diffusion => "ddim",
            ModelKind::Flow => "rf-solver",
        });
        match registry::find(name) {
            Some(entry) if entry.kind == kind => Ok(entry.name),
            other => Err(Error::setting(
                "method",
                mismatch(name, kind, other.is_some()),
            )),
        }
    }

    /// The inverter `method` (see [`FashionModel::method`]) with `settings`.
    #[allow(
        clippy::expect_used,
        reason = "FashionModel::method checked the name against the registry"
    )]
    pub fn inverter(
        &self,
        method: &str,
        settings: &inversion::Settings,
    ) -> Result<Box<dyn Inverter + '_>> {
        let entry = registry::find(method).expect("a method checked by FashionModel::method");
        let model = match &self.network {
            Network::Diffusion(model) => Model::Diffusion {
                model,
                grid: model.schedule.grid(settings.steps)?,
            },
            Network::Flow(model) => Model::Flow(model),
        };
        Ok((entry.build)(model, settings)?)
    }

    /// `given`, else the bundled image's label, checked against the model's classes.
    pub fn class(&self, key: &'static str, given: Option<usize>, source: &Source) -> Result<usize> {
        let last = self.classes - 1;
        let class = given.or(source.label).ok_or_else(|| {
            let message = format!("is needed with --image (the class of the garment, 0 to {last})");
            Error::setting(key, message)
        })?;
        if class > last {
            let message = format!("{class}: the model has classes 0 to {last}");
            return Err(Error::setting(key, message));
        }
        Ok(class)
    }
}

/// Why `name` does not run on a model of `kind`, listing the methods that do.
fn mismatch(name: &str, kind: ModelKind, registered: bool) -> String {
    let takes = english_list(&registry::names(kind));
    match kind {
        ModelKind::Diffusion => {
            let hint = if registered {
                let flow = english_list(&registry::names(ModelKind::Flow));
                format!(" ({} need --model rf)", flow.replace(" or ", " and "))
            } else {
                String::new()
            };
            format!("{name}: the diffusion model takes {takes}{hint}")
        }
        ModelKind::Flow => format!(
            "{name}: the rectified-flow model takes {takes} (diffusion methods need --model unet)"
        ),
    }
}

/// `a, b or c`.
fn english_list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// Where the image to invert comes from.
#[derive(Clone, Debug)]
pub enum Picture {
    /// One of the 100 bundled test images, by index.
    Bundled(usize),
    /// A 28×28 PNG (colour is averaged to grey).
    Png(PathBuf),
    /// 28×28 grey pixels in [0, 1], row-major (the Python package's arrays).
    Pixels(Vec<f64>),
}

/// The image to invert, its pixels in [0, 1] (28×28, row-major).
pub struct Source {
    pub pixels: Vec<f64>,
    /// Where it came from, for messages and the metrics.
    pub name: String,
    /// The bundled test image's label.
    pub label: Option<usize>,
}

impl Source {
    /// The pixels of `picture`, checked.
    pub fn choose(picture: &Picture) -> Result<Self> {
        match picture {
            Picture::Bundled(index) => Self::bundled(*index),
            Picture::Png(path) => Self::read(path),
            Picture::Pixels(pixels) => Self::given(pixels),
        }
    }

    /// Pixels handed over in memory: 28×28 of them, each finite and in [0, 1].
    fn given(pixels: &[f64]) -> Result<Self> {
        if pixels.len() != IMAGE * IMAGE {
            let message = format!(
                "expected {IMAGE}×{IMAGE} = {} pixels (a Fashion-MNIST image), found {}",
                IMAGE * IMAGE,
                pixels.len()
            );
            return Err(Error::setting("image", message));
        }
        if let Some(bad) = pixels.iter().find(|p| !(0.0..=1.0).contains(*p)) {
            let message = format!("pixels are values in [0, 1]; found {bad}");
            return Err(Error::setting("image", message));
        }
        Ok(Self {
            pixels: pixels.to_vec(),
            name: "the given image".into(),
            label: None,
        })
    }

    /// The bundled test image `index`.
    pub fn bundled(index: usize) -> Result<Self> {
        let images = bundled::test_images()?;
        if index >= images.len() {
            let last = images.len() - 1;
            let message = format!("{index}: the bundled test images are 0 to {last}");
            return Err(Error::setting("test_image", message));
        }
        let label = usize::from(images.labels()[index]);
        Ok(Self {
            pixels: unit_pixels(images.pixels(index)),
            name: format!("bundled test image {index} ({})", CLASS_NAMES[label]),
            label: Some(label),
        })
    }

    fn read(path: &Path) -> Result<Self> {
        let image = read_png(path)?;
        let (channels, h, w) = (image.shape[0], image.shape[1], image.shape[2]);
        if (h, w) != (IMAGE, IMAGE) {
            let message = format!(
                "{}: the models take {IMAGE}×{IMAGE} grey images (Fashion-MNIST), this one is {w}×{h}",
                path.display()
            );
            return Err(Error::setting("image", message));
        }
        // Colour is averaged to grey: the models were trained on grey images.
        let pixels = (0..h * w)
            .map(|p| {
                let sum: f64 = (0..channels).map(|c| image.data[c * h * w + p]).sum();
                sum / channels as f64
            })
            .collect();
        Ok(Self {
            pixels,
            name: path.display().to_string(),
            label: None,
        })
    }
}

/// 8-bit pixels as values in [0, 1].
pub(crate) fn unit_pixels(bytes: &[u8]) -> Vec<f64> {
    bytes.iter().map(|&p| f64::from(p) / 255.0).collect()
}

/// 28×28 pixels in [0, 1] as the `[1, 1, 32, 32]` state in [−1, 1], padded with −1 (black).
pub fn to_state(pixels: &[f64], dtype: DType) -> Result<Tensor> {
    let mut data = vec![-1.0f64; SIDE * SIDE];
    for (r, row) in pixels.chunks(IMAGE).enumerate() {
        let start = (r + PAD) * SIDE + PAD;
        for (out, &p) in data[start..start + IMAGE].iter_mut().zip(row) {
            *out = 2.0 * p - 1.0;
        }
    }
    Ok(Tensor::from_vec(data, (1, 1, SIDE, SIDE), &Device::Cpu)?.to_dtype(dtype)?)
}

/// The 28×28 pixels in [0, 1] of a `[1, 1, 32, 32]` state (not clipped).
pub fn to_pixels(state: &Tensor) -> Result<Vec<f64>> {
    let values = state
        .to_dtype(DType::F64)?
        .flatten_all()?
        .to_vec1::<f64>()?;
    Ok((PAD..PAD + IMAGE)
        .flat_map(|r| values[r * SIDE + PAD..r * SIDE + PAD + IMAGE].to_vec())
        .map(|v| (v + 1.0) / 2.0)
        .collect())
}

/// The classifier's probabilities for 28×28 `pixels`, clipped to [0, 1] as a saved image would
/// be, and the most probable class.
pub fn classify(classifier: &Classifier, pixels: &[f64]) -> Result<(Vec<f32>, usize)> {
    let clipped: Vec<f64> = pixels.iter().map(|p| p.clamp(0.0, 1.0)).collect();
    let state = to_state(&clipped, DType::F32)?;
    let probabilities = classifier
        .probabilities(&state)?
        .flatten_all()?
        .to_vec1::<f32>()?;
    let predicted = (0..probabilities.len())
        .max_by(|&a, &b| probabilities[a].total_cmp(&probabilities[b]))
        .unwrap_or(0);
    Ok((probabilities, predicted))
}

/// A 28×28 grey image.
pub(crate) fn image(pixels: &[f64]) -> Artifact {
    Artifact::Image {
        shape: vec![1, IMAGE, IMAGE],
        pixels: pixels.iter().map(|&p| p as f32).collect(),
    }
}

/// 28×28 images side by side, each pixel a `ZOOM`-square, separated by white gaps.
pub(crate) fn row(images: &[&[f64]]) -> Artifact {
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
    Artifact::Image {
        shape: vec![1, side, width],
        pixels: out,
    }
}

/// A latent as a float32 array of `[32, 32]`, or `[2, 32, 32]` for a pair.
pub(crate) fn latent_array(latent: &Tensor) -> Result<Artifact> {
    let data = latent
        .to_dtype(DType::F32)?
        .flatten_all()?
        .to_vec1::<f32>()?;
    let shape = match data.len() / (SIDE * SIDE) {
        1 => vec![SIDE, SIDE],
        n => vec![n, SIDE, SIDE],
    };
    Ok(Artifact::Array { shape, data })
}

/// The name of a dtype in the metrics (`f32`, `f64`).
pub(crate) fn dtype_name(dtype: DType) -> String {
    format!("{dtype:?}").to_lowercase()
}
