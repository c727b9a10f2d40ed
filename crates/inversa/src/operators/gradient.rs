//! Discrete gradient by forward differences with a Neumann boundary (the difference across the last
//! row/column is zero), as in Chambolle, "An algorithm for total variation minimization and
//! applications", J. Math. Imaging Vis. 2004, eq. (2.1). Its adjoint is minus that paper's divergence.
//!
//! Input `[C, H, W]`, output `[C, 2, H, W]` (vertical then horizontal difference).

use super::{checked_image_dims, LinearOperator, EXAMPLE_SHAPE};
use crate::error::Result;
use crate::real::Real;
use rayon::prelude::*;

/// `∇x = (x[i+1, j] − x[i, j], x[i, j+1] − x[i, j])`.
pub struct Gradient {
    input: Vec<usize>,
    output: Vec<usize>,
}

impl Gradient {
    /// The gradient of `[C, H, W]` (or `[H, W]`) images.
    pub fn new(image_shape: &[usize]) -> Result<Self> {
        let (c, h, w) = checked_image_dims(image_shape)?;
        Ok(Self {
            input: image_shape.to_vec(),
            output: vec![c, 2, h, w],
        })
    }

    fn dims(&self) -> (usize, usize) {
        (self.output[2], self.output[3])
    }
}

impl<T: Real> LinearOperator<T> for Gradient {
    fn input_shape(&self) -> &[usize] {
        &self.input
    }
    fn output_shape(&self) -> &[usize] {
        &self.output
    }

    fn apply(&self, x: &[T], y: &mut [T]) {
        let (h, w) = self.dims();
        y.par_chunks_mut(2 * h * w)
            .zip(x.par_chunks(h * w))
            .for_each(|(g, img)| {
                let (dv, dh) = g.split_at_mut(h * w);
                // Row-wise slices without per-pixel branches, so the loops vectorise.
                for i in 0..h {
                    let row = &img[i * w..(i + 1) * w];
                    let out_v = &mut dv[i * w..(i + 1) * w];
                    if i + 1 < h {
                        let next = &img[(i + 1) * w..(i + 2) * w];
                        out_v
                            .iter_mut()
                            .zip(next.iter().zip(row))
                            .for_each(|(o, (n, c))| *o = *n - *c);
                    } else {
                        out_v.fill(T::zero());
                    }
                    let out_h = &mut dh[i * w..(i + 1) * w];
                    out_h[..w - 1]
                        .iter_mut()
                        .zip(row.windows(2))
                        .for_each(|(o, pair)| *o = pair[1] - pair[0]);
                    out_h[w - 1] = T::zero();
                }
            });
    }

    /// `∇* p = −div p`, the exact transpose of the forward differences.
    fn adjoint(&self, y: &[T], x: &mut [T]) {
        let (h, w) = self.dims();
        x.par_chunks_mut(h * w)
            .zip(y.par_chunks(2 * h * w))
            .for_each(|(img, g)| {
                let (dv, dh) = g.split_at(h * w);
                for i in 0..h {
                    let out = &mut img[i * w..(i + 1) * w];
                    // Vertical part: −dv[i] (when row i has a successor) + dv[i−1].
                    let here = &dv[i * w..(i + 1) * w];
                    match (i + 1 < h, i > 0) {
                        (true, true) => {
                            let above = &dv[(i - 1) * w..i * w];
                            out.iter_mut()
                                .zip(here.iter().zip(above))
                                .for_each(|(o, (c, a))| *o = *a - *c);
                        }
                        (true, false) => out.iter_mut().zip(here).for_each(|(o, c)| *o = -*c),
                        (false, true) => out.copy_from_slice(&dv[(i - 1) * w..i * w]),
                        (false, false) => out.fill(T::zero()),
                    }
                    // Horizontal part: −dh[j] (when j has a right neighbour) + dh[j−1].
                    let row = &dh[i * w..(i + 1) * w];
                    out[..w - 1]
                        .iter_mut()
                        .zip(&row[..w - 1])
                        .for_each(|(o, c)| *o = *o - *c);
                    out[1..]
                        .iter_mut()
                        .zip(&row[..w - 1])
                        .for_each(|(o, l)| *o = *o + *l);
                }
            });
    }
}

/// The gradient on the self-test shape.
#[allow(clippy::expect_used, reason = "a fixed self-test example")]
pub fn example<T: Real>(_seed: u64) -> Box<dyn LinearOperator<T>> {
    Box::new(Gradient::new(&EXAMPLE_SHAPE).expect("the example shape is an image shape"))
}
