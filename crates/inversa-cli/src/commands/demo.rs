//! The built-in demo: what `cargo run --release` does with no arguments.

use crate::failure::Failure;
use inversa::task::Task;
use std::path::Path;

/// TV deblurring of the cameraman image: Gaussian blur σ = 2 px, noise σ = 0.01, PDHG.
pub const DEMO_TASK: &str = r#"# Inversa demo: Gaussian deblurring with total variation.
[data]
image = "builtin:camera"

[physics]
kind = "blur"
kernel = { kind = "gaussian", sigma = 2.0 }
noise = { kind = "gaussian", sigma = 0.01 }

[prior]
kind = "tv"
weight = 0.001

[solver]
kind = "pdhg"
iterations = 300

[run]
seed = 0
"#;

pub fn run(out: &Path) -> Result<(), Failure> {
    say!("Inversa demo: the cameraman image, blurred (Gaussian, σ = 2 px) with noise σ = 0.01,");
    say!("reconstructed with total variation by PDHG. The task file it runs:\n");
    say!("{DEMO_TASK}");
    let task = Task::<f32>::from_toml(DEMO_TASK, Path::new("."), "demo")?;
    crate::commands::run::execute(task, out)
}
