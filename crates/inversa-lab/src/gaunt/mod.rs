//! Gaunt tensor products in the 2-D Fourier basis (S. Luo, T. Chen, A. S. Krishnapriyan,
//! "Enabling Efficient Equivariant Operations in the Fourier Basis via Gaunt Tensor Products",
//! ICLR 2024, arXiv:2401.10216).
//!
//! A feature `x = (x_{lm})_{l ≤ L₁}` stands for the function `f = Σ x_{lm} Y_l^m` on the sphere.
//! The Gaunt tensor product of `x` and `y` (`l ≤ L₂`) is the coefficient vector of `f·g`:
//!
//! ```text
//! z_{l₃m₃} = Σ G^{l₃m₃}_{l₁m₁,l₂m₂} x_{l₁m₁} y_{l₂m₂},   G = ∫ Y_{l₁}^{m₁} Y_{l₂}^{m₂} conj(Y_{l₃}^{m₃}) dΩ,
//! ```
//!
//! the Clebsch–Gordan tensor product with weights fixed by the Gaunt coefficients (paper, Sec. 3.1,
//! Eq. 4), `l₃ ≤ L₁ + L₂`. The paper's method, which follows it: each `Y_l^m(θ, φ) =
//! Σ_{|u|,|v| ≤ l} y^{lm}_{uv} e^{i(uθ + vφ)}` (here `y^{lm}_{uv} = δ_{vm} c^{lm}_u`), so `f` and `g`
//! are 2-D Fourier series, their product is the 2-D convolution of the coefficient grids (FFT,
//! `O(L² log L)`), and a precomputed linear map takes Fourier coefficients back to spherical
//! harmonics; both conversions cost `O(L³)`. Against it, the direct sum over the non-zero
//! Gaunt coefficients visits `O(L⁵)` terms (`O(L⁶)` when every `(m₁, m₂, m₃)` is visited, the
//! count the paper quotes for dense Clebsch–Gordan products).
//!
//! The protocol checks the FFT product against the direct sum with Gaunt coefficients from
//! Wigner 3j symbols (Racah's formula) and against Gauss–Legendre quadrature of `f g conj(Y)`,
//! checks rotation equivariance `TP(D x, D y) = D TP(x, y)` with Wigner-D matrices of random
//! rotations, and times both products against `L` (log-log slopes fitted). Details in
//! [`harmonics`], [`fourier`], [`direct`] and [`rotation`].

use crate::compare::sup_relative_error as relative_error;
use crate::error::check_memory;
use crate::outcome::{report_page, Artifact, Outcome};
use crate::timing::median_seconds;
use crate::{Error, Result};
use inversa::numerics::gaussian;
use num_complex::Complex64 as C64;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::time::Instant;

mod direct;
mod fourier;
mod harmonics;
mod rotation;
mod summary;

use direct::{table_bound, GauntTable};
use fourier::FourierProduct;
use harmonics::{features, quadrature_product};
use rotation::{random_rotation, WignerD};
use summary::{figure, page_text, slope};

/// Highest degree of the accuracy checks (the quadrature reference and the Wigner-D matrices
/// cost `O(L⁵)` there).
pub const MAX_CHECK_DEGREE: usize = 12;
/// Highest timed degree of the FFT product (its precomputation costs `O(L⁴)`).
pub const MAX_FFT_DEGREE: usize = 64;
/// Highest timed degree of the direct product (its table holds `O(L⁵)` coefficients).
pub const MAX_DIRECT_DEGREE: usize = 24;

/// The experiment's settings (read from Python's keywords, where a missing one keeps its default
/// and an unknown one is an error).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub seed: u64,
    /// The accuracy and equivariance checks run at `L₁ = L₂ = 1 ..= check_degree`.
    pub check_degree: usize,
    /// Random rotations per degree in the equivariance check.
    pub rotations: usize,
    /// Degrees `L₁ = L₂` at which the FFT product is timed (increasing).
    pub fft_degrees: Vec<usize>,
    /// Degrees at which the direct product is timed (increasing).
    pub direct_degrees: Vec<usize>,
    /// Timed calls per degree (their median is reported).
    pub repeats: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            seed: 0,
            check_degree: 12,
            rotations: 5,
            fft_degrees: vec![2, 3, 4, 6, 8, 11, 16, 23, 32, 45, 64],
            direct_degrees: vec![2, 3, 4, 6, 8, 11, 16, 23],
            repeats: 7,
        }
    }
}

impl Settings {
    /// The small setting of the test and of `--quick`.
    pub fn quick() -> Self {
        Self {
            check_degree: 6,
            rotations: 3,
            fft_degrees: vec![2, 4, 8, 16],
            direct_degrees: vec![2, 4, 6, 8],
            repeats: 3,
            ..Self::default()
        }
    }

    fn check(&self) -> Result<()> {
        let scalars = [
            ("check_degree", self.check_degree, 1, MAX_CHECK_DEGREE),
            ("rotations", self.rotations, 1, 1000),
            ("repeats", self.repeats, 1, 1000),
        ];
        for (key, value, least, most) in scalars {
            if value < least || value > most {
                let message = format!("must be in {least} ..= {most}, got {value}");
                return Err(Error::setting(key, message));
            }
        }
        check_degrees("fft_degrees", &self.fft_degrees, MAX_FFT_DEGREE)?;
        check_degrees("direct_degrees", &self.direct_degrees, MAX_DIRECT_DEGREE)?;
        // The largest FFT product: its back-conversion matrix and grids (complex f64).
        if let Some(&top) = self.fft_degrees.last() {
            let out = features(2 * top);
            check_memory("fft_degrees", &[out, 4 * top + 1], 16, 2)?;
        }
        // The largest direct table, one (index, index, index, coefficient) entry per term.
        if let Some(&top) = self.direct_degrees.last() {
            let entry = std::mem::size_of::<(u32, u32, u32, f64)>();
            check_memory("direct_degrees", &[table_bound(top, top)], entry, 1)?;
        }
        Ok(())
    }
}

/// At least two increasing degrees in `1 ..= most` (a slope needs two).
fn check_degrees(key: &str, degrees: &[usize], most: usize) -> Result<()> {
    if degrees.len() < 2 || degrees.windows(2).any(|w| w[0] >= w[1]) {
        let message = format!("needs at least two increasing degrees, got {degrees:?}");
        return Err(Error::setting(key, message));
    }
    if degrees[0] < 1 || degrees[degrees.len() - 1] > most {
        let message = format!("must lie in 1 ..= {most}, got {degrees:?}");
        return Err(Error::setting(key, message));
    }
    Ok(())
}

/// `metrics.json`.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub experiment: &'static str,
    pub settings: Settings,
    /// One per degree `L = 1 ..= check_degree`.
    pub accuracy: Vec<Accuracy>,
    /// The worst of each column of `accuracy`.
    pub worst: Accuracy,
    pub fft_timing: Vec<FftTiming>,
    pub direct_timing: Vec<DirectTiming>,
    pub slopes: Slopes,
}

/// Relative errors `max |a − b| / max |b|` at one degree `L₁ = L₂ = L`.
#[derive(Clone, Debug, Serialize)]
pub struct Accuracy {
    pub degree: usize,
    /// FFT product against the direct sum with Gaunt coefficients from 3j symbols.
    pub fft_vs_direct: f64,
    /// FFT product against Gauss–Legendre quadrature of `f g conj(Y)`.
    pub fft_vs_quadrature: f64,
    /// The two references against each other.
    pub direct_vs_quadrature: f64,
    /// `TP(D x, D y)` against `D TP(x, y)`, worst over the rotations.
    pub equivariance: f64,
    /// `max |D D^H − I|` of the Wigner-D matrices (degrees `≤ 2L`), worst over the rotations.
    pub wigner_unitarity: f64,
}

/// The FFT product at one degree.
#[derive(Clone, Debug, Serialize)]
pub struct FftTiming {
    pub degree: usize,
    /// FFT grid side `N ≥ 4L + 1`.
    pub grid_size: usize,
    /// Median seconds of one product.
    pub seconds: f64,
    /// Seconds of the precomputation (conversion matrices, FFT plans), once per degree.
    pub setup_seconds: f64,
}

/// The direct product at one degree.
#[derive(Clone, Debug, Serialize)]
pub struct DirectTiming {
    pub degree: usize,
    /// Non-zero Gaunt coefficients (multiply-adds per product).
    pub coefficients: usize,
    pub seconds: f64,
    pub setup_seconds: f64,
    /// The FFT product against this one, relative.
    pub fft_vs_direct: f64,
}

/// Least-squares slopes of log(seconds) against log(L).
#[derive(Clone, Debug, Serialize)]
pub struct Slopes {
    pub fft_all: f64,
    /// Over the upper half of the degrees, nearer the asymptotic regime.
    pub fft_upper_half: f64,
    pub fft_predicted: f64,
    pub direct_all: f64,
    pub direct_upper_half: f64,
    /// `O(L⁵)` for the sparse sum (the paper's 6 counts the dense one).
    pub direct_predicted: f64,
}

/// The figure's name.
pub const FIGURE: &str = "gaunt.png";

/// Runs the checks and the timings; `say` receives a line per degree.
pub fn run(settings: &Settings, say: &mut dyn FnMut(&str)) -> Result<Outcome<Report>> {
    settings.check()?;
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
    let accuracy: Vec<Accuracy> = (1..=settings.check_degree)
        .map(|degree| {
            let row = check_degree(settings, degree, &mut rng);
            say(&format!(
                "L = {degree}: FFT vs 3j {:.1e}, vs quadrature {:.1e}; equivariance {:.1e}",
                row.fft_vs_direct, row.fft_vs_quadrature, row.equivariance
            ));
            row
        })
        .collect();
    let fft_timing: Vec<FftTiming> = settings
        .fft_degrees
        .iter()
        .map(|&degree| time_fft(settings, degree, &mut rng))
        .collect();
    let direct_timing: Vec<DirectTiming> = settings
        .direct_degrees
        .iter()
        .map(|&degree| time_direct(settings, degree, &mut rng))
        .collect();
    let slopes = fit_slopes(&fft_timing, &direct_timing);
    say(&format!(
        "cost slopes: FFT {:.2} (upper half {:.2}, predicted 3), direct {:.2} (upper half {:.2}, \
         predicted 5)",
        slopes.fft_all, slopes.fft_upper_half, slopes.direct_all, slopes.direct_upper_half
    ));
    let report = Report {
        experiment: "gaunt",
        settings: settings.clone(),
        worst: worst(&accuracy),
        accuracy,
        fft_timing,
        direct_timing,
        slopes,
    };
    let page = report_page(
        "Gaunt tensor products in the Fourier basis (Luo, Chen & Krishnapriyan, ICLR 2024)",
        &page_text(&report),
        &[FIGURE],
        &report,
    )?;
    let panels = figure(&report);
    let outcome = Outcome::new(report)
        .with(FIGURE, Artifact::Plot(panels))
        .with("report.html", page);
    // A NaN anywhere is a failed run, not a result.
    outcome.check_finite()?;
    Ok(outcome)
}

/// `count` complex coefficients with independent standard normal parts.
fn random_features(rng: &mut ChaCha8Rng, count: usize) -> Vec<C64> {
    let parts = gaussian(rng, 2 * count);
    parts
        .chunks_exact(2)
        .map(|p| C64::new(p[0], p[1]))
        .collect()
}

/// The FFT product against both references and under random rotations, at `L₁ = L₂ = degree`.
fn check_degree(settings: &Settings, degree: usize, rng: &mut ChaCha8Rng) -> Accuracy {
    let x = random_features(rng, features(degree));
    let y = random_features(rng, features(degree));
    let fast = FourierProduct::new(degree, degree);
    let z = fast.product(&x, &y);
    let direct = GauntTable::new(degree, degree).product(&x, &y);
    let quadrature = quadrature_product(&x, &y, degree, degree);
    let (mut equivariance, mut wigner_unitarity) = (0.0_f64, 0.0_f64);
    for _ in 0..settings.rotations {
        let d = WignerD::new(&random_rotation(rng), 2 * degree);
        let rotated = fast.product(&d.apply(&x), &d.apply(&y));
        equivariance = equivariance.max(relative_error(&rotated, &d.apply(&z)));
        wigner_unitarity = wigner_unitarity.max(d.unitarity_error());
    }
    Accuracy {
        degree,
        fft_vs_direct: relative_error(&z, &direct),
        fft_vs_quadrature: relative_error(&z, &quadrature),
        direct_vs_quadrature: relative_error(&direct, &quadrature),
        equivariance,
        wigner_unitarity,
    }
}

fn worst(rows: &[Accuracy]) -> Accuracy {
    let max = |f: fn(&Accuracy) -> f64| rows.iter().map(f).fold(0.0, f64::max);
    Accuracy {
        degree: rows.iter().map(|r| r.degree).max().unwrap_or(0),
        fft_vs_direct: max(|r| r.fft_vs_direct),
        fft_vs_quadrature: max(|r| r.fft_vs_quadrature),
        direct_vs_quadrature: max(|r| r.direct_vs_quadrature),
        equivariance: max(|r| r.equivariance),
        wigner_unitarity: max(|r| r.wigner_unitarity),
    }
}

fn time_fft(settings: &Settings, degree: usize, rng: &mut ChaCha8Rng) -> FftTiming {
    let x = random_features(rng, features(degree));
    let y = random_features(rng, features(degree));
    let clock = Instant::now();
    let fast = FourierProduct::new(degree, degree);
    let setup_seconds = clock.elapsed().as_secs_f64();
    let seconds = median_seconds(settings.repeats, || {
        std::hint::black_box(fast.product(&x, &y));
    });
    FftTiming {
        degree,
        grid_size: fast.grid_size(),
        seconds,
        setup_seconds,
    }
}

fn time_direct(settings: &Settings, degree: usize, rng: &mut ChaCha8Rng) -> DirectTiming {
    let x = random_features(rng, features(degree));
    let y = random_features(rng, features(degree));
    let clock = Instant::now();
    let table = GauntTable::new(degree, degree);
    let setup_seconds = clock.elapsed().as_secs_f64();
    let seconds = median_seconds(settings.repeats, || {
        std::hint::black_box(table.product(&x, &y));
    });
    let fast = FourierProduct::new(degree, degree).product(&x, &y);
    DirectTiming {
        degree,
        coefficients: table.len(),
        seconds,
        setup_seconds,
        fft_vs_direct: relative_error(&fast, &table.product(&x, &y)),
    }
}

fn fit_slopes(fft: &[FftTiming], direct: &[DirectTiming]) -> Slopes {
    let fft: Vec<(usize, f64)> = fft.iter().map(|t| (t.degree, t.seconds)).collect();
    let direct: Vec<(usize, f64)> = direct.iter().map(|t| (t.degree, t.seconds)).collect();
    // At least two points: the check asks for two degrees or more.
    let upper =
        |points: &[(usize, f64)]| slope(&points[(points.len() / 2).min(points.len() - 2)..]);
    Slopes {
        fft_all: slope(&fft),
        fft_upper_half: upper(&fft),
        fft_predicted: 3.0,
        direct_all: slope(&direct),
        direct_upper_half: upper(&direct),
        direct_predicted: 5.0,
    }
}

#[cfg(test)]
mod tests;
