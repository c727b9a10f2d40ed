//! M-FAC (Frantar, Kurtic, Alistarh, "M-FAC: Efficient Matrix-Free Approximations of
//! Second-Order Information", NeurIPS 2021): the time of an inverse-Fisher–vector product (static
//! and sliding-window) against the window `m` and the dimension `d`, and the steps M-FAC, SGD and
//! Adam take to a target loss on an ill-conditioned logistic regression, each at its best setting
//! over a learning-rate grid. The method is [`inversa::numerics::mfac`].

use crate::error::check_memory;
use crate::outcome::{Artifact, Outcome};
use crate::timing::median_seconds;
use crate::{Error, Result};
use inversa::numerics::mfac::{SlidingFisher, StaticFisher};
use inversa::numerics::mfac_optimizer::{steps_to_target, Logistic, Optimiser};
use inversa::numerics::seeded_gaussian;
use inversa::report::plot::{Panel, Series};
use serde::{Deserialize, Serialize};

/// The experiment's settings (read from Python's keywords, where a missing one keeps its default
/// and an unknown one is an error).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub seed: u64,
    /// Largest dimension `d` of the timing table (quadrupling from 1000).
    pub max_d: usize,
    /// Step budget of the optimiser comparison.
    pub max_steps: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            seed: 0,
            max_d: 64000,
            max_steps: 5000,
        }
    }
}

/// `metrics.json`.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub experiment: &'static str,
    pub seed: u64,
    pub timing: Vec<Timing>,
    pub optimiser: Comparison,
}

/// Seconds per product for `m` gradients of dimension `d`.
#[derive(Clone, Debug, Serialize)]
pub struct Timing {
    pub m: usize,
    pub d: usize,
    pub static_ihvp_s: f64,
    pub dynamic_push_s: f64,
    pub dynamic_ihvp_s: f64,
}

/// The optimiser comparison.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    pub problem: &'static str,
    pub optimum: f64,
    pub start: f64,
    pub target: f64,
    pub max_steps: usize,
    /// Each optimiser at its best setting.
    pub best: Vec<OptimiserRun>,
    /// Every setting tried (no final loss).
    pub tried: Vec<OptimiserRun>,
}

/// One optimiser at one setting.
#[derive(Clone, Debug, Serialize)]
pub struct OptimiserRun {
    pub optimiser: String,
    pub settings: String,
    pub steps_to_target: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_loss: Option<f64>,
}

/// Window sizes of the timing table at fixed `d`.
const WINDOWS: [usize; 5] = [8, 16, 32, 64, 128];

/// Runs the timing table and the optimiser comparison; `say` receives one line per row.
pub fn run(settings: &Settings, say: &mut dyn FnMut(&str)) -> Result<Outcome<Report>> {
    if settings.max_d < 1000 {
        let message = format!("must be at least 1000, got {}", settings.max_d);
        return Err(Error::setting("max_d", message));
    }
    if settings.max_steps == 0 {
        return Err(Error::setting("max_steps", "must be at least 1"));
    }
    // The largest window of gradients of `max_d` entries, and its optimiser's copy.
    let largest = WINDOWS[WINDOWS.len() - 1];
    check_memory("max_d", &[largest, settings.max_d], 8, 2)?;
    let (timing, timing_panels) = timing_table(settings, say)?;
    let (optimiser, optimiser_panel) = compare_optimisers(settings, say)?;
    let report = Report {
        experiment: "mfac",
        seed: settings.seed,
        timing,
        optimiser,
    };
    Ok(Outcome::new(report)
        .with("mfac_timing.png", Artifact::Plot(timing_panels))
        .with("mfac_optimiser.png", Artifact::Plot(vec![optimiser_panel])))
}

/// Time per static IHVP, per dynamic push and per dynamic IHVP for `m` gradients of size `d`.
fn time_ihvp(m: usize, d: usize, seed: u64) -> Result<Timing> {
    let grads = seeded_gaussian(seed, m * d);
    let x = seeded_gaussian(seed + 1, d);
    let fisher = StaticFisher::new(&grads, d, 1e-2)?;
    let static_ihvp_s = median_seconds(9, || {
        let _ = std::hint::black_box(fisher.inverse_times(&x));
    });
    let mut window = SlidingFisher::new(m, d, 1e-2)?;
    for g in grads.chunks_exact(d) {
        window.push(g)?;
    }
    let dynamic_push_s = median_seconds(9, || {
        let _ = std::hint::black_box(window.push(&x));
    });
    let dynamic_ihvp_s = median_seconds(9, || {
        let _ = std::hint::black_box(window.inverse_times(&x));
    });
    Ok(Timing {
        m,
        d,
        static_ihvp_s,
        dynamic_push_s,
        dynamic_ihvp_s,
    })
}

/// The timings against `m` at `d = min(16000, max_d)`, then against `d` at `m = 32`.
fn timing_table(
    settings: &Settings,
    say: &mut dyn FnMut(&str),
) -> Result<(Vec<Timing>, Vec<Panel>)> {
    let d_fixed = 16000.min(settings.max_d);
    let by_d =
        std::iter::successors(Some(1000), |d| Some(d * 4)).take_while(|&d| d <= settings.max_d);
    let sizes: Vec<(usize, usize)> = WINDOWS
        .iter()
        .map(|&m| (m, d_fixed))
        .chain(by_d.map(|d| (32, d)))
        .collect();
    let mut timing = Vec::new();
    for (m, d) in sizes {
        let t = time_ihvp(m, d, settings.seed)?;
        say(&format!(
            "m = {m:>3}, d = {d}: IHVP {:.1} µs static, {:.1} µs dynamic; push {:.1} µs",
            t.static_ihvp_s * 1e6,
            t.dynamic_ihvp_s * 1e6,
            t.dynamic_push_s * 1e6
        ));
        timing.push(t);
    }
    let (against_m, against_d) = timing.split_at(WINDOWS.len());
    let panels = vec![
        timing_panel(
            &format!("time against m (d = {d_fixed})"),
            "m",
            against_m,
            |t| t.m,
        ),
        timing_panel("time against d (m = 32)", "d", against_d, |t| t.d),
    ];
    Ok((timing, panels))
}

fn timing_panel(title: &str, x: &str, rows: &[Timing], axis: fn(&Timing) -> usize) -> Panel {
    let curve = |label: &str, value: fn(&Timing) -> f64| Series {
        label: label.into(),
        values: rows
            .iter()
            .map(|t| (axis(t) as f64, value(t) * 1e6))
            .collect(),
    };
    Panel {
        title: title.into(),
        x_label: x.into(),
        y_label: "microseconds".into(),
        log_y: false,
        series: vec![
            curve("static IHVP", |t| t.static_ihvp_s),
            curve("dynamic push", |t| t.dynamic_push_s),
            curve("dynamic IHVP", |t| t.dynamic_ihvp_s),
        ],
    }
}

/// Every optimiser and setting of the grid.
fn candidates() -> Vec<(&'static str, Optimiser)> {
    let mut candidates = Vec::new();
    for lr in [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0] {
        candidates.push(("SGD", Optimiser::Sgd { lr }));
        candidates.push(("Adam", Optimiser::Adam { lr }));
        for damping in [1e-3, 1e-2, 1e-1] {
            let mfac = Optimiser::Mfac {
                lr,
                window: 32,
                damping,
            };
            candidates.push(("M-FAC", mfac));
        }
    }
    candidates
}

/// A run's rank: fewest steps to the target, then (none reached) the lowest final loss.
fn rank(steps: Option<usize>, losses: &[f64]) -> (usize, f64) {
    let last = losses[losses.len() - 1];
    let last = if last.is_finite() { last } else { f64::MAX };
    (steps.unwrap_or(usize::MAX), last)
}

/// Each optimiser at its best setting on a logistic regression with feature condition number
/// 10⁴, with the loss gap curves of the winners.
fn compare_optimisers(
    settings: &Settings,
    say: &mut dyn FnMut(&str),
) -> Result<(Comparison, Panel)> {
    let seed = settings.seed;
    let problem = Logistic::synthetic(1000, 20, 1e4, seed);
    let (_, optimum) = problem.minimum();
    let start = problem.loss(&[0.0; 20]);
    let target = optimum + 0.03 * (start - optimum);
    let mut tried = Vec::new();
    let mut winners: Vec<(&str, Optimiser, Option<usize>, Vec<f64>)> = Vec::new();
    for (name, optimiser) in candidates() {
        let (losses, steps) = steps_to_target(
            &problem,
            optimiser,
            32,
            target,
            settings.max_steps,
            seed + 1,
        )?;
        tried.push(OptimiserRun {
            optimiser: name.into(),
            settings: format!("{optimiser:?}"),
            steps_to_target: steps,
            final_loss: None,
        });
        match winners.iter_mut().find(|w| w.0 == name) {
            Some(w) if rank(steps, &losses) < rank(w.2, &w.3) => {
                *w = (name, optimiser, steps, losses)
            }
            Some(_) => {}
            None => winners.push((name, optimiser, steps, losses)),
        }
    }
    let mut best = Vec::new();
    let mut series = Vec::new();
    for (name, optimiser, steps, losses) in winners {
        let reached = steps.map_or("not reached".into(), |s| s.to_string());
        say(&format!(
            "{name:<6} best {optimiser:?}: {reached} steps to the target"
        ));
        let gap: Vec<f64> = losses.iter().map(|l| l - optimum).collect();
        let count = steps.map_or("-".into(), |s| s.to_string());
        series.push(Series::indexed(format!("{name} ({count} steps)"), &gap));
        best.push(OptimiserRun {
            optimiser: name.into(),
            settings: format!("{optimiser:?}"),
            steps_to_target: steps,
            final_loss: Some(losses[losses.len() - 1]),
        });
    }
    let comparison = Comparison {
        problem: "logistic regression, n = 1000, d = 20, feature condition number 1e4, batch 32",
        optimum,
        start,
        target,
        max_steps: settings.max_steps,
        best,
        tried,
    };
    let panel = Panel {
        title: "loss - optimum, best settings".into(),
        x_label: "iteration".into(),
        y_label: "L(w) - L*".into(),
        log_y: true,
        series,
    };
    Ok((comparison, panel))
}
