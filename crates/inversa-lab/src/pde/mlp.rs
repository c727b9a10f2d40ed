//! A small fully connected tanh network in candle (f64) whose forward pass also carries the
//! derivatives of the output with respect to its two inputs `(a, b)`: `∂/∂a`, `∂²/∂a²` and
//! `∂/∂b`, the "jet" a physics-informed loss needs. They are propagated forward as tensors in the
//! same graph (forward-mode differentiation written out per layer), so candle's backward pass
//! differentiates the physics residual with respect to the weights exactly; candle itself has no
//! second-order backward. For `z = W h + c` and `y = tanh z`, with `s = 1 − y²`:
//!
//! ```text
//! z' = W h',  z'' = W h'',   y' = s z',   y'' = s z'' − 2 y s z'²,
//! ```
//!
//! the last layer linear. Weights start Glorot-normal from a seeded generator, biases at zero.

use candle_core::{DType, Device, Tensor, Var};
use inversa::numerics::gaussian;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The network's value at `n` points and its input derivatives, each `[n, 1]`.
pub struct Jet {
    pub value: Tensor,
    /// `∂/∂a`.
    pub da: Tensor,
    /// `∂²/∂a²`.
    pub daa: Tensor,
    /// `∂/∂b`.
    pub db: Tensor,
}

/// A tanh MLP from 2 inputs to 1 output.
pub struct Mlp {
    /// `(W [out, in], c [out])` per layer.
    layers: Vec<(Var, Var)>,
}

impl Mlp {
    /// `hidden` layers of `width` units, weights drawn with `seed`.
    pub fn new(width: usize, hidden: usize, seed: u64) -> candle_core::Result<Self> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut sizes = vec![2];
        sizes.extend(std::iter::repeat_n(width, hidden));
        sizes.push(1);
        let layers = sizes
            .windows(2)
            .map(|pair| {
                let (fan_in, fan_out) = (pair[0], pair[1]);
                let scale = (2.0 / (fan_in + fan_out) as f64).sqrt();
                let w: Vec<f64> = gaussian(&mut rng, fan_in * fan_out)
                    .iter()
                    .map(|g| g * scale)
                    .collect();
                let w = Var::from_tensor(&Tensor::from_vec(w, (fan_out, fan_in), &Device::Cpu)?)?;
                let c = Var::zeros(fan_out, DType::F64, &Device::Cpu)?;
                Ok((w, c))
            })
            .collect::<candle_core::Result<_>>()?;
        Ok(Self { layers })
    }

    /// The weights, named for the optimiser.
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

    /// The jet at the rows of `input` (`[n, 2]`, columns `a`, `b`).
    pub fn jet(&self, input: &Tensor) -> candle_core::Result<Jet> {
        let n = input.dim(0)?;
        let unit = |column: usize| -> candle_core::Result<Tensor> {
            let row: Vec<f64> = (0..2)
                .map(|j| if j == column { 1.0 } else { 0.0 })
                .collect();
            Tensor::from_vec(row, (1, 2), &Device::Cpu)?
                .broadcast_as((n, 2))?
                .contiguous()
        };
        let (mut h, mut ha, mut hb) = (input.clone(), unit(0)?, unit(1)?);
        let mut haa = Tensor::zeros((n, 2), DType::F64, &Device::Cpu)?;
        let Some(((w, c), hidden)) = self.layers.split_last() else {
            return Err(candle_core::Error::Msg("a network without layers".into()));
        };
        for (w, c) in hidden {
            let wt = w.as_tensor().t()?;
            let z = h.matmul(&wt)?.broadcast_add(c.as_tensor())?;
            let (za, zaa, zb) = (ha.matmul(&wt)?, haa.matmul(&wt)?, hb.matmul(&wt)?);
            let y = z.tanh()?;
            let s = (1.0 - y.sqr()?)?;
            haa = ((&s * &zaa)? - ((&y * &s)? * za.sqr()?)?.affine(2.0, 0.0)?)?;
            ha = (&s * &za)?;
            hb = (&s * &zb)?;
            h = y;
        }
        let wt = w.as_tensor().t()?;
        Ok(Jet {
            value: h.matmul(&wt)?.broadcast_add(c.as_tensor())?,
            da: ha.matmul(&wt)?,
            daa: haa.matmul(&wt)?,
            db: hb.matmul(&wt)?,
        })
    }
}
