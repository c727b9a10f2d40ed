//! `inversa invert --method ddim|edict|bdia|null-text|spdinv|ddcm --image x.png --class 3 --steps 50
//! --guidance 5 --out DIR` (or `--model rf --method rf-solver|euler`): inverts a 28×28 grey image
//! with the bundled Fashion-MNIST model and regenerates it with the same class
//! ([`inversa_lab::fashion_inversion::invert`]). Writes `DIR/reconstruction.png`,
//! `DIR/comparison.png` (source, reconstruction, |error|×10), `DIR/latent.npy` (the noise found;
//! EDICT's and BDIA's pair stacked as `[2, …]`) and `DIR/metrics.json` (`reconstruction_psnr`,
//! `reconstruction_max_abs_error` on pixels in [0, 1], `seconds`, `model_calls`, and SPDInv's
//! `fixed_point_residual`).

use crate::commands::fashion_inversion::InversionFlags;
use crate::failure::Failure;
use crate::outputs::Planned;
use clap::Args;
use inversa_lab::fashion_inversion::invert;

#[derive(Args)]
pub struct InvertArgs {
    #[command(flatten)]
    flags: InversionFlags,
    /// The garment's class (0–9) [the bundled test image's label].
    #[arg(long)]
    class: Option<usize>,
}

/// The files written into `--out`.
pub const FILES: [&str; 4] = [
    "metrics.json",
    "reconstruction.png",
    "comparison.png",
    "latent.npy",
];

pub fn run(args: InvertArgs) -> Result<(), Failure> {
    let out = &args.flags.out;
    let planned = Planned::check(out, &FILES, &args.flags.inputs())?;
    let settings = invert::Settings {
        common: args.flags.settings()?,
        class: args.class,
    };
    let outcome = invert::run(&settings, &mut |line| say!("{line}"))?;
    planned.write(&outcome, true)?;
    say!(
        "wrote reconstruction.png, comparison.png, latent.npy and metrics.json to {}/",
        out.display()
    );
    Ok(())
}
