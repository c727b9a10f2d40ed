//! The UNet's settings, stored in its weights' metadata: the architecture, the training objective
//! and the noise schedule it was trained on.

use crate::diffusion::schedule::NoiseSchedule;
use std::collections::HashMap;
use std::path::Path;

/// The safetensors metadata value of `architecture` in UNet weights.
pub const ARCHITECTURE: &str = "diffusion-unet";

/// The noise schedule a network is trained on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum ScheduleKind {
    /// DDPM's linear `β` from `10⁻⁴` to `0.02`.
    Linear,
    /// Nichol and Dhariwal's cosine `ᾱ`.
    Cosine,
}

impl ScheduleKind {
    /// The name in metadata and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Linear => "linear",
            Self::Cosine => "cosine",
        }
    }

    /// The kind called `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Linear, Self::Cosine]
            .into_iter()
            .find(|k| k.name() == name)
    }
}

/// What the network was trained to predict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Objective {
    /// DDPM's noise `ε(x_t, t, c)` at integer timesteps `t < T`.
    Epsilon,
    /// Rectified flow's velocity `v(x_t, t, c) ≈ E[ε − x₀ | x_t]`, `t ∈ [0, 1]`.
    RectifiedFlow,
}

impl Objective {
    /// The name in metadata and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Epsilon => "epsilon",
            Self::RectifiedFlow => "rectified-flow",
        }
    }

    /// The objective called `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Epsilon, Self::RectifiedFlow]
            .into_iter()
            .find(|k| k.name() == name)
    }
}

/// The network's size, classes, objective and schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnetConfig {
    /// Channels at the finest level, doubled at each coarser one.
    pub channels: usize,
    /// Resolutions (the input side must be a multiple of `2^(levels−1)`).
    pub levels: usize,
    /// Residual blocks per level, on each of the two paths.
    pub blocks: usize,
    /// Groups of the group normalisations (divides `channels`).
    pub groups: usize,
    /// Real classes; index `classes` is the null class.
    pub classes: usize,
    /// Timesteps `T` of the schedule.
    pub timesteps: usize,
    pub schedule: ScheduleKind,
    /// What the network predicts.
    pub objective: Objective,
}

impl Default for UnetConfig {
    /// About 1 M parameters, for Fashion-MNIST on the DDPM schedule.
    fn default() -> Self {
        Self {
            channels: 32,
            levels: 3,
            blocks: 1,
            groups: 8,
            classes: 10,
            timesteps: 1000,
            schedule: ScheduleKind::Linear,
            objective: Objective::Epsilon,
        }
    }
}

/// The most resolutions a UNet may have (a 2^15-pixel-wide image at the coarsest).
const MAX_LEVELS: u32 = 16;

impl UnetConfig {
    /// The metadata of a weights file: `architecture`, `prediction` and every field.
    pub fn metadata(&self) -> HashMap<String, String> {
        let mut m: HashMap<String, String> = [
            ("channels", self.channels),
            ("levels", self.levels),
            ("blocks", self.blocks),
            ("groups", self.groups),
            ("classes", self.classes),
            ("timesteps", self.timesteps),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        m.insert("architecture".into(), ARCHITECTURE.into());
        m.insert("prediction".into(), self.objective.name().into());
        m.insert("schedule".into(), self.schedule.name().into());
        m
    }

    /// Reads the configuration back from a weights file's metadata; `origin` names it in errors.
    pub fn from_metadata(
        metadata: &HashMap<String, String>,
        origin: &Path,
    ) -> inversa::Result<Self> {
        let bad = |message: String| inversa::Error::format(origin, message);
        let get = |key: &str| metadata.get(key).map(String::as_str);
        if get("architecture") != Some(ARCHITECTURE) {
            return Err(bad(format!(
                "not diffusion UNet weights: metadata \"architecture\" is {:?}, expected \"{ARCHITECTURE}\"",
                get("architecture")
            )));
        }
        let schedule = get("schedule")
            .and_then(ScheduleKind::from_name)
            .ok_or_else(|| {
                bad(format!(
                    "metadata \"schedule\" is {:?}, expected \"linear\" or \"cosine\"",
                    get("schedule")
                ))
            })?;
        let objective = get("prediction")
            .and_then(Objective::from_name)
            .ok_or_else(|| {
                bad(format!(
                    "metadata \"prediction\" is {:?}, expected \"epsilon\" or \"rectified-flow\"",
                    get("prediction")
                ))
            })?;
        let number = |key| crate::nn::weights::positive_metadata(metadata, key, origin);
        let config = Self {
            channels: number("channels")?,
            levels: number("levels")?,
            blocks: number("blocks")?,
            groups: number("groups")?,
            classes: number("classes")?,
            timesteps: number("timesteps")?,
            schedule,
            objective,
        };
        config.check().map_err(|e| bad(e.to_string()))?;
        Ok(config)
    }

    /// Why the network cannot be built, if it cannot.
    pub fn check(&self) -> crate::Result<()> {
        if self.channels % self.groups.max(1) != 0 || self.channels % 2 != 0 {
            return Err(crate::Error::setting(
                "channels",
                format!(
                    "channels ({}) must be even and a multiple of groups ({})",
                    self.channels, self.groups
                ),
            ));
        }
        if [self.levels, self.blocks, self.groups, self.classes].contains(&0) {
            return Err(crate::Error::setting(
                "levels",
                "levels, blocks, groups and classes must be at least 1",
            ));
        }
        // Level l has channels·2^l channels and the image side must be a multiple of 2^(levels−1).
        let widest = u32::try_from(self.levels - 1)
            .ok()
            .filter(|&l| l < MAX_LEVELS)
            .and_then(|l| self.channels.checked_mul(1 << l))
            .and_then(|c| c.checked_mul(4));
        if widest.is_none() {
            return Err(crate::Error::setting(
                "levels",
                format!(
                    "levels ({}) must be at most {MAX_LEVELS}, with channels·2^(levels−1) a usable size",
                    self.levels
                ),
            ));
        }
        if self.timesteps < 2 {
            return Err(crate::Error::setting(
                "timesteps",
                format!("timesteps ({}) must be at least 2", self.timesteps),
            ));
        }
        Ok(())
    }

    /// The noise schedule the network is trained on.
    pub fn noise_schedule(&self) -> crate::Result<NoiseSchedule> {
        match self.schedule {
            ScheduleKind::Linear => NoiseSchedule::linear(self.timesteps),
            ScheduleKind::Cosine => NoiseSchedule::cosine(self.timesteps),
        }
    }

    /// Channels at level `l`.
    pub(super) fn at(&self, l: usize) -> usize {
        self.channels << l
    }

    /// Width of the timestep/class embedding.
    pub(super) fn embedding(&self) -> usize {
        4 * self.channels
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_whose_channel_count_overflows_are_refused_not_shifted_out() {
        let with = |levels, channels| UnetConfig {
            levels,
            channels,
            ..UnetConfig::default()
        };
        assert!(with(3, 32).check().is_ok());
        assert!(with(16, 32).check().is_ok());
        for (levels, channels) in [(17, 32), (70, 32), (16, 1 << 60)] {
            let err = with(levels, channels).check().unwrap_err().to_string();
            assert!(
                err.contains("must be at most 16"),
                "{levels} {channels}: {err}"
            );
        }
    }
}
