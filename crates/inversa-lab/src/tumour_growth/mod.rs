//! Personalised tumour growth by a database query (I. Ezhov, K. Scibilia, L. Giannoni, F. Kofler,
//! I. Iliash, F. Hsu, S. Shit, F. Steinbauer, P. Menze, B. Wiestler, J. Lipková, B. Menze, "A
//! for-loop is all you need. For solving the inverse problem in the case of personalized tumor
//! growth modeling", ML4H 2022, PMLR 193:566–577).
//!
//! The forward model is Fisher–Kolmogorov reaction–diffusion on a brain slice,
//!
//! ```text
//! ∂u/∂t = ∇·(D(x) ∇u) + ρ u (1 − u),   D = D_w in white matter, D_w / 10 in grey, 0 elsewhere,
//! ```
//!
//! with no flux through the brain's boundary, grown from a Gaussian seed at the origin `x₀`
//! ([`crate::pde::reaction_diffusion`]). A scan shows two segmentations of the concentration at
//! time `T`: where `u > 0.25` (oedema, T2/FLAIR) and where `u > 0.675` (enhancing core, T1Gd),
//! here read through Gaussian noise before thresholding. The inverse problem: `(D_w, ρ, x₀)` from
//! the two segmentations.
//!
//! The paper's method is a for-loop: simulate the prior once into a database, then for a patient
//! score every entry by the Dice overlap of its segmentations with the scan and return the best
//! entry, or a similarity-weighted mean of the best few ([`database`]). Against it, two
//! per-patient inversions of the exact likelihood of the thresholded noisy scan: CMA-ES, the
//! sampling-based search ([`cmaes`]), and Adam with finite-difference gradients ([`gradient`]),
//! both started from the prior's centre and the centroid of the scan's core. The claim: the query
//! answers an order of magnitude faster at comparable error in `(D, ρ, x₀)`. The database's cost
//! is paid once, before any patient, and is reported separately.
//!
//! Geometry: an axial slice of the MNI152 grey- and white-matter templates (96 × 96 cells of
//! 2 mm, [`model::Brain`]). The rates are per unit time of the model (`T = 1`); only `D T` and `ρ T`
//! are identifiable from one scan, which is why the paper's database fixes the time too.

use crate::outcome::{report_page_with_table, Artifact, Outcome};
use crate::timing::try_median_seconds;
use crate::{Error, Result};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::time::Instant;

mod cmaes;
mod database;
mod figures;
mod gradient;
mod model;
mod search;

use database::Database;
use model::{centroid, dice, observe, simulate, Brain};
pub use model::{Prior, Tumour};
use search::{Space, Trace};

/// The figures' names: errors against seconds, and one patient's scan and fits.
pub const FIGURES: [&str; 2] = ["tumour_growth.png", "tumour_growth_fits.png"];
/// The methods, in the report's order.
pub const METHODS: [&str; 4] = [
    "database (best)",
    "database (top-k weighted)",
    "CMA-ES",
    "Adam (finite differences)",
];

/// CMA-ES's initial step in box coordinates: a tenth of the box, about 2 cm of origin.
const CMA_SIGMA: f64 = 0.1;

/// The experiment's settings (read from Python's keywords, where a missing one keeps its default
/// and an unknown one is an error).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub seed: u64,
    /// Forward simulations in the database.
    pub database: usize,
    /// Synthetic patients, drawn from the same prior with another seed.
    pub patients: usize,
    /// Entries averaged by the weighted query.
    pub top_k: usize,
    /// Objective evaluations CMA-ES may spend per patient.
    pub cma_evaluations: usize,
    /// Adam steps per patient (five simulations each).
    pub gradient_iterations: usize,
    /// Adam's step in box coordinates.
    pub gradient_rate: f64,
    /// Standard deviation of the noise on the concentration before thresholding.
    pub noise: f64,
    pub prior: Prior,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            seed: 0,
            database: 4000,
            patients: 20,
            top_k: 5,
            cma_evaluations: 400,
            gradient_iterations: 80,
            gradient_rate: 0.02,
            noise: 0.05,
            prior: Prior {
                rho: [4.0, 8.0],
                length: [0.2, 0.4],
            },
        }
    }
}

impl Settings {
    /// The small setting of the test and of `--quick`.
    pub fn quick() -> Self {
        Self {
            database: 400,
            patients: 3,
            cma_evaluations: 240,
            gradient_iterations: 30,
            ..Self::default()
        }
    }

    fn check(&self) -> Result<()> {
        let counts = [
            ("database", self.database, 1, 1_000_000),
            ("patients", self.patients, 1, 10_000),
            ("top_k", self.top_k, 1, self.database),
            ("cma_evaluations", self.cma_evaluations, 8, 1_000_000),
            (
                "gradient_iterations",
                self.gradient_iterations,
                1,
                1_000_000,
            ),
        ];
        for (key, value, least, most) in counts {
            if value < least || value > most {
                return Err(Error::setting(
                    key,
                    format!("must be in {least} ..= {most}, got {value}"),
                ));
            }
        }
        let ranges = [
            ("prior.rho", self.prior.rho),
            ("prior.length", self.prior.length),
        ];
        for (key, [lo, hi]) in ranges {
            if !(lo > 0.0 && hi > lo && hi.is_finite()) {
                return Err(Error::setting(
                    key,
                    format!("must be 0 < lo < hi, got [{lo}, {hi}]"),
                ));
            }
        }
        let positive = [("noise", self.noise), ("gradient_rate", self.gradient_rate)];
        for (key, value) in positive {
            if !(value > 0.0 && value.is_finite()) {
                return Err(Error::setting(
                    key,
                    format!("must be positive, got {value}"),
                ));
            }
        }
        Ok(())
    }
}

/// `metrics.json`.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub experiment: &'static str,
    pub settings: Settings,
    /// Forward-Euler steps of every simulation (fixed by the prior's largest rates).
    pub steps: usize,
    /// Seconds of one simulation (median of three, one core).
    pub simulation_seconds: f64,
    /// Seconds to build the database, paid once before the first patient.
    pub database_build_seconds: f64,
    pub patients: Vec<Patient>,
    /// One per method, in [`METHODS`]' order.
    pub methods: Vec<Summary>,
    /// CMA-ES's median seconds per patient over the weighted query's.
    pub speedup_over_cma: f64,
    /// Adam's median seconds per patient over the weighted query's.
    pub speedup_over_gradient: f64,
}

/// One patient's truth and every method's estimate.
#[derive(Clone, Debug, Serialize)]
pub struct Patient {
    pub truth: Tumour,
    pub estimates: Vec<Estimate>,
}

/// One method's answer for one patient.
#[derive(Clone, Debug, Serialize)]
pub struct Estimate {
    pub method: &'static str,
    pub tumour: Tumour,
    /// `|D̂ − D| / D`.
    pub d_error: f64,
    /// `|ρ̂ − ρ| / ρ`.
    pub rho_error: f64,
    /// `|x̂₀ − x₀|` in mm.
    pub origin_error_mm: f64,
    /// Mean Dice of the estimate's segmentations against the truth's (both noise-free).
    pub dice: f64,
    /// Seconds for this patient (the database's build excluded).
    pub seconds: f64,
    /// Forward simulations for this patient.
    pub simulations: usize,
}

/// Medians over the patients.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub method: &'static str,
    pub d_error: f64,
    pub rho_error: f64,
    pub origin_error_mm: f64,
    pub dice: f64,
    pub seconds: f64,
    pub simulations: f64,
}

/// The traces of the two iterative inversions, per patient, for the figure.
pub struct Traces {
    pub cma: Vec<Vec<(f64, Tumour)>>,
    pub gradient: Vec<Vec<(f64, Tumour)>>,
}

/// Builds the database, then inverts each synthetic patient by every method; `say` gets a line
/// per patient.
pub fn run(settings: &Settings, say: &mut dyn FnMut(&str)) -> Result<Outcome<Report>> {
    settings.check()?;
    let brain = Brain::mni152()?;
    let steps = brain.solver.stable_steps(
        settings.prior.d_max(),
        settings.prior.rho_max(),
        model::T_END,
    );
    let clock = Instant::now();
    let database = Database::build(
        &brain,
        &settings.prior,
        steps,
        settings.database,
        settings.seed,
    )?;
    let database_build_seconds = clock.elapsed().as_secs_f64();
    let centre = Tumour {
        d: settings.prior.d_max(),
        rho: 1.0,
        x: 0.5 * brain.extent(),
        y: 0.5 * brain.extent(),
    };
    let simulation_seconds =
        try_median_seconds(3, || simulate(&brain, &centre, steps).map(|_| ()))?;
    say(&format!(
        "database: {} simulations in {database_build_seconds:.1} s",
        settings.database
    ));
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed ^ 0x0005_eed0_f9a7_1e47);
    let mut patients = Vec::with_capacity(settings.patients);
    let mut traces = Traces {
        cma: Vec::new(),
        gradient: Vec::new(),
    };
    let mut scans = Vec::new();
    for index in 0..settings.patients {
        let truth = settings.prior.sample(&brain, &mut rng);
        let scan = observe(&simulate(&brain, &truth, steps)?, settings.noise, &mut rng);
        let (patient, cma, gradient) =
            invert(settings, &brain, steps, &database, truth, &scan, index)?;
        say(&figures::patient_line(index, &patient));
        traces.cma.push(cma);
        traces.gradient.push(gradient);
        patients.push(patient);
        scans.push(scan);
    }
    let methods: Vec<Summary> = METHODS
        .iter()
        .enumerate()
        .map(|(m, &name)| summarise(name, m, &patients))
        .collect();
    let report = Report {
        experiment: "tumour-growth",
        settings: settings.clone(),
        steps,
        simulation_seconds,
        database_build_seconds,
        speedup_over_cma: methods[2].seconds / methods[1].seconds,
        speedup_over_gradient: methods[3].seconds / methods[1].seconds,
        patients,
        methods,
    };
    finish(report, &traces, &brain, &scans[0])
}

/// The four estimates of one patient, with the iterative searches' traces.
#[allow(clippy::type_complexity)]
fn invert(
    settings: &Settings,
    brain: &Brain,
    steps: usize,
    database: &Database,
    truth: Tumour,
    scan: &[u8],
    index: usize,
) -> Result<(Patient, Vec<(f64, Tumour)>, Vec<(f64, Tumour)>)> {
    let clock = Instant::now();
    let best = database.query(scan, 1).best;
    let best_seconds = clock.elapsed().as_secs_f64();
    let clock = Instant::now();
    let weighted = database.query(scan, settings.top_k).weighted;
    let weighted_seconds = clock.elapsed().as_secs_f64();
    let space = Space {
        brain,
        prior: &settings.prior,
        steps,
        labels: scan,
        noise: settings.noise,
    };
    let (x, y) = centroid(scan, brain.side)?;
    let start = space.coordinates(&Tumour {
        d: 1.0,
        rho: 1.0,
        x,
        y,
    });
    let start = [0.5, 0.5, start[2], start[3]];
    let objectives = |points: &[[f64; 4]]| space.objectives(points);
    let cma = cmaes::minimise(
        &objectives,
        start,
        CMA_SIGMA,
        settings.cma_evaluations,
        settings.seed + index as u64,
    )?;
    let adam = gradient::minimise(
        &objectives,
        start,
        settings.gradient_rate,
        settings.gradient_iterations,
    )?;
    let truth_labels = model::segment_truth(brain, &truth, steps)?;
    let mut estimates = vec![
        estimate(
            METHODS[0],
            best,
            &truth,
            &truth_labels,
            brain,
            steps,
            best_seconds,
            0,
        )?,
        estimate(
            METHODS[1],
            weighted,
            &truth,
            &truth_labels,
            brain,
            steps,
            weighted_seconds,
            0,
        )?,
    ];
    for (name, trace) in [(METHODS[2], &cma), (METHODS[3], &adam)] {
        let (tumour, seconds, simulations) = final_point(&space, trace)?;
        estimates.push(estimate(
            name,
            tumour,
            &truth,
            &truth_labels,
            brain,
            steps,
            seconds,
            simulations,
        )?);
    }
    let path = |t: &Trace| {
        t.rounds
            .iter()
            .map(|r| (r.seconds, space.tumour(&r.best)))
            .collect()
    };
    Ok((Patient { truth, estimates }, path(&cma), path(&adam)))
}

fn final_point(space: &Space, trace: &Trace) -> Result<(Tumour, f64, usize)> {
    let (best, last) = trace.best().zip(trace.rounds.last()).ok_or_else(|| {
        Error::setting(
            "cma_evaluations",
            "left an inversion with no evaluated point",
        )
    })?;
    Ok((space.tumour(&best), last.seconds, last.evaluations))
}

#[allow(clippy::too_many_arguments)]
fn estimate(
    method: &'static str,
    tumour: Tumour,
    truth: &Tumour,
    truth_labels: &[u8],
    brain: &Brain,
    steps: usize,
    seconds: f64,
    simulations: usize,
) -> Result<Estimate> {
    let labels = model::segment_truth(brain, &tumour, steps)?;
    Ok(Estimate {
        method,
        tumour,
        d_error: (tumour.d - truth.d).abs() / truth.d,
        rho_error: (tumour.rho - truth.rho).abs() / truth.rho,
        origin_error_mm: 10.0 * (tumour.x - truth.x).hypot(tumour.y - truth.y),
        dice: dice(&labels, truth_labels),
        seconds,
        simulations,
    })
}

/// Medians of method `m` over the patients.
fn summarise(method: &'static str, m: usize, patients: &[Patient]) -> Summary {
    let median = |f: fn(&Estimate) -> f64| {
        let mut values: Vec<f64> = patients.iter().map(|p| f(&p.estimates[m])).collect();
        values.sort_by(f64::total_cmp);
        let n = values.len();
        if n % 2 == 1 {
            values[n / 2]
        } else {
            0.5 * (values[n / 2 - 1] + values[n / 2])
        }
    };
    Summary {
        method,
        d_error: median(|e| e.d_error),
        rho_error: median(|e| e.rho_error),
        origin_error_mm: median(|e| e.origin_error_mm),
        dice: median(|e| e.dice),
        seconds: median(|e| e.seconds),
        simulations: median(|e| e.simulations as f64),
    }
}

fn finish(report: Report, traces: &Traces, brain: &Brain, scan: &[u8]) -> Result<Outcome<Report>> {
    let page = report_page_with_table(
        "Tumour growth by a database query (Ezhov et al., ML4H 2022)",
        &figures::page_text(&report),
        &figures::table(&report),
        &FIGURES,
        &report,
    )?;
    let panels = figures::error_panels(&report, traces);
    let fits = figures::fits_picture(brain, scan, &report.patients[0], report.steps)?;
    let outcome = Outcome::new(report)
        .with(FIGURES[0], Artifact::Plot(panels))
        .with(FIGURES[1], fits)
        .with("report.html", page);
    // A NaN anywhere is a failed run, not a result.
    outcome.check_finite()?;
    Ok(outcome)
}

#[cfg(test)]
mod tests;
