//! The training settings as a file: every trainable model's `[train]` table is read and trains
//! (tiny sizes, one or two steps), a settings value written as TOML reads back equal, and unknown
//! keys, bad values and stray tables are refused naming the file and the key.

use inversa::io::write_png_u8;
use inversa::Control;
use inversa_learn::training::config::{
    run, DeepCdSettings, DenoiserKind, DenoiserSettings, GanSettings, LoopSettings, Outcome,
    TrainSettings, UnetSettings,
};
use std::path::{Path, PathBuf};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("inversa-config-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Three 40×40 grey pictures (a bright square on a ramp) in `dir/images`.
fn images(dir: &Path) {
    let folder = dir.join("images");
    std::fs::create_dir_all(&folder).unwrap();
    for k in 0..3usize {
        let values: Vec<f32> = (0..40 * 40)
            .map(|p| {
                let (y, x) = (p / 40, p % 40);
                match (10..26).contains(&(x + k)) && (8..30).contains(&y) {
                    true => 0.8,
                    false => 0.2 + 0.02 * ((x + y * k) % 10) as f32,
                }
            })
            .collect();
        write_png_u8(&folder.join(format!("i{k}.png")), &[1, 40, 40], &values).unwrap();
    }
}

/// Fashion-MNIST IDX files in `dir/fashion`: 8 training and 6 test 28×28 images, class `k` a
/// bright bar at column band `k` of 4.
fn fashion(dir: &Path) {
    let folder = dir.join("fashion");
    std::fs::create_dir_all(&folder).unwrap();
    for (prefix, n) in [("train", 8usize), ("t10k", 6)] {
        let labels: Vec<u8> = (0..n).map(|i| (i % 4) as u8).collect();
        let (mut pixels, mut label_file) = (vec![0, 0, 8, 3], vec![0, 0, 8, 1]);
        for d in [n as u32, 28, 28] {
            pixels.extend(d.to_be_bytes());
        }
        label_file.extend((n as u32).to_be_bytes());
        label_file.extend(&labels);
        for &l in &labels {
            pixels.extend((0..784).map(|p| if (p % 28) / 7 == l as usize { 220 } else { 0 }));
        }
        std::fs::write(folder.join(format!("{prefix}-images-idx3-ubyte")), pixels).unwrap();
        std::fs::write(
            folder.join(format!("{prefix}-labels-idx1-ubyte")),
            label_file,
        )
        .unwrap();
    }
}

/// Each model's `[train]` keys for a run of a step or two on tiny networks.
const TINY: [&str; 9] = [
    "images = 'images'\nsteps = 2\nbatch = 2\ncrop = 16\ndepth = 2\nfeatures = 4",
    "model = 'lpn'\nimages = 'images'\nsteps = 2\nbatch = 2\ncrop = 16\nhidden = 4\nlayers = 2",
    "model = 'diffusion'\ndata = 'fashion'\nsteps = 1\nbatch = 2\nchannels = 8\ngroups = 4\ntimesteps = 20\nvalidation_size = 2",
    "model = 'flow'\ndata = 'fashion'\nsteps = 1\nbatch = 2\nchannels = 8\ngroups = 4\nvalidation_size = 2",
    "model = 'classifier'\ndata = 'fashion'\nsteps = 1\nbatch = 2\nchannels = 4\nclasses = '0-3'",
    "model = 'gan'\ndata = 'fashion'\nsteps = 1\nbatch = 2\nlatent = 4\nchannels = 8\nclasses = '0-1'",
    "model = 'deep-cd'\ngrid = '8'\nsteps = 1\nbatch = 2\nchannels = 4",
    "model = 'rim'\nsteps = 1\nbatch = 2\ncrop = 16\nchannels = 2\ntime_steps = 2\nunit = 'mgu'",
    "model = 'recurrent-varnet'\nsteps = 1\nbatch = 2\ncrop = 16\nchannels = 2\ntime_steps = 2",
];

#[test]
fn every_models_training_file_is_read_and_trains() {
    let dir = scratch("every");
    images(&dir);
    fashion(&dir);
    for (k, keys) in TINY.iter().enumerate() {
        let file = dir.join(format!("m{k}.toml"));
        std::fs::write(
            &file,
            format!("[train]\n{keys}\nout = 'w{k}.safetensors'\n"),
        )
        .unwrap();
        let settings = TrainSettings::read(&file).unwrap();
        let out = dir.join(format!("w{k}.safetensors"));
        assert_eq!(settings.common().out.as_deref(), Some(out.as_path()));
        let trained =
            run(&settings, &mut |_| Control::Continue).unwrap_or_else(|e| panic!("{keys}: {e}"));
        assert_eq!(trained.history.step, settings.common().steps.unwrap());
        assert!(out.is_file(), "{keys}: no weights");
        match (&settings, &trained.outcome) {
            (TrainSettings::Classifier(_), Outcome::Classifier { images, .. }) => {
                assert_eq!(*images, 6)
            }
            (TrainSettings::Gan(_), Outcome::Gan { samples }) => assert!(samples.is_file()),
            (TrainSettings::Denoiser(_), Outcome::Denoiser { rows, .. }) => {
                assert!(rows.is_empty(), "no validation folder, no table")
            }
            (_, outcome) => assert_eq!(outcome, &Outcome::Trained, "{keys}"),
        }
    }
}

#[test]
fn settings_written_as_toml_read_back_equal() {
    let common = LoopSettings {
        out: Some("w.safetensors".into()),
        steps: Some(5),
        lr: Some(2e-3),
        resume: true,
        ..LoopSettings::default()
    };
    let values = [
        TrainSettings::Denoiser(DenoiserSettings {
            common: common.clone(),
            architecture: Some(DenoiserKind::Drunet),
            channels: Some(8),
            ..DenoiserSettings::default()
        }),
        TrainSettings::Flow(UnetSettings {
            common: common.clone(),
            data: Some("fashion".into()),
            noise_schedule: Some(inversa_learn::models::unet::ScheduleKind::Cosine),
            ..UnetSettings::default()
        }),
        TrainSettings::Gan(GanSettings {
            classes: Some("5-9".into()),
            ..GanSettings::default()
        }),
        TrainSettings::DeepCd(DeepCdSettings {
            common,
            grid: Some("16,32".into()),
            channels: Some(4),
        }),
    ];
    for value in values {
        let text = format!("[train]\n{}", toml::to_string(&value).unwrap());
        let read = TrainSettings::from_toml(&text, Path::new("t.toml")).unwrap();
        assert_eq!(read, value, "{text}");
    }
}

#[test]
fn unknown_keys_and_bad_values_are_refused_naming_the_file_and_the_key() {
    let dir = scratch("refused");
    for (keys, needles) in [
        ("stpes = 3", &["train.stpes", "unknown key"][..]),
        ("model = 'gan'\ndepth = 3", &["train.depth", "unknown key"]),
        (
            "model = 'deep-cd'\ndata = 'f'",
            &["train.data", "unknown key"],
        ),
        ("lr = 'fast'", &["train.lr", "f64"]),
        ("steps = -1", &["train.steps"]),
        (
            "model = 'flow'\nnoise_schedule = 'square'",
            &["train.noise_schedule", "square"],
        ),
        ("model = 'vae'", &["train.model", "vae"]),
        ("schedule = 'linear'", &["train.schedule", "linear"]),
    ] {
        let file = dir.join("bad.toml");
        std::fs::write(&file, format!("[train]\n{keys}\n")).unwrap();
        let message = TrainSettings::read(&file).unwrap_err().to_string();
        for needle in needles.iter().chain(&["bad.toml"]) {
            assert!(message.contains(needle), "{keys}: {message} lacks {needle}");
        }
    }
    for (text, needle) in [
        ("[train]\n[model]\n", "model"),
        ("[data]\n", "missing [train] table"),
        ("[train\n", "not a valid TOML file"),
    ] {
        let message = TrainSettings::from_toml(text, Path::new("x.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            message.contains(needle) && message.contains("x.toml"),
            "{message}"
        );
    }
}

#[test]
fn out_of_range_settings_are_refused_naming_the_setting_before_training() {
    let dir = scratch("range");
    images(&dir);
    for (keys, key) in [
        ("images = 'images'\nsteps = 0", "steps"),
        ("images = 'images'\nlr = -1.0", "lr"),
        ("images = 'images'\ndecay_every = 3", "schedule"),
        ("architecture = 'drunet'\ndepth = 3", "depth"),
        (
            "model = 'lpn'\nimages = 'images'\ncrop = 16\nsigma = 2.0",
            "sigma",
        ),
        ("model = 'gan'\nimages = 'images'", "images"),
        ("model = 'deep-cd'\ngrid = '2'", "grid"),
        ("model = 'rim'\ntime_steps = 0", "time_steps"),
        ("model = 'rim'\nchannels = 0", "channels"),
        // Fits per sample alone, but not with 1024 channels kept for 64 steps.
        (
            "model = 'rim'\nchannels = 1024\ntime_steps = 64\nbatch = 8\ncrop = 96",
            "channels",
        ),
        ("model = 'recurrent-varnet'\ntime_steps = 65", "time_steps"),
        (
            "model = 'recurrent-varnet'\nchannels = 1024\ntime_steps = 64\nbatch = 8\ncrop = 96",
            "channels",
        ),
        ("model = 'classifier'\nclasses = '3'", "classes"),
        // Sizes whose memory no machine has, refused before any data is read.
        ("images = 'images'\nbatch = 1000000000000", "batch"),
        ("images = 'images'\nsteps = 1000000000000000000", "steps"),
    ] {
        let text = format!("[train]\nout = 'r.safetensors'\n{keys}\n");
        let settings = TrainSettings::from_toml(&text, &dir.join("r.toml")).unwrap();
        match run(&settings, &mut |_| Control::Continue) {
            Err(inversa_learn::Error::Setting { key: got, .. }) => {
                assert_eq!(got, key, "{keys}")
            }
            other => panic!("{keys}: {:?}", other.map(|t| t.name)),
        }
    }
    assert!(!dir.join("r.safetensors").exists());
}
