//! `inversa experiment …`: the numerical experiments of `inversa::numerics`, each writing
//! `DIR/metrics.json` and its plots (`DIR/*.png`).
//!
//! * `matrix-sensing`: error ‖XXᵀ − M*‖_F against the iteration for several widths `k` and
//!   initialisation scales `α`, symmetric and asymmetric, with and without the one-step modification;
//! * `convex-relu`: ADMM on the convex program against Adam on the same two-layer ReLU network,
//!   from several seeds, on two interleaved spirals;
//! * `mfac`: time per inverse-Fisher product against `m` and `d`, and steps to a target loss for
//!   M-FAC, SGD and Adam over learning-rate grids;
//! * `editing`: every diffusion and rectified-flow inversion method reconstructing and editing
//!   the bundled Fashion-MNIST test images ([`crate::editing_experiment`]).

use crate::Failure;
use anyhow::{anyhow, Context};
use inversa::numerics::convex_relu::{self, AdmmParams, Dataset};
use inversa::numerics::matrix_sensing::{self, Factorisation, Problem, Settings};
use inversa::numerics::mfac::{SlidingFisher, StaticFisher};
use inversa::numerics::mfac_optimizer::{steps_to_target, Logistic, Optimiser};
use inversa::numerics::seeded_gaussian;
use inversa::report::plot::{render_panels, write_png, Panel, Series};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(clap::Args)]
pub struct ExperimentArgs {
    #[command(subcommand)]
    which: Which,
}

#[derive(clap::Subcommand)]
enum Which {
    /// Over-parameterised matrix sensing (Xiong, Ding & Du, ICLR 2024): GD error curves.
    MatrixSensing {
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Folder for metrics.json and the plot (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Matrix side n.
        #[arg(long, default_value_t = 20)]
        n: usize,
        /// Rank r of the truth (measurements: 10 n r).
        #[arg(long, default_value_t = 2)]
        rank: usize,
        #[arg(long, default_value_t = 1500)]
        iterations: usize,
    },
    /// Convex training of a two-layer ReLU network (Bai, Gautam & Sojoudi 2023) against Adam.
    ConvexRelu {
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Folder for metrics.json and the plot (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Training points (two spirals); the test set has 400.
        #[arg(long, default_value_t = 100)]
        samples: usize,
        /// Sampled activation patterns P.
        #[arg(long, default_value_t = 60)]
        patterns: usize,
        /// Weight decay β.
        #[arg(long, default_value_t = 0.1)]
        beta: f64,
        /// Adam runs (seeds seed+1 …).
        #[arg(long, default_value_t = 3)]
        seeds: u64,
        /// Adam steps per run.
        #[arg(long, default_value_t = 3000)]
        steps: usize,
    },
    /// M-FAC (Frantar, Kurtic & Alistarh, NeurIPS 2021): IHVP timing and the optimiser comparison.
    Mfac {
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Folder for metrics.json and the plots (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Largest dimension d in the timing table (quadrupling from 1000).
        #[arg(long, default_value_t = 64000)]
        max_d: usize,
        /// Step budget of the optimiser comparison.
        #[arg(long, default_value_t = 5000)]
        max_steps: usize,
    },
    /// Diffusion and rectified-flow inversion: reconstruct and edit Fashion-MNIST test images with
    /// every method.
    Editing(crate::editing_experiment::EditingArgs),
}

pub fn run(args: ExperimentArgs) -> Result<(), Failure> {
    match args.which {
        Which::MatrixSensing {
            seed,
            out,
            n,
            rank,
            iterations,
        } => matrix_sensing(seed, &out, n, rank, iterations),
        Which::ConvexRelu {
            seed,
            out,
            samples,
            patterns,
            beta,
            seeds,
            steps,
        } => convex_relu(seed, &out, samples, patterns, beta, seeds, steps),
        Which::Mfac {
            seed,
            out,
            max_d,
            max_steps,
        } => mfac(seed, &out, max_d, max_steps),
        Which::Editing(args) => crate::editing_experiment::run(args),
    }
}

fn bad(message: String) -> Failure {
    Failure::BadInput(anyhow!(message))
}

fn prepare(out: &Path) -> Result<(), Failure> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create the output folder {}", out.display()))
        .map_err(Failure::BadInput)
}

fn write_outputs(out: &Path, metrics: &Value, plots: &[(&str, Vec<Panel>)]) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(metrics).map_err(|e| Failure::BadInput(e.into()))?;
    inversa::io::write_atomically(&out.join("metrics.json"), text.as_bytes())?;
    for (name, panels) in plots {
        let image = render_panels(panels, 560 * panels.len(), 440);
        write_png(&out.join(name), &image)?;
    }
    say!(
        "wrote metrics.json and {} plot(s) to {}/",
        plots.len(),
        out.display()
    );
    Ok(())
}

/// One matrix-sensing run: the width k, the initial scale α and the factorisation.
type SensingRun = (usize, f64, Factorisation);

/// Plot text is ASCII: the report font has no glyphs for `ᵀ`, `^`, `α`, `‖` or `−`.
fn panel(title: &str, y_label: &str, series: Vec<Series>) -> Panel {
    Panel {
        title: title.into(),
        x_label: "iteration".into(),
        y_label: y_label.into(),
        log_y: true,
        series,
    }
}

fn matrix_sensing(
    seed: u64,
    out: &Path,
    n: usize,
    rank: usize,
    iterations: usize,
) -> Result<(), Failure> {
    if n < 2 {
        return Err(bad(format!("--n must be at least 2, got {n}")));
    }
    if rank == 0 || rank + 4 > n {
        return Err(bad(format!(
            "--rank must be between 1 and n − 4 = {}, got {rank}",
            n as i64 - 4
        )));
    }
    if iterations == 0 {
        return Err(bad("--iterations must be at least 1".into()));
    }
    prepare(out)?;
    let problem = Problem::gaussian(n, rank, 10 * n * rank, seed)?;
    let plain = Factorisation::Asymmetric {
        rebalance_below: None,
    };
    let modified = Factorisation::Asymmetric {
        rebalance_below: Some(1e-2),
    };
    let groups: [(&str, Vec<SensingRun>); 4] = [
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
    ];
    let mut runs = Vec::new();
    let mut panels = Vec::new();
    for (title, group) in groups {
        let mut series = Vec::new();
        for (k, alpha, factorisation) in group {
            let settings = Settings {
                k,
                alpha,
                step: 0.25,
                iterations,
                factorisation,
                seed: seed + 1,
            };
            let trace = matrix_sensing::run(&problem, &settings)?;
            let label = format!("k={k}, alpha={alpha}");
            let below = |eps: f64| trace.errors.iter().position(|&e| e < eps);
            runs.push(json!({
                "panel": title, "k": k, "alpha": alpha, "factorisation": format!("{factorisation:?}"),
                "final_error": trace.errors[iterations], "first_below_1e-6": below(1e-6), "first_below_1e-10": below(1e-10),
                "rebalanced_at": trace.rebalanced_at, "errors": trace.errors,
            }));
            say!(
                "{title:<28} {label:<14} error after {iterations}: {:.3e}",
                trace.errors[iterations]
            );
            series.push(Series::indexed(label, &trace.errors));
        }
        panels.push(panel(title, "||XX' - M*||_F", series));
    }
    let metrics = json!({
        "experiment": "matrix-sensing", "seed": seed, "n": n, "rank": rank, "measurements": 10 * n * rank,
        "step": 0.25, "iterations": iterations, "runs": runs,
    });
    write_outputs(out, &metrics, &[("matrix_sensing.png", panels)])
}

fn convex_relu(
    seed: u64,
    out: &Path,
    samples: usize,
    pattern_count: usize,
    beta: f64,
    seeds: u64,
    steps: usize,
) -> Result<(), Failure> {
    if samples < 4 {
        return Err(bad(format!("--samples must be at least 4, got {samples}")));
    }
    if pattern_count == 0 {
        return Err(bad("--patterns must be at least 1".into()));
    }
    if !(beta > 0.0 && beta.is_finite()) {
        return Err(bad(format!("--beta must be > 0, got {beta}")));
    }
    if seeds == 0 || steps == 0 {
        return Err(bad("--seeds and --steps must be at least 1".into()));
    }
    prepare(out)?;
    let train = Dataset::spirals(samples, 0.02, seed);
    let test = Dataset::spirals(400, 0.02, seed + 1000);
    let patterns = convex_relu::sample_patterns(&train, pattern_count, seed);
    let params = AdmmParams {
        beta,
        rho: 1.0,
        max_iterations: 10000,
        tolerance: 1e-7,
    };
    let clock = Instant::now();
    let solution = convex_relu::solve_admm(&train, &patterns, &params)?;
    let admm_seconds = clock.elapsed().as_secs_f64();
    let network = solution.network();
    let convex = solution.objectives[solution.objectives.len() - 1];
    say!(
        "convex (ADMM, P = {}): objective {convex:.5} in {} iterations ({admm_seconds:.2} s), width {}, accuracy {:.3} train / {:.3} test",
        patterns.len(), solution.iterations, network.width(), network.accuracy(&train), network.accuracy(&test)
    );
    let mut series = vec![Series::indexed("convex (ADMM)", &solution.objectives)];
    let mut adam_runs = Vec::new();
    for run in 1..=seeds {
        for width in [network.width().max(1), 2 * patterns.len()] {
            let mut best: Option<(f64, f64, convex_relu::Network, Vec<f64>)> = None;
            for lr in [3e-3, 1e-2, 3e-2] {
                let (net, trace) =
                    convex_relu::train_adam(&train, width, beta, lr, steps, seed + run);
                let last = trace[trace.len() - 1];
                if best.as_ref().is_none_or(|b| last < b.0) {
                    best = Some((last, lr, net, trace));
                }
            }
            let (objective, lr, net, trace) = best.expect("three learning rates were tried");
            // The convex program over the sampled patterns plus this network's own: the network
            // is a feasible point of it, so its optimum can be no worse.
            let mut union = patterns.clone();
            union.extend(
                convex_relu::network_patterns(&net, &train)
                    .into_iter()
                    .filter(|p| !patterns.contains(p)),
            );
            let widened = if width <= network.width().max(1) {
                let sol = convex_relu::solve_admm(
                    &train,
                    &union,
                    &AdmmParams {
                        tolerance: 1e-5,
                        ..params
                    },
                )?;
                Some(sol.objectives[sol.objectives.len() - 1])
            } else {
                None
            };
            say!(
                "Adam seed {} width {width}: objective {objective:.5} (lr {lr}), accuracy {:.3} / {:.3}; convex with its patterns added: {}",
                seed + run, net.accuracy(&train), net.accuracy(&test), widened.map_or("—".into(), |v| format!("{v:.5}"))
            );
            if run == 1 {
                series.push(Series::indexed(format!("Adam, width {width}"), &trace));
            }
            adam_runs.push(json!({
                "seed": seed + run, "width": width, "learning_rate": lr, "objective": objective,
                "train_accuracy": net.accuracy(&train), "test_accuracy": net.accuracy(&test),
                "convex_objective_with_its_patterns": widened,
            }));
        }
    }
    let metrics = json!({
        "experiment": "convex-relu", "seed": seed, "dataset": "two spirals", "samples": samples, "test_samples": 400,
        "beta": beta, "patterns": patterns.len(),
        "convex": {
            "objective": convex, "iterations": solution.iterations, "converged": solution.converged, "seconds": admm_seconds,
            "constraint_violation": solution.constraint_violation(&train, &patterns), "width": network.width(),
            "network_objective": network.objective(&train, beta),
            "train_accuracy": network.accuracy(&train), "test_accuracy": network.accuracy(&test),
        },
        "adam": adam_runs,
    });
    let plot = Panel {
        x_label: "iteration / step".into(),
        ..panel("training objective", "objective", series)
    };
    write_outputs(out, &metrics, &[("convex_relu.png", vec![plot])])
}

/// Median seconds of `repeats` calls of `f`.
fn median_seconds(repeats: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..repeats)
        .map(|_| {
            let clock = Instant::now();
            f();
            clock.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Time per static IHVP, per dynamic push and per dynamic IHVP for `m` gradients of size `d`.
fn time_ihvp(m: usize, d: usize, seed: u64) -> Result<(f64, f64, f64), Failure> {
    let grads = seeded_gaussian(seed, m * d);
    let x = seeded_gaussian(seed + 1, d);
    let fisher = StaticFisher::new(&grads, d, 1e-2)?;
    let static_ihvp = median_seconds(9, || {
        let _ = std::hint::black_box(fisher.inverse_times(&x));
    });
    let mut window = SlidingFisher::new(m, d, 1e-2)?;
    for g in grads.chunks_exact(d) {
        window.push(g)?;
    }
    let push = median_seconds(9, || {
        let _ = std::hint::black_box(window.push(&x));
    });
    let dynamic_ihvp = median_seconds(9, || {
        let _ = std::hint::black_box(window.inverse_times(&x));
    });
    Ok((static_ihvp, push, dynamic_ihvp))
}

fn mfac(seed: u64, out: &Path, max_d: usize, max_steps: usize) -> Result<(), Failure> {
    if max_d < 1000 {
        return Err(bad(format!("--max-d must be at least 1000, got {max_d}")));
    }
    if max_steps == 0 {
        return Err(bad("--max-steps must be at least 1".into()));
    }
    prepare(out)?;
    let mut timing = Vec::new();
    let (mut by_m, mut by_d) = (vec![Vec::new(); 3], vec![Vec::new(); 3]);
    let d_fixed = 16000.min(max_d);
    for m in [8, 16, 32, 64, 128] {
        let t = time_ihvp(m, d_fixed, seed)?;
        for (s, v) in by_m.iter_mut().zip([t.0, t.1, t.2]) {
            s.push((m as f64, v * 1e6));
        }
        timing.push(json!({"m": m, "d": d_fixed, "static_ihvp_s": t.0, "dynamic_push_s": t.1, "dynamic_ihvp_s": t.2}));
        say!(
            "m = {m:>3}, d = {d_fixed}: IHVP {:.1} µs static, {:.1} µs dynamic; push {:.1} µs",
            t.0 * 1e6,
            t.2 * 1e6,
            t.1 * 1e6
        );
    }
    let mut d = 1000;
    while d <= max_d {
        let t = time_ihvp(32, d, seed)?;
        for (s, v) in by_d.iter_mut().zip([t.0, t.1, t.2]) {
            s.push((d as f64, v * 1e6));
        }
        timing.push(json!({"m": 32, "d": d, "static_ihvp_s": t.0, "dynamic_push_s": t.1, "dynamic_ihvp_s": t.2}));
        say!(
            "m =  32, d = {d}: IHVP {:.1} µs static, {:.1} µs dynamic; push {:.1} µs",
            t.0 * 1e6,
            t.2 * 1e6,
            t.1 * 1e6
        );
        d *= 4;
    }
    let names = ["static IHVP", "dynamic push", "dynamic IHVP"];
    let timing_panel = |title: &str, x: &str, data: Vec<Vec<(f64, f64)>>| Panel {
        title: title.into(),
        x_label: x.into(),
        y_label: "microseconds".into(),
        log_y: false,
        series: names
            .iter()
            .zip(data)
            .map(|(n, values)| Series {
                label: (*n).into(),
                values,
            })
            .collect(),
    };
    let timing_panels = vec![
        timing_panel(&format!("time against m (d = {d_fixed})"), "m", by_m),
        timing_panel("time against d (m = 32)", "d", by_d),
    ];

    let problem = Logistic::synthetic(1000, 20, 1e4, seed);
    let (_, best) = problem.minimum();
    let start = problem.loss(&[0.0; 20]);
    let target = best + 0.03 * (start - best);
    let rates = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0];
    let mut candidates: Vec<(String, Optimiser)> = Vec::new();
    for lr in rates {
        candidates.push(("SGD".into(), Optimiser::Sgd { lr }));
        candidates.push(("Adam".into(), Optimiser::Adam { lr }));
        for damping in [1e-3, 1e-2, 1e-1] {
            candidates.push((
                "M-FAC".into(),
                Optimiser::Mfac {
                    lr,
                    window: 32,
                    damping,
                },
            ));
        }
    }
    // Best settings: fewest steps to the target, then (none reached) the lowest final loss.
    let rank = |steps: Option<usize>, losses: &[f64]| {
        let last = losses[losses.len() - 1];
        (
            steps.unwrap_or(usize::MAX),
            if last.is_finite() { last } else { f64::MAX },
        )
    };
    let mut tried = Vec::new();
    let mut winners: Vec<(String, Optimiser, Option<usize>, Vec<f64>)> = Vec::new();
    for (name, optimiser) in candidates {
        let (losses, steps) =
            steps_to_target(&problem, optimiser, 32, target, max_steps, seed + 1)?;
        tried.push(json!({"optimiser": name, "settings": format!("{optimiser:?}"), "steps_to_target": steps}));
        match winners.iter_mut().find(|w| w.0 == name) {
            Some(w) if rank(steps, &losses) < rank(w.2, &w.3) => {
                *w = (name, optimiser, steps, losses)
            }
            Some(_) => {}
            None => winners.push((name, optimiser, steps, losses)),
        }
    }
    let mut best_runs = Vec::new();
    let mut series = Vec::new();
    for (name, optimiser, steps, losses) in &winners {
        say!(
            "{name:<6} best {optimiser:?}: {} steps to the target",
            steps.map_or("not reached".into(), |s| s.to_string())
        );
        best_runs.push(json!({"optimiser": name, "settings": format!("{optimiser:?}"), "steps_to_target": steps, "final_loss": losses[losses.len() - 1]}));
        let gap: Vec<f64> = losses.iter().map(|l| l - best).collect();
        series.push(Series::indexed(
            format!(
                "{name} ({} steps)",
                steps.map_or("-".into(), |s| s.to_string())
            ),
            &gap,
        ));
    }
    let optimiser_panel = vec![panel("loss - optimum, best settings", "L(w) - L*", series)];
    let metrics = json!({
        "experiment": "mfac", "seed": seed, "timing": timing,
        "optimiser": {
            "problem": "logistic regression, n = 1000, d = 20, feature condition number 1e4, batch 32",
            "optimum": best, "start": start, "target": target, "max_steps": max_steps,
            "best": best_runs, "tried": tried,
        },
    });
    write_outputs(
        out,
        &metrics,
        &[
            ("mfac_timing.png", timing_panels),
            ("mfac_optimiser.png", optimiser_panel),
        ],
    )
}
