//! The memory floor the operator and solver times are set against: the time to read a map's
//! input once plus the time to write its output once, at the same sizes.

use crate::timing::median_seconds;
use inversa::operators::{random_vector, LinearOperator};
use rayon::prelude::*;

/// Streaming bandwidth in bytes/second (read + write counted) on 64 MiB of f32 each way.
pub(super) fn dram_bandwidth() -> f64 {
    let n = 16 << 20;
    (2 * n * 4) as f64 / copy_seconds(n, n, 5)
}

/// Time to read `input_len` f32 (an integer sum of their bits, which vectorises) plus the time to
/// write `output_len` f32 (a fill): the memory floor of any map between those sizes. Each is the
/// faster of a serial and a parallel loop, since small arrays do not gain from threads.
fn copy_seconds(input_len: usize, output_len: usize, repeats: usize) -> f64 {
    let source = vec![1u32; input_len.max(1)];
    let mut target = vec![0.0f32; output_len.max(1)];
    let block = 1 << 12;
    let sum = |c: &[u32]| c.iter().fold(0u32, |s, v| s.wrapping_add(*v));
    let serial_read = median_seconds(repeats, || {
        std::hint::black_box(sum(&source));
    });
    let parallel_read = median_seconds(repeats, || {
        let total = source
            .par_chunks(block)
            .map(sum)
            .reduce(|| 0, u32::wrapping_add);
        std::hint::black_box(total);
    });
    let serial_write = median_seconds(repeats, || target.fill(2.0));
    let parallel_write = median_seconds(repeats, || {
        target.par_chunks_mut(block).for_each(|t| t.fill(3.0));
    });
    std::hint::black_box(&target);
    serial_read.min(parallel_read) + serial_write.min(parallel_write)
}

/// Apply and adjoint times of an operator with their copy floors, in seconds.
pub(super) struct OperatorTimes {
    pub apply: f64,
    pub adjoint: f64,
    pub apply_floor: f64,
    pub adjoint_floor: f64,
}

/// Median apply and adjoint times of `op` on a random input, with their floors.
pub(super) fn time_operator(op: &dyn LinearOperator<f32>, repeats: usize) -> OperatorTimes {
    let x = random_vector::<f32>(op.input_len(), 1);
    let mut y = vec![0.0f32; op.output_len()];
    let apply = median_seconds(repeats, || op.apply(&x, &mut y));
    let mut back = vec![0.0f32; op.input_len()];
    let adjoint = median_seconds(repeats, || op.adjoint(&y, &mut back));
    OperatorTimes {
        apply,
        adjoint,
        apply_floor: copy_seconds(op.input_len(), op.output_len(), repeats),
        adjoint_floor: copy_seconds(op.output_len(), op.input_len(), repeats),
    }
}
