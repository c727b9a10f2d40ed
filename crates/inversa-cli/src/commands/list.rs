//! The task-file reference shown by `inversa run --help`, and `inversa list`, which walks the
//! registries so it always names exactly what the parser and `--method` accept.

use inversa::data::{BUILTIN_IMAGES, BUILTIN_PHANTOM};
use inversa::operators::registry::physics;
use inversa::priors::registry::priors;
use inversa::solvers::registry::solvers;
use inversa_learn::diffusion::inversion::ModelKind;

pub use inversa::task::KEY_REFERENCE as RUN_HELP;

/// The text of `inversa list`.
pub fn list() -> String {
    let mut text = String::from("physics (physics.kind):\n");
    for e in physics::<f64>() {
        text.push_str(&format!("  {:<12} {}\n", e.name, e.summary));
    }
    text.push_str("\npriors (prior.kind):\n");
    for e in priors::<f64>()
        .into_iter()
        .chain(inversa_learn::priors::registry::priors::<f64>())
    {
        text.push_str(&format!("  {:<12} {}\n", e.name, e.summary));
    }
    text.push_str(&format!(
        "  {:<12} a pretrained diffusion model (or a denoiser over its noise levels), sampled by dps, ddnm, dds, diffpir, red-diff, stsl or idm\n",
        "diffusion"
    ));
    text.push_str("\nsolvers (solver.kind):\n");
    for e in solvers::<f64>()
        .into_iter()
        .chain(inversa_learn::solvers::diffusion_sampler::entries::<f64>())
    {
        text.push_str(&format!("  {:<12} {}\n", e.name, e.summary));
    }
    text.push_str("\ninversion methods (inversa invert|edit --method):\n");
    for e in inversa_learn::diffusion::inversion::registry::inverters() {
        let kind = match e.kind {
            ModelKind::Diffusion => "diffusion",
            ModelKind::Flow => "rectified flow",
        };
        text.push_str(&format!("  {:<12} {kind}: {}\n", e.name, e.summary));
    }
    text.push_str("\nbuilt-in images (data.image = \"builtin:NAME\"):\n");
    for (name, _, description) in BUILTIN_IMAGES {
        text.push_str(&format!("  {name:<12} {description}\n"));
    }
    let (name, description) = BUILTIN_PHANTOM;
    text.push_str(&format!("  {name:<12} {description}\n"));
    text
}
