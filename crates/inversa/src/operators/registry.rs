//! The one list of operators. `inversa list`, the task-file parser and the adjoint tests all walk it,
//! so they cannot disagree: a new operator is tested by being registered here.

use super::physics::{BuildContext, MeasuredScan, Physics};
use super::LinearOperator;
use crate::config::Section;
use crate::error::Result;
use crate::real::Real;

/// Draws a small random instance of an operator from a seed, for the self-tests.
pub type ExampleBuilder<T> = fn(u64) -> Box<dyn LinearOperator<T>>;

/// A registered physics: its task-file name, a one-line summary, its builder and a small example.
pub struct OperatorEntry<T: Real> {
    /// The `physics.kind` value.
    pub name: &'static str,
    /// One line for `inversa list`.
    pub summary: &'static str,
    /// Builds the operator from the rest of the `[physics]` table.
    pub build: fn(&mut Section, &BuildContext) -> Result<Physics<T>>,
    /// A small random instance for self-tests, drawn from the seed.
    pub example: ExampleBuilder<T>,
}

/// Every physics a task file can name.
pub fn physics<T: Real>() -> Vec<OperatorEntry<T>> {
    vec![
        OperatorEntry {
            name: "denoise",
            summary: "identity: the measurement is the noisy image itself",
            build: super::denoise::from_config,
            example: super::denoise::example,
        },
        OperatorEntry {
            name: "blur",
            summary:
                "convolution with a gaussian, box, motion or file kernel (FFT, periodic boundary)",
            build: super::blur::from_config,
            example: super::blur::example,
        },
        OperatorEntry {
            name: "inpaint",
            summary: "pixel mask: a random fraction of pixels (or a mask file) is missing",
            build: super::inpaint::from_config,
            example: super::inpaint::example,
        },
        OperatorEntry {
            name: "downsample",
            summary: "super-resolution: gaussian anti-alias blur, then every factor-th pixel",
            build: super::downsample::from_config,
            example: super::downsample::example,
        },
        OperatorEntry {
            name: "cs",
            summary: "compressed sensing: random DCT subset with random signs, or dense gaussian",
            build: super::compressed_sensing::from_config,
            example: super::compressed_sensing::example,
        },
        OperatorEntry {
            name: "mri",
            summary: "MRI, single-coil or multi-coil SENSE: Cartesian (undersampled unitary FFT) or radial, \
                      spiral and measured trajectories (NUFFT)",
            build: mri,
            example: super::mri::example,
        },
        OperatorEntry {
            name: "ct",
            summary: "parallel-beam CT: Joseph projector over [0, π), exact adjoint, FBP inverse",
            build: super::ct::from_config,
            example: super::ct::example,
        },
    ]
}

/// `physics.kind = "mri"`: the Cartesian model unless `trajectory` (`radial`, `spiral`) or
/// `trajectory_file` names non-Cartesian points.
fn mri<T: Real>(section: &mut Section, ctx: &BuildContext) -> Result<Physics<T>> {
    match ctx.raw.as_deref() {
        Some(MeasuredScan::NonCartesian(raw)) => {
            return super::mri_noncartesian::from_raw(section, ctx, raw)
        }
        Some(MeasuredScan::Cartesian(scan)) => {
            return super::mri_retrospective::from_scan(section, ctx, scan)
        }
        None => {}
    }
    if section.has("trajectory_file") {
        return super::mri_noncartesian::from_config(section, ctx, None);
    }
    let kinds = ["cartesian", "radial", "spiral"];
    match section
        .choice_or("trajectory", "cartesian", &kinds)?
        .as_str()
    {
        "cartesian" => super::mri::from_config(section, ctx),
        kind => super::mri_noncartesian::from_config(section, ctx, Some(kind)),
    }
}

/// Linear operators that are not a physics of their own but are used inside priors and solvers;
/// they go through the same self-tests.
pub fn building_blocks<T: Real>() -> Vec<(&'static str, ExampleBuilder<T>)> {
    vec![
        ("gradient", super::gradient::example),
        ("dct2", super::dct2::example),
        ("composed", super::algebra_examples::composed),
        ("summed", super::algebra_examples::summed),
        ("scaled", super::algebra_examples::scaled),
        ("stacked", super::algebra_examples::stacked),
        ("wavelet-haar", super::wavelet::example_haar),
        ("wavelet-db2", super::wavelet::example_db2),
        ("wavelet-db4", super::wavelet::example_db4),
        ("mri-noncartesian", super::mri_noncartesian::example),
        ("mri-poisson-points", super::mri::example_points),
    ]
}

/// Looks up a physics by its task-file name.
pub fn find<T: Real>(name: &str) -> Option<OperatorEntry<T>> {
    physics().into_iter().find(|e| e.name == name)
}

/// The names of all physics, for error messages.
pub fn names() -> Vec<&'static str> {
    physics::<f64>().iter().map(|e| e.name).collect()
}
