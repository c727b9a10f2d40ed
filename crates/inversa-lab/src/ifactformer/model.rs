//! The implicit factorised transformer, with the two ways of combining the axial kernels.
//!
//! One factorised-attention layer `G` (FactFormer's, Li, Shu & Barati Farimani 2023, §3): from
//! the normalised tokens `a = LN(h)` a value field `v = a W_v`, and for each axis a learned
//! projection to a 1-D function (the mean over the other axis, then a GELU MLP),
//! `φ_x(x_i) = MLP_x(mean_y a W_in)`, whose queries and keys give a low-rank kernel per head,
//! `K_x(x_i, x_j) = q_x(x_i)·k_x(x_j) / n` (no softmax: a quadrature of the kernel integral),
//! and the same along `y`. The kernels act on `v`:
//!
//! ```text
//! chained  (FactFormer, IFactFormer-o):  z(x_i, y_l) = Σ_m K_y(l, m) Σ_j K_x(i, j) v(x_j, y_m)
//! parallel (IFactFormer-m):              z(x_i, y_l) = Σ_j K_x(i, j) v(x_j, y_l) + Σ_m K_y(l, m) v(x_i, y_m)
//! ```
//!
//! i.e. the 2-D kernel is the Kronecker product `K_y ⊗ K_x` in the first and the Kronecker sum
//! `K_y ⊕ K_x` in the second; then `G(h) = W₂ GELU(W₁ IN(z))` (IN: instance norm over the grid).
//! The network is implicit (Yang, Wang & Wang): one `G`, its weights shared, applied `L` times as
//! `h ← h + G(h)/L` between a pointwise lift of `(ω, positional features)` and a pointwise head
//! giving the increment `ω_{t+Δt} − ω_t`. The two variants have the same parameters exactly.

use crate::itransformer::encoder::{Dense, LayerNorm};
use candle_core::{DType, Device, Module, Result, Tensor, Var, D};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// How the axial kernels are combined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Merge {
    /// `K_y(K_x v)`: the output of one axis feeds the next (IFactFormer-o).
    Chained,
    /// `K_x v + K_y v` on the same value field (IFactFormer-m).
    Parallel,
}

/// The network's size.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    pub width: usize,
    pub heads: usize,
    pub head_width: usize,
    pub repeats: usize,
}

/// Positional channels `sin, cos` of `j x` and `j y` for `j = 1, 2, 4`: the force breaks the
/// invariance along `y`, and the kernels have no other sense of position.
const FREQUENCIES: [f64; 3] = [1.0, 2.0, 4.0];
const INPUTS: usize = 1 + 4 * FREQUENCIES.len();

/// `[B, H, n_y, n_x, d]` values through `K_x` `[B, H, n_x, n_x]` along the x axis.
fn along_x(kx: &Tensor, v: &Tensor) -> Result<Tensor> {
    let (b, h, ny, nx, d) = v.dims5()?;
    let moved = v
        .transpose(2, 3)?
        .contiguous()?
        .reshape((b, h, nx, ny * d))?;
    kx.matmul(&moved)?
        .reshape((b, h, nx, ny, d))?
        .transpose(2, 3)?
        .contiguous()
}

/// `[B, H, n_y, n_x, d]` values through `K_y` `[B, H, n_y, n_y]` along the y axis.
fn along_y(ky: &Tensor, v: &Tensor) -> Result<Tensor> {
    let (b, h, ny, nx, d) = v.dims5()?;
    ky.matmul(&v.reshape((b, h, ny, nx * d))?)?
        .reshape((b, h, ny, nx, d))
}

/// The factorised kernel integral of `v` with the axial kernels combined by `merge`.
pub fn factorised(merge: Merge, kx: &Tensor, ky: &Tensor, v: &Tensor) -> Result<Tensor> {
    match merge {
        Merge::Chained => along_y(ky, &along_x(kx, v)?),
        Merge::Parallel => along_x(kx, v)? + along_y(ky, v)?,
    }
}

/// One axis's projection to a 1-D function and its low-rank kernel.
struct Axis {
    mlp1: Dense,
    mlp2: Dense,
    query: Dense,
    key: Dense,
}

impl Axis {
    fn new(rng: &mut ChaCha8Rng, size: Size, device: &Device) -> Result<Self> {
        let (d, hd) = (size.width, size.heads * size.head_width);
        Ok(Self {
            mlp1: Dense::new(rng, d, d, device)?,
            mlp2: Dense::new(rng, d, d, device)?,
            query: Dense::new(rng, d, hd, device)?,
            key: Dense::new(rng, d, hd, device)?,
        })
    }

    /// Pooled tokens `[B, n, d]` to the kernel `[B, H, n, n]`.
    fn kernel(&self, pooled: &Tensor, heads: usize) -> Result<Tensor> {
        let (b, n, _) = pooled.dims3()?;
        let p = self.mlp2.forward(&self.mlp1.forward(pooled)?.gelu()?)?;
        let split = |t: Tensor| -> Result<Tensor> {
            let width = t.dim(2)? / heads;
            t.reshape((b, n, heads, width))?
                .transpose(1, 2)?
                .contiguous()
        };
        let q = split(self.query.forward(&p)?)?;
        let k = split(self.key.forward(&p)?)?;
        q.matmul(&k.t()?.contiguous()?)? / n as f64
    }

    fn vars(&self) -> Vec<Var> {
        [&self.mlp1, &self.mlp2, &self.query, &self.key]
            .iter()
            .flat_map(|d| d.vars())
            .collect()
    }
}

/// The shared layer `G`.
struct Layer {
    norm: LayerNorm,
    value: Dense,
    input: Dense,
    x: Axis,
    y: Axis,
    out1: Dense,
    out2: Dense,
}

impl Layer {
    fn new(rng: &mut ChaCha8Rng, size: Size, device: &Device) -> Result<Self> {
        let (d, hd) = (size.width, size.heads * size.head_width);
        Ok(Self {
            norm: LayerNorm::new(d, device)?,
            value: Dense::new(rng, d, hd, device)?,
            input: Dense::new(rng, d, d, device)?,
            x: Axis::new(rng, size, device)?,
            y: Axis::new(rng, size, device)?,
            out1: Dense::new(rng, hd, d, device)?,
            out2: Dense::new(rng, d, d, device)?,
        })
    }

    /// `h` `[B, n_y, n_x, d]` to `G(h)` of the same shape.
    fn forward(&self, h: &Tensor, merge: Merge, heads: usize) -> Result<Tensor> {
        let (b, ny, nx, _) = h.dims4()?;
        let a = self.norm.forward(h)?;
        let u = self.input.forward(&a)?;
        let kx = self.x.kernel(&u.mean(1)?, heads)?;
        let ky = self.y.kernel(&u.mean(2)?, heads)?;
        let v = self.value.forward(&a)?;
        let hd = v.dim(3)?;
        let v = v
            .reshape((b, ny, nx, heads, hd / heads))?
            .permute((0, 3, 1, 2, 4))?
            .contiguous()?;
        let z = factorised(merge, &kx, &ky, &v)?
            .permute((0, 2, 3, 1, 4))?
            .reshape((b, ny, nx, hd))?;
        let centred = z.broadcast_sub(&z.mean_keepdim(1)?.mean_keepdim(2)?)?;
        let spread = (centred.sqr()?.mean_keepdim(1)?.mean_keepdim(2)? + 1e-5)?.sqrt()?;
        let z = centred.broadcast_div(&spread)?;
        self.out2.forward(&self.out1.forward(&z)?.gelu()?)
    }

    fn vars(&self) -> Vec<Var> {
        [&self.value, &self.input, &self.out1, &self.out2]
            .iter()
            .flat_map(|d| d.vars())
            .chain(self.norm.vars())
            .chain(self.x.vars())
            .chain(self.y.vars())
            .collect()
    }
}

/// The implicit network: lift, `L` applications of the shared layer, head.
pub struct Network {
    pub merge: Merge,
    size: Size,
    /// `[1, n, n, INPUTS − 1]` positional channels.
    positions: Tensor,
    lift: Dense,
    layer: Layer,
    head_norm: LayerNorm,
    head1: Dense,
    head2: Dense,
}

impl Network {
    /// The network for `n × n` fields; the same `seed` gives both merges the same weights.
    pub fn new(merge: Merge, size: Size, n: usize, seed: u64) -> Result<Self> {
        let device = Device::Cpu;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let d = size.width;
        let mut channels = Vec::with_capacity(n * n * (INPUTS - 1));
        for row in 0..n {
            for col in 0..n {
                let (x, y) = (col as f64, row as f64);
                for f in FREQUENCIES {
                    let (px, py) = (
                        2.0 * std::f64::consts::PI * f * x / n as f64,
                        2.0 * std::f64::consts::PI * f * y / n as f64,
                    );
                    channels.extend([px.sin(), px.cos(), py.sin(), py.cos()].map(|v| v as f32));
                }
            }
        }
        let head2 = Dense::new(&mut rng, d, 1, &device)?;
        Ok(Self {
            merge,
            size,
            positions: Tensor::from_vec(channels, (1, n, n, INPUTS - 1), &device)?,
            lift: Dense::new(&mut rng, INPUTS, d, &device)?,
            layer: Layer::new(&mut rng, size, &device)?,
            head_norm: LayerNorm::new(d, &device)?,
            head1: Dense::new(&mut rng, d, d, &device)?,
            head2,
        })
    }

    /// Normalised vorticity `[B, n, n]` at `t` to its prediction at `t + Δt`.
    pub fn forward(&self, omega: &Tensor) -> Result<Tensor> {
        let (b, ny, nx) = omega.dims3()?;
        let positions = self.positions.broadcast_as((b, ny, nx, INPUTS - 1))?;
        let features = Tensor::cat(&[&omega.unsqueeze(3)?, &positions], 3)?.contiguous()?;
        let mut h = self.lift.forward(&features)?;
        let step = 1.0 / self.size.repeats as f64;
        for _ in 0..self.size.repeats {
            h = (&h + (self.layer.forward(&h, self.merge, self.size.heads)? * step)?)?;
        }
        let head = self.head1.forward(&self.head_norm.forward(&h)?)?.gelu()?;
        omega + self.head2.forward(&head)?.squeeze(D::Minus1)?
    }

    pub fn vars(&self) -> Vec<Var> {
        self.lift
            .vars()
            .into_iter()
            .chain(self.layer.vars())
            .chain(self.head_norm.vars())
            .chain(self.head1.vars())
            .chain(self.head2.vars())
            .collect()
    }

    /// The number of trained parameters.
    pub fn parameters(&self) -> usize {
        self.vars().iter().map(|v| v.elem_count()).sum()
    }
}

/// A `[B, n, n]` f32 tensor of fields.
pub fn batch(fields: &[&[f64]], n: usize) -> Result<Tensor> {
    let flat: Vec<f32> = fields
        .iter()
        .flat_map(|f| f.iter().map(|&v| v as f32))
        .collect();
    Tensor::from_vec(flat, (fields.len(), n, n), &Device::Cpu)?.to_dtype(DType::F32)
}
