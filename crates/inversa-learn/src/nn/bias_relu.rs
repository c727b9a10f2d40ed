//! Per-channel bias and ReLU after a convolution, `max(x + b_c, 0)`, as one parallel pass.
//!
//! Why: candle's CPU element-wise kernels run on one thread, and a broadcast add walks a strided
//! index for every element. Measured on a `[1, 64, 256, 256]` activation (2 threads): bias 11 ms
//! and ReLU 11 ms against 58 ms for the 3×3 convolution itself, so a DnCNN spent a quarter of its
//! time there. Here both happen in one pass, one channel plane per task.
//!
//! Backward: `∂L/∂x = ∂L/∂y ⊙ [y > 0]` and `∂L/∂b_c = Σ_{n,h,w} ∂L/∂x`. When the incoming
//! gradient itself tracks (a gradient of a gradient), the same formulas are built from candle
//! operations instead, so higher derivatives stay correct.

use candle_core::{CpuStorage, CustomOp1, CustomOp2, DType, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

/// `max(x + b, 0)` (or `x + b` without `relu`) for `x [B, C, H, W]` and `b [C]`.
pub fn bias_activation(x: &Tensor, bias: &Tensor, relu: bool) -> Result<Tensor> {
    x.contiguous()?
        .apply_op2(&bias.contiguous()?, BiasActivation { relu })
}

/// `max(x, 0)` for `x [B, C, H, W]`, in parallel.
pub fn relu(x: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op1(Relu)
}

/// The contiguous f32 data behind a layout.
fn slice<'a>(storage: &'a CpuStorage, layout: &Layout) -> Result<&'a [f32]> {
    let Some((start, end)) = layout.contiguous_offsets() else {
        candle_core::bail!("bias_relu: inputs must be contiguous");
    };
    Ok(&storage.as_slice::<f32>()?[start..end])
}

/// The size of one channel plane of a `[B, C, H, W]` layout.
fn plane(layout: &Layout) -> Result<(usize, usize)> {
    let (_, channels, height, width) = layout.shape().dims4()?;
    Ok((channels, height * width))
}

fn apply(x: &[f32], channels: usize, plane: usize, bias: Option<&[f32]>, relu: bool) -> Vec<f32> {
    let mut y = vec![0.0f32; x.len()];
    y.par_chunks_mut(plane)
        .zip(x.par_chunks(plane))
        .enumerate()
        .for_each(|(index, (out, input))| {
            let b = bias.map_or(0.0, |b| b[index % channels]);
            if relu {
                out.iter_mut()
                    .zip(input)
                    .for_each(|(o, v)| *o = (v + b).max(0.0));
            } else {
                out.iter_mut().zip(input).for_each(|(o, v)| *o = v + b);
            }
        });
    y
}

struct BiasActivation {
    relu: bool,
}

impl CustomOp2 for BiasActivation {
    fn name(&self) -> &'static str {
        "inversa-bias-activation"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        bs: &CpuStorage,
        bl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (channels, size) = plane(xl)?;
        if bl.shape().dims() != [channels] {
            candle_core::bail!(
                "bias_activation: a [B, {channels}, H, W] input needs a [{channels}] bias, got {:?}",
                bl.shape().dims()
            );
        }
        let y = apply(
            slice(xs, xl)?,
            channels,
            size,
            Some(slice(bs, bl)?),
            self.relu,
        );
        Ok((CpuStorage::F32(y), xl.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        b: &Tensor,
        y: &Tensor,
        dy: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let dz = if self.relu {
            relu_gradient(y, dy)?
        } else {
            dy.clone()
        };
        let db = match (b.track_op(), dz.track_op()) {
            (false, _) => None,
            (true, true) => Some(dz.sum((0, 2, 3))?),
            (true, false) => Some(dz.contiguous()?.apply_op1_no_bwd(&ChannelSum)?),
        };
        Ok((x.track_op().then_some(dz), db))
    }
}

struct Relu;

impl CustomOp1 for Relu {
    fn name(&self) -> &'static str {
        "inversa-relu"
    }

    fn cpu_fwd(&self, xs: &CpuStorage, xl: &Layout) -> Result<(CpuStorage, Shape)> {
        let (channels, size) = plane(xl)?;
        let y = apply(slice(xs, xl)?, channels, size, None, true);
        Ok((CpuStorage::F32(y), xl.shape().clone()))
    }

    fn bwd(&self, _x: &Tensor, y: &Tensor, dy: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(relu_gradient(y, dy)?))
    }
}

/// `dy ⊙ [y > 0]`: in parallel, or from candle operations when `dy` tracks a graph.
pub(crate) fn relu_gradient(y: &Tensor, dy: &Tensor) -> Result<Tensor> {
    if dy.track_op() {
        return dy * y.gt(0.0)?.to_dtype(DType::F32)?;
    }
    dy.contiguous()?
        .apply_op2_no_bwd(&y.contiguous()?, &ReluMask)
}

struct ReluMask;

impl CustomOp2 for ReluMask {
    fn name(&self) -> &'static str {
        "inversa-relu-mask"
    }

    fn cpu_fwd(
        &self,
        dys: &CpuStorage,
        dyl: &Layout,
        ys: &CpuStorage,
        yl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (dy, y) = (slice(dys, dyl)?, slice(ys, yl)?);
        let mut dx = vec![0.0f32; dy.len()];
        dx.par_chunks_mut(4096)
            .zip(dy.par_chunks(4096).zip(y.par_chunks(4096)))
            .for_each(|(out, (g, v))| {
                out.iter_mut()
                    .zip(g.iter().zip(v))
                    .for_each(|(o, (g, v))| *o = if *v > 0.0 { *g } else { 0.0 });
            });
        Ok((CpuStorage::F32(dx), dyl.shape().clone()))
    }
}

/// `Σ_{n,h,w} x[n, c, h, w]` for every channel: plane sums in f64 in parallel, added in order, so
/// the result does not depend on the thread count.
pub(crate) struct ChannelSum;

impl CustomOp1 for ChannelSum {
    fn name(&self) -> &'static str {
        "inversa-channel-sum"
    }

    fn cpu_fwd(&self, xs: &CpuStorage, xl: &Layout) -> Result<(CpuStorage, Shape)> {
        let (channels, size) = plane(xl)?;
        let sums: Vec<f64> = slice(xs, xl)?
            .par_chunks(size)
            .map(|p| p.iter().map(|v| f64::from(*v)).sum())
            .collect();
        let mut total = vec![0.0f64; channels];
        for (index, sum) in sums.iter().enumerate() {
            total[index % channels] += sum;
        }
        let total = total.iter().map(|v| *v as f32).collect();
        Ok((CpuStorage::F32(total), Shape::from(channels)))
    }
}
