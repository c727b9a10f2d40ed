//! `inversa run TASK.toml`: builds the task the file describes, runs it with a progress bar, and
//! writes its outputs and report.

use crate::failure::Failure;
use crate::progress;
use inversa::task::{Precision, Task, TaskFile};
use inversa::Control;
use inversa::Real;
use std::path::{Path, PathBuf};

/// A task file, with the learned priors available next to the core's.
fn load<T: Real>(file: &TaskFile) -> inversa::Result<Task<T>> {
    file.build(&inversa_learn::task_extensions())
}

pub fn run_file(path: &Path, out: Option<PathBuf>) -> Result<(), Failure> {
    let out = out.unwrap_or_else(|| {
        let stem = path
            .file_stem()
            .map_or("task".into(), |s| s.to_string_lossy().into_owned());
        Path::new("out").join(stem)
    });
    let context = |e: inversa::Error| -> Failure {
        let failure = Failure::from(e);
        match failure {
            Failure::BadInput(e) => {
                Failure::BadInput(e.context(format!("in task file {}", path.display())))
            }
            other => other,
        }
    };
    // An unreadable file's error already names it.
    let file = TaskFile::read(path)?;
    match file.precision().map_err(context)? {
        Precision::F32 => execute(load::<f32>(&file).map_err(context)?, &out),
        Precision::F64 => execute(load::<f64>(&file).map_err(context)?, &out),
    }
}

/// Runs a built task, writes its outputs and prints a summary.
pub fn execute<T: Real>(task: Task<T>, out: &Path) -> Result<(), Failure> {
    inversa::report::outputs::guard(&task, out).check()?;
    let bar = progress::Bar::new(&task);
    let outcome = task.run(&mut |step| {
        bar.update(step.iteration, step.psnr);
        Control::Continue
    })?;
    bar.finish();
    let written = inversa::report::outputs::write_outputs(out, &task, &outcome)?;
    match outcome.quality {
        Some(q) => say!(
            "{} + {} + {}: PSNR {:.2} dB, SSIM {:.4} (starting point {:.2} dB), {} iterations in {:.2} s",
            task.physics_kind,
            task.prior_kind,
            task.solver_kind,
            q.psnr,
            q.ssim,
            outcome.initial_quality.map_or(f64::NAN, |q| q.psnr),
            outcome.info.iterations,
            outcome.seconds
        ),
        None => say!(
            "{} + {} + {}: {} iterations in {:.2} s (no ground truth, so no PSNR)",
            task.physics_kind, task.prior_kind, task.solver_kind, outcome.info.iterations, outcome.seconds
        ),
    }
    say!(
        "wrote {} files to {}/ (open report.html)",
        written.len(),
        out.display()
    );
    Ok(())
}
