//! The LeNet of "Deep Leakage from Gradients" (Zhu, Liu, Han, NeurIPS 2019, arXiv:1906.08935,
//! the model of its Figure/Table experiments): three 5×5 convolutions with sigmoid activations
//! (strides 2, 2, 1; padding 2; 12 channels) and one fully connected layer, for `[B, C, H, W]`
//! images with `H`, `W` divisible by 4; or the same with ReLU activations. Dropout, when the
//! client trains with it, acts on the features entering the fully connected layer.
//!
//! Its cross-entropy parameter gradient is written out as an explicit expression of candle
//! operations ([`LeNet::parameter_gradients`]) rather than taken from candle's `backward`: gradient
//! matching differentiates that gradient once more with respect to the input, and candle's
//! backward pass, although it records a graph, gives wrong second derivatives for some
//! operations (measured for sigmoid: −0.4115 against −0.3259 by finite differences). The
//! expression uses only operations whose first derivative is exact:
//!
//! ```text
//! δ_fc = (softmax(z) − p)/B,   ∂W_fc = δ_fcᵀ h,   δ_h = δ_fc W_fc,
//! δ_l = δ_{a_l} ⊙ f'(z_l)  (sigmoid: a_l(1 − a_l); ReLU: [a_l > 0]),   ∂W_l = Σ_n a_{l−1} ⋆ up_s(δ_l),   δ_{a_{l−1}} = convᵀ(up_s(δ_l), W_l),
//! ```
//!
//! where `up_s` puts the stride-`s` gradient back on the full grid with zeros in between (a stride-2
//! convolution is a stride-1 convolution followed by keeping every other pixel).

use super::explicit_network::weight_gradient;
use super::ExplicitGradient;
use crate::nn::conv2d::{conv2d, conv2d_adjoint};
use candle_core::{DType, Device, Result, Tensor, D};
use candle_nn::ops::{log_softmax, sigmoid, softmax};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Channels of every convolution.
const WIDTH: usize = 12;
const KERNEL: usize = 5;
const STRIDES: [usize; 3] = [2, 2, 1];

/// The parameters, in the order of [`LeNet::parameters`]: three (kernel, bias) pairs, then the
/// fully connected weight `[classes, 12·H/4·W/4]` and bias.
#[derive(Clone, Debug)]
pub struct LeNet {
    parameters: Vec<Tensor>,
    activation: Activation,
}

/// The nonlinearity after every convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// DLG's choice: smooth, so the gradient carries the most information.
    Sigmoid,
    Relu,
}

impl Activation {
    fn apply(self, z: &Tensor) -> Result<Tensor> {
        match self {
            Activation::Sigmoid => sigmoid(z),
            Activation::Relu => z.relu(),
        }
    }

    /// `f'(z)` from the activation `a = f(z)`.
    fn derivative(self, a: &Tensor) -> Result<Tensor> {
        match self {
            Activation::Sigmoid => a * (1.0 - a)?,
            Activation::Relu => a.gt(0.0)?.to_dtype(a.dtype()),
        }
    }
}

/// The activations a forward pass keeps for the gradient.
struct Forward {
    /// Input, then the three sigmoid outputs.
    activations: Vec<Tensor>,
    logits: Tensor,
}

impl LeNet {
    /// Weights drawn uniformly in ±0.5 from `seed`, as DLG initialises its LeNet, for `channels`
    /// input channels, `height`×`width` images, `classes` outputs and the given activation.
    pub fn random(
        channels: usize,
        (height, width): (usize, usize),
        classes: usize,
        activation: Activation,
        seed: u64,
    ) -> Result<Self> {
        if height % 4 != 0 || width % 4 != 0 || height == 0 || width == 0 {
            candle_core::bail!("LeNet needs image sides divisible by 4, got {height}×{width}");
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut uniform = |shape: &[usize]| -> Result<Tensor> {
            let n: usize = shape.iter().product();
            let values: Vec<f32> = (0..n).map(|_| rng.gen_range(-0.5..0.5)).collect();
            Tensor::from_vec(values, shape, &Device::Cpu)
        };
        let mut parameters = Vec::new();
        let mut inputs = channels;
        for _ in STRIDES {
            parameters.push(uniform(&[WIDTH, inputs, KERNEL, KERNEL])?);
            parameters.push(uniform(&[WIDTH])?);
            inputs = WIDTH;
        }
        let features = WIDTH * (height / 4) * (width / 4);
        parameters.push(uniform(&[classes, features])?);
        parameters.push(uniform(&[classes])?);
        Ok(Self {
            parameters,
            activation,
        })
    }

    /// The parameter tensors: conv kernels and biases, then the fully connected weight and bias.
    pub fn parameters(&self) -> &[Tensor] {
        &self.parameters
    }

    /// The same architecture with `parameters` (e.g. tracked variables, to check the gradient).
    pub fn with_parameters(&self, parameters: Vec<Tensor>) -> Self {
        Self {
            parameters,
            activation: self.activation,
        }
    }

    /// Class logits `[B, classes]` of images `x`.
    pub fn logits(&self, x: &Tensor) -> Result<Tensor> {
        Ok(self.forward(x, None)?.logits)
    }

    /// The number of features entering the fully connected layer (where dropout acts).
    pub fn features(&self) -> usize {
        self.parameters[6].dims()[1]
    }

    /// The forward pass; `dropout` multiplies the features entering the fully connected layer
    /// (`[B, features]`: a dropout mask already divided by the keep probability).
    fn forward(&self, x: &Tensor, dropout: Option<&Tensor>) -> Result<Forward> {
        let mut activations = vec![x.clone()];
        for (l, stride) in STRIDES.iter().enumerate() {
            let (kernel, bias) = (&self.parameters[2 * l], &self.parameters[2 * l + 1]);
            let full = conv2d(&activations[l], kernel, KERNEL / 2)?;
            let z = subsample(&full, *stride)?.broadcast_add(&bias.reshape((1, (), 1, 1))?)?;
            activations.push(self.activation.apply(&z)?);
        }
        let h = features(&activations[3], dropout)?;
        let logits = h
            .matmul(&self.parameters[6].t()?)?
            .broadcast_add(&self.parameters[7])?;
        Ok(Forward {
            activations,
            logits,
        })
    }

    /// Mean cross-entropy of `x` against target distributions `p` (`[B, classes]`, rows summing
    /// to one: one-hot labels or DLG's soft dummy labels).
    pub fn loss(&self, x: &Tensor, p: &Tensor, dropout: Option<&Tensor>) -> Result<Tensor> {
        let logits = self.forward(x, dropout)?.logits;
        (p * log_softmax(&logits, D::Minus1)?)?
            .sum(D::Minus1)?
            .mean_all()?
            .neg()
    }

    /// `∂ loss(x, p)/∂θ` for every parameter, as an explicit expression of `x` and `p` that can
    /// be differentiated once more (see the module documentation).
    pub fn parameter_gradients(&self, x: &Tensor, p: &Tensor) -> Result<Vec<Tensor>> {
        self.dropped_parameter_gradients(x, p, None)
    }

    /// [`Self::parameter_gradients`] of the network with `dropout` multiplying the features that
    /// enter the fully connected layer (see [`dropout_mask`]).
    pub fn dropped_parameter_gradients(
        &self,
        x: &Tensor,
        p: &Tensor,
        dropout: Option<&Tensor>,
    ) -> Result<Vec<Tensor>> {
        let Forward {
            activations,
            logits,
        } = self.forward(x, dropout)?;
        let batch = x.dim(0)? as f64;
        let delta = ((softmax(&logits, D::Minus1)? - p)? / batch)?;
        let h = features(&activations[3], dropout)?;
        let mut grads = vec![Tensor::zeros(1, DType::F32, &Device::Cpu)?; 8];
        grads[6] = delta.t()?.matmul(&h)?;
        grads[7] = delta.sum(0)?;
        let mut upstream = delta.matmul(&self.parameters[6])?;
        if let Some(mask) = dropout {
            upstream = (upstream * mask)?;
        }
        let mut upstream = upstream.reshape(activations[3].shape())?;
        for l in (0..3).rev() {
            let a = &activations[l + 1];
            let dz = (upstream * self.activation.derivative(a)?)?;
            grads[2 * l + 1] = dz.sum((0, 2, 3))?;
            let full = upsample(&dz, STRIDES[l])?;
            grads[2 * l] = weight_gradient(&activations[l], &full, KERNEL / 2)?;
            upstream = conv2d_adjoint(&full, &self.parameters[2 * l], KERNEL / 2)?;
        }
        Ok(grads)
    }
}

impl ExplicitGradient for LeNet {
    fn parameters(&self) -> &[Tensor] {
        &self.parameters
    }

    fn logits(&self, x: &Tensor) -> Result<Tensor> {
        LeNet::logits(self, x)
    }

    fn dropout_features(&self, _image: &[usize]) -> Result<usize> {
        Ok(self.features())
    }

    fn gradients_at(
        &self,
        parameters: &[Tensor],
        x: &Tensor,
        p: &Tensor,
        dropout: Option<&Tensor>,
    ) -> Result<Vec<Tensor>> {
        self.with_parameters(parameters.to_vec())
            .dropped_parameter_gradients(x, p, dropout)
    }
}

/// The flattened last activation, times the dropout multiplier when there is one.
fn features(activation: &Tensor, dropout: Option<&Tensor>) -> Result<Tensor> {
    let h = activation.flatten_from(1)?;
    match dropout {
        Some(mask) => h * mask,
        None => Ok(h),
    }
}

/// A dropout multiplier of `[batch, features]`: each entry `0` with probability `p`, otherwise
/// `1/(1 − p)` (inverted dropout, as PyTorch's), drawn from `seed`.
pub fn dropout_mask(batch: usize, features: usize, p: f64, seed: u64) -> Result<Tensor> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let keep = 1.0 / (1.0 - p);
    let values: Vec<f32> = (0..batch * features)
        .map(|_| {
            if rng.gen::<f64>() < p {
                0.0
            } else {
                keep as f32
            }
        })
        .collect();
    Tensor::from_vec(values, (batch, features), &Device::Cpu)
}

/// Every `stride`-th pixel of `x` in both directions.
fn subsample(x: &Tensor, stride: usize) -> Result<Tensor> {
    if stride == 1 {
        return Ok(x.clone());
    }
    let (b, c, h, w) = x.dims4()?;
    x.reshape((b, c, h / stride, stride, w / stride, stride))?
        .narrow(3, 0, 1)?
        .narrow(5, 0, 1)?
        .reshape((b, c, h / stride, w / stride))
}

/// The adjoint of [`subsample`]: `x` at every `stride`-th pixel, zeros elsewhere.
fn upsample(x: &Tensor, stride: usize) -> Result<Tensor> {
    if stride == 1 {
        return Ok(x.clone());
    }
    let (b, c, h, w) = x.dims4()?;
    x.reshape((b, c, h, 1, w, 1))?
        .pad_with_zeros(3, 0, stride - 1)?
        .pad_with_zeros(5, 0, stride - 1)?
        .reshape((b, c, h * stride, w * stride))
}
