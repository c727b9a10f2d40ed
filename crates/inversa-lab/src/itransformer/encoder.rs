//! The Transformer encoder both forecasters share (Vaswani et al. 2017, post-norm as in the
//! iTransformer code): per layer
//!
//! ```text
//! H ← LayerNorm(H + MultiHeadAttention(H)),   H ← LayerNorm(H + W₂ GELU(W₁ H)),
//! ```
//!
//! then a final LayerNorm. The tokens are the rows of `H ∈ ℝ^{T×d}`: time steps for the temporal
//! model, variates for the inverted one. Nothing here knows the tokens' order, so the encoder is
//! equivariant to permuting them (the inverted model's variate-permutation property).
//! Parameters are seeded `Var`s (candle's own initialisers draw from an unseeded generator).

use candle_core::{Device, Module, Result, Tensor, Var, D};
use inversa::numerics::gaussian;
use rand_chacha::ChaCha8Rng;

/// A dense layer `x W + b` over the last axis.
pub struct Dense {
    w: Var,
    b: Var,
}

impl Dense {
    /// `W` normal with variance `1 / inputs` (keeps activations O(1)), `b = 0`.
    pub fn new(
        rng: &mut ChaCha8Rng,
        inputs: usize,
        outputs: usize,
        device: &Device,
    ) -> Result<Self> {
        let scale = 1.0 / (inputs as f64).sqrt();
        let values: Vec<f32> = gaussian(rng, inputs * outputs)
            .iter()
            .map(|v| (v * scale) as f32)
            .collect();
        Ok(Dense {
            w: Var::from_vec(values, (inputs, outputs), device)?,
            b: Var::zeros(outputs, candle_core::DType::F32, device)?,
        })
    }

    pub fn vars(&self) -> Vec<Var> {
        vec![self.w.clone(), self.b.clone()]
    }
}

impl Module for Dense {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.broadcast_matmul(self.w.as_tensor())?
            .broadcast_add(self.b.as_tensor())
    }
}

/// LayerNorm over the last axis with a learned gain and shift.
pub struct LayerNorm {
    gain: Var,
    shift: Var,
}

impl LayerNorm {
    pub fn new(width: usize, device: &Device) -> Result<Self> {
        Ok(LayerNorm {
            gain: Var::ones(width, candle_core::DType::F32, device)?,
            shift: Var::zeros(width, candle_core::DType::F32, device)?,
        })
    }

    pub fn vars(&self) -> Vec<Var> {
        vec![self.gain.clone(), self.shift.clone()]
    }
}

impl Module for LayerNorm {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let centred = x.broadcast_sub(&x.mean_keepdim(D::Minus1)?)?;
        let var = centred.sqr()?.mean_keepdim(D::Minus1)?;
        centred
            .broadcast_div(&(var + 1e-5)?.sqrt()?)?
            .broadcast_mul(self.gain.as_tensor())?
            .broadcast_add(self.shift.as_tensor())
    }
}

/// The encoder's size.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    /// Token width `d`.
    pub width: usize,
    pub heads: usize,
    pub layers: usize,
    /// Hidden width of the feed-forward network.
    pub hidden: usize,
}

struct Layer {
    query: Dense,
    key: Dense,
    value: Dense,
    out: Dense,
    norm1: LayerNorm,
    up: Dense,
    down: Dense,
    norm2: LayerNorm,
    heads: usize,
}

impl Layer {
    fn new(rng: &mut ChaCha8Rng, size: Size, device: &Device) -> Result<Self> {
        let d = size.width;
        Ok(Layer {
            query: Dense::new(rng, d, d, device)?,
            key: Dense::new(rng, d, d, device)?,
            value: Dense::new(rng, d, d, device)?,
            out: Dense::new(rng, d, d, device)?,
            norm1: LayerNorm::new(d, device)?,
            up: Dense::new(rng, d, size.hidden, device)?,
            down: Dense::new(rng, size.hidden, d, device)?,
            norm2: LayerNorm::new(d, device)?,
            heads: size.heads,
        })
    }

    /// `[B, T, d]` → `[B, heads, T, d / heads]`.
    fn split_heads(&self, x: &Tensor) -> Result<Tensor> {
        let (b, t, d) = x.dims3()?;
        x.reshape((b, t, self.heads, d / self.heads))?
            .transpose(1, 2)?
            .contiguous()
    }

    fn attention(&self, h: &Tensor) -> Result<Tensor> {
        let (b, t, d) = h.dims3()?;
        let q = self.split_heads(&self.query.forward(h)?)?;
        let k = self.split_heads(&self.key.forward(h)?)?;
        let v = self.split_heads(&self.value.forward(h)?)?;
        let scale = 1.0 / ((d / self.heads) as f64).sqrt();
        let scores = (q.matmul(&k.t()?.contiguous()?)? * scale)?;
        let weights = candle_nn::ops::softmax_last_dim(&scores)?;
        let mixed = weights
            .matmul(&v)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((b, t, d))?;
        self.out.forward(&mixed)
    }

    fn forward(&self, h: &Tensor) -> Result<Tensor> {
        let h = self.norm1.forward(&(h + self.attention(h)?)?)?;
        let inner = self.down.forward(&self.up.forward(&h)?.gelu()?)?;
        self.norm2.forward(&(h + inner)?)
    }

    fn vars(&self) -> Vec<Var> {
        [
            &self.query,
            &self.key,
            &self.value,
            &self.out,
            &self.up,
            &self.down,
        ]
        .iter()
        .flat_map(|d| d.vars())
        .chain(self.norm1.vars())
        .chain(self.norm2.vars())
        .collect()
    }
}

/// `layers` encoder layers and the final LayerNorm.
pub struct Encoder {
    layers: Vec<Layer>,
    norm: LayerNorm,
}

impl Encoder {
    pub fn new(rng: &mut ChaCha8Rng, size: Size, device: &Device) -> Result<Self> {
        let layers = (0..size.layers)
            .map(|_| Layer::new(rng, size, device))
            .collect::<Result<Vec<_>>>()?;
        Ok(Encoder {
            layers,
            norm: LayerNorm::new(size.width, device)?,
        })
    }

    pub fn vars(&self) -> Vec<Var> {
        self.layers
            .iter()
            .flat_map(|l| l.vars())
            .chain(self.norm.vars())
            .collect()
    }
}

impl Module for Encoder {
    /// Tokens `[B, T, d]` to encoded tokens of the same shape.
    fn forward(&self, tokens: &Tensor) -> Result<Tensor> {
        let mut h = tokens.clone();
        for layer in &self.layers {
            h = layer.forward(&h)?;
        }
        self.norm.forward(&h)
    }
}
