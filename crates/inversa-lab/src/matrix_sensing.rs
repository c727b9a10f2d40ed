//! Over-parameterised matrix sensing (Xiong, Ding, Du, "How Over-Parameterization Slows Down
//! Gradient Descent in Matrix Sensing", ICLR 2024): the error `‖XXᵀ − M*‖_F` of gradient descent
//! against the iteration, for several widths `k` and initial scales `α`, symmetric and asymmetric,
//! with and without the paper's one-step rebalancing. The method itself is
//! [`inversa::numerics::matrix_sensing`]; this is the experiment of its figure.

use crate::error::check_memory;
use crate::outcome::{Artifact, Outcome};
use crate::{Error, Result};
use inversa::numerics::matrix_sensing::{self, Factorisation, Problem};
use inversa::report::plot::{Panel, Series};
use serde::{Deserialize, Serialize};

/// The experiment's settings (read from Python's keywords, where a missing one keeps its default
/// and an unknown one is an error).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub seed: u64,
    /// Matrix side `n`.
    pub n: usize,
    /// Rank `r` of the truth; there are `10 n r` measurements.
    pub rank: usize,
    pub iterations: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            seed: 0,
            n: 20,
            rank: 2,
            iterations: 1500,
        }
    }
}

/// `metrics.json`.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub experiment: &'static str,
    pub seed: u64,
    pub n: usize,
    pub rank: usize,
    pub measurements: usize,
    pub step: f64,
    pub iterations: usize,
    pub runs: Vec<Run>,
}

/// One gradient-descent run.
#[derive(Clone, Debug, Serialize)]
pub struct Run {
    pub panel: &'static str,
    pub k: usize,
    pub alpha: f64,
    pub factorisation: String,
    pub final_error: f64,
    #[serde(rename = "first_below_1e-6")]
    pub first_below_1e_6: Option<usize>,
    #[serde(rename = "first_below_1e-10")]
    pub first_below_1e_10: Option<usize>,
    pub rebalanced_at: Option<usize>,
    pub errors: Vec<f64>,
}

/// Gradient descent's step size in every run.
const STEP: f64 = 0.25;

/// Runs the four panels of runs; `say` receives one line per run.
pub fn run(settings: &Settings, say: &mut dyn FnMut(&str)) -> Result<Outcome<Report>> {
    let Settings {
        seed,
        n,
        rank,
        iterations,
    } = *settings;
    check(settings)?;
    let problem = Problem::gaussian(n, rank, 10 * n * rank, seed)?;
    let mut runs = Vec::new();
    let mut panels = Vec::new();
    for (title, group) in groups(rank) {
        let mut series = Vec::new();
        for (k, alpha, factorisation) in group {
            let gd = matrix_sensing::Settings {
                k,
                alpha,
                step: STEP,
                iterations,
                factorisation,
                seed: seed + 1,
            };
            let trace = matrix_sensing::run(&problem, &gd)?;
            let label = format!("k={k}, alpha={alpha}");
            let below = |eps: f64| trace.errors.iter().position(|&e| e < eps);
            say(&format!(
                "{title:<28} {label:<14} error after {iterations}: {:.3e}",
                trace.errors[iterations]
            ));
            series.push(Series::indexed(label, &trace.errors));
            runs.push(Run {
                panel: title,
                k,
                alpha,
                factorisation: format!("{factorisation:?}"),
                final_error: trace.errors[iterations],
                first_below_1e_6: below(1e-6),
                first_below_1e_10: below(1e-10),
                rebalanced_at: trace.rebalanced_at,
                errors: trace.errors,
            });
        }
        panels.push(error_panel(title, series));
    }
    let report = Report {
        experiment: "matrix-sensing",
        seed,
        n,
        rank,
        measurements: 10 * n * rank,
        step: STEP,
        iterations,
        runs,
    };
    Ok(Outcome::new(report).with("matrix_sensing.png", Artifact::Plot(panels)))
}

fn check(settings: &Settings) -> Result<()> {
    let Settings {
        n,
        rank,
        iterations,
        ..
    } = *settings;
    if n < 2 {
        return Err(Error::setting("n", format!("must be at least 2, got {n}")));
    }
    if rank == 0 || rank + 4 > n {
        let most = n as i64 - 4;
        let message = format!("must be between 1 and n − 4 = {most}, got {rank}");
        return Err(Error::setting("rank", message));
    }
    if iterations == 0 {
        return Err(Error::setting("iterations", "must be at least 1"));
    }
    // The 10·n·r sensing matrices of n×n, in f64.
    check_memory("n", &[10 * rank, n, n, n], 8, 1)
}

/// One run: the width k, the initial scale α and the factorisation.
type SensingRun = (usize, f64, Factorisation);

/// The four panels of the figure and their runs.
fn groups(rank: usize) -> [(&'static str, Vec<SensingRun>); 4] {
    let plain = Factorisation::Asymmetric {
        rebalance_below: None,
    };
    let modified = Factorisation::Asymmetric {
        rebalance_below: Some(1e-2),
    };
    [
        (
            "symmetric XX', alpha = 0.01",
            [0, 1, 2, 4]
                .map(|extra| (rank + extra, 1e-2, Factorisation::Symmetric))
                .to_vec(),
        ),
        (
            "symmetric, k = r + 2",
            [1e-1, 1e-2, 1e-3]
                .map(|a| (rank + 2, a, Factorisation::Symmetric))
                .to_vec(),
        ),
        (
            "asymmetric FG', k = r + 2",
            [0.3, 0.1, 0.03].map(|a| (rank + 2, a, plain)).to_vec(),
        ),
        (
            "asymmetric + one-step fix",
            [0.3, 0.1, 0.03].map(|a| (rank + 2, a, modified)).to_vec(),
        ),
    ]
}

/// Plot text is ASCII: the report font has no glyphs for `ᵀ`, `^`, `α`, `‖` or `−`.
fn error_panel(title: &str, series: Vec<Series>) -> Panel {
    Panel {
        title: title.into(),
        x_label: "iteration".into(),
        y_label: "||XX' - M*||_F".into(),
        log_y: true,
        series,
    }
}
