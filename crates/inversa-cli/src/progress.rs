//! A progress bar on the terminal (indicatif hides it when stderr is not a terminal, e.g. in CI logs).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use inversa::solvers::Iteration;
use inversa::task::Task;
use inversa::Real;

pub struct Bar(ProgressBar);

impl Bar {
    pub fn new<T: Real>(task: &Task<T>) -> Self {
        let total = task_iterations(&task.source);
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg} ({elapsed})")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_prefix(format!(
            "{} + {} + {}",
            task.physics_kind, task.prior_kind, task.solver_kind
        ));
        Self(bar)
    }

    pub fn update<T: Real>(&self, iteration: &Iteration<T>, psnr: Option<f64>) {
        self.0.set_position(iteration.index as u64);
        if iteration.index % 10 == 0 || iteration.index == 1 {
            match psnr {
                Some(p) => self.0.set_message(format!("PSNR {p:.2} dB")),
                None => self
                    .0
                    .set_message(format!("objective {:.4e}", iteration.objective)),
            }
        }
    }

    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// The iteration budget for the bar's length (`solver.iterations`, or unknown).
fn task_iterations(source: &str) -> Option<u64> {
    let table: toml::Table = source.parse().ok()?;
    table
        .get("solver")?
        .get("iterations")?
        .as_integer()
        .map(|v| v as u64)
}
