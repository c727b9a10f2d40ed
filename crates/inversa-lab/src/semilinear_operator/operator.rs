//! The semilinear neural operator and its observer, in candle (f64). One step of length `Δt`:
//!
//! ```text
//! x_{n+1} = e^{Δt A} x_n + Δt φ₁(Δt A) [ N_θ(x_n) + K_ψ(Hᵀ(y_n − H x_n)) ],     φ₁(z) = (e^z − 1)/z,
//! N_θ(x) = ∂ₓ F_θ(x),
//! ```
//!
//! the exponential-Euler discretisation of `ẋ = A x + N_θ(x) + K_ψ(Hᵀ(y − H x))`, the paper's
//! semilinear prediction model with its Luenberger-style observer correction (Singh, Borsoi,
//! Erdogmus & Imbiriba, ICLR 2024, Section 3: the correction enters the dynamics beside the
//! nonlinearity and is integrated by the same semigroup). `A` is KS's linear operator, applied exactly: `e^{Δt A}` and `Δt φ₁(Δt A)` are
//! the real circulant matrices of their Fourier multipliers, so the whole step is matrix products
//! candle differentiates. Prediction alone is the same step with `K_ψ = 0`.
//!
//! `N_θ` is in conservation form, the exact spectral derivative of a learned flux `F_θ`, a
//! periodic 1-D CNN (tanh, biases) on the features `(x/s, (x/s)²)` with `s` the data's RMS. A
//! pointwise flux would conserve `∫x²` exactly (`∫ x ∂ₓF(x) = 0`), as KS's `−∂ₓ(u²/2)` does; a
//! local one nearly does, which keeps long rollouts of the learned model on a bounded set (an
//! unconstrained CNN nonlinearity blew up within a few hundred steps in trial runs). A linear
//! periodic convolution of the same features is added to the flux (FNO's pointwise linear path):
//! tanh layers alone give a bounded flux, which cannot drain the long unstable waves once they
//! grow (the quadratic flux does so in KS), and rollouts blew up in trial runs; `K_ψ` is a periodic convolution without biases of the innovation scattered onto the grid (zero
//! away from the sensors): by default one linear kernel, a learned stationary Luenberger gain (a
//! CNN with two tanh layers is the option `gain_width > 0`; it diverged in the full run), so
//! `K_ψ(0) = 0`: no innovation, no correction. Both are translation
//! equivariant, as the spatial operators of the paper are.

use candle_core::{DType, Device, Tensor, Var};
use inversa::numerics::gaussian;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

type CResult<T> = candle_core::Result<T>;

/// A periodic 1-D CNN: `(kernel [out, in, 2r+1], bias [out] or none)` per layer, tanh between.
pub struct PeriodicCnn {
    layers: Vec<(Var, Option<Var>)>,
    radius: usize,
}

impl PeriodicCnn {
    /// Channels `channels[0] → … → channels[last]`, kernels of `2 radius + 1` taps; the last
    /// layer's weights are scaled by `last_scale` (a small start keeps early rollouts tame).
    pub fn new(
        channels: &[usize],
        radius: usize,
        biases: bool,
        last_scale: f64,
        seed: u64,
    ) -> CResult<Self> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let taps = 2 * radius + 1;
        let count = channels.len() - 1;
        let layers = channels
            .windows(2)
            .enumerate()
            .map(|(i, pair)| {
                let (fan_in, fan_out) = (pair[0] * taps, pair[1]);
                let mut scale = (1.0 / fan_in as f64).sqrt();
                if i + 1 == count {
                    scale *= last_scale;
                }
                let w: Vec<f64> = gaussian(&mut rng, fan_in * fan_out)
                    .iter()
                    .map(|g| g * scale)
                    .collect();
                let w = Tensor::from_vec(w, (pair[1], pair[0], taps), &Device::Cpu)?;
                let bias = biases
                    .then(|| Var::zeros(pair[1], DType::F64, &Device::Cpu))
                    .transpose()?;
                Ok((Var::from_tensor(&w)?, bias))
            })
            .collect::<CResult<_>>()?;
        Ok(Self { layers, radius })
    }

    pub fn vars(&self, prefix: &str) -> Vec<(String, Var)> {
        let mut vars = Vec::new();
        for (i, (w, b)) in self.layers.iter().enumerate() {
            vars.push((format!("{prefix}.{i}.w"), w.clone()));
            if let Some(b) = b {
                vars.push((format!("{prefix}.{i}.b"), b.clone()));
            }
        }
        vars
    }

    /// `x` `[batch, in, n]` → `[batch, out, n]`.
    pub fn forward(&self, x: &Tensor) -> CResult<Tensor> {
        let mut h = x.transpose(1, 2)?.contiguous()?;
        let last = self.layers.len() - 1;
        for (i, (w, b)) in self.layers.iter().enumerate() {
            h = correlate(&h, w.as_tensor(), self.radius)?;
            if let Some(b) = b {
                h = h.broadcast_add(b.as_tensor())?;
            }
            if i < last {
                h = h.tanh()?;
            }
        }
        h.transpose(1, 2)?.contiguous()
    }
}

/// The periodic cross-correlation `out[i, o] = Σ_{c,t} w[o, c, t] x[(i + t − r) mod n, c]` of `x`
/// `[batch, n, c]` (channels last) with `w` `[out, c, 2r+1]`, as one matrix product over the
/// stacked shifts (candle's `conv1d` grew the process by ~12 MB per training step in trial runs;
/// this does not).
fn correlate(x: &Tensor, w: &Tensor, r: usize) -> CResult<Tensor> {
    let (batch, n, channels) = x.dims3()?;
    let (out, _, taps) = w.dims3()?;
    let shifts = (0..taps)
        .map(|t| {
            let offset = (t + n - r) % n;
            if offset == 0 {
                Ok(x.clone())
            } else {
                Tensor::cat(
                    &[&x.narrow(1, offset, n - offset)?, &x.narrow(1, 0, offset)?],
                    1,
                )
            }
        })
        .collect::<CResult<Vec<_>>>()?;
    // [batch, n, c, taps] → [batch·n, c·taps], matching w's [out, c·taps] order.
    let stacked = Tensor::stack(&shifts, 3)?.reshape((batch * n, channels * taps))?;
    let weights = w.reshape((out, channels * taps))?.t()?;
    stacked.matmul(&weights)?.reshape((batch, n, out))
}

/// The operator: exact linear propagators, the learned nonlinearity and the learned gain.
pub struct Semilinear {
    /// `e^{Δt A}` `[n, n]` (symmetric).
    pub propagator: Tensor,
    /// `Δt φ₁(Δt A)` `[n, n]` (symmetric).
    pub integrator: Tensor,
    /// `Δt φ₁(Δt A) ∂ₓ` `[n, n]`, transposed for right multiplication.
    pub flux_integrator: Tensor,
    pub nonlinear: PeriodicCnn,
    /// A linear periodic convolution of the same features, added to the flux.
    pub skip: PeriodicCnn,
    pub gain: PeriodicCnn,
    /// The data's RMS `s`.
    pub scale: f64,
    pub dt: f64,
}

/// How the sensors see the grid: `H` as an `[n, m]` selection matrix, so `H x = x H`.
pub struct Sensors {
    pub positions: Vec<usize>,
    pub select: Tensor,
}

impl Sensors {
    pub fn new(n: usize, positions: Vec<usize>) -> CResult<Self> {
        let mut h = vec![0.0; n * positions.len()];
        for (j, &p) in positions.iter().enumerate() {
            h[p * positions.len() + j] = 1.0;
        }
        let select = Tensor::from_vec(h, (n, positions.len()), &Device::Cpu)?;
        Ok(Self { positions, select })
    }

    /// `Hᵀ(y − H x)`: the innovation on the grid, zero away from the sensors.
    pub fn innovation(&self, x: &Tensor, y: &Tensor) -> CResult<Tensor> {
        (y - x.matmul(&self.select)?)?.matmul(&self.select.t()?)
    }
}

impl Semilinear {
    /// The flux `F_θ(x)` for `x` `[batch, n]`.
    pub fn flux(&self, x: &Tensor) -> CResult<Tensor> {
        let u = (x / self.scale)?;
        let features = Tensor::stack(&[&u, &u.sqr()?], 1)?;
        let out = (self.nonlinear.forward(&features)? + self.skip.forward(&features)?)?;
        out.squeeze(1)? * (self.scale * self.scale)
    }

    /// `K_ψ(innovation)` for an innovation on the grid `[batch, n]`, as a rate (per unit time).
    pub fn correction(&self, innovation: &Tensor) -> CResult<Tensor> {
        let r = (innovation / self.scale)?.unsqueeze(1)?;
        let out = self.gain.forward(&r)?.squeeze(1)?;
        out * (self.scale / self.dt)
    }

    /// One step with an optional forcing `[batch, n]` added to the nonlinearity.
    pub fn step(&self, x: &Tensor, forcing: Option<&Tensor>) -> CResult<Tensor> {
        let mut next =
            (x.matmul(&self.propagator)? + self.flux(x)?.matmul(&self.flux_integrator)?)?;
        if let Some(f) = forcing {
            next = (next + f.matmul(&self.integrator)?)?;
        }
        Ok(next)
    }

    /// One step of the observer: the learned correction from the readings `y` `[batch, m]`.
    pub fn assimilate(&self, x: &Tensor, y: &Tensor, sensors: &Sensors) -> CResult<Tensor> {
        let innovation = sensors.innovation(x, y)?;
        self.step(x, Some(&self.correction(&innovation)?))
    }
}
