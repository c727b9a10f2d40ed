//! The one list of priors, walked by `inversa list`, the task-file parser and the prox tests.

use super::Prior;
use crate::config::Section;
use crate::error::Result;
use crate::operators::physics::BuildContext;
use crate::real::Real;

/// Builds a prior from the rest of its `[prior]` table.
pub type PriorBuilder<T> = fn(&mut Section, &BuildContext) -> Result<Box<dyn Prior<T>>>;

/// A registered prior: its task-file name, a one-line summary, its builder and a small example.
pub struct PriorEntry<T: Real> {
    /// The `prior.kind` value.
    pub name: &'static str,
    /// One line for `inversa list`.
    pub summary: &'static str,
    /// Builds the prior from the rest of the `[prior]` table.
    pub build: PriorBuilder<T>,
    /// A small instance on [`crate::operators::EXAMPLE_SHAPE`] for the prox tests.
    pub example: fn() -> Box<dyn Prior<T>>,
}

/// Every prior a task file can name.
pub fn priors<T: Real>() -> Vec<PriorEntry<T>> {
    vec![
        PriorEntry {
            name: "none",
            summary: "no regularisation (least squares)",
            build: super::none::from_config,
            example: super::none::example,
        },
        PriorEntry {
            name: "tikhonov",
            summary: "(weight/2)·‖x‖², closed-form prox",
            build: super::tikhonov::from_config,
            example: super::tikhonov::example,
        },
        PriorEntry {
            name: "tv",
            summary: "isotropic total variation weight·Σ‖∇x‖₂ (prox by the fast dual projection of Beck & Teboulle)",
            build: super::tv::from_config,
            example: super::tv::example,
        },
        PriorEntry {
            name: "wavelet",
            summary: "weight·‖wavelet details‖₁ (haar/db2/db4, periodic, orthogonal), exact prox",
            build: super::wavelet::from_config,
            example: super::wavelet::example,
        },
    ]
}

/// Looks up a prior by its task-file name.
pub fn find<T: Real>(name: &str) -> Option<PriorEntry<T>> {
    priors().into_iter().find(|e| e.name == name)
}

/// The names of all priors, for error messages.
pub fn names() -> Vec<&'static str> {
    priors::<f64>().iter().map(|e| e.name).collect()
}
