//! 3×3 convolution by Winograd's minimal filtering F(4×4, 3×3) (Lavin and Gray, "Fast
//! Algorithms for Convolutional Neural Networks", CVPR 2016), for passes whose result will be
//! differentiated: training steps.
//!
//! Each 4×4 block of outputs is computed from a 6×6 input tile with 36 multiplications per
//! (input, output) channel pair instead of 144: the tile is transformed (`Bᵀ d B`), multiplied
//! element-wise with the transformed kernel (`G g Gᵀ`) and summed over input channels (36 GEMMs
//! `[O, C] · [C, tiles]`), then transformed back (`Aᵀ m A`). Against F(2×2, 3×3)
//! ([`crate::nn::conv2d::winograd`]) that is 1.8× fewer multiply-adds, and each output pixel moves
//! 2.25 transformed values through memory instead of 4.
//!
//! Why not everywhere: the transforms' coefficients (up to 8 and 1/24) cost accuracy. Measured on
//! a 64→64 layer against an f64 convolution, the error was 3.7e-6 of the output's range here,
//! 2.6e-7 with F(2×2) and 8e-7 for candle's direct f32 convolution; through the diffusion UNet,
//! EDICT's f32 round trip went from 6.8e-3 to 2.8e-2. A gradient only steers an optimiser, where
//! that error does not matter, and a DnCNN training step was ~20% faster (A/B, same minutes:
//! 638–714 ms against 778–877 ms), so training steps run inside
//! [`crate::nn::conv2d::fast_convolutions`], and everything else through F(2×2).
//! [`crate::nn::conv2d::winograd::f4x4_weight_gradient`] differentiates the same algorithm for the weight
//! gradient.

use crate::nn::conv2d::winograd::{copy_lanes, slices_at, with_wide_vectors, Tiling, LANES};
use crate::nn::conv2d::{Epilogue, Geometry};

/// Output pixels per tile side.
pub(crate) const TILE: usize = 4;
/// Input pixels per tile side: the output tile and the kernel's overhang.
pub(crate) const SPAN: usize = TILE + 2;
/// Transformed values per tile, one GEMM each.
pub(crate) const POINTS: usize = SPAN * SPAN;

/// Bᵀ: the input-tile transform (interpolation points 0, ±1, ±2 and ∞), applied by
/// [`input_transform`].
#[cfg(test)]
const B_T: [[f32; SPAN]; SPAN] = [
    [4.0, 0.0, -5.0, 0.0, 1.0, 0.0],
    [0.0, -4.0, -4.0, 1.0, 1.0, 0.0],
    [0.0, 4.0, -4.0, -1.0, 1.0, 0.0],
    [0.0, -2.0, -1.0, 2.0, 1.0, 0.0],
    [0.0, 2.0, -1.0, -2.0, 1.0, 0.0],
    [0.0, 4.0, 0.0, -5.0, 0.0, 1.0],
];

/// G: the kernel transform.
pub(crate) const G: [[f32; 3]; SPAN] = [
    [1.0 / 4.0, 0.0, 0.0],
    [-1.0 / 6.0, -1.0 / 6.0, -1.0 / 6.0],
    [-1.0 / 6.0, 1.0 / 6.0, -1.0 / 6.0],
    [1.0 / 24.0, 1.0 / 12.0, 1.0 / 6.0],
    [1.0 / 24.0, -1.0 / 12.0, 1.0 / 6.0],
    [0.0, 0.0, 1.0],
];

/// Aᵀ: the output transform, applied by [`output_transform`].
#[cfg(test)]
pub(crate) const A_T: [[f32; SPAN]; TILE] = [
    [1.0, 1.0, 1.0, 1.0, 1.0, 0.0],
    [0.0, 1.0, -1.0, 2.0, -2.0, 0.0],
    [0.0, 1.0, 1.0, 4.0, 4.0, 0.0],
    [0.0, 1.0, -1.0, 8.0, -8.0, 1.0],
];

/// F(4×4, 3×3): 36 products per tile of 4×4 outputs.
pub(crate) struct F4x4;

impl Tiling for F4x4 {
    const TILE: usize = TILE;
    const POINTS: usize = POINTS;
    const TILES_PER_BLOCK: usize = 96;

    fn transform_kernels(g: &Geometry, w: &[f32]) -> Vec<f32> {
        let (o_count, c_count) = (g.outputs, g.channels);
        let mut u = vec![0.0f32; POINTS * c_count * o_count];
        for o in 0..o_count {
            for c in 0..c_count {
                let k = &w[(o * c_count + c) * 9..][..9];
                for xi in 0..POINTS {
                    let (i, j) = (xi / SPAN, xi % SPAN);
                    u[(xi * c_count + c) * o_count + o] =
                        (0..9).map(|ab| G[i][ab / 3] * k[ab] * G[j][ab % 3]).sum();
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
        let tile_cols = g.out_width().div_ceil(TILE);
        let tiles = rows * tile_cols;
        // Each input row is split into its four column phases (column mod 4), so that every tap of
        // every tile is a unit-stride read and the loop over tiles vectorizes.
        let phase_len = tile_cols + 1;
        let mut strip = vec![0.0f32; SPAN * TILE * phase_len];
        let mut padded = vec![0.0f32; TILE * phase_len];
        let plane = g.height * g.width;
        let mut planes: Vec<&mut [f32]> = v.chunks_exact_mut(g.channels * tiles).collect();
        for c in 0..g.channels {
            let source = &x[(image * g.channels + c) * plane..][..plane];
            for r in 0..rows {
                load_strip(g, source, TILE * (first + r), &mut strip, &mut padded);
                let offset = c * tiles + r * tile_cols;
                let mut out: [&mut [f32]; POINTS] = slices_at(&mut planes, offset, tile_cols);
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
        let tile_cols = wo.div_ceil(TILE);
        let tiles = rows * tile_cols;
        let mut block = vec![0.0f32; TILE * TILE * tile_cols];
        for o in 0..g.outputs {
            for r in 0..rows {
                let start = o * tiles + r * tile_cols;
                let p: [&[f32]; POINTS] =
                    std::array::from_fn(|xi| &m[xi * g.outputs * tiles + start..][..tile_cols]);
                with_wide_vectors(|| untransform_row(&p, &mut block));
                let oy = TILE * (first + r);
                for (a, row) in block
                    .chunks_exact(TILE * tile_cols)
                    .enumerate()
                    .take(ho - oy)
                {
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

/// One row of tiles: `strip` holds the six input rows, each as four column phases of `tiles + 1`
/// values.
#[inline(always)]
fn transform_row(strip: &[f32], tiles: usize, out: &mut [&mut [f32]; POINTS]) {
    let phase_len = tiles + 1;
    for start in (0..tiles).step_by(LANES) {
        let n = LANES.min(tiles - start);
        // d[i][j][l]: tap (i, j) of tile start + l: row i, input column 4·(start + l) + j, which
        // is phase j mod 4 at index start + l + j / 4.
        let mut d = [[[0.0f32; LANES]; SPAN]; SPAN];
        for (i, taps) in d.iter_mut().enumerate() {
            for (j, lanes) in taps.iter_mut().enumerate() {
                let from = (i * TILE + j % TILE) * phase_len + j / TILE + start;
                copy_lanes(&strip[from..from + n], lanes);
            }
        }
        // Bᵀ on each column of the tiles, then B on each row.
        let mut t = [[[0.0f32; LANES]; SPAN]; SPAN];
        for j in 0..SPAN {
            for l in 0..LANES {
                let column = input_transform(std::array::from_fn(|i| d[i][j][l]));
                for (i, value) in column.into_iter().enumerate() {
                    t[i][j][l] = value;
                }
            }
        }
        let mut v = [[[0.0f32; LANES]; SPAN]; SPAN];
        for (i, row) in v.iter_mut().enumerate() {
            for l in 0..LANES {
                let values = input_transform(std::array::from_fn(|j| t[i][j][l]));
                for (j, value) in values.into_iter().enumerate() {
                    row[j][l] = value;
                }
            }
        }
        for (target, lanes) in out.iter_mut().zip(v.iter().flatten()) {
            copy_lanes(&lanes[..n], &mut target[start..start + n]);
        }
    }
}

/// `Bᵀ d` for one column `d` of a tile, with the shared sums factored out (14 additions and 8
/// multiplications instead of the matrix's 22 non-zero products).
#[inline(always)]
fn input_transform(d: [f32; SPAN]) -> [f32; SPAN] {
    let (even, odd) = (d[4] - d[2], d[3] - d[1]);
    let (sum, difference) = (d[1] + d[2], d[1] - d[2]);
    [
        4.0 * d[0] - 5.0 * d[2] + d[4],
        (d[3] + d[4]) - 4.0 * sum,
        (d[4] - d[3]) + 4.0 * difference,
        even + 2.0 * odd,
        even - 2.0 * odd,
        4.0 * d[1] - 5.0 * d[3] + d[5],
    ]
}

/// `Aᵀ m` for one column `m` of a tile's products.
#[inline(always)]
fn output_transform(m: [f32; SPAN]) -> [f32; TILE] {
    let (sum_near, difference_near) = (m[1] + m[2], m[1] - m[2]);
    let (sum_far, difference_far) = (m[3] + m[4], m[3] - m[4]);
    [
        m[0] + sum_near + sum_far,
        difference_near + 2.0 * difference_far,
        sum_near + 4.0 * sum_far,
        difference_near + 8.0 * difference_far + m[5],
    ]
}

/// Copies the six input rows from `top − padding` into `strip` as four column phases each (phase
/// φ, index t holds input column 4t + φ − padding), zeros where they fall outside the image.
fn load_strip(g: &Geometry, source: &[f32], top: usize, strip: &mut [f32], padded: &mut [f32]) {
    let phase_len = padded.len() / TILE;
    for (i, row) in strip.chunks_exact_mut(TILE * phase_len).enumerate() {
        padded.fill(0.0);
        if let Some(iy) = (top + i).checked_sub(g.padding).filter(|&y| y < g.height) {
            let len = g.width.min(padded.len() - g.padding);
            padded[g.padding..g.padding + len].copy_from_slice(&source[iy * g.width..][..len]);
        }
        with_wide_vectors(|| {
            for (t, group) in padded.chunks_exact(TILE).enumerate() {
                for (phase, value) in group.iter().enumerate() {
                    row[phase * phase_len + t] = *value;
                }
            }
        });
    }
}

/// One row of tiles from the 36 products `p`: `block` receives the four output rows, in pixel
/// order.
#[inline(always)]
fn untransform_row(p: &[&[f32]; POINTS], block: &mut [f32]) {
    let tiles = p[0].len();
    for start in (0..tiles).step_by(LANES) {
        let n = LANES.min(tiles - start);
        let mut m = [[[0.0f32; LANES]; SPAN]; SPAN];
        for (lanes, source) in m.iter_mut().flatten().zip(p) {
            copy_lanes(&source[start..start + n], lanes);
        }
        // Aᵀ on each column, then A on each of the four resulting rows.
        let mut s = [[[0.0f32; LANES]; SPAN]; TILE];
        for j in 0..SPAN {
            for l in 0..LANES {
                let column = output_transform(std::array::from_fn(|i| m[i][j][l]));
                for (a, value) in column.into_iter().enumerate() {
                    s[a][j][l] = value;
                }
            }
        }
        let mut y = [[[0.0f32; LANES]; TILE]; TILE];
        for (a, row) in y.iter_mut().enumerate() {
            for l in 0..LANES {
                let values = output_transform(std::array::from_fn(|j| s[a][j][l]));
                for (b, value) in values.into_iter().enumerate() {
                    row[b][l] = value;
                }
            }
        }
        for (a, row) in y.iter().enumerate() {
            let target = &mut block[a * TILE * tiles + TILE * start..][..TILE * n];
            for (l, pixels) in target.chunks_exact_mut(TILE).enumerate() {
                for (value, lanes) in pixels.iter_mut().zip(row) {
                    *value = lanes[l];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The factored transforms equal their matrices on every unit vector.
    #[test]
    fn factored_transforms_match_the_matrices() {
        for k in 0..SPAN {
            let unit: [f32; SPAN] = std::array::from_fn(|i| f32::from(i == k));
            let column_of = |m: &[[f32; SPAN]]| m.iter().map(|row| row[k]).collect::<Vec<_>>();
            assert_eq!(input_transform(unit).to_vec(), column_of(&B_T));
            assert_eq!(output_transform(unit).to_vec(), column_of(&A_T));
        }
    }
}
