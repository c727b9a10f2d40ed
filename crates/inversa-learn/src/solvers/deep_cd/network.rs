//! The network `f ≈ c·A⁻¹` of the deep conjugate direction method (Kaneda et al., ICML 2023,
//! arXiv:2205.10763): a small convolutional V-cycle on the `n × n` grid (our design, not the
//! paper's architecture).
//!
//! At every level the same two 3×3 convolutions (with ReLU) smooth the features, a 2×2 average
//! pools them to the next coarser level (an odd side is first padded with a zero row or column),
//! and on the way back the coarse result is copied up (nearest neighbour), joined to the level's
//! features and smoothed by two more shared convolutions. The levels go down until the side is
//! below [`COARSEST`], so the receptive field covers the whole grid at every size, and because
//! every level shares its weights the network runs on grids it was not trained on. The layers
//! have no bias, so `f(c r) = c f(r)` for `c > 0`: only the direction of the residual matters, as
//! in the solver, which feeds it `r / ‖r‖`.

use crate::nn::conv2d::Conv2d;
use candle_core::{DType, Device, Module, Result, Tensor};
use candle_nn::{Init, VarBuilder};
use std::collections::HashMap;
use std::path::Path;

/// The safetensors metadata value of `architecture` in deep-CD weights.
pub const ARCHITECTURE: &str = "deep-cd";

/// A level whose shorter side is below this is the coarsest.
pub const COARSEST: usize = 8;

/// The network's size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeepCdConfig {
    /// Feature channels at every level.
    pub channels: usize,
}

impl Default for DeepCdConfig {
    fn default() -> Self {
        Self { channels: 16 }
    }
}

impl DeepCdConfig {
    /// The `architecture` and `channels` metadata of a weights file.
    pub fn metadata(&self) -> HashMap<String, String> {
        crate::nn::weights::metadata(ARCHITECTURE, &[("channels", &self.channels)])
    }

    /// Reads the configuration back from a weights file's metadata; `origin` names it in errors.
    pub fn from_metadata(
        metadata: &HashMap<String, String>,
        origin: &Path,
    ) -> inversa::Result<Self> {
        crate::nn::weights::expect_architecture(metadata, ARCHITECTURE, "deep-CD weights", origin)?;
        Ok(Self {
            channels: crate::nn::weights::positive_metadata(metadata, "channels", origin)?,
        })
    }
}

/// The convolutional V-cycle; input and output are `[B, 1, H, W]`.
#[derive(Clone, Debug)]
pub struct DeepCdNet {
    config: DeepCdConfig,
    lift: Conv2d,
    down: [Conv2d; 2],
    bottom: Conv2d,
    up: [Conv2d; 2],
    out: Conv2d,
}

/// A bias-free 3×3 layer `input → output` channels under `vb` (uniform ±1/√fan-in when trained).
fn layer(input: usize, output: usize, vb: VarBuilder) -> Result<Conv2d> {
    let bound = 1.0 / ((input * 9) as f64).sqrt();
    let init = Init::Uniform {
        lo: -bound,
        up: bound,
    };
    let weight = vb.get_with_hints((output, input, 3, 3), "weight", init)?;
    Ok(Conv2d::new(weight, None, 1))
}

impl DeepCdNet {
    /// The network of `config` with its weights under `vb` (keys `lift`, `down0`, `down1`,
    /// `bottom`, `up0`, `up1`, `out`, each with a `weight`).
    pub fn new(vb: VarBuilder, config: DeepCdConfig) -> Result<Self> {
        let c = config.channels;
        Ok(Self {
            config,
            lift: layer(1, c, vb.pp("lift"))?,
            down: [layer(c, c, vb.pp("down0"))?, layer(c, c, vb.pp("down1"))?],
            bottom: layer(c, c, vb.pp("bottom"))?,
            up: [layer(2 * c, c, vb.pp("up0"))?, layer(c, c, vb.pp("up1"))?],
            out: layer(c, 1, vb.pp("out"))?,
        })
    }

    /// The network from safetensors `bytes` (configuration in the metadata); `origin` names them
    /// in errors.
    pub fn from_safetensors(bytes: &[u8], origin: &Path) -> inversa::Result<Self> {
        let (tensors, metadata) = crate::nn::weights::read_safetensors(bytes, origin)?;
        let config = DeepCdConfig::from_metadata(&metadata, origin)?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
        Self::new(vb, config).map_err(|e| inversa::Error::format(origin, e.to_string()))
    }

    /// The network's configuration.
    pub fn config(&self) -> DeepCdConfig {
        self.config
    }

    /// `f(r)` for a `[B, 1, H, W]` batch of residuals.
    pub fn forward(&self, r: &Tensor) -> Result<Tensor> {
        let features = self.lift.forward_relu(r)?;
        self.out.forward(&self.level(&features)?)
    }

    /// One level of the V-cycle and, recursively, every coarser one.
    fn level(&self, h: &Tensor) -> Result<Tensor> {
        let e = self.down[1].forward_relu(&self.down[0].forward_relu(h)?)?;
        let (_, _, rows, cols) = e.dims4()?;
        if rows.min(cols) < COARSEST {
            return self.bottom.forward_relu(&e);
        }
        let coarse = self.level(&average_pool(&e)?)?;
        let joined = Tensor::cat(&[&upsample(&coarse, rows, cols)?, &e], 1)?;
        self.up[1].forward_relu(&self.up[0].forward_relu(&joined)?)
    }
}

/// 2×2 average pooling; an odd side gets a zero row or column first (the Dirichlet boundary).
fn average_pool(x: &Tensor) -> Result<Tensor> {
    let (_, _, rows, cols) = x.dims4()?;
    let x = x
        .pad_with_zeros(2, 0, rows % 2)?
        .pad_with_zeros(3, 0, cols % 2)?;
    let (b, c, rows, cols) = x.dims4()?;
    x.reshape((b, c, rows / 2, 2, cols / 2, 2))?
        .sum(5)?
        .sum(3)?
        .affine(0.25, 0.0)
}

/// Nearest-neighbour ×2 upsampling, cropped to `rows × cols`.
fn upsample(x: &Tensor, rows: usize, cols: usize) -> Result<Tensor> {
    let (b, c, h, w) = x.dims4()?;
    x.reshape((b, c, h, 1, w, 1))?
        .broadcast_as((b, c, h, 2, w, 2))?
        .contiguous()?
        .reshape((b, c, 2 * h, 2 * w))?
        .narrow(2, 0, rows)?
        .narrow(3, 0, cols)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_nn::VarMap;

    fn random_net() -> (VarMap, DeepCdNet) {
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        let net = DeepCdNet::new(vb, DeepCdConfig { channels: 4 }).unwrap();
        crate::training::initialise(&varmap, 3).unwrap();
        (varmap, net)
    }

    #[test]
    fn runs_on_any_grid_and_is_positively_homogeneous() {
        let (_varmap, net) = random_net();
        for (rows, cols) in [(16, 16), (13, 21), (5, 7)] {
            let r = Tensor::randn(0f32, 1.0, (2, 1, rows, cols), &Device::Cpu).unwrap();
            let f = net.forward(&r).unwrap();
            assert_eq!(f.dims(), &[2, 1, rows, cols]);
            let scaled = net.forward(&(&r * 3.0).unwrap()).unwrap();
            let gap = (scaled - (f.clone() * 3.0).unwrap())
                .unwrap()
                .abs()
                .unwrap()
                .max_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap();
            let size = f
                .abs()
                .unwrap()
                .max_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap();
            assert!(gap <= 1e-5 * size.max(1e-12), "gap {gap}, size {size}");
        }
    }

    #[test]
    fn pooling_and_upsampling_are_adjoint_up_to_a_quarter() {
        // ⟨pool x, y⟩ = ¼ ⟨x, up y⟩ for even sides: the pair is a restriction/prolongation pair.
        let x = Tensor::randn(0f32, 1.0, (1, 2, 6, 8), &Device::Cpu).unwrap();
        let y = Tensor::randn(0f32, 1.0, (1, 2, 3, 4), &Device::Cpu).unwrap();
        let lhs = (average_pool(&x).unwrap() * &y).unwrap().sum_all().unwrap();
        let rhs = (x * upsample(&y, 6, 8).unwrap())
            .unwrap()
            .sum_all()
            .unwrap();
        let (lhs, rhs) = (
            lhs.to_scalar::<f32>().unwrap(),
            rhs.to_scalar::<f32>().unwrap() / 4.0,
        );
        assert!(
            (lhs - rhs).abs() <= 1e-5 * lhs.abs().max(1.0),
            "{lhs} vs {rhs}"
        );
    }
}
