//! The networks, scaled down from the paper's: an encoder `a ↦ β`, a coefficient decoder
//! `β ↦ a(x; β)` through a smooth-thresholded level set, and a DeepONet-style solution decoder
//! `β ↦ u(x; β)` (the paper's MultiONet sums several such inner products over the layers; one is
//! kept here). With `σ` the logistic function and `b(x) = 16 x(1 − x) y(1 − y)`:
//!
//! ```text
//! β = E(Φᵀ sign(a − ā)),   a(x; β) = a₂ + (a₁ − a₂) σ(φ_β(x)),   u(x; β) = s b(x) Σ_j B_j(β) T_j(x),
//! ```
//!
//! `Φ` the first 8 × 8 Neumann cosine modes (the random field's basis). So `u = 0` on the
//! boundary by construction, and the two-phase field is representable with sharp (but
//! differentiable) interfaces. `s` puts `u` on the scale of the solutions (`f = 1`, `a ≥ 3`:
//! `|u| ≤ 0.025`), so the networks work with numbers of order one.

use super::data::{HIGH, LOW};
use candle_core::{DType, Device, Tensor, Var};
use inversa::numerics::gaussian;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The solutions' scale `s`.
pub const SOLUTION_SCALE: f64 = 0.01;
/// Cosine modes per axis the encoder sees.
pub const MODES: usize = 8;

/// A fully connected network, tanh between layers, linear at the end.
pub struct Dense {
    /// `(W [in, out], c [out])` per layer.
    layers: Vec<(Var, Var)>,
}

impl Dense {
    /// Layers of the given `sizes`, weights Glorot-normal from `seed`, biases zero.
    pub fn new(sizes: &[usize], seed: u64) -> candle_core::Result<Self> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let layers = sizes
            .windows(2)
            .map(|pair| {
                let (fan_in, fan_out) = (pair[0], pair[1]);
                let scale = (2.0 / (fan_in + fan_out) as f64).sqrt();
                let w: Vec<f64> = gaussian(&mut rng, fan_in * fan_out)
                    .iter()
                    .map(|g| g * scale)
                    .collect();
                let w = Var::from_tensor(&Tensor::from_vec(w, (fan_in, fan_out), &Device::Cpu)?)?;
                let c = Var::zeros(fan_out, DType::F64, &Device::Cpu)?;
                Ok((w, c))
            })
            .collect::<candle_core::Result<_>>()?;
        Ok(Self { layers })
    }

    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mut h = x.clone();
        for (i, (w, c)) in self.layers.iter().enumerate() {
            h = h.matmul(w.as_tensor())?.broadcast_add(c.as_tensor())?;
            if i + 1 < self.layers.len() {
                h = h.tanh()?;
            }
        }
        Ok(h)
    }

    pub fn vars(&self, prefix: &str) -> Vec<(String, Var)> {
        self.layers
            .iter()
            .enumerate()
            .flat_map(|(i, (w, c))| {
                [
                    (format!("{prefix}.{i}.w"), w.clone()),
                    (format!("{prefix}.{i}.c"), c.clone()),
                ]
            })
            .collect()
    }
}

/// Sizes of the three networks.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub n: usize,
    pub latent: usize,
    pub width: usize,
    pub basis: usize,
}

/// Encoder, coefficient decoder and solution decoder.
pub struct Dgno {
    /// The first `MODES²` Neumann cosine modes at the nodes, `[n², MODES²]`, scaled so a
    /// `±1` field's coefficients are of order one.
    modes: Tensor,
    encoder: Dense,
    coefficient: Dense,
    branch: Dense,
    trunk: Dense,
    /// Node coordinates `[n², 2]` and `s b(x)` as `[1, n²]`.
    nodes: Tensor,
    bubble: Tensor,
}

impl Dgno {
    pub fn new(shape: Shape, seed: u64) -> candle_core::Result<Self> {
        let Shape {
            n,
            latent,
            width,
            basis,
        } = shape;
        let h = 1.0 / (n + 1) as f64;
        let coordinates: Vec<[f64; 2]> = (0..n * n)
            .map(|p| [((p % n) + 1) as f64 * h, ((p / n) + 1) as f64 * h])
            .collect();
        let bubble: Vec<f64> = coordinates
            .iter()
            .map(|[x, y]| SOLUTION_SCALE * 16.0 * x * (1.0 - x) * y * (1.0 - y))
            .collect();
        let device = Device::Cpu;
        let modes: Vec<f64> = coordinates
            .iter()
            .flat_map(|[x, y]| {
                (0..MODES * MODES).map(move |k| {
                    let (kx, ky) = ((k % MODES) as f64, (k / MODES) as f64);
                    let pi = std::f64::consts::PI;
                    4.0 * (pi * kx * x).cos() * (pi * ky * y).cos() / (n * n) as f64
                })
            })
            .collect();
        Ok(Self {
            modes: Tensor::from_vec(modes, (n * n, MODES * MODES), &device)?,
            encoder: Dense::new(&[MODES * MODES, width, width, latent], seed)?,
            coefficient: Dense::new(&[latent, width, width, n * n], seed + 1)?,
            branch: Dense::new(&[latent, width, width, basis], seed + 2)?,
            trunk: Dense::new(&[2, width, width, basis], seed + 3)?,
            nodes: Tensor::from_vec(coordinates.concat(), (n * n, 2), &device)?,
            bubble: Tensor::from_vec(bubble, (1, n * n), &device)?,
        })
    }

    /// Every weight, named for Adam; `with_coefficient` adds the coefficient decoder's.
    pub fn vars(&self, with_coefficient: bool) -> Vec<(String, Var)> {
        let mut vars = self.encoder.vars("encoder");
        vars.extend(self.branch.vars("branch"));
        vars.extend(self.trunk.vars("trunk"));
        if with_coefficient {
            vars.extend(self.coefficient.vars("coefficient"));
        }
        vars
    }

    /// `β = E(a)` for node fields `a` (`[B, n²]`), which enter as the phase sign `±1` projected
    /// on the low cosine modes (the random field's own basis, where its energy lies): a fixed
    /// first layer, so a few thousand fields do not overfit a dense one of `n²` inputs.
    pub fn encode(&self, a: &Tensor) -> candle_core::Result<Tensor> {
        let mid = 0.5 * (HIGH + LOW);
        let half = 0.5 * (HIGH - LOW);
        let sign = ((a - mid)? / half)?;
        self.encoder.forward(&sign.matmul(&self.modes)?)
    }

    /// The level sets `φ_β` (`[B, n²]`); `a = a₂ + (a₁ − a₂) σ(φ)`.
    pub fn level_set(&self, beta: &Tensor) -> candle_core::Result<Tensor> {
        self.coefficient.forward(beta)
    }

    /// `a(x; β)` at the nodes.
    pub fn coefficient(&self, beta: &Tensor) -> candle_core::Result<Tensor> {
        let phase = candle_nn::ops::sigmoid(&self.level_set(beta)?)?;
        (phase * (HIGH - LOW))? + LOW
    }

    /// The trunk's basis at the nodes times `s b(x)`: `[basis, n²]`. Fixed nodes, so one
    /// evaluation serves a whole batch (and a whole chain, once the weights are trained).
    pub fn basis(&self) -> candle_core::Result<Tensor> {
        self.trunk
            .forward(&self.nodes)?
            .t()?
            .broadcast_mul(&self.bubble)
    }

    /// `u(x; β)` at the nodes, `[B, n²]`, with the `basis` from [`Self::basis`].
    pub fn solution_with(&self, beta: &Tensor, basis: &Tensor) -> candle_core::Result<Tensor> {
        self.branch.forward(beta)?.matmul(basis)
    }

    pub fn solution(&self, beta: &Tensor) -> candle_core::Result<Tensor> {
        self.solution_with(beta, &self.basis()?)
    }
}

/// The logistic loss of level sets `φ` against phases `χ ∈ {0, 1}`: `mean softplus(φ) − χ φ`,
/// written `max(φ, 0) + log(1 + e^(−|φ|)) − χ φ` so it never overflows.
pub fn phase_loss(level_set: &Tensor, phase: &Tensor) -> candle_core::Result<Tensor> {
    let softplus = (level_set.relu()? + (level_set.abs()?.neg()?.exp()? + 1.0)?.log()?)?;
    (softplus - (phase * level_set)?)?.mean_all()
}
