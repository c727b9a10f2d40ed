//! The diffusion samplers as task-file solvers with the bundled Fashion-MNIST UNet: every sampler
//! on every registered physics (a new physics is covered by being registered), the quality gain
//! over the starting point, and the refusals of inconsistent tasks, by key.

use inversa::task::Task;
use inversa::Error;
use inversa_learn::models::bundled;
use std::path::{Path, PathBuf};

/// Every registered diffusion sampler (a new one is covered by being registered), except IDM,
/// which runs its own fine-tuned weights, not the bundled UNet (`idm.rs`).
fn samplers() -> Vec<&'static str> {
    inversa_learn::solvers::diffusion_sampler::entries::<f32>()
        .iter()
        .map(|e| e.name)
        .filter(|name| *name != "idm")
        .collect()
}

/// A folder with `garment.png`, the bundled test image `index` (28×28 grey).
fn folder_with_garment(name: &str, index: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("inversa-diffusion-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let images = bundled::test_images().unwrap();
    let pixels: Vec<f32> = images
        .pixels(index)
        .iter()
        .map(|&p| f32::from(p) / 255.0)
        .collect();
    inversa::io::write_png_u8(&dir.join("garment.png"), &[1, 28, 28], &pixels).unwrap();
    dir
}

fn task(dir: &Path, physics: &str, solver: &str, extra: &str) -> inversa::Result<Task<f32>> {
    let text = format!(
        "[data]\nimage = \"garment.png\"\n[physics]\n{physics}\nnoise = {{ kind = \"gaussian\", sigma = 0.05 }}\n\
         [prior]\nkind = \"diffusion\"\n[solver]\nkind = \"{solver}\"\n{extra}"
    );
    Task::from_toml_with(&text, dir, "diffusion", &inversa_learn::task_extensions())
}

fn quiet() -> impl FnMut(&inversa::task::Step<f32>) -> inversa::Control {
    |_| inversa::Control::Continue
}

#[test]
fn every_sampler_runs_on_every_registered_physics() {
    let dir = folder_with_garment("every", 0);
    for physics in inversa::operators::registry::names() {
        // The defaults of each physics, except a downsampling factor that divides 28.
        let line = match physics {
            "downsample" => "kind = \"downsample\"\nfactor = 2".to_string(),
            _ => format!("kind = \"{physics}\""),
        };
        for solver in samplers() {
            // A budget of 4 network calls: 4 levels, or 2 of STSL's 2-call levels.
            let built = task(&dir, &line, solver, "steps = 4\n[run]\nsamples = 2\n");
            let task = built.unwrap_or_else(|e| panic!("{solver} on {physics}: {e}"));
            let outcome = task
                .run(&mut quiet())
                .unwrap_or_else(|e| panic!("{solver} on {physics}: {e}"));
            assert_eq!(outcome.info.model_calls, Some(4), "{solver} on {physics}");
            let spread = outcome
                .info
                .spread
                .as_ref()
                .expect("two samples have a spread");
            assert_eq!(spread.len(), 28 * 28);
            assert!(
                spread.iter().all(|s| s.is_finite() && *s >= 0.0),
                "{solver} on {physics}"
            );
            assert!(outcome.reconstruction.iter().all(|v| v.is_finite()));
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn samplers_improve_on_the_starting_point_of_a_noisy_inpainting() {
    let dir = folder_with_garment("quality", 3);
    let physics = "kind = \"inpaint\"\nmissing = 0.5";
    for solver in samplers() {
        // 25 levels each, but 50 for STSL (two calls a level): its probes change the chain's
        // noise draws, and one sample's PSNR at 25 levels varies by several dB between draws.
        // RED-Diff is an optimiser, one Adam step a level: 25 steps of its paper's weights leave
        // the noise in (+3.7 dB here; +11.4 dB at 100), so it gets 100.
        let steps = if matches!(solver, "stsl" | "red-diff") {
            100
        } else {
            25
        };
        let task = task(&dir, physics, solver, &format!("steps = {steps}\n")).unwrap();
        let outcome = task.run(&mut quiet()).unwrap();
        let (after, before) = (
            outcome.quality.unwrap().psnr,
            outcome.initial_quality.unwrap().psnr,
        );
        // The starting point is the masked image: half its pixels are black.
        assert!(
            after > before + 5.0,
            "{solver}: {after:.2} dB after, {before:.2} dB before"
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}

fn refused_key(result: inversa::Result<Task<f32>>) -> String {
    match result {
        Ok(_) => panic!("accepted"),
        Err(Error::Config { key, .. }) => key,
        Err(other) => panic!("not a key error: {other}"),
    }
}

#[test]
fn inconsistent_sampler_tasks_are_refused_by_key() {
    let dir = folder_with_garment("refusals", 1);
    let extensions = inversa_learn::task_extensions::<f32>();
    let with = |text: &str| Task::<f32>::from_toml_with(text, &dir, "bad", &extensions);
    let base = "[data]\nimage = \"garment.png\"\n[physics]\nkind = \"inpaint\"\n";
    let cases = [
        // A sampler needs the diffusion prior, and a proximal solver cannot use it.
        (
            format!("{base}[prior]\nkind = \"tv\"\n[solver]\nkind = \"dps\"\n"),
            "prior.kind",
        ),
        (format!("{base}[solver]\nkind = \"dds\"\n"), "prior"),
        (
            format!("{base}[prior]\nkind = \"diffusion\"\n[solver]\nkind = \"pdhg\"\n"),
            "prior.kind",
        ),
        (
            format!("{base}[solver]\nkind = \"pdhg\"\n[run]\nsamples = 4\n"),
            "run.samples",
        ),
        (
            format!("{base}[prior]\nkind = \"diffusion\"\nclass = 12\n[solver]\nkind = \"dps\"\n"),
            "prior.class",
        ),
        (
            format!(
                "{base}[prior]\nkind = \"diffusion\"\n[solver]\nkind = \"dps\"\nsteps = 5000\n"
            ),
            "solver.steps",
        ),
        (
            format!("{base}[prior]\nkind = \"diffusion\"\n[solver]\nkind = \"ddnm\"\neta = 2\n"),
            "solver.eta",
        ),
        (
            format!("{base}[prior]\nkind = \"diffusion\"\n[solver]\nkind = \"dps\"\nlambda = 2\n"),
            "solver.lambda",
        ),
        // STSL makes two calls a level: a budget of one is too small.
        (
            format!("{base}[prior]\nkind = \"diffusion\"\n[solver]\nkind = \"stsl\"\nsteps = 1\n"),
            "solver.steps",
        ),
        (
            format!(
                "{base}[prior]\nkind = \"diffusion\"\n[solver]\nkind = \"stsl\"\naveraging = 0\n"
            ),
            "solver.averaging",
        ),
        (
            format!("{base}[prior]\nkind = \"diffusion\"\n[solver]\nkind = \"stsl\"\neta = -1\n"),
            "solver.eta",
        ),
    ];
    for (text, key) in cases {
        assert_eq!(refused_key(with(&text)), key, "{text}");
    }
    // A colour or differently sized image does not fit the grey 28×28 model.
    let camera =
        "[data]\nimage = \"builtin:camera\"\ndownscale = 8\n[physics]\nkind = \"denoise\"\n\
                  [prior]\nkind = \"diffusion\"\n[solver]\nkind = \"dps\"\n";
    assert_eq!(refused_key(with(camera)), "data.image");
    std::fs::remove_dir_all(dir).unwrap();
}
