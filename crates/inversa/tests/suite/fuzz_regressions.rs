//! The fuzz targets' inputs kept as plain tests: their seed corpora (`fuzz/seeds/<target>/`, the
//! example tasks for the task-file target), minimised crashes when a run finds one
//! (`tests/fuzz_regressions/<target>/`), and the hostile files of issue 17. Each must read as a
//! consistent array or fail with an error naming the file.

use inversa::io::npy::{decode_npy, encode_npy_f32};
use inversa::io::png_image::decode_png_within;
use inversa::task::{Task, TaskFile};
use std::path::{Path, PathBuf};

/// The seeds and kept crashes of fuzz target `target` (seeds from `seeds`, relative to the
/// repository root), sorted; never empty, so the tests below always check something.
fn inputs(target: &str, seeds: &str) -> Vec<PathBuf> {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let folders = [
        crate_dir.join("../..").join(seeds),
        crate_dir.join("tests/fuzz_regressions").join(target),
    ];
    let mut files: Vec<PathBuf> = folders
        .iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flat_map(|entries| entries.map(|e| e.unwrap().path()))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no inputs for the {target} target");
    files
}

/// An error must name the file it is about.
fn names(error: &inversa::Error, path: &Path) -> bool {
    error.to_string().starts_with(&path.display().to_string())
}

#[test]
fn npy_crash_inputs_read_consistently_or_fail_naming_the_file() {
    for path in inputs("npy", "fuzz/seeds/npy") {
        let bytes = std::fs::read(&path).unwrap();
        match decode_npy(&bytes, &path) {
            Ok(a) => assert_eq!(a.shape.iter().product::<usize>(), a.data.len(), "{path:?}"),
            Err(e) => assert!(names(&e, &path), "{e}"),
        }
    }
}

#[test]
fn png_crash_inputs_read_consistently_or_fail_naming_the_file() {
    for path in inputs("png", "fuzz/seeds/png") {
        let bytes = std::fs::read(&path).unwrap();
        match decode_png_within(&bytes, &path, Some(256 << 20)) {
            Ok(a) => assert_eq!(a.shape.iter().product::<usize>(), a.data.len(), "{path:?}"),
            Err(e) => assert!(names(&e, &path), "{e}"),
        }
    }
}

#[test]
fn task_file_crash_inputs_parse_or_fail_naming_the_file() {
    for path in inputs("task_file", "tasks") {
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        match TaskFile::parse(text, &path) {
            Ok(file) => {
                let _ = file.precision();
            }
            Err(e) => assert!(names(&e, &path), "{e}"),
        }
    }
}

/// A folder of its own for a test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("inversa-fuzz-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Issue 17: `.npy` headers whose element count overflows were accepted (and panicked later in
/// the gradient) or reported as an empty image; run as a task's ground truth they now fail on the
/// file, saying what the header asks for and what the file has.
#[test]
fn a_task_on_an_npy_whose_shape_overflows_fails_on_the_file() {
    let dir = scratch("overflow");
    for (name, shape, data_len, expected) in [
        (
            "wrapped.npy",
            "4611686018427387905, 4",
            16 * 1024,
            "the header's shape [4611686018427387905, 4] of <f4 needs 73786976294838206480 bytes of data, the file has 16384",
        ),
        (
            "square.npy",
            "4294967296, 4294967296",
            16,
            "the header's shape [4294967296, 4294967296] of <f4 needs 73786976294838206464 bytes of data, the file has 16",
        ),
    ] {
        let header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({shape}), }}\n");
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend(std::iter::repeat_n(0u8, data_len));
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let task = format!(
            "[data]\nimage = \"{name}\"\n[physics]\nkind = \"denoise\"\n[solver]\nkind = \"pdhg\"\n"
        );
        let error = Task::<f32>::from_toml(&task, &dir, "t").err().unwrap();
        assert_eq!(error.to_string(), format!("{}: {expected}", path.display()));
    }
}

/// Issue 17: a 1-D kernel file panicked in `operators/mod.rs`; kernels of any rank but 2 (or 3
/// with one channel) are now refused by the reader, naming the file.
#[test]
fn a_kernel_file_of_the_wrong_rank_is_refused_naming_the_file() {
    let dir = scratch("kernel");
    for (name, shape) in [
        ("k1.npy", vec![5]),
        ("k4.npy", vec![1, 1, 3, 3]),
        ("k3.npy", vec![3, 3, 3]),
    ] {
        let count: usize = shape.iter().product();
        std::fs::write(
            dir.join(name),
            encode_npy_f32(&shape, &vec![1.0; count]).unwrap(),
        )
        .unwrap();
        let task = format!(
            "[data]\nimage = \"builtin:camera\"\ndownscale = 8\n\
             [physics]\nkind = \"blur\"\nkernel = {{ kind = \"file\", path = \"{name}\" }}\n\
             [solver]\nkind = \"pdhg\"\n"
        );
        let error = Task::<f32>::from_toml(&task, &dir, "t")
            .err()
            .unwrap()
            .to_string();
        assert_eq!(
            error,
            format!(
                "{}: a blur kernel needs shape [height, width] or [1, height, width] (one channel), found {shape:?}",
                dir.join(name).display()
            )
        );
    }
    // The same kernel as [1, 5] is a valid horizontal blur.
    std::fs::write(
        dir.join("row.npy"),
        encode_npy_f32(&[1, 5], &[1.0; 5]).unwrap(),
    )
    .unwrap();
    let task = "[data]\nimage = \"builtin:camera\"\ndownscale = 8\n\
                [physics]\nkind = \"blur\"\nkernel = { kind = \"file\", path = \"row.npy\" }\n\
                [solver]\nkind = \"pdhg\"\n";
    assert!(Task::<f32>::from_toml(task, &dir, "t").is_ok());
}

/// Issue 17: an 8-bit `.npy` ground truth was read as 0–255, so a run "succeeded" at −26.7 dB. It
/// now reads as its PNG does, in [0, 1].
#[test]
fn an_8_bit_npy_ground_truth_reads_as_the_same_png_does() {
    let dir = scratch("u8");
    let levels: Vec<u8> = (0..64).map(|i| (i * 4) as u8).collect();
    let header = "{'descr': '|u1', 'fortran_order': False, 'shape': (8, 8), }\n";
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(&levels);
    std::fs::write(dir.join("truth.npy"), bytes).unwrap();
    let data: Vec<f32> = levels.iter().map(|&k| f32::from(k) / 255.0).collect();
    inversa::io::write_png_u8(&dir.join("truth.png"), &[8, 8], &data).unwrap();
    let from_npy = inversa::io::read_npy(&dir.join("truth.npy")).unwrap();
    let from_png = inversa::io::read_png(&dir.join("truth.png")).unwrap();
    assert_eq!(from_npy.data, from_png.data);
    assert_eq!(
        from_npy.data.iter().cloned().fold(0.0, f64::max),
        252.0 / 255.0
    );
}
