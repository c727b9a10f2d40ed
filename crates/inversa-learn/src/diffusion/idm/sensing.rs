//! The measurement side of IDM as dense tensors, so that it sits inside the network's graph: the
//! operator `A` (`m × n`, `n` the image's pixels) becomes its pseudo-inverse
//! `A† = Aᵀ(AAᵀ + δI)⁻¹` and the projector `Π = A†A` onto its row space (symmetric), computed once
//! per operator in f64. A batch of measurements `y` becomes `q = A†y` per sample.
//!
//! In the model's state coordinates (`u = s·crop(x) + o`, as [`StateMap`](
//! crate::diffusion::posterior::StateMap)) IDM's range–null-space step (eq. 6, DDNM's
//! `x̂₀ − A†(A x̂₀ − y)`) reads on the window `w = crop(x̂₀)`
//!
//! ```text
//! w ← w − (Π (s w + o) − q) / s,
//! ```
//!
//! the margin untouched. The injectors (eq. 10) read `[z, Π z, x_y]` with `x_y` the state of the
//! image `A†y` (margin −1, the background) — IDM's `[z, AᵀA z, Aᵀy]` for its orthonormal rows.
//! A dense `Π` costs `n²` values: 2.4 MB for a 28×28 image.

use crate::diffusion::bad;
use crate::Result;
use candle_core::{DType, Device, Tensor};
use inversa::operators::LinearOperator;
use inversa::real::Real;

/// The state's geometry: side, margin of the image inside it, and `u = scale·x + offset`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Geometry {
    pub side: usize,
    pub margin: usize,
    pub scale: f64,
    pub offset: f64,
}

impl Geometry {
    /// The Fashion-MNIST UNet's: 28×28 images in [0, 1] centred in 32×32 states in [−1, 1].
    pub const FASHION: Geometry = Geometry {
        side: 32,
        margin: 2,
        scale: 0.5,
        offset: 0.5,
    };

    /// The image's side.
    pub fn image_side(&self) -> usize {
        self.side - 2 * self.margin
    }

    /// `[B, n]` windows of `[B, 1, side, side]` states.
    pub fn crop(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (b, inner) = (x.dim(0)?, self.image_side());
        x.narrow(2, self.margin, inner)?
            .narrow(3, self.margin, inner)?
            .reshape((b, inner * inner))
    }

    /// `[B, 1, side, side]` states holding `[B, n]` windows, the margin `fill`.
    pub fn pad(&self, w: &Tensor, fill: f64) -> candle_core::Result<Tensor> {
        let (b, inner) = (w.dim(0)?, self.image_side());
        let image = w.reshape((b, 1, inner, inner))?;
        if fill == 0.0 {
            return image
                .pad_with_zeros(2, self.margin, self.margin)?
                .pad_with_zeros(3, self.margin, self.margin);
        }
        let shifted = image.affine(1.0, -fill)?;
        shifted
            .pad_with_zeros(2, self.margin, self.margin)?
            .pad_with_zeros(3, self.margin, self.margin)?
            .affine(1.0, fill)
    }
}

/// An operator's `Π = A†A` (and `Π·1`), shared by every batch it measures.
pub struct Operator {
    /// Row-major `A†` as `[m, n]` transposed: `q = y · pinv`.
    pinv: Tensor,
    projector: Tensor,
    projected_ones: Tensor,
    pub geometry: Geometry,
}

impl Operator {
    /// From a row-major `m × n` matrix `a` (f64); `delta` regularises `AAᵀ` relative to its mean
    /// diagonal.
    pub fn from_matrix(a: &[f64], m: usize, geometry: Geometry, delta: f64) -> Result<Self> {
        let n = geometry.image_side().pow(2);
        if m == 0 || a.len() != m * n {
            return Err(bad(
                "physics",
                format!("a {} value matrix is not m × {n}", a.len()),
            ));
        }
        let at = Tensor::from_vec(a.to_vec(), (m, n), &Device::Cpu)?;
        let gram = at.matmul(&at.t()?)?.to_vec2::<f64>()?;
        let mean_diagonal = (0..m).map(|i| gram[i][i]).sum::<f64>() / m as f64;
        let factor = cholesky(&gram, delta * mean_diagonal.max(f64::MIN_POSITIVE))
            .ok_or_else(|| bad("physics", "A Aᵀ + δI is not positive definite"))?;
        // W = (AAᵀ + δI)⁻¹ A, column by column; A† = Wᵀ.
        let mut w = vec![0.0; m * n];
        let mut column = vec![0.0; m];
        for j in 0..n {
            column.iter_mut().enumerate().for_each(|(i, c)| *c = a[i * n + j]);
            solve(&factor, &mut column);
            column.iter().enumerate().for_each(|(i, c)| w[i * n + j] = *c);
        }
        let w = Tensor::from_vec(w, (m, n), &Device::Cpu)?;
        let projector = at.t()?.matmul(&w)?;
        let projected_ones = projector.sum(1)?.reshape((1, n))?;
        Ok(Self {
            pinv: w.to_dtype(DType::F32)?,
            projector: projector.to_dtype(DType::F32)?,
            projected_ones: projected_ones.to_dtype(DType::F32)?,
            geometry,
        })
    }

    /// The dense matrix of any core operator on one-channel images of the geometry's size,
    /// read row by row through `A*` (checked against memory first).
    pub fn from_operator<T: Real>(
        op: &dyn LinearOperator<T>,
        geometry: Geometry,
        delta: f64,
    ) -> Result<Self> {
        let side = geometry.image_side();
        let n = side * side;
        if op.input_len() != n {
            return Err(bad(
                "data.image",
                format!(
                    "IDM reconstructs {side}×{side} grey images; the physics measures {:?}",
                    op.input_shape()
                ),
            ));
        }
        let m = op.output_len();
        inversa::memory::check_array("physics", &[m, n], 8, 8)?;
        let mut a = vec![0.0; m * n];
        let mut unit = vec![T::zero(); m];
        for i in 0..m {
            unit[i] = T::one();
            let row = op.adjoint_new(&unit);
            unit[i] = T::zero();
            for (j, v) in row.iter().enumerate() {
                a[i * n + j] = v.to_f64().unwrap_or(f64::NAN);
            }
        }
        if a.iter().any(|v| !v.is_finite()) {
            return Err(bad("physics", "the operator's matrix is not finite"));
        }
        Self::from_matrix(&a, m, geometry, delta)
    }

    /// The measurements `y` (`[B, m]`, image units) of this operator, ready for the network.
    pub fn measure(&self, y: &Tensor) -> Result<Measured<'_>> {
        let q = y.to_dtype(DType::F32)?.matmul(&self.pinv)?;
        let g = self.geometry;
        let window = q.affine(1.0 / g.scale, -g.offset / g.scale)?;
        Ok(Measured {
            operator: self,
            back_projection: g.pad(&window, -1.0)?,
            q,
            start_noise: None,
        })
    }
}

/// One batch of measurements of an [`Operator`].
pub struct Measured<'a> {
    operator: &'a Operator,
    /// `A†y` per sample, `[B, n]`, image units.
    q: Tensor,
    /// The state of the image `A†y`, `[B, 1, side, side]`.
    pub back_projection: Tensor,
    /// The noise `ξ` a chain with a noisy start adds to it (`[B, 1, side, side]`).
    pub start_noise: Option<Tensor>,
}

impl Measured<'_> {
    /// The same measurements with the start's noise `ξ` drawn from `rng`.
    pub fn with_start_noise(mut self, rng: &mut impl rand::Rng) -> Result<Self> {
        let dims = self.back_projection.dims().to_vec();
        self.start_noise = Some(crate::diffusion::standard_normal(rng, &dims, DType::F32)?);
        Ok(self)
    }

    /// The range–null-space correction of states `x` (`[B, 1, side, side]`), differentiable.
    pub fn project(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let g = self.operator.geometry;
        let w = g.crop(x)?;
        let projected = w.matmul(&self.operator.projector)?;
        let constant = self
            .q
            .broadcast_sub(&self.operator.projected_ones.affine(g.offset, 0.0)?)?
            .affine(1.0 / g.scale, 0.0)?;
        // x − pad(Π w + (o/s) Π1 − q/s): the margin's correction is zero.
        let correction = (projected - constant)?;
        x - g.pad(&correction, 0.0)?
    }

    /// `Π z` on the window, zero margin (an injector's input), differentiable.
    pub fn normal(&self, z: &Tensor) -> candle_core::Result<Tensor> {
        let g = self.operator.geometry;
        g.pad(&g.crop(z)?.matmul(&self.operator.projector)?, 0.0)
    }

    /// The batch size.
    pub fn batch(&self) -> candle_core::Result<usize> {
        self.q.dim(0)
    }
}

/// The lower Cholesky factor of `a + shift·I` (row-major rows), or `None` if not positive definite.
fn cholesky(a: &[Vec<f64>], shift: f64) -> Option<Vec<Vec<f64>>> {
    let m = a.len();
    let mut l = vec![vec![0.0; m]; m];
    for i in 0..m {
        for j in 0..=i {
            let dot: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            let value = a[i][j] + if i == j { shift } else { 0.0 } - dot;
            if i == j {
                if value <= 0.0 || !value.is_finite() {
                    return None;
                }
                l[i][i] = value.sqrt();
            } else {
                l[i][j] = value / l[j][j];
            }
        }
    }
    Some(l)
}

/// Solves `L Lᵀ z = b` in place.
fn solve(l: &[Vec<f64>], b: &mut [f64]) {
    let m = b.len();
    for i in 0..m {
        let dot: f64 = (0..i).map(|k| l[i][k] * b[k]).sum();
        b[i] = (b[i] - dot) / l[i][i];
    }
    for i in (0..m).rev() {
        let dot: f64 = (i + 1..m).map(|k| l[k][i] * b[k]).sum();
        b[i] = (b[i] - dot) / l[i][i];
    }
}
