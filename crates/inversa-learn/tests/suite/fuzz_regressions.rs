//! Inputs that once crashed a weights loader, kept as plain tests: the minimised crashes of the
//! `weights` fuzz target in `fuzz/` (files under `tests/fuzz_regressions/weights/`, whose first
//! byte picks the loader as the target's does). Each must now load or fail naming the file.

use inversa_learn::models::{
    classifier::Classifier, dncnn::DnCnn, drunet::Drunet, gan::Gan, lpn::LearnedProximalNetwork,
    unet::Unet,
};
use inversa_learn::solvers::deep_cd::network::DeepCdNet;
use std::path::{Path, PathBuf};

/// The error of the loader that `which` picks (as `fuzz/fuzz_targets/weights.rs` does), if any.
fn load(which: u8, bytes: &[u8], origin: &Path) -> Option<inversa::Error> {
    match which % 8 {
        0 => DnCnn::from_safetensors(bytes, origin).err(),
        1 => Unet::from_safetensors(bytes, origin).err(),
        2 => Classifier::from_safetensors(bytes, origin).err(),
        3 => Gan::from_safetensors(bytes, origin).err(),
        4 => LearnedProximalNetwork::from_safetensors(bytes, origin).err(),
        5 => Drunet::from_safetensors(bytes, origin).err(),
        6 => DeepCdNet::from_safetensors(bytes, origin).err(),
        _ => inversa_learn::nn::weights::read_safetensors(bytes, origin).err(),
    }
}

#[test]
fn weights_crash_inputs_load_or_fail_naming_the_file() {
    // The target's seeds (one selector byte, then a bundled model's safetensors) and any kept crash.
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let folders = [
        crate_dir.join("../../fuzz/seeds/weights"),
        crate_dir.join("tests/fuzz_regressions/weights"),
    ];
    let mut files: Vec<PathBuf> = folders
        .iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flat_map(|entries| entries.map(|e| e.unwrap().path()))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no inputs for the weights target");
    for path in files {
        let data = std::fs::read(&path).unwrap();
        let Some((&which, bytes)) = data.split_first() else {
            continue;
        };
        if let Some(error) = load(which, bytes, &path) {
            let message = error.to_string();
            assert!(
                message.starts_with(&path.display().to_string()),
                "{message}"
            );
        }
    }
}

/// Safetensors bytes with string `metadata` and one small f32 tensor.
fn safetensors_with(metadata: &[(&str, &str)]) -> Vec<u8> {
    let meta: Vec<String> = metadata
        .iter()
        .map(|(k, v)| format!("\"{k}\":\"{v}\""))
        .collect();
    let header = format!(
        "{{\"__metadata__\":{{{}}},\"w\":{{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}}}",
        meta.join(",")
    );
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(&1.0f32.to_le_bytes());
    bytes
}

/// Metadata sizes that overflowed the arithmetic building a network (`L·hidden + 1`, `channels <<
/// level`, a schedule of `timesteps` entries) are refused by the loader, naming the file.
#[test]
fn huge_metadata_sizes_are_refused_before_any_network_is_built() {
    let origin = Path::new("hostile.safetensors");
    let lpn = safetensors_with(&[
        ("architecture", "lpn"),
        ("hidden", "1e300"),
        ("layers", "4"),
        ("beta", "10"),
        ("alpha", "0.01"),
    ]);
    let unet = safetensors_with(&[
        ("architecture", "diffusion-unet"),
        ("channels", "32"),
        ("levels", "70"),
        ("blocks", "1"),
        ("groups", "8"),
        ("classes", "10"),
        ("timesteps", "1000"),
        ("prediction", "epsilon"),
        ("schedule", "linear"),
    ]);
    let classifier = safetensors_with(&[
        ("architecture", "fashion-classifier"),
        ("channels", "18446744073709551615"),
        ("classes", "10"),
    ]);
    for (which, bytes, expected) in [
        (
            4,
            lpn,
            "metadata \"hidden\" must be a positive integer of at most 1048576",
        ),
        (1, unet, "levels (70) must be at most 16"),
        (
            2,
            classifier,
            "metadata \"channels\" must be a positive integer of at most 1048576",
        ),
    ] {
        let message = load(which, &bytes, origin).unwrap().to_string();
        assert!(
            message.starts_with("hostile.safetensors: ") && message.contains(expected),
            "{message}"
        );
    }
}
