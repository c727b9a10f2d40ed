//! The one timer of the benchmarks and experiments.

use std::time::Instant;

/// Median seconds of `repeats` calls of `f` after one untimed warm-up call (which fills caches,
/// FFT plans and scratch pools, so that the median measures the steady state).
pub fn median_seconds(repeats: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..repeats.max(1))
        .map(|_| {
            let clock = Instant::now();
            f();
            clock.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// [`median_seconds`] of a fallible `f`: the warm-up surfaces any error, and the first error of
/// a timed call is returned instead of the time.
pub fn try_median_seconds<E>(
    repeats: usize,
    mut f: impl FnMut() -> Result<(), E>,
) -> Result<f64, E> {
    f()?;
    let mut failure = None;
    let seconds = median_seconds(repeats, || {
        if let Err(error) = f() {
            failure.get_or_insert(error);
        }
    });
    failure.map_or(Ok(seconds), Err)
}
