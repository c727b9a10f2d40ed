//! The hostile-input rules, walked over every command of `inversa --help`: a table names, for
//! each command, how to point one of its outputs at one of its inputs (refused with exit code 2,
//! the input untouched) and its numeric flags with a tiny run around them (extreme values never
//! crash it, never give exit 0 with a non-finite output, and NaN or ±∞ is refused with exit 2).
//! A command missing from the table fails the test, so a new command is covered by being added.
//! (The Fashion-MNIST trainings' numbers are not walked: they need the data set; their loop
//! settings are the ones `train denoiser` and `train deep-cd` walk.)

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How one command is walked.
struct Case {
    /// The command words, e.g. `["train", "denoiser"]`.
    command: &'static [&'static str],
    /// Arguments that point an output at the file `protected` (created first, with `setup`'s
    /// other files); `None` for a command that reads no file or writes none.
    overlap: Option<Overlap>,
    /// Arguments of a tiny, quick run into the folder `out`.
    tiny: &'static [&'static str],
    /// Numeric flags to push to extremes over `tiny` (a flag also in `tiny` is replaced).
    floats: &'static [&'static str],
    integers: &'static [&'static str],
}

struct Overlap {
    args: &'static [&'static str],
    protected: &'static str,
}

const NO_NUMBERS: (&[&str], &[&str]) = (&[], &[]);

const CASES: &[Case] = &[
    Case {
        command: &["run"],
        overlap: Some(Overlap {
            args: &["run", "task.toml", "--out", "data"],
            protected: "data/reconstruction.npy",
        }),
        tiny: &[],
        floats: NO_NUMBERS.0,
        integers: NO_NUMBERS.1,
    },
    Case {
        command: &["demo"],
        overlap: None,
        tiny: &[],
        floats: &[],
        integers: &[],
    },
    Case {
        command: &["list"],
        overlap: None,
        tiny: &[],
        floats: &[],
        integers: &[],
    },
    Case {
        command: &["bench"],
        overlap: None,
        tiny: &[
            "--size",
            "16",
            "--repeats",
            "1",
            "--max-size",
            "16",
            "--only",
            "operators",
        ],
        floats: &[],
        integers: &["--size", "--repeats", "--max-size"],
    },
    Case {
        command: &["experiment", "matrix-sensing"],
        overlap: None,
        tiny: &[
            "--n",
            "6",
            "--rank",
            "1",
            "--iterations",
            "20",
            "--out",
            "out",
        ],
        floats: &[],
        integers: &["--n", "--rank", "--iterations"],
    },
    Case {
        command: &["experiment", "convex-relu"],
        overlap: None,
        tiny: &[
            "--samples",
            "12",
            "--patterns",
            "4",
            "--seeds",
            "1",
            "--steps",
            "20",
            "--out",
            "out",
        ],
        floats: &["--beta"],
        integers: &["--samples", "--patterns", "--seeds", "--steps"],
    },
    Case {
        command: &["experiment", "last-iterate-sgd"],
        overlap: None,
        tiny: &["--quick", "--out", "out"],
        floats: &[],
        integers: &["--seeds", "--max-horizon"],
    },
    Case {
        command: &["experiment", "self-distillation"],
        overlap: None,
        tiny: &["--quick", "--out", "out"],
        floats: &[],
        integers: &["--seeds", "--steps"],
    },
    Case {
        command: &["experiment", "gaunt"],
        overlap: None,
        tiny: &["--quick", "--out", "out"],
        floats: &[],
        integers: &["--check-degree", "--repeats"],
    },
    Case {
        command: &["experiment", "tumour-growth"],
        overlap: None,
        tiny: &[
            "--quick",
            "--database",
            "30",
            "--patients",
            "1",
            "--cma-evaluations",
            "16",
            "--gradient-iterations",
            "2",
            "--out",
            "out",
        ],
        floats: &["--noise"],
        integers: &[
            "--database",
            "--patients",
            "--cma-evaluations",
            "--gradient-iterations",
        ],
    },
    Case {
        command: &["experiment", "lagrangian-pinn"],
        overlap: None,
        tiny: &[
            "--quick",
            "--steps",
            "2",
            "--interior",
            "16",
            "--width",
            "4",
            "--out",
            "out",
        ],
        floats: &["--viscosity"],
        integers: &["--steps", "--interior", "--width"],
    },
    Case {
        command: &["experiment", "insr"],
        overlap: None,
        tiny: &[
            "--quick",
            "--widths",
            "4",
            "--iterations",
            "2",
            "--initial-iterations",
            "2",
            "--points",
            "16",
            "--out",
            "out",
        ],
        floats: &["--viscosity"],
        integers: &["--iterations", "--initial-iterations", "--points"],
    },
    Case {
        command: &["experiment", "dgno"],
        overlap: None,
        tiny: &[
            "--quick",
            "--steps",
            "2",
            "--unlabelled",
            "16",
            "--labels",
            "2",
            "--inverse-cases",
            "1",
            "--out",
            "out",
        ],
        floats: &["--noise", "--radius", "--rate", "--data-weight"],
        integers: &[
            "--steps",
            "--unlabelled",
            "--latent",
            "--sensors",
            "--inverse-cases",
            "--centres",
        ],
    },
    Case {
        command: &["experiment", "elliptic-approximation"],
        overlap: None,
        tiny: &["--quick", "--steps", "2", "--restarts", "1", "--out", "out"],
        floats: &["--target"],
        integers: &["--steps", "--batch", "--restarts"],
    },
    Case {
        command: &["experiment", "semilinear-operator"],
        overlap: None,
        tiny: &[
            "--quick",
            "--steps",
            "2",
            "--gain-steps",
            "2",
            "--horizon",
            "8",
            "--out",
            "out",
        ],
        floats: &["--noise"],
        integers: &["--steps", "--gain-steps", "--sensors", "--horizon"],
    },
    Case {
        command: &["experiment", "ifactformer"],
        overlap: None,
        tiny: &[
            "--quick",
            "--steps",
            "2",
            "--repeats",
            "1",
            "--width",
            "4",
            "--horizon",
            "8",
            "--out",
            "out",
        ],
        floats: &["--viscosity"],
        integers: &["--steps", "--repeats", "--width", "--horizon"],
    },
    Case {
        command: &["experiment", "schrodinger-bridge"],
        overlap: None,
        tiny: &[
            "--quick",
            "--particles",
            "30",
            "--refinements",
            "1",
            "--out",
            "out",
        ],
        floats: &["--sigma"],
        integers: &["--particles", "--snapshots", "--refinements"],
    },
    Case {
        command: &["experiment", "ptd"],
        overlap: None,
        tiny: &["--quick", "--out", "out"],
        floats: &["--train-epsilon"],
        integers: &[
            "--state-size",
            "--train-images",
            "--test-images",
            "--epochs",
            "--channels",
        ],
    },
    Case {
        command: &["experiment", "itransformer"],
        overlap: None,
        tiny: &[
            "--quick",
            "--epochs",
            "1",
            "--steps",
            "300",
            "--variates",
            "8",
            "--out",
            "out",
        ],
        floats: &["--learning-rate", "--noise"],
        integers: &["--epochs", "--variates", "--steps", "--width", "--layers"],
    },
    Case {
        command: &["experiment", "posterior"],
        overlap: None,
        tiny: &["--quick", "--samples", "30", "--side", "3", "--out", "out"],
        floats: &[],
        integers: &["--samples", "--side"],
    },
    Case {
        command: &["experiment", "mfac"],
        overlap: None,
        tiny: &["--max-d", "1000", "--max-steps", "5", "--out", "out"],
        floats: &[],
        integers: &["--max-d", "--max-steps"],
    },
    Case {
        command: &["experiment", "editing"],
        overlap: None,
        tiny: &[
            "--images",
            "1",
            "--steps",
            "2",
            "--methods",
            "ddim",
            "--figure-images",
            "1",
            "--out",
            "out",
        ],
        floats: &["--guidance"],
        integers: &["--images", "--steps", "--figure-images"],
    },
    Case {
        command: &["experiment", "diffusion-priors"],
        overlap: Some(Overlap {
            args: &[
                "experiment",
                "diffusion-priors",
                "--quick",
                "--data",
                "imgs",
                "--out",
                "imgs",
            ],
            protected: "imgs/camera.png",
        }),
        tiny: &[
            "--quick",
            "--physics",
            "inpaint-random",
            "--methods",
            "tv,dds",
            "--steps",
            "dds=2",
            "--tune-images",
            "1",
            "--out",
            "out",
        ],
        floats: &[],
        integers: &["--images", "--batch", "--tune-images", "--seed"],
    },
    Case {
        command: &["train", "denoiser"],
        overlap: Some(Overlap {
            args: &[
                "train",
                "denoiser",
                "--images",
                "imgs",
                "--out",
                "imgs/camera.png",
                "--force",
            ],
            protected: "imgs/camera.png",
        }),
        tiny: &[
            "--images",
            "imgs",
            "--out",
            "out/w.safetensors",
            "--steps",
            "2",
            "--batch",
            "1",
            "--crop",
            "8",
            "--depth",
            "2",
            "--features",
            "2",
            "--force",
        ],
        floats: &["--lr"],
        integers: &["--steps", "--batch", "--crop"],
    },
    Case {
        command: &["train", "lpn"],
        overlap: Some(Overlap {
            args: &[
                "train",
                "lpn",
                "--images",
                "imgs",
                "--out",
                "imgs/sub/w.safetensors",
            ],
            protected: "imgs/camera.png",
        }),
        tiny: &[
            "--images",
            "imgs",
            "--out",
            "out/w.safetensors",
            "--steps",
            "2",
            "--batch",
            "1",
            "--crop",
            "8",
            "--hidden",
            "2",
            "--layers",
            "2",
            "--force",
        ],
        floats: &["--sigma", "--lr"],
        integers: &["--hidden"],
    },
    Case {
        command: &["train", "diffusion"],
        overlap: Some(Overlap {
            args: &[
                "train",
                "diffusion",
                "--data",
                "fashion",
                "--out",
                "fashion/u.safetensors",
            ],
            protected: "fashion/train-images-idx3-ubyte",
        }),
        tiny: &[],
        floats: &[],
        integers: &[],
    },
    Case {
        command: &["train", "idm"],
        overlap: Some(Overlap {
            args: &[
                "train",
                "idm",
                "--data",
                "fashion",
                "--out",
                "fashion/train-images-idx3-ubyte",
                "--force",
            ],
            protected: "fashion/train-images-idx3-ubyte",
        }),
        tiny: &[],
        floats: &[],
        integers: &[],
    },
    Case {
        command: &["train", "flow"],
        overlap: Some(Overlap {
            args: &["train", "flow", "--data", "fashion", "--out", "fashion"],
            protected: "fashion/train-images-idx3-ubyte",
        }),
        tiny: &[],
        floats: &[],
        integers: &[],
    },
    Case {
        command: &["train", "classifier"],
        overlap: Some(Overlap {
            args: &[
                "train",
                "classifier",
                "--data",
                "fashion",
                "--out",
                "fashion/train-images-idx3-ubyte",
                "--force",
            ],
            protected: "fashion/train-images-idx3-ubyte",
        }),
        tiny: &[],
        floats: &[],
        integers: &[],
    },
    Case {
        command: &["train", "gan"],
        overlap: Some(Overlap {
            args: &[
                "train",
                "gan",
                "--data",
                "fashion",
                "--out",
                "fashion/../fashion/g",
            ],
            protected: "fashion/train-images-idx3-ubyte",
        }),
        tiny: &[],
        floats: &[],
        integers: &[],
    },
    Case {
        command: &["train", "deep-cd"],
        overlap: Some(Overlap {
            args: &["train", "train.toml"],
            protected: "train.toml",
        }),
        tiny: &[
            "--out",
            "out/d.safetensors",
            "--grid",
            "8",
            "--channels",
            "2",
            "--steps",
            "2",
            "--batch",
            "1",
            "--force",
        ],
        floats: &["--lr", "--decay-factor"],
        integers: &["--channels", "--warmup"],
    },
    Case {
        command: &["train", "rim"],
        overlap: Some(Overlap {
            args: &["train", "train.toml"],
            protected: "train.toml",
        }),
        tiny: &[
            "--out",
            "out/r.safetensors",
            "--channels",
            "2",
            "--time-steps",
            "2",
            "--crop",
            "16",
            "--steps",
            "2",
            "--batch",
            "1",
            "--force",
        ],
        floats: &["--lr"],
        integers: &["--channels", "--time-steps", "--crop"],
    },
    Case {
        command: &["train", "recurrent-varnet"],
        overlap: Some(Overlap {
            args: &["train", "train.toml"],
            protected: "train.toml",
        }),
        tiny: &[
            "--out",
            "out/v.safetensors",
            "--channels",
            "2",
            "--time-steps",
            "2",
            "--crop",
            "16",
            "--steps",
            "2",
            "--batch",
            "1",
            "--force",
        ],
        floats: &["--lr"],
        integers: &["--channels", "--time-steps", "--crop"],
    },
    Case {
        command: &["solve-sequence"],
        overlap: Some(Overlap {
            args: &[
                "solve-sequence",
                "--problem",
                "poisson",
                "--method",
                "deep-cd",
                "--weights",
                "o/metrics.json",
                "--out",
                "o",
            ],
            protected: "o/metrics.json",
        }),
        tiny: &["--grid", "8", "--systems", "2", "--out", "out"],
        floats: &["--tol"],
        integers: &[
            "--grid",
            "--systems",
            "--restart",
            "--recycle",
            "--max-iterations",
        ],
    },
    Case {
        command: &["attack", "gradient"],
        overlap: Some(Overlap {
            args: &[
                "attack",
                "gradient",
                "--image",
                "o/reconstruction.png",
                "--out",
                "o",
            ],
            protected: "o/reconstruction.png",
        }),
        tiny: &["--data", "mnist", "--iterations", "2", "--out", "out"],
        floats: &["--dropout", "--local-lr"],
        integers: &["--batch", "--local-steps", "--iterations"],
    },
    Case {
        command: &["attack", "model"],
        overlap: Some(Overlap {
            args: &["attack", "model", "--gan", "o/metrics.json", "--out", "o"],
            protected: "o/metrics.json",
        }),
        tiny: &[
            "--class",
            "0",
            "--restarts",
            "1",
            "--iterations",
            "2",
            "--stages",
            "1",
            "--out",
            "out",
        ],
        floats: &["--lr", "--prior-weight", "--radius"],
        integers: &["--restarts", "--iterations"],
    },
    Case {
        command: &["sample"],
        overlap: Some(Overlap {
            args: &["sample", "--model", "o/samples.npy", "--out", "o"],
            protected: "o/samples.npy",
        }),
        tiny: &["--count", "1", "--steps", "2", "--out", "out"],
        floats: &["--guidance", "--eta"],
        integers: &["--count", "--steps"],
    },
    Case {
        command: &["invert"],
        overlap: Some(Overlap {
            args: &["invert", "--image", "o/comparison.png", "--out", "o"],
            protected: "o/comparison.png",
        }),
        tiny: &["--steps", "2", "--out", "out"],
        floats: &["--guidance"],
        integers: &["--steps", "--test-image", "--class"],
    },
    Case {
        command: &["edit"],
        overlap: Some(Overlap {
            args: &[
                "edit",
                "--image",
                "o/edit.png",
                "--target-class",
                "3",
                "--out",
                "o",
            ],
            protected: "o/edit.png",
        }),
        tiny: &["--steps", "2", "--target-class", "3", "--out", "out"],
        floats: &["--guidance"],
        integers: &["--target-class", "--source-class"],
    },
    Case {
        command: &["fl"],
        overlap: Some(Overlap {
            args: &["fl", "--data", "fashion", "--out", "fashion/run"],
            protected: "fashion/train-images-idx3-ubyte",
        }),
        tiny: &[
            "--data",
            "bundled",
            "--aggregation",
            "weighted",
            "--rounds",
            "1",
            "--samples",
            "4",
            "--hidden",
            "4",
            "--local-steps",
            "1",
            "--out",
            "out",
        ],
        floats: &["--local-lr", "--exponent"],
        integers: &["--rounds", "--clients", "--samples"],
    },
];

const FLOAT_VALUES: [&str; 7] = ["0", "-1", "1e20", "1e300", "nan", "inf", "-inf"];
const INTEGER_VALUES: [&str; 3] = ["0", "-1", "1e300"];

fn inversa() -> Command {
    Command::new(env!("CARGO_BIN_EXE_inversa"))
}

/// A fresh scratch folder with the files the cases read: `task.toml` over
/// `data/reconstruction.npy`, image folders, a Fashion-MNIST-shaped folder and a training file
/// whose `out` is itself.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("inversa-walk-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for folder in ["data", "imgs", "fashion", "o"] {
        std::fs::create_dir_all(dir.join(folder)).unwrap();
    }
    inversa::io::write_npy_f32(&dir.join("data/reconstruction.npy"), &[16, 16], &[0.5; 256])
        .unwrap();
    std::fs::write(
        dir.join("task.toml"),
        "[data]\nimage = \"data/reconstruction.npy\"\n[physics]\nkind = \"blur\"\nkernel = { kind = \"gaussian\", sigma = 1.0 }\n[prior]\nkind = \"tv\"\nweight = 0.01\n[solver]\nkind = \"pdhg\"\niterations = 5\n",
    )
    .unwrap();
    let pixels: Vec<f32> = (0..32 * 32).map(|p| (p % 7) as f32 / 7.0).collect();
    for name in ["camera", "coins"] {
        inversa::io::write_png_u8(&dir.join(format!("imgs/{name}.png")), &[1, 32, 32], &pixels)
            .unwrap();
    }
    for name in ["comparison", "edit", "reconstruction"] {
        inversa::io::write_png_u8(
            &dir.join(format!("o/{name}.png")),
            &[1, 28, 28],
            &pixels[..784],
        )
        .unwrap();
    }
    std::fs::write(dir.join("o/metrics.json"), "{}\n").unwrap();
    inversa::io::write_npy_f32(&dir.join("o/samples.npy"), &[4], &[0.0; 4]).unwrap();
    std::fs::write(dir.join("fashion/train-images-idx3-ubyte"), [0u8; 16]).unwrap();
    std::fs::write(
        dir.join("train.toml"),
        "[train]\nmodel = \"deep-cd\"\nout = \"train.toml\"\nforce = true\n",
    )
    .unwrap();
    dir
}

/// Runs `inversa args` in `dir`, killed after `limit`: the exit code (`None` for a signal or a
/// timeout) and stderr.
fn run(args: &[&str], dir: &Path, limit: Duration) -> (Option<i32>, String) {
    let mut child = inversa()
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the inversa binary runs");
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut text = String::new();
            use std::io::Read;
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
            return (status.code(), text);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return (None, format!("still running after {limit:?}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The leaf commands of `inversa --help`, recursively (`train denoiser`, …).
fn commands(prefix: &[String]) -> Vec<Vec<String>> {
    let mut help = prefix.to_vec();
    help.push("--help".into());
    let output = inversa().args(&help).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let Some((_, listed)) = text.split_once("Commands:\n") else {
        return vec![prefix.to_vec()];
    };
    listed
        .lines()
        .take_while(|line| !line.trim().is_empty())
        .filter(|line| line.starts_with("  ") && !line.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .flat_map(|name| {
            let mut next = prefix.to_vec();
            next.push(name.to_string());
            commands(&next)
        })
        .collect()
}

#[test]
fn the_table_holds_every_command() {
    let listed = commands(&[]);
    let table: Vec<Vec<String>> = CASES
        .iter()
        .map(|c| c.command.iter().map(|w| w.to_string()).collect())
        .collect();
    assert!(listed.len() >= 20, "{listed:?}");
    for command in &listed {
        assert!(
            table.contains(command),
            "`inversa {}` is missing from CASES: add how to point its outputs at its inputs and its numeric flags",
            command.join(" ")
        );
    }
    for command in &table {
        assert!(
            listed.contains(command),
            "CASES lists `{}`, which `inversa --help` does not",
            command.join(" ")
        );
    }
}

#[test]
fn no_command_writes_over_its_inputs() {
    let dir = scratch("overlap");
    let mut failures = Vec::new();
    for case in CASES {
        let Some(overlap) = &case.overlap else {
            continue;
        };
        let protected = dir.join(overlap.protected);
        let before = std::fs::read(&protected).unwrap();
        let (code, text) = run(overlap.args, &dir, Duration::from_secs(60));
        let named = text.contains("choose another");
        if code != Some(2) || !named {
            failures.push(format!("{:?}: exit {code:?}: {text}", overlap.args));
        }
        if std::fs::read(&protected).unwrap() != before {
            failures.push(format!("{:?} changed {}", overlap.args, overlap.protected));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every `.npy` under `dir` holds finite numbers only.
fn non_finite_outputs(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(non_finite_outputs(&path));
        } else if path.extension().is_some_and(|e| e == "npy") {
            match inversa::io::read_npy(&path) {
                Ok(array) if array.data.iter().all(|v| v.is_finite()) => {}
                _ => found.push(path.display().to_string()),
            }
        }
    }
    found
}

#[test]
fn extreme_numbers_never_crash_and_never_pass_as_results() {
    let dir = scratch("extreme");
    // Each tiny run alone first succeeds (flag "" is none), so that the extremes are measured
    // against a command line that works.
    let mut jobs = Vec::new();
    for case in CASES {
        if !case.tiny.is_empty() {
            jobs.push((case, "", ""));
        }
        for (flags, values) in [
            (case.floats, &FLOAT_VALUES[..]),
            (case.integers, &INTEGER_VALUES[..]),
        ] {
            for flag in flags {
                for value in values {
                    jobs.push((case, *flag, *value));
                }
            }
        }
    }
    let jobs = Mutex::new(jobs.into_iter().enumerate().collect::<Vec<_>>());
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| loop {
                let Some((index, (case, flag, value))) = jobs.lock().unwrap().pop() else {
                    break;
                };
                let out = format!("out{index}");
                let mut args: Vec<&str> = case.command.to_vec();
                let mut tiny = case.tiny.iter();
                while let Some(arg) = tiny.next() {
                    if *arg == flag {
                        tiny.next();
                    } else if *arg == "out" || arg.starts_with("out/") {
                        args.push(Box::leak(arg.replacen("out", &out, 1).into_boxed_str()));
                    } else {
                        args.push(arg);
                    }
                }
                let assigned = format!("{flag}={value}");
                if !flag.is_empty() {
                    args.push(&assigned);
                }
                let (code, text) = run(&args, &dir, Duration::from_secs(60));
                let impossible = matches!(value, "nan" | "inf" | "-inf");
                let problem = match code {
                    None => Some("was killed or ran away".to_string()),
                    Some(c) if flag.is_empty() && c != 0 => Some(format!("tiny run: exit {c}")),
                    Some(2) => None,
                    Some(_) if impossible => Some("accepted a non-number".into()),
                    Some(0) => {
                        let bad = non_finite_outputs(&dir.join(&out));
                        (!bad.is_empty()).then(|| format!("exit 0 with non-finite {bad:?}"))
                    }
                    Some(1) => None,
                    Some(other) => Some(format!("exit {other}")),
                };
                if let Some(problem) = problem {
                    let line = text.lines().last().unwrap_or("").to_string();
                    failures
                        .lock()
                        .unwrap()
                        .push(format!("inversa {}: {problem}: {line}", args.join(" ")));
                }
                let _ = std::fs::remove_dir_all(dir.join(&out));
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_issue_example_null_text_with_huge_guidance_is_a_failed_run() {
    let dir = scratch("nulltext");
    let (code, text) = run(
        &[
            "invert",
            "--method",
            "null-text",
            "--guidance",
            "1e20",
            "--steps",
            "4",
            "--out",
            "nt",
        ],
        &dir,
        Duration::from_secs(120),
    );
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("NaN") || text.contains("inf"), "{text}");
    assert!(!dir.join("nt/metrics.json").exists(), "nothing is written");
    std::fs::remove_dir_all(&dir).unwrap();
}
