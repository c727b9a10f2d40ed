//! Training by Adam with a cosine-decayed rate. DGNO minimises, per step, over a batch of
//! unlabelled fields `a_i` and every labelled pair `(a_j, u_j)`,
//!
//! ```text
//! ℓ = mean_{i,k} R̃_k(u(·; E(a_i)), a_i)²                       (virtual observables R̃ = 0)
//!   + mean_i logistic(φ_{E(a_i)}, χ(a_i))                        (p(a | β): the coefficient decoder)
//!   + w Σ_j ‖u(·; E(a_j)) − u_j‖² / Σ_j ‖u_j‖²                   (the few labels)
//!   + 10⁻⁴ mean_i ‖E(a_i)‖²                                      (keeps β near the origin)
//! ```
//!
//! — the negative log of the paper's joint model with a Dirac encoder, its precisions fixed to
//! one. The supervised baseline trains the same encoder and solution decoder on the label term
//! alone (and the same small β penalty), on the same labels and for as many steps.

use super::model::{phase_loss, Dgno};
use super::weak::WeakForm;
use super::Settings;
use crate::Result;
use candle_core::{Device, Tensor};
use inversa_learn::optim::adam::Adam;
use rand::seq::index::sample;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::f64::consts::PI;

/// Fields as tensors: values, phases `χ = [a = a₁]`, face coefficients, and solutions if known.
pub struct Batch {
    pub fields: Tensor,
    pub phases: Tensor,
    pub faces: Tensor,
    pub solutions: Option<Tensor>,
}

impl Batch {
    pub fn new(
        fields: &[Vec<f64>],
        solutions: Option<&[Vec<f64>]>,
        weak: &WeakForm,
    ) -> Result<Self> {
        let (count, points) = (fields.len(), fields[0].len());
        let table =
            |rows: Vec<f64>, width: usize| Tensor::from_vec(rows, (count, width), &Device::Cpu);
        let phases = fields
            .concat()
            .iter()
            .map(|&v| f64::from(v > 7.5))
            .collect();
        let faces: Vec<Vec<f64>> = fields.iter().map(|a| weak.face_coefficients(a)).collect();
        let width = faces[0].len();
        Ok(Self {
            fields: table(fields.concat(), points)?,
            phases: table(phases, points)?,
            faces: table(faces.concat(), width)?,
            solutions: solutions.map(|u| table(u.concat(), points)).transpose()?,
        })
    }

    fn rows(&self, picked: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
        Ok((
            self.fields.index_select(picked, 0)?,
            self.phases.index_select(picked, 0)?,
            self.faces.index_select(picked, 0)?,
        ))
    }
}

/// `Σ‖û − u‖² / Σ‖u‖²` of the labelled pairs.
fn label_loss(model: &Dgno, labelled: &Batch, basis: &Tensor) -> Result<Tensor> {
    let truth = labelled.solutions.as_ref().ok_or_else(|| {
        crate::Error::setting("labels", "the labelled fields came without solutions")
    })?;
    let beta = model.encode(&labelled.fields)?;
    let miss = (model.solution_with(&beta, basis)? - truth)?
        .sqr()?
        .sum_all()?;
    let prior = (beta.sqr()?.mean_all()? * 1e-4)?;
    Ok(((miss / truth.sqr()?.sum_all()?.to_scalar::<f64>()?)? + prior)?)
}

/// The residual, reconstruction and prior terms on one batch of unlabelled fields.
fn unlabelled_loss(
    model: &Dgno,
    weak: &WeakForm,
    rows: (Tensor, Tensor, Tensor),
    basis: &Tensor,
) -> Result<Tensor> {
    let (fields, phases, faces) = rows;
    let beta = model.encode(&fields)?;
    let residuals = weak.residuals(&model.solution_with(&beta, basis)?, &faces)?;
    let reconstruction = phase_loss(&model.level_set(&beta)?, &phases)?;
    let prior = (beta.sqr()?.mean_all()? * 1e-4)?;
    Ok(((residuals.sqr()?.mean_all()? + reconstruction)? + prior)?)
}

/// Trains `model`: DGNO when `unlabelled` is given, the supervised baseline otherwise. The loss
/// per step.
pub fn fit(
    model: &Dgno,
    weak: &WeakForm,
    labelled: &Batch,
    unlabelled: Option<&Batch>,
    settings: &Settings,
    seed: u64,
) -> Result<Vec<f64>> {
    let mut adam = Adam::new(model.vars(unlabelled.is_some()))?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut trace = Vec::with_capacity(settings.steps);
    for step in 0..settings.steps {
        let basis = model.basis()?;
        let mut loss = (label_loss(model, labelled, &basis)? * settings.data_weight)?;
        if let Some(pool) = unlabelled {
            let count = pool.fields.dim(0)?;
            let picked: Vec<u32> = sample(&mut rng, count, settings.batch.min(count))
                .iter()
                .map(|i| i as u32)
                .collect();
            let picked = Tensor::new(picked.as_slice(), &Device::Cpu)?;
            loss = (loss + unlabelled_loss(model, weak, pool.rows(&picked)?, &basis)?)?;
        }
        let progress = step as f64 / settings.steps as f64;
        let rate = 0.5 * settings.rate * (1.0 + (PI * progress).cos());
        adam.step(&loss.backward()?, rate)?;
        trace.push(loss.to_scalar::<f64>()?);
    }
    Ok(trace)
}

/// The RMS of the normalised weak residuals `R̃` of the predicted solutions of `fields`.
pub fn residual_rms(model: &Dgno, weak: &WeakForm, fields: &Batch) -> Result<f64> {
    let u = model.solution(&model.encode(&fields.fields)?)?;
    let residuals = weak.residuals(&u, &fields.faces)?;
    Ok(residuals.sqr()?.mean_all()?.to_scalar::<f64>()?.sqrt())
}

/// The relative L2 error of the predicted solution of every field of `test`.
pub fn forward_errors(model: &Dgno, test: &Batch) -> Result<Vec<f64>> {
    let truth = test
        .solutions
        .as_ref()
        .ok_or_else(|| crate::Error::setting("test", "the test fields came without solutions"))?;
    let predicted = model.solution(&model.encode(&test.fields)?)?;
    let miss = (predicted - truth)?.sqr()?.sum(1)?.sqrt()?;
    let norm = truth.sqr()?.sum(1)?.sqrt()?;
    Ok((miss / norm)?.to_vec1()?)
}
