//! # Inversa core
//!
//! Recovering a hidden image `x` from a measurement `y = A(x) + noise`: forward operators with exact
//! adjoints ([`operators`]), priors with proximal maps ([`priors`]), iterative solvers ([`solvers`]),
//! image metrics ([`metrics`]), distances between sample sets ([`sample_distance`]), file formats ([`io`]) and the task runner that ties them to a TOML file
//! ([`task`]).
//!
//! Deblurring in a few lines: blur the built-in cameraman image, then recover it with total
//! variation by primal-dual iterations.
//!
//! ```
//! use inversa::operators::{blur::{gaussian_kernel, Blur}, LinearOperator};
//! use inversa::priors::tv::TotalVariation;
//! use inversa::solvers::{pdhg, Problem, Silent, Solver, Stopping};
//!
//! let truth = inversa::data::builtin_image("camera")?; // [1, 512, 512] in [0, 1]
//! let blur = Blur::<f32>::new(&truth.shape, &gaussian_kernel(2.0))?;
//! let x: Vec<f32> = truth.data.iter().map(|v| *v as f32).collect();
//! let y = blur.apply_new(&x);
//! let tv = TotalVariation::<f32>::new(0.001, &truth.shape, 20)?;
//! let problem = Problem { operator: &blur, measurement: &y, prior: &tv };
//! let stopping = Stopping { iterations: 50, tolerance: 0.0 };
//! let solver = pdhg::Pdhg { params: pdhg::Params { stopping, ..Default::default() } };
//! let mut estimate = y.clone();
//! solver.solve(&problem, &mut estimate, &mut Silent)?;
//! let truth32: Vec<f32> = x.clone();
//! let before = inversa::metrics::psnr(&y, &truth32, 1.0);
//! let after = inversa::metrics::psnr(&estimate, &truth32, 1.0);
//! assert!(after > before + 1.0, "{after} dB after vs {before} dB before");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// No panics on a path user data can reach (issue 17): an unwrap, expect or panic in this crate
// either becomes an error or carries an `#[allow(..., reason)]` saying why it cannot fire. Unit tests
// may unwrap (clippy.toml); integration tests are separate crates and are not linted for it.
#![warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod config;
pub mod data;
pub mod error;
pub mod io;
pub mod krylov;
pub mod memory;
pub mod metrics;
pub mod noise;
pub mod numerics;
pub mod operators;
pub mod parallel;
pub mod phantom;
pub mod priors;
pub mod real;
pub mod report;
pub mod sample_distance;
pub mod solvers;
pub mod task;

pub use error::{Error, Result};
pub use real::Real;
pub use solvers::Control;
