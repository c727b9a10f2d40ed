//! The test problems: a Gaussian-mixture prior on `side × side` images, a truth drawn from it, and
//! a noisy linear measurement of that truth (random inpainting or a dense Gaussian CS matrix).

use super::Settings;
use crate::Result;
use candle_core::DType;
use inversa::numerics::gaussian;
use inversa::operators::compressed_sensing::CompressedSensing;
use inversa::operators::inpaint::Inpaint;
use inversa::operators::LinearOperator;
use inversa_learn::diffusion::analytic::{Component, GaussianMixture};
use inversa_learn::diffusion::analytic_posterior::DenseMatrix;
use inversa_learn::diffusion::NoiseSchedule;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// One measurement problem of the experiment.
pub(super) struct Problem {
    pub name: &'static str,
    pub operator: Box<dyn LinearOperator<f64>>,
    /// The same operator as a dense matrix, for the exact posterior.
    pub matrix: DenseMatrix,
    pub y: Vec<f64>,
}

/// Classes and components per class of the prior.
const CLASSES: usize = 3;
const PER_CLASS: usize = 2;

/// The prior: `CLASSES × PER_CLASS` isotropic components with random means of RMS
/// `settings.mean_scale` and spreads between 0.2 and 0.4, on the model's 1000-step linear
/// schedule. The experiment samples it unconditionally, so its posterior can have several modes.
pub(super) fn mixture(settings: &Settings) -> Result<GaussianMixture> {
    let dim = settings.side * settings.side;
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
    let components = (0..CLASSES * PER_CLASS)
        .map(|j| Component {
            class: j / PER_CLASS,
            weight: 1.0 + (j % 3) as f64 * 0.5,
            mean: gaussian(&mut rng, dim)
                .into_iter()
                .map(|v| v * settings.mean_scale)
                .collect(),
            std: 0.2 + 0.2 * (j as f64) / (CLASSES * PER_CLASS - 1) as f64,
        })
        .collect();
    Ok(GaussianMixture::new(
        components,
        NoiseSchedule::linear(1000)?,
    )?)
}

/// Random inpainting and a dense Gaussian CS matrix, each measuring its own truth drawn from the
/// prior with noise `settings.noise_std`.
pub(super) fn problems(settings: &Settings, prior: &GaussianMixture) -> Result<Vec<Problem>> {
    let image = [1, settings.side, settings.side];
    let dim = settings.side * settings.side;
    let measured = ((settings.cs_ratio * dim as f64).round() as usize).max(1);
    let operators: Vec<(&'static str, Box<dyn LinearOperator<f64>>)> = vec![
        (
            "inpainting",
            Box::new(Inpaint::random(
                &image,
                settings.missing,
                settings.seed + 1,
            )?),
        ),
        (
            "compressed sensing",
            Box::new(CompressedSensing::gaussian(
                &image,
                measured,
                settings.seed + 2,
            )?),
        ),
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed + 3);
    operators
        .into_iter()
        .enumerate()
        .map(|(i, (name, operator))| {
            let truth = prior
                .sample(1, None, settings.seed + 10 + i as u64, DType::F64)?
                .flatten_all()?
                .to_vec1::<f64>()?;
            let noise = gaussian(&mut rng, operator.output_len());
            let y = operator
                .apply_new(&truth)
                .iter()
                .zip(noise)
                .map(|(a, n)| a + settings.noise_std * n)
                .collect();
            Ok(Problem {
                name,
                matrix: DenseMatrix::from_operator(operator.as_ref())?,
                operator,
                y,
            })
        })
        .collect()
}
