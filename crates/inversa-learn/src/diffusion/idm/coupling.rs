//! IDM's reversible coupling and the backward pass that recomputes instead of storing.
//!
//! A sequence runs on a pair `(x¹, x²)`, entered as `(x, s·x)` and left as `x¹ + m·x²`; each layer
//! with body `F` and learnable scalars `a, b, v` maps
//!
//! ```text
//! y¹ = a·F(x¹) + b·x¹ + v·x²,   y² = x¹,
//! ```
//!
//! which is invertible whatever `F` is (for `v ≠ 0`): `x¹ = y²`, `x² = (y¹ − a·F(y²) − b·y²)/v`.
//! The paper's layer is `a = 1 − v`, `b = 0`; starting instead from `a = 1`, `b = −v` makes a
//! layer entered with `x² = x¹` compute exactly `F(x¹)`, so that the fine-tuning starts from the
//! pretrained network and sampler (see [`super`]). So the backward pass needs only the last pair:
//! walking the layers backwards it rebuilds each layer's input from its output, recomputes `F`
//! there with its graph, and drops that graph before the next layer. With upstream gradients
//! `(g¹, g²)` on `(y¹, y²)`:
//!
//! ```text
//! g_{x¹} = a·(∂F/∂x¹)ᵀ g¹ + b·g¹ + g²,   g_{x²} = v·g¹,
//! g_a = ⟨F(x¹), g¹⟩,   g_b = ⟨x¹, g¹⟩,   g_v = ⟨x², g¹⟩,
//! ```
//!
//! and at the ends `g_x = g¹ + s·g²`, `g_s = ⟨x, g²⟩` (entry), `g_m = ⟨x², g⟩` (exit). A body may
//! itself recompute (its own [`Body::vjp`]): that is IDM's second level, the blocks of the network
//! inside each sampling step.
//!
//! Chen, Zhang, Li, Zhao, Yu, Zhao, Chen, Zhang, "Invertible Diffusion Models for Compressed
//! Sensing", IEEE TPAMI 2025, arXiv:2403.17006, §3.2 (the wrapper of eq. 9 with its learnable `v`,
//! initialised at 0.5; reference code `backprop.py`).

use candle_core::backprop::GradStore;
use candle_core::{Result, Tensor, TensorId, Var};
use std::collections::HashSet;

/// What a body returns to the backward pass: `F(x)`, `(∂F/∂x)ᵀ g` and the gradients `gᵀ ∂F/∂θ`
/// of its parameters.
pub(crate) struct Vjp {
    pub value: Tensor,
    pub input_grad: Tensor,
    pub grads: GradStore,
}

/// The function `F` of one coupling layer.
pub(crate) trait Body {
    /// `F(x)`, its graph kept while the result lives (plain backpropagation and inference).
    fn apply(&self, x: &Tensor) -> Result<Tensor>;

    /// `F(x)` without a graph, computed with as little memory as the body can.
    fn apply_light(&self, x: &Tensor) -> Result<Tensor> {
        Ok(self.apply(x)?.detach())
    }

    /// `F(x)` and its vector–Jacobian product with `g`; by default `F` recomputed with its graph,
    /// which is dropped on return.
    fn vjp(&self, x: &Tensor, g: &Tensor) -> Result<Vjp> {
        autograd_vjp(|x| self.apply(x), x, g)
    }
}

/// `f(x)` and `gᵀ ∂f/∂(x, θ)` by candle's autograd on a fresh copy of `x`.
pub(crate) fn autograd_vjp(
    f: impl FnOnce(&Tensor) -> Result<Tensor>,
    x: &Tensor,
    g: &Tensor,
) -> Result<Vjp> {
    let input = Var::from_tensor(&x.detach())?;
    let value = f(input.as_tensor())?;
    let mut grads = backward(&(&value * g.detach())?.sum_all()?)?;
    let input_grad = match grads.remove(input.as_tensor()) {
        Some(grad) => grad,
        None => x.zeros_like()?,
    };
    Ok(Vjp {
        value: value.detach(),
        input_grad,
        grads,
    })
}

/// The gradients of the variables under the scalar `loss`, each cut from its graph.
///
/// Autograd's store also holds gradients of the constants the graph read (the measurement, the
/// upstream gradient of a vector–Jacobian product), and it may hand back gradients that still carry
/// the operations that made them (a convolution's input gradient is built from differentiable
/// operations on its kernel, a variable). Kept, either would make memory grow with every step of
/// a recomputing backward pass: the first by a fresh entry per call, the second by keeping the
/// activations of the pass that made it.
pub(crate) fn backward(loss: &Tensor) -> Result<GradStore> {
    let variables: HashSet<TensorId> = loss
        .sorted_nodes()
        .iter()
        .filter(|node| node.is_variable())
        .map(|node| node.id())
        .collect();
    let grads = loss.backward()?;
    let mut out = GradStore::default();
    for id in variables {
        if let Some(grad) = grads.get_id(id) {
            out.insert_id(id, grad.detach());
        }
    }
    Ok(out)
}

/// Adds `grad` to the gradient of `var` in `store`.
pub(crate) fn accumulate(store: &mut GradStore, var: &Tensor, grad: Tensor) -> Result<()> {
    let total = match store.remove(var) {
        Some(previous) => (previous + grad)?,
        None => grad,
    };
    store.insert(var, total.detach());
    Ok(())
}

/// `⟨a, b⟩` as a tensor of `like`'s shape and dtype (a learnable scalar's gradient).
fn inner(a: &Tensor, b: &Tensor, like: &Tensor) -> Result<Tensor> {
    (a * b)?
        .sum_all()?
        .reshape(like.shape())?
        .to_dtype(like.dtype())
}

/// The pair a sequence ends in: all the backward pass keeps of it.
#[derive(Clone, Debug)]
pub struct Pair {
    pub first: Tensor,
    pub second: Tensor,
}

/// The value of a `[1]` variable.
pub(crate) fn scalar(t: &Tensor) -> Result<f64> {
    t.flatten_all()?
        .to_dtype(candle_core::DType::F64)?
        .to_vec1::<f64>()?
        .first()
        .copied()
        .ok_or_else(|| candle_core::Error::Msg("an empty scalar".into()))
}

/// One layer's learnable `[1]` scalars: `y¹ = a·F(x¹) + b·x¹ + v·x²`.
pub(crate) struct Mix {
    pub a: Tensor,
    pub b: Tensor,
    pub v: Tensor,
}

/// The values of a [`Mix`].
#[derive(Clone, Copy)]
struct Weights {
    a: f64,
    b: f64,
    v: f64,
}

impl Mix {
    fn values(&self) -> Result<Weights> {
        Ok(Weights {
            a: scalar(&self.a)?,
            b: scalar(&self.b)?,
            v: scalar(&self.v)?,
        })
    }
}

/// The learnable scalars of one reversible sequence: the entry's `s`, the exit's `m` and one
/// [`Mix`] per layer.
pub(crate) struct Sequence {
    pub entry: Tensor,
    pub exit: Tensor,
    pub layers: Vec<Mix>,
}

impl Sequence {
    /// Checks that there is one body per layer.
    fn check(&self, bodies: &[&dyn Body]) -> Result<()> {
        if bodies.len() != self.layers.len() {
            candle_core::bail!(
                "a sequence of {} layers got {} bodies",
                self.layers.len(),
                bodies.len()
            );
        }
        Ok(())
    }

    /// The output with the whole graph kept, the scalars in it (plain backpropagation).
    pub fn forward(&self, x: &Tensor, bodies: &[&dyn Body]) -> Result<Tensor> {
        self.check(bodies)?;
        // The scalars in the stream's dtype (the chain's stream is f64), differentiably.
        let cast = |t: &Tensor| t.to_dtype(x.dtype());
        let (mut first, mut second) = (x.clone(), x.broadcast_mul(&cast(&self.entry)?)?);
        for (mix, body) in self.layers.iter().zip(bodies) {
            let f = body.apply(&first)?;
            let mixed = ((f.broadcast_mul(&cast(&mix.a)?)?
                + first.broadcast_mul(&cast(&mix.b)?)?)?
                + second.broadcast_mul(&cast(&mix.v)?)?)?;
            second = std::mem::replace(&mut first, mixed);
        }
        first + second.broadcast_mul(&cast(&self.exit)?)?
    }

    /// `x¹ + m·x²` without a graph.
    pub fn merge(&self, pair: &Pair) -> Result<Tensor> {
        &pair.first + pair.second.affine(scalar(&self.exit)?, 0.0)?
    }

    /// The last pair, each layer's graph dropped as soon as its output is known.
    pub fn forward_light(&self, x: &Tensor, bodies: &[&dyn Body]) -> Result<Pair> {
        self.check(bodies)?;
        let x = x.detach();
        let mut pair = Pair {
            second: x.affine(scalar(&self.entry)?, 0.0)?,
            first: x,
        };
        for (mix, body) in self.layers.iter().zip(bodies) {
            let w = mix.values()?;
            let f = body.apply_light(&pair.first)?;
            let first = ((f.affine(w.a, 0.0)? + pair.first.affine(w.b, 0.0)?)?
                + pair.second.affine(w.v, 0.0)?)?;
            pair = Pair {
                second: pair.first,
                first,
            };
        }
        Ok(pair)
    }

    /// The input that led to `last`, rebuilt layer by layer from the outputs.
    pub fn inverse(&self, last: &Pair, bodies: &[&dyn Body]) -> Result<Tensor> {
        self.check(bodies)?;
        let mut pair = last.clone();
        for (mix, body) in self.layers.iter().zip(bodies).rev() {
            let f = body.apply_light(&pair.second)?;
            pair = undo(&pair, mix.values()?, &f)?;
        }
        Ok(pair.first)
    }

    /// From the last pair and the gradient `g` on the merged output: the input, its gradient and
    /// every parameter's gradient, one layer's graph alive at a time.
    pub fn backward(
        &self,
        last: &Pair,
        g: &Tensor,
        bodies: &[&dyn Body],
    ) -> Result<(Tensor, Tensor, GradStore)> {
        self.check(bodies)?;
        let mut store = GradStore::default();
        let g = g.detach();
        accumulate(&mut store, &self.exit, inner(&last.second, &g, &self.exit)?)?;
        let mut grad = Pair {
            second: g.affine(scalar(&self.exit)?, 0.0)?,
            first: g,
        };
        let mut pair = last.clone();
        for (mix, body) in self.layers.iter().zip(bodies).rev() {
            let w = mix.values()?;
            let vjp = body.vjp(&pair.second, &grad.first.affine(w.a, 0.0)?)?;
            store.extend(vjp.grads)?;
            let input = undo(&pair, w, &vjp.value)?;
            for (var, factor) in [
                (&mix.a, &vjp.value),
                (&mix.b, &input.first),
                (&mix.v, &input.second),
            ] {
                accumulate(&mut store, var, inner(factor, &grad.first, var)?)?;
            }
            grad = Pair {
                first: ((vjp.input_grad.detach() + grad.first.affine(w.b, 0.0)?)? + &grad.second)?,
                second: grad.first.affine(w.v, 0.0)?,
            };
            pair = input;
        }
        let x = pair.first;
        accumulate(
            &mut store,
            &self.entry,
            inner(&x, &grad.second, &self.entry)?,
        )?;
        let input_grad = (&grad.first + grad.second.affine(scalar(&self.entry)?, 0.0)?)?;
        Ok((x, input_grad, store))
    }
}

/// The layer's input `(y², (y¹ − a·f − b·y²)/v)` from its output `pair` and `f = F(y²)`.
fn undo(pair: &Pair, w: Weights, f: &Tensor) -> Result<Pair> {
    let rest = ((&pair.first - f.affine(w.a, 0.0)?)? - pair.second.affine(w.b, 0.0)?)?;
    Ok(Pair {
        first: pair.second.clone(),
        second: rest.affine(1.0 / w.v, 0.0)?,
    })
}
