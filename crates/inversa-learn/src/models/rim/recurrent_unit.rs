//! The three convolutional recurrent units the efficient RIM paper compares (Karkalousos, Lønning,
//! van Hulst, Dumoulin, Sonke, Vos, Caan, "Reconstructing unseen modalities and pathology with an
//! efficient Recurrent Inference Machine", arXiv:2012.07819, 2020), each with input `x` and hidden
//! state `h` of `C` channels, `⊛` a 3×3 convolution and `[x, h]` the channel concatenation:
//!
//! - **GRU** (Cho et al. 2014): `r = σ(W_r ⊛ [x, h])`, `z = σ(W_z ⊛ [x, h])`,
//!   `h̃ = tanh(W ⊛ [x, r ⊙ h])`, `h' = (1 − z) ⊙ h + z ⊙ h̃` — `6C²` weights per tap;
//! - **MGU**, the minimal gated unit (Zhou, Wu, Zhang, Zhou, 2016): one gate for both roles,
//!   `f = σ(W_f ⊛ [x, h])`, `h̃ = tanh(W ⊛ [x, f ⊙ h])`, `h' = (1 − f) ⊙ h + f ⊙ h̃` — `4C²`;
//! - **IndRNN** (Li, Li, Cook, Zhu, Gao, CVPR 2018): `h' = relu(W ⊛ x + u ⊙ h + b)` with `u` one
//!   recurrent weight per channel, so each channel remembers only itself — `C²` per tap, which is
//!   why the paper's IndRNN-RIM is the fast one.

use crate::nn::conv2d::{conv2d_layer, Conv2d};
use candle_core::{Module, Result, Tensor};
use candle_nn::{Init, VarBuilder};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Which recurrent unit a RIM uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum RecurrentUnit {
    Gru,
    Mgu,
    #[cfg_attr(feature = "clap", value(name = "indrnn"))]
    #[serde(rename = "indrnn")]
    IndRnn,
}

impl RecurrentUnit {
    /// Every unit, in the paper's order.
    pub const ALL: [RecurrentUnit; 3] = [Self::Gru, Self::Mgu, Self::IndRnn];

    /// The name used in weights files, task files and flags.
    pub fn name(self) -> &'static str {
        match self {
            Self::Gru => "gru",
            Self::Mgu => "mgu",
            Self::IndRnn => "indrnn",
        }
    }
}

impl fmt::Display for RecurrentUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for RecurrentUnit {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|u| u.name() == s)
            .ok_or_else(|| format!("expected one of gru, mgu, indrnn, got {s:?}"))
    }
}

/// One convolutional recurrent cell of `channels` inputs and hidden channels.
#[derive(Clone, Debug)]
pub enum ConvCell {
    Gru { gates: Conv2d, candidate: Conv2d },
    Mgu { gate: Conv2d, candidate: Conv2d },
    IndRnn { input: Conv2d, recurrent: Tensor },
}

impl ConvCell {
    /// The cell of `unit` with its weights under `vb` (keys `gates`/`candidate`, `gate`/`candidate`,
    /// or `input`/`recurrent`).
    pub fn new(unit: RecurrentUnit, channels: usize, vb: VarBuilder) -> Result<Self> {
        let c = channels;
        Ok(match unit {
            RecurrentUnit::Gru => Self::Gru {
                gates: conv2d_layer(2 * c, 2 * c, 3, 1, vb.pp("gates"))?,
                candidate: conv2d_layer(2 * c, c, 3, 1, vb.pp("candidate"))?,
            },
            RecurrentUnit::Mgu => Self::Mgu {
                gate: conv2d_layer(2 * c, c, 3, 1, vb.pp("gate"))?,
                candidate: conv2d_layer(2 * c, c, 3, 1, vb.pp("candidate"))?,
            },
            // A network built outside training starts IndRNN's recurrent weights in (0, 1), each
            // channel decaying its own memory (Li et al.'s regime). Training redraws every weight
            // uniformly in ±1/√fan-in (`training::initialise`), so the bundled RIMs started in
            // ±1/√C: the hint does not reach them.
            RecurrentUnit::IndRnn => Self::IndRnn {
                input: conv2d_layer(c, c, 3, 1, vb.pp("input"))?,
                recurrent: vb.get_with_hints(
                    (1, c, 1, 1),
                    "recurrent",
                    Init::Uniform { lo: 0.0, up: 1.0 },
                )?,
            },
        })
    }

    /// The next hidden state from input `x` and state `h`, both `[B, C, H, W]`.
    pub fn step(&self, x: &Tensor, h: &Tensor) -> Result<Tensor> {
        match self {
            Self::Gru { gates, candidate } => {
                let c = h.dim(1)?;
                let rz = candle_nn::ops::sigmoid(&gates.forward(&Tensor::cat(&[x, h], 1)?)?)?;
                let (r, z) = (rz.narrow(1, 0, c)?, rz.narrow(1, c, c)?);
                let fresh = candidate
                    .forward(&Tensor::cat(&[x, &(r * h)?], 1)?)?
                    .tanh()?;
                blend(h, &fresh, &z)
            }
            Self::Mgu { gate, candidate } => {
                let f = candle_nn::ops::sigmoid(&gate.forward(&Tensor::cat(&[x, h], 1)?)?)?;
                let fresh = candidate
                    .forward(&Tensor::cat(&[x, &(&f * h)?], 1)?)?
                    .tanh()?;
                blend(h, &fresh, &f)
            }
            Self::IndRnn { input, recurrent } => {
                (input.forward(x)? + h.broadcast_mul(recurrent)?)?.relu()
            }
        }
    }
}

/// `(1 − g) ⊙ h + g ⊙ fresh`, written as `h + g ⊙ (fresh − h)`.
fn blend(h: &Tensor, fresh: &Tensor, g: &Tensor) -> Result<Tensor> {
    h + (g * (fresh - h)?)?
}
