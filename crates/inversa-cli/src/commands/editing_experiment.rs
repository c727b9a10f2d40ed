//! `inversa experiment editing --images 10 --steps 50 --guidance 3 --out DIR`: every inversion
//! method on the same bundled Fashion-MNIST test images ([`inversa_lab::editing`]). Writes
//! `DIR/metrics.json` (per method: reconstruction PSNR and worst error, the classifier's accuracy
//! and mean probability on the target class, SSIM and PSNR of the edit to the source, seconds and
//! model calls per image), `DIR/editing.png` (sources on top, then per method the reconstruction
//! and the edit of the first images) and prints the table as Markdown.

use crate::failure::Failure;
use crate::outputs::Planned;
use inversa_lab::editing::{self, MethodRow, Settings};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct EditingArgs {
    /// Bundled test images to edit (the first N of the 100).
    #[arg(long, default_value_t = 10)]
    images: usize,
    /// Sampling steps.
    #[arg(long, default_value_t = 50)]
    steps: usize,
    /// Classifier-free guidance scale.
    #[arg(long, default_value_t = 3.0)]
    guidance: f64,
    /// Methods, comma-separated [all: ddim, edict, bdia, null-text, spdinv, ddcm, euler, rf-solver].
    #[arg(long, value_delimiter = ',')]
    methods: Vec<String>,
    /// Images shown in the figure.
    #[arg(long, default_value_t = 4)]
    figure_images: usize,
    /// Folder for metrics.json and editing.png (created if missing).
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: EditingArgs) -> Result<(), Failure> {
    // The bundled test images and models are its only inputs.
    let planned = Planned::check(&args.out, &["metrics.json", "editing.png"], &[])?;
    let settings = Settings {
        images: args.images,
        steps: args.steps,
        guidance: args.guidance,
        methods: args.methods,
        figure_images: args.figure_images,
    };
    // Each method's row goes to stderr as it finishes; the table goes to stdout at the end.
    let outcome = editing::run(&settings, &mut |line| eprintln!("{line}"))?;
    planned.write(&outcome, true)?;
    print_table(&outcome.report.methods);
    say!(
        "wrote metrics.json and editing.png to {}/",
        args.out.display()
    );
    Ok(())
}

/// The Markdown table of the results.
fn print_table(rows: &[MethodRow]) {
    say!("| method | reconstruction PSNR | worst error | target accuracy | target probability | SSIM to source | s / image | calls / image |");
    say!("|---|---|---|---|---|---|---|---|");
    for row in rows {
        say!(
            "| {} | {:.2} dB | {:.1e} | {:.0}% | {:.2} | {:.3} | {:.1} | {:.0} |",
            row.method,
            row.reconstruction_psnr_mean,
            row.reconstruction_max_abs_error,
            100.0 * row.target_accuracy,
            row.target_probability_mean,
            row.ssim_to_source_mean,
            row.seconds_per_image,
            row.model_calls_per_image,
        );
    }
}
