//! The same encoder with temporal tokens (the vanilla Transformer forecaster the paper inverts):
//! time step `t`'s vector of all `N` variates is one token `h_t = Embed(x_t) + PE(t) ∈ ℝ^d`, the
//! encoder attends across the `L` time tokens, and two dense layers map the encoded `L × d`
//! tokens to the forecast — one over time (`L → S`), one over features (`d → N`):
//!
//! ```text
//! H⁰ = [Embed(x₁) + PE(1) … Embed(x_L) + PE(L)],   Ŷ = Out((Time(Hᴸᵀ))ᵀ) ∈ ℝ^{S×N}.
//! ```
//!
//! `PE` is the fixed sinusoidal embedding of Vaswani et al. The encoder-only head replaces the
//! original's decoder (kept out to match depth and width with the inverted model exactly).

use super::encoder::{Dense, Encoder, Size};
use super::train::Forecaster;
use candle_core::{Device, Module, Result, Tensor, Var};
use rand_chacha::ChaCha8Rng;

pub struct Temporal {
    embed: Dense,
    position: Tensor,
    encoder: Encoder,
    time: Dense,
    out: Dense,
}

/// `PE(t, 2i) = sin(t / 10000^{2i/d})`, `PE(t, 2i+1) = cos(…)`, `[L, d]`.
pub fn sinusoidal(length: usize, width: usize, device: &Device) -> Result<Tensor> {
    let values: Vec<f32> = (0..length)
        .flat_map(|t| {
            (0..width).map(move |k| {
                let angle = t as f64 / 10000f64.powf((k - k % 2) as f64 / width as f64);
                (if k % 2 == 0 { angle.sin() } else { angle.cos() }) as f32
            })
        })
        .collect();
    Tensor::from_vec(values, (length, width), device)
}

impl Temporal {
    pub fn new(
        rng: &mut ChaCha8Rng,
        shape: (usize, usize, usize),
        size: Size,
        device: &Device,
    ) -> Result<Self> {
        let (lookback, horizon, variates) = shape;
        Ok(Temporal {
            embed: Dense::new(rng, variates, size.width, device)?,
            position: sinusoidal(lookback, size.width, device)?,
            encoder: Encoder::new(rng, size, device)?,
            time: Dense::new(rng, lookback, horizon, device)?,
            out: Dense::new(rng, size.width, variates, device)?,
        })
    }
}

impl Forecaster for Temporal {
    /// `[B, L, N]` → `[B, S, N]`.
    fn forecast(&self, x: &Tensor) -> Result<Tensor> {
        let tokens = self.embed.forward(x)?.broadcast_add(&self.position)?;
        let encoded = self.encoder.forward(&tokens)?;
        let over_time = self.time.forward(&encoded.transpose(1, 2)?.contiguous()?)?;
        self.out.forward(&over_time.transpose(1, 2)?.contiguous()?)
    }

    fn vars(&self) -> Vec<Var> {
        let mut vars = self.embed.vars();
        vars.extend(self.encoder.vars());
        vars.extend(self.time.vars());
        vars.extend(self.out.vars());
        vars
    }
}
