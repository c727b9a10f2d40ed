//! The integration tests of `inversa-lab`, one module per file, built as one test binary: linking each
//! file as a binary of its own against the whole dependency tree (48 of them in the workspace)
//! was most of CI's build time.

mod bench;
mod diffusion_inversion;
mod gradient_audit;
mod model_inversion;
mod numerics;
mod sample_quality;
mod stale_updates;
