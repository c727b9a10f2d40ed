//! # Inversa core
//!
//! Recovering a hidden image `x` from a measurement `y = A(x) + noise`: forward operators with exact
//! adjoints ([`operators`]), priors with proximal maps ([`priors`]), iterative solvers ([`solvers`]),
//! image metrics ([`metrics`]), file formats ([`io`]) and the task runner that ties them to a TOML file
//! ([`task`]).
//!
//! ```
//! use inversa::operators::{blur::Blur, LinearOperator};
//! // A 3×3 box blur on a 1×8×8 image conserves the total intensity (periodic boundary).
//! let blur = Blur::<f64>::new(&[1, 8, 8], &inversa::operators::blur::box_kernel(3)).unwrap();
//! let x: Vec<f64> = (0..64).map(|i| i as f64).collect();
//! let y = blur.apply_new(&x);
//! assert!((y.iter().sum::<f64>() - x.iter().sum::<f64>()).abs() < 1e-9);
//! ```

pub mod config;
pub mod error;
pub mod io;
pub mod operators;
pub mod phantom;
pub mod priors;
pub mod real;
pub mod solvers;

pub use error::{Error, Result};
pub use real::Real;
