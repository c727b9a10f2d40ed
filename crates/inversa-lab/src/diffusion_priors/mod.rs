//! Diffusion models as priors on every core physics (`inversa experiment diffusion-priors`,
//! issue 18, tier 2): held-out Fashion-MNIST test images measured by each registered physics with
//! Gaussian noise σ = 0.05, reconstructed by the six posterior samplers of
//! [`inversa_learn::diffusion::posterior`] with the bundled UNet as the (unconditional) prior, and
//! by two classical baselines on the same measurements:
//!
//! - **TV**: `argmin ½‖Ax − y‖² + w·TV(x)` by PDHG (Chambolle & Pock, JMIV 2011), the weight `w`
//!   picked once per physics from a grid on training images (never on the test images);
//! - **PnP**: plug-and-play HQS on DPIR's schedule (Zhang et al., "Plug-and-Play Image
//!   Restoration with Deep Denoiser Prior", TPAMI 2021) with the pretrained FFDNet as the prox, its
//!   strength `λ` (prior weight `λσ_n²`) picked the same way.
//!
//! Physics ([`PHYSICS`]): inpainting of 50% random pixels and of a centred 14×14 box,
//! super-resolution ×2 and ×4, Gaussian deblurring, compressed sensing at 25%, single-coil MRI at 4×
//! and sparse-view CT, each built from its task-file table by the core registry exactly as `inversa
//! run` builds it (the baselines run as tasks, [`inversa::task::Task::from_toml_with_image`]).
//!
//! Scores per physics and method: PSNR and SSIM against the truth (mean and standard deviation over
//! the images; every output clipped to the pixel range [0, 1] first), the Fréchet distance of the
//! bundled classifier's penultimate features of the reconstructions to those of the reference test
//! set (as `inversa sample --evaluate` computes it; biased upwards for few images, so the report
//! also gives the distance of the true images themselves, the floor), network calls and seconds per
//! image. The samplers draw one posterior sample per image, many images per network call
//! ([`inversa_learn::diffusion::posterior::Likelihood::per_item`]).
//!
//! The papers' claims at different budgets are read off the same table ([`claims`]): DiffPIR at
//! 100 calls at least as good as DPS at 1000 (Zhu et al., CVPRW 2023), DDS at ≤ 50 calls within
//! 0.5 dB of DPS at 1000 on MRI and CT and ≥ 10× faster (Chung, Lee, Ye, ICLR 2024), RED-Diff at
//! least DPS's PSNR at equal calls (Mardani et al., ICLR 2024), STSL at a quarter of DPS's calls
//! better than DPS (Rout et al., CVPR 2024).

mod baselines;
pub mod claims;
mod images;
mod physics;
mod samplers;
mod scores;
#[cfg(test)]
mod tests;

pub use physics::PHYSICS;

use crate::error::check_memory;
use crate::outcome::{report_page_with_table, Outcome};
use crate::{Error, Result};
use claims::Claim;
use serde::Serialize;
use std::path::PathBuf;

/// Measurement noise σ_n of every physics.
pub const NOISE: f64 = 0.05;

/// Every method, in table order: the back-projection `A*y/‖A‖²` (the tasks' starting point), the
/// two baselines and the six samplers.
pub const METHODS: [&str; 9] = [
    "adjoint", "tv", "pnp", "dps", "ddnm", "dds", "diffpir", "red-diff", "stsl",
];

/// The figure of one image per physics.
pub const FIGURE: &str = "diffusion_priors.png";

/// Network calls per image of each sampler (its levels; STSL's are half its calls).
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Budgets {
    pub dps: usize,
    pub ddnm: usize,
    pub dds: usize,
    pub diffpir: usize,
    pub red_diff: usize,
    pub stsl: usize,
}

/// The papers' budgets.
impl Default for Budgets {
    fn default() -> Self {
        Self {
            dps: 1000,
            ddnm: 100,
            dds: 50,
            diffpir: 100,
            red_diff: 1000,
            stsl: 250,
        }
    }
}

impl Budgets {
    /// The budget of sampler `method`, `None` for a baseline.
    pub fn of(&self, method: &str) -> Option<usize> {
        match method {
            "dps" => Some(self.dps),
            "ddnm" => Some(self.ddnm),
            "dds" => Some(self.dds),
            "diffpir" => Some(self.diffpir),
            "red-diff" => Some(self.red_diff),
            "stsl" => Some(self.stsl),
            _ => None,
        }
    }

    /// Sets the budget of `method` (a sampler's name), or says why not.
    pub fn set(&mut self, method: &str, steps: usize) -> Result<()> {
        let slot = match method {
            "dps" => &mut self.dps,
            "ddnm" => &mut self.ddnm,
            "dds" => &mut self.dds,
            "diffpir" => &mut self.diffpir,
            "red-diff" => &mut self.red_diff,
            "stsl" => &mut self.stsl,
            other => {
                let message = format!(
                    "names a sampler (dps, ddnm, dds, diffpir, red-diff, stsl), not {other:?}"
                );
                return Err(Error::setting("steps", message));
            }
        };
        *slot = steps;
        Ok(())
    }
}

/// The experiment's settings; the defaults are the papers' budgets.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Test images (the first of the test split).
    pub images: usize,
    /// Physics names of [`PHYSICS`] to run (empty: all).
    pub physics: Vec<String>,
    /// Methods of [`METHODS`] to run (empty: all; the back-projection always runs).
    pub methods: Vec<String>,
    pub steps: Budgets,
    /// Images per network call.
    pub batch: usize,
    /// Training images the baselines' weights are picked on.
    pub tune_images: usize,
    pub seed: u64,
    /// Folder of the full Fashion-MNIST; `None`: the Debian package's if installed, else the
    /// 100 bundled test images.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            images: 200,
            physics: Vec::new(),
            methods: Vec::new(),
            steps: Budgets::default(),
            batch: 50,
            tune_images: 8,
            seed: 0,
            data: None,
        }
    }
}

impl Settings {
    /// The setting of the test and of `--quick`: two images, inpainting and CT, few levels.
    pub fn quick() -> Self {
        Self {
            images: 2,
            physics: vec!["inpaint-random".into(), "ct-sparse".into()],
            // DPS needs more levels than the others to beat the back-projection at all.
            steps: Budgets {
                dps: 40,
                ddnm: 10,
                dds: 5,
                diffpir: 10,
                red_diff: 10,
                stsl: 20,
            },
            batch: 2,
            tune_images: 2,
            ..Self::default()
        }
    }

    /// The physics entries to run, in [`PHYSICS`] order.
    fn selected_physics(&self) -> Result<Vec<&'static physics::Spec>> {
        selected("physics", &self.physics, &PHYSICS.map(|s| s.name))?;
        Ok(PHYSICS
            .iter()
            .filter(|s| self.physics.is_empty() || self.physics.iter().any(|p| p == s.name))
            .collect())
    }

    /// The methods to run, in [`METHODS`] order, the back-projection first.
    fn selected_methods(&self) -> Result<Vec<&'static str>> {
        selected("methods", &self.methods, &METHODS)?;
        Ok(METHODS
            .into_iter()
            .filter(|m| {
                *m == "adjoint" || self.methods.is_empty() || self.methods.iter().any(|x| x == m)
            })
            .collect())
    }

    fn check(&self) -> Result<()> {
        if self.images < 2 {
            let message = format!(
                "must be at least 2 (for the Fréchet distance), got {}",
                self.images
            );
            return Err(Error::setting("images", message));
        }
        if self.batch == 0 {
            return Err(Error::setting("batch", "must be at least 1"));
        }
        if self.tune_images == 0 {
            return Err(Error::setting("tune_images", "must be at least 1"));
        }
        for method in self.selected_methods()? {
            if self.steps.of(method) == Some(0) {
                return Err(Error::setting(
                    "steps",
                    format!("{method} needs at least 1 level"),
                ));
            }
        }
        // The images, their measurements and reconstructions stay in memory, one per method.
        check_memory("images", &[self.images, 28, 28], 8, 4 * METHODS.len())?;
        // A batch's network activations, kept for DPS's backward pass (about 1000 state-sized
        // tensors per image for this UNet).
        check_memory("batch", &[self.batch, 32, 32], 4, 1000)
    }
}

/// Refuses a name of `given` that is not one of `known`.
fn selected(key: &str, given: &[String], known: &[&str]) -> Result<()> {
    match given.iter().find(|g| !known.contains(&g.as_str())) {
        Some(bad) => Err(Error::setting(
            key,
            format!("{bad:?} is none of {}", known.join(", ")),
        )),
        None => Ok(()),
    }
}

/// One physics × method cell of the table.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub physics: String,
    pub method: String,
    /// Network calls per image (absent for the baselines).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_calls: Option<usize>,
    pub psnr_mean: f64,
    pub psnr_std: f64,
    pub ssim_mean: f64,
    pub ssim_std: f64,
    /// Fréchet distance of the reconstructions' classifier features to the reference set.
    pub frechet: f64,
    /// Wall seconds per image (a batch's time over its images for the samplers).
    pub seconds_per_image: f64,
    /// PSNR of each image (for the paired comparisons of [`claims`]; not in `metrics.json`).
    #[serde(skip)]
    pub psnr: Vec<f64>,
}

/// What each physics measured and how its baselines were set.
#[derive(Clone, Debug, Serialize)]
pub struct PhysicsSummary {
    pub name: String,
    /// The `[physics]` table it was built from.
    pub config: String,
    /// Values per measurement.
    pub measurements: usize,
    /// TV weight picked on the training images (absent when TV did not run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tv_weight: Option<f64>,
    /// PnP strength `λ` picked on the training images.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pnp_lambda: Option<f64>,
}

/// The report (`metrics.json`).
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub settings: Settings,
    /// Where the test images came from.
    pub image_source: String,
    /// Where the baselines' tuning images came from.
    pub tuning_source: String,
    /// The set the Fréchet distances are measured against.
    pub frechet_reference: String,
    /// Fréchet distance of the true test images themselves: what a perfect reconstruction scores.
    pub frechet_truth: f64,
    pub noise_sigma: f64,
    pub physics: Vec<PhysicsSummary>,
    pub rows: Vec<Row>,
    pub claims: Vec<Claim>,
}

/// Runs every selected method on every selected physics; `say` hears one line per finished cell.
pub fn run(settings: &Settings, say: &mut dyn FnMut(&str)) -> Result<Outcome<Report>> {
    settings.check()?;
    let physics_list = settings.selected_physics()?;
    let methods = settings.selected_methods()?;
    let sampler = samplers::Samplers::new(settings)?;
    let sets = images::load(settings)?;
    let judge = scores::Judge::new(&sets.reference)?;
    let frechet_truth = judge.frechet(&sets.test.images)?;
    let context = Context {
        settings,
        methods: &methods,
        sampler: &sampler,
        sets: &sets,
        judge: &judge,
    };
    let mut rows = Vec::new();
    let mut summaries = Vec::new();
    let mut figure_rows = Vec::new();
    for spec in physics_list {
        let (physics_rows, summary, figure_row) = run_physics(spec, &context, say)?;
        rows.extend(physics_rows);
        summaries.push(summary);
        figure_rows.push(figure_row);
    }
    let report = Report {
        settings: settings.clone(),
        image_source: sets.test.source.clone(),
        tuning_source: sets.tuning.source.clone(),
        frechet_reference: sets.reference.source.clone(),
        frechet_truth,
        noise_sigma: NOISE,
        physics: summaries,
        claims: claims::judge(&rows, &settings.steps),
        rows,
    };
    let page = report_page_with_table(
        "Diffusion models as priors on every core physics",
        &claims::paragraphs(&report),
        &table(&report.rows),
        &[FIGURE],
        &report,
    )?;
    Ok(Outcome::new(report)
        .with(FIGURE, crate::editing::grid(&figure_rows))
        .with("report.html", page))
}

/// What every physics of a run shares.
struct Context<'a> {
    settings: &'a Settings,
    methods: &'a [&'static str],
    sampler: &'a samplers::Samplers,
    sets: &'a images::Sets,
    judge: &'a scores::Judge,
}

/// Every method on one physics: the rows, the physics' summary and its figure row (the truth,
/// then each method's reconstruction of the first test image).
fn run_physics(
    spec: &'static physics::Spec,
    context: &Context,
    say: &mut dyn FnMut(&str),
) -> Result<(Vec<Row>, PhysicsSummary, Vec<Vec<f64>>)> {
    let Context {
        settings,
        sets,
        judge,
        ..
    } = *context;
    let mut bench = physics::Bench::new(spec, settings.seed, sets)?;
    let mut summary = bench.summary();
    let mut figure_row = vec![sets.test.images[0].clone()];
    let mut rows = Vec::new();
    for &method in context.methods {
        let result = match method {
            "adjoint" => bench.back_projections()?,
            "tv" | "pnp" => {
                let tuned = baselines::tune(method, &bench, settings, say)?;
                match method {
                    "tv" => summary.tv_weight = Some(tuned.value),
                    _ => summary.pnp_lambda = Some(tuned.value),
                }
                baselines::run(&tuned, &bench)?
            }
            sampler => context.sampler.run(sampler, &bench)?,
        };
        let row = judge.row(spec.name, method, &sets.test.images, &result)?;
        say(&format!(
            "{:<15} {:<9} PSNR {:6.2} ± {:4.2} dB  SSIM {:.3}  FD {:7.2}  {:.3} s/image",
            spec.name,
            method,
            row.psnr_mean,
            row.psnr_std,
            row.ssim_mean,
            row.frechet,
            row.seconds_per_image
        ));
        figure_row.push(scores::clipped(&result.images[0]));
        rows.push(row);
    }
    Ok((rows, summary, figure_row))
}

/// The table of `rows`, its header first: physics, method, calls, PSNR, SSIM, FD, seconds.
pub fn table(rows: &[Row]) -> Vec<Vec<String>> {
    let header = [
        "physics",
        "method",
        "calls",
        "PSNR (dB)",
        "SSIM",
        "FD",
        "s / image",
    ];
    let mut table = vec![header.map(String::from).to_vec()];
    for row in rows {
        table.push(vec![
            row.physics.clone(),
            row.method.clone(),
            row.model_calls.map_or("–".into(), |c| c.to_string()),
            format!("{:.2} ± {:.2}", row.psnr_mean, row.psnr_std),
            format!("{:.3} ± {:.3}", row.ssim_mean, row.ssim_std),
            format!("{:.1}", row.frechet),
            format!("{:.3}", row.seconds_per_image),
        ]);
    }
    table
}

/// Reconstructions of every test image by one method, with what they cost.
pub struct Reconstructions {
    /// 28×28 images in the physics' pixel units, one per test image, unclipped.
    pub images: Vec<Vec<f64>>,
    pub model_calls: Option<usize>,
    pub seconds_per_image: f64,
}
