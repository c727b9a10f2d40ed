//! The 8 symmetries of the square (flips, transposes and their compositions) applied to `[C, H, W]`
//! images, and their inverses. DPIR (Zhang et al., "Plug-and-play image restoration with deep
//! denoiser prior", IEEE TPAMI 2021, §4.2) denoises the k-th iterate under the (k mod 8)-th of them,
//! which removes the structured artefacts a CNN denoiser leaves when it is applied many times.
//!
//! Symmetry `s` is, in this order: bit 0 transposes rows and columns, bit 1 flips the rows, bit 2
//! flips the columns (of the transposed image). Output pixel `(r, c)` reads input pixel `(i, j)` with
//! `(i, j) = (c', r')` when transposed, where `r' `/`c'` are `r`/`c` flipped when bits 1/2 are set.

/// `image` of `shape = [C, H, W]` under symmetry `s` (0..8), and the new shape (`H`, `W` swapped
/// by a transpose).
pub fn transform(image: &[f32], shape: [usize; 3], s: u8) -> (Vec<f32>, [usize; 3]) {
    let [channels, height, width] = shape;
    let transposed = s & 1 == 1;
    let (out_h, out_w) = if transposed {
        (width, height)
    } else {
        (height, width)
    };
    let mut out = Vec::with_capacity(image.len());
    for channel in image.chunks_exact(height * width).take(channels) {
        for r in 0..out_h {
            let r = if s & 2 == 2 { out_h - 1 - r } else { r };
            for c in 0..out_w {
                let c = if s & 4 == 4 { out_w - 1 - c } else { c };
                let (i, j) = if transposed { (c, r) } else { (r, c) };
                out.push(channel[i * width + j]);
            }
        }
    }
    (out, [channels, out_h, out_w])
}

/// The symmetry that undoes `s`: flips are their own inverses, and a transpose followed by flips
/// is undone by the flips of the swapped axes followed by the transpose.
pub fn inverse(s: u8) -> u8 {
    if s & 1 == 0 {
        s
    } else {
        1 | ((s & 2) << 1) | ((s & 4) >> 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 2×3×5 image whose pixel values are their own coordinates, so every move is visible.
    fn labelled() -> Vec<f32> {
        (0..30).map(|i| i as f32).collect()
    }

    #[test]
    fn each_symmetry_is_undone_by_its_inverse() {
        let image = labelled();
        for s in 0..8 {
            let (turned, shape) = transform(&image, [2, 3, 5], s);
            let (back, back_shape) = transform(&turned, shape, inverse(s));
            assert_eq!(back_shape, [2, 3, 5], "symmetry {s}");
            assert_eq!(back, image, "symmetry {s}");
        }
    }

    #[test]
    fn the_eight_symmetries_of_a_small_image_written_out_by_hand() {
        // [[0, 1, 2], [3, 4, 5]] under each symmetry, with the shape it takes.
        let expected: [(&[f32], [usize; 3]); 8] = [
            (&[0., 1., 2., 3., 4., 5.], [1, 2, 3]),
            (&[0., 3., 1., 4., 2., 5.], [1, 3, 2]), // transpose
            (&[3., 4., 5., 0., 1., 2.], [1, 2, 3]), // rows flipped
            (&[2., 5., 1., 4., 0., 3.], [1, 3, 2]), // quarter turn anticlockwise
            (&[2., 1., 0., 5., 4., 3.], [1, 2, 3]), // columns flipped
            (&[3., 0., 4., 1., 5., 2.], [1, 3, 2]), // quarter turn clockwise
            (&[5., 4., 3., 2., 1., 0.], [1, 2, 3]), // half turn
            (&[5., 2., 4., 1., 3., 0.], [1, 3, 2]), // anti-transpose
        ];
        let image = [0., 1., 2., 3., 4., 5.];
        for (s, (pixels, shape)) in expected.iter().enumerate() {
            assert_eq!(
                transform(&image, [1, 2, 3], s as u8),
                (pixels.to_vec(), *shape),
                "symmetry {s}"
            );
        }
    }
}
