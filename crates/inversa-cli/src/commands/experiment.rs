//! `inversa experiment …`: the paper experiments of `inversa_lab`, each writing
//! `DIR/metrics.json` and its plots (`DIR/*.png`).
//!
//! * `matrix-sensing`: error ‖XXᵀ − M*‖_F against the iteration for several widths `k` and
//!   initialisation scales `α`, symmetric and asymmetric, with and without the one-step modification;
//! * `convex-relu`: ADMM on the convex program against Adam on the same two-layer ReLU network,
//!   from several seeds, on two interleaved spirals;
//! * `mfac`: time per inverse-Fisher product against `m` and `d`, and steps to a target loss for
//!   M-FAC, SGD and Adam over learning-rate grids;
//! * `last-iterate-sgd`: the last iterate's suboptimality against `T` next to the averaged
//!   iterate, on Lipschitz, composite, strongly convex and hard problems, over 20 seeds;
//! * `self-distillation`: iterated self-distillation in kernel ridge regression, its closed forms
//!   against brute force and the test-error gain;
//! * `gaunt`: the Gaunt tensor product through the 2-D Fourier basis and an FFT against the
//!   direct sum over Gaunt coefficients (3j symbols) and quadrature, its rotation equivariance
//!   (Wigner-D) and its cost against the degree L;
//! * `schrodinger-bridge`: trajectories inferred from snapshots by piecewise Schrödinger bridges
//!   with a Brownian and with an iteratively refined reference, on a Gaussian chain and a
//!   Lotka–Volterra ecology;
//! * `ptd`: perturb-then-diagonalise for HiPPO-LegS: the transfer-function error of S4D's and
//!   PTD's diagonal systems against ε, κ(V) and n, and S4D against S4-PTD layers trained on
//!   sequential Fashion-MNIST, tested with Fourier-mode noise;
//! * `tumour-growth`: the diffusivity, proliferation rate and origin of a Fisher–Kolmogorov
//!   tumour on an MNI152 brain slice from its two-level segmentation, by a query of a precomputed
//!   database of simulations against CMA-ES and Adam (errors and seconds per patient);
//! * `lagrangian-pinn`: a standard PINN against the Lagrangian PINN (characteristics and the state
//!   carried along them) on advection at increasing speeds and on viscous Burgers;
//! * `insr`: implicit neural spatial representations, a SIREN whose weights are optimised at each
//!   time step, against semi-Lagrangian grid solvers of the same memory, on advection and viscous
//!   Burgers ([`crate::commands::pde_experiments`]);
//! * `itransformer`: iTransformer (variate tokens) against the temporal-token Transformer and a
//!   linear map on US macroeconomic series and Lorenz-96, MSE/MAE per horizon
//!   ([`crate::commands::sequence_experiments`]);
//! * `elliptic-approximation`: a nonlinear variational elliptic PDE in increasing dimension d, by
//!   preconditioned gradient descent in function space and by two-layer Deep Ritz networks (the
//!   width needed for a fixed error against d);
//! * `semilinear-operator`: a semilinear neural operator on Kuramoto–Sivashinsky, predicting alone
//!   and with a learned observer assimilating sparse noisy sensors (error against time);
//! * `ifactformer`: IFactFormer-m (parallel factorised attention) against the chained
//!   factorisation, implicit and of equal parameters, rolled out far past their one-step training
//!   on filtered 2-D Kolmogorov flow (error against step, divergence, late energy spectrum);
//! * `dgno`: the deep generative neural operator on two-phase Darcy flow, trained on weak-form
//!   residuals of unlabelled fields plus a few labels, against the same net trained on the labels
//!   alone, and its latent posterior from sparse noisy sensors (errors and coverage);
//! * `posterior`: every diffusion posterior sampler against exact posterior samples of a
//!   Gaussian-mixture prior (sliced W₂, energy distance, mean error, spread) against network calls;
//! * `editing`: every diffusion and rectified-flow inversion method reconstructing and editing
//!   the bundled Fashion-MNIST test images ([`crate::commands::editing_experiment`]);
//! * `diffusion-priors`: the diffusion posterior samplers against TV and PnP on every core physics
//!   on held-out Fashion-MNIST test images, and the papers' budget claims
//!   ([`crate::commands::diffusion_priors_experiment`]).

use super::experiment_output::{base, generated, CommonFlags};
use crate::failure::Failure;
use inversa_lab::{
    convex_relu, gaunt, last_iterate_sgd, matrix_sensing, mfac, posterior_vs_exact, ptd,
    schrodinger_bridge, self_distillation,
};
use std::path::PathBuf;

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
    /// Last-iterate convergence of SGD (Liu & Zhou, ICLR 2024): suboptimality against T.
    LastIterateSgd {
        #[command(flatten)]
        common: CommonFlags,
        /// Noise streams per curve (quantiles over them); at least 10.
        #[arg(long)]
        seeds: Option<usize>,
        /// Largest horizon T of the random problems.
        #[arg(long)]
        max_horizon: Option<usize>,
    },
    /// Self-distillation in kernel ridge regression (Borup & Andersen, NeurIPS 2021).
    SelfDistillation {
        #[command(flatten)]
        common: CommonFlags,
        /// Data sets drawn (medians over them).
        #[arg(long)]
        seeds: Option<usize>,
        /// Distillation steps after the initial fit.
        #[arg(long)]
        steps: Option<usize>,
    },
    /// Gaunt tensor products in the Fourier basis (Luo, Chen & Krishnapriyan, ICLR 2024): error
    /// against the direct Gaunt sum, rotation equivariance and cost against L.
    Gaunt {
        #[command(flatten)]
        common: CommonFlags,
        /// The accuracy and equivariance checks run at L = 1 ..= this (at most 12).
        #[arg(long)]
        check_degree: Option<usize>,
        /// Timed calls per degree (their median is reported).
        #[arg(long)]
        repeats: Option<usize>,
    },
    /// Multi-marginal Schrödinger bridges with iterative reference refinement (Shen, Berlinghieri &
    /// Broderick, AISTATS 2025): trajectories from snapshots.
    SchrodingerBridge {
        #[command(flatten)]
        common: CommonFlags,
        /// Individuals per snapshot (each bridge holds an n × n coupling).
        #[arg(long)]
        particles: Option<usize>,
        /// Snapshot times.
        #[arg(long)]
        snapshots: Option<usize>,
        /// Refinements of the reference after the Brownian bridges.
        #[arg(long)]
        refinements: Option<usize>,
        /// Diffusion σ of the simulations and of every reference.
        #[arg(long)]
        sigma: Option<f64>,
    },
    /// Perturb-then-diagonalise for state-space models (Yu et al., ICLR 2024): transfer-function
    /// errors of S4D and PTD, and S4D against S4-PTD on sequential Fashion-MNIST with noise.
    Ptd {
        #[command(flatten)]
        common: CommonFlags,
        /// State size n of the ε sweep and of the trained layers.
        #[arg(long)]
        state_size: Option<usize>,
        /// Fashion-MNIST folder (default: the Debian package's, else the bundled test images).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Training sequences (the first of the training set).
        #[arg(long)]
        train_images: Option<usize>,
        /// Test sequences (the first of the test set).
        #[arg(long)]
        test_images: Option<usize>,
        #[arg(long)]
        epochs: Option<usize>,
        /// SSM channels H per layer.
        #[arg(long)]
        channels: Option<usize>,
        /// ‖E‖₂ of the trained S4-PTD layers' perturbation.
        #[arg(long)]
        train_epsilon: Option<f64>,
    },
    /// Personalised tumour growth by a database query (Ezhov et al., ML4H 2022): D, ρ and the
    /// origin of a Fisher–Kolmogorov tumour on an MNI152 slice, against CMA-ES and Adam.
    TumourGrowth(crate::commands::pde_experiments::TumourGrowthArgs),
    /// Lagrangian PINNs (Mojgani, Balajewicz & Hassanzadeh, 2022): the standard PINN's error against
    /// the advection speed next to the Lagrangian PINN's, and both on viscous Burgers.
    LagrangianPinn(crate::commands::pde_experiments::LagrangianPinnArgs),
    /// Implicit neural spatial representations (Chen et al., ICML 2023): INSR's error against its
    /// memory next to grid solvers of the same memory, on advection and viscous Burgers.
    Insr(crate::commands::pde_experiments::InsrArgs),
    /// iTransformer (Liu et al., ICLR 2024): variate tokens against time tokens and a linear map,
    /// test MSE/MAE per horizon on macroeconomic series and Lorenz-96.
    Itransformer(crate::commands::sequence_experiments::ItransformerArgs),
    /// Neural network approximation of nonlinear elliptic PDEs (Marwah, Lipton, Lu & Risteski,
    /// ICML 2023): function-space preconditioned GD's rate and the Deep Ritz width needed for a
    /// fixed error, against the dimension.
    EllipticApproximation(crate::commands::pde_experiments::EllipticApproximationArgs),
    /// Semilinear neural operators with data assimilation, NODA (Singh, Borsoi, Erdogmus &
    /// Imbiriba, ICLR 2024): on Kuramoto–Sivashinsky, the error against time of prediction alone
    /// and with a learned observer of sparse noisy sensors, over many training windows.
    SemilinearOperator(crate::commands::pde_experiments::SemilinearOperatorArgs),
    /// Implicit factorised transformer, IFactFormer-m (Yang, Wang & Wang, 2025): parallel against
    /// chained factorised attention at equal parameters, long rollouts of filtered 2-D Kolmogorov
    /// flow (error growth, divergence, late energy spectrum).
    Ifactformer(crate::commands::pde_experiments::IfactformerArgs),
    /// DGNO, the deep generative neural operator (Zang & Koutsourelakis, J. Comput. Phys. 2025):
    /// two-phase Darcy flow, the forward error against the label count next to a supervised net,
    /// and the inverse problem's posterior (errors, coverage of its credible intervals).
    Dgno(crate::commands::pde_experiments::DgnoArgs),
    /// Diffusion posterior samplers against the exact posterior of a Gaussian mixture (issue 18,
    /// tier 1): which samplers sample the posterior and which only estimate its mean.
    Posterior {
        #[command(flatten)]
        common: CommonFlags,
        /// Samples per sampler and budget (and exact samples to compare with).
        #[arg(long)]
        samples: Option<usize>,
        /// Image side: the prior lives in side² dimensions (2–16).
        #[arg(long)]
        side: Option<usize>,
    },
    /// Diffusion and rectified-flow inversion: reconstruct and edit Fashion-MNIST test images with
    /// every method.
    Editing(crate::commands::editing_experiment::EditingArgs),
    /// Diffusion models as priors: DPS, DDNM, DDS, DiffPIR, RED-Diff and STSL against TV and PnP on
    /// every core physics, on held-out Fashion-MNIST test images.
    DiffusionPriors(crate::commands::diffusion_priors_experiment::DiffusionPriorsArgs),
}

pub fn run(args: ExperimentArgs) -> Result<(), Failure> {
    let say = &mut |line: &str| say!("{line}");
    match args.which {
        Which::MatrixSensing {
            seed,
            out,
            n,
            rank,
            iterations,
        } => {
            let settings = matrix_sensing::Settings {
                seed,
                n,
                rank,
                iterations,
            };
            generated(&out, &["metrics.json", "matrix_sensing.png"], || {
                matrix_sensing::run(&settings, say)
            })
        }
        Which::ConvexRelu {
            seed,
            out,
            samples,
            patterns,
            beta,
            seeds,
            steps,
        } => {
            let settings = convex_relu::Settings {
                seed,
                samples,
                patterns,
                beta,
                seeds,
                steps,
            };
            generated(&out, &["metrics.json", "convex_relu.png"], || {
                convex_relu::run(&settings, say)
            })
        }
        Which::Mfac {
            seed,
            out,
            max_d,
            max_steps,
        } => {
            let settings = mfac::Settings {
                seed,
                max_d,
                max_steps,
            };
            let names = ["metrics.json", "mfac_timing.png", "mfac_optimiser.png"];
            generated(&out, &names, || mfac::run(&settings, say))
        }
        Which::LastIterateSgd {
            common: CommonFlags { seed, out, quick },
            seeds,
            max_horizon,
        } => {
            let base = base(quick, last_iterate_sgd::Settings::quick);
            let settings = last_iterate_sgd::Settings {
                seed,
                seeds: seeds.unwrap_or(base.seeds),
                max_horizon: max_horizon.unwrap_or(base.max_horizon),
                ..base
            };
            let names = [
                "metrics.json",
                last_iterate_sgd::FIGURE_BOUNDED,
                last_iterate_sgd::FIGURE_HEAVY,
                "report.html",
            ];
            generated(&out, &names, || last_iterate_sgd::run(&settings, say))
        }
        Which::SelfDistillation {
            common: CommonFlags { seed, out, quick },
            seeds,
            steps,
        } => {
            let base = base(quick, self_distillation::Settings::quick);
            let settings = self_distillation::Settings {
                seed,
                seeds: seeds.unwrap_or(base.seeds),
                steps: steps.unwrap_or(base.steps),
                ..base
            };
            let names = ["metrics.json", self_distillation::FIGURE, "report.html"];
            generated(&out, &names, || self_distillation::run(&settings, say))
        }
        Which::Gaunt {
            common: CommonFlags { seed, out, quick },
            check_degree,
            repeats,
        } => {
            let base = base(quick, gaunt::Settings::quick);
            let settings = gaunt::Settings {
                seed,
                check_degree: check_degree.unwrap_or(base.check_degree),
                repeats: repeats.unwrap_or(base.repeats),
                ..base
            };
            let names = ["metrics.json", gaunt::FIGURE, "report.html"];
            generated(&out, &names, || gaunt::run(&settings, say))
        }
        Which::TumourGrowth(args) => crate::commands::pde_experiments::tumour_growth(args, say),
        Which::LagrangianPinn(args) => crate::commands::pde_experiments::lagrangian_pinn(args, say),
        Which::Insr(args) => crate::commands::pde_experiments::insr(args, say),
        Which::Itransformer(args) => crate::commands::sequence_experiments::itransformer(args, say),
        Which::EllipticApproximation(args) => {
            crate::commands::pde_experiments::elliptic_approximation(args, say)
        }
        Which::SemilinearOperator(args) => {
            crate::commands::pde_experiments::semilinear_operator(args, say)
        }
        Which::Ifactformer(args) => crate::commands::pde_experiments::ifactformer(args, say),
        Which::Dgno(args) => crate::commands::pde_experiments::dgno(args, say),
        Which::SchrodingerBridge {
            common: CommonFlags { seed, out, quick },
            particles,
            snapshots,
            refinements,
            sigma,
        } => {
            let base = base(quick, schrodinger_bridge::Settings::quick);
            let settings = schrodinger_bridge::Settings {
                seed,
                particles: particles.unwrap_or(base.particles),
                snapshots: snapshots.unwrap_or(base.snapshots),
                refinements: refinements.unwrap_or(base.refinements),
                sigma: sigma.unwrap_or(base.sigma),
                ..base
            };
            let [a, b, c] = schrodinger_bridge::FIGURES;
            let names = ["metrics.json", a, b, c, "report.html"];
            generated(&out, &names, || schrodinger_bridge::run(&settings, say))
        }
        Which::Ptd {
            common: CommonFlags { seed, out, quick },
            state_size,
            data,
            train_images,
            test_images,
            epochs,
            channels,
            train_epsilon,
        } => {
            let base = base(quick, ptd::Settings::quick);
            let settings = ptd::Settings {
                seed,
                state_size: state_size.unwrap_or(base.state_size),
                data: data.or(base.data.clone()),
                train_images: train_images.unwrap_or(base.train_images),
                test_images: test_images.unwrap_or(base.test_images),
                epochs: epochs.unwrap_or(base.epochs),
                channels: channels.unwrap_or(base.channels),
                train_epsilon: train_epsilon.unwrap_or(base.train_epsilon),
                ..base
            };
            let [a, b] = ptd::FIGURES;
            let names = ["metrics.json", a, b, "report.html"];
            generated(&out, &names, || ptd::run(&settings, say))
        }
        Which::Posterior {
            common: CommonFlags { seed, out, quick },
            samples,
            side,
        } => {
            let base = base(quick, posterior_vs_exact::Settings::quick);
            let settings = posterior_vs_exact::Settings {
                seed,
                samples: samples.unwrap_or(base.samples),
                side: side.unwrap_or(base.side),
                ..base
            };
            let names = ["metrics.json", posterior_vs_exact::FIGURE, "report.html"];
            generated(&out, &names, || posterior_vs_exact::run(&settings, say))
        }
        Which::Editing(args) => crate::commands::editing_experiment::run(args),
        Which::DiffusionPriors(args) => crate::commands::diffusion_priors_experiment::run(args),
    }
}
