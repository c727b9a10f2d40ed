//! Progress bars on the terminal (indicatif hides them when stderr is not a terminal, e.g. in CI
//! logs): one for a task's iterations, one for training steps, and a plain counter for the
//! attacks and simulations.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use inversa::solvers::Iteration;
use inversa::task::Task;
use inversa::Real;
use inversa_learn::training::Progress;

/// A bar of `length` steps in the house style, its `prefix` set (the caller sets the message).
pub fn counter(length: u64, prefix: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::stderr());
    bar.set_style(style());
    bar.set_prefix(prefix.to_string());
    bar
}

/// `prefix [=====>    ] pos/len message (elapsed)`.
#[allow(
    clippy::expect_used,
    reason = "the template is a constant that indicatif accepts"
)]
fn style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg} ({elapsed})")
        .expect("valid template")
        .progress_chars("=> ")
}

pub struct Bar(ProgressBar);

impl Bar {
    pub fn new<T: Real>(task: &Task<T>) -> Self {
        let total = task_iterations(&task.source);
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
        bar.set_style(style());
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

/// The bar of `inversa train`: step, running loss and learning rate; validation results are printed
/// above it (or on their own lines when the bar is hidden, so that logs keep them).
pub struct TrainBar(ProgressBar);

impl TrainBar {
    #[allow(
        clippy::expect_used,
        reason = "the template is a constant that indicatif accepts"
    )]
    pub fn new(steps: usize) -> Self {
        let bar = ProgressBar::with_draw_target(Some(steps as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "train [{bar:30}] {pos}/{len} {msg} ({elapsed}, eta {eta})",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        Self(bar)
    }

    pub fn update(&self, progress: &Progress) {
        self.0.set_position(progress.step as u64);
        if progress.step % 10 == 0 || progress.step == progress.steps {
            self.0.set_message(format!(
                "loss {:.3e}, lr {:.1e}",
                progress.running_loss, progress.learning_rate
            ));
        }
        if let Some(validation) = progress.validation {
            let metrics: Vec<String> = validation
                .metrics
                .iter()
                .map(|(name, value)| format!("{name} {value:.2}"))
                .collect();
            let line = format!(
                "step {}: loss {:.3e}, {}",
                validation.step,
                progress.running_loss,
                metrics.join(", ")
            );
            if self.0.is_hidden() {
                eprintln!("{line}");
            } else {
                self.0.println(line);
            }
        }
    }

    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}
