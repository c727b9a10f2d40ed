//! Lagrangian PINNs (R. Mojgani, M. Balajewicz, P. Hassanzadeh, "Lagrangian PINNs: A
//! causality-conforming solution to failure modes of physics-informed neural networks",
//! arXiv:2205.02902, 2022; Computer Methods in Applied Mechanics and Engineering 2023).
//!
//! A physics-informed network (PINN) fits `u(x, t)` by minimising the PDE's residual at collocation
//! points with the initial and boundary conditions as soft penalties. For transport,
//! `u_t + c u_x = 0`, the solution's Kolmogorov n-width grows with `c` and training fails beyond a
//! modest speed. The paper's LPINN solves the same PDE in the Lagrangian frame: one branch learns
//! the characteristics `X(ξ, t)` (`∂X/∂t = c`, or `= u` for Burgers), the other the state carried
//! along them (`∂U/∂t = 0`, or `= ν U_XX`), so the state branch sees a problem whose difficulty does
//! not grow with the speed ([`losses`]).
//!
//! Protocol: both formulations, same tanh networks (the LPINN has two of them), same Adam steps,
//! collocation points and penalty weights, on advection `u_t + c u_x = 0`, `x ∈ [0, 2π)`
//! periodic, `u₀ = sin x`, over a range of speeds `c`, and on viscous Burgers `u_t + u u_x =
//! ν u_xx`, `u₀ = −sin πx`, `u(±1, t) = 0` ([`problem`]). Error: relative L2 on a 128 × 33 grid
//! against the exact solution (`sin(x − ct)`; Cole–Hopf), the LPINN's state compared with the exact
//! solution at the position its characteristic gives. Claim: the standard PINN's error jumps
//! beyond some speed while the LPINN's stays small.

use crate::outcome::{report_page_with_table, Artifact, Outcome};
use crate::{Error, Result};
use inversa::report::plot::{Panel, Series};
use serde::{Deserialize, Serialize};

mod losses;
pub(crate) mod problem;
mod train;

use problem::Problem;
use train::{fit, Fit, Method, Training};

/// The figure's name.
pub const FIGURE: &str = "lagrangian_pinn.png";
/// A relative error above this is a failed fit.
pub const FAILURE: f64 = 0.1;

/// The experiment's settings (read from Python's keywords, where a missing one keeps its default
/// and an unknown one is an error).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub seed: u64,
    /// Advection speeds `c` (increasing).
    pub speeds: Vec<f64>,
    /// Burgers' `ν`.
    pub viscosity: f64,
    /// Units per hidden layer.
    pub width: usize,
    pub hidden: usize,
    /// Adam steps per fit.
    pub steps: usize,
    pub rate: f64,
    /// Interior collocation points.
    pub interior: usize,
    /// Points on the initial line and on each boundary.
    pub edge: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            seed: 0,
            speeds: vec![1.0, 5.0, 10.0, 20.0, 30.0, 40.0, 50.0],
            viscosity: 0.01 / std::f64::consts::PI,
            width: 32,
            hidden: 3,
            steps: 2000,
            rate: 1e-2,
            interior: 500,
            edge: 64,
        }
    }
}

impl Settings {
    /// The small setting of the test and of `--quick`.
    pub fn quick() -> Self {
        Self {
            speeds: vec![1.0, 30.0],
            steps: 700,
            interior: 256,
            ..Self::default()
        }
    }

    fn check(&self) -> Result<()> {
        let counts = [
            ("width", self.width, 2, 1024),
            ("hidden", self.hidden, 1, 16),
            ("steps", self.steps, 1, 1_000_000),
            ("interior", self.interior, 8, 1_000_000),
            ("edge", self.edge, 2, 1_000_000),
        ];
        for (key, value, least, most) in counts {
            if value < least || value > most {
                return Err(Error::setting(
                    key,
                    format!("must be in {least} ..= {most}, got {value}"),
                ));
            }
        }
        if self.speeds.is_empty() || self.speeds.iter().any(|c| !(c.is_finite() && *c > 0.0)) {
            return Err(Error::setting(
                "speeds",
                format!("must be positive and finite, got {:?}", self.speeds),
            ));
        }
        for (key, value) in [("viscosity", self.viscosity), ("rate", self.rate)] {
            if !(value > 0.0 && value.is_finite()) {
                return Err(Error::setting(
                    key,
                    format!("must be positive, got {value}"),
                ));
            }
        }
        // The widest activations: value and three derivatives per point and unit, both networks.
        crate::error::check_memory(
            "interior",
            &[self.interior, self.width, 8 * self.hidden],
            8,
            2,
        )
    }

    fn training(&self) -> Training {
        Training {
            width: self.width,
            hidden: self.hidden,
            steps: self.steps,
            rate: self.rate,
            interior: self.interior,
            edge: self.edge,
            seed: self.seed,
        }
    }
}

/// `metrics.json`.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub experiment: &'static str,
    pub settings: Settings,
    pub advection: Vec<Row>,
    pub burgers: Pairing,
    /// Speeds at which each formulation's error exceeds [`FAILURE`].
    pub eulerian_failed_speeds: Vec<f64>,
    pub lagrangian_failed_speeds: Vec<f64>,
}

/// Both formulations at one advection speed.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub speed: f64,
    pub fits: Pairing,
}

/// The standard PINN's and the LPINN's fits of one problem.
#[derive(Clone, Debug, Serialize)]
pub struct Pairing {
    pub eulerian: Fit,
    pub lagrangian: Fit,
}

fn both(problem: &Problem, training: &Training) -> Result<Pairing> {
    Ok(Pairing {
        eulerian: fit(problem, Method::Eulerian, training)?,
        lagrangian: fit(problem, Method::Lagrangian, training)?,
    })
}

/// Fits both formulations at every speed and on Burgers; `say` gets a line per fit pair.
pub fn run(settings: &Settings, say: &mut dyn FnMut(&str)) -> Result<Outcome<Report>> {
    settings.check()?;
    let training = settings.training();
    let mut advection = Vec::new();
    for &speed in &settings.speeds {
        let fits = both(&Problem::Advection { speed }, &training)?;
        say(&format!(
            "advection c = {speed}: PINN error {:.3}, LPINN {:.3} ({:.1} s, {:.1} s)",
            fits.eulerian.error,
            fits.lagrangian.error,
            fits.eulerian.seconds,
            fits.lagrangian.seconds
        ));
        advection.push(Row { speed, fits });
    }
    let burgers = both(
        &Problem::Burgers {
            viscosity: settings.viscosity,
        },
        &training,
    )?;
    say(&format!(
        "Burgers: PINN error {:.3}, LPINN {:.3}",
        burgers.eulerian.error, burgers.lagrangian.error
    ));
    let failed = |f: fn(&Pairing) -> &Fit| -> Vec<f64> {
        advection
            .iter()
            .filter(|r| f(&r.fits).error > FAILURE)
            .map(|r| r.speed)
            .collect()
    };
    let report = Report {
        experiment: "lagrangian-pinn",
        settings: settings.clone(),
        eulerian_failed_speeds: failed(|p| &p.eulerian),
        lagrangian_failed_speeds: failed(|p| &p.lagrangian),
        advection,
        burgers,
    };
    let page = report_page_with_table(
        "Lagrangian PINNs (Mojgani, Balajewicz & Hassanzadeh, 2022)",
        &page_text(&report),
        &table(&report),
        &[FIGURE],
        &report,
    )?;
    let outcome = Outcome::new(report.clone())
        .with(FIGURE, Artifact::Plot(vec![figure(&report)]))
        .with("report.html", page);
    // A NaN anywhere is a failed run, not a result.
    outcome.check_finite()?;
    Ok(outcome)
}

fn figure(report: &Report) -> Panel {
    let curve = |label: &str, f: fn(&Pairing) -> &Fit| Series {
        label: label.into(),
        values: report
            .advection
            .iter()
            .map(|r| (r.speed, f(&r.fits).error))
            .collect(),
    };
    Panel {
        title: "advection u_t + c u_x = 0: error against the speed".into(),
        x_label: "c".into(),
        y_label: "relative L2 error".into(),
        log_y: true,
        series: vec![
            curve("standard PINN", |p| &p.eulerian),
            curve("Lagrangian PINN", |p| &p.lagrangian),
        ],
    }
}

fn table(report: &Report) -> Vec<Vec<String>> {
    let mut rows = vec![
        ["problem", "PINN error", "LPINN error", "PINN s", "LPINN s"]
            .map(String::from)
            .to_vec(),
    ];
    let row = |name: String, p: &Pairing| {
        vec![
            name,
            format!("{:.3e}", p.eulerian.error),
            format!("{:.3e}", p.lagrangian.error),
            format!("{:.1}", p.eulerian.seconds),
            format!("{:.1}", p.lagrangian.seconds),
        ]
    };
    rows.extend(
        report
            .advection
            .iter()
            .map(|r| row(format!("advection c = {}", r.speed), &r.fits)),
    );
    rows.push(row(
        format!("Burgers ν = {:.5}", report.settings.viscosity),
        &report.burgers,
    ));
    rows
}

fn page_text(report: &Report) -> Vec<String> {
    let s = &report.settings;
    vec![
        "Claim: a standard PINN fails on advection beyond a moderate speed c; the Lagrangian PINN, \
         which learns the characteristics and the state carried along them, does not."
            .to_string(),
        format!(
            "Tanh networks of {} hidden layers × {} units (two for the LPINN), {} Adam steps at {}, \
             {} interior and {} initial/boundary points. Error above {FAILURE}: standard PINN at \
             c ∈ {:?}, LPINN at c ∈ {:?}.",
            s.hidden, s.width, s.steps, s.rate, s.interior, s.edge, report.eulerian_failed_speeds, report.lagrangian_failed_speeds
        ),
    ]
}

#[cfg(test)]
mod tests;
