//! `inversa train`: trains any of the library's trainable models (the grey denoisers DnCNN and
//! DRUNet, the Learned Proximal Network, the Fashion-MNIST diffusion and rectified-flow UNets and
//! classifier, the model-inversion GAN, the deep conjugate direction network), from flags
//! (`inversa train denoiser --images DIR --out W.safetensors …`) or from a TOML file whose
//! `[train]` table has `model = "…"` and the same keys (`inversa train config.toml`). Both give
//! one [`TrainSettings`] value, which the library trains; this file draws the progress bar and
//! prints what came out.

use crate::failure::{bad, Failure};
use crate::progress::TrainBar;
use clap::Args;
use inversa::Control;
use inversa_learn::training::checkpoint::{history_path, plot_path};
use inversa_learn::training::config::{prepare, Outcome, TrainSettings, Trained};
use std::path::PathBuf;

/// `inversa train …`.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct TrainArgs {
    #[command(subcommand)]
    what: Option<TrainSettings>,
    /// A TOML file with a [train] table; its keys are the flags of `train <model>` (with `_` for
    /// `-`), and `model = "denoiser"` (the default), "lpn", "diffusion", "flow", "classifier",
    /// "gan", "deep-cd", "idm", "rim" or "recurrent-varnet".
    config: Option<PathBuf>,
    #[command(flatten)]
    mode: Mode,
}

/// Whether existing files at the file's `out` may be touched (the same as its `resume` and
/// `force` keys).
#[derive(Args, Clone, Copy)]
struct Mode {
    /// Continue the training checkpointed at --out (same settings; unset ones are taken from it).
    #[arg(long)]
    resume: bool,
    /// Replace an existing --out and its checkpoint files.
    #[arg(long, conflicts_with = "resume")]
    force: bool,
}

pub fn run(args: TrainArgs) -> Result<(), Failure> {
    let settings = match (args.what, &args.config) {
        (Some(what), _) => what,
        (None, Some(path)) => {
            let mut settings = TrainSettings::read(path)?;
            let common = settings.common_mut();
            common.resume |= args.mode.resume;
            common.force |= args.mode.force;
            settings
        }
        (None, None) => {
            return Err(bad(
                "say what to train: `inversa train denoiser|lpn --images DIR --out W.safetensors` or `inversa train config.toml`",
            ))
        }
    };
    settings
        .guard()
        .inputs("the training file", args.config.as_deref())
        .check()?;
    let job = prepare(&settings)?;
    let bar = TrainBar::new(job.config().steps);
    let result = job.run(&mut |p| {
        bar.update(p);
        Control::Continue
    });
    bar.finish();
    report(&result?);
    Ok(())
}

/// Where the files went, and the model's own results.
fn report(trained: &Trained) {
    let (history, out) = (&trained.history, &trained.out);
    say!(
        "{}, {} steps ({:.0} s of training): {}, {} and {}",
        trained.name,
        history.step,
        history.seconds,
        out.display(),
        history_path(out).display(),
        plot_path(out).display()
    );
    match &trained.outcome {
        Outcome::Denoiser { rows, .. } if rows.is_empty() => {
            say!("no --validation folder, so no validation table")
        }
        Outcome::Denoiser { images, rows } => {
            say!(
                "held-out images ({images}), mean PSNR (dB):\n  σ·255   noisy   network   FFDNet   TV (best weight)"
            );
            for row in rows {
                say!(
                    "  {:>5}  {:>6.2}  {:>8.2}  {:>7.2}  {:>6.2} ({:.3})",
                    row.level,
                    row.noisy,
                    row.denoiser,
                    row.reference,
                    row.tv,
                    row.tv_weight
                );
            }
        }
        Outcome::Classifier { accuracy, images } => {
            say!("test accuracy: {:.2}% on {images} images", 100.0 * accuracy)
        }
        Outcome::Gan { samples } => say!("samples from fixed latents: {}", samples.display()),
        Outcome::Trained => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::path::Path;

    #[derive(Parser)]
    struct Line {
        #[command(flatten)]
        train: TrainArgs,
    }

    /// Each model's flags, and the `[train]` keys that say the same.
    const CASES: [(&str, &str); 7] = [
        (
            "denoiser --images im --out w --steps 3 --architecture drunet --channels 4 --blocks 1 --schedule step --decay-every 2 --resume",
            "images = 'im'\nout = 'w'\nsteps = 3\narchitecture = 'drunet'\nchannels = 4\nblocks = 1\nschedule = 'step'\ndecay_every = 2\nresume = true",
        ),
        (
            "lpn --images im --validation v --out w --crop 16 --hidden 8 --layers 2 --sigma 0.1 --warm-start 5 --lr 0.003",
            "model = 'lpn'\nimages = 'im'\nvalidation = 'v'\nout = 'w'\ncrop = 16\nhidden = 8\nlayers = 2\nsigma = 0.1\nwarm_start = 5\nlr = 0.003",
        ),
        (
            "diffusion --data f --out u --batch 4 --warmup 1 --channels 8 --groups 4 --timesteps 50 --noise-schedule cosine --validation-size 4",
            "model = 'diffusion'\ndata = 'f'\nout = 'u'\nbatch = 4\nwarmup = 1\nchannels = 8\ngroups = 4\ntimesteps = 50\nnoise_schedule = 'cosine'\nvalidation_size = 4",
        ),
        (
            "flow --data f --out u --levels 2 --blocks 2 --seed 9 --force",
            "model = 'flow'\ndata = 'f'\nout = 'u'\nlevels = 2\nblocks = 2\nseed = 9\nforce = true",
        ),
        (
            "classifier --data f --out c --channels 4 --classes 0-4 --validate-every 7 --checkpoint-every 8",
            "model = 'classifier'\ndata = 'f'\nout = 'c'\nchannels = 4\nclasses = '0-4'\nvalidate_every = 7\ncheckpoint_every = 8",
        ),
        (
            "gan --data f --out g --classes 5-9 --latent 4 --channels 8 --decay-factor 0.5",
            "model = 'gan'\ndata = 'f'\nout = 'g'\nclasses = '5-9'\nlatent = 4\nchannels = 8\ndecay_factor = 0.5",
        ),
        (
            "deep-cd --out d --grid 8,12 --channels 4 --steps 4",
            "model = 'deep-cd'\nout = 'd'\ngrid = '8,12'\nchannels = 4\nsteps = 4",
        ),
    ];

    #[test]
    fn flags_and_a_training_file_give_the_same_settings_for_every_model() {
        let mut models = Vec::new();
        for (flags, keys) in CASES {
            let line = Line::try_parse_from(["train"].into_iter().chain(flags.split(' ')));
            let from_flags = line.unwrap_or_else(|e| panic!("{flags}: {e}")).train.what;
            let text = format!("[train]\n{keys}\n");
            let from_file = TrainSettings::from_toml(&text, Path::new("t.toml")).unwrap();
            assert_eq!(from_flags.as_ref(), Some(&from_file), "{flags}");
            models.push(std::mem::discriminant(&from_file));
        }
        models.dedup();
        assert_eq!(models.len(), CASES.len(), "one case per model");
    }
}
