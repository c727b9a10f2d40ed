//! An IDM model as a whole: its settings, its variables (one [`VarMap`], so the training loop and a
//! weights file see the same names), the start from the pretrained UNet, and reconstruction from
//! any core operator's measurements.

use super::chain::Chain;
use super::network::IdmNet;
use super::sensing::{Geometry, Operator};
use crate::diffusion::bad;
use crate::diffusion::schedule::Grid;
use crate::models::unet::UnetConfig;
use crate::nn::weights::{positive_metadata, read_safetensors};
use crate::Result;
use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use inversa::operators::LinearOperator;
use inversa::real::Real;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;
use std::path::Path;

/// The safetensors metadata value of `architecture` in IDM weights.
pub const ARCHITECTURE: &str = "idm";

/// The weight `v` of the second stream every block layer starts from (the paper's 0.5).
const BLOCK_V: f32 = 0.5;

/// The chain's starting `v`: the momentum `v·(x_{k+1} − x_k)` each step adds to the DDIM step
/// at the start of fine-tuning (the first step has none). Small, so that fine-tuning starts near
/// the pretrained sampler; its inverse divides by it, which costs `log₁₀(1/v)` digits per step.
pub const CHAIN_V: f32 = 0.01;

/// What an IDM model is: its UNet, the number of sampling steps and the top timestep.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IdmConfig {
    pub unet: UnetConfig,
    /// `S`, sampling steps (network calls per reconstruction).
    pub steps: usize,
    /// `τ_S`, the timestep the chain starts at; the levels are `k·start/S`, `k = S … 1`.
    pub start: usize,
}

impl IdmConfig {
    /// `S` steps from timestep `start` on the bundled UNet's architecture.
    pub fn new(unet: UnetConfig, steps: usize, start: usize) -> Result<Self> {
        if steps == 0 || start < steps || start >= unet.timesteps {
            return Err(bad(
                "steps",
                format!(
                    "need 1 ≤ steps ≤ start < {} (got steps {steps}, start {start})",
                    unet.timesteps
                ),
            ));
        }
        Ok(Self { unet, steps, start })
    }

    /// The levels `τ_k = k·start/S` above a clean level.
    pub fn grid(&self) -> Result<Grid> {
        let timesteps: Vec<usize> = (1..=self.steps)
            .rev()
            .map(|k| k * self.start / self.steps)
            .collect();
        Grid::new(&self.unet.noise_schedule()?, &timesteps, 1.0)
    }

    /// The weights file's metadata.
    pub fn metadata(&self) -> HashMap<String, String> {
        let mut m = self.unet.metadata();
        m.insert("architecture".into(), ARCHITECTURE.into());
        m.insert("steps".into(), self.steps.to_string());
        m.insert("start".into(), self.start.to_string());
        m
    }

    /// The settings in a weights file's `metadata`; `origin` names it in errors.
    pub fn from_metadata(metadata: &HashMap<String, String>, origin: &Path) -> Result<Self> {
        crate::nn::weights::expect_architecture(metadata, ARCHITECTURE, "IDM weights", origin)?;
        let mut unet = metadata.clone();
        unet.insert(
            "architecture".into(),
            crate::models::unet::ARCHITECTURE.into(),
        );
        let unet = UnetConfig::from_metadata(&unet, origin)?;
        let steps = positive_metadata(metadata, "steps", origin)?;
        let start = positive_metadata(metadata, "start", origin)?;
        Self::new(unet, steps, start)
            .map_err(|e| inversa::Error::format(origin, e.to_string()).into())
    }
}

/// An IDM network with its variables.
pub struct Idm {
    varmap: VarMap,
    pub chain: Chain,
    pub config: IdmConfig,
}

impl Idm {
    /// The model of `config` with unset (random) weights; see [`Idm::initialise`].
    pub fn new(config: IdmConfig) -> Result<Self> {
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        let net = IdmNet::new(config.unet, config.steps, &vb)?;
        let chain = Chain::new(net, config.grid()?, &vb)?;
        Ok(Self {
            varmap,
            chain,
            config,
        })
    }

    /// The trained variables.
    pub fn varmap(&self) -> &VarMap {
        &self.varmap
    }

    /// The start of fine-tuning: the UNet from `pretrained` (its weights file's tensors), the
    /// injectors' input convolutions uniform in `±1/√fan-in` from `seed` and their output ones
    /// zero, every coupling `s = 1`, `m = 0`, `a = 1`, `b = −v` with `v = 0.5` in the network and
    /// [`CHAIN_V`] in the chain: the network computes the pretrained `ε̂` exactly, and the chain's
    /// first step is exactly the DDIM step with the range–null-space correction.
    pub fn initialise(&self, pretrained: &HashMap<String, Tensor>, seed: u64) -> Result<()> {
        let mut vars = crate::training::named_vars(&self.varmap);
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for (name, var) in vars {
            let shape = var.shape().clone();
            let value = if let Some(key) = name.strip_prefix("unet.") {
                let tensor = pretrained
                    .get(key)
                    .ok_or_else(|| bad("prior.model", format!("the UNet weights lack {key:?}")))?;
                tensor.to_dtype(DType::F32)?.reshape(&shape)?
            } else if name.contains(".i2f.") || name.ends_with(".exit") {
                Tensor::zeros(&shape, DType::F32, &Device::Cpu)?
            } else if name.ends_with(".entry") {
                Tensor::ones(&shape, DType::F32, &Device::Cpu)?
            } else if name.contains(".f2i.") {
                // A 1×1 convolution's fan-in is its input channels, also for its bias.
                let fan = *shape.dims().get(1).unwrap_or(&1);
                let fan = if name.ends_with(".bias") {
                    self.fan_in_of(&name)
                } else {
                    fan
                };
                let bound = 1.0 / (fan.max(1) as f32).sqrt();
                let values: Vec<f32> = (0..shape.elem_count())
                    .map(|_| rng.gen_range(-bound..bound))
                    .collect();
                Tensor::from_vec(values, &shape, &Device::Cpu)?
            } else if name.starts_with("couple.") || name.starts_with("chain.") {
                let v = if name.starts_with("chain.") {
                    CHAIN_V
                } else {
                    BLOCK_V
                };
                let last = name.rsplit('.').next().unwrap_or("");
                let value = match last.chars().next() {
                    Some('a') => 1.0,
                    Some('b') => -v,
                    _ => v,
                };
                Tensor::full(value, &shape, &Device::Cpu)?
            } else {
                return Err(bad("model", format!("no starting value for {name:?}")));
            };
            var.set(&value)?;
        }
        Ok(())
    }

    /// The input channels of the layer whose bias is `bias_name`.
    fn fan_in_of(&self, bias_name: &str) -> usize {
        let weight = bias_name.replace(".bias", ".weight");
        crate::training::named_vars(&self.varmap)
            .into_iter()
            .find(|(n, _)| *n == weight)
            .and_then(|(_, v)| v.dims().get(1).copied())
            .unwrap_or(1)
    }

    /// Sets every variable from a weights file's tensors (f32 or f16).
    pub fn set_weights(&self, tensors: &HashMap<String, Tensor>, origin: &Path) -> Result<()> {
        for (name, var) in crate::training::named_vars(&self.varmap) {
            let bad = |m: String| inversa::Error::format(origin, m);
            let tensor = tensors
                .get(&name)
                .ok_or_else(|| bad(format!("no tensor {name:?} for this network")))?;
            if tensor.dims() != var.dims() {
                return Err(bad(format!(
                    "{name:?} is {:?}, the network needs {:?}",
                    tensor.dims(),
                    var.dims()
                ))
                .into());
            }
            var.set(&tensor.to_dtype(DType::F32)?)?;
        }
        Ok(())
    }

    /// The model from safetensors `bytes` written by `inversa train idm`; `origin` names them.
    pub fn from_safetensors(bytes: &[u8], origin: &Path) -> Result<Self> {
        let (tensors, metadata) = read_safetensors(bytes, origin)?;
        let idm = Self::new(IdmConfig::from_metadata(&metadata, origin)?)?;
        idm.set_weights(&tensors, origin)?;
        Ok(idm)
    }

    /// Writes the weights (in `dtype`: f16 halves the file) with the settings in the metadata.
    pub fn save(&self, path: &Path, dtype: DType) -> Result<()> {
        let mut tensors = Vec::new();
        for (name, var) in crate::training::named_vars(&self.varmap) {
            tensors.push((name, var.as_tensor().to_dtype(dtype)?));
        }
        tensors.sort_by(|a, b| a.0.cmp(&b.0));
        let bytes = safetensors::tensor::serialize(tensors, Some(self.config.metadata()))
            .map_err(|e| inversa::Error::format(path, format!("cannot encode safetensors: {e}")))?;
        Ok(inversa::io::write_atomically(path, &bytes)?)
    }

    /// Reads a weights file.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| inversa::Error::io(path, e))?;
        Self::from_safetensors(&bytes, path)
    }

    /// The images (`[0, 1]`, clamped) that IDM reconstructs from each of `measurements` of `op`.
    pub fn reconstruct<T: Real>(
        &self,
        op: &dyn LinearOperator<T>,
        measurements: &[&[T]],
    ) -> Result<Vec<Vec<f64>>> {
        let geometry = Geometry::FASHION;
        let operator = Operator::from_operator(op, geometry, PINV_DELTA)?;
        let m = op.output_len();
        let mut flat = Vec::with_capacity(measurements.len() * m);
        for y in measurements {
            if y.len() != m {
                return Err(inversa::Error::Shape(format!(
                    "a measurement of {} values for a physics of {m}",
                    y.len()
                ))
                .into());
            }
            flat.extend(y.iter().map(|v| v.to_f64().unwrap_or(f64::NAN)));
        }
        let y = Tensor::from_vec(flat, (measurements.len(), m), &Device::Cpu)?;
        let measured = operator.measure(&y)?;
        let states = self.chain.reconstruct(&measured)?;
        let images = geometry
            .crop(&states)?
            .affine(geometry.scale, geometry.offset)?
            .clamp(0.0, 1.0)?
            .to_dtype(DType::F64)?
            .to_vec2::<f64>()?;
        if images.iter().flatten().any(|v| !v.is_finite()) {
            return Err(bad("solver", "IDM's reconstruction is not finite"));
        }
        Ok(images)
    }
}

/// `δ` of the pseudo-inverse, relative to the mean diagonal of `AAᵀ` (DDNM's default).
pub const PINV_DELTA: f64 = 1e-4;
