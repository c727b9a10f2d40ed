//! Measurement noise models: additive Gaussian and Poisson (photon counting), drawn from a seed.

use crate::config::Section;
use crate::error::{Error, Result};
use crate::real::{lit, Real};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, Poisson};

/// How the simulated measurement is corrupted.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Noise {
    /// No noise.
    None,
    /// `y = Ax + σ·n`, `n ~ N(0, I)` (real and imaginary parts alike for complex data).
    Gaussian { sigma: f64 },
    /// `y = gain · Poisson(Ax / gain)`: photon counts with `1/gain` photons per unit intensity.
    Poisson { gain: f64 },
}

impl Noise {
    /// Reads `physics.noise = { kind = "gaussian", sigma = … }` or `{ kind = "poisson", gain = … }`;
    /// no table means no noise.
    pub fn from_config(section: &mut Section) -> Result<Self> {
        let Some(mut spec) = section.table_opt("noise")? else {
            return Ok(Noise::None);
        };
        let kind = spec.choice_or("kind", "gaussian", &["none", "gaussian", "poisson"])?;
        let noise = match kind.as_str() {
            "none" => Noise::None,
            "gaussian" => Noise::Gaussian {
                sigma: spec.non_negative_or("sigma", 0.01)?,
            },
            _ => Noise::Poisson {
                gain: spec.positive_or("gain", 1.0 / 255.0)?,
            },
        };
        spec.finish()?;
        Ok(noise)
    }

    /// Adds noise to `clean` in place, drawing from `seed`. `complex` marks interleaved complex data,
    /// which Poisson noise cannot apply to.
    pub fn apply<T: Real>(&self, clean: &mut [T], complex: bool, seed: u64) -> Result<()> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        match *self {
            Noise::None => {}
            Noise::Gaussian { sigma } => {
                let normal = Normal::new(0.0, sigma)
                    .map_err(|e| Error::config("physics.noise.sigma", e.to_string()))?;
                clean
                    .iter_mut()
                    .for_each(|v| *v = *v + lit(normal.sample(&mut rng)));
            }
            Noise::Poisson { gain } => {
                if complex {
                    return Err(Error::config(
                        "physics.noise.kind",
                        "Poisson noise needs a real, non-negative measurement; this physics produces complex data",
                    ));
                }
                for v in clean.iter_mut() {
                    let rate = v.to_f64().unwrap_or(0.0).max(0.0) / gain;
                    let count = if rate > 0.0 {
                        Poisson::new(rate)
                            .map_err(|e| Error::config("physics.noise.gain", e.to_string()))?
                            .sample(&mut rng)
                    } else {
                        0.0
                    };
                    *v = lit(count * gain);
                }
            }
        }
        Ok(())
    }
}
