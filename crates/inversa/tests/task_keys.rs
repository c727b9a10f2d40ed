//! Keys that contradict each other are refused by name, never silently resolved one way.

use inversa::task::Task;
use inversa::Error;
use std::path::{Path, PathBuf};

/// A folder holding a 16×16 measurement `y.npy`, for tasks that read one.
fn folder_with_measurement(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("inversa-task-keys-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    inversa::io::npy::write_npy_f32(&dir.join("y.npy"), &[1, 16, 16], &[0.5; 256]).unwrap();
    dir
}

fn refused_key(text: &str, dir: &Path) -> String {
    match Task::<f64>::from_toml(text, dir, "keys") {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(Error::Config { key, .. }) => key,
        Err(other) => panic!("not a key error: {other}\n{text}"),
    }
}

const SOLVER: &str = "[solver]\nkind = \"pdhg\"\niterations = 5\n";

#[test]
fn a_measured_measurement_refuses_simulated_noise() {
    let dir = folder_with_measurement("noise");
    let text = format!(
        "[data]\nmeasurement = \"y.npy\"\nshape = [16, 16]\n\
         [physics]\nkind = \"denoise\"\nnoise = {{ kind = \"gaussian\", sigma = 0.1 }}\n{SOLVER}"
    );
    assert_eq!(refused_key(&text, &dir), "physics.noise");
    // Without the noise the same task is accepted, so the refusal is about the conflict.
    let text = text.replace("noise = { kind = \"gaussian\", sigma = 0.1 }\n", "");
    assert!(Task::<f64>::from_toml(&text, &dir, "keys").is_ok());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn image_only_keys_are_refused_without_an_image() {
    let dir = folder_with_measurement("image-keys");
    for key in ["grey = true", "downscale = 2"] {
        let text = format!(
            "[data]\nmeasurement = \"y.npy\"\nshape = [16, 16]\n{key}\n\
             [physics]\nkind = \"denoise\"\n{SOLVER}"
        );
        let name = key.split(' ').next().unwrap();
        assert_eq!(refused_key(&text, &dir), format!("data.{name}"));
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn keys_of_another_kind_are_refused_as_unknown() {
    // A gaussian kernel has no `length`, a "none" noise no `sigma`, TV no `family`.
    let cases = [
        (
            "kernel = { kind = \"gaussian\", sigma = 1.0, length = 5 }",
            "physics.kernel.length",
        ),
        (
            "noise = { kind = \"none\", sigma = 0.1 }",
            "physics.noise.sigma",
        ),
    ];
    for (line, key) in cases {
        let text = format!(
            "[data]\nimage = \"builtin:camera\"\ndownscale = 16\n\
             [physics]\nkind = \"blur\"\n{line}\n{SOLVER}"
        );
        assert_eq!(refused_key(&text, Path::new(".")), key);
    }
    let text = format!(
        "[data]\nimage = \"builtin:camera\"\ndownscale = 16\n[physics]\nkind = \"denoise\"\n\
         [prior]\nkind = \"tv\"\nfamily = \"haar\"\n{SOLVER}"
    );
    assert_eq!(refused_key(&text, Path::new(".")), "prior.family");
}
