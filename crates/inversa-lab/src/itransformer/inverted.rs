//! The inverted Transformer (iTransformer): variate `n`'s whole lookback `x⁽ⁿ⁾ ∈ ℝ^L` is one
//! token `hₙ = Embed(x⁽ⁿ⁾) ∈ ℝ^d` (a dense layer), the encoder attends across the `N` variate
//! tokens, and a dense layer `ℝ^d → ℝ^S` reads each variate's forecast off its own token:
//!
//! ```text
//! H⁰ = [Embed(x⁽¹⁾) … Embed(x⁽ᴺ⁾)],   Hˡ⁺¹ = TrmBlock(Hˡ),   ŷ⁽ⁿ⁾ = Projection(hₙᴸ).
//! ```
//!
//! No position enters: the order of the variates carries no meaning, so permuting them permutes
//! the forecasts, and a trained model runs on any number of variates (the paper's variate
//! generalisation).

use super::encoder::{Dense, Encoder, Size};
use super::train::Forecaster;
use candle_core::{Device, Module, Result, Tensor, Var};
use rand_chacha::ChaCha8Rng;

pub struct Inverted {
    embed: Dense,
    encoder: Encoder,
    project: Dense,
}

impl Inverted {
    pub fn new(
        rng: &mut ChaCha8Rng,
        lookback: usize,
        horizon: usize,
        size: Size,
        device: &Device,
    ) -> Result<Self> {
        Ok(Inverted {
            embed: Dense::new(rng, lookback, size.width, device)?,
            encoder: Encoder::new(rng, size, device)?,
            project: Dense::new(rng, size.width, horizon, device)?,
        })
    }
}

impl Forecaster for Inverted {
    /// `[B, L, N]` → `[B, S, N]`.
    fn forecast(&self, x: &Tensor) -> Result<Tensor> {
        let tokens = self.embed.forward(&x.transpose(1, 2)?.contiguous()?)?;
        let encoded = self.encoder.forward(&tokens)?;
        self.project
            .forward(&encoded)?
            .transpose(1, 2)?
            .contiguous()
    }

    fn vars(&self) -> Vec<Var> {
        let mut vars = self.embed.vars();
        vars.extend(self.encoder.vars());
        vars.extend(self.project.vars());
        vars
    }
}
