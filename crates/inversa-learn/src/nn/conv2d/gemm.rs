//! The matrix products and deterministic sums every convolution algorithm shares: one GEMM call
//! on strided raw matrices, a pointer that blocks may share across threads, and the grouped sum that
//! keeps weight gradients independent of the thread count.

use rayon::prelude::*;

/// `dst (m×n) = lhs (m×k) · rhs (k×n)` (or `+=` when `accumulate`) on the calling thread, each
/// matrix given by its pointer and (row, column) strides.
pub(crate) fn matmul(
    (m, n, k): (usize, usize, usize),
    dst: (*mut f32, isize, isize),
    lhs: (*const f32, isize, isize),
    rhs: (*const f32, isize, isize),
    accumulate: bool,
) {
    // SAFETY: every caller passes pointers into live buffers whose extents cover the strided
    // m×n, m×k and k×n matrices; `dst` does not alias the operands.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.0,
            dst.2,
            dst.1,
            accumulate,
            lhs.0,
            lhs.2,
            lhs.1,
            rhs.0,
            rhs.2,
            rhs.1,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        )
    }
}

/// A pointer that may cross threads; each block writes a disjoint part of the output.
#[derive(Clone, Copy)]
pub(crate) struct SendPtr(pub(crate) *mut f32);
// SAFETY: blocks write disjoint rows of the output buffer, which outlives the parallel loop.
unsafe impl Send for SendPtr {}
unsafe impl Sync for SendPtr {}

impl SendPtr {
    /// The pointer (a method, so closures capture the whole `SendPtr`, not its field).
    pub(crate) fn get(self) -> *mut f32 {
        self.0
    }
}

/// Groups of blocks whose weight-gradient contributions are summed together before the groups
/// are summed in order; fixed so the result does not depend on the thread count.
const WEIGHT_GRADIENT_GROUPS: usize = 8;

/// `Σ_blocks` of what `add` adds for each block to a zeroed `len`-vector, deterministically:
/// [`WEIGHT_GRADIENT_GROUPS`] fixed groups of blocks are summed in parallel, then the groups in
/// order, so the result does not depend on the number of threads.
pub(crate) fn sum_in_groups<B: Sync>(
    blocks: &[B],
    len: usize,
    add: impl Fn(&B, &mut [f32]) + Sync,
) -> Vec<f32> {
    let per_group = blocks.len().div_ceil(WEIGHT_GRADIENT_GROUPS).max(1);
    let partials: Vec<Vec<f32>> = blocks
        .par_chunks(per_group)
        .map(|group| {
            let mut sum = vec![0.0f32; len];
            group.iter().for_each(|block| add(block, &mut sum));
            sum
        })
        .collect();
    let mut total = vec![0.0f32; len];
    for partial in partials {
        total.iter_mut().zip(partial).for_each(|(t, p)| *t += p);
    }
    total
}
