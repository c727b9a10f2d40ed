//! A convolution, its per-channel bias and a ReLU as one autodiff node: `y = max(w ⊛ x + b, 0)`.
//!
//! Why: candle's backward pass gives every node's input a gradient buffer that it first fills
//! with zeros and then adds the incoming gradient to, on one thread. As two nodes (convolution,
//! then bias + ReLU) a layer of DnCNN's training step (`[8, 64, 64, 64]`, 8 MB) paid that for
//! the convolution's output too; fused, the intermediate is neither stored nor given a gradient.
//!
//! Backward, from `dz = dy ⊙ [y > 0]`: `∂L/∂x = convᵀ(dz, w)`, `∂L/∂w = Σ_n x ⋆ dz`,
//! `∂L/∂b_c = Σ_{n,h,w} dz`. The input gradient is built from differentiable operations, as the
//! plain convolution's is, so gradients of gradients with respect to `x` stay correct.

use crate::nn::bias_relu::{relu_gradient, ChannelSum};
use crate::nn::conv2d::{
    conv2d_adjoint, convolve, geometry, slice, Algorithm, Epilogue, WeightGradient,
};
use candle_core::{CpuStorage, CustomOp3, Device, Layout, Result, Shape, Tensor};

/// `max(w ⊛ x + b, 0)` for `x [B, C, H, W]`, `w [O, C, k, k]`, `b [O]` (zeros when `None`)
/// with `padding` zeros on each side.
pub fn conv2d_bias_relu(
    x: &Tensor,
    w: &Tensor,
    b: Option<&Tensor>,
    padding: usize,
) -> Result<Tensor> {
    let bias = match b {
        Some(b) => b.contiguous()?,
        None => Tensor::zeros(w.dim(0)?, w.dtype(), &Device::Cpu)?,
    };
    let algorithm = Algorithm::current();
    let op = ConvolutionBiasRelu { padding, algorithm };
    x.contiguous()?.apply_op3(&w.contiguous()?, &bias, op)
}

struct ConvolutionBiasRelu {
    padding: usize,
    algorithm: Algorithm,
}

impl CustomOp3 for ConvolutionBiasRelu {
    fn name(&self) -> &'static str {
        "inversa-conv2d-bias-relu"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        ws: &CpuStorage,
        wl: &Layout,
        bs: &CpuStorage,
        bl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let g = geometry(xl, wl, self.padding)?;
        if bl.shape().dims() != [g.outputs] {
            candle_core::bail!(
                "conv2d_bias_relu: {} output channels need a [{}] bias, got {:?}",
                g.outputs,
                g.outputs,
                bl.shape().dims()
            );
        }
        let (x, w, b) = (slice(xs, xl)?, slice(ws, wl)?, slice(bs, bl)?);
        let epilogue = Epilogue {
            bias: Some(b),
            relu: true,
        };
        let y = convolve(&g, x, w, epilogue, self.algorithm);
        let shape = Shape::from((g.batch, g.outputs, g.out_height(), g.out_width()));
        Ok((CpuStorage::F32(y), shape))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        b: &Tensor,
        y: &Tensor,
        dy: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let dz = relu_gradient(y, dy)?;
        let dx = match x.track_op() {
            true => Some(conv2d_adjoint(&dz, w, self.padding)?),
            false => None,
        };
        let dw = match w.track_op() {
            true => {
                let op = WeightGradient {
                    padding: self.padding,
                    kernel: w.dim(2)?,
                };
                Some(x.apply_op2_no_bwd(&dz.contiguous()?, &op)?)
            }
            false => None,
        };
        let db = match (b.track_op(), dz.track_op()) {
            (false, _) => None,
            (true, true) => Some(dz.sum((0, 2, 3))?),
            (true, false) => Some(dz.contiguous()?.apply_op1_no_bwd(&ChannelSum)?),
        };
        Ok((dx, dw, db))
    }
}
