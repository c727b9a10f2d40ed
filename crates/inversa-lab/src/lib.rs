//! # Inversa lab
//!
//! Each paper's experiment protocol as one library function: it takes a `Settings` value (with
//! `Default` for the paper's setting), checks it, runs, and returns an [`Outcome`]: a serde report
//! (`metrics.json`) and the figures and arrays it draws. `inversa experiment NAME` and the other
//! CLI commands call exactly these functions, so anything the CLI does a Rust program can do the
//! same way.
//!
//! A protocol that runs in steps (an attack, a federated simulation) reports each step to a
//! `FnMut(&Step) -> inversa::Control` callback, the shape of every stepwise computation in Inversa,
//! and stops when it returns `Stop`; one that runs a grid of short jobs hands a line of text per
//! finished job to a `say` callback instead.
//!
//! ```
//! use inversa_lab::matrix_sensing::{run, Settings};
//!
//! let settings = Settings { n: 8, rank: 1, iterations: 400, ..Settings::default() };
//! let outcome = run(&settings, &mut |_line| {})?;
//! // Exact parameterisation (k = r) reaches the truth; the report says how fast.
//! let exact = &outcome.report.runs[0];
//! assert_eq!(exact.k, 1);
//! assert!(exact.final_error < 1e-6, "{}", exact.final_error);
//! # Ok::<(), inversa_lab::Error>(())
//! ```

// No panics on a path user data can reach (issue 17): an unwrap, expect or panic in this crate
// either becomes an error or carries an `#[allow(..., reason)]` saying why it cannot fire. Unit tests
// may unwrap (clippy.toml); integration tests are separate crates and are not linted for it.
#![warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod bench;
pub mod compare;
pub mod convex_relu;
pub mod dgno;
pub mod diffusion_priors;
pub mod editing;
pub mod elliptic_approximation;
pub mod error;
pub mod fashion_inversion;
pub mod gaunt;
pub mod gradient_audit;
pub mod ifactformer;
pub mod insr;
pub mod itransformer;
pub mod krylov_sequence;
pub mod lagrangian_pinn;
pub mod last_iterate_sgd;
pub mod matrix_sensing;
pub mod mfac;
pub mod model_inversion;
pub mod outcome;
pub mod pde;
pub mod posterior_vs_exact;
pub mod ptd;
pub mod sample_quality;
pub mod sampling;
pub mod schrodinger_bridge;
pub mod self_distillation;
pub mod semilinear_operator;
pub mod stale_updates;
pub mod timing;
pub mod tumour_growth;

pub use error::{Error, Result};
pub use outcome::{Artifact, Outcome};
