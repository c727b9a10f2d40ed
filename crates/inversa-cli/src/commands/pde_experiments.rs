//! `inversa experiment tumour-growth`, `lagrangian-pinn`, `insr`, `elliptic-approximation`,
//! `semilinear-operator`, `ifactformer` and `dgno`: the PDE papers of issue 23, their flags and
//! their runs (split from [`crate::commands::experiment`] to keep each file short).

use super::experiment_output::{base, generated, CommonFlags};
use crate::failure::Failure;
use inversa_lab::{
    dgno, elliptic_approximation, ifactformer, insr, lagrangian_pinn, semilinear_operator,
    tumour_growth,
};

#[derive(clap::Args)]
pub struct TumourGrowthArgs {
    #[command(flatten)]
    common: CommonFlags,
    /// Forward simulations in the database (built once, before the patients).
    #[arg(long)]
    database: Option<usize>,
    /// Synthetic patients.
    #[arg(long)]
    patients: Option<usize>,
    /// Objective evaluations CMA-ES may spend per patient.
    #[arg(long)]
    cma_evaluations: Option<usize>,
    /// Adam steps per patient (five simulations each).
    #[arg(long)]
    gradient_iterations: Option<usize>,
    /// Standard deviation of the noise on the concentration before thresholding.
    #[arg(long)]
    noise: Option<f64>,
}

#[derive(clap::Args)]
pub struct LagrangianPinnArgs {
    #[command(flatten)]
    common: CommonFlags,
    /// Adam steps per fit.
    #[arg(long)]
    steps: Option<usize>,
    /// Interior collocation points.
    #[arg(long)]
    interior: Option<usize>,
    /// Units per hidden layer.
    #[arg(long)]
    width: Option<usize>,
    /// Burgers' viscosity ν.
    #[arg(long)]
    viscosity: Option<f64>,
}

#[derive(clap::Args)]
pub struct DgnoArgs {
    #[command(flatten)]
    common: CommonFlags,
    /// Coefficient fields without solutions (trained on by their weak residuals).
    #[arg(long)]
    unlabelled: Option<usize>,
    /// Label counts of the sweep, comma-separated (each used by DGNO and the supervised net).
    #[arg(long, value_delimiter = ',')]
    labels: Option<Vec<usize>>,
    /// Adam steps of every training.
    #[arg(long)]
    steps: Option<usize>,
    /// Latent dimension of β.
    #[arg(long)]
    latent: Option<usize>,
    /// Sensors of the inverse problem (a square: a lattice).
    #[arg(long)]
    sensors: Option<usize>,
    /// The readings' noise spread as a fraction of each case's RMS of u.
    #[arg(long)]
    noise: Option<f64>,
    /// Held-out fields inverted.
    #[arg(long)]
    inverse_cases: Option<usize>,
    /// Test functions: a centres × centres lattice of Wendland bumps.
    #[arg(long)]
    centres: Option<usize>,
    /// The bumps' radius in grid cells.
    #[arg(long)]
    radius: Option<f64>,
    /// Adam's start rate.
    #[arg(long)]
    rate: Option<f64>,
    /// Weight of the labelled-data term in DGNO's loss.
    #[arg(long)]
    data_weight: Option<f64>,
}

#[derive(clap::Args)]
pub struct InsrArgs {
    #[command(flatten)]
    common: CommonFlags,
    /// INSR widths, comma-separated (the memory sweep; each grid gets as many values as the
    /// network has weights).
    #[arg(long, value_delimiter = ',')]
    widths: Option<Vec<usize>>,
    /// Adam iterations per time step.
    #[arg(long)]
    iterations: Option<usize>,
    /// Adam iterations of the fit to the initial condition.
    #[arg(long)]
    initial_iterations: Option<usize>,
    /// Points drawn per Adam iteration.
    #[arg(long)]
    points: Option<usize>,
    /// Burgers' viscosity ν.
    #[arg(long)]
    viscosity: Option<f64>,
}

#[derive(clap::Args)]
pub struct EllipticApproximationArgs {
    #[command(flatten)]
    common: CommonFlags,
    /// Adam steps per network.
    #[arg(long)]
    steps: Option<usize>,
    /// Monte Carlo points per Adam step.
    #[arg(long)]
    batch: Option<usize>,
    /// Initialisations per width (the one of least energy is kept).
    #[arg(long)]
    restarts: Option<usize>,
    /// The relative L2 error a width must reach.
    #[arg(long)]
    target: Option<f64>,
}

#[derive(clap::Args)]
pub struct SemilinearOperatorArgs {
    #[command(flatten)]
    common: CommonFlags,
    /// Adam steps of the prediction stage (the learned nonlinearity).
    #[arg(long)]
    steps: Option<usize>,
    /// Adam steps of the assimilation stage (the learned observer gain).
    #[arg(long)]
    gain_steps: Option<usize>,
    /// Sensors (random grid points) read at every step.
    #[arg(long)]
    sensors: Option<usize>,
    /// The readings' noise spread, as a fraction of the data's RMS.
    #[arg(long)]
    noise: Option<f64>,
    /// Steps of the held-out test trajectories.
    #[arg(long)]
    horizon: Option<usize>,
}

#[derive(clap::Args)]
pub struct IfactformerArgs {
    #[command(flatten)]
    common: CommonFlags,
    /// Adam steps of each network's training.
    #[arg(long)]
    steps: Option<usize>,
    /// Repetitions L of the implicit (weight-shared) layer.
    #[arg(long)]
    repeats: Option<usize>,
    /// Token width of both networks.
    #[arg(long)]
    width: Option<usize>,
    /// Rollout steps on the held-out trajectories.
    #[arg(long)]
    horizon: Option<usize>,
    /// The flow's viscosity ν.
    #[arg(long)]
    viscosity: Option<f64>,
}

/// Runs `tumour-growth` with `say` for progress lines.
pub fn tumour_growth(args: TumourGrowthArgs, say: &mut dyn FnMut(&str)) -> Result<(), Failure> {
    let TumourGrowthArgs {
        common: CommonFlags { seed, out, quick },
        database,
        patients,
        cma_evaluations,
        gradient_iterations,
        noise,
    } = args;
    let base = base(quick, tumour_growth::Settings::quick);
    let settings = tumour_growth::Settings {
        seed,
        database: database.unwrap_or(base.database),
        patients: patients.unwrap_or(base.patients),
        cma_evaluations: cma_evaluations.unwrap_or(base.cma_evaluations),
        gradient_iterations: gradient_iterations.unwrap_or(base.gradient_iterations),
        noise: noise.unwrap_or(base.noise),
        ..base
    };
    let [a, b] = tumour_growth::FIGURES;
    let names = ["metrics.json", a, b, "report.html"];
    generated(&out, &names, || tumour_growth::run(&settings, say))
}

/// Runs `lagrangian-pinn` with `say` for progress lines.
pub fn lagrangian_pinn(args: LagrangianPinnArgs, say: &mut dyn FnMut(&str)) -> Result<(), Failure> {
    let LagrangianPinnArgs {
        common: CommonFlags { seed, out, quick },
        steps,
        interior,
        width,
        viscosity,
    } = args;
    let base = base(quick, lagrangian_pinn::Settings::quick);
    let settings = lagrangian_pinn::Settings {
        seed,
        steps: steps.unwrap_or(base.steps),
        interior: interior.unwrap_or(base.interior),
        width: width.unwrap_or(base.width),
        viscosity: viscosity.unwrap_or(base.viscosity),
        ..base
    };
    let names = ["metrics.json", lagrangian_pinn::FIGURE, "report.html"];
    generated(&out, &names, || lagrangian_pinn::run(&settings, say))
}

/// Runs `insr` with `say` for progress lines.
pub fn insr(args: InsrArgs, say: &mut dyn FnMut(&str)) -> Result<(), Failure> {
    let InsrArgs {
        common: CommonFlags { seed, out, quick },
        widths,
        iterations,
        initial_iterations,
        points,
        viscosity,
    } = args;
    let base = base(quick, insr::Settings::quick);
    let settings = insr::Settings {
        seed,
        widths: widths.unwrap_or(base.widths.clone()),
        iterations: iterations.unwrap_or(base.iterations),
        initial_iterations: initial_iterations.unwrap_or(base.initial_iterations),
        points: points.unwrap_or(base.points),
        viscosity: viscosity.unwrap_or(base.viscosity),
        ..base
    };
    let names = ["metrics.json", insr::FIGURE, "report.html"];
    generated(&out, &names, || insr::run(&settings, say))
}

/// Runs `dgno` with `say` for progress lines.
pub fn dgno(args: DgnoArgs, say: &mut dyn FnMut(&str)) -> Result<(), Failure> {
    let DgnoArgs {
        common: CommonFlags { seed, out, quick },
        unlabelled,
        labels,
        steps,
        latent,
        sensors,
        noise,
        inverse_cases,
        centres,
        radius,
        rate,
        data_weight,
    } = args;
    let base = base(quick, dgno::Settings::quick);
    let settings = dgno::Settings {
        seed,
        unlabelled: unlabelled.unwrap_or(base.unlabelled),
        labels: labels.unwrap_or(base.labels.clone()),
        steps: steps.unwrap_or(base.steps),
        latent: latent.unwrap_or(base.latent),
        sensors: sensors.unwrap_or(base.sensors),
        noise: noise.unwrap_or(base.noise),
        inverse_cases: inverse_cases.unwrap_or(base.inverse_cases),
        centres: centres.unwrap_or(base.centres),
        radius: radius.unwrap_or(base.radius),
        rate: rate.unwrap_or(base.rate),
        data_weight: data_weight.unwrap_or(base.data_weight),
        ..base
    };
    let names = ["metrics.json", dgno::FIGURE, "report.html"];
    generated(&out, &names, || dgno::run(&settings, say))
}

/// Runs `elliptic-approximation` with `say` for progress lines.
pub fn elliptic_approximation(
    args: EllipticApproximationArgs,
    say: &mut dyn FnMut(&str),
) -> Result<(), Failure> {
    let EllipticApproximationArgs {
        common: CommonFlags { seed, out, quick },
        steps,
        batch,
        restarts,
        target,
    } = args;
    let base = base(quick, elliptic_approximation::Settings::quick);
    let settings = elliptic_approximation::Settings {
        seed,
        steps: steps.unwrap_or(base.steps),
        batch: batch.unwrap_or(base.batch),
        restarts: restarts.unwrap_or(base.restarts),
        target: target.unwrap_or(base.target),
        // The looser error follows a target set above it.
        loose_target: base.loose_target.max(target.unwrap_or(0.0)),
        ..base
    };
    let names = [
        "metrics.json",
        elliptic_approximation::FIGURE,
        "report.html",
    ];
    generated(&out, &names, || elliptic_approximation::run(&settings, say))
}

/// Runs `semilinear-operator` with `say` for progress lines.
pub fn semilinear_operator(
    args: SemilinearOperatorArgs,
    say: &mut dyn FnMut(&str),
) -> Result<(), Failure> {
    let SemilinearOperatorArgs {
        common: CommonFlags { seed, out, quick },
        steps,
        gain_steps,
        sensors,
        noise,
        horizon,
    } = args;
    let base = base(quick, semilinear_operator::Settings::quick);
    let settings = semilinear_operator::Settings {
        seed,
        steps: steps.unwrap_or(base.steps),
        gain_steps: gain_steps.unwrap_or(base.gain_steps),
        sensors: sensors.unwrap_or(base.sensors),
        noise: noise.unwrap_or(base.noise),
        horizon: horizon.unwrap_or(base.horizon),
        ..base
    };
    let names = [
        "metrics.json",
        semilinear_operator::FIGURE,
        semilinear_operator::SPACE_TIME,
        "report.html",
    ];
    generated(&out, &names, || semilinear_operator::run(&settings, say))
}

/// Runs `ifactformer` with `say` for progress lines.
pub fn ifactformer(args: IfactformerArgs, say: &mut dyn FnMut(&str)) -> Result<(), Failure> {
    let IfactformerArgs {
        common: CommonFlags { seed, out, quick },
        steps,
        repeats,
        width,
        horizon,
        viscosity,
    } = args;
    let base = base(quick, ifactformer::Settings::quick);
    let settings = ifactformer::Settings {
        seed,
        steps: steps.unwrap_or(base.steps),
        repeats: repeats.unwrap_or(base.repeats),
        width: width.unwrap_or(base.width),
        horizon: horizon.unwrap_or(base.horizon),
        viscosity: viscosity.unwrap_or(base.viscosity),
        ..base
    };
    let names = [
        "metrics.json",
        ifactformer::FIGURE,
        ifactformer::SNAPSHOTS,
        "report.html",
    ];
    generated(&out, &names, || ifactformer::run(&settings, say))
}
