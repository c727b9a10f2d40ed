//! The classical baselines as tasks: TV by PDHG and plug-and-play HQS with FFDNet on DPIR's
//! schedule, each with one strength picked per physics from a grid by the mean PSNR on the
//! training images (the test images are never seen while tuning).
//!
//! PnP-HQS alternates `x ← (A*A + μ_k I)⁻¹(A*y + μ_k z)` and `z ← D(x, σ_k)` with the denoiser's
//! level `σ_k = √(weight/μ_k)` falling geometrically from 49/255 to the noise level σ_n over
//! [`PNP_ITERATIONS`] steps (DPIR, Zhang et al., TPAMI 2021, Section 4); with `weight = λσ_n²` the
//! schedule is `μ_k = λσ_n²/σ_k²` and `λ` is the one strength tuned.

use super::physics::{task, Bench, Measured};
use super::scores::clipped;
use super::{Reconstructions, Settings, NOISE};
use crate::Result;
use inversa::task::Task;
use inversa::Control;

/// TV weights tried (half decades).
const TV_WEIGHTS: [f64; 11] = [
    1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0, 3.0, 10.0,
];

/// PnP strengths `λ` tried.
const PNP_LAMBDAS: [f64; 9] = [0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0];

/// PDHG iterations of TV.
const TV_ITERATIONS: usize = 300;

/// HQS iterations of PnP.
const PNP_ITERATIONS: usize = 20;

/// The denoiser's first level, DPIR's 49/255.
const PNP_FIRST_SIGMA: f64 = 49.0 / 255.0;

/// A baseline with its strength picked.
pub struct Tuned {
    pub value: f64,
    /// Its `[prior]` and `[solver]` tables.
    pub text: String,
}

/// The `[prior]` and `[solver]` tables of `method` (`tv` or `pnp`) at strength `value`.
pub fn tables(method: &str, value: f64) -> String {
    if method == "tv" {
        return format!(
            "[prior]\nkind = \"tv\"\nweight = {value:e}\n\
             [solver]\nkind = \"pdhg\"\niterations = {TV_ITERATIONS}\n"
        );
    }
    let weight = value * NOISE * NOISE;
    let mu_first = weight / PNP_FIRST_SIGMA.powi(2);
    let mu_last = weight / NOISE.powi(2);
    let growth = (mu_last / mu_first).powf(1.0 / (PNP_ITERATIONS - 1) as f64);
    format!(
        "[prior]\nkind = \"pnp\"\ndenoiser = \"ffdnet\"\nweight = {weight:e}\n\
         [solver]\nkind = \"hqs\"\niterations = {PNP_ITERATIONS}\nmu = {mu_first:e}\n\
         mu_growth = {growth}\nmu_max = {mu_last:e}\n"
    )
}

/// Picks `method`'s strength on the bench's training images; `say` hears the pick.
pub fn tune(
    method: &str,
    bench: &Bench,
    settings: &Settings,
    say: &mut dyn FnMut(&str),
) -> Result<Tuned> {
    let grid: &[f64] = if method == "tv" {
        &TV_WEIGHTS
    } else {
        &PNP_LAMBDAS
    };
    let mut best: Option<(f64, f64)> = None;
    for &value in grid {
        let text = tables(method, value);
        let mut task = task(bench.spec, &text, settings.seed, &bench.tuning.truths[0])?;
        let (images, _) = solve_all(&mut task, &bench.tuning)?;
        let psnr = mean_psnr(&images, bench.tuning.truths);
        if best.is_none_or(|(_, b)| psnr > b) {
            best = Some((value, psnr));
        }
    }
    let (value, psnr) = best.unwrap_or((grid[0], f64::NAN));
    let edge = value == grid[0] || value == grid[grid.len() - 1];
    say(&format!(
        "{:<15} {method:<9} strength {value:e} picked ({psnr:.2} dB on {} training images{})",
        bench.spec.name,
        bench.tuning.truths.len(),
        if edge { ", at the grid's edge" } else { "" }
    ));
    Ok(Tuned {
        value,
        text: tables(method, value),
    })
}

/// The tuned baseline on every test image.
pub fn run(tuned: &Tuned, bench: &Bench) -> Result<Reconstructions> {
    let mut task = task(bench.spec, &tuned.text, bench.seed, &bench.test.truths[0])?;
    let (images, seconds) = solve_all(&mut task, &bench.test)?;
    Ok(Reconstructions {
        seconds_per_image: seconds / images.len().max(1) as f64,
        images,
        model_calls: None,
    })
}

/// Runs `task` on every image of `set` with its measurement; the reconstructions and the solves'
/// total seconds.
fn solve_all(task: &mut Task<f64>, set: &Measured) -> Result<(Vec<Vec<f64>>, f64)> {
    let mut images = Vec::with_capacity(set.truths.len());
    let mut seconds = 0.0;
    for (truth, y) in set.truths.iter().zip(&set.measurements) {
        task.ground_truth = Some(truth.clone());
        task.measurement.clone_from(y);
        let outcome = task.run(&mut |_| Control::Continue)?;
        seconds += outcome.seconds;
        images.push(outcome.reconstruction);
    }
    Ok((images, seconds))
}

fn mean_psnr(images: &[Vec<f64>], truths: &[Vec<f64>]) -> f64 {
    let total: f64 = images
        .iter()
        .zip(truths)
        .map(|(image, truth)| inversa::metrics::psnr(&clipped(image), truth, 1.0))
        .sum();
    total / images.len().max(1) as f64
}
