//! Numerical methods around inversion that are not image operators: matrix-free inverse-Fisher
//! products ([`mfac`]), gradient descent on over-parameterised matrix sensing ([`matrix_sensing`]),
//! the convex training of two-layer ReLU networks ([`convex_relu`]) and the Fréchet distance
//! between two sets of feature vectors ([`frechet`]).
//!
//! This module works in `f64` only: its methods are numerical experiments whose claims (a relative
//! error of 1e-8, a global optimum) need double precision. Dense linear algebra (Cholesky,
//! symmetric eigendecompositions, products) is [`faer`]'s; the helpers below, Gaussian samples and
//! products of the row-major matrices the files store, are shared by them.

pub mod convex_relu;
pub mod frechet;
pub mod matrix_sensing;
pub mod mfac;
pub mod mfac_optimizer;

use faer::linalg::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// `count` independent standard normal samples.
pub fn gaussian(rng: &mut ChaCha8Rng, count: usize) -> Vec<f64> {
    (0..count).map(|_| rng.sample(StandardNormal)).collect()
}

/// `count` standard normal samples from a fresh generator seeded with `seed`.
pub fn seeded_gaussian(seed: u64, count: usize) -> Vec<f64> {
    use rand::SeedableRng;
    gaussian(&mut ChaCha8Rng::seed_from_u64(seed), count)
}

/// `A B` for row-major `A` (`rows × inner`) and `B` (`inner × cols`), row-major.
pub fn matmul(a: &[f64], b: &[f64], rows: usize, inner: usize, cols: usize) -> Vec<f64> {
    product(
        MatRef::from_row_major_slice(a, rows, inner),
        MatRef::from_row_major_slice(b, inner, cols),
    )
}

/// `Aᵀ B` for row-major `A` (`inner × rows`) and `B` (`inner × cols`), row-major.
pub fn matmul_tn(a: &[f64], b: &[f64], inner: usize, rows: usize, cols: usize) -> Vec<f64> {
    product(
        MatRef::from_row_major_slice(a, inner, rows).transpose(),
        MatRef::from_row_major_slice(b, inner, cols),
    )
}

fn product(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Vec<f64> {
    let mut out = vec![0.0; a.nrows() * b.ncols()];
    matmul::matmul(
        MatMut::from_row_major_slice_mut(&mut out, a.nrows(), b.ncols()),
        Accum::Replace,
        a,
        b,
        1.0,
        Par::Seq,
    );
    out
}
