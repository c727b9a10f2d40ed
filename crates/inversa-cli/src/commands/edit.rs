//! `inversa edit --method ddim|edict|bdia|null-text|spdinv|ddcm --image x.png --source-class 0
//! --target-class 6 --out DIR` (or `--model rf --method rf-solver|euler`): inverts a 28×28 grey image
//! with its class and regenerates it with another ([`inversa_lab::fashion_inversion::edit`]).
//! Writes `DIR/edit.png`, `DIR/comparison.png` (source, reconstruction with the source class,
//! edit) and `DIR/metrics.json`: the bundled classifier's `target_class_probability` and
//! `predicted_class` for the edit (editability), `ssim_to_source` and `psnr_to_source`
//! (fidelity), `reconstruction_psnr`, and `seconds` (the inversion and the edit, not the
//! reconstruction drawn for the figure).

use crate::commands::fashion_inversion::InversionFlags;
use crate::failure::Failure;
use crate::outputs::Planned;
use clap::Args;
use inversa_lab::fashion_inversion::edit;

#[derive(Args)]
pub struct EditArgs {
    #[command(flatten)]
    flags: InversionFlags,
    /// The garment's class (0–9) [the bundled test image's label].
    #[arg(long)]
    source_class: Option<usize>,
    /// The class to turn it into (0–9).
    #[arg(long)]
    target_class: usize,
}

/// The files written into `--out`.
pub const FILES: [&str; 3] = ["metrics.json", "edit.png", "comparison.png"];

pub fn run(args: EditArgs) -> Result<(), Failure> {
    let out = &args.flags.out;
    let planned = Planned::check(out, &FILES, &args.flags.inputs())?;
    let settings = edit::Settings {
        common: args.flags.settings()?,
        source_class: args.source_class,
        target_class: args.target_class,
    };
    let outcome = edit::run(&settings, &mut |line| say!("{line}"))?;
    planned.write(&outcome, true)?;
    say!(
        "wrote edit.png, comparison.png and metrics.json to {}/",
        out.display()
    );
    Ok(())
}
