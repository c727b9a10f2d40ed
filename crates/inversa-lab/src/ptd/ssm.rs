//! A diagonal state-space layer (S4D: Gu, Gupta, Goel, Ré, "On the Parameterization and
//! Initialization of Diagonal State Space Models", NeurIPS 2022, arXiv:2206.11893) and the small
//! classifier built from it.
//!
//! Each of `H` channels runs `x' = Λ x + B̃ u`, `y = Re(C̃ x) + D u` with `Λ = diag(λ₁ … λ_N)`,
//! discretised with step `Δ` by zero-order hold: `Ā = e^{ΔΛ}`, `B̄ = (e^{ΔΛ} − 1) Λ⁻¹ B̃`. The layer
//! is the causal convolution of `u` with the kernel
//!
//! ```text
//! K_ℓ = Re Σⱼ C̃ⱼ B̄ⱼ e^{ℓΔλⱼ},   ℓ = 0 … L−1,     y_t = Σ_{ℓ ≤ t} K_ℓ u_{t−ℓ} + D u_t,
//! ```
//!
//! computed here as a product with the `L × L` lower-triangular Toeplitz matrix of `K` (no FFT in
//! candle; at `L = 784` the product costs `H L² B` multiply-adds per batch). S4D and S4-PTD differ
//! only in `(Λ, B̃)` at initialisation: the eigenvalues of `A_N` and `V⁻¹B` for S4D, those of
//! `A + E` and `V_ε⁻¹ B` for PTD. `Re λ = −e^θ` keeps every mode stable while training.

use candle_core::{DType, Device, Tensor, Var, D};
use faer::c64;
use inversa::numerics::gaussian;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// The modes every channel starts from: `λⱼ` and `B̃ⱼ`.
#[derive(Clone, Debug)]
pub struct Modes {
    pub lambda: Vec<c64>,
    pub b: Vec<c64>,
}

/// The most negative real part a mode may start with is kept; a non-negative one (a perturbed
/// eigenvalue pushed across the axis) starts at this instead.
const LEAST_DECAY: f64 = 1e-3;

/// One diagonal SSM layer over `channels` channels.
pub struct DiagonalSsm {
    log_dt: Var,
    log_decay: Var,
    frequency: Var,
    b: [Var; 2],
    c: [Var; 2],
    d: Var,
}

/// An `[rows, cols]` variable of seeded normal entries times `scale`.
fn normal(
    rng: &mut ChaCha8Rng,
    dims: &[usize],
    scale: f64,
    device: &Device,
) -> candle_core::Result<Var> {
    let values: Vec<f32> = gaussian(rng, dims.iter().product())
        .iter()
        .map(|v| (v * scale) as f32)
        .collect();
    Var::from_vec(values, dims, device)
}

/// `f(mode)` for every channel and mode, `[channels, N]`.
fn per_mode(
    modes: &Modes,
    channels: usize,
    f: impl Fn(usize) -> f64,
    device: &Device,
) -> candle_core::Result<Var> {
    let n = modes.lambda.len();
    let values: Vec<f32> = (0..channels * n).map(|i| f(i % n) as f32).collect();
    Var::from_vec(values, (channels, n), device)
}

impl DiagonalSsm {
    /// Every channel starts from `modes`, with its own `Δ` log-uniform in `[10⁻³, 10⁻¹]` (S4D's
    /// default) and `C̃` complex normal with variance ½ per part.
    pub fn new(
        modes: &Modes,
        channels: usize,
        rng: &mut ChaCha8Rng,
        device: &Device,
    ) -> candle_core::Result<Self> {
        let n = modes.lambda.len();
        let log_dt: Vec<f32> = (0..channels)
            .map(|_| rng.gen_range((1e-3f64).ln()..(1e-1f64).ln()) as f32)
            .collect();
        let half = 0.5f64.sqrt();
        Ok(Self {
            log_dt: Var::from_vec(log_dt, channels, device)?,
            log_decay: per_mode(
                modes,
                channels,
                |j| (-modes.lambda[j].re).max(LEAST_DECAY).ln(),
                device,
            )?,
            frequency: per_mode(modes, channels, |j| modes.lambda[j].im, device)?,
            b: [
                per_mode(modes, channels, |j| modes.b[j].re, device)?,
                per_mode(modes, channels, |j| modes.b[j].im, device)?,
            ],
            c: [
                normal(rng, &[channels, n], half, device)?,
                normal(rng, &[channels, n], half, device)?,
            ],
            d: normal(rng, &[channels], 1.0, device)?,
        })
    }

    pub fn vars(&self) -> Vec<Var> {
        let [br, bi] = &self.b;
        let [cr, ci] = &self.c;
        vec![
            self.log_dt.clone(),
            self.log_decay.clone(),
            self.frequency.clone(),
            br.clone(),
            bi.clone(),
            cr.clone(),
            ci.clone(),
            self.d.clone(),
        ]
    }

    /// The variables that set the dynamics (`Δ`, `Λ`): S4D trains them at a lower rate.
    pub fn dynamics(&self) -> [&Var; 3] {
        [&self.log_dt, &self.log_decay, &self.frequency]
    }

    /// The kernel `K`, `[channels, length]`.
    pub fn kernel(&self, length: usize) -> candle_core::Result<Tensor> {
        let device = self.d.device();
        let dt = self.log_dt.as_tensor().exp()?.unsqueeze(1)?;
        let re = self.log_decay.as_tensor().exp()?.neg()?;
        let im = self.frequency.as_tensor();
        let (dre, dim) = (re.broadcast_mul(&dt)?, im.broadcast_mul(&dt)?);
        // e^{Δλ} − 1, divided by λ: (z_re + i z_im)(re − i im) / |λ|².
        let growth = dre.exp()?;
        let z_re = ((&growth * dim.cos()?)? - 1.0)?;
        let z_im = (&growth * dim.sin()?)?;
        let modulus = (re.sqr()? + im.sqr()?)?;
        let q_re = ((&z_re * &re)? + (&z_im * im)?)?.div(&modulus)?;
        let q_im = ((&z_im * &re)? - (&z_re * im)?)?.div(&modulus)?;
        // W = C̃ B̃ q, all complex.
        let (br, bi) = (self.b[0].as_tensor(), self.b[1].as_tensor());
        let (cr, ci) = (self.c[0].as_tensor(), self.c[1].as_tensor());
        let cb_re = ((cr * br)? - (ci * bi)?)?;
        let cb_im = ((cr * bi)? + (ci * br)?)?;
        let w_re = ((&cb_re * &q_re)? - (&cb_im * &q_im)?)?;
        let w_im = ((&cb_re * &q_im)? + (&cb_im * &q_re)?)?;
        let steps = Tensor::arange(0u32, length as u32, device)?
            .to_dtype(DType::F32)?
            .reshape((1, 1, length))?;
        let magnitude = dre.unsqueeze(2)?.broadcast_mul(&steps)?.exp()?;
        let phase = dim.unsqueeze(2)?.broadcast_mul(&steps)?;
        let real = (magnitude
            .mul(&phase.cos()?)?
            .broadcast_mul(&w_re.unsqueeze(2)?))?;
        let imaginary = (magnitude
            .mul(&phase.sin()?)?
            .broadcast_mul(&w_im.unsqueeze(2)?))?;
        (real - imaginary)?.sum(1)
    }

    /// `y = K ∗ u + D u` for `u` shaped `[batch, length, channels]`.
    pub fn forward(&self, u: &Tensor, toeplitz: &Tensor) -> candle_core::Result<Tensor> {
        let (_, length, channels) = u.dims3()?;
        let kernel = self.kernel(length)?;
        let padded = Tensor::cat(
            &[
                &kernel,
                &Tensor::zeros((channels, 1), DType::F32, u.device())?,
            ],
            1,
        )?;
        let matrix = padded
            .index_select(toeplitz, 1)?
            .reshape((channels, length, length))?;
        let columns = u.permute((2, 1, 0))?.contiguous()?;
        let convolved = matrix.matmul(&columns)?.permute((2, 1, 0))?;
        convolved + u.broadcast_mul(self.d.as_tensor())?
    }
}

/// The indices that turn a kernel padded with one zero (`[channels, L + 1]`) into its
/// lower-triangular Toeplitz matrix: entry `(t, s)` reads `K_{t−s}` for `t ≥ s`, the zero above.
pub fn toeplitz_indices(length: usize, device: &Device) -> candle_core::Result<Tensor> {
    let indices: Vec<u32> = (0..length * length)
        .map(|i| {
            let (t, s) = (i / length, i % length);
            if t >= s {
                (t - s) as u32
            } else {
                length as u32
            }
        })
        .collect();
    Tensor::from_vec(indices, length * length, device)
}

/// The classifier: a linear encoder to `H` channels, `layers` residual blocks (layer norm, SSM,
/// GELU, a linear mix of the channels), mean over time and a linear head.
pub struct Classifier {
    encoder: [Var; 2],
    blocks: Vec<(DiagonalSsm, [Var; 2])>,
    head: [Var; 2],
    toeplitz: Tensor,
}

impl Classifier {
    pub fn new(
        modes: &Modes,
        channels: usize,
        layers: usize,
        classes: usize,
        length: usize,
        seed: u64,
        device: &Device,
    ) -> candle_core::Result<Self> {
        let mut rng = <ChaCha8Rng as rand::SeedableRng>::seed_from_u64(seed);
        let mix_scale = 1.0 / (channels as f64).sqrt();
        let encoder = [
            normal(&mut rng, &[channels], 1.0, device)?,
            normal(&mut rng, &[channels], 0.0, device)?,
        ];
        let blocks = (0..layers)
            .map(|_| {
                let ssm = DiagonalSsm::new(modes, channels, &mut rng, device)?;
                let mix = [
                    normal(&mut rng, &[channels, channels], mix_scale, device)?,
                    normal(&mut rng, &[channels], 0.0, device)?,
                ];
                Ok((ssm, mix))
            })
            .collect::<candle_core::Result<_>>()?;
        let head = [
            normal(&mut rng, &[channels, classes], mix_scale, device)?,
            normal(&mut rng, &[classes], 0.0, device)?,
        ];
        Ok(Self {
            encoder,
            blocks,
            head,
            toeplitz: toeplitz_indices(length, device)?,
        })
    }

    /// The variables: those of the dynamics first, then the rest.
    pub fn vars(&self) -> (Vec<Var>, Vec<Var>) {
        let mut dynamics = Vec::new();
        let mut rest: Vec<Var> = self.encoder.iter().chain(&self.head).cloned().collect();
        for (ssm, mix) in &self.blocks {
            let slow = ssm.dynamics();
            for var in ssm.vars() {
                if slow
                    .iter()
                    .any(|s| s.as_tensor().id() == var.as_tensor().id())
                {
                    dynamics.push(var);
                } else {
                    rest.push(var);
                }
            }
            rest.extend(mix.iter().cloned());
        }
        (dynamics, rest)
    }

    /// Logits `[batch, classes]` of sequences `[batch, length]`.
    pub fn forward(&self, sequences: &Tensor) -> candle_core::Result<Tensor> {
        let [ew, eb] = &self.encoder;
        let mut h = sequences
            .unsqueeze(2)?
            .broadcast_mul(ew.as_tensor())?
            .broadcast_add(eb.as_tensor())?;
        for (ssm, [w, b]) in &self.blocks {
            let normed = normalise(&h)?;
            let z = ssm.forward(&normed, &self.toeplitz)?.gelu()?;
            let mixed = z
                .broadcast_matmul(w.as_tensor())?
                .broadcast_add(b.as_tensor())?;
            h = (h + mixed)?;
        }
        let [hw, hb] = &self.head;
        h.mean(1)?
            .matmul(hw.as_tensor())?
            .broadcast_add(hb.as_tensor())
    }
}

/// Layer norm over the channels without an affine part.
fn normalise(h: &Tensor) -> candle_core::Result<Tensor> {
    let mean = h.mean_keepdim(D::Minus1)?;
    let centred = h.broadcast_sub(&mean)?;
    let variance = centred.sqr()?.mean_keepdim(D::Minus1)?;
    centred.broadcast_div(&(variance + 1e-5)?.sqrt()?)
}
