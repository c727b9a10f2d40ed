//! The physics of the experiment as task-file tables, and a [`Bench`]: one physics built the way
//! `inversa run` builds it, with the noisy measurements of the test and tuning images.

use super::images::{ImageSet, Sets};
use super::{PhysicsSummary, Reconstructions, NOISE};
use crate::Result;
use inversa::io::Array;
use inversa::noise::Noise;
use inversa::task::Task;
use std::path::Path;

/// One physics: its name in the table and its `[physics]` table (without the noise).
#[derive(Debug)]
pub struct Spec {
    pub name: &'static str,
    pub config: &'static str,
}

/// Every physics of the experiment (issue 18, tier 2), on 28×28 images.
pub const PHYSICS: [Spec; 8] = [
    Spec {
        name: "inpaint-random",
        config: "kind = \"inpaint\"\nmissing = 0.5",
    },
    Spec {
        name: "inpaint-box",
        config: "kind = \"inpaint\"\nbox = [14, 14]",
    },
    Spec {
        name: "sr-x2",
        config: "kind = \"downsample\"\nfactor = 2",
    },
    Spec {
        name: "sr-x4",
        config: "kind = \"downsample\"\nfactor = 4",
    },
    Spec {
        name: "deblur",
        config: "kind = \"blur\"\nkernel = { kind = \"gaussian\", sigma = 1.0 }",
    },
    Spec {
        name: "cs-25",
        config: "kind = \"cs\"\nratio = 0.25",
    },
    Spec {
        name: "mri-4x",
        config: "kind = \"mri\"\nacceleration = 4",
    },
    Spec {
        name: "ct-sparse",
        config: "kind = \"ct\"\nangles = 12",
    },
];

/// The task file (without `[data]`) of `spec` with `prior_and_solver`'s tables, in f64, the
/// operator's random parts (masks, sensing matrices) drawn from `seed`.
pub fn task_text(spec: &Spec, prior_and_solver: &str, seed: u64) -> String {
    format!(
        "[physics]\n{}\nnoise = {{ kind = \"gaussian\", sigma = {NOISE} }}\n{prior_and_solver}\n\
         [run]\nseed = {seed}\nprecision = \"f64\"\n",
        spec.config
    )
}

/// A 28×28 grey image as the array a task takes.
pub fn as_array(image: &[f64]) -> Result<Array> {
    Ok(Array::new(vec![1, 28, 28], image.to_vec())?)
}

/// A task of `spec` on `image` with `prior_and_solver`, its learned parts available.
pub fn task(spec: &Spec, prior_and_solver: &str, seed: u64, image: &[f64]) -> Result<Task<f64>> {
    let text = task_text(spec, prior_and_solver, seed);
    let extensions = inversa_learn::task_extensions();
    Ok(Task::from_toml_with_image(
        &text,
        as_array(image)?,
        Path::new("."),
        spec.name,
        &extensions,
    )?)
}

/// Images with their noisy measurements.
pub struct Measured<'a> {
    pub truths: &'a [Vec<f64>],
    pub measurements: Vec<Vec<f64>>,
}

/// One physics with every image measured.
pub struct Bench<'a> {
    pub spec: &'static Spec,
    pub seed: u64,
    /// The task that holds the physics (its solver is never run).
    pub task: Task<f64>,
    pub test: Measured<'a>,
    pub tuning: Measured<'a>,
}

impl<'a> Bench<'a> {
    /// Builds `spec` and measures every image of `sets`: `y = A x + n`, `n ~ N(0, σ_n²)` drawn
    /// per image (test image `i` from `seed` and `i`; tuning images from another stream).
    pub fn new(spec: &'static Spec, seed: u64, sets: &'a Sets) -> Result<Self> {
        let first = sets.test.images.first().map_or(&[][..], Vec::as_slice);
        let task = task(spec, "[solver]\nkind = \"pdhg\"", seed, first)?;
        let test = measure(&task, &sets.test, seed, 0)?;
        let tuning = measure(&task, &sets.tuning, seed, 1)?;
        Ok(Self {
            spec,
            seed,
            task,
            test,
            tuning,
        })
    }

    /// The row of the physics in the report, baselines not yet tuned.
    pub fn summary(&self) -> PhysicsSummary {
        PhysicsSummary {
            name: self.spec.name.to_string(),
            config: self.spec.config.to_string(),
            measurements: self.task.physics.operator.output_len(),
            tv_weight: None,
            pnp_lambda: None,
        }
    }

    /// The tasks' starting point `A*y/‖A‖²` of every test measurement: the back-projection.
    pub fn back_projections(&mut self) -> Result<Reconstructions> {
        let start = std::time::Instant::now();
        let mut images = Vec::with_capacity(self.test.measurements.len());
        for y in &self.test.measurements {
            self.task.measurement.clone_from(y);
            images.push(self.task.initial_guess());
        }
        Ok(Reconstructions {
            seconds_per_image: start.elapsed().as_secs_f64() / images.len().max(1) as f64,
            images,
            model_calls: None,
        })
    }
}

/// The measurements of every image of `set`; noise stream `stream` keeps the sets' noise apart.
fn measure<'a>(
    task: &Task<f64>,
    set: &'a ImageSet,
    seed: u64,
    stream: u64,
) -> Result<Measured<'a>> {
    let operator = task.physics.operator.as_ref();
    let complex = task.physics.display.is_complex();
    let noise = Noise::Gaussian { sigma: NOISE };
    let mut measurements = Vec::with_capacity(set.images.len());
    for (i, image) in set.images.iter().enumerate() {
        let mut y = operator.apply_new(image);
        let image_seed = seed
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .wrapping_add(stream << 40)
            .wrapping_add(i as u64);
        noise.apply(&mut y, complex, image_seed)?;
        measurements.push(y);
    }
    Ok(Measured {
        truths: &set.images,
        measurements,
    })
}
