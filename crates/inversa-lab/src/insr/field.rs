//! The spatial field of INSR: a SIREN (V. Sitzmann et al., "Implicit Neural Representations with
//! Periodic Activation Functions", NeurIPS 2020, arXiv:2006.09661), the network the INSR paper uses,
//! from one unit coordinate `a ∈ [−1, 1]` to one value, in candle (f64):
//!
//! ```text
//! h₀ = a,   hₗ = sin(ω₀ (Wₗ hₗ₋₁ + bₗ)),   u = W_out h_L + b_out,
//! ```
//!
//! with SIREN's initialisation: first layer `W ~ U(−1/n_in, 1/n_in)`, later ones
//! `W ~ U(−√(6/n_in)/ω₀, √(6/n_in)/ω₀)`, biases `U(−1/√n_in, 1/√n_in)` (a linear layer's default).
//! Its slope `∂u/∂a` is carried forward in the same graph (`z' = W h'`, `h' = ω₀ cos(ω₀ z) z'`), so
//! candle's backward pass differentiates an energy with `u_x` in it with respect to the weights; the
//! shared [`crate::pde::mlp`] is a two-input tanh network with second derivatives, which this
//! one-input field does not need. The stored degrees of freedom are [`Siren::parameters`].

use candle_core::{Device, Result, Tensor, Var};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The layers as `(W [out, in], b [out])`.
type Layers = [(Tensor, Tensor)];

/// A SIREN with trainable weights.
pub struct Siren {
    layers: Vec<(Var, Var)>,
    omega: f64,
}

/// A copy of a SIREN's weights at one moment (the previous time step's field), not trained.
pub struct Frozen {
    layers: Vec<(Tensor, Tensor)>,
    omega: f64,
}

/// A column `[n, 1]` of `values`.
pub fn column(values: &[f64]) -> Result<Tensor> {
    Tensor::from_vec(values.to_vec(), (values.len(), 1), &Device::Cpu)
}

impl Siren {
    /// `hidden` sine layers of `width` units, frequency `omega`, weights drawn with `seed`.
    pub fn new(width: usize, hidden: usize, omega: f64, seed: u64) -> Result<Self> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut sizes = vec![1];
        sizes.extend(std::iter::repeat_n(width, hidden));
        sizes.push(1);
        let mut layers = Vec::with_capacity(sizes.len() - 1);
        for (i, pair) in sizes.windows(2).enumerate() {
            let (fan_in, fan_out) = (pair[0], pair[1]);
            let bound = if i == 0 {
                1.0 / fan_in as f64
            } else {
                (6.0 / fan_in as f64).sqrt() / omega
            };
            let bias_bound = 1.0 / (fan_in as f64).sqrt();
            let mut draw = |count: usize, b: f64| -> Vec<f64> {
                (0..count).map(|_| rng.gen_range(-b..=b)).collect()
            };
            let w = Tensor::from_vec(
                draw(fan_in * fan_out, bound),
                (fan_out, fan_in),
                &Device::Cpu,
            )?;
            let c = Tensor::from_vec(draw(fan_out, bias_bound), fan_out, &Device::Cpu)?;
            layers.push((Var::from_tensor(&w)?, Var::from_tensor(&c)?));
        }
        Ok(Self { layers, omega })
    }

    /// Weights and biases: the values this representation stores.
    pub fn parameters(&self) -> usize {
        self.layers
            .iter()
            .map(|(w, c)| w.as_tensor().elem_count() + c.as_tensor().elem_count())
            .sum()
    }

    /// The weights, named for the optimiser.
    pub fn vars(&self) -> Vec<(String, Var)> {
        self.layers
            .iter()
            .enumerate()
            .flat_map(|(i, (w, c))| [(format!("{i}.w"), w.clone()), (format!("{i}.b"), c.clone())])
            .collect()
    }

    fn tensors(&self) -> Vec<(Tensor, Tensor)> {
        self.layers
            .iter()
            .map(|(w, c)| (w.as_tensor().clone(), c.as_tensor().clone()))
            .collect()
    }

    /// `u` at the unit coordinates `a` (`[n, 1]`).
    pub fn value(&self, a: &Tensor) -> Result<Tensor> {
        forward(&self.tensors(), self.omega, a)
    }

    /// `u` and `∂u/∂a` at `a` (`[n, 1]` each).
    pub fn value_and_slope(&self, a: &Tensor) -> Result<(Tensor, Tensor)> {
        let layers = self.tensors();
        let Some(((w, c), hidden)) = layers.split_last() else {
            candle_core::bail!("a network without layers");
        };
        let (mut h, mut slope) = (a.clone(), a.ones_like()?);
        for (w, c) in hidden {
            let wt = w.t()?;
            let z = h.matmul(&wt)?.broadcast_add(c)?.affine(self.omega, 0.0)?;
            slope = (z.cos()?.affine(self.omega, 0.0)? * slope.matmul(&wt)?)?;
            h = z.sin()?;
        }
        let wt = w.t()?;
        Ok((h.matmul(&wt)?.broadcast_add(c)?, slope.matmul(&wt)?))
    }

    /// A copy of the current weights that later training leaves alone.
    pub fn freeze(&self) -> Result<Frozen> {
        let layers = self
            .tensors()
            .into_iter()
            .map(|(w, c)| Ok((w.copy()?.detach(), c.copy()?.detach())))
            .collect::<Result<_>>()?;
        Ok(Frozen {
            layers,
            omega: self.omega,
        })
    }
}

impl Frozen {
    /// The field's values at the unit coordinates `a`.
    pub fn eval(&self, a: &[f64]) -> Result<Vec<f64>> {
        forward(&self.layers, self.omega, &column(a)?)?
            .flatten_all()?
            .to_vec1::<f64>()
    }
}

fn forward(layers: &Layers, omega: f64, a: &Tensor) -> Result<Tensor> {
    let Some(((w, c), hidden)) = layers.split_last() else {
        candle_core::bail!("a network without layers");
    };
    let mut h = a.clone();
    for (w, c) in hidden {
        h = h
            .matmul(&w.t()?)?
            .broadcast_add(c)?
            .affine(omega, 0.0)?
            .sin()?;
    }
    h.matmul(&w.t()?)?.broadcast_add(c)
}
