//! `inversa bench`: time every registered operator's apply and adjoint and one iteration of every
//! solver, next to the memory bandwidth of this machine measured in the same run, so each number
//! says how far it is from the hardware limit. Medians of repeated runs; nothing here is a test.

use inversa::config::Section;
use inversa::operators::blur::{gaussian_kernel, Blur};
use inversa::operators::registry::{physics, BuildContext};
use inversa::operators::{random_vector, LinearOperator};
use inversa::priors::tv::TotalVariation;
use inversa::priors::Prior;
use inversa::solvers::registry::solvers;
use inversa::solvers::{Problem, Silent};
use std::path::Path;
use std::time::Instant;

/// Median wall time of `f` in seconds over `repeats` runs after one warm-up.
fn median_seconds(repeats: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..repeats.max(1))
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Copy bandwidth in bytes/second (read + write counted), STREAM "copy" style on 64 MiB of f32.
pub fn copy_bandwidth() -> f64 {
    let n = 16 << 20;
    let source = vec![1.0f32; n];
    let mut target = vec![0.0f32; n];
    let seconds = median_seconds(5, || {
        use rayon::prelude::*;
        target
            .par_chunks_mut(1 << 16)
            .zip(source.par_chunks(1 << 16))
            .for_each(|(t, s)| t.copy_from_slice(s));
    });
    std::hint::black_box(&target);
    (2 * n * 4) as f64 / seconds
}

/// Prints the benchmark tables for `size × size` images.
pub fn run(size: usize, repeats: usize) -> anyhow::Result<()> {
    let bandwidth = copy_bandwidth();
    say!(
        "Inversa bench: {size}×{size} grey images, f32, {} threads, median of {repeats} runs",
        rayon::current_num_threads()
    );
    say!(
        "memory bandwidth (parallel copy, 64 MiB): {:.1} GB/s\n",
        bandwidth / 1e9
    );
    operators(size, repeats, bandwidth)?;
    say!();
    solver_iterations(size, repeats.min(5))?;
    say!();
    scaling(repeats);
    Ok(())
}

fn operators(size: usize, repeats: usize, bandwidth: f64) -> anyhow::Result<()> {
    say!(
        "{:<12} {:>12} {:>12} {:>16} {:>12}",
        "operator",
        "apply ms",
        "adjoint ms",
        "in+out MB",
        "copy floor ms"
    );
    let ctx = BuildContext {
        image_shape: vec![1, size, size],
        seed: 0,
    };
    for entry in physics::<f32>() {
        // Multi-coil MRI is the case users run; one coil would time a single FFT.
        let settings: toml::Table = if entry.name == "mri" {
            toml::toml! { coils = 8 }
        } else {
            toml::Table::new()
        };
        let mut section = Section::new(&settings, "physics", Path::new("."));
        let op = match (entry.build)(&mut section, &ctx) {
            Ok(physics) => physics.operator,
            Err(e) => {
                say!("{:<12} skipped: {e}", entry.name);
                continue;
            }
        };
        let x = random_vector::<f32>(op.input_len(), 1);
        let mut y = vec![0.0f32; op.output_len()];
        let apply = median_seconds(repeats, || op.apply(&x, &mut y));
        let mut back = vec![0.0f32; op.input_len()];
        let adjoint = median_seconds(repeats, || op.adjoint(&y, &mut back));
        // The least any apply must move: read x once, write y once.
        let bytes = 4.0 * (op.input_len() + op.output_len()) as f64;
        say!(
            "{:<12} {:>12.3} {:>12.3} {:>16.2} {:>12.3}",
            entry.name,
            apply * 1e3,
            adjoint * 1e3,
            bytes / 1e6,
            bytes / bandwidth * 1e3
        );
    }
    Ok(())
}

fn solver_iterations(size: usize, repeats: usize) -> anyhow::Result<()> {
    say!(
        "{:<8} {:>16}   (Gaussian blur σ=2, TV weight 0.001; 20 iterations per run)",
        "solver",
        "ms / iteration"
    );
    let shape = [1, size, size];
    let blur = Blur::<f32>::new(&shape, &gaussian_kernel(2.0))?;
    let truth = random_vector::<f32>(size * size, 3);
    let y = blur.apply_new(&truth);
    let tv = TotalVariation::<f32>::new(0.001, &shape, 20);
    let tikhonov = inversa::priors::tikhonov::Tikhonov::new(0.001, &shape);
    let iterations = 20;
    let mut table = toml::Table::new();
    table.insert("iterations".into(), toml::Value::Integer(iterations as i64));
    for entry in solvers::<f32>() {
        if entry.name == "fbp" {
            continue;
        }
        let mut section = Section::new(&table, "solver", Path::new("."));
        let solver = (entry.build)(&mut section)?;
        let prior: &dyn Prior<f32> = if entry.name == "cg" { &tikhonov } else { &tv };
        let problem = Problem {
            operator: &blur,
            measurement: &y,
            prior,
        };
        let seconds = median_seconds(repeats, || {
            let mut x = y.clone();
            let _ = solver.solve(&problem, &mut x, &mut Silent);
        });
        say!(
            "{:<8} {:>16.3}",
            entry.name,
            seconds / iterations as f64 * 1e3
        );
    }
    Ok(())
}

/// Blur apply time against image size: FFT-bound, it should grow as N log N.
fn scaling(repeats: usize) {
    say!(
        "{:<10} {:>12} {:>20}",
        "blur size",
        "apply ms",
        "ms / (N log2 N) ×1e6"
    );
    for size in [256usize, 512, 1024, 2048] {
        let shape = [1, size, size];
        let Ok(blur) = Blur::<f32>::new(&shape, &gaussian_kernel(2.0)) else {
            continue;
        };
        let x = random_vector::<f32>(size * size, 1);
        let mut y = vec![0.0f32; size * size];
        let seconds = median_seconds(repeats.min(5), || blur.apply(&x, &mut y));
        let n = (size * size) as f64;
        say!(
            "{:<10} {:>12.3} {:>20.3}",
            format!("{size}²"),
            seconds * 1e3,
            seconds * 1e3 / (n * n.log2()) * 1e6
        );
    }
}
