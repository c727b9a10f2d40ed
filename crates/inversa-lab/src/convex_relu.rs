//! Convex training of two-layer ReLU networks (Bai, Gautam, Sojoudi, "Efficient Global
//! Optimization of Two-Layer ReLU Networks: Quadratic-Time Algorithms and Adversarial Training",
//! 2023): ADMM on the convex program over sampled activation patterns against Adam on the same
//! network, from several seeds, on two interleaved spirals. The solvers are
//! [`inversa::numerics::convex_relu`]; this is the comparison.

use crate::error::check_memory;
use crate::outcome::{Artifact, Outcome};
use crate::{Error, Result};
use inversa::numerics::convex_relu::{self, AdmmParams, ConvexSolution, Dataset, Network};
use inversa::report::plot::{Panel, Series};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// The experiment's settings (read from Python's keywords, where a missing one keeps its default
/// and an unknown one is an error).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub seed: u64,
    /// Training points (two spirals); the test set has [`TEST_SAMPLES`].
    pub samples: usize,
    /// Sampled activation patterns `P`.
    pub patterns: usize,
    /// Weight decay `β`.
    pub beta: f64,
    /// Adam runs, with seeds `seed + 1 …`.
    pub seeds: u64,
    /// Adam steps per run.
    pub steps: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            seed: 0,
            samples: 100,
            patterns: 60,
            beta: 0.1,
            seeds: 3,
            steps: 3000,
        }
    }
}

/// Points in the test set.
pub const TEST_SAMPLES: usize = 400;

/// `metrics.json`.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub experiment: &'static str,
    pub seed: u64,
    pub dataset: &'static str,
    pub samples: usize,
    pub test_samples: usize,
    pub beta: f64,
    pub patterns: usize,
    pub convex: ConvexRun,
    pub adam: Vec<AdamRun>,
}

/// The ADMM solve of the convex program.
#[derive(Clone, Debug, Serialize)]
pub struct ConvexRun {
    pub objective: f64,
    pub iterations: usize,
    pub converged: bool,
    pub seconds: f64,
    pub constraint_violation: f64,
    pub width: usize,
    pub network_objective: f64,
    pub train_accuracy: f64,
    pub test_accuracy: f64,
}

/// The best of Adam's learning rates for one seed and width.
#[derive(Clone, Debug, Serialize)]
pub struct AdamRun {
    pub seed: u64,
    pub width: usize,
    pub learning_rate: f64,
    pub objective: f64,
    pub train_accuracy: f64,
    pub test_accuracy: f64,
    /// The convex optimum over the sampled patterns plus this network's own (only at the convex
    /// network's width).
    pub convex_objective_with_its_patterns: Option<f64>,
}

/// The data, patterns and ADMM settings every solve shares.
struct Setup {
    train: Dataset,
    test: Dataset,
    patterns: Vec<Vec<bool>>,
    params: AdmmParams,
}

/// Solves the convex program, then trains Adam at the convex network's width and at `2P`;
/// `say` receives one line per solve.
pub fn run(settings: &Settings, say: &mut dyn FnMut(&str)) -> Result<Outcome<Report>> {
    check(settings)?;
    let seed = settings.seed;
    let train = Dataset::spirals(settings.samples, 0.02, seed);
    let setup = Setup {
        patterns: convex_relu::sample_patterns(&train, settings.patterns, seed),
        test: Dataset::spirals(TEST_SAMPLES, 0.02, seed + 1000),
        train,
        params: AdmmParams {
            beta: settings.beta,
            rho: 1.0,
            max_iterations: 10000,
            tolerance: 1e-7,
        },
    };
    let clock = Instant::now();
    let solution = convex_relu::solve_admm(&setup.train, &setup.patterns, &setup.params)?;
    let convex = convex_run(&setup, &solution, clock.elapsed().as_secs_f64());
    say(&format!(
        "convex (ADMM, P = {}): objective {:.5} in {} iterations ({:.2} s), width {}, accuracy {:.3} train / {:.3} test",
        setup.patterns.len(), convex.objective, convex.iterations, convex.seconds, convex.width,
        convex.train_accuracy, convex.test_accuracy
    ));
    let mut series = vec![Series::indexed("convex (ADMM)", &solution.objectives)];
    let mut adam = Vec::new();
    for run in 1..=settings.seeds {
        for width in [convex.width.max(1), 2 * setup.patterns.len()] {
            let (result, trace) = adam_run(&setup, settings, width, seed + run, convex.width)?;
            say(&format!(
                "Adam seed {} width {width}: objective {:.5} (lr {}), accuracy {:.3} / {:.3}; convex with its patterns added: {}",
                result.seed, result.objective, result.learning_rate, result.train_accuracy, result.test_accuracy,
                result.convex_objective_with_its_patterns.map_or("—".into(), |v| format!("{v:.5}"))
            ));
            if run == 1 {
                series.push(Series::indexed(format!("Adam, width {width}"), &trace));
            }
            adam.push(result);
        }
    }
    let report = Report {
        experiment: "convex-relu",
        seed,
        dataset: "two spirals",
        samples: settings.samples,
        test_samples: TEST_SAMPLES,
        beta: settings.beta,
        patterns: setup.patterns.len(),
        convex,
        adam,
    };
    let plot = Panel {
        title: "training objective".into(),
        x_label: "iteration / step".into(),
        y_label: "objective".into(),
        log_y: true,
        series,
    };
    Ok(Outcome::new(report).with("convex_relu.png", Artifact::Plot(vec![plot])))
}

fn check(settings: &Settings) -> Result<()> {
    if settings.samples < 4 {
        let message = format!("must be at least 4, got {}", settings.samples);
        return Err(Error::setting("samples", message));
    }
    if settings.patterns == 0 {
        return Err(Error::setting("patterns", "must be at least 1"));
    }
    let beta = settings.beta;
    if !(beta > 0.0 && beta.is_finite()) {
        return Err(Error::setting("beta", format!("must be > 0, got {beta}")));
    }
    if settings.seeds == 0 {
        return Err(Error::setting("seeds", "must be at least 1"));
    }
    if settings.steps == 0 {
        return Err(Error::setting("steps", "must be at least 1"));
    }
    // ADMM factorises a dense (2P·d)² system (the matrix and its Cholesky factor), and keeps
    // the 2P pattern masks and constraint slacks per training sample (d = 3 for the spirals).
    let unknowns = settings.patterns.saturating_mul(2 * 3);
    check_memory("patterns", &[unknowns, unknowns], 8, 2)?;
    check_memory(
        "samples",
        &[settings.samples, settings.patterns.saturating_mul(2)],
        8,
        4,
    )?;
    check_memory(
        "steps",
        &[settings.steps],
        8,
        2 * settings.seeds.min(1 << 20) as usize,
    )
}

fn convex_run(setup: &Setup, solution: &ConvexSolution, seconds: f64) -> ConvexRun {
    let network = solution.network();
    ConvexRun {
        objective: solution.objectives[solution.objectives.len() - 1],
        iterations: solution.iterations,
        converged: solution.converged,
        seconds,
        constraint_violation: solution.constraint_violation(&setup.train, &setup.patterns),
        width: network.width(),
        network_objective: network.objective(&setup.train, setup.params.beta),
        train_accuracy: network.accuracy(&setup.train),
        test_accuracy: network.accuracy(&setup.test),
    }
}

/// Adam at `width` from `seed`, the best of three learning rates, with its objective trace.
#[allow(
    clippy::expect_used,
    reason = "the loop above tries three learning rates, so a best one exists"
)]
fn adam_run(
    setup: &Setup,
    settings: &Settings,
    width: usize,
    seed: u64,
    convex_width: usize,
) -> Result<(AdamRun, Vec<f64>)> {
    let mut best: Option<(f64, f64, Network, Vec<f64>)> = None;
    for lr in [3e-3, 1e-2, 3e-2] {
        let (net, trace) =
            convex_relu::train_adam(&setup.train, width, settings.beta, lr, settings.steps, seed);
        let last = trace[trace.len() - 1];
        if best.as_ref().is_none_or(|b| last < b.0) {
            best = Some((last, lr, net, trace));
        }
    }
    let (objective, learning_rate, net, trace) = best.expect("three learning rates were tried");
    let widened = if width <= convex_width.max(1) {
        Some(convex_with_patterns_of(setup, &net)?)
    } else {
        None
    };
    let run = AdamRun {
        seed,
        width,
        learning_rate,
        objective,
        train_accuracy: net.accuracy(&setup.train),
        test_accuracy: net.accuracy(&setup.test),
        convex_objective_with_its_patterns: widened,
    };
    Ok((run, trace))
}

/// The convex program over the sampled patterns plus `net`'s own: the network is a feasible
/// point of it, so its optimum can be no worse than the network's objective.
fn convex_with_patterns_of(setup: &Setup, net: &Network) -> Result<f64> {
    let mut union = setup.patterns.clone();
    union.extend(
        convex_relu::network_patterns(net, &setup.train)
            .into_iter()
            .filter(|p| !setup.patterns.contains(p)),
    );
    let params = AdmmParams {
        tolerance: 1e-5,
        ..setup.params
    };
    let solution = convex_relu::solve_admm(&setup.train, &union, &params)?;
    Ok(solution.objectives[solution.objectives.len() - 1])
}
