//! The experiment's settings and their checks.

use crate::pde::kolmogorov_flow::Flow;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// The experiment's settings (read from Python's keywords, where a missing one keeps its default
/// and an unknown one is an error).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub seed: u64,
    /// The solver's grid (even) and the learning problem's coarse grid (even, at most `grid`).
    pub grid: usize,
    pub coarse: usize,
    /// `ν`, the drag `α`, the force's amplitude `χ` and wavenumber `k_f`.
    pub viscosity: f64,
    pub drag: f64,
    pub forcing: f64,
    pub forcing_wavenumber: usize,
    /// The solver's step `h` and the solver steps per sample (`Δt = substeps · h`).
    pub solver_step: f64,
    pub substeps: usize,
    /// Time simulated and discarded before the first sample of every trajectory.
    pub spin_up: f64,
    /// Training trajectories and the samples of each.
    pub train_trajectories: usize,
    pub train_samples: usize,
    /// Held-out trajectories and their rollout length in steps of `Δt`.
    pub test_trajectories: usize,
    pub horizon: usize,
    /// Token width, heads, width per head, and the implicit layer's repetitions `L`.
    pub width: usize,
    pub heads: usize,
    pub head_width: usize,
    pub repeats: usize,
    /// Adam steps, batch and peak rate (cosine-decayed).
    pub steps: usize,
    pub batch: usize,
    pub rate: f64,
    /// A rollout diverges at the first step whose mean energy exceeds `blow_up` times the largest
    /// energy of the training data (or is not finite).
    pub blow_up: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            seed: 0,
            grid: 64,
            coarse: 16,
            viscosity: 0.01,
            drag: 0.1,
            forcing: 1.0,
            forcing_wavenumber: 4,
            solver_step: 0.01,
            substeps: 10,
            spin_up: 30.0,
            train_trajectories: 4,
            train_samples: 400,
            test_trajectories: 4,
            horizon: 400,
            width: 24,
            heads: 2,
            head_width: 12,
            repeats: 4,
            steps: 1200,
            batch: 8,
            rate: 2e-3,
            blow_up: 10.0,
        }
    }
}

impl Settings {
    /// The small setting of the test and of `--quick`.
    pub fn quick() -> Self {
        Self {
            spin_up: 15.0,
            train_trajectories: 2,
            train_samples: 150,
            test_trajectories: 3,
            horizon: 150,
            width: 16,
            head_width: 8,
            steps: 250,
            ..Self::default()
        }
    }

    pub(super) fn flow(&self) -> Flow {
        Flow {
            n: self.grid,
            viscosity: self.viscosity,
            drag: self.drag,
            forcing: self.forcing,
            forcing_wavenumber: self.forcing_wavenumber,
        }
    }

    /// `Δt` between samples.
    pub fn dt(&self) -> f64 {
        self.solver_step * self.substeps as f64
    }

    pub(super) fn check(&self) -> Result<()> {
        let counts = [
            ("grid", self.grid, 8, 512),
            ("coarse", self.coarse, 4, self.grid),
            (
                "forcing_wavenumber",
                self.forcing_wavenumber,
                1,
                self.grid / 3,
            ),
            ("substeps", self.substeps, 1, 100_000),
            ("train_trajectories", self.train_trajectories, 1, 1000),
            ("train_samples", self.train_samples, 2, 1_000_000),
            ("test_trajectories", self.test_trajectories, 1, 1000),
            ("horizon", self.horizon, 4, 1_000_000),
            ("width", self.width, 2, 512),
            ("heads", self.heads, 1, 16),
            ("head_width", self.head_width, 1, 256),
            ("repeats", self.repeats, 1, 64),
            ("steps", self.steps, 1, 1_000_000),
            ("batch", self.batch, 1, 4096),
        ];
        for (key, value, least, most) in counts {
            if value < least || value > most {
                return Err(Error::setting(
                    key,
                    format!("must be in {least} ..= {most}, got {value}"),
                ));
            }
        }
        for (key, value) in [("grid", self.grid), ("coarse", self.coarse)] {
            if value % 2 == 1 {
                return Err(Error::setting(key, format!("must be even, got {value}")));
            }
        }
        for (key, value, most) in [
            ("viscosity", self.viscosity, 1e3),
            ("solver_step", self.solver_step, 1e3),
            ("rate", self.rate, 10.0),
            ("blow_up", self.blow_up, 1e12),
        ] {
            if !(value > 0.0 && value <= most) {
                return Err(Error::setting(
                    key,
                    format!("must be in (0, {most}], got {value}"),
                ));
            }
        }
        for (key, value) in [
            ("drag", self.drag),
            ("forcing", self.forcing),
            ("spin_up", self.spin_up),
        ] {
            if !(0.0..=1e6).contains(&value) {
                return Err(Error::setting(
                    key,
                    format!("must be in [0, 10⁶], got {value}"),
                ));
            }
        }
        let solver_steps = (self.spin_up / self.solver_step)
            + (self.substeps * (self.train_samples + self.horizon)) as f64;
        if solver_steps > 1e8 {
            return Err(Error::setting("spin_up", "needs over 10⁸ solver steps"));
        }
        let samples = self.train_trajectories * self.train_samples
            + self.test_trajectories * (self.horizon + 1);
        crate::error::check_memory("train_samples", &[samples, self.coarse, self.coarse], 8, 2)?;
        // Autodiff keeps every repetition's activations of a batch.
        let hidden = self.width.max(self.heads * self.head_width);
        crate::error::check_memory(
            "batch",
            &[
                self.batch,
                self.repeats,
                self.coarse,
                self.coarse,
                hidden,
                12,
            ],
            4,
            2,
        )
    }
}
