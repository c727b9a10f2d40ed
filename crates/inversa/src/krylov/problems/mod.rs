//! Seeded sequences of PDE systems with one sparsity pattern and different coefficient fields,
//! the workload of Wang et al. (ICLR 2024): each system is one sample of a neural-operator data
//! set. Every problem is discretised on the `n × n` interior grid of the unit square with zero
//! Dirichlet boundary values and right-hand side `f = 1`.

pub mod convection_diffusion;
pub mod darcy;
pub mod diffusion;
pub mod helmholtz;
pub mod poisson;
pub mod random_field;

use super::sparse::CsrMatrix;
use crate::error::{Error, Result};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// One linear system of a sequence.
#[derive(Clone, Debug)]
pub struct System {
    pub matrix: CsrMatrix,
    pub rhs: Vec<f64>,
    /// The coefficient field that tells systems apart (used to sort them).
    pub field: Vec<f64>,
}

/// The PDE behind a sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// FNO Darcy flow, thresholded permeability 12/3 (SPD).
    Darcy,
    /// Log-normal smooth coefficient (SPD).
    Poisson,
    /// Variable wavenumber, symmetric indefinite.
    Helmholtz,
    /// Random velocity, upwind, non-symmetric.
    ConvectionDiffusion,
}

impl ProblemKind {
    /// Every problem.
    pub const ALL: [ProblemKind; 4] = [
        Self::Darcy,
        Self::Poisson,
        Self::Helmholtz,
        Self::ConvectionDiffusion,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Darcy => "darcy",
            Self::Poisson => "poisson",
            Self::Helmholtz => "helmholtz",
            Self::ConvectionDiffusion => "convection-diffusion",
        }
    }

    /// Parses a name from [`Self::name`].
    pub fn parse(name: &str) -> Result<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name).ok_or_else(|| {
            Error::config(
                "problem",
                format!("unknown problem {name:?}; expected darcy, poisson, helmholtz or convection-diffusion"),
            )
        })
    }

    /// Whether every matrix of the sequence is symmetric positive definite (CG applies).
    pub fn symmetric_positive_definite(self) -> bool {
        matches!(self, Self::Darcy | Self::Poisson)
    }

    /// `systems` systems on the `grid × grid` interior grid, drawn from one seeded generator.
    ///
    /// ```
    /// use inversa::krylov::problems::ProblemKind;
    /// let systems = ProblemKind::Darcy.generate(8, 3, 0)?;
    /// assert_eq!(systems.len(), 3);
    /// assert_eq!(systems[0].matrix.rows(), 64);
    /// assert!(systems[0].field.iter().all(|&a| a == 3.0 || a == 12.0));
    /// # Ok::<(), inversa::Error>(())
    /// ```
    pub fn generate(self, grid: usize, systems: usize, seed: u64) -> Result<Vec<System>> {
        if grid < 3 {
            return Err(Error::config(
                "grid",
                format!("must be at least 3, got {grid}"),
            ));
        }
        if systems == 0 {
            return Err(Error::config("systems", "must be at least 1"));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..systems)
            .map(|_| match self {
                Self::Darcy => darcy::system(grid, &mut rng),
                Self::Poisson => poisson::system(grid, &mut rng),
                Self::Helmholtz => helmholtz::system(grid, &mut rng),
                Self::ConvectionDiffusion => convection_diffusion::system(grid, &mut rng),
            })
            .collect()
    }
}
