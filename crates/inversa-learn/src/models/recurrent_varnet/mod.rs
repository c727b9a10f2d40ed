//! The Recurrent Variational Network of Yiasemis, Sonke, Sánchez, Teuwen, "Recurrent Variational
//! Network: A Deep Learning Inverse Problem Solver applied to the task of Accelerated MRI
//! Reconstruction" (CVPR 2022, arXiv:2111.09639).
//!
//! Unlike the RIM ([`crate::models::rim`]), which updates an image, the RVN keeps its state `w` in
//! multi-coil k-space and starts from the measurement itself, `w₀ = y`. Each of its `T` blocks
//! (its own weights, as in the paper) takes one unrolled variational step:
//!
//! ```text
//! w_{t+1} = w_t − α_t M (w_t − y) + E( R_t(E* w_t, h_t) )          (eq. 8 of the paper)
//! ```
//!
//! with `M` the sampling mask, `α_t` a learned step, `E x = (F S_c x)_c` the SENSE expansion of a
//! complex image and `E*` its adjoint ([`kspace`]), and `R_t` a convolutional GRU network on the
//! complex image (two channels) whose hidden state `h_t` carries over the blocks:
//! 3×3 conv + ReLU → GRU cell → 3×3 conv + ReLU → GRU cell → 3×3 conv to two channels. The output
//! is `x̂ = E* w_T`. The first block has no `α`: `w₀ = y` makes its consistency term zero.
//!
//! Two learned pieces around the blocks, as in the paper:
//!
//! - the **initialiser** sets the hidden states from the zero-filled image `E* y`, instead of
//!   zeros (5×5 and 3×3 conv + ReLU, then one 1×1 conv + tanh per cell);
//! - the **sensitivity refinement** corrects the given coil maps once before the blocks,
//!   `S ← normalise(S + Δ(S))`, with `Δ` a small CNN applied to each coil's map (real and imaginary
//!   parts as two channels) and `normalise` the root-sum-of-squares division, so maps estimated
//!   from a few central lines can be improved by what the network learned about them.
//!
//! Departures, for a 2-core CPU: `C` = 16 hidden channels where the paper uses 128; 8 blocks
//! where it uses 12 (DIRECT's Calgary–Campinas model); no dilated convolutions in the
//! initialiser (the fast convolution here has none); and the sensitivity refinement is a 3-layer
//! CNN, not the paper's U-Net.
//!
//! The network is not scale-equivariant, so callers feed it measurements scaled so the zero-filled
//! image has a 99th percentile of 1 ([`crate::models::rim::input_scale`]) and scale back.

pub mod kspace;

use crate::models::rim::recurrent_unit::{ConvCell, RecurrentUnit};
use crate::nn::conv2d::{conv2d_layer, Conv2d};
use crate::nn::weights::{expect_architecture, metadata, positive_metadata};
use candle_core::{DType, Module, Result, Tensor};
use candle_nn::{Init, VarBuilder};
use kspace::{dft, expand, normalise, reduce, Complex2};
use std::collections::HashMap;
use std::path::Path;

/// The safetensors metadata value of `architecture` in RVN weights.
pub const ARCHITECTURE: &str = "recurrent-varnet";

/// The most blocks an RVN may have: each has its own weights and training keeps every block's
/// activations, so a weights file asking for more is damaged or hostile.
pub const MAX_STEPS: usize = 64;

/// The RVN's size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecurrentVarNetConfig {
    /// Hidden channels of every layer and cell.
    pub channels: usize,
    /// Blocks `T`.
    pub steps: usize,
}

impl Default for RecurrentVarNetConfig {
    fn default() -> Self {
        Self {
            channels: 16,
            steps: 8,
        }
    }
}

impl RecurrentVarNetConfig {
    /// The `architecture`, `channels` and `steps` metadata of a weights file.
    pub fn metadata(&self) -> HashMap<String, String> {
        metadata(
            ARCHITECTURE,
            &[("channels", &self.channels), ("steps", &self.steps)],
        )
    }

    /// Reads the configuration back from a weights file's metadata; `origin` names it in errors.
    pub fn from_metadata(
        metadata: &HashMap<String, String>,
        origin: &Path,
    ) -> inversa::Result<Self> {
        expect_architecture(metadata, ARCHITECTURE, "Recurrent VarNet weights", origin)?;
        let steps = positive_metadata(metadata, "steps", origin)?;
        if steps > MAX_STEPS {
            return Err(inversa::Error::format(
                origin,
                format!(
                    "metadata \"steps\" is {steps}, more than a Recurrent VarNet's {MAX_STEPS}"
                ),
            ));
        }
        Ok(Self {
            channels: positive_metadata(metadata, "channels", origin)?,
            steps,
        })
    }
}

/// One block's regulariser `R_t`: two GRU cells between convolutions, on the complex image.
#[derive(Clone, Debug)]
struct Block {
    lift: Conv2d,
    first: ConvCell,
    middle: Conv2d,
    second: ConvCell,
    out: Conv2d,
    /// `α_t`, shape `[1]`; none in the first block, where `w₀ = y` makes `M(w₀ − y)` zero.
    step_size: Option<Tensor>,
}

impl Block {
    fn new(channels: usize, first: bool, vb: VarBuilder) -> Result<Self> {
        let c = channels;
        let step_size = match first {
            true => None,
            false => Some(vb.get_with_hints(1, "step_size", Init::Const(1.0))?),
        };
        Ok(Self {
            lift: conv2d_layer(2, c, 3, 1, vb.pp("lift"))?,
            first: ConvCell::new(RecurrentUnit::Gru, c, vb.pp("first"))?,
            middle: conv2d_layer(c, c, 3, 1, vb.pp("middle"))?,
            second: ConvCell::new(RecurrentUnit::Gru, c, vb.pp("second"))?,
            out: conv2d_layer(c, 2, 3, 1, vb.pp("out"))?,
            step_size,
        })
    }

    /// `R_t(image, h)`: the correction image and the new hidden states.
    fn refine(
        &self,
        image: &Tensor,
        (h1, h2): (&Tensor, &Tensor),
    ) -> Result<(Tensor, Tensor, Tensor)> {
        let h1 = self.first.step(&self.lift.forward_relu(image)?, h1)?;
        let h2 = self.second.step(&self.middle.forward_relu(&h1)?, h2)?;
        Ok((self.out.forward(&h2)?, h1, h2))
    }
}

/// The RVN; see the module documentation.
#[derive(Clone, Debug)]
pub struct RecurrentVarNet {
    config: RecurrentVarNetConfig,
    init_lift: Conv2d,
    init_middle: Conv2d,
    init_first: Conv2d,
    init_second: Conv2d,
    maps_lift: Conv2d,
    maps_middle: Conv2d,
    maps_out: Conv2d,
    blocks: Vec<Block>,
}

/// One reconstruction problem batch, at the network's scale: the measurement `y`
/// `[B, coils, H, W, 2]` (zero where not acquired), the mask `[B, 1, H, W, 1]` of ones and zeros,
/// and the coil maps as given.
pub struct KspaceProblem<'a> {
    pub measurement: &'a Tensor,
    pub mask: &'a Tensor,
    pub maps: &'a Complex2,
}

impl RecurrentVarNet {
    /// The network of `config` with its weights under `vb` (keys `init.*`, `maps.*`,
    /// `block{t}.*`).
    pub fn new(vb: VarBuilder, config: RecurrentVarNetConfig) -> Result<Self> {
        let c = config.channels;
        let (init, maps) = (vb.pp("init"), vb.pp("maps"));
        Ok(Self {
            config,
            init_lift: conv2d_layer(2, c, 5, 2, init.pp("lift"))?,
            init_middle: conv2d_layer(c, c, 3, 1, init.pp("middle"))?,
            init_first: conv2d_layer(c, c, 1, 0, init.pp("first"))?,
            init_second: conv2d_layer(c, c, 1, 0, init.pp("second"))?,
            maps_lift: conv2d_layer(2, c, 3, 1, maps.pp("lift"))?,
            maps_middle: conv2d_layer(c, c, 3, 1, maps.pp("middle"))?,
            maps_out: conv2d_layer(c, 2, 3, 1, maps.pp("out"))?,
            blocks: (0..config.steps)
                .map(|t| Block::new(c, t == 0, vb.pp(format!("block{t}"))))
                .collect::<Result<_>>()?,
        })
    }

    /// The network from safetensors `bytes` (configuration in the metadata); `origin` names them
    /// in errors.
    pub fn from_safetensors(bytes: &[u8], origin: &Path) -> inversa::Result<Self> {
        let (tensors, metadata) = crate::nn::weights::read_safetensors(bytes, origin)?;
        let config = RecurrentVarNetConfig::from_metadata(&metadata, origin)?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &candle_core::Device::Cpu);
        Self::new(vb, config).map_err(|e| inversa::Error::format(origin, e.to_string()))
    }

    /// The network's configuration.
    pub fn config(&self) -> RecurrentVarNetConfig {
        self.config
    }

    /// The refined, normalised maps: `S + Δ(S)` per coil, divided by the root-sum-of-squares.
    pub fn refine_maps(&self, (re, im): &Complex2) -> Result<Complex2> {
        let (b, coils, h, w) = re.dims4()?;
        let parts = Tensor::stack(&[re, im], 2)?.reshape((b * coils, 2, h, w))?;
        let hidden = self.maps_lift.forward_relu(&parts)?;
        let delta = self
            .maps_out
            .forward(&self.maps_middle.forward_relu(&hidden)?)?
            .reshape((b, coils, 2, h, w))?;
        let re = (re + delta.narrow(2, 0, 1)?.squeeze(2)?)?;
        let im = (im + delta.narrow(2, 1, 1)?.squeeze(2)?)?;
        normalise(&(re, im))
    }

    /// The two cells' first hidden states from the zero-filled image `[B, 2, H, W]`.
    fn initial_states(&self, zero_filled: &Tensor) -> Result<(Tensor, Tensor)> {
        let features = self
            .init_middle
            .forward_relu(&self.init_lift.forward_relu(zero_filled)?)?;
        Ok((
            self.init_first.forward(&features)?.tanh()?,
            self.init_second.forward(&features)?.tanh()?,
        ))
    }

    /// The complex images `E* w_t` after each block `t = 1 … T`, each `[B, 2, H, W]`.
    pub fn unroll(&self, problem: &KspaceProblem) -> Result<Vec<Tensor>> {
        let (_, _, h, w, _) = problem.measurement.dims5()?;
        let dft = dft(h, w)?;
        let maps = self.refine_maps(problem.maps)?;
        let mut kspace = problem.measurement.clone();
        let mut image = reduce(&kspace, &maps, &dft)?;
        let (mut h1, mut h2) = self.initial_states(&image)?;
        let mut images = Vec::with_capacity(self.blocks.len());
        for block in &self.blocks {
            let (correction, n1, n2) = block.refine(&image, (&h1, &h2))?;
            (h1, h2) = (n1, n2);
            if let Some(alpha) = &block.step_size {
                let consistency = (&kspace - problem.measurement)?
                    .broadcast_mul(problem.mask)?
                    .broadcast_mul(alpha)?;
                kspace = (kspace - consistency)?;
            }
            kspace = (kspace + expand(&correction, &maps, &dft)?)?;
            image = reduce(&kspace, &maps, &dft)?;
            images.push(image.clone());
        }
        Ok(images)
    }
}

#[cfg(test)]
mod tests;
