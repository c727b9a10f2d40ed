//! The experiment's settings and their checks.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// The experiment's settings (read from Python's keywords, where a missing one keeps its default
/// and an unknown one is an error).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub seed: u64,
    /// Grid points (even).
    pub grid: usize,
    /// The domain's length `L`.
    pub length: f64,
    /// Time between samples, the operator's step.
    pub dt: f64,
    /// ETDRK4 steps per sample.
    pub substeps: usize,
    /// Time simulated and discarded before the first sample.
    pub spin_up: f64,
    /// Samples of the training trajectory.
    pub train_samples: usize,
    /// Sensors (random distinct grid points).
    pub sensors: usize,
    /// The readings' noise spread as a fraction of the data's RMS.
    pub noise: f64,
    /// Channels of `N_θ`'s hidden layers, their count, and the kernels' radius.
    pub width: usize,
    pub depth: usize,
    pub radius: usize,
    /// Channels of `K_ψ`'s two hidden layers (0: a linear gain, one kernel) and its kernels' radius.
    pub gain_width: usize,
    pub gain_radius: usize,
    /// Stage 1: Adam steps, rate, batch and rollout window (steps).
    pub steps: usize,
    pub rate: f64,
    pub batch: usize,
    pub window: usize,
    /// Stage 2: Adam steps, rate, batch and rollout window (steps).
    pub gain_steps: usize,
    pub gain_rate: f64,
    pub gain_batch: usize,
    pub assimilation_window: usize,
    /// The test: held-out trajectories and their length in steps.
    pub test_trajectories: usize,
    pub horizon: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            seed: 0,
            grid: 64,
            length: 22.0,
            dt: 0.25,
            substeps: 5,
            spin_up: 100.0,
            train_samples: 4000,
            sensors: 8,
            noise: 0.1,
            width: 24,
            depth: 2,
            radius: 3,
            gain_width: 0,
            gain_radius: 8,
            steps: 1200,
            rate: 3e-3,
            batch: 16,
            window: 8,
            gain_steps: 300,
            gain_rate: 3e-3,
            gain_batch: 16,
            assimilation_window: 24,
            test_trajectories: 4,
            horizon: 800,
        }
    }
}

impl Settings {
    /// The small setting of the test and of `--quick`.
    pub fn quick() -> Self {
        Self {
            train_samples: 1200,
            width: 16,
            steps: 300,
            gain_steps: 150,
            gain_batch: 8,
            test_trajectories: 3,
            horizon: 400,
            ..Self::default()
        }
    }

    pub(super) fn check(&self) -> Result<()> {
        let counts = [
            ("grid", self.grid, 16, 1024),
            ("substeps", self.substeps, 1, 10_000),
            ("train_samples", self.train_samples, 2, 10_000_000),
            ("sensors", self.sensors, 1, self.grid),
            ("width", self.width, 1, 512),
            ("depth", self.depth, 1, 8),
            ("radius", self.radius, 1, self.grid / 4),
            ("gain_width", self.gain_width, 0, 512),
            ("gain_radius", self.gain_radius, 1, self.grid / 4),
            ("steps", self.steps, 1, 1_000_000),
            ("batch", self.batch, 1, 4096),
            ("window", self.window, 1, self.train_samples - 1),
            ("gain_steps", self.gain_steps, 1, 1_000_000),
            ("gain_batch", self.gain_batch, 2, 4096),
            (
                "assimilation_window",
                self.assimilation_window,
                1,
                self.train_samples - 1,
            ),
            ("test_trajectories", self.test_trajectories, 1, 1000),
            ("horizon", self.horizon, 4, 1_000_000),
        ];
        for (key, value, least, most) in counts {
            if value < least || value > most {
                return Err(Error::setting(
                    key,
                    format!("must be in {least} ..= {most}, got {value}"),
                ));
            }
        }
        if self.grid % 2 == 1 {
            return Err(Error::setting(
                "grid",
                format!("must be even, got {}", self.grid),
            ));
        }
        for (key, value) in [
            ("length", self.length),
            ("dt", self.dt),
            ("rate", self.rate),
            ("gain_rate", self.gain_rate),
        ] {
            if !(value > 0.0 && value.is_finite()) {
                return Err(Error::setting(
                    key,
                    format!("must be positive, got {value}"),
                ));
            }
        }
        for (key, value) in [("spin_up", self.spin_up), ("noise", self.noise)] {
            if !(value >= 0.0 && value.is_finite()) {
                return Err(Error::setting(
                    key,
                    format!("must be at least 0, got {value}"),
                ));
            }
        }
        if self.noise > 10.0 {
            return Err(Error::setting(
                "noise",
                format!(
                    "must be at most 10 (times the data's RMS), got {}",
                    self.noise
                ),
            ));
        }
        if self.spin_up / self.solver_step() > 1e8 {
            return Err(Error::setting("spin_up", "needs over 10⁸ solver steps"));
        }
        let samples = self.train_samples + self.test_trajectories * (self.horizon + 1);
        crate::error::check_memory("train_samples", &[samples, self.grid], 8, 2)?;
        let widest = self.width.max(self.gain_width);
        let batch = self.batch.max(self.gain_batch);
        let window = self.window.max(self.assimilation_window);
        // The autodiff graph keeps every layer's activations of every rollout step.
        crate::error::check_memory("batch", &[batch, window, widest, self.grid, 8], 8, 2)
    }

    /// The ETDRK4 step `h = Δt / substeps`.
    pub(super) fn solver_step(&self) -> f64 {
        self.dt / self.substeps as f64
    }
}
