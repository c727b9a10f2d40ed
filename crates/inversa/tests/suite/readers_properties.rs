//! Properties of the readers of untrusted files (issue 17): any bytes either read as a consistent
//! array (as many values as the shape's product) or are an error naming the file, never a panic;
//! and what the writers write reads back exactly.

use inversa::io::npy::{decode_npy, encode_npy_f32, encode_npy_f64};
use inversa::io::png_image::{decode_png_within, encode_png_u16, encode_png_u8};
use inversa::io::Array;
use inversa::task::{Task, TaskFile};
use proptest::prelude::*;
use std::path::Path;

/// The memory the PNG properties give the reader: enough for any image they write, small enough
/// that a header declaring a huge image is refused before decoding.
const PNG_LIMIT: Option<u64> = Some(64 << 20);

/// A read array is consistent: its values fill its shape exactly.
fn consistent(array: &Array) -> bool {
    array
        .shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        == Some(array.data.len())
}

/// `.npy` bytes with a well-formed prelude around an arbitrary `descr`, `shape` text and body: the
/// inputs that reach the size arithmetic, which random bytes almost never do.
fn npy_like() -> impl Strategy<Value = Vec<u8>> {
    let descr = prop::sample::select(vec![
        "<f4", "<f8", "<c8", "<c16", "|u1", "<u1", "<u2", "<u4", ">f4", "<i2", "|b1", "<f2",
    ]);
    let dim = prop_oneof![
        0usize..6,
        Just(1usize << 32),
        Just(usize::MAX),
        Just((1usize << 62) + 1),
        any::<usize>(),
    ];
    let shape = prop::collection::vec(dim, 0..5);
    let fortran = prop::sample::select(vec!["False", "True", "0"]);
    (
        descr,
        shape,
        fortran,
        prop::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(|(descr, shape, fortran, body)| {
            let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
            let header = format!(
                "{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': ({},), }}\n",
                dims.join(", ")
            );
            let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
            bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
            bytes.extend_from_slice(header.as_bytes());
            bytes.extend_from_slice(&body);
            bytes
        })
}

/// An image shape the PNG writer takes: `[h, w]`, `[1, h, w]` or `[3, h, w]`.
fn png_shape() -> impl Strategy<Value = Vec<usize>> {
    (
        prop::sample::select(vec![0usize, 1, 3]),
        1usize..12,
        1usize..12,
    )
        .prop_map(|(c, h, w)| if c == 0 { vec![h, w] } else { vec![c, h, w] })
}

/// The `[channels, height, width]` shape a PNG of `shape` reads back as.
fn as_read(shape: &[usize]) -> Vec<usize> {
    match *shape {
        [h, w] => vec![1, h, w],
        _ => shape.to_vec(),
    }
}

/// Some `edits` (position, byte) applied to `bytes`, positions taken modulo its length.
fn mutated(mut bytes: Vec<u8>, edits: &[(usize, u8)]) -> Vec<u8> {
    for &(at, byte) in edits {
        let at = at % bytes.len();
        bytes[at] = byte;
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn npy_any_bytes_read_consistently_or_fail_naming_the_file(
        bytes in prop::collection::vec(any::<u8>(), 0..200)
    ) {
        match decode_npy(&bytes, Path::new("p.npy")) {
            Ok(array) => prop_assert!(consistent(&array)),
            Err(e) => prop_assert!(e.to_string().starts_with("p.npy: "), "{}", e),
        }
    }

    #[test]
    fn npy_any_header_reads_consistently_or_fails_naming_the_file(bytes in npy_like()) {
        match decode_npy(&bytes, Path::new("p.npy")) {
            Ok(array) => prop_assert!(consistent(&array)),
            Err(e) => prop_assert!(e.to_string().starts_with("p.npy: "), "{}", e),
        }
    }

    #[test]
    fn npy_f32_round_trips_exactly(
        shape in prop::collection::vec(0usize..5, 0..4),
        seed in prop::collection::vec(any::<f32>(), 0..256),
    ) {
        let count: usize = shape.iter().product();
        let data: Vec<f32> = (0..count).map(|i| seed.get(i).copied().unwrap_or(i as f32)).collect();
        let back = decode_npy(&encode_npy_f32(&shape, &data).unwrap(), Path::new("r.npy")).unwrap();
        prop_assert_eq!(&back.shape, &shape);
        for (read, wrote) in back.data.iter().zip(&data) {
            let read = *read as f32;
            prop_assert!(read.to_bits() == wrote.to_bits() || (read.is_nan() && wrote.is_nan()));
        }
    }

    #[test]
    fn npy_f64_round_trips_bit_for_bit(
        shape in prop::collection::vec(0usize..5, 0..4),
        seed in prop::collection::vec(any::<f64>(), 0..256),
    ) {
        let count: usize = shape.iter().product();
        let data: Vec<f64> = (0..count).map(|i| seed.get(i).copied().unwrap_or(i as f64)).collect();
        let back = decode_npy(&encode_npy_f64(&shape, &data).unwrap(), Path::new("r.npy")).unwrap();
        prop_assert_eq!(&back.shape, &shape);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        prop_assert_eq!(bits(&back.data), bits(&data));
    }

    #[test]
    fn png_any_bytes_read_as_an_image_or_fail_naming_the_file(
        bytes in prop::collection::vec(any::<u8>(), 0..200)
    ) {
        match decode_png_within(&bytes, Path::new("p.png"), PNG_LIMIT) {
            Ok(image) => prop_assert!(consistent(&image) && image.shape.len() == 3),
            Err(e) => prop_assert!(e.to_string().starts_with("p.png: "), "{}", e),
        }
    }

    #[test]
    fn png_damaged_files_read_as_an_image_or_fail_naming_the_file(
        shape in png_shape(),
        sixteen in any::<bool>(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..6),
    ) {
        let count: usize = shape.iter().product();
        let data: Vec<f32> = (0..count).map(|i| (i % 7) as f32 / 6.0).collect();
        let bytes = if sixteen { encode_png_u16(&shape, &data) } else { encode_png_u8(&shape, &data) };
        let bytes = mutated(bytes.unwrap(), &edits);
        match decode_png_within(&bytes, Path::new("d.png"), PNG_LIMIT) {
            Ok(image) => {
                prop_assert!(consistent(&image) && matches!(image.shape[0], 1 | 3));
                prop_assert!(image.data.iter().all(|v| (0.0..=1.0).contains(v)));
            }
            Err(e) => prop_assert!(e.to_string().starts_with("d.png: "), "{}", e),
        }
    }

    #[test]
    fn png_8_bit_levels_round_trip_exactly(
        shape in png_shape(),
        levels in prop::collection::vec(any::<u8>(), 432),
    ) {
        let count: usize = shape.iter().product();
        let data: Vec<f32> = levels[..count].iter().map(|&k| f32::from(k) / 255.0).collect();
        let bytes = encode_png_u8(&shape, &data).unwrap();
        let back = decode_png_within(&bytes, Path::new("r.png"), PNG_LIMIT).unwrap();
        prop_assert_eq!(back.shape, as_read(&shape));
        let expected: Vec<f64> = levels[..count].iter().map(|&k| f64::from(k) / 255.0).collect();
        prop_assert_eq!(back.data, expected);
    }

    #[test]
    fn png_16_bit_levels_round_trip_exactly(
        shape in png_shape(),
        levels in prop::collection::vec(any::<u16>(), 432),
    ) {
        let count: usize = shape.iter().product();
        let data: Vec<f32> = levels[..count].iter().map(|&k| f32::from(k) / 65535.0).collect();
        let bytes = encode_png_u16(&shape, &data).unwrap();
        let back = decode_png_within(&bytes, Path::new("r.png"), PNG_LIMIT).unwrap();
        prop_assert_eq!(back.shape, as_read(&shape));
        let expected: Vec<f64> = levels[..count].iter().map(|&k| f64::from(k) / 65535.0).collect();
        prop_assert_eq!(back.data, expected);
    }

    #[test]
    fn task_files_of_any_text_parse_or_fail_naming_the_file(text in "\\PC{0,200}") {
        match TaskFile::parse(text, Path::new("t.toml")) {
            Ok(file) => {
                if let Err(e) = file.precision() {
                    prop_assert!(e.to_string().starts_with("run.precision: "), "{}", e);
                }
            }
            Err(e) => prop_assert!(e.to_string().starts_with("t.toml: "), "{}", e),
        }
    }

    #[test]
    fn task_files_of_any_toml_shape_parse_or_fail(
        lines in prop::collection::vec(
            prop_oneof![
                Just("[run]".to_string()),
                Just("[data]".to_string()),
                Just("[physics]".to_string()),
                Just("[[run]]".to_string()),
                "[a-z.]{1,12} = (\"[a-z0-9]{0,6}\"|[0-9]{1,25}|true|\\[[0-9, ]{0,10}\\]|\\{ *\\})",
                Just("precision = \"f64\"".to_string()),
                Just("precision = 64".to_string()),
                Just("run = 1".to_string()),
            ],
            0..12,
        )
    ) {
        let text = lines.join("\n");
        match TaskFile::parse(text, Path::new("t.toml")) {
            Ok(file) => {
                if let Err(e) = file.precision() {
                    prop_assert!(e.to_string().starts_with("run.precision: "), "{}", e);
                }
            }
            Err(e) => prop_assert!(e.to_string().starts_with("t.toml: "), "{}", e),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A task whose `data.image` is an array of any rank and size (zero and one-sized dimensions
    /// included) either builds on an image its values fill, or is an error naming the file.
    #[test]
    fn a_task_image_of_any_shape_builds_consistently_or_fails_naming_the_file(
        shape in prop::collection::vec(0usize..5, 0..5),
        grey in any::<bool>(),
        downscale in 1usize..4,
    ) {
        let dir = std::env::temp_dir().join(format!("inversa-prop-task-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let count: usize = shape.iter().product();
        let data: Vec<f64> = (0..count).map(|i| (i % 5) as f64 / 4.0).collect();
        let path = dir.join("image.npy");
        std::fs::write(&path, encode_npy_f64(&shape, &data).unwrap()).unwrap();
        let text = format!(
            "[data]\nimage = \"image.npy\"\ngrey = {grey}\ndownscale = {downscale}\n\
             [physics]\nkind = \"denoise\"\n[solver]\nkind = \"pdhg\"\niterations = 1\n"
        );
        match Task::<f32>::from_toml(&text, &dir, "shape") {
            Ok(task) => {
                prop_assert_eq!(task.image_shape.len(), 3);
                let pixels: usize = task.image_shape.iter().product();
                prop_assert!(pixels > 0);
                prop_assert_eq!(task.ground_truth.map(|t| t.len()), Some(pixels));
            }
            Err(e) => {
                let message = e.to_string();
                prop_assert!(
                    message.starts_with(&path.display().to_string()) || message.starts_with("data.downscale: "),
                    "{}", message
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// A damaged ISMRMRD file (bytes changed in its metadata at the front or anywhere, or cut
    /// short) reads as a consistent scan or fails naming the file, never a panic.
    #[test]
    fn ismrmrd_damaged_files_read_consistently_or_fail_naming_the_file(
        front in prop::collection::vec((0usize..16_384, any::<u8>()), 0..6),
        anywhere in prop::collection::vec((any::<usize>(), any::<u8>()), 0..6),
        keep in prop_oneof![Just(1.0f64), 0.0f64..1.0],
    ) {
        let original = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mri/spiral_8coil.h5")).unwrap();
        let n = original.len();
        let edits: Vec<(usize, u8)> = front.into_iter().chain(anywhere.into_iter().map(|(i, b)| (i % n, b))).collect();
        let mut bytes = mutated(original, &edits);
        bytes.truncate((n as f64 * keep) as usize);
        let dir = std::env::temp_dir().join(format!("inversa-ismrmrd-prop-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("scan.h5");
        std::fs::write(&path, &bytes).unwrap();
        match inversa::io::ismrmrd::read_ismrmrd(&path) {
            Ok(scan) => {
                for r in &scan.readouts {
                    prop_assert_eq!(r.data.len(), scan.channels * r.samples);
                    prop_assert_eq!(r.trajectory.len(), r.trajectory_dimensions * r.samples);
                }
            }
            Err(e) => prop_assert!(e.to_string().starts_with(&path.display().to_string()), "{}", e),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// A damaged Siemens twix file (bytes changed in its file and measurement headers, in the
    /// scan headers, anywhere, or cut short) reads as a consistent scan or fails naming the file,
    /// never a panic.
    #[test]
    fn twix_damaged_files_read_consistently_or_fail_naming_the_file(
        front in prop::collection::vec((0usize..10_400, any::<u8>()), 0..6),
        anywhere in prop::collection::vec((any::<usize>(), any::<u8>()), 0..6),
        keep in prop_oneof![Just(1.0f64), 0.0f64..1.0],
    ) {
        let original = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mri/gre.dat")).unwrap();
        let n = original.len();
        let edits: Vec<(usize, u8)> = front.into_iter().chain(anywhere.into_iter().map(|(i, b)| (i % n, b))).collect();
        let mut bytes = mutated(original, &edits);
        bytes.truncate((n as f64 * keep) as usize);
        let dir = std::env::temp_dir().join(format!("inversa-twix-prop-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("meas.dat");
        std::fs::write(&path, &bytes).unwrap();
        match inversa::io::twix::read_twix(&path) {
            Ok(scan) => {
                for r in &scan.readouts {
                    prop_assert_eq!(r.data.len(), scan.channels * scan.samples);
                }
            }
            Err(e) => prop_assert!(e.to_string().starts_with(&path.display().to_string()), "{}", e),
        }
    }
}
