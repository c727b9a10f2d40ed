//! Discrete gradient by forward differences with a Neumann boundary (the difference across the last
//! row/column is zero), as in Chambolle, "An algorithm for total variation minimization and
//! applications", J. Math. Imaging Vis. 2004, eq. (2.1). Its adjoint is minus that paper's divergence.
//!
//! Input `[C, H, W]`, output `[C, 2, H, W]` (vertical then horizontal difference).

use super::{image_dims, LinearOperator, EXAMPLE_SHAPE};
use crate::real::Real;
use rayon::prelude::*;

/// `∇x = (x[i+1, j] − x[i, j], x[i, j+1] − x[i, j])`.
pub struct Gradient {
    input: Vec<usize>,
    output: Vec<usize>,
}

impl Gradient {
    /// The gradient of `[C, H, W]` (or `[H, W]`) images.
    pub fn new(image_shape: &[usize]) -> Self {
        let (c, h, w) = image_dims(image_shape);
        Self {
            input: image_shape.to_vec(),
            output: vec![c, 2, h, w],
        }
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
                for i in 0..h {
                    for j in 0..w {
                        let k = i * w + j;
                        dv[k] = if i + 1 < h {
                            img[k + w] - img[k]
                        } else {
                            T::zero()
                        };
                        dh[k] = if j + 1 < w {
                            img[k + 1] - img[k]
                        } else {
                            T::zero()
                        };
                    }
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
                    for j in 0..w {
                        let k = i * w + j;
                        let mut v = T::zero();
                        if i + 1 < h {
                            v = v - dv[k];
                        }
                        if i > 0 {
                            v = v + dv[k - w];
                        }
                        if j + 1 < w {
                            v = v - dh[k];
                        }
                        if j > 0 {
                            v = v + dh[k - 1];
                        }
                        img[k] = v;
                    }
                }
            });
    }
}

/// The gradient on the self-test shape.
pub fn example<T: Real>(_seed: u64) -> Box<dyn LinearOperator<T>> {
    Box::new(Gradient::new(&EXAMPLE_SHAPE))
}
