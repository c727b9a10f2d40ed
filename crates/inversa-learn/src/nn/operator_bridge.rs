//! Any core [`LinearOperator`] as a candle operation with its exact adjoint as the backward pass, so
//! a network can be trained through the physics (unrolled solvers, measurement-consistency losses,
//! gradient inversion through a forward model).
//!
//! For `y = A x` and a loss `L(y)`, the chain rule gives `∂L/∂x = A* (∂L/∂y)`; the backward of the
//! adjoint operation is the forward operation, so second derivatives work too.
//!
//! Tensors carry a leading batch axis: `[B, ...input_shape]` in, `[B, ...output_shape]` out, f32.
//!
//! ```
//! use candle_core::{Device, Tensor, Var};
//! use inversa::operators::{blur::{gaussian_kernel, Blur}, LinearOperator};
//! use inversa_learn::nn::operator_bridge::{LinearOperatorExt, SharedOperator};
//! use std::sync::Arc;
//!
//! let blur: SharedOperator = Arc::new(Blur::<f32>::new(&[1, 8, 8], &gaussian_kernel(1.0)).unwrap());
//! let x = Var::from_tensor(&Tensor::ones((1, 1, 8, 8), candle_core::DType::F32, &Device::Cpu).unwrap()).unwrap();
//! let loss = x.as_tensor().apply_operator(&blur).unwrap().sqr().unwrap().sum_all().unwrap();
//! let gradient = loss.backward().unwrap().get(&x).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
//! // ∇‖Ax‖² = 2A*Ax; a normalised blur keeps a constant image, so the gradient is 2 everywhere.
//! assert!(gradient.iter().all(|g| (g - 2.0).abs() < 1e-5));
//! ```

use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};
use inversa::operators::LinearOperator;
use std::sync::Arc;

/// A core operator shared between the graph nodes that use it.
pub type SharedOperator = Arc<dyn LinearOperator<f32>>;

/// `A` (or `A*` when `adjoint`) as a candle custom operation.
struct OperatorOp {
    operator: SharedOperator,
    adjoint: bool,
}

impl OperatorOp {
    /// (input shape, output shape) of this direction.
    fn shapes(&self) -> (&[usize], &[usize]) {
        let op = &self.operator;
        if self.adjoint {
            (op.output_shape(), op.input_shape())
        } else {
            (op.input_shape(), op.output_shape())
        }
    }
}

impl CustomOp1 for OperatorOp {
    fn name(&self) -> &'static str {
        if self.adjoint {
            "linear-operator-adjoint"
        } else {
            "linear-operator"
        }
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (input_shape, output_shape) = self.shapes();
        let dims = layout.shape().dims();
        if dims.len() != input_shape.len() + 1 || &dims[1..] != input_shape {
            candle_core::bail!(
                "{}: expected a [batch, {input_shape:?}] tensor, got {dims:?}",
                self.name()
            );
        }
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("{}: the input must be contiguous", self.name());
        };
        let input = &storage.as_slice::<f32>()?[start..end];
        let (in_len, out_len) = (
            input_shape.iter().product::<usize>(),
            output_shape.iter().product::<usize>(),
        );
        let batch = dims[0];
        let mut output = vec![0.0f32; batch * out_len];
        for (x, y) in input.chunks(in_len).zip(output.chunks_mut(out_len)) {
            if self.adjoint {
                self.operator.adjoint(x, y);
            } else {
                self.operator.apply(x, y);
            }
        }
        let mut shape = vec![batch];
        shape.extend_from_slice(output_shape);
        Ok((CpuStorage::F32(output), Shape::from(shape)))
    }

    fn bwd(&self, _arg: &Tensor, _res: &Tensor, grad_res: &Tensor) -> Result<Option<Tensor>> {
        let transpose = OperatorOp {
            operator: self.operator.clone(),
            adjoint: !self.adjoint,
        };
        Ok(Some(grad_res.contiguous()?.apply_op1(transpose)?))
    }
}

/// `apply_operator` / `apply_adjoint` on tensors.
pub trait LinearOperatorExt {
    /// `A x` for each batch item of a `[B, ...input_shape]` tensor.
    fn apply_operator(&self, operator: &SharedOperator) -> Result<Tensor>;
    /// `A* y` for each batch item of a `[B, ...output_shape]` tensor.
    fn apply_adjoint(&self, operator: &SharedOperator) -> Result<Tensor>;
}

impl LinearOperatorExt for Tensor {
    fn apply_operator(&self, operator: &SharedOperator) -> Result<Tensor> {
        self.contiguous()?.apply_op1(OperatorOp {
            operator: operator.clone(),
            adjoint: false,
        })
    }
    fn apply_adjoint(&self, operator: &SharedOperator) -> Result<Tensor> {
        self.contiguous()?.apply_op1(OperatorOp {
            operator: operator.clone(),
            adjoint: true,
        })
    }
}
