//! Preconditioners `M ≈ A` applied as `z = M⁻¹ r`: none (`M = I`), Jacobi (`M = diag A`) and
//! ILU(0) ([`Ilu0`]). GMRES and GCRO-DR apply them on the right (`A M⁻¹ x̂ = b`,
//! `x = M⁻¹ x̂`, so the residual they minimise is the true one); CG applies them as the
//! symmetric preconditioner of PCG, which needs `M` symmetric positive definite (Jacobi always is
//! for an SPD `A`; ILU(0) of a symmetric M-matrix is, too).

use crate::error::{Error, Result};
use crate::krylov::sparse::CsrMatrix;

mod ilu0;

pub use ilu0::Ilu0;

/// `z = M⁻¹ r`.
pub trait Preconditioner {
    /// Writes `M⁻¹ r` into `z`.
    fn apply(&self, r: &[f64], z: &mut [f64]);

    /// `M⁻¹ r` in a new vector.
    fn apply_new(&self, r: &[f64]) -> Vec<f64> {
        let mut z = vec![0.0; r.len()];
        self.apply(r, &mut z);
        z
    }
}

/// `M = I`.
pub struct Identity;

impl Preconditioner for Identity {
    fn apply(&self, r: &[f64], z: &mut [f64]) {
        z.copy_from_slice(r);
    }
}

/// `M = diag(A)`.
pub struct Jacobi {
    inverse_diagonal: Vec<f64>,
}

impl Jacobi {
    /// Fails when a diagonal entry is zero.
    pub fn new(a: &CsrMatrix) -> Result<Self> {
        let diagonal = a.diagonal();
        if let Some(i) = diagonal.iter().position(|d| *d == 0.0) {
            return Err(Error::config(
                "preconditioner",
                format!("Jacobi needs a nonzero diagonal, but A[{i}][{i}] = 0"),
            ));
        }
        Ok(Self {
            inverse_diagonal: diagonal.iter().map(|d| 1.0 / d).collect(),
        })
    }
}

impl Preconditioner for Jacobi {
    fn apply(&self, r: &[f64], z: &mut [f64]) {
        z.iter_mut()
            .zip(r.iter().zip(&self.inverse_diagonal))
            .for_each(|(zi, (ri, di))| *zi = ri * di);
    }
}

/// Which preconditioner to build for each matrix of a sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PreconditionerKind {
    None,
    Jacobi,
    Ilu0,
}

impl PreconditionerKind {
    /// Every kind, for help texts.
    pub const ALL: [PreconditionerKind; 3] = [Self::None, Self::Jacobi, Self::Ilu0];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Jacobi => "jacobi",
            Self::Ilu0 => "ilu0",
        }
    }

    /// Parses a name from [`Self::name`].
    pub fn parse(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| {
                Error::config(
                    "preconditioner",
                    format!("unknown preconditioner {name:?}; expected none, jacobi or ilu0"),
                )
            })
    }

    /// Builds the preconditioner for `a`.
    pub fn build(self, a: &CsrMatrix) -> Result<Box<dyn Preconditioner>> {
        Ok(match self {
            Self::None => Box::new(Identity),
            Self::Jacobi => Box::new(Jacobi::new(a)?),
            Self::Ilu0 => Box::new(Ilu0::new(a)?),
        })
    }
}
