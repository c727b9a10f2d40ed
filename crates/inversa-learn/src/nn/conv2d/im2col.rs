//! The im2col convolution: each block of output rows gathers the input patches it sees into a
//! matrix (`[C·k·k, pixels]`) and multiplies it by the weights in one GEMM. Used for kernels other
//! than 3×3 and for the weight gradient outside [`super::fast_convolutions`].

use super::gemm::{matmul, sum_in_groups, SendPtr};
use super::Geometry;
use rayon::prelude::*;
use std::cell::RefCell;

/// One thread's scratch space, reused across blocks and calls: the im2col matrix and the
/// pixel-major product of one block.
#[derive(Default)]
struct Scratch {
    patches: Vec<f32>,
    product: Vec<f32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Runs `f` with this thread's buffers sized `patches` and `product` values.
fn with_scratch<R>(
    patches: usize,
    product: usize,
    f: impl FnOnce(&mut [f32], &mut [f32]) -> R,
) -> R {
    SCRATCH.with(|cell| {
        let mut scratch = cell.borrow_mut();
        let Scratch {
            patches: a,
            product: b,
        } = &mut *scratch;
        if a.len() < patches {
            a.resize(patches, 0.0);
        }
        if b.len() < product {
            b.resize(product, 0.0);
        }
        f(&mut a[..patches], &mut b[..product])
    })
}

/// Fills `patches` (`[C·k·k, rows·W_out]`) with the shifted input rows that output rows
/// `first..first+rows` of image `image` see, zeros where the kernel overhangs the border.
fn im2col(g: &Geometry, x: &[f32], image: usize, first: usize, rows: usize, patches: &mut [f32]) {
    let (wo, k, p) = (g.out_width(), g.kernel, g.padding);
    let pixels = rows * wo;
    let plane = g.height * g.width;
    for c in 0..g.channels {
        let source = &x[(image * g.channels + c) * plane..][..plane];
        for ky in 0..k {
            for kx in 0..k {
                let row = &mut patches[((c * k + ky) * k + kx) * pixels..][..pixels];
                // Output column ox reads input column ox + kx − p.
                let lo = p.saturating_sub(kx).min(wo);
                let hi = (g.width + p).saturating_sub(kx).clamp(lo, wo);
                for (r, out) in row.chunks_exact_mut(wo).enumerate() {
                    let iy = (first + r + ky).checked_sub(p).filter(|&y| y < g.height);
                    let Some(iy) = iy else {
                        out.fill(0.0);
                        continue;
                    };
                    out[..lo].fill(0.0);
                    out[hi..].fill(0.0);
                    let start = iy * g.width + lo + kx - p;
                    out[lo..hi].copy_from_slice(&source[start..start + hi - lo]);
                }
            }
        }
    }
}

/// The forward convolution on raw slices. Each block's product is computed pixel-major (the
/// GEMM's column-major destination, ~40% faster than writing channel-major rows directly) and
/// then transposed into the channel-major output.
pub(super) fn forward(g: &Geometry, x: &[f32], w: &[f32]) -> Vec<f32> {
    let (ho, wo) = (g.out_height(), g.out_width());
    let mut y = vec![0.0f32; g.batch * g.outputs * ho * wo];
    let out = SendPtr(y.as_mut_ptr());
    g.blocks().into_par_iter().for_each(|(image, first, rows)| {
        let pixels = rows * wo;
        with_scratch(
            g.patch_len() * pixels,
            g.outputs * pixels,
            |patches, product| {
                im2col(g, x, image, first, rows, patches);
                matmul(
                    (g.outputs, pixels, g.patch_len()),
                    (product.as_mut_ptr(), 1, g.outputs as isize),
                    (w.as_ptr(), g.patch_len() as isize, 1),
                    (patches.as_ptr(), pixels as isize, 1),
                    false,
                );
                // SAFETY: rows first..first+rows of every output channel of `image` lie inside `y`,
                // and no other block writes them.
                let base = unsafe { out.get().add(image * g.outputs * ho * wo + first * wo) };
                for o in 0..g.outputs {
                    // SAFETY: as above, `pixels` values from row `first` of channel `o`.
                    let row =
                        unsafe { std::slice::from_raw_parts_mut(base.add(o * ho * wo), pixels) };
                    for (value, source) in
                        row.iter_mut().zip(product[o..].iter().step_by(g.outputs))
                    {
                        *value = *source;
                    }
                }
            },
        )
    });
    y
}

/// `∂L/∂w = Σ_blocks dy_block · patches_blockᵀ`, `[O, C·k·k]`. The sums are accumulated
/// transposed (`[C·k·k, O]`, the GEMM's column-major destination: 2.7× faster than row-major
/// here) and transposed once at the end.
pub(super) fn weight_gradient(g: &Geometry, x: &[f32], dy: &[f32]) -> Vec<f32> {
    let (ho, wo) = (g.out_height(), g.out_width());
    let len = g.outputs * g.patch_len();
    let transposed = sum_in_groups(&g.blocks(), len, |&(image, first, rows), sum| {
        let pixels = rows * wo;
        with_scratch(g.patch_len() * pixels, 0, |patches, _| {
            im2col(g, x, image, first, rows, patches);
            let dy_block = &dy[image * g.outputs * ho * wo + first * wo..];
            matmul(
                (g.outputs, g.patch_len(), pixels),
                (sum.as_mut_ptr(), 1, g.outputs as isize),
                (dy_block.as_ptr(), (ho * wo) as isize, 1),
                (patches.as_ptr(), 1, pixels as isize),
                true,
            );
        });
    });
    let mut total = vec![0.0f32; len];
    for (i, row) in transposed.chunks_exact(g.outputs).enumerate() {
        for (o, value) in row.iter().enumerate() {
            total[o * g.patch_len() + i] = *value;
        }
    }
    total
}
