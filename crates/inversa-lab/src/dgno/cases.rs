//! The forward sweep over label counts and the inverse cases, each returning its report rows.

use super::data::{misclassified, relative_l2, sensor_lattice, HIGH, LOW};
use super::inverse::{coverage, sample, summarise, Chains, LatentPrior, Summary};
use super::model::{Dgno, Shape};
use super::train::{fit, forward_errors, residual_rms, Batch};
use super::weak::WeakForm;
use super::{InverseCase, Settings, SweepRow};
use crate::pde::sensors::noisy;
use crate::Result;
use candle_core::{Device, Tensor};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The data every stage shares.
pub struct Data<'a> {
    pub weak: &'a WeakForm,
    pub unlabelled: &'a Batch,
    pub pool: (&'a [Vec<f64>], &'a [Vec<f64>]),
    pub test: &'a Batch,
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

fn median(values: &[f64]) -> f64 {
    super::inverse::quantile(&mut values.to_vec(), 0.5)
}

/// Both methods at every label count; the DGNO model of the largest count and its loss trace.
pub fn sweep(settings: &Settings, data: &Data, say: &mut dyn FnMut(&str)) -> Result<Swept> {
    let shape = Shape {
        n: settings.grid,
        latent: settings.latent,
        width: settings.width,
        basis: settings.basis,
    };
    let mut labels = settings.labels.clone();
    labels.sort_unstable();
    let (mut rows, mut last) = (Vec::new(), None);
    let mut surrogate_sigma = 0.0;
    for &count in &labels {
        let labelled = Batch::new(
            &data.pool.0[..count],
            Some(&data.pool.1[..count]),
            data.weak,
        )?;
        let dgno = Dgno::new(shape, settings.seed)?;
        let dgno_loss = fit(
            &dgno,
            data.weak,
            &labelled,
            Some(data.unlabelled),
            settings,
            settings.seed,
        )?;
        let supervised = Dgno::new(shape, settings.seed)?;
        let supervised_loss = fit(
            &supervised,
            data.weak,
            &labelled,
            None,
            settings,
            settings.seed,
        )?;
        let (ours, theirs) = (
            forward_errors(&dgno, data.test)?,
            forward_errors(&supervised, data.test)?,
        );
        let row = SweepRow {
            labels: count,
            dgno_error: mean(&ours),
            dgno_median: median(&ours),
            supervised_error: mean(&theirs),
            supervised_median: median(&theirs),
            supervised_final_loss: supervised_loss.last().copied().unwrap_or(f64::NAN),
            dgno_test_residual: residual_rms(&dgno, data.weak, data.test)?,
            supervised_test_residual: residual_rms(&supervised, data.weak, data.test)?,
        };
        say(&format!(
            "{count} labels: forward relative L2 error {:.4} (DGNO) vs {:.4} (supervised); RMS weak residual on the test fields {:.3} vs {:.3}",
            row.dgno_error, row.supervised_error, row.dgno_test_residual, row.supervised_test_residual
        ));
        rows.push(row);
        surrogate_sigma = fit_error(&dgno, &labelled)?;
        last = Some((dgno, dgno_loss));
    }
    let (model, loss) =
        last.ok_or_else(|| crate::Error::setting("labels", "no label count given"))?;
    Ok(Swept {
        rows,
        model,
        loss,
        surrogate_sigma,
    })
}

/// What the sweep hands on: its rows, the DGNO model of the largest label count, its loss trace,
/// and that model's RMS error over its labelled pairs' nodes.
pub struct Swept {
    pub rows: Vec<SweepRow>,
    pub model: Dgno,
    pub loss: Vec<f64>,
    pub surrogate_sigma: f64,
}

/// The RMS of `u(·; E(a_j)) − u_j` over every node of the labelled pairs: the surrogate's own
/// error where it was told the answer (so, if anything, an underestimate).
fn fit_error(model: &Dgno, labelled: &Batch) -> Result<f64> {
    let truth = labelled
        .solutions
        .as_ref()
        .ok_or_else(|| crate::Error::setting("labels", "no solutions"))?;
    let miss = (model.solution(&model.encode(&labelled.fields)?)? - truth)?;
    Ok(miss.sqr()?.mean_all()?.to_scalar::<f64>()?.sqrt())
}

/// Rows of a `[S, points]` tensor.
fn rows(t: &Tensor) -> Result<Vec<Vec<f64>>> {
    Ok(t.to_vec2()?)
}

/// One inverse case's pictures: true and posterior `a`, `u`.
pub struct Picture {
    pub a_true: Vec<f64>,
    pub a: Summary,
    pub u_true: Vec<f64>,
    pub u: Summary,
    pub sensors: Vec<usize>,
}

/// The latent prior fitted to the unlabelled fields' encodings.
pub fn prior(model: &Dgno, unlabelled: &Batch) -> Result<LatentPrior> {
    LatentPrior::fit(&rows(&model.encode(&unlabelled.fields)?)?)
}

/// Posterior inference for test case `case` (field `a`, solution `u`), with the likelihood's
/// variance `σ² + surrogate_sigma²` (`σ` the readings' noise).
pub fn inverse_case(
    model: &Dgno,
    prior: &LatentPrior,
    settings: &Settings,
    case: usize,
    truth: (&[f64], &[f64]),
    surrogate_sigma: f64,
) -> Result<(InverseCase, Picture)> {
    let (a, u) = truth;
    let n = settings.grid;
    let sensors = sensor_lattice(n, settings.sensor_side());
    let rms = (u.iter().map(|v| v * v).sum::<f64>() / u.len() as f64).sqrt();
    let sigma = settings.noise * rms;
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed ^ (0x5eed_0000 + case as u64));
    let exact: Vec<f64> = sensors.iter().map(|&s| u[s]).collect();
    let readings = noisy(&exact, sigma, &mut rng);
    let chains = Chains {
        chains: settings.chains,
        steps: settings.chain_steps,
        burn_in: settings.burn_in,
        keep: 100,
        seed: settings.seed ^ (0xc4a1_0000 + case as u64),
    };
    let likelihood_sigma = sigma.hypot(surrogate_sigma);
    let posterior = sample(model, prior, &sensors, &readings, likelihood_sigma, &chains)?;
    let u_samples = rows(&model.solution(&posterior.latents)?)?;
    let a_samples = rows(&model.coefficient(&posterior.latents)?)?;
    // The phases' posterior: each sample's `a` snapped to the nearer phase, so that "the true `a`
    // lies in the 90 % interval" means "the true phase is not in the outer 10 % of the samples".
    let phases: Vec<Vec<f64>> = a_samples
        .iter()
        .map(|s| {
            s.iter()
                .map(|&v| if v >= 0.5 * (HIGH + LOW) { HIGH } else { LOW })
                .collect()
        })
        .collect();
    let (u_summary, a_summary) = (
        summarise(&u_samples, &[0.5, 0.9]),
        summarise(&a_samples, &[0.9]),
    );
    let phase_summary = summarise(&phases, &[0.9]);
    let held_out: Vec<usize> = (0..n * n).filter(|p| !sensors.contains(p)).collect();
    let every: Vec<usize> = (0..n * n).collect();
    let cover = |s: &Summary, k: usize, truth: &[f64], points: &[usize]| {
        coverage(truth, &s.intervals[k].1, &s.intervals[k].2, points)
    };
    let a_tensor = Tensor::from_vec(a.to_vec(), (1, n * n), &Device::Cpu)?;
    let encoded = model.encode(&a_tensor)?;
    let row = InverseCase {
        case,
        noise_sigma: sigma,
        likelihood_sigma,
        u_error: relative_l2(&u_summary.mean, u),
        a_misclassified: misclassified(&a_summary.mean, a),
        encoded_misclassified: misclassified(&rows(&model.coefficient(&encoded)?)?[0], a),
        encoded_u_error: relative_l2(&rows(&model.solution(&encoded)?)?[0], u),
        u_coverage_50: cover(&u_summary, 0, u, &held_out),
        u_coverage_90: cover(&u_summary, 1, u, &held_out),
        a_coverage_90: cover(&phase_summary, 0, a, &every),
        a_mean_std: mean(&a_summary.std),
        acceptance: posterior.acceptance,
        samples: u_samples.len(),
    };
    let picture = Picture {
        a_true: a.to_vec(),
        a: a_summary,
        u_true: u.to_vec(),
        u: u_summary,
        sensors,
    };
    Ok((row, picture))
}
