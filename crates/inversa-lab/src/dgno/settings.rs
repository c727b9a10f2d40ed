//! The experiment's settings and their checks.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// The experiment's settings (read from Python's keywords, where a missing one keeps its default
/// and an unknown one is an error).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub seed: u64,
    /// Interior grid points per side (`h = 1/(grid + 1)`).
    pub grid: usize,
    /// Coefficient fields without solutions (weak residuals only).
    pub unlabelled: usize,
    /// The label sweep: numbers of (a, u) pairs, each used by both methods.
    pub labels: Vec<usize>,
    /// Held-out coefficient fields of the forward test.
    pub test: usize,
    /// Latent dimension of β.
    pub latent: usize,
    /// Hidden width of every network, and DeepONet's basis size.
    pub width: usize,
    pub basis: usize,
    /// Test functions: a `centres × centres` lattice of Wendland bumps of radius `radius` cells.
    pub centres: usize,
    pub radius: f64,
    /// Adam steps, start rate (cosine-decayed), and batch of unlabelled fields per step.
    pub steps: usize,
    pub rate: f64,
    pub batch: usize,
    /// Weight of the labelled-data term against the residuals' and the reconstruction's.
    pub data_weight: f64,
    /// Inverse problem: held-out cases, sensors (a `s × s` lattice, `sensors = s²`) and the noise
    /// spread as a fraction of each case's RMS of `u`.
    pub inverse_cases: usize,
    pub sensors: usize,
    pub noise: f64,
    /// pCN: chains run side by side, steps per chain, of which the first `burn_in` are dropped.
    pub chains: usize,
    pub chain_steps: usize,
    pub burn_in: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            seed: 0,
            grid: 16,
            unlabelled: 2000,
            labels: vec![5, 10, 50],
            test: 100,
            latent: 24,
            width: 128,
            basis: 64,
            centres: 16,
            radius: 2.5,
            steps: 2500,
            rate: 3e-3,
            batch: 32,
            data_weight: 1.0,
            inverse_cases: 10,
            sensors: 36,
            noise: 0.02,
            chains: 16,
            chain_steps: 3000,
            burn_in: 1000,
        }
    }
}

impl Settings {
    /// The small setting of the test and of `--quick`.
    pub fn quick() -> Self {
        Self {
            unlabelled: 800,
            labels: vec![5, 50],
            test: 40,
            steps: 1000,
            inverse_cases: 4,
            chain_steps: 1000,
            burn_in: 400,
            ..Self::default()
        }
    }

    /// Sensors per side of their lattice.
    pub(super) fn sensor_side(&self) -> usize {
        (self.sensors as f64).sqrt().round() as usize
    }

    pub(super) fn check(&self) -> Result<()> {
        let most_labels = self.labels.iter().copied().max().unwrap_or(0);
        let counts = [
            ("grid", self.grid, 8, 64),
            ("unlabelled", self.unlabelled, 1, 100_000),
            ("labels", self.labels.len(), 1, 16),
            ("test", self.test, 1, 100_000),
            ("latent", self.latent, 1, 512),
            ("width", self.width, 1, 2048),
            ("basis", self.basis, 1, 1024),
            ("centres", self.centres, 1, self.grid),
            ("steps", self.steps, 1, 1_000_000),
            ("batch", self.batch, 1, 4096),
            ("inverse_cases", self.inverse_cases, 1, self.test),
            ("sensors", self.sensors, 1, self.grid * self.grid),
            ("chains", self.chains, 1, 1024),
            ("chain_steps", self.chain_steps, 2, 1_000_000),
            ("burn_in", self.burn_in, 0, self.chain_steps - 1),
        ];
        for (key, value, least, most) in counts {
            if value < least || value > most {
                return Err(Error::setting(
                    key,
                    format!("must be in {least} ..= {most}, got {value}"),
                ));
            }
        }
        if let Some(&n) = self.labels.iter().find(|&&n| n == 0 || n > 100_000) {
            return Err(Error::setting(
                "labels",
                format!("every count must be in 1 ..= 100000, got {n}"),
            ));
        }
        let side = self.sensor_side();
        if side * side != self.sensors {
            return Err(Error::setting(
                "sensors",
                format!("must be a square (a lattice), got {}", self.sensors),
            ));
        }
        for (key, value) in [
            ("radius", self.radius),
            ("rate", self.rate),
            ("noise", self.noise),
        ] {
            if !(value > 0.0 && value.is_finite()) {
                return Err(Error::setting(
                    key,
                    format!("must be positive, got {value}"),
                ));
            }
        }
        if !(self.data_weight >= 0.0 && self.data_weight.is_finite()) {
            return Err(Error::setting(
                "data_weight",
                format!("must be at least 0, got {}", self.data_weight),
            ));
        }
        if self.radius > self.grid as f64 || self.noise > 10.0 {
            return Err(Error::setting(
                if self.noise > 10.0 { "noise" } else { "radius" },
                "radius must be at most the grid, noise at most 10 (times the RMS)",
            ));
        }
        let points = self.grid * self.grid;
        let fields = self.unlabelled + most_labels + self.test;
        crate::error::check_memory("unlabelled", &[fields, points, 4], 8, 2)?;
        crate::error::check_memory(
            "batch",
            &[self.batch + most_labels, self.width, points],
            8,
            4,
        )?;
        crate::error::check_memory("chains", &[self.chains, self.chain_steps, points], 8, 1)
    }
}
