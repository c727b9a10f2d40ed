//! A training run made ready from [`TrainSettings`]: the model built (fresh or from its
//! checkpoint), the data read and the loop configured, so that a caller knows the step count
//! (e.g. for a progress bar) before the loop starts; then the loop and each model's closing step
//! (the denoiser's comparison table, the classifier's test accuracy, the GAN's samples).

use super::TrainSettings;
use crate::data::image_folder::GreyImage;
use crate::models::classifier::ClassifierTraining;
use crate::models::ffdnet::FfdNet;
use crate::models::gan::GanTraining;
use crate::models::unet::Objective;
use crate::solvers::deep_cd::training::DeepCdTraining;
use crate::training::denoiser::{compare, Comparison, DenoiserTraining, VALIDATION_LEVELS};
use crate::training::idm::IdmTraining;
use crate::training::lpn::LpnTraining;
use crate::training::recurrent_varnet::RecurrentVarNetTraining;
use crate::training::rim::RimTraining;
use crate::training::unet::UnetTraining;
use crate::training::{train, History, Progress, TrainConfig, Trainable};
use crate::Error;
use inversa::Control;
use std::path::PathBuf;

/// The model being trained, with what its closing step needs.
pub(super) enum Model {
    /// With the held-out images of its comparison table.
    Denoiser(DenoiserTraining, Vec<GreyImage>),
    Lpn(LpnTraining),
    /// Boxed: the UNet's fixed validation batch makes it several times larger than the others.
    Unet(Box<UnetTraining>),
    Classifier(ClassifierTraining),
    Gan(GanTraining),
    DeepCd(DeepCdTraining),
    /// Boxed: it holds its validation batches and the pretrained weights.
    Idm(Box<IdmTraining>),
    /// Boxed: it holds its validation cases.
    Rim(Box<RimTraining>),
    /// Boxed: it holds its validation cases.
    RecurrentVarNet(Box<RecurrentVarNetTraining>),
}

/// A training run ready to start.
pub struct Job {
    model: Model,
    config: TrainConfig,
    resume: bool,
    name: String,
}

/// What a run ends with beyond its files, by model.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Nothing more (LPN, UNets, deep-CD, IDM).
    Trained,
    /// The denoiser against the noisy input, the pretrained FFDNet and TV on the `images`
    /// held-out images at each of [`VALIDATION_LEVELS`]; no rows without validation images.
    Denoiser {
        images: usize,
        rows: Vec<Comparison>,
    },
    /// The classifier's accuracy on the test images of its classes.
    Classifier { accuracy: f64, images: usize },
    /// The picture of samples from fixed latents.
    Gan { samples: PathBuf },
}

/// A finished run.
#[derive(Clone, Debug)]
pub struct Trained {
    /// The model and its size in words, e.g. `DnCNN depth 10 features 32`.
    pub name: String,
    /// The weights file; the history and plot are named after it.
    pub out: PathBuf,
    pub history: History,
    pub outcome: Outcome,
}

/// Makes the run that `settings` ask for ready: checks them, reads the checkpoint (when
/// resuming) and the data, and builds the model. Nothing is written yet but the output folder,
/// and nothing at all when an output would overwrite an input ([`TrainSettings::guard`]).
pub fn prepare(settings: &TrainSettings) -> Result<Job, Error> {
    settings.guard().check()?;
    let mut job = match settings {
        TrainSettings::Denoiser(s) => s.prepare(),
        TrainSettings::Lpn(s) => s.prepare(),
        TrainSettings::Diffusion(s) => s.prepare(Objective::Epsilon),
        TrainSettings::Flow(s) => s.prepare(Objective::RectifiedFlow),
        TrainSettings::Classifier(s) => s.prepare(),
        TrainSettings::Gan(s) => s.prepare(),
        TrainSettings::DeepCd(s) => s.prepare(),
        TrainSettings::Idm(s) => s.prepare(),
        TrainSettings::Rim(s) => s.prepare(),
        TrainSettings::RecurrentVarNet(s) => s.prepare(),
    }?;
    job.resume = settings.common().resume;
    Ok(job)
}

/// Trains as `settings` ask, reporting each step to `progress` (which may stop the run early,
/// with a checkpoint): [`prepare`] then [`Job::run`].
pub fn run(
    settings: &TrainSettings,
    progress: &mut dyn FnMut(&Progress) -> Control,
) -> Result<Trained, Error> {
    prepare(settings)?.run(progress)
}

impl Job {
    pub(super) fn new(model: Model, config: TrainConfig, name: String) -> Self {
        Self {
            model,
            config,
            resume: false,
            name,
        }
    }

    /// The loop's configuration (steps, batch, schedule, … and the weights file).
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Runs the loop, then the model's closing step.
    pub fn run(self, progress: &mut dyn FnMut(&Progress) -> Control) -> Result<Trained, Error> {
        let history = train(self.trainable(), &self.config, self.resume, progress)?;
        let out = self.config.out.clone();
        let outcome = match &self.model {
            Model::Denoiser(training, validation) => Outcome::Denoiser {
                images: validation.len(),
                rows: comparisons(training, validation)?,
            },
            Model::Classifier(training) => Outcome::Classifier {
                accuracy: training.net().accuracy(training.held_out())?,
                images: training.held_out().len(),
            },
            Model::Gan(training) => Outcome::Gan {
                samples: super::gan_samples::write_samples(training, &out)?,
            },
            Model::Lpn(_)
            | Model::Unet(_)
            | Model::DeepCd(_)
            | Model::Idm(_)
            | Model::Rim(_)
            | Model::RecurrentVarNet(_) => Outcome::Trained,
        };
        Ok(Trained {
            name: self.name,
            out,
            history,
            outcome,
        })
    }

    fn trainable(&self) -> &dyn Trainable {
        match &self.model {
            Model::Denoiser(training, _) => training,
            Model::Lpn(training) => training,
            Model::Unet(training) => training.as_ref(),
            Model::Classifier(training) => training,
            Model::Gan(training) => training,
            Model::DeepCd(training) => training,
            Model::Idm(training) => training.as_ref(),
            Model::Rim(training) => training.as_ref(),
            Model::RecurrentVarNet(training) => training.as_ref(),
        }
    }
}

/// The comparison table of a trained denoiser on `validation` (none without images).
fn comparisons(
    training: &DenoiserTraining,
    validation: &[GreyImage],
) -> Result<Vec<Comparison>, Error> {
    if validation.is_empty() {
        return Ok(Vec::new());
    }
    let ffdnet = FfdNet::pretrained_color()?;
    VALIDATION_LEVELS
        .iter()
        .map(|&level| Ok(compare(training.net(), &ffdnet, validation, level)?))
        .collect()
}
