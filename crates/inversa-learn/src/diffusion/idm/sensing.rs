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
use faer::linalg::solvers::{Llt, Solve};
use faer::{Mat, MatRef, Side};
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
    /// From a row-major `m × n` matrix `a` (f64); `delta` regularises the Gram matrix relative to
    /// its mean diagonal. `A† = Aᵀ(AAᵀ + δI)⁻¹ = (AᵀA + δI)⁻¹Aᵀ`, through the smaller of the two
    /// Gram matrices (Cholesky, faer).
    pub fn from_matrix(a: &[f64], m: usize, geometry: Geometry, delta: f64) -> Result<Self> {
        let n = geometry.image_side().pow(2);
        if m == 0 || a.len() != m * n {
            return Err(bad(
                "physics",
                format!("a {} value matrix is not m × {n}", a.len()),
            ));
        }
        inversa::memory::check_array("physics", &[m.min(n), m.min(n)], 8, 2)?;
        let matrix = MatRef::from_row_major_slice(a, m, n);
        // `pinv` holds `A†ᵀ` (`m × n`): `(AAᵀ + δI)⁻¹ A` or `A (AᵀA + δI)⁻¹`.
        let pinv: Mat<f64> = if m <= n {
            let factor = regularised_cholesky(matrix * matrix.transpose(), delta)?;
            factor.solve(matrix)
        } else {
            let factor = regularised_cholesky(matrix.transpose() * matrix, delta)?;
            factor.solve(matrix.transpose()).transpose().to_owned()
        };
        let projector: Mat<f64> = pinv.transpose() * matrix;
        let to_tensor = |mat: &Mat<f64>| -> Result<Tensor> {
            let values: Vec<f32> = (0..mat.nrows())
                .flat_map(|i| (0..mat.ncols()).map(move |j| mat[(i, j)] as f32))
                .collect();
            Ok(Tensor::from_vec(
                values,
                (mat.nrows(), mat.ncols()),
                &Device::Cpu,
            )?)
        };
        let projector = to_tensor(&projector)?;
        let projected_ones = projector.sum(1)?.reshape((1, n))?;
        Ok(Self {
            pinv: to_tensor(&pinv)?,
            projector,
            projected_ones,
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
        inversa::memory::check_array("physics", &[m, n], 8, 4)?;
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
}

impl Measured<'_> {
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

/// The Cholesky factor of `gram + δ·(mean diagonal)·I`.
fn regularised_cholesky(mut gram: Mat<f64>, delta: f64) -> Result<Llt<f64>> {
    let size = gram.nrows();
    let mean = (0..size).map(|i| gram[(i, i)]).sum::<f64>() / size.max(1) as f64;
    let shift = delta * mean.max(f64::MIN_POSITIVE);
    for i in 0..size {
        gram[(i, i)] += shift;
    }
    gram.llt(Side::Lower).map_err(|_| {
        bad(
            "physics",
            "the operator's Gram matrix is not positive definite",
        )
    })
}
