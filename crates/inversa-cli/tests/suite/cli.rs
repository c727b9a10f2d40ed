//! The `inversa` binary end to end: it runs tasks, writes the promised outputs, and turns bad input
//! into a clear message and exit code 2 without touching the user's files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn inversa(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_inversa"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the inversa binary runs")
}

/// A fresh scratch folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("inversa-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `inversa args` in `dir` and checks that it is refused as bad input: exit code 2 and a
/// message naming `expected` (a flag, a file, a limit).
fn assert_rejected(args: &[&str], dir: &Path, expected: &str) {
    let output = inversa(args, dir);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {text}");
    assert!(
        text.contains(expected),
        "{args:?} must name {expected}: {text}"
    );
}

const SMALL_DEBLUR: &str = r#"
[data]
image = "builtin:camera"
downscale = 4
[physics]
kind = "blur"
kernel = { kind = "gaussian", sigma = 1.5 }
noise = { kind = "gaussian", sigma = 0.01 }
[prior]
kind = "tv"
weight = 0.004
[solver]
kind = "pdhg"
iterations = 150
"#;

#[test]
fn run_writes_every_promised_output_and_improves_on_the_start() {
    let dir = scratch("run");
    std::fs::write(dir.join("task.toml"), SMALL_DEBLUR).unwrap();
    let output = inversa(&["run", "task.toml", "--out", "result"], &dir);
    assert!(output.status.success(), "{}", stderr(&output));
    for file in [
        "reconstruction.png",
        "reconstruction.npy",
        "measurement.png",
        "measurement.npy",
        "ground_truth.png",
        "initial.png",
        "metrics.json",
        "convergence.png",
        "report.html",
    ] {
        assert!(dir.join("result").join(file).is_file(), "missing {file}");
    }
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("result/metrics.json")).unwrap())
            .unwrap();
    let psnr = metrics["psnr"].as_f64().unwrap();
    let start = metrics["initial"]["psnr"].as_f64().unwrap();
    assert!(
        psnr > start + 1.0,
        "TV deblurring must beat its start: {psnr} vs {start}"
    );
    assert!(metrics["ssim"].as_f64().unwrap() > 0.5);
    assert_eq!(metrics["iterations"].as_u64(), Some(150));
    assert_eq!(
        metrics["history"]["objective"].as_array().unwrap().len(),
        150
    );
    assert_eq!(metrics["history"]["psnr"].as_array().unwrap().len(), 150);
    assert!(metrics["seconds"].as_f64().unwrap() > 0.0);
    let html = std::fs::read_to_string(dir.join("result/report.html")).unwrap();
    assert!(html.contains("data:image/png;base64,") && html.contains("kind = &quot;blur&quot;"));
}

#[test]
fn a_saved_measurement_reconstructs_like_the_simulated_one() {
    let dir = scratch("measurement");
    std::fs::write(dir.join("simulate.toml"), SMALL_DEBLUR).unwrap();
    assert!(inversa(&["run", "simulate.toml", "--out", "a"], &dir)
        .status
        .success());
    let from_file = SMALL_DEBLUR
        .replace(
            "image = \"builtin:camera\"\ndownscale = 4",
            "measurement = \"a/measurement.npy\"\nshape = [128, 128]",
        )
        .replace("noise = { kind = \"gaussian\", sigma = 0.01 }\n", "");
    std::fs::write(dir.join("measured.toml"), from_file).unwrap();
    let output = inversa(&["run", "measured.toml", "--out", "b"], &dir);
    assert!(output.status.success(), "{}", stderr(&output));
    let a = std::fs::read(dir.join("a/reconstruction.npy")).unwrap();
    let b = std::fs::read(dir.join("b/reconstruction.npy")).unwrap();
    assert_eq!(
        a, b,
        "same measurement, same solver: the same reconstruction"
    );
    let metrics = std::fs::read_to_string(dir.join("b/metrics.json")).unwrap();
    assert!(
        metrics.contains("\"psnr\": null"),
        "no ground truth, no PSNR"
    );
}

#[test]
fn list_names_every_registered_method() {
    let output = inversa(&["list"], Path::new("."));
    let text = String::from_utf8(output.stdout).unwrap();
    for name in inversa::operators::registry::names()
        .into_iter()
        .chain(inversa::priors::registry::names())
        .chain(inversa::solvers::registry::names())
    {
        assert!(
            text.contains(&format!("  {name} ")),
            "inversa list misses {name}"
        );
    }
}

/// Runs a task that must be rejected; returns its stderr.
fn rejected(dir: &Path, toml: &str) -> String {
    std::fs::write(dir.join("bad.toml"), toml).unwrap();
    let output = inversa(&["run", "bad.toml", "--out", "out"], dir);
    assert_eq!(
        output.status.code(),
        Some(2),
        "bad input must exit with 2: {}",
        stderr(&output)
    );
    let text = stderr(&output);
    assert!(!text.contains("panicked"), "{text}");
    text
}

#[test]
fn bad_input_is_a_clear_error_with_exit_code_2() {
    let dir = scratch("bad");
    let missing = rejected(&dir, &SMALL_DEBLUR.replace("builtin:camera", "no-such.png"));
    assert!(missing.contains("no-such.png"), "{missing}");
    let unknown = rejected(
        &dir,
        &SMALL_DEBLUR.replace("weight = 0.004", "wieght = 0.004"),
    );
    assert!(
        unknown.contains("prior.wieght") && unknown.contains("unknown key"),
        "{unknown}"
    );
    let kind = rejected(
        &dir,
        &SMALL_DEBLUR.replace("kind = \"blur\"", "kind = \"blurr\""),
    );
    assert!(
        kind.contains("physics.kind") && kind.contains("denoise"),
        "{kind}"
    );
    let negative = rejected(
        &dir,
        &SMALL_DEBLUR.replace("iterations = 150", "iterations = -5"),
    );
    assert!(negative.contains("solver.iterations"), "{negative}");
    let syntax = rejected(&dir, "[data\nimage = 1");
    assert!(
        syntax.contains("bad.toml") && syntax.contains("TOML"),
        "{syntax}"
    );
    let missing_file = inversa(&["run", "nothing.toml"], &dir);
    assert_eq!(missing_file.status.code(), Some(2));
    assert!(stderr(&missing_file).contains("nothing.toml"));
}

#[test]
fn an_image_with_nan_and_a_misfit_measurement_are_rejected() {
    let dir = scratch("nan");
    let mut values = vec![0.5f32; 16 * 16];
    values[37] = f32::NAN;
    inversa::io::write_npy_f32(&dir.join("nan.npy"), &[16, 16], &values).unwrap();
    let nan = rejected(
        &dir,
        &SMALL_DEBLUR
            .replace("builtin:camera", "nan.npy")
            .replace("downscale = 4", ""),
    );
    assert!(
        nan.contains("nan.npy") && nan.contains("not finite"),
        "{nan}"
    );
    inversa::io::write_npy_f32(&dir.join("y.npy"), &[10, 12], &vec![0.0; 120]).unwrap();
    let toml = SMALL_DEBLUR
        .replace(
            "image = \"builtin:camera\"\ndownscale = 4",
            "measurement = \"y.npy\"\nshape = [16, 16]",
        )
        .replace("noise = { kind = \"gaussian\", sigma = 0.01 }\n", "");
    let misfit = rejected(&dir, &toml);
    assert!(
        misfit.contains("y.npy") && misfit.contains("[10, 12]") && misfit.contains("[1, 16, 16]"),
        "{misfit}"
    );
}

#[test]
fn outputs_never_replace_an_input() {
    let dir = scratch("overwrite");
    let values = vec![0.25f32; 32 * 32];
    inversa::io::write_npy_f32(&dir.join("reconstruction.npy"), &[32, 32], &values).unwrap();
    let before = std::fs::read(dir.join("reconstruction.npy")).unwrap();
    let toml = SMALL_DEBLUR
        .replace("builtin:camera", "reconstruction.npy")
        .replace("downscale = 4", "");
    std::fs::write(dir.join("task.toml"), toml).unwrap();
    let output = inversa(&["run", "task.toml", "--out", "."], &dir);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("would replace the input task"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        std::fs::read(dir.join("reconstruction.npy")).unwrap(),
        before,
        "the input is untouched"
    );
}

#[test]
fn every_example_task_file_is_valid() {
    let tasks = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tasks");
    let mut count = 0;
    for entry in std::fs::read_dir(&tasks).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            inversa::task::Task::<f32>::from_file_with(&path, &inversa_learn::task_extensions())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            count += 1;
        }
    }
    assert!(
        count >= 6,
        "expected the example tasks in {}",
        tasks.display()
    );
}

#[test]
fn the_readme_documents_exactly_the_keys_that_run_help_prints() {
    let output = inversa(&["run", "--help"], Path::new("."));
    let help = String::from_utf8(output.stdout).unwrap();
    let keys = &help[help
        .find("[data]")
        .expect("run --help lists the [data] keys")..];
    let keys = keys[..keys.find("\n\nUsage").unwrap_or(keys.len())].trim_end();
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    assert!(
        readme.contains(keys),
        "README.md's key reference differs from `inversa run --help`:\n{keys}"
    );
}

#[test]
fn bench_prints_every_operator_and_solver_with_its_operator_calls() {
    let dir = scratch("bench");
    let output = inversa(
        &[
            "bench",
            "--size",
            "64",
            "--repeats",
            "1",
            "--max-size",
            "256",
        ],
        &dir,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    let row = |name: &str| -> Vec<String> {
        text.lines()
            .find(|line| line.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no `{name}` row in:\n{text}"))
            .split_whitespace()
            .map(String::from)
            .collect()
    };
    for operator in [
        "denoise",
        "blur",
        "inpaint",
        "downsample",
        "cs",
        "mri",
        "ct",
    ] {
        assert_eq!(row(operator).len(), 6, "{operator} row");
    }
    // The first solver table is blur: FISTA, PDHG and CG make exactly one A and one A* per
    // iteration (FISTA gets A v by linearity instead of a third call).
    for solver in ["cg", "fista", "pdhg"] {
        let cells = row(solver);
        assert_eq!(
            (cells[2].as_str(), cells[3].as_str()),
            ("1.00", "1.00"),
            "{solver}"
        );
    }
    assert!(text.contains("256²"), "no scaling row in:\n{text}");
}

/// A folder of three small synthetic grey training images (stripes and a square).
fn training_images(dir: &Path) -> PathBuf {
    let folder = dir.join("images");
    std::fs::create_dir_all(&folder).unwrap();
    for k in 0..3usize {
        let values: Vec<f32> = (0..40 * 40)
            .map(|p| {
                let (y, x) = (p / 40, p % 40);
                let square = (10..26).contains(&(x + k)) && (8..30).contains(&y);
                if square {
                    0.8
                } else {
                    0.2 + 0.02 * ((x + y * k) % 10) as f32
                }
            })
            .collect();
        inversa::io::write_png_u8(&folder.join(format!("i{k}.png")), &[1, 40, 40], &values)
            .unwrap();
    }
    folder
}

const TINY_TRAINING: [&str; 12] = [
    "--steps",
    "12",
    "--batch",
    "4",
    "--crop",
    "16",
    "--depth",
    "3",
    "--features",
    "6",
    "--warmup",
    "2",
];

#[test]
fn train_denoiser_writes_its_files_resumes_and_never_overwrites_by_default() {
    let dir = scratch("train");
    training_images(&dir);
    let mut args = vec![
        "train",
        "denoiser",
        "--images",
        "images",
        "--out",
        "w.safetensors",
    ];
    args.extend(["--validation", "images"]);
    args.extend(TINY_TRAINING);
    let output = inversa(&args, &dir);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    for level in ["   15", "   25", "   50"] {
        assert!(
            text.contains(level),
            "the validation table lists σ = {level}: {text}"
        );
    }
    for file in [
        "w.safetensors",
        "w.safetensors.history.json",
        "w.safetensors.plot.png",
    ] {
        assert!(dir.join(file).is_file(), "missing {file}");
    }
    let weights = std::fs::read(dir.join("w.safetensors")).unwrap();
    let again = inversa(&args, &dir);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(stderr(&again).contains("--resume"), "{}", stderr(&again));
    assert_eq!(
        std::fs::read(dir.join("w.safetensors")).unwrap(),
        weights,
        "untouched"
    );
    // The checkpoint's settings carry over: a resume asking for more steps is refused by name.
    let more = inversa(
        &[
            "train",
            "denoiser",
            "--images",
            "images",
            "--out",
            "w.safetensors",
            "--resume",
            "--steps",
            "20",
        ],
        &dir,
    );
    assert_eq!(more.status.code(), Some(2), "{}", stderr(&more));
    assert!(stderr(&more).contains("steps"), "{}", stderr(&more));
    let done = inversa(
        &[
            "train",
            "denoiser",
            "--images",
            "images",
            "--out",
            "w.safetensors",
            "--resume",
        ],
        &dir,
    );
    assert!(done.status.success(), "{}", stderr(&done));
    // The trained weights work as a plug-and-play prior named by path.
    std::fs::write(
        dir.join("pnp.toml"),
        SMALL_DEBLUR
            .replace(
                "kind = \"tv\"",
                "kind = \"pnp\"\ndenoiser = \"w.safetensors\"",
            )
            .replace("weight = 0.004", "weight = 1e-5")
            .replace(
                "kind = \"pdhg\"\niterations = 150",
                "kind = \"hqs\"\niterations = 3",
            ),
    )
    .unwrap();
    let pnp = inversa(&["run", "pnp.toml", "--out", "pnp"], &dir);
    assert!(pnp.status.success(), "{}", stderr(&pnp));
}

#[test]
fn train_from_a_toml_file_and_its_bad_input() {
    let dir = scratch("train-toml");
    training_images(&dir);
    let config = "[train]\nimages = \"images\"\nout = \"w.safetensors\"\nsteps = 3\nbatch = 2\ncrop = 16\ndepth = 2\nfeatures = 4\n";
    std::fs::write(dir.join("train.toml"), config).unwrap();
    let output = inversa(&["train", "train.toml"], &dir);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(dir.join("w.safetensors").is_file());
    let refuse = |args: &[&str], needles: &[&str]| {
        let output = inversa(args, &dir);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        let text = stderr(&output);
        assert!(!text.contains("panicked"), "{text}");
        for needle in needles {
            assert!(text.contains(needle), "{args:?} must name {needle}: {text}");
        }
    };
    std::fs::write(dir.join("typo.toml"), config.replace("steps", "stpes")).unwrap();
    refuse(
        &["train", "typo.toml", "--force"],
        &["train.stpes", "typo.toml", "unknown key"],
    );
    std::fs::write(dir.join("table.toml"), format!("{config}[model]\n")).unwrap();
    refuse(
        &["train", "table.toml", "--force"],
        &["model", "table.toml"],
    );
    let args = ["train", "denoiser", "--out", "x.safetensors", "--images"];
    refuse(
        &[&args[..], &["missing-folder"]].concat(),
        &["missing-folder"],
    );
    refuse(
        &[&args[..], &["images", "--crop", "64"]].concat(),
        &["i0.png", "40×40"],
    );
    refuse(
        &[&args[..], &["images", "--depth", "1"]].concat(),
        &["depth"],
    );
}

#[test]
fn solve_sequence_writes_metrics_and_plot_and_rejects_bad_flags() {
    let dir = scratch("solve-sequence");
    let output = inversa(
        &[
            "solve-sequence",
            "--problem",
            "darcy",
            "--grid",
            "16",
            "--systems",
            "4",
            "--tol",
            "1e-8",
            "--method",
            "gcrodr",
            "--restart",
            "20",
            "--recycle",
            "5",
            "--preconditioner",
            "ilu0",
            "--seed",
            "0",
            "--out",
            "seq",
        ],
        &dir,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(dir.join("seq/iterations.png").is_file());
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("seq/metrics.json")).unwrap())
            .unwrap();
    for key in [
        "total_iterations",
        "seconds",
        "max_relative_residual",
        "iterations",
        "relative_residuals",
        "order",
        "method",
        "problem",
        "grid",
        "m",
        "k",
        "preconditioner",
    ] {
        assert!(!metrics[key].is_null(), "metrics.json lacks {key}");
    }
    assert!(metrics["max_relative_residual"].as_f64().unwrap() <= 1e-8);
    let iterations = metrics["iterations"].as_array().unwrap();
    assert_eq!(iterations.len(), 4);
    let sum: u64 = iterations.iter().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(metrics["total_iterations"].as_u64(), Some(sum));
    let mut order: Vec<u64> = metrics["order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    order.sort();
    assert_eq!(order, vec![0, 1, 2, 3]);
    for (flags, expected) in [
        (vec!["--method", "deep-cd"], "--problem"),
        (
            vec!["--method", "deep-cd", "--problem", "helmholtz"],
            "--problem",
        ),
        (
            vec![
                "--method",
                "deep-cd",
                "--problem",
                "poisson",
                "--preconditioner",
                "ilu0",
            ],
            "--preconditioner",
        ),
        (vec!["--method", "bicg"], "deep-cd"),
        (vec!["--grid", "2"], "--grid"),
        (vec!["--systems", "0"], "--systems"),
        (vec!["--tol", "0"], "--tol"),
        (vec!["--problem", "heat"], "--problem"),
        (vec!["--method", "cg", "--problem", "helmholtz"], "--method"),
    ] {
        let mut args = vec![
            "solve-sequence",
            "--grid",
            "8",
            "--systems",
            "2",
            "--out",
            "bad",
        ];
        args.extend(flags.iter());
        assert_rejected(&args, &dir, expected);
    }
    assert!(!dir.join("bad/metrics.json").exists());
}

#[test]
fn train_deep_cd_writes_its_files_resumes_and_solves_with_them() {
    let dir = scratch("train-deep-cd");
    let args = [
        "train",
        "deep-cd",
        "--out",
        "dcd.safetensors",
        "--grid",
        "8,12",
        "--steps",
        "4",
        "--batch",
        "2",
        "--channels",
        "4",
    ];
    let output = inversa(&args, &dir);
    assert!(output.status.success(), "{}", stderr(&output));
    for file in [
        "dcd.safetensors",
        "dcd.safetensors.history.json",
        "dcd.safetensors.plot.png",
    ] {
        assert!(dir.join(file).is_file(), "missing {file}");
    }
    let resumed = inversa(
        &["train", "deep-cd", "--out", "dcd.safetensors", "--resume"],
        &dir,
    );
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    let other_grid = inversa(
        &[
            "train",
            "deep-cd",
            "--out",
            "dcd.safetensors",
            "--resume",
            "--grid",
            "16",
        ],
        &dir,
    );
    assert_eq!(other_grid.status.code(), Some(2), "{}", stderr(&other_grid));
    assert!(
        stderr(&other_grid).contains("--grid"),
        "{}",
        stderr(&other_grid)
    );
    for (flags, expected) in [
        (vec!["--grid", "2"], "--grid"),
        (vec!["--grid", "8", "--images", "x"], "--images"),
    ] {
        let mut bad = vec!["train", "deep-cd", "--out", "bad.safetensors"];
        bad.extend(flags.iter());
        assert_rejected(&bad, &dir, expected);
    }
    // Weights given by path drive the solver (the bundled file: four steps do not make a solver).
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/weights/deep_cd_poisson.safetensors");
    let solve = inversa(
        &[
            "solve-sequence",
            "--problem",
            "poisson",
            "--method",
            "deep-cd",
            "--weights",
            bundled.to_str().unwrap(),
            "--grid",
            "16",
            "--systems",
            "1",
            "--tol",
            "1e-4",
            "--out",
            "solved",
        ],
        &dir,
    );
    assert!(solve.status.success(), "{}", stderr(&solve));
    assert!(dir.join("solved/metrics.json").is_file());
    // Weights of another kind are refused, naming the file.
    let wrong = inversa(
        &[
            "solve-sequence",
            "--problem",
            "poisson",
            "--method",
            "deep-cd",
            "--weights",
            "dcd.safetensors.history.json",
            "--out",
            "wrong",
        ],
        &dir,
    );
    assert_eq!(wrong.status.code(), Some(2), "{}", stderr(&wrong));
    assert!(
        stderr(&wrong).contains("history.json"),
        "{}",
        stderr(&wrong)
    );
}

#[test]
fn solve_sequence_deep_cd_solves_poisson_with_the_bundled_network() {
    let dir = scratch("solve-sequence-deep-cd");
    let output = inversa(
        &[
            "solve-sequence",
            "--problem",
            "poisson",
            "--method",
            "deep-cd",
            "--grid",
            "32",
            "--systems",
            "1",
            "--tol",
            "1e-4",
            "--out",
            "dcd",
        ],
        &dir,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(dir.join("dcd/iterations.png").is_file());
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("dcd/metrics.json")).unwrap())
            .unwrap();
    assert_eq!(metrics["method"], "deep-cd");
    for key in ["total_iterations", "seconds", "iterations"] {
        assert!(!metrics[key].is_null(), "metrics.json lacks {key}");
    }
    // The true residual, recomputed after the solve, meets the tolerance.
    let residual = metrics["max_relative_residual"].as_f64().unwrap();
    assert!(residual <= 1e-4, "relative residual {residual}");
}

#[test]
fn attack_gradient_writes_its_files_and_rejects_bad_flags() {
    let dir = scratch("attack");
    let values: Vec<f32> = (0..16 * 16)
        .map(|p| 0.2 + 0.6 * (((p / 16) / 4 + (p % 16) / 4) % 2) as f32)
        .collect();
    inversa::io::write_png_u8(&dir.join("client.png"), &[1, 16, 16], &values).unwrap();
    let out = inversa(
        &[
            "attack",
            "gradient",
            "--method",
            "idlg",
            "--image",
            "client.png",
            "--label",
            "3",
            "--iterations",
            "40",
            "--out",
            "audit",
        ],
        &dir,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.join("audit/reconstruction.png").exists());
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("audit/metrics.json")).unwrap())
            .unwrap();
    for key in ["psnr", "ssim", "label_accuracy", "seconds"] {
        assert!(metrics.get(key).is_some(), "metrics.json lacks {key}");
    }
    assert_eq!(metrics["label_accuracy"], 1.0);
    let image = inversa::io::read_png(&dir.join("audit/reconstruction.png")).unwrap();
    assert_eq!(
        image.shape,
        vec![1, 16, 34],
        "original, 2-pixel gap, reconstruction"
    );
    // A batch of the bundled Fashion-MNIST test images, scored after matching.
    let args = [
        "attack",
        "gradient",
        "--method",
        "ig",
        "--data",
        "fashion-mnist",
        "--batch",
        "2",
        "--iterations",
        "20",
        "--out",
        "batch",
    ];
    let out = inversa(&args, &dir);
    assert!(out.status.success(), "{}", stderr(&out));
    let metrics = read_metrics(
        &dir.join("batch/metrics.json"),
        &["psnr", "ssim", "label_accuracy"],
    );
    assert_eq!(metrics["batch"], 2);
    let mut matched: Vec<u64> = metrics["matched_originals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    matched.sort_unstable();
    assert_eq!(matched, [0, 1], "a permutation of the batch");
    let image = inversa::io::read_png(&dir.join("batch/reconstruction.png")).unwrap();
    assert_eq!(
        image.shape,
        vec![1, 2 * 28 + 2, 2 * 28 + 2],
        "two rows of original | reconstruction"
    );

    // The trained digit recogniser on a bundled MNIST digit: iDLG reads the label.
    let args = [
        "attack",
        "gradient",
        "--model",
        "digit-recognizer",
        "--data",
        "mnist",
        "--method",
        "ig",
        "--iterations",
        "5",
        "--out",
        "digit",
    ];
    let out = inversa(&args, &dir);
    assert!(out.status.success(), "{}", stderr(&out));
    let metrics = read_metrics(&dir.join("digit/metrics.json"), &["psnr", "label_accuracy"]);
    assert_eq!(metrics["model"], "digit-recognizer");
    assert_eq!(metrics["label_accuracy"], 1.0);

    let odd = vec![0.5f32; 18 * 18];
    inversa::io::write_png_u8(&dir.join("odd.png"), &[1, 18, 18], &odd).unwrap();
    for (flags, expected) in [
        (vec!["--image", "client.png"], "--label"),
        (
            vec!["--label", "3", "--image", "client.png", "--batch", "2"],
            "--batch",
        ),
        (
            vec![
                "--data",
                "fashion-mnist",
                "--batch",
                "2",
                "--method",
                "idlg",
            ],
            "idlg",
        ),
        (vec!["--data", "fashion-mnist", "--batch", "0"], "--batch"),
        (
            vec![
                "--data",
                "fashion-mnist",
                "--local-steps",
                "3",
                "--method",
                "dia",
            ],
            "--local-steps",
        ),
        (
            vec![
                "--data",
                "fashion-mnist",
                "--local-steps",
                "3",
                "--local-lr",
                "0",
            ],
            "--local-lr",
        ),
        (vec!["--label", "12", "--image", "client.png"], "--label"),
        (
            vec!["--label", "3", "--image", "odd.png"],
            "--model lenet: needs sides divisible by 4",
        ),
        (
            vec!["--label", "3", "--image", "missing.png"],
            "missing.png",
        ),
        (
            vec!["--label", "3", "--image", "client.png", "--dropout", "1"],
            "--dropout",
        ),
        (
            vec![
                "--label",
                "3",
                "--image",
                "client.png",
                "--model",
                "digit-recognizer",
            ],
            "28×28",
        ),
        (vec!["--data", "mnist", "--model", "vgg"], "--model"),
    ] {
        let mut args = vec!["attack", "gradient"];
        args.extend(flags);
        assert_rejected(&args, &dir, expected);
    }
}

/// A Fashion-MNIST folder of plain IDX files: `count` 28×28 training and 6 test images, class
/// `k` a bright bar at column band `k` of 4.
fn fashion_data(dir: &Path, count: usize) -> PathBuf {
    let folder = dir.join("fashion");
    std::fs::create_dir_all(&folder).unwrap();
    for (prefix, n) in [("train", count), ("t10k", 6)] {
        let labels: Vec<u8> = (0..n).map(|i| (i % 4) as u8).collect();
        let mut images = vec![0, 0, 8, 3];
        let mut label_file = vec![0, 0, 8, 1];
        for d in [n as u32, 28, 28] {
            images.extend(d.to_be_bytes());
        }
        label_file.extend((n as u32).to_be_bytes());
        label_file.extend(&labels);
        for &l in &labels {
            images.extend((0..784).map(|p| if (p % 28) / 7 == l as usize { 220 } else { 0 }));
        }
        std::fs::write(folder.join(format!("{prefix}-images-idx3-ubyte")), images).unwrap();
        std::fs::write(
            folder.join(format!("{prefix}-labels-idx1-ubyte")),
            label_file,
        )
        .unwrap();
    }
    folder
}

#[test]
fn train_diffusion_then_sample_writes_a_grid_and_the_samples() {
    let dir = scratch("diffusion");
    fashion_data(&dir, 16);
    let train = [
        "train",
        "diffusion",
        "--data",
        "fashion",
        "--out",
        "u.safetensors",
        "--steps",
        "3",
        "--batch",
        "4",
        "--warmup",
        "1",
        "--channels",
        "8",
        "--groups",
        "4",
        "--timesteps",
        "50",
        "--validation-size",
        "4",
    ];
    let output = inversa(&train, &dir);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(dir.join("u.safetensors.history.json").is_file());
    let sample = |class: &str, out: &str| {
        let args = [
            "sample",
            "--model",
            "u.safetensors",
            "--class",
            class,
            "--count",
            "3",
            "--steps",
            "4",
            "--guidance",
            "2",
            "--seed",
            "5",
            "--out",
            out,
        ];
        inversa(&args, &dir)
    };
    let output = sample("3", "a");
    assert!(output.status.success(), "{}", stderr(&output));
    let samples = inversa::io::read_npy(&dir.join("a/samples.npy")).unwrap();
    assert_eq!(samples.shape, vec![3, 32, 32]);
    assert!(samples.data.iter().all(|v| v.is_finite()));
    // Three images in a 2×2 grid of 32-pixel cells with 2-pixel gaps.
    let grid = inversa::io::read_png(&dir.join("a/samples.png")).unwrap();
    assert_eq!(grid.shape[grid.shape.len() - 2..], [66, 66]);
    assert!(sample("3", "b").status.success());
    assert_eq!(
        std::fs::read(dir.join("a/samples.npy")).unwrap(),
        std::fs::read(dir.join("b/samples.npy")).unwrap(),
        "the same seed draws the same samples"
    );
    let output = sample("10", "c");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--class 10"),
        "{}",
        stderr(&output)
    );
    // The rectified-flow UNet trains and samples the same way; a diffusion run does not resume
    // as a flow one.
    let mut flow = train.to_vec();
    (flow[1], flow[5]) = ("flow", "f.safetensors");
    let output = inversa(&flow, &dir);
    assert!(output.status.success(), "{}", stderr(&output));
    let args = [
        "sample",
        "--model",
        "f.safetensors",
        "--count",
        "2",
        "--steps",
        "3",
        "--out",
        "f",
    ];
    let output = inversa(&args, &dir);
    assert!(output.status.success(), "{}", stderr(&output));
    let samples = inversa::io::read_npy(&dir.join("f/samples.npy")).unwrap();
    assert_eq!(samples.shape, vec![2, 32, 32]);
    flow[5] = "u.safetensors";
    flow.push("--resume");
    let output = inversa(&flow, &dir);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("epsilon"), "{}", stderr(&output));
    // The training refuses to overwrite its weights, and a missing data set names the package.
    assert_eq!(inversa(&train, &dir).status.code(), Some(2));
    let mut missing = train.to_vec();
    missing[3] = "nowhere";
    missing.push("--force");
    let output = inversa(&missing, &dir);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("dataset-fashion-mnist"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn train_classifier_reports_its_test_accuracy() {
    let dir = scratch("classifier");
    fashion_data(&dir, 16);
    let args = [
        "train",
        "classifier",
        "--data",
        "fashion",
        "--out",
        "c.safetensors",
        "--steps",
        "2",
        "--batch",
        "4",
        "--channels",
        "4",
    ];
    let output = inversa(&args, &dir);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("test accuracy:") && text.contains("on 6 images"),
        "{text}"
    );
    // The same from a TOML file; a bad value names its key and the file.
    let toml = "[train]\nmodel = \"classifier\"\ndata = \"fashion\"\nout = \"t.safetensors\"\nsteps = 2\nbatch = 4\nchannels = 4\n";
    std::fs::write(dir.join("classifier.toml"), toml).unwrap();
    let output = inversa(&["train", "classifier.toml"], &dir);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(dir.join("t.safetensors").is_file());
    let toml = "[train]\nmodel = \"flow\"\ndata = \"fashion\"\nout = \"f.safetensors\"\nnoise_schedule = \"square\"\n";
    std::fs::write(dir.join("flow.toml"), toml).unwrap();
    let output = inversa(&["train", "flow.toml"], &dir);
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    assert!(
        text.contains("train.noise_schedule") && text.contains("flow.toml"),
        "{text}"
    );
}

#[test]
fn experiments_write_metrics_and_plots_and_name_bad_flags() {
    let dir = scratch("experiment");
    let read = |name: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(dir.join(name).join("metrics.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    };
    let args = ["experiment", "matrix-sensing", "--seed", "0", "--out", "ms"];
    let output = inversa(
        &[
            &args[..],
            &["--n", "10", "--rank", "1", "--iterations", "300"],
        ]
        .concat(),
        &dir,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let metrics = read("ms");
    let runs = metrics["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 13);
    // k = r converges; k = r + 4 (symmetric, same α) stays far above it.
    let (exact, over) = (
        runs[0]["final_error"].as_f64().unwrap(),
        runs[3]["final_error"].as_f64().unwrap(),
    );
    assert!(
        exact < 1e-8 && over > 100.0 * exact,
        "{exact:e} vs {over:e}"
    );
    assert!(dir.join("ms/matrix_sensing.png").is_file());

    let args = [
        "experiment",
        "convex-relu",
        "--seed",
        "0",
        "--out",
        "relu",
        "--samples",
        "30",
    ];
    let output = inversa(
        &[
            &args[..],
            &["--patterns", "10", "--seeds", "1", "--steps", "300"],
        ]
        .concat(),
        &dir,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let metrics = read("relu");
    assert!(metrics["convex"]["objective"].as_f64().unwrap() > 0.0);
    assert_eq!(metrics["adam"].as_array().unwrap().len(), 2);
    assert!(dir.join("relu/convex_relu.png").is_file());

    let args = [
        "experiment",
        "mfac",
        "--out",
        "mfac",
        "--max-d",
        "1000",
        "--max-steps",
        "50",
    ];
    let output = inversa(&args, &dir);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(read("mfac")["timing"].as_array().unwrap().len(), 6);
    assert!(
        dir.join("mfac/mfac_timing.png").is_file() && dir.join("mfac/mfac_optimiser.png").is_file()
    );

    for (args, flag) in [
        (
            &["experiment", "matrix-sensing", "--out", "x", "--n", "1"][..],
            "--n",
        ),
        (
            &["experiment", "matrix-sensing", "--out", "x", "--rank", "0"][..],
            "--rank",
        ),
        (
            &["experiment", "convex-relu", "--out", "x", "--beta=-1"][..],
            "--beta",
        ),
        (
            &["experiment", "mfac", "--out", "x", "--max-d", "10"][..],
            "--max-d",
        ),
        (
            &["experiment", "mfac", "--out", "x", "--max-d", "many"][..],
            "--max-d",
        ),
    ] {
        let output = inversa(args, &dir);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&output).contains(flag),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

/// The metrics file at `path`, checked to have every one of `keys`.
fn read_metrics(path: &Path, keys: &[&str]) -> serde_json::Value {
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for key in keys {
        assert!(metrics.get(key).is_some(), "{} lacks {key}", path.display());
    }
    metrics
}

#[test]
fn invert_and_edit_with_the_bundled_models_write_their_files_and_name_bad_flags() {
    let dir = scratch("invert");
    let out = inversa(
        &[
            "invert", "--method", "bdia", "--dtype", "f64", "--steps", "10", "--out", "inv",
        ],
        &dir,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let keys = [
        "reconstruction_psnr",
        "reconstruction_max_abs_error",
        "seconds",
        "model_calls",
    ];
    let metrics = read_metrics(&dir.join("inv/metrics.json"), &keys);
    let error = metrics["reconstruction_max_abs_error"].as_f64().unwrap();
    assert!(error < 1e-9, "BDIA in f64 is exact to round-off: {error}");
    let image = inversa::io::read_png(&dir.join("inv/reconstruction.png")).unwrap();
    assert_eq!(image.shape, vec![1, 28, 28]);
    let latent = inversa::io::read_npy(&dir.join("inv/latent.npy")).unwrap();
    assert_eq!(latent.shape, vec![2, 32, 32], "BDIA's pair of states");
    assert!(dir.join("inv/comparison.png").exists());

    // A user's own 28×28 PNG with its class; the edit scores the result with the classifier.
    let garment: Vec<f32> = (0..28 * 28)
        .map(|p| {
            f32::from(u8::from(
                (6..22).contains(&(p / 28)) && (8..20).contains(&(p % 28)),
            )) * 0.8
        })
        .collect();
    inversa::io::write_png_u8(&dir.join("garment.png"), &[1, 28, 28], &garment).unwrap();
    let out = inversa(
        &[
            "edit",
            "--method",
            "ddcm",
            "--image",
            "garment.png",
            "--source-class",
            "0",
            "--target-class",
            "3",
            "--steps",
            "10",
            "--out",
            "edit",
        ],
        &dir,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let keys = [
        "target_class_probability",
        "ssim_to_source",
        "psnr_to_source",
        "seconds",
    ];
    let metrics = read_metrics(&dir.join("edit/metrics.json"), &keys);
    let probability = metrics["target_class_probability"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&probability));
    assert!(dir.join("edit/edit.png").exists() && dir.join("edit/comparison.png").exists());

    let odd = vec![0.5f32; 18 * 18];
    inversa::io::write_png_u8(&dir.join("odd.png"), &[1, 18, 18], &odd).unwrap();
    for (args, expected) in [
        (vec!["invert", "--method", "euler"], "--model rf"),
        (vec!["invert", "--class", "12"], "--class"),
        (
            vec!["invert", "--image", "odd.png", "--class", "1"],
            "odd.png",
        ),
        (vec!["invert", "--image", "garment.png"], "--class"),
        (vec!["invert", "--test-image", "100"], "--test-image"),
        (
            vec!["invert", "--model", "rf", "--method", "edict"],
            "--method",
        ),
        (
            vec!["invert", "--model", "missing.safetensors"],
            "missing.safetensors",
        ),
        (vec!["invert", "--steps", "0"], "--steps"),
        // Only DDCM draws noise: a seed for another method would be silently ignored.
        (vec!["invert", "--method", "edict", "--seed", "3"], "--seed"),
        (vec!["edit", "--target-class", "10"], "--target-class"),
    ] {
        let mut args = args;
        args.extend(["--out", "bad"]);
        assert_rejected(&args, &dir, expected);
    }
}

#[test]
fn fl_writes_its_files_and_rejects_bad_flags() {
    let dir = scratch("fl");
    let args = [
        "fl",
        "--data",
        "bundled",
        "--aggregation",
        "all",
        "--staleness",
        "3",
        "--rounds",
        "6",
        "--samples",
        "4",
        "--hidden",
        "16",
        "--inversion-steps",
        "5",
        "--out",
        "run",
    ];
    let out = inversa(&args, &dir);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.join("run/accuracy.png").exists());
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("run/metrics.json")).unwrap())
            .unwrap();
    assert_eq!(metrics["settings"]["staleness"], 3);
    let runs = metrics["runs"].as_array().unwrap();
    let names: Vec<&str> = runs
        .iter()
        .map(|r| r["aggregation"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["fedavg", "direct", "weighted", "conversion"]);
    for run in runs {
        assert_eq!(run["accuracy"].as_array().unwrap().len(), 6);
        let last = run["final_accuracy"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&last), "{run}");
    }
    // Conversions start at round τ = 3: no matching loss before, one per round after.
    let losses = runs[3]["matching_loss"].as_array().unwrap();
    assert!(losses[..3].iter().all(|l| l.is_null()), "{losses:?}");
    assert!(
        losses[3..]
            .iter()
            .all(|l| l.as_f64().is_some_and(|v| v >= 0.0)),
        "{losses:?}"
    );
    for (flag, value) in [
        ("--clients", "5"),
        ("--slow-classes", "10"),
        ("--rounds", "0"),
        ("--local-lr", "-1"),
        ("--aggregation", "mean"),
        ("--data", "no-such-folder"),
    ] {
        let named = if flag == "--data" {
            "dataset-fashion-mnist"
        } else {
            flag
        };
        let arg = format!("{flag}={value}");
        assert_rejected(&["fl", &arg, "--out", "bad"], &dir, named);
    }
}

#[test]
fn attack_model_writes_its_files_and_names_bad_flags() {
    let dir = scratch("attack-model");
    let args = [
        "attack",
        "model",
        "--method",
        "if-gmi",
        "--class",
        "1",
        "--restarts",
        "3",
        "--iterations",
        "10",
        "--stages",
        "5,5",
        "--out",
        "mi",
    ];
    let out = inversa(&args, &dir);
    assert!(out.status.success(), "{}", stderr(&out));
    let metrics = read_metrics(
        &dir.join("mi/metrics.json"),
        &[
            "attack_accuracy",
            "target_accuracy",
            "seconds",
            "restarts",
            "stages",
        ],
    );
    assert_eq!(metrics["classes"].as_array().unwrap().len(), 1);
    assert_eq!(metrics["stages"].as_array().unwrap().len(), 2);
    let image = inversa::io::read_png(&dir.join("mi/reconstruction.png")).unwrap();
    assert_eq!(
        image.shape,
        vec![1, 28, 8 * 30 - 2],
        "3 reconstructions, a white tile and 4 real images"
    );
    for (bad, expected) in [
        (vec!["--method", "pii"], "--method"),
        (vec!["--class", "5"], "--class"),
        (vec!["--class", "shirts"], "--class"),
        (vec!["--restarts", "0"], "--restarts"),
        (vec!["--method", "gmi", "--radius", "3"], "--radius"),
        (vec!["--stages", "1,1,1,1"], "--stages"),
        (vec!["--radius", "1,2,3"], "--radius"),
        (vec!["--gan", "missing.safetensors"], "missing.safetensors"),
    ] {
        let mut args = vec!["attack", "model"];
        args.extend(bad);
        args.extend(["--out", "bad"]);
        assert_rejected(&args, &dir, expected);
    }
    assert!(!dir.join("bad").exists());
    // The GAN and a classifier of a class range train from the CLI (tiny sizes, two steps).
    fashion_data(&dir, 16);
    let args = [
        "train",
        "gan",
        "--data",
        "fashion",
        "--classes",
        "1-2",
        "--latent",
        "4",
        "--channels",
        "8",
        "--steps",
        "2",
        "--batch",
        "4",
        "--out",
        "g.safetensors",
    ];
    let out = inversa(&args, &dir);
    assert!(out.status.success(), "{}", stderr(&out));
    let samples = inversa::io::read_png(&dir.join("g.safetensors.samples.png")).unwrap();
    assert_eq!(
        samples.shape,
        vec![1, 8 * 30 - 2, 8 * 30 - 2],
        "an 8×8 grid"
    );
    let args = [
        "train",
        "classifier",
        "--data",
        "fashion",
        "--classes",
        "0-1",
        "--channels",
        "4",
        "--steps",
        "2",
        "--batch",
        "4",
        "--out",
        "c.safetensors",
    ];
    let out = inversa(&args, &dir);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("on 4 images"),
        "the test images of classes 0-1: {text}"
    );
    for (classes, flag) in [("9-5", "--classes"), ("3-12", "--classes")] {
        let args = [
            "train",
            "gan",
            "--classes",
            classes,
            "--out",
            "g.safetensors",
        ];
        assert_rejected(&args, &dir, flag);
    }
}

/// `inversa sample --evaluate`: a tiny evaluation writes its scores.
#[test]
fn a_tiny_sample_evaluation_writes_its_scores() {
    let dir = scratch("evaluate-tiny");
    let args = [
        "sample",
        "--evaluate",
        "--count",
        "20",
        "--steps",
        "2",
        "--out",
        "o",
    ];
    let output = inversa(&args, &dir);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = std::fs::read_to_string(dir.join("o/metrics.json")).unwrap();
    let metrics: serde_json::Value = serde_json::from_str(&text).unwrap();
    let fraction = metrics["class_fraction"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&fraction), "{fraction}");
    assert!(metrics["frechet_bundled_test"].as_f64().unwrap() > 0.0);
    assert!(dir.join("o/samples.png").is_file() && dir.join("o/samples.npy").is_file());
}

/// Bad `sample --evaluate` combinations are bad input naming the flag.
#[test]
fn bad_sample_evaluations_are_refused_naming_the_flag() {
    let dir = scratch("evaluate-bad");
    for (args, flag) in [
        (&["--evaluate", "--class", "3"][..], "--class"),
        (&["--evaluate", "--count", "5"][..], "count"),
        (&["--data", "."][..], "--data"),
        (
            &["--evaluate", "--data", "missing", "--count", "20"][..],
            "data",
        ),
    ] {
        let mut all = vec!["sample"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--steps", "1", "--out", "o"]);
        assert_rejected(&all, &dir, flag);
    }
}
