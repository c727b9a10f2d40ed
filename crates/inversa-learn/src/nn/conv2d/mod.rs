//! A CPU 2-D convolution (stride 1, zero padding) for candle, faster than candle's own: every
//! learned prior spends nearly all its time here.
//!
//! Measured before writing it (`inversa bench`, 2 threads): candle 0.11's conv2d forward+backward
//! ran at ~24 GFLOP/s against PyTorch's ~150. Candle computes the input gradient with its
//! `conv_transpose2d`, a direct loop, and packs its im2col matrix in a layout that the GEMM has to
//! re-pack. Here 3×3 kernels (nearly every layer of our networks) go through Winograd's minimal
//! filtering: F(2×2, 3×3) (`conv2d_winograd.rs`, 2.25× fewer multiply-adds, more accurate than a
//! direct f32 sum) for values, and F(4×4, 3×3) (`conv2d_winograd4.rs`, 4× fewer, ~14× less
//! accurate) inside [`fast_convolutions`] (training steps) and for every weight gradient. Other
//! kernels are one blocked GEMM each (the `gemm` crate, which candle already builds, with its
//! AVX-512 kernels enabled) over an im2col matrix laid out as `[C·k·k, pixels]`, so that rows of
//! the image are copied whole. Work is split into blocks of output rows of one image, one GEMM per
//! block on one thread; the weight gradient sums the blocks in a fixed grouping, so results do not
//! depend on the number of threads.
//!
//! The input gradient is itself a convolution (of the output gradient with the spatially flipped,
//! channel-transposed kernel, padded by `k−1−p`) built from differentiable candle operations, so
//! networks whose forward pass contains a gradient (the Learned Proximal Network) can be trained
//! through it.

mod gemm;
mod im2col;
pub mod relu;
mod winograd;

use crate::nn::bias_relu::bias_activation;
use candle_core::{CpuStorage, CustomOp2, Layout, Module, Result, Shape, Tensor};
use candle_nn::VarBuilder;
use rayon::prelude::*;
use std::cell::Cell;
use winograd::f4x4::F4x4;

/// A convolution layer with bias, stride 1 and `padding` zeros on each side.
#[derive(Clone, Debug)]
pub struct Conv2d {
    weight: Tensor,
    bias: Option<Tensor>,
    padding: usize,
}

impl Conv2d {
    /// The layer from a `[out, in, k, k]` kernel and an optional `[out]` bias.
    pub fn new(weight: Tensor, bias: Option<Tensor>, padding: usize) -> Self {
        Self {
            weight,
            bias,
            padding,
        }
    }

    /// The kernel, `[out, in, k, k]`.
    pub fn weight(&self) -> &Tensor {
        &self.weight
    }
}

impl Conv2d {
    /// `relu(conv(x) + b)` as one autodiff node (see [`crate::nn::conv2d::relu`]).
    pub fn forward_relu(&self, x: &Tensor) -> Result<Tensor> {
        crate::nn::conv2d::relu::conv2d_bias_relu(x, &self.weight, self.bias.as_ref(), self.padding)
    }
}

impl Module for Conv2d {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let y = conv2d(x, &self.weight, self.padding)?;
        match &self.bias {
            Some(bias) => bias_activation(&y, bias, false),
            None => Ok(y),
        }
    }
}

/// A `k×k` layer `input → output` channels with bias, its weights `weight` (OIHW) and `bias` under
/// `vb`, initialised as candle-nn initialises its own (uniform ±1/√fan-in) when training.
pub fn conv2d_layer(
    input: usize,
    output: usize,
    kernel: usize,
    padding: usize,
    vb: VarBuilder,
) -> Result<Conv2d> {
    let bound = 1.0 / ((input * kernel * kernel) as f64).sqrt();
    let init = candle_nn::Init::Uniform {
        lo: -bound,
        up: bound,
    };
    let weight = vb.get_with_hints((output, input, kernel, kernel), "weight", init)?;
    let bias = vb.get_with_hints(output, "bias", init)?;
    Ok(Conv2d::new(weight, Some(bias), padding))
}

/// `x [B, C, H, W] ⊛ w [O, C, k, k]` with `padding` zeros: `[B, O, H+2p−k+1, W+2p−k+1]`.
/// Differentiable in both arguments, to any order in `x`.
pub fn conv2d(x: &Tensor, w: &Tensor, padding: usize) -> Result<Tensor> {
    let algorithm = Algorithm::current();
    x.contiguous()?
        .apply_op2(&w.contiguous()?, Convolution { padding, algorithm })
}

/// The adjoint of `x ↦ x ⊛ w` (a transposed convolution): `dy [B, O, H', W'] ↦ [B, C, H, W]`,
/// the convolution of `dy` with the spatially flipped, channel-transposed kernel padded by
/// `k − 1 − padding`, or, when the padding is wider than the kernel, unpadded and then cropped by
/// `padding − (k − 1)` on each side. Differentiable in both arguments.
pub fn conv2d_adjoint(dy: &Tensor, w: &Tensor, padding: usize) -> Result<Tensor> {
    let k = w.dim(2)?;
    let reversed = Tensor::new((0..k as u32).rev().collect::<Vec<_>>(), w.device())?;
    let flipped = w
        .transpose(0, 1)?
        .contiguous()?
        .index_select(&reversed, 2)?
        .index_select(&reversed, 3)?;
    if padding < k {
        return conv2d(dy, &flipped, k - 1 - padding);
    }
    let crop = padding + 1 - k;
    let full = conv2d(dy, &flipped, 0)?;
    let (_, _, h, w) = full.dims4()?;
    full.narrow(2, crop, h - 2 * crop)?
        .narrow(3, crop, w - 2 * crop)
}

/// The shapes of one convolution.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Geometry {
    pub(crate) batch: usize,
    pub(crate) channels: usize,
    pub(crate) height: usize,
    pub(crate) width: usize,
    pub(crate) outputs: usize,
    pub(crate) kernel: usize,
    pub(crate) padding: usize,
}

impl Geometry {
    pub(crate) fn out_height(&self) -> usize {
        self.height + 2 * self.padding + 1 - self.kernel
    }

    pub(crate) fn out_width(&self) -> usize {
        self.width + 2 * self.padding + 1 - self.kernel
    }

    /// Rows of the im2col matrix: one per (input channel, kernel offset).
    fn patch_len(&self) -> usize {
        self.channels * self.kernel * self.kernel
    }

    /// Output rows per block: about 4096 pixels, fewer when that would leave a thread idle.
    fn rows_per_block(&self) -> usize {
        let rows = self.out_height();
        let by_size = 4096usize.div_ceil(self.out_width().max(1)).max(1);
        let wanted_blocks = 4 * rayon::current_num_threads();
        let by_count = (self.batch * rows).div_ceil(wanted_blocks).max(1);
        by_size.min(by_count).min(rows).max(1)
    }

    /// (image, first output row, row count) of every block, in order.
    fn blocks(&self) -> Vec<(usize, usize, usize)> {
        let step = self.rows_per_block();
        let rows = self.out_height();
        (0..self.batch)
            .flat_map(|b| {
                (0..rows)
                    .step_by(step)
                    .map(move |r| (b, r, step.min(rows - r)))
            })
            .collect()
    }
}

/// Reads the geometry from the input and kernel layouts, checking that they fit.
pub(crate) fn geometry(x: &Layout, w: &Layout, padding: usize) -> Result<Geometry> {
    let (batch, channels, height, width) = x.shape().dims4()?;
    let (outputs, w_channels, kh, kw) = w.shape().dims4()?;
    if w_channels != channels || kh != kw {
        candle_core::bail!(
            "conv2d: a [B, {channels}, H, W] input needs a square [O, {channels}, k, k] kernel, got {:?}",
            w.shape().dims()
        );
    }
    if height + 2 * padding < kh || width + 2 * padding < kw {
        candle_core::bail!(
            "conv2d: a {kh}×{kw} kernel does not fit a padded {height}×{width} image"
        );
    }
    Ok(Geometry {
        batch,
        channels,
        height,
        width,
        outputs,
        kernel: kh,
        padding,
    })
}

/// The contiguous f32 data behind a layout.
pub(crate) fn slice<'a>(storage: &'a CpuStorage, layout: &Layout) -> Result<&'a [f32]> {
    let Some((start, end)) = layout.contiguous_offsets() else {
        candle_core::bail!("conv2d: inputs must be contiguous");
    };
    Ok(&storage.as_slice::<f32>()?[start..end])
}

/// What is applied to every output value as it is written: a per-channel bias, then a ReLU.
#[derive(Clone, Copy, Default)]
pub(crate) struct Epilogue<'a> {
    pub(crate) bias: Option<&'a [f32]>,
    pub(crate) relu: bool,
}

impl Epilogue<'_> {
    /// Applies the epilogue to `values`, all of output channel `channel`.
    #[inline(always)]
    pub(crate) fn apply(self, channel: usize, values: &mut [f32]) {
        let bias = self.bias.map_or(0.0, |b| b[channel]);
        match self.relu {
            true => values.iter_mut().for_each(|v| *v = (*v + bias).max(0.0)),
            false if bias != 0.0 => values.iter_mut().for_each(|v| *v += bias),
            false => {}
        }
    }
}

/// How a 3×3 convolution is computed.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Algorithm {
    /// Winograd F(2×2, 3×3): for values a user sees.
    Accurate,
    /// Winograd F(4×4, 3×3): inside [`fast_convolutions`].
    Fast,
}

thread_local! {
    static FAST: Cell<bool> = const { Cell::new(false) };
}

impl Algorithm {
    /// The algorithm for a convolution started now on this thread.
    pub(crate) fn current() -> Self {
        match FAST.get() {
            true => Algorithm::Fast,
            false => Algorithm::Accurate,
        }
    }
}

/// Runs `f` (a training step: forward pass and backward pass) with 3×3 convolutions computed by
/// Winograd's F(4×4, 3×3), faster and less accurate (`conv2d_winograd4.rs` has the numbers), in
/// the way `torch.autocast` scopes reduced precision to a training step. The same weights give
/// the same values outside the scope whether or not they are variables.
pub fn fast_convolutions<R>(f: impl FnOnce() -> R) -> R {
    /// Restores the previous setting, also when `f` unwinds.
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            FAST.set(self.0);
        }
    }
    let _restore = Restore(FAST.replace(true));
    f()
}

/// `epilogue(x ⊛ w)` on raw data: Winograd for 3×3 kernels (which applies the epilogue while it
/// writes the output), im2col + GEMM for the others.
pub(crate) fn convolve(
    g: &Geometry,
    x: &[f32],
    w: &[f32],
    epilogue: Epilogue,
    algorithm: Algorithm,
) -> Vec<f32> {
    match (g.kernel, algorithm) {
        (3, Algorithm::Accurate) => return winograd::forward::<winograd::F2x2>(g, x, w, epilogue),
        (3, Algorithm::Fast) => return winograd::forward::<F4x4>(g, x, w, epilogue),
        _ => {}
    }
    let mut y = im2col::forward(g, x, w);
    if epilogue.bias.is_some() || epilogue.relu {
        let plane = g.out_height() * g.out_width();
        y.par_chunks_mut(plane)
            .enumerate()
            .for_each(|(index, values)| epilogue.apply(index % g.outputs, values));
    }
    y
}

/// `x ⊛ w`, differentiable.
struct Convolution {
    padding: usize,
    algorithm: Algorithm,
}

impl CustomOp2 for Convolution {
    fn name(&self) -> &'static str {
        "inversa-conv2d"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        ws: &CpuStorage,
        wl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let g = geometry(xl, wl, self.padding)?;
        let (x, w) = (slice(xs, xl)?, slice(ws, wl)?);
        let y = convolve(&g, x, w, Epilogue::default(), self.algorithm);
        let shape = Shape::from((g.batch, g.outputs, g.out_height(), g.out_width()));
        Ok((CpuStorage::F32(y), shape))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _y: &Tensor,
        dy: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let k = w.dim(2)?;
        let dx = if x.track_op() {
            Some(conv2d_adjoint(dy, w, self.padding)?)
        } else {
            None
        };
        let dw = if w.track_op() {
            let op = WeightGradient {
                padding: self.padding,
                kernel: k,
            };
            Some(x.contiguous()?.apply_op2_no_bwd(&dy.contiguous()?, &op)?)
        } else {
            None
        };
        Ok((dx, dw))
    }
}

/// `∂L/∂w` from the input and the output gradient.
pub(crate) struct WeightGradient {
    pub(crate) padding: usize,
    pub(crate) kernel: usize,
}

impl CustomOp2 for WeightGradient {
    fn name(&self) -> &'static str {
        "inversa-conv2d-weight-gradient"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        dys: &CpuStorage,
        dyl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (batch, channels, height, width) = xl.shape().dims4()?;
        let (dy_batch, outputs, dy_height, dy_width) = dyl.shape().dims4()?;
        let g = Geometry {
            batch,
            channels,
            height,
            width,
            outputs,
            kernel: self.kernel,
            padding: self.padding,
        };
        if (dy_batch, dy_height, dy_width) != (batch, g.out_height(), g.out_width()) {
            candle_core::bail!(
                "conv2d: output gradient {:?} does not match the input {:?}",
                dyl.shape().dims(),
                xl.shape().dims()
            );
        }
        let (x, dy) = (slice(xs, xl)?, slice(dys, dyl)?);
        let dw = if g.kernel == 3 {
            crate::nn::conv2d::winograd::f4x4_weight_gradient::weight_gradient(&g, x, dy)
        } else {
            im2col::weight_gradient(&g, x, dy)
        };
        let shape = Shape::from((outputs, channels, self.kernel, self.kernel));
        Ok((CpuStorage::F32(dw), shape))
    }
}
