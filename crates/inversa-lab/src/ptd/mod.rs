//! Perturb-then-diagonalise (PTD) for state-space models (A. Yu, A. Nigmetov, D. Morozov,
//! M. W. Mahoney, N. B. Erichson, "Robustifying State-space Models for Long Sequences via
//! Approximate Diagonalization", ICLR 2024, arXiv:2310.01698).
//!
//! S4's HiPPO-LegS state matrix `A` (see [`hippo`]) is non-normal: `A = V Λ V⁻¹` exists, but
//! `κ(V)` grows exponentially in `n`, so a diagonal SSM cannot be initialised from it directly.
//! Two diagonal systems stand in for `(A, B, C)`, each judged by its transfer function
//! `G(s) = C (sI − A)⁻¹ B` on the imaginary axis:
//!
//! ```text
//! S4D (S5):  A_N = A + P Pᵀ = V_N Λ_N V_N*   (normal, κ(V_N) = 1)      → (Λ_N, ½ V_N* B, C V_N)
//! PTD:       A + E = V_ε Λ_ε V_ε⁻¹,  ‖E‖₂ = ε  (E random)               → (Λ_ε, V_ε⁻¹ B, C V_ε)
//! ```
//!
//! S4D drops the rank-one term, so `G_S4D − G` does not vanish as `n` grows (the paper's
//! Theorem 2: only weak, input-wise convergence; Theorem 1 for smooth inputs). PTD's error is
//! `O(ε)` from the perturbation plus `O(u κ(V_ε))` from round-off (Sec. 4.1–4.2), and
//! `κ(V_ε)` falls as `ε` grows: a trade-off with a minimum between.
//!
//! Protocol: (1) the LegS matrix against its defining property (the exact Legendre coefficients
//! of `tᵏ` are fixed points, [`hippo`]) and `A_N` normal; (2) for each `ε` on a grid, the
//! transfer-function error of PTD, `κ(V_ε)`, the backward error, and the diagonal form against
//! a dense solve of `A + E`, next to S4D and the direct (`ε = 0`) diagonalisation; (3) the same
//! errors against `n`; (4) the small diagonal-SSM classifier of [`ssm`] trained on sequential
//! Fashion-MNIST (784 steps) from S4D's and from PTD's modes, and tested with a Fourier mode
//! added to the inputs ([`train`]).

use crate::error::check_memory;
use crate::outcome::{report_page, Artifact, Outcome};
use crate::{Error, Result};
use inversa::solvers::SolverError;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

pub mod diagonal;
mod figures;
pub mod hippo;
pub mod ssm;
pub mod train;
pub mod transfer;

use ssm::Modes;
use train::{ModelRun, LENGTH};
use transfer::{Approximation, Bench};

/// Largest state size of the transfer-function study (dense `O(n³)` solves per frequency).
pub const MAX_STATE: usize = 512;

/// The largest perturbation size accepted.
pub const MAX_EPSILON: f64 = 100.0;

/// The experiment's settings (read from Python's keywords, where a missing one keeps its default
/// and an unknown one is an error).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub seed: u64,
    /// `n` of the ε sweep and of the trained layers' modes.
    pub state_size: usize,
    /// Perturbation sizes `‖E‖₂` of the sweep (increasing, positive).
    pub epsilons: Vec<f64>,
    /// The `ε` of the size study (near the sweep's optimum).
    pub ptd_epsilon: f64,
    /// The `ε` of the trained S4-PTD layers: larger, since the modes' `V_ε⁻¹ B` grows with
    /// `κ(V_ε)` and the network trains in f32 with a random `C̃`, not `C V_ε`.
    pub train_epsilon: f64,
    /// State sizes of the size study.
    pub sizes: Vec<usize>,
    /// Frequencies `ω` on the log grid `[10⁻², 10⁴]`.
    pub frequencies: usize,
    /// Fashion-MNIST folder (default: the Debian package's, else the bundled 100 test images).
    pub data: Option<PathBuf>,
    pub train_images: usize,
    pub test_images: usize,
    pub epochs: usize,
    pub batch: usize,
    /// SSM channels `H`.
    pub channels: usize,
    pub layers: usize,
    pub learning_rate: f64,
    /// Amplitudes `a` of the Fourier mode added to the test inputs (standardised pixel units).
    pub noise_amplitudes: Vec<f64>,
    /// Whole cycles `f` over the 784 steps, drawn uniformly per test sequence.
    pub noise_band: [u32; 2],
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            seed: 0,
            state_size: 64,
            epsilons: (0..=14).map(|k| 10f64.powi(k - 14)).collect(),
            ptd_epsilon: 1e-6,
            train_epsilon: 0.1,
            sizes: vec![8, 16, 32, 64, 128, 256],
            frequencies: 300,
            data: None,
            train_images: 2000,
            test_images: 500,
            epochs: 3,
            batch: 32,
            channels: 16,
            layers: 2,
            learning_rate: 5e-3,
            noise_amplitudes: vec![0.0, 0.5, 1.0, 2.0],
            noise_band: [98, 392],
        }
    }
}

impl Settings {
    /// The small setting of the test and of `--quick`.
    pub fn quick() -> Self {
        Self {
            state_size: 16,
            epsilons: vec![1e-12, 1e-8, 1e-4, 1e-1],
            sizes: vec![8, 16, 32],
            frequencies: 60,
            train_images: 160,
            test_images: 40,
            epochs: 3,
            batch: 16,
            channels: 8,
            layers: 1,
            noise_amplitudes: vec![0.0, 1.0],
            ..Self::default()
        }
    }

    fn check(&self) -> Result<()> {
        let counts = [
            ("state_size", self.state_size, 2, MAX_STATE),
            ("frequencies", self.frequencies, 2, 100_000),
            ("train_images", self.train_images, 1, 60_000),
            ("test_images", self.test_images, 1, 10_000),
            ("epochs", self.epochs, 1, 1000),
            ("batch", self.batch, 1, 4096),
            ("channels", self.channels, 1, 1024),
            ("layers", self.layers, 1, 16),
        ];
        for (key, value, least, most) in counts {
            if value < least || value > most {
                return Err(Error::setting(
                    key,
                    format!("must be in {least} ..= {most}, got {value}"),
                ));
            }
        }
        if self.sizes.is_empty() || self.sizes.iter().any(|&n| !(2..=MAX_STATE).contains(&n)) {
            return Err(Error::setting(
                "sizes",
                format!("needs sizes in 2 ..= {MAX_STATE}, got {:?}", self.sizes),
            ));
        }
        // PTD's perturbation is small against ‖A‖ (≈ n); far beyond it the eigensolver sees
        // overflowing entries, not an approximate LegS.
        let in_range = |v: f64| v.is_finite() && v > 0.0 && v <= MAX_EPSILON;
        let epsilons = [
            (
                "epsilons",
                self.epsilons.iter().all(|&e| in_range(e)) && !self.epsilons.is_empty(),
            ),
            ("ptd_epsilon", in_range(self.ptd_epsilon)),
            ("train_epsilon", in_range(self.train_epsilon)),
        ];
        for (key, fine) in epsilons {
            if !fine {
                let message = format!("must lie in (0, {MAX_EPSILON}]");
                return Err(Error::setting(key, message));
            }
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(Error::setting(
                "learning_rate",
                format!("must be finite and positive, got {}", self.learning_rate),
            ));
        }
        if self.noise_amplitudes.first() != Some(&0.0)
            || !self
                .noise_amplitudes
                .iter()
                .all(|a| a.is_finite() && *a >= 0.0)
        {
            return Err(Error::setting(
                "noise_amplitudes",
                "must start with 0 (the clean test) and be finite, non-negative",
            ));
        }
        let [low, high] = self.noise_band;
        if low < 1 || low > high || high as usize > LENGTH / 2 {
            return Err(Error::setting(
                "noise_band",
                format!(
                    "needs 1 ≤ low ≤ high ≤ {}, got {:?}",
                    LENGTH / 2,
                    self.noise_band
                ),
            ));
        }
        // The Toeplitz matrix of each layer, its gradient and the kernel's intermediates.
        check_memory(
            "channels",
            &[self.channels, LENGTH, LENGTH],
            4,
            4 * self.layers,
        )?;
        check_memory(
            "batch",
            &[self.batch, LENGTH, self.channels],
            4,
            8 * self.layers,
        )
    }
}

/// `metrics.json`.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub experiment: &'static str,
    pub settings: Settings,
    pub checks: Checks,
    /// At `n = state_size`.
    pub s4d: Approximation,
    /// The eigendecomposition of `A` itself (`ε = 0`).
    pub direct: Approximation,
    /// PTD at each `ε` of the settings.
    pub sweep: Vec<Approximation>,
    pub sizes: Vec<SizeRow>,
    pub training: Training,
}

/// The closed-form checks.
#[derive(Clone, Debug, Serialize)]
pub struct Checks {
    /// `max |v_k − c_k|` over `k ≤ 5`: the fixed point `v_k = −(A − kI)⁻¹B` of LegS's dynamics
    /// for the input `tᵏ` against `tᵏ`'s exact scaled-Legendre coefficients.
    pub legs_fixed_points: f64,
    /// `‖A_N A_Nᵀ − A_Nᵀ A_N‖_F / ‖A_N‖_F²`.
    pub normal_part_commutator: f64,
}

/// The errors at one state size.
#[derive(Clone, Debug, Serialize)]
pub struct SizeRow {
    pub n: usize,
    pub s4d: Approximation,
    pub ptd: Approximation,
    pub direct: Approximation,
}

/// The trained classifiers.
#[derive(Clone, Debug, Serialize)]
pub struct Training {
    pub data: String,
    /// S4D's and S4-PTD's runs, in that order.
    pub runs: Vec<ModelRun>,
}

/// The figures' names.
pub const FIGURES: [&str; 2] = ["ptd_transfer.png", "ptd_training.png"];

/// A failed decomposition or training, as the core's solver error.
pub fn failed(reason: &str) -> Error {
    Error::Core(inversa::Error::Solver(SolverError::Unsupported {
        solver: "PTD",
        reason: reason.into(),
    }))
}

/// Runs the checks, the sweeps and the training; `say` receives a line per step.
pub fn run(settings: &Settings, say: &mut dyn FnMut(&str)) -> Result<Outcome<Report>> {
    settings.check()?;
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
    let n = settings.state_size;
    let checks = Checks {
        legs_fixed_points: hippo::fixed_point_error(n, 5.min(n - 1)),
        normal_part_commutator: hippo::commutator(&hippo::normal_part(n)),
    };
    let bench = Bench::new(n, settings.frequencies, &mut rng);
    let s4d = bench.s4d()?;
    let (direct, _) = bench.ptd(0.0, &mut rng)?;
    let sweep = settings
        .epsilons
        .iter()
        .map(|&eps| Ok(bench.ptd(eps, &mut rng)?.0))
        .collect::<Result<Vec<_>>>()?;
    say(&format!(
        "n = {n}: S4D error {:.2e}; direct κ(V) {:.1e}, error {:.2e}; PTD best {:.2e}",
        s4d.transfer_error,
        direct.condition,
        direct.transfer_error,
        sweep
            .iter()
            .map(|a| a.transfer_error)
            .fold(f64::INFINITY, f64::min)
    ));
    let sizes = settings
        .sizes
        .iter()
        .map(|&size| size_row(size, settings, &mut rng))
        .collect::<Result<Vec<_>>>()?;
    let training = train_both(settings, &bench, &mut rng, say)?;
    let report = Report {
        experiment: "ptd",
        settings: settings.clone(),
        checks,
        s4d,
        direct,
        sweep,
        sizes,
        training,
    };
    let page = report_page(
        "Perturb-then-diagonalise for state-space models (Yu et al., ICLR 2024)",
        &figures::page_text(&report),
        &FIGURES,
        &report,
    )?;
    let [transfer_figure, training_figure] = figures::figures(&report);
    let outcome = Outcome::new(report)
        .with(FIGURES[0], Artifact::Plot(transfer_figure))
        .with(FIGURES[1], Artifact::Plot(training_figure))
        .with("report.html", page);
    // A NaN anywhere is a failed run, not a result.
    outcome.check_finite()?;
    Ok(outcome)
}

fn size_row(n: usize, settings: &Settings, rng: &mut ChaCha8Rng) -> Result<SizeRow> {
    let bench = Bench::new(n, settings.frequencies, rng);
    Ok(SizeRow {
        n,
        s4d: bench.s4d()?,
        ptd: bench.ptd(settings.ptd_epsilon, rng)?.0,
        direct: bench.ptd(0.0, rng)?.0,
    })
}

/// Trains from S4D's modes, then from PTD's at `ptd_epsilon`.
fn train_both(
    settings: &Settings,
    bench: &Bench,
    rng: &mut ChaCha8Rng,
    say: &mut dyn FnMut(&str),
) -> Result<Training> {
    let (train_set, test_set, data) = train::load(settings)?;
    say(&format!("training on {data}"));
    let s4d = diagonal::Diagonal::of(&hippo::s4d_legs(bench.legs.n), &bench.c)?;
    let (_, ptd) = bench.ptd(settings.train_epsilon, rng)?;
    let mut runs = Vec::new();
    // ‖½B‖₂, S4D's ‖B̃‖₂ (V_N is unitary).
    let target = 0.5 * bench.legs.b.iter().map(|b| b * b).sum::<f64>().sqrt();
    for (name, d) in [("S4D", s4d), ("S4-PTD", ptd)] {
        // With a random C̃ in place of C V_ε, V_ε⁻¹B's overall size (up to κ(V_ε)) is only a
        // scale of the first kernel; both models start with ‖B̃‖₂ = ‖½B‖₂ (a no-op for S4D).
        let norm = d.b.iter().map(|b| b.norm_sqr()).sum::<f64>().sqrt();
        let b: Vec<_> = d.b.iter().map(|b| b * (target / norm)).collect();
        let largest = b.iter().map(|b| b.norm()).fold(0.0, f64::max);
        say(&format!(
            "{name}: κ(V) {:.1e}, max |B̃| {largest:.1e} after scaling by {:.1e}",
            d.condition,
            target / norm
        ));
        let modes = Modes {
            lambda: d.lambda,
            b,
        };
        let mut run = train::train(name, &modes, settings, (&train_set, &test_set), say)?;
        run.condition = d.condition;
        run.largest_input = largest;
        say(&format!(
            "{name}: test accuracy {:?} at amplitudes {:?}",
            run.accuracy, settings.noise_amplitudes
        ));
        runs.push(run);
    }
    Ok(Training { data, runs })
}

#[cfg(test)]
mod tests;
