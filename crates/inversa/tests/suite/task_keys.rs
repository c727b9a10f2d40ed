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

#[test]
fn a_shape_without_a_measurement_or_image_is_refused_by_key() {
    let text = format!("[data]\nshape = [8, 8]\n[physics]\nkind = \"denoise\"\n{SOLVER}");
    assert_eq!(refused_key(&text, Path::new(".")), "data.shape");
}

#[test]
fn an_image_in_memory_gives_the_task_of_the_same_image_from_a_file() {
    let dir = folder_with_measurement("memory");
    // 12×12: the task scores SSIM, whose window needs 11×11.
    let values: Vec<f32> = (0..144).map(|p| ((p * 37) % 11) as f32 / 10.0).collect();
    inversa::io::npy::write_npy_f32(&dir.join("x.npy"), &[1, 12, 12], &values).unwrap();
    let rest = "[physics]\nkind = \"inpaint\"\nmissing = 0.3\nnoise = { kind = \"gaussian\", sigma = 0.1 }\n\
                [prior]\nkind = \"tv\"\n[solver]\nkind = \"pdhg\"\niterations = 20\n";
    let from_file =
        Task::<f64>::from_toml(&format!("[data]\nimage = \"x.npy\"\n{rest}"), &dir, "f").unwrap();
    // f32 round trip of the file: compare with the same rounded values.
    let rounded: Vec<f64> = values.iter().map(|&v| f64::from(v)).collect();
    let image = inversa::io::Array::new(vec![12, 12], rounded).unwrap();
    let in_memory =
        Task::<f64>::from_toml_with_image(rest, image.clone(), &dir, "m", &Default::default())
            .unwrap();
    assert_eq!(in_memory.image_shape, vec![1, 12, 12]);
    assert_eq!(in_memory.ground_truth, from_file.ground_truth);
    assert_eq!(in_memory.measurement, from_file.measurement);
    let run = |task: &Task<f64>| task.run(&mut |_| inversa::Control::Continue).unwrap();
    assert_eq!(
        run(&in_memory).reconstruction,
        run(&from_file).reconstruction
    );
    // A [data] table beside the image in memory is refused, as is a non-finite image.
    let both = format!("[data]\nimage = \"x.npy\"\n{rest}");
    match Task::<f64>::from_toml_with_image(&both, image, &dir, "m", &Default::default()) {
        Err(Error::Config { key, .. }) => assert_eq!(key, "data"),
        other => panic!("expected a data error, got {:?}", other.err()),
    }
    let bad = inversa::io::Array::new(vec![1, 2], vec![0.0, f64::NAN]).unwrap();
    assert!(Task::<f64>::from_toml_with_image(rest, bad, &dir, "m", &Default::default()).is_err());
    std::fs::remove_dir_all(dir).unwrap();
}
