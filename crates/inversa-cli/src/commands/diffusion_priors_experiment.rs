//! `inversa experiment diffusion-priors --images 200 --out DIR`: the diffusion posterior samplers
//! against TV and PnP on every core physics, on held-out Fashion-MNIST test images
//! ([`inversa_lab::diffusion_priors`]). Writes `DIR/metrics.json` (per physics and method: PSNR and
//! SSIM with their spread, the feature Fréchet distance, network calls and seconds per image; the
//! papers' budget claims), `DIR/diffusion_priors.png` (one image per physics, every method) and
//! `DIR/report.html`, and prints the table as Markdown.

use crate::failure::Failure;
use crate::outputs::Planned;
use inversa_lab::diffusion_priors::{self, Settings, FIGURE};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct DiffusionPriorsArgs {
    /// Held-out test images (default 200; the first of the test split).
    #[arg(long)]
    images: Option<usize>,
    /// Physics, comma-separated [all: inpaint-random, inpaint-box, sr-x2, sr-x4, deblur, cs-25,
    /// mri-4x, ct-sparse].
    #[arg(long, value_delimiter = ',')]
    physics: Vec<String>,
    /// Methods, comma-separated [all: tv, pnp, dps, ddnm, dds, diffpir, red-diff, stsl]; the
    /// back-projection always runs.
    #[arg(long, value_delimiter = ',')]
    methods: Vec<String>,
    /// Network calls per image of a sampler, e.g. `dps=1000,dds=50` [dps=1000, ddnm=100, dds=50,
    /// diffpir=100, red-diff=1000, stsl=250].
    #[arg(long, value_delimiter = ',')]
    steps: Vec<String>,
    /// Images per network call.
    #[arg(long)]
    batch: Option<usize>,
    /// Training images the baselines' strengths are picked on.
    #[arg(long)]
    tune_images: Option<usize>,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Folder of the full Fashion-MNIST [the Debian package's, else the 100 bundled test images].
    #[arg(long)]
    data: Option<PathBuf>,
    /// The small setting of the test (2 images, inpainting and CT, 5–40 levels).
    #[arg(long)]
    quick: bool,
    /// Folder for metrics.json, the figure and report.html (created if missing).
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: DiffusionPriorsArgs) -> Result<(), Failure> {
    let names = ["metrics.json", FIGURE, "report.html"];
    let planned = Planned::check(&args.out, &names, &[("--data", args.data.as_deref())])?;
    let settings = settings(&args)?;
    // Each finished cell goes to stderr as it finishes; the table goes to stdout at the end.
    let outcome = diffusion_priors::run(&settings, &mut |line| eprintln!("{line}"))?;
    planned.write(&outcome, true)?;
    for (i, row) in diffusion_priors::table(&outcome.report.rows)
        .iter()
        .enumerate()
    {
        say!("| {} |", row.join(" | "));
        if i == 0 {
            say!("|{}", "---|".repeat(row.len()));
        }
    }
    for claim in &outcome.report.claims {
        say!("{}", claim.verdict());
    }
    say!(
        "wrote metrics.json, {FIGURE} and report.html to {}/",
        args.out.display()
    );
    Ok(())
}

/// The settings the flags ask for, over the quick or the default ones.
fn settings(args: &DiffusionPriorsArgs) -> Result<Settings, Failure> {
    let base = if args.quick {
        Settings::quick()
    } else {
        Settings::default()
    };
    let mut settings = Settings {
        images: args.images.unwrap_or(base.images),
        physics: if args.physics.is_empty() {
            base.physics.clone()
        } else {
            args.physics.clone()
        },
        methods: args.methods.clone(),
        batch: args.batch.unwrap_or(base.batch),
        tune_images: args.tune_images.unwrap_or(base.tune_images),
        seed: args.seed,
        data: args.data.clone(),
        ..base
    };
    for assignment in &args.steps {
        let parsed = assignment
            .split_once('=')
            .and_then(|(name, steps)| Some((name, steps.trim().parse::<usize>().ok()?)));
        let Some((name, steps)) = parsed else {
            let message = format!("expected METHOD=CALLS (e.g. dps=1000), got {assignment:?}");
            return Err(inversa_lab::Error::setting("steps", message).into());
        };
        settings.steps.set(name.trim(), steps)?;
    }
    Ok(settings)
}
