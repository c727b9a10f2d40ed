//! Sizes a user controls are refused by key, before anything is allocated, when they imply more
//! memory than any machine has (so these tests do not depend on the machine's ceiling) or a
//! kernel larger than the image.

use inversa::config::Section;
use inversa::operators::physics::BuildContext;
use inversa::operators::registry::find;
use inversa::task::Task;
use inversa::Error;
use std::path::Path;

/// The key and message of the configuration error that building `kind` from `table` gives.
fn physics_refusal(kind: &str, table: &str, shape: &[usize]) -> (String, String) {
    let table: toml::Table = table.parse().unwrap();
    let mut section = Section::new(&table, "physics", Path::new("."));
    let ctx = BuildContext {
        image_shape: shape.to_vec(),
        seed: 0,
        raw: None,
    };
    match (find::<f64>(kind).unwrap().build)(&mut section, &ctx) {
        Ok(_) => panic!("{kind} with {table} was accepted"),
        Err(Error::Config { key, message }) => (key, message),
        Err(other) => panic!("{kind} with {table}: not a config error: {other}"),
    }
}

#[test]
fn kernels_larger_than_the_image_are_refused_before_they_are_built() {
    let shape = [1, 64, 64];
    for (kernel, key) in [
        (
            "{ kind = \"gaussian\", sigma = 1e6 }",
            "physics.kernel.sigma",
        ),
        (
            "{ kind = \"gaussian\", sigma = 1e300 }",
            "physics.kernel.sigma",
        ),
        ("{ kind = \"box\", size = 65 }", "physics.kernel.size"),
        (
            "{ kind = \"motion\", length = 1e15 }",
            "physics.kernel.length",
        ),
    ] {
        let (got, message) = physics_refusal("blur", &format!("kernel = {kernel}"), &shape);
        assert_eq!(got, key, "{kernel}: {message}");
        assert!(message.contains("larger than the 64×64 image"), "{message}");
    }
    // The largest Gaussian that fits is accepted: σ = 10 spans 61 pixels.
    let table: toml::Table = "kernel = { kind = \"gaussian\", sigma = 10.0 }"
        .parse()
        .unwrap();
    let mut section = Section::new(&table, "physics", Path::new("."));
    let ctx = BuildContext {
        image_shape: shape.to_vec(),
        seed: 0,
        raw: None,
    };
    assert!((find::<f64>("blur").unwrap().build)(&mut section, &ctx).is_ok());
    let (key, _) = physics_refusal("downsample", "factor = 2\nsigma = 1e6", &shape);
    assert_eq!(key, "physics.sigma");
}

#[test]
fn counts_that_imply_petabytes_are_refused_naming_the_key_and_the_memory() {
    let shape = [1, 16, 16];
    for (kind, table, key) in [
        ("ct", "angles = 1000000000000", "physics.angles"),
        ("ct", "detectors = 1000000000000", "physics.detectors"),
        ("mri", "coils = 1000000000000", "physics.coils"),
    ] {
        let (got, message) = physics_refusal(kind, table, &shape);
        assert_eq!(got, key, "{table}");
        assert!(
            message.starts_with("needs ") && message.contains("INVERSA_MEMORY_LIMIT"),
            "{message}"
        );
    }
}

/// The error of building a task from `text`.
fn task_refusal(text: &str) -> String {
    match Task::<f64>::from_toml(text, Path::new("."), "limits") {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn task_shapes_and_iteration_counts_are_checked_against_memory() {
    let shape = "[data]\nshape = [4294967296, 4294967296]\n[physics]\nkind = \"blur\"\n";
    let error = task_refusal(shape);
    assert!(error.starts_with("data.shape: needs "), "{error}");
    let iterations = "[data]\nimage = \"builtin:camera\"\ndownscale = 8\n[physics]\nkind = \"blur\"\n\
                      [prior]\nkind = \"tv\"\n[solver]\nkind = \"pdhg\"\niterations = 1000000000000000\n";
    let error = task_refusal(iterations);
    assert!(error.starts_with("solver.iterations: needs "), "{error}");
}

/// Shapes no image has: a zero size, or a rank other than 2 or 3.
const IMPOSSIBLE_SHAPES: [&[usize]; 5] = [&[0, 8, 8], &[1, 0, 8], &[1, 8, 0], &[8], &[1, 1, 8, 8]];

#[test]
fn every_physics_and_prior_refuses_an_impossible_image_shape_with_an_error() {
    let table = toml::Table::new();
    for shape in IMPOSSIBLE_SHAPES {
        let ctx = BuildContext {
            image_shape: shape.to_vec(),
            seed: 0,
            raw: None,
        };
        for entry in inversa::operators::registry::physics::<f64>() {
            let mut section = Section::new(&table, "physics", Path::new("."));
            let built = (entry.build)(&mut section, &ctx);
            assert!(built.is_err(), "physics {} accepted {shape:?}", entry.name);
        }
        for entry in inversa::priors::registry::priors::<f64>() {
            let mut section = Section::new(&table, "prior", Path::new("."));
            // Priors that do not depend on the image shape (ℓ1, box) may accept it.
            if let Err(error) = (entry.build)(&mut section, &ctx) {
                assert!(!error.to_string().is_empty(), "prior {}", entry.name);
            }
        }
    }
}

#[test]
fn operator_constructors_refuse_impossible_shapes() {
    use inversa::operators::{dct2::Dct2d, gradient::Gradient};
    use inversa::priors::tv::TotalVariation;
    for shape in IMPOSSIBLE_SHAPES {
        assert!(Gradient::new(shape).is_err(), "gradient {shape:?}");
        assert!(Dct2d::<f64>::new(shape).is_err(), "dct {shape:?}");
        assert!(
            TotalVariation::<f64>::new(0.1, shape, 5).is_err(),
            "tv {shape:?}"
        );
    }
}
