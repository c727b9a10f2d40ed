//! Sequential classifiers (convolutions, ReLU, 2×2 max pooling, residual blocks, fully connected
//! layers, a dropout point) whose cross-entropy parameter gradient is written out as an explicit
//! expression of candle operations, as [`super::lenet`] does for DLG's LeNet: gradient inversion
//! differentiates that gradient once more with respect to the input, and candle's own backward
//! pass gives wrong second derivatives for some operations. The expression uses only operations
//! whose first derivative candle computes exactly. Layer by layer, from `δ = (softmax(z) − p)/B`
//! at the logits backwards:
//!
//! ```text
//! linear   y = x Wᵀ + b:        ∂W = δᵀ x,  ∂b = Σ δ,  δ ← δ W
//! conv     y = W ⊛ x + b:       ∂W = Σ_n x ⋆ δ,  ∂b = Σ δ,  δ ← convᵀ(δ, W)
//! relu     y = max(x, 0):       δ ← δ ⊙ [y > 0]
//! maxpool  y = max over 2×2:    δ ← up(δ) ⊙ [x = up(y)]   (a last odd row/column gets 0)
//! residual y = x + F(x):        δ ← δ + F's backward of δ
//! dropout  y = x ⊙ m:           δ ← δ ⊙ m
//! ```
//!
//! The masks `[y > 0]` and `[x = up(y)]` are piecewise constant in the input, so treating them as
//! constants is their exact derivative almost everywhere. Max pooling routes the gradient to every
//! maximum of a window; ties between positive values have probability zero, and windows tied at
//! zero after a ReLU get no gradient from the ReLU anyway.

use super::ExplicitGradient;
use crate::nn::conv2d::{conv2d, conv2d_adjoint};
use candle_core::{DType, Device, Result, Tensor, D};
use candle_nn::ops::{log_softmax, softmax};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One layer; `Conv` and `Linear` own two parameter tensors each (weight, then bias).
#[derive(Clone, Debug, PartialEq)]
pub enum Layer {
    /// `(x − mean)/std`: the input normalisation a trained model expects.
    Normalize {
        mean: f64,
        std: f64,
    },
    /// A `k×k` convolution (odd `k`), stride 1, `k/2` zero padding, with bias.
    Conv,
    Relu,
    /// 2×2 max pooling with stride 2, dropping a last odd row or column (PyTorch's default).
    MaxPool,
    /// `[B, C, H, W] → [B, C·H·W]`.
    Flatten,
    /// Where the client's dropout multiplier acts (identity without one).
    Dropout,
    /// `x Wᵀ + b` on `[B, features]`.
    Linear,
    /// `x + F(x)` with `F` the inner layers (shape-preserving).
    Residual(Vec<Layer>),
}

/// A classifier: its layers and their parameters in order of appearance.
#[derive(Clone, Debug)]
pub struct ExplicitNetwork {
    layers: Vec<Layer>,
    parameters: Vec<Tensor>,
}

/// What a layer's forward pass keeps for its backward pass.
enum Saved {
    /// The layer's input and output.
    Plain(Tensor, Tensor),
    Residual(Vec<Saved>),
}

impl ExplicitNetwork {
    /// The network of `layers` with `parameters` (each `Conv`: `[O, C, k, k]` and `[O]`; each
    /// `Linear`: `[out, in]` and `[out]`, in order, inner residual layers included).
    pub fn new(layers: Vec<Layer>, parameters: Vec<Tensor>) -> Result<Self> {
        let expected = count_parameters(&layers);
        if parameters.len() != expected {
            candle_core::bail!(
                "the layers take {expected} parameter tensors, {} were given",
                parameters.len()
            );
        }
        Ok(Self { layers, parameters })
    }

    /// The layers with weights drawn as PyTorch initialises them (uniform in ±1/√fan-in, for
    /// the weights and the biases) from `seed`; `shapes` gives each `Conv` its
    /// `(in, out, kernel)` and each `Linear` its `(in, out)` as `(in, out, 1)`, in order.
    pub fn random(layers: Vec<Layer>, shapes: &[(usize, usize, usize)], seed: u64) -> Result<Self> {
        let kinds = parametrised(&layers);
        if kinds.len() != shapes.len() {
            candle_core::bail!(
                "{} shapes for {} parametrised layers",
                shapes.len(),
                kinds.len()
            );
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut parameters = Vec::with_capacity(2 * shapes.len());
        for (&(input, output, kernel), is_conv) in shapes.iter().zip(kinds) {
            let fan_in = input * kernel * kernel;
            let bound = 1.0 / (fan_in as f64).sqrt();
            let mut uniform = |n: usize| -> Vec<f32> {
                (0..n)
                    .map(|_| rng.gen_range(-bound..bound) as f32)
                    .collect()
            };
            let weight_shape = if is_conv {
                vec![output, input, kernel, kernel]
            } else {
                vec![output, input]
            };
            parameters.push(Tensor::from_vec(
                uniform(fan_in * output),
                weight_shape,
                &Device::Cpu,
            )?);
            parameters.push(Tensor::from_vec(uniform(output), output, &Device::Cpu)?);
        }
        Self::new(layers, parameters)
    }

    /// The layers.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// Runs the layers on `x`, keeping what the backward pass needs.
    fn forward(
        layers: &[Layer],
        parameters: &mut std::slice::Iter<Tensor>,
        x: &Tensor,
        dropout: Option<&Tensor>,
        saved: &mut Vec<Saved>,
    ) -> Result<Tensor> {
        let mut h = x.clone();
        for layer in layers {
            let output = match layer {
                Layer::Residual(inner) => {
                    let mut inner_saved = Vec::new();
                    let body = Self::forward(inner, parameters, &h, dropout, &mut inner_saved)?;
                    saved.push(Saved::Residual(inner_saved));
                    h = (&h + body)?;
                    continue;
                }
                Layer::Normalize { mean, std } => ((&h - *mean)? / *std)?,
                Layer::Conv => {
                    let (w, b) = next_pair(parameters)?;
                    conv2d(&h, w, w.dim(2)? / 2)?.broadcast_add(&b.reshape((1, (), 1, 1))?)?
                }
                Layer::Relu => h.relu()?,
                Layer::MaxPool => max_pool(&h)?,
                Layer::Flatten => h.flatten_from(1)?,
                Layer::Dropout => match dropout {
                    Some(mask) => (&h * mask.reshape(h.shape())?)?,
                    None => h.clone(),
                },
                Layer::Linear => {
                    let (w, b) = next_pair(parameters)?;
                    h.matmul(&w.t()?)?.broadcast_add(b)?
                }
            };
            saved.push(Saved::Plain(h, output.clone()));
            h = output;
        }
        Ok(h)
    }

    /// Walks `layers` backwards from `delta` (the gradient at their output), writing parameter
    /// gradients into `grads` (indexed like the parameters, `end` one past the layers' last);
    /// returns the gradient at their input.
    fn backward(
        layers: &[Layer],
        parameters: &[Tensor],
        saved: &[Saved],
        mut delta: Tensor,
        dropout: Option<&Tensor>,
        grads: &mut [Option<Tensor>],
        mut end: usize,
    ) -> Result<Tensor> {
        for (layer, kept) in layers.iter().zip(saved).rev() {
            delta = match (layer, kept) {
                (Layer::Residual(inner), Saved::Residual(inner_saved)) => {
                    let start = end - count_parameters(inner);
                    let body = Self::backward(
                        inner,
                        parameters,
                        inner_saved,
                        delta.clone(),
                        dropout,
                        grads,
                        end,
                    )?;
                    end = start;
                    (delta + body)?
                }
                (_, Saved::Plain(input, output)) => {
                    let saved = (input, output);
                    let (d, used) = layer_backward(layer, parameters, end, saved, &delta, dropout)?;
                    for (slot, g) in used {
                        grads[slot] = Some(g);
                    }
                    if matches!(layer, Layer::Conv | Layer::Linear) {
                        end -= 2;
                    }
                    d
                }
                _ => candle_core::bail!("the saved activations do not match the layers"),
            };
        }
        Ok(delta)
    }

    fn run(
        &self,
        parameters: &[Tensor],
        x: &Tensor,
        dropout: Option<&Tensor>,
    ) -> Result<(Tensor, Vec<Saved>)> {
        let mut saved = Vec::new();
        let logits = Self::forward(&self.layers, &mut parameters.iter(), x, dropout, &mut saved)?;
        Ok((logits, saved))
    }

    /// Mean cross-entropy of `x` against target distributions `p` (`[B, classes]`).
    pub fn loss(&self, x: &Tensor, p: &Tensor, dropout: Option<&Tensor>) -> Result<Tensor> {
        let (logits, _) = self.run(&self.parameters, x, dropout)?;
        (p * log_softmax(&logits, D::Minus1)?)?
            .sum(D::Minus1)?
            .mean_all()?
            .neg()
    }

    /// The same layers with other `parameters` (e.g. tracked variables).
    pub fn with_parameters(&self, parameters: Vec<Tensor>) -> Result<Self> {
        Self::new(self.layers.clone(), parameters)
    }
}

impl ExplicitGradient for ExplicitNetwork {
    fn parameters(&self) -> &[Tensor] {
        &self.parameters
    }

    fn logits(&self, x: &Tensor) -> Result<Tensor> {
        Ok(self.run(&self.parameters, x, None)?.0)
    }

    fn dropout_features(&self, image: &[usize]) -> Result<usize> {
        let x = Tensor::zeros(image, DType::F32, &Device::Cpu)?.unsqueeze(0)?;
        let (_, saved) = self.run(&self.parameters, &x, None)?;
        dropout_width(&self.layers, &saved)?
            .ok_or_else(|| candle_core::Error::Msg("the network has no dropout layer".into()))
    }

    fn gradients_at(
        &self,
        parameters: &[Tensor],
        x: &Tensor,
        p: &Tensor,
        dropout: Option<&Tensor>,
    ) -> Result<Vec<Tensor>> {
        let (logits, saved) = self.run(parameters, x, dropout)?;
        let batch = x.dim(0)? as f64;
        let delta = ((softmax(&logits, D::Minus1)? - p)? / batch)?;
        let mut grads = vec![None; parameters.len()];
        Self::backward(
            &self.layers,
            parameters,
            &saved,
            delta,
            dropout,
            &mut grads,
            parameters.len(),
        )?;
        grads
            .into_iter()
            .map(|g| g.ok_or_else(|| candle_core::Error::Msg("a parameter got no gradient".into())))
            .collect()
    }
}

/// The gradient at the input of one non-residual layer, and the parameter gradients it yields
/// (slot, tensor); `end` is one past the layer's last parameter.
fn layer_backward(
    layer: &Layer,
    parameters: &[Tensor],
    end: usize,
    (input, output): (&Tensor, &Tensor),
    delta: &Tensor,
    dropout: Option<&Tensor>,
) -> Result<(Tensor, Vec<(usize, Tensor)>)> {
    Ok(match layer {
        Layer::Normalize { std, .. } => ((delta / *std)?, vec![]),
        Layer::Conv => {
            let w = &parameters[end - 2];
            let padding = w.dim(2)? / 2;
            let gw = weight_gradient(input, delta, padding)?;
            let gb = delta.sum((0, 2, 3))?;
            let d = conv2d_adjoint(delta, w, padding)?;
            (d, vec![(end - 2, gw), (end - 1, gb)])
        }
        Layer::Relu => ((delta * output.gt(0.0)?.to_dtype(delta.dtype())?)?, vec![]),
        Layer::MaxPool => (max_pool_backward(input, output, delta)?, vec![]),
        Layer::Flatten => (delta.reshape(input.shape())?, vec![]),
        Layer::Dropout => match dropout {
            Some(mask) => ((delta * mask.reshape(delta.shape())?)?, vec![]),
            None => (delta.clone(), vec![]),
        },
        Layer::Linear => {
            let w = &parameters[end - 2];
            let gw = delta.t()?.matmul(input)?;
            let gb = delta.sum(0)?;
            (delta.matmul(w)?, vec![(end - 2, gw), (end - 1, gb)])
        }
        Layer::Residual(_) => candle_core::bail!("residual blocks are walked by their caller"),
    })
}

/// 2×2 max pooling, stride 2, dropping a last odd row or column.
fn max_pool(x: &Tensor) -> Result<Tensor> {
    let (b, c, h, w) = x.dims4()?;
    let (ho, wo) = (h / 2, w / 2);
    x.narrow(2, 0, 2 * ho)?
        .narrow(3, 0, 2 * wo)?
        .reshape((b, c, ho, 2, wo, 2))?
        .max(5)?
        .max(3)
}

/// `up(δ) ⊙ [x = up(y)]`, zero-padded back to the input's size.
fn max_pool_backward(input: &Tensor, output: &Tensor, delta: &Tensor) -> Result<Tensor> {
    let (b, c, h, w) = input.dims4()?;
    let (ho, wo) = (h / 2, w / 2);
    let spread = |t: &Tensor| -> Result<Tensor> {
        t.reshape((b, c, ho, 1, wo, 1))?
            .broadcast_as((b, c, ho, 2, wo, 2))?
            .reshape((b, c, 2 * ho, 2 * wo))
    };
    let cropped = input.narrow(2, 0, 2 * ho)?.narrow(3, 0, 2 * wo)?;
    let winners = cropped.eq(&spread(output)?)?.to_dtype(delta.dtype())?;
    (spread(delta)? * winners)?
        .pad_with_zeros(2, 0, h - 2 * ho)?
        .pad_with_zeros(3, 0, w - 2 * wo)
}

/// `∂W[o, c] = Σ_n input[n, c] ⋆ delta[n, o]` for a kernel of side `2·padding + 1`, as one
/// convolution with batch and channels swapped, so that it is differentiable in both.
pub(crate) fn weight_gradient(input: &Tensor, delta: &Tensor, padding: usize) -> Result<Tensor> {
    let swapped_input = input.transpose(0, 1)?.contiguous()?;
    let swapped_delta = delta.transpose(0, 1)?.contiguous()?;
    conv2d(&swapped_input, &swapped_delta, padding)?
        .transpose(0, 1)?
        .contiguous()
}

fn next_pair<'a>(
    parameters: &mut std::slice::Iter<'a, Tensor>,
) -> Result<(&'a Tensor, &'a Tensor)> {
    match (parameters.next(), parameters.next()) {
        (Some(w), Some(b)) => Ok((w, b)),
        _ => candle_core::bail!("the network ran out of parameters"),
    }
}

/// For each parametrised layer in order (inner residual layers included): whether it is a
/// convolution (otherwise it is linear).
fn parametrised(layers: &[Layer]) -> Vec<bool> {
    let mut kinds = Vec::new();
    for layer in layers {
        match layer {
            Layer::Conv => kinds.push(true),
            Layer::Linear => kinds.push(false),
            Layer::Residual(inner) => kinds.extend(parametrised(inner)),
            _ => {}
        }
    }
    kinds
}

/// Parameter tensors taken by `layers`, inner residual layers included.
fn count_parameters(layers: &[Layer]) -> usize {
    2 * parametrised(layers).len()
}

/// Features per image at the first dropout layer, from a forward pass's saved activations.
fn dropout_width(layers: &[Layer], saved: &[Saved]) -> Result<Option<usize>> {
    for (layer, kept) in layers.iter().zip(saved) {
        match (layer, kept) {
            (Layer::Dropout, Saved::Plain(input, _)) => return Ok(Some(input.elem_count())),
            (Layer::Residual(inner), Saved::Residual(inner_saved)) => {
                if let Some(width) = dropout_width(inner, inner_saved)? {
                    return Ok(Some(width));
                }
            }
            _ => {}
        }
    }
    Ok(None)
}
