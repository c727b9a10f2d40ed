//! The one list of solvers, walked by `inversa list` and the task-file parser.

use super::Solver;
use crate::config::Section;
use crate::error::Result;
use crate::operators::physics::BuildContext;
use crate::real::Real;

/// A registered solver: its task-file name, a one-line summary and its builder.
pub struct SolverEntry<T: Real> {
    /// The `solver.kind` value.
    pub name: &'static str,
    /// One line for `inversa list`.
    pub summary: &'static str,
    /// How it is built, and what it makes of the `[prior]` table.
    pub build: SolverBuild<T>,
}

/// The two kinds of solver a task can name.
pub enum SolverBuild<T: Real> {
    /// An optimiser that uses any registered prior through its prox; built from the rest of the
    /// `[solver]` table.
    Proximal(fn(&mut Section) -> Result<Box<dyn Solver<T>>>),
    /// A sampler whose prior is a generative model rather than a prox (the diffusion samplers of
    /// `inversa-learn`): it reads the `[prior]` table itself, which must say `kind = prior`.
    Sampler {
        prior: &'static str,
        build: SamplerBuilder<T>,
    },
}

/// Builds a sampler from its `[solver]` and `[prior]` tables.
pub type SamplerBuilder<T> =
    fn(&mut Section, &mut Section, &SamplerContext) -> Result<Box<dyn Solver<T>>>;

/// What a sampler needs from the rest of the task.
pub struct SamplerContext<'a> {
    /// The image shape and the run's seed.
    pub build: &'a BuildContext,
    /// `σ` of the simulated Gaussian measurement noise (`None`: none simulated, or not Gaussian).
    pub noise_std: Option<f64>,
    /// Posterior samples to draw (`run.samples`); their mean is the reconstruction.
    pub samples: usize,
}

/// Every solver a task file can name.
pub fn solvers<T: Real>() -> Vec<SolverEntry<T>> {
    vec![
        SolverEntry {
            name: "cg",
            summary: "conjugate gradients on the normal equations (priors none | tikhonov)",
            build: SolverBuild::Proximal(super::cg::from_config),
        },
        SolverEntry {
            name: "fista",
            summary: "accelerated proximal gradient with backtracking (Beck & Teboulle 2009)",
            build: SolverBuild::Proximal(super::fista::from_config),
        },
        SolverEntry {
            name: "admm",
            summary: "alternating direction method of multipliers, closed-form or CG data step",
            build: SolverBuild::Proximal(super::admm::from_config),
        },
        SolverEntry {
            name: "pdhg",
            summary: "Chambolle-Pock primal-dual hybrid gradient",
            build: SolverBuild::Proximal(super::pdhg::from_config),
        },
        SolverEntry {
            name: "hqs",
            summary: "half-quadratic splitting with a growing coupling weight",
            build: SolverBuild::Proximal(super::hqs::from_config),
        },
        SolverEntry {
            name: "red",
            summary: "regularisation by denoising, fixed-point or gradient (Romano, Elad, Milanfar 2017); D = the prior's prox",
            build: SolverBuild::Proximal(super::red::from_config),
        },
        SolverEntry {
            name: "fbp",
            summary: "filtered back-projection, direct (physics.kind = \"ct\" only)",
            build: SolverBuild::Proximal(super::fbp::from_config),
        },
    ]
}

/// Looks up a solver by its task-file name.
pub fn find<T: Real>(name: &str) -> Option<SolverEntry<T>> {
    solvers().into_iter().find(|e| e.name == name)
}

/// The names of all solvers, for error messages.
pub fn names() -> Vec<&'static str> {
    solvers::<f64>().iter().map(|e| e.name).collect()
}
