//! The integration tests of `inversa`, one module per file, built as one test binary: linking each
//! file as a binary of its own against the whole dependency tree (48 of them in the workspace)
//! was most of CI's build time.

mod ct;
mod cycle_spinning;
mod espirit;
mod fuzz_regressions;
mod krylov;
mod limits;
mod metrics;
mod mri_raw;
mod mri_sense;
mod mri_twix;
mod numerics;
mod operators;
mod physics;
mod priors;
mod readers_properties;
mod report;
mod sample_distance;
mod solvers;
mod task_keys;
mod wavelet;

/// PSNR of `x` against `reference` (peak: the reference's maximum) after the least-squares scale
/// `a x`, so that no reconstruction of measured data is judged on its arbitrary intensity scale.
fn fitted_psnr(x: &[f64], reference: &[f64]) -> f64 {
    let a = x.iter().zip(reference).map(|(u, v)| u * v).sum::<f64>()
        / x.iter().map(|u| u * u).sum::<f64>();
    let mse = x
        .iter()
        .zip(reference)
        .map(|(u, v)| (a * u - v).powi(2))
        .sum::<f64>()
        / x.len() as f64;
    let peak = reference.iter().copied().fold(0.0, f64::max);
    10.0 * (peak * peak / mse).log10()
}
