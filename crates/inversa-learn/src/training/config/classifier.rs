//! The settings of the Fashion-MNIST classifier, trained on all ten classes or a range of them.

use super::common::{agree, LoopSettings};
use super::fashion;
use super::job::{Job, Model};
use crate::models::classifier::{ClassifierConfig, ClassifierTraining};
use crate::Error;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// `train classifier`: the loop settings, the classifier's size and data.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct ClassifierSettings {
    #[cfg_attr(feature = "clap", command(flatten))]
    #[serde(flatten)]
    pub common: LoopSettings,
    /// Folder of the Fashion-MNIST IDX files [/usr/share/datasets/fashion-mnist].
    #[cfg_attr(feature = "clap", arg(long))]
    pub data: Option<PathBuf>,
    /// Channels of the first convolution [32].
    #[cfg_attr(feature = "clap", arg(long))]
    pub channels: Option<usize>,
    /// Train on these classes only, relabelled from 0: one label or a range such as 0-4 [0-9].
    #[cfg_attr(feature = "clap", arg(long))]
    pub classes: Option<String>,
}

impl ClassifierSettings {
    pub(super) fn prepare(&self) -> Result<Job, Error> {
        let range = fashion::class_range(self.classes.as_deref())?;
        let classes = usize::from(range.end() - range.start()) + 1;
        let resolved = fashion::resolve(&self.common)?;
        let out = &resolved.config.out;
        let classifier = match &resolved.saved {
            Some(metadata) => {
                let c = ClassifierConfig::from_metadata(metadata, out)?;
                agree("channels", self.channels, c.channels, out)?;
                if classes != c.classes {
                    return Err(Error::setting(
                        "classes",
                        format!(
                            "--classes (count) {classes} differs from the checkpoint's {} ({})",
                            c.classes,
                            out.display()
                        ),
                    ));
                }
                c
            }
            None => ClassifierConfig {
                channels: self
                    .channels
                    .unwrap_or(ClassifierConfig::default().channels),
                classes,
            },
        };
        if classifier.channels == 0 {
            return Err(Error::setting("channels", "--channels must be at least 1"));
        }
        if classes < 2 {
            return Err(Error::setting(
                "classes",
                "--classes must name at least two classes",
            ));
        }
        let (train, test) = fashion::read(self.data.as_deref())?;
        let (train, test) = (train.classes(range.clone()), test.classes(range));
        let training = ClassifierTraining::new(classifier, train, test)?;
        let name = format!("classifier channels {}", classifier.channels);
        Ok(Job::new(Model::Classifier(training), resolved.config, name))
    }
}
