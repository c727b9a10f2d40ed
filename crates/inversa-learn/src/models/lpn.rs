//! Learned Proximal Networks: Fang, Buchanan, Sulam, "What's in a Prior? Learned Proximal
//! Networks for Inverse Problems", ICLR 2024.
//!
//! The network is the gradient of an input-convex potential `ψ`, so by Gribonval and Nikolova's
//! characterisation it is exactly the proximal operator of some regulariser `R`:
//! `f = ∇ψ = prox_R`. Here `ψ` is a fully convolutional input-convex network (stride 1, so `R` is
//! a sum of convex functions of image patches and the prox applies to any image size):
//!
//! ```text
//! z₁ = s(H₁ x + b₁),   z_k = s(W_k z_{k−1} + H_k x + b_k)  (k = 2 … L+1, z_{L+1} one channel),
//! ψ(x) = Σ_pixels z_{L+1} + (α/2)‖x‖²,
//! ```
//!
//! with `s` the softplus of sharpness `β` (convex, increasing) and `W_k ≥ 0` (kept so by
//! [`LearnedProximalNetwork::clip_weights`] after each optimiser step, as in the paper). The
//! prox `f(x) = ∇ψ(x)` is written out as an explicit backward pass built from differentiable
//! operations (candle detaches gradients inside `backward`, so autodiff of autodiff would lose
//! the dependence on the weights):
//!
//! ```text
//! δ_{L+1} = s'(a_{L+1}),   δ_{k−1} = s'(a_{k−1}) ⊙ W_kᵀ δ_k,   f(x) = Σ_k H_kᵀ δ_k + α x.
//! ```
//!
//! The regulariser is recovered as the paper does, by inverting the prox: for `x`, find `y` with
//! `f(y) = x` (the minimiser of the convex `ψ(y) − ⟨x, y⟩`), then
//! `R(x) = ⟨x, y⟩ − ½‖x‖² − ψ(y)`.

use crate::nn::conv2d::{conv2d, conv2d_adjoint};
use candle_core::{DType, Device, Result, Tensor, D};
use candle_nn::{Init, VarBuilder, VarMap};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use std::collections::HashMap;
use std::path::Path;

/// The architecture.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LpnShape {
    /// Hidden channels per layer.
    pub hidden: usize,
    /// Hidden layers `L` (the potential has `L + 1` convolutional layers).
    pub layers: usize,
    /// Softplus sharpness `β`.
    pub beta: f64,
    /// Strong convexity `α` of the potential, which makes the prox invertible.
    pub alpha: f64,
}

/// The safetensors metadata value of `architecture` in LPN weights.
pub const ARCHITECTURE: &str = "lpn";

impl LpnShape {
    /// The `architecture`, `hidden`, `layers`, `beta` and `alpha` metadata of a weights file.
    pub fn metadata(&self) -> HashMap<String, String> {
        crate::nn::weights::metadata(
            ARCHITECTURE,
            &[
                ("hidden", &self.hidden),
                ("layers", &self.layers),
                ("beta", &self.beta),
                ("alpha", &self.alpha),
            ],
        )
    }

    /// Reads the architecture back from a weights file's metadata; `origin` names it in errors.
    pub fn from_metadata(
        metadata: &HashMap<String, String>,
        origin: &Path,
    ) -> inversa::Result<Self> {
        let bad = |message: String| inversa::Error::format(origin, message);
        crate::nn::weights::expect_architecture(metadata, ARCHITECTURE, "LPN weights", origin)?;
        let value = |key: &str| -> inversa::Result<f64> {
            metadata
                .get(key)
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|v| v.is_finite() && *v > 0.0)
                .ok_or_else(|| bad(format!("metadata \"{key}\" must be a positive number")))
        };
        let size = |key| crate::nn::weights::positive_metadata(metadata, key, origin);
        Ok(Self {
            hidden: size("hidden")?,
            layers: size("layers")?,
            beta: value("beta")?,
            alpha: value("alpha")?,
        })
    }
}

impl Default for LpnShape {
    fn default() -> Self {
        Self {
            hidden: 32,
            layers: 4,
            beta: 10.0,
            alpha: 0.01,
        }
    }
}

/// A Learned Proximal Network on grey `[B, 1, H, W]` images.
pub struct LearnedProximalNetwork {
    shape: LpnShape,
    /// `H₁ … H_{L+1}` stacked along the output channels: `[L·hidden + 1, 1, 3, 3]`, with biases.
    input_weight: Tensor,
    input_bias: Tensor,
    /// `W₂ … W_{L+1}` (non-negative, no bias).
    hidden_weights: Vec<Tensor>,
}

/// The tensor names of the non-negative weights.
fn hidden_name(k: usize) -> String {
    format!("hidden{k}.weight")
}

impl LearnedProximalNetwork {
    /// A network with weights under `vb` (fresh variables: `H_k` uniform ±1/3, `W_k` to be set by
    /// [`Self::initialise_nonnegative`]).
    pub fn new(shape: LpnShape, vb: VarBuilder) -> Result<Self> {
        let stacked = shape.layers * shape.hidden + 1;
        let uniform = Init::Uniform {
            lo: -1.0 / 3.0,
            up: 1.0 / 3.0,
        };
        let input_weight = vb.get_with_hints((stacked, 1, 3, 3), "input.weight", uniform)?;
        let input_bias = vb.get_with_hints(stacked, "input.bias", uniform)?;
        let hidden_weights = (2..=shape.layers + 1)
            .map(|k| {
                let outputs = if k == shape.layers + 1 {
                    1
                } else {
                    shape.hidden
                };
                let init = Init::Randn {
                    mean: -10.0,
                    stdev: 0.1,
                };
                let raw =
                    vb.get_with_hints((outputs, shape.hidden, 3, 3), &hidden_name(k), init)?;
                Ok(raw)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            shape,
            input_weight,
            input_bias,
            hidden_weights,
        })
    }

    /// A fresh network for training, its variables in `varmap`, the non-negative ones drawn by
    /// [`Self::initialise_nonnegative`] from `seed`.
    pub fn for_training(shape: LpnShape, varmap: &VarMap, seed: u64) -> Result<Self> {
        let net = Self::new(
            shape,
            VarBuilder::from_varmap(varmap, DType::F32, &Device::Cpu),
        )?;
        Self::initialise_nonnegative(varmap, seed)?;
        Ok(net)
    }

    /// Sets the non-negative weights of `varmap` to `exp(N(−10, 0.1))` (tiny and positive), the
    /// paper's initialisation, drawn from `seed`.
    #[allow(
        clippy::expect_used,
        reason = "a poisoned lock means another thread already panicked"
    )]
    pub fn initialise_nonnegative(varmap: &VarMap, seed: u64) -> Result<()> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x4c50_4e00);
        let mut vars: Vec<_> = varmap
            .data()
            .lock()
            .expect("varmap lock")
            .clone()
            .into_iter()
            .collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, var) in vars {
            if name.starts_with("hidden") {
                let values: Vec<f32> = (0..var.elem_count())
                    .map(|_| (-10.0 + 0.1 * rng.sample::<f32, _>(StandardNormal)).exp())
                    .collect();
                var.set(&Tensor::from_vec(values, var.shape(), var.device())?)?;
            }
        }
        Ok(())
    }

    /// The architecture.
    pub fn shape(&self) -> LpnShape {
        self.shape
    }

    /// Projects the `W_k` of `varmap` onto `W ≥ 0`, which keeps `ψ` convex.
    #[allow(
        clippy::expect_used,
        reason = "a poisoned lock means another thread already panicked"
    )]
    pub fn clip_weights(varmap: &VarMap) -> Result<()> {
        for (name, var) in varmap.data().lock().expect("varmap lock").iter() {
            if name.starts_with("hidden") {
                var.set(&var.as_tensor().relu()?)?;
            }
        }
        Ok(())
    }

    /// Pre-activations `a_k` of every layer (the potential's forward pass).
    #[allow(
        clippy::expect_used,
        reason = "`a` starts with the input layer, so it is never empty"
    )]
    fn preactivations(&self, x: &Tensor) -> Result<Vec<Tensor>> {
        let hidden = self.shape.hidden;
        let inputs = conv2d(x, &self.input_weight, 1)?
            .broadcast_add(&self.input_bias.reshape((1, (), 1, 1))?)?;
        let mut a = vec![inputs.narrow(1, 0, hidden)?];
        for (i, w) in self.hidden_weights.iter().enumerate() {
            let z = softplus(a.last().expect("one layer at least"), self.shape.beta)?;
            let channels = w.dim(0)?;
            let from_x = inputs.narrow(1, (i + 1) * hidden, channels)?;
            a.push((conv2d(&z, w, 1)? + from_x)?);
        }
        Ok(a)
    }

    /// `ψ(x)` for each image of the batch: `[B]`.
    #[allow(
        clippy::expect_used,
        reason = "`preactivations` returns at least the input layer"
    )]
    pub fn potential(&self, x: &Tensor) -> Result<Tensor> {
        let a = self.preactivations(x)?;
        let last = softplus(a.last().expect("one layer at least"), self.shape.beta)?;
        let quadratic = (x.sqr()?.flatten_from(1)?.sum(D::Minus1)? * (0.5 * self.shape.alpha))?;
        last.flatten_from(1)?.sum(D::Minus1)? + quadratic
    }

    /// The prox `f(x) = ∇ψ(x)`, `[B, 1, H, W]`, differentiable in the weights.
    #[allow(
        clippy::expect_used,
        reason = "`preactivations` returns at least the input layer, and `deltas` starts non-empty"
    )]
    pub fn prox(&self, x: &Tensor) -> Result<Tensor> {
        let a = self.preactivations(x)?;
        let beta = self.shape.beta;
        let mut deltas = vec![candle_nn::ops::sigmoid(
            &(a.last().expect("layers") * beta)?,
        )?];
        for (k, w) in self.hidden_weights.iter().enumerate().rev() {
            let back = conv2d_adjoint(deltas.last().expect("one delta"), w, 1)?;
            deltas.push((candle_nn::ops::sigmoid(&(&a[k] * beta)?)? * back)?);
        }
        deltas.reverse();
        let stacked = Tensor::cat(&deltas, 1)?;
        conv2d_adjoint(&stacked, &self.input_weight, 1)? + (x * self.shape.alpha)?
    }

    /// `R(x)` for each image of the batch, by inverting the prox: accelerated gradient descent
    /// on the strongly convex `φ(y) = ψ(y) − ⟨x, y⟩` (gradient `f(y) − x`) from `y = x`, with
    /// backtracking on the step and a restart whenever `φ` rises (O'Donoghue and Candès), for
    /// `iterations` steps. Returns `R(x)` and the relative residual `‖f(y) − x‖ / ‖x‖` reached.
    pub fn regulariser(&self, x: &Tensor, iterations: usize) -> Result<(Vec<f64>, f64)> {
        let x = x.detach();
        let phi = |y: &Tensor| -> Result<f64> {
            let inner = (y * &x)?.sum_all()?.to_scalar::<f32>()?;
            Ok(f64::from(
                self.potential(y)?.sum_all()?.to_scalar::<f32>()? - inner,
            ))
        };
        let (mut y, mut previous) = (x.clone(), x.clone());
        let (mut lipschitz, mut momentum_step, mut value) = (1.0f64, 0usize, phi(&x)?);
        for _ in 0..iterations {
            let momentum = momentum_step as f64 / (momentum_step as f64 + 3.0);
            let v = (&y + ((&y - &previous)? * momentum)?)?;
            let gradient = (self.prox(&v)?.detach() - &x)?;
            let squared = f64::from(gradient.sqr()?.sum_all()?.to_scalar::<f32>()?);
            let at_v = phi(&v)?;
            let (next, next_value) = loop {
                let candidate = (&v - (&gradient * (1.0 / lipschitz))?)?;
                let at_candidate = phi(&candidate)?;
                // Sufficient decrease, or round-off has the last word.
                let decrease = at_v - at_candidate;
                if decrease >= squared / (2.0 * lipschitz) - 1e-6 * at_v.abs() || lipschitz > 1e12 {
                    break (candidate, at_candidate);
                }
                lipschitz *= 2.0;
            };
            previous = y;
            if next_value > value {
                // Restart the momentum from the better point.
                momentum_step = 0;
                y = previous.clone();
            } else {
                momentum_step += 1;
                y = next;
                value = next_value;
            }
            lipschitz *= 0.9;
        }
        let residual = (self.prox(&y)?.detach() - &x)?.sqr()?.sum_all()?.sqrt()?;
        let relative = f64::from(residual.to_scalar::<f32>()?)
            / f64::from(x.sqr()?.sum_all()?.sqrt()?.to_scalar::<f32>()?).max(1e-30);
        let inner = (&x * &y)?.flatten_from(1)?.sum(D::Minus1)?;
        let half_norm = (x.sqr()?.flatten_from(1)?.sum(D::Minus1)? * 0.5)?;
        let values = ((inner - half_norm)? - self.potential(&y)?)?;
        let values = values.to_dtype(DType::F64)?.to_vec1::<f64>()?;
        Ok((values, relative))
    }

    /// A network from safetensors `bytes` written by `inversa train lpn` (the architecture in
    /// the metadata, see [`LpnShape::metadata`]); `origin` names them in errors.
    pub fn from_safetensors(bytes: &[u8], origin: &Path) -> inversa::Result<Self> {
        let (tensors, metadata) = crate::nn::weights::read_safetensors(bytes, origin)?;
        let shape = LpnShape::from_metadata(&metadata, origin)?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
        Self::new(shape, vb).map_err(|e| inversa::Error::format(origin, e.to_string()))
    }
}

/// `s(a) = log(1 + e^{βa}) / β`, written as `relu(a) + log(1 + e^{−β|a|}) / β` so that it does not
/// overflow.
fn softplus(a: &Tensor, beta: f64) -> Result<Tensor> {
    let tail = ((a.abs()? * -beta)?.exp()? + 1.0)?.log()?;
    a.relu()? + (tail / beta)?
}
