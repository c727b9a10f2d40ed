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
