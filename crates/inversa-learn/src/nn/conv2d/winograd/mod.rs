//! 3×3 convolution by Winograd's minimal filtering F(2×2, 3×3): Lavin and Gray, "Fast Algorithms
//! for Convolutional Neural Networks", CVPR 2016.
//!
//! Each 2×2 block of outputs is computed from a 4×4 input tile with 16 multiplications per
//! (input, output) channel pair instead of 36: the tile is transformed (`Bᵀ d B`), multiplied
//! element-wise with the transformed kernel (`G g Gᵀ`) and summed over input channels, which is
//! 16 independent GEMMs `[O, C] · [C, tiles]`, then transformed back (`Aᵀ m A`). That is 2.25×
//! fewer multiply-adds than im2col + GEMM; the transforms only add and halve, so the result
//! differs from direct convolution by a few ulps (the FFDNet test checks 1e-4 against PyTorch).
//!
//! Work is split into blocks of tile rows of one image; each thread keeps its transformed tiles
//! and products in reused buffers. The output is written once, with the layer's bias and ReLU
//! applied on the way ([`Epilogue`]). Passes that build gradients use the faster, less accurate
//! F(4×4, 3×3) instead ([`crate::nn::conv2d::winograd::f4x4`] says why).

pub(crate) mod f4x4;
pub(crate) mod f4x4_weight_gradient;

use crate::nn::conv2d::gemm::{matmul, SendPtr};
use crate::nn::conv2d::{Epilogue, Geometry};
use rayon::prelude::*;
use std::cell::RefCell;

/// One Winograd variant F(m×m, 3×3): its tile and its three transforms. [`forward`] runs any of
/// them; this file's [`F2x2`] is the accurate one, `conv2d_winograd4.rs`'s `F4x4` the fast one.
pub(crate) trait Tiling {
    /// Output pixels per tile side.
    const TILE: usize;
    /// Transformed values per tile: one GEMM each.
    const POINTS: usize;
    /// Tiles per block: small enough that a block's transformed tiles and products stay in L2.
    const TILES_PER_BLOCK: usize;
    /// `U = G g Gᵀ` for every kernel, stored `[POINTS][C][O]` (each `[O, C]` matrix column-major,
    /// the layout the GEMM reads fastest).
    fn transform_kernels(g: &Geometry, w: &[f32]) -> Vec<f32>;
    /// `V = Bᵀ d B` for the input tile under every output tile of tile rows `first..first+rows`
    /// of `image`, stored `[POINTS][C][T]`.
    fn transform_tiles(
        g: &Geometry,
        x: &[f32],
        image: usize,
        first: usize,
        rows: usize,
        v: &mut [f32],
    );
    /// `epilogue(Aᵀ m A)` for every tile and output channel, written into the image's output
    /// planes (`out` points at channel 0, row 0 of this image).
    fn untransform(
        g: &Geometry,
        m: &[f32],
        first: usize,
        rows: usize,
        epilogue: Epilogue,
        out: *mut f32,
    );
}

/// F(2×2, 3×3): 16 products per tile of 2×2 outputs.
pub(crate) struct F2x2;

impl Tiling for F2x2 {
    const TILE: usize = 2;
    const POINTS: usize = 16;
    const TILES_PER_BLOCK: usize = 256;

    fn transform_kernels(g: &Geometry, w: &[f32]) -> Vec<f32> {
        let (o_count, c_count) = (g.outputs, g.channels);
        let mut u = vec![0.0f32; 16 * c_count * o_count];
        for o in 0..o_count {
            for c in 0..c_count {
                let k = &w[(o * c_count + c) * 9..][..9];
                // G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]], applied to columns then rows.
                let mut gk = [[0.0f32; 3]; 4];
                for j in 0..3 {
                    let (a, b, d) = (k[j], k[3 + j], k[6 + j]);
                    gk[0][j] = a;
                    gk[1][j] = 0.5 * (a + b + d);
                    gk[2][j] = 0.5 * (a - b + d);
                    gk[3][j] = d;
                }
                for (i, row) in gk.iter().enumerate() {
                    let (a, b, d) = (row[0], row[1], row[2]);
                    let values = [a, 0.5 * (a + b + d), 0.5 * (a - b + d), d];
                    for (j, value) in values.into_iter().enumerate() {
                        u[((4 * i + j) * c_count + c) * o_count + o] = value;
                    }
                }
            }
        }
        u
    }

    fn transform_tiles(
        g: &Geometry,
        x: &[f32],
        image: usize,
        first: usize,
        rows: usize,
        v: &mut [f32],
    ) {
        let tile_cols = g.out_width().div_ceil(2);
        let tiles = rows * tile_cols;
        // Input columns are split into even and odd ones, so that every tap of every tile is a
        // unit-stride read and the loop over tiles vectorizes.
        let mut strip = vec![0.0f32; 8 * (tile_cols + 1)];
        let mut padded = vec![0.0f32; 2 * (tile_cols + 1)];
        let plane = g.height * g.width;
        let mut planes: Vec<&mut [f32]> = v.chunks_exact_mut(g.channels * tiles).collect();
        for c in 0..g.channels {
            let source = &x[(image * g.channels + c) * plane..][..plane];
            for r in 0..rows {
                load_strip(g, source, 2 * (first + r), &mut strip, &mut padded);
                let offset = c * tiles + r * tile_cols;
                let mut out: [&mut [f32]; 16] = slices_at(&mut planes, offset, tile_cols);
                with_wide_vectors(|| transform_row(&strip, tile_cols, &mut out));
            }
        }
    }

    fn untransform(
        g: &Geometry,
        m: &[f32],
        first: usize,
        rows: usize,
        epilogue: Epilogue,
        out: *mut f32,
    ) {
        let (ho, wo) = (g.out_height(), g.out_width());
        let tile_cols = wo.div_ceil(2);
        let tiles = rows * tile_cols;
        let mut pair = vec![0.0f32; 4 * tile_cols];
        for o in 0..g.outputs {
            for r in 0..rows {
                let start = o * tiles + r * tile_cols;
                let p: [&[f32]; 16] =
                    std::array::from_fn(|xi| &m[xi * g.outputs * tiles + start..][..tile_cols]);
                with_wide_vectors(|| untransform_row(&p, &mut pair));
                let oy = 2 * (first + r);
                for (a, row) in pair.chunks_exact(2 * tile_cols).enumerate().take(ho - oy) {
                    // SAFETY: output row oy + a of channel o is inside this image's output,
                    // and only this block writes it.
                    let target = unsafe {
                        std::slice::from_raw_parts_mut(out.add(o * ho * wo + (oy + a) * wo), wo)
                    };
                    target.copy_from_slice(&row[..wo]);
                    epilogue.apply(o, target);
                }
            }
        }
    }
}

/// Per-thread buffers: transformed input tiles `[POINTS][C][T]` and products `[POINTS][O][T]`
/// (both tile-contiguous, so the transforms run along tiles in SIMD lanes).
#[derive(Default)]
struct Scratch {
    tiles: Vec<f32>,
    products: Vec<f32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// The blocks `(image, first tile row)` of a convolution and the tile rows per block.
pub(crate) fn blocks<W: Tiling>(g: &Geometry) -> (Vec<(usize, usize)>, usize) {
    let tile_rows = g.out_height().div_ceil(W::TILE);
    let tile_cols = g.out_width().div_ceil(W::TILE);
    let rows_per_block = W::TILES_PER_BLOCK.div_ceil(tile_cols).max(1).min(tile_rows);
    let blocks = (0..g.batch)
        .flat_map(|b| (0..tile_rows).step_by(rows_per_block).map(move |r| (b, r)))
        .collect();
    (blocks, rows_per_block)
}

/// `epilogue(x ⊛ w)` for a 3×3 kernel, stride 1, `g.padding` zeros, by Winograd variant `W`;
/// `[B, O, H_out, W_out]`.
pub(crate) fn forward<W: Tiling>(
    g: &Geometry,
    x: &[f32],
    w: &[f32],
    epilogue: Epilogue,
) -> Vec<f32> {
    let (ho, wo) = (g.out_height(), g.out_width());
    let (tile_rows, tile_cols) = (ho.div_ceil(W::TILE), wo.div_ceil(W::TILE));
    let kernels = W::transform_kernels(g, w);
    let (blocks, rows_per_block) = blocks::<W>(g);
    // Not zeroed first: the blocks write every value (a memset of the output was ~4% of a DnCNN
    // training step).
    let len = g.batch * g.outputs * ho * wo;
    let mut y = Vec::<f32>::with_capacity(len);
    let out = SendPtr(y.as_mut_ptr());
    blocks.into_par_iter().for_each(|(image, first)| {
        let rows = rows_per_block.min(tile_rows - first);
        let tiles = rows * tile_cols;
        SCRATCH.with(|cell| {
            let mut scratch = cell.borrow_mut();
            let Scratch {
                tiles: v,
                products: m,
            } = &mut *scratch;
            v.resize(W::POINTS * g.channels * tiles, 0.0);
            m.resize(W::POINTS * g.outputs * tiles, 0.0);
            W::transform_tiles(g, x, image, first, rows, v);
            for xi in 0..W::POINTS {
                matmul(
                    (g.outputs, tiles, g.channels),
                    (m[xi * g.outputs * tiles..].as_mut_ptr(), tiles as isize, 1),
                    (
                        kernels[xi * g.outputs * g.channels..].as_ptr(),
                        1,
                        g.outputs as isize,
                    ),
                    (v[xi * g.channels * tiles..].as_ptr(), tiles as isize, 1),
                    false,
                );
            }
            // SAFETY: this block alone writes the output rows of its tile rows of `image`.
            let image_out = unsafe { out.get().add(image * g.outputs * ho * wo) };
            W::untransform(g, m, first, rows, epilogue, image_out);
        })
    });
    // SAFETY: the blocks cover every tile row of every image, and `untransform` writes all `wo`
    // columns of every output row and channel of its tile rows.
    unsafe { y.set_len(len) };
    y
}

/// Tiles transformed together: the arithmetic runs on fixed-size local arrays, which LLVM turns
/// into SIMD (indexing 16 output slices directly defeats it: it cannot rule out aliasing).
pub(crate) const LANES: usize = 16;

/// One row of tiles: `strip` holds the four input rows as [even columns, odd columns] pairs of
/// `tiles + 1` values each. Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]].
#[inline(always)]
fn transform_row(strip: &[f32], tiles: usize, out: &mut [&mut [f32]; 16]) {
    let half = tiles + 1;
    for start in (0..tiles).step_by(LANES) {
        let n = LANES.min(tiles - start);
        // d[i][j][l]: tap (i, j) of tile start + l, i.e. row i, input column 2·(start + l) + j,
        // which is even/odd column start + l (j = 0, 1) or start + l + 1 (j = 2, 3).
        let mut d = [[[0.0f32; LANES]; 4]; 4];
        for (i, taps) in d.iter_mut().enumerate() {
            for (j, lanes) in taps.iter_mut().enumerate() {
                let from = (2 * i + j % 2) * half + j / 2 + start;
                copy_lanes(&strip[from..from + n], lanes);
            }
        }
        // Bᵀ on each column of the tile, then B on each row.
        let mut t = [[[0.0f32; LANES]; 4]; 4];
        for j in 0..4 {
            for l in 0..LANES {
                let (a, b, c, e) = (d[0][j][l], d[1][j][l], d[2][j][l], d[3][j][l]);
                t[0][j][l] = a - c;
                t[1][j][l] = b + c;
                t[2][j][l] = c - b;
                t[3][j][l] = b - e;
            }
        }
        let mut v = [[0.0f32; LANES]; 16];
        for i in 0..4 {
            for l in 0..LANES {
                let (a, b, c, e) = (t[i][0][l], t[i][1][l], t[i][2][l], t[i][3][l]);
                v[4 * i][l] = a - c;
                v[4 * i + 1][l] = b + c;
                v[4 * i + 2][l] = c - b;
                v[4 * i + 3][l] = b - e;
            }
        }
        for (target, lanes) in out.iter_mut().zip(&v) {
            copy_lanes(&lanes[..n], &mut target[start..start + n]);
        }
    }
}

/// Values `offset..offset + len` of each of the `N` planes, as one array of slices.
#[allow(clippy::expect_used, reason = "callers pass N planes")]
pub(crate) fn slices_at<'a, const N: usize>(
    planes: &'a mut [&mut [f32]],
    offset: usize,
    len: usize,
) -> [&'a mut [f32]; N] {
    let mut planes = planes.iter_mut();
    std::array::from_fn(|_| {
        let plane = planes.next().expect("one plane per transformed value");
        &mut (**plane)[offset..offset + len]
    })
}

/// Copies `source` to the start of `target`; a full lane set is copied as a fixed-size array,
/// inline, instead of through a `memcpy` call per 16 values.
#[inline(always)]
pub(crate) fn copy_lanes(source: &[f32], target: &mut [f32]) {
    match (
        <&[f32; LANES]>::try_from(source),
        target.first_chunk_mut::<LANES>(),
    ) {
        (Ok(full), Some(lanes)) => *lanes = *full,
        _ => target[..source.len()].copy_from_slice(source),
    }
}

/// Copies the four input rows from `top − padding` into `strip` as even and odd columns (strip
/// column s holds input column s − padding), zeros where they fall outside the image.
fn load_strip(g: &Geometry, source: &[f32], top: usize, strip: &mut [f32], padded: &mut [f32]) {
    let half = strip.len() / 8;
    for i in 0..4 {
        let (even, odd) = strip[2 * i * half..][..2 * half].split_at_mut(half);
        padded.fill(0.0);
        if let Some(iy) = (top + i).checked_sub(g.padding).filter(|&y| y < g.height) {
            let len = g.width.min(2 * half - g.padding);
            padded[g.padding..g.padding + len].copy_from_slice(&source[iy * g.width..][..len]);
        }
        for ((e, o), pair) in even
            .iter_mut()
            .zip(odd.iter_mut())
            .zip(padded.chunks_exact(2))
        {
            *e = pair[0];
            *o = pair[1];
        }
    }
}

/// Runs `f` compiled for AVX2 + FMA when the CPU has them. The transforms are loops that LLVM
/// vectorizes, and the baseline x86-64 target only allows 4-wide SSE2: measured, the scalar
/// transforms took longer than the 16 GEMMs.
#[inline(always)]
pub(crate) fn with_wide_vectors<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports the features the function is compiled for.
        return unsafe { avx2(f) };
    }
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// One row of tiles from the 16 products `p`: `pair` receives the top output row and the bottom
/// one, in pixel order. Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]].
#[inline(always)]
fn untransform_row(p: &[&[f32]; 16], pair: &mut [f32]) {
    let tiles = p[0].len();
    for start in (0..tiles).step_by(LANES) {
        let n = LANES.min(tiles - start);
        let mut m = [[0.0f32; LANES]; 16];
        for (lanes, source) in m.iter_mut().zip(p) {
            copy_lanes(&source[start..start + n], lanes);
        }
        // Aᵀ on the columns, then A on the two resulting rows.
        let mut s = [[[0.0f32; LANES]; 4]; 2];
        for j in 0..4 {
            for l in 0..LANES {
                let (m0, m1, m2, m3) = (m[j][l], m[4 + j][l], m[8 + j][l], m[12 + j][l]);
                s[0][j][l] = m0 + m1 + m2;
                s[1][j][l] = m1 - m2 - m3;
            }
        }
        // y = [top even, top odd, bottom even, bottom odd] columns of the tiles.
        let mut y = [[0.0f32; LANES]; 4];
        for a in 0..2 {
            for l in 0..LANES {
                let (s0, s1, s2, s3) = (s[a][0][l], s[a][1][l], s[a][2][l], s[a][3][l]);
                y[2 * a][l] = s0 + s1 + s2;
                y[2 * a + 1][l] = s1 - s2 - s3;
            }
        }
        for (a, columns) in y.chunks_exact(2).enumerate() {
            let target = &mut pair[2 * (a * tiles + start)..][..2 * n];
            for (l, pixels) in target.chunks_exact_mut(2).enumerate() {
                pixels[0] = columns[0][l];
                pixels[1] = columns[1][l];
            }
        }
    }
}
