//! Weights files: safetensors tensors with string metadata naming the architecture and the
//! settings that rebuild it. Every model reads its weights through these, at inference and when
//! training resumes.

use candle_core::{Device, Tensor};
use inversa::Error;
use std::collections::HashMap;
use std::fmt::Display;
use std::path::Path;

/// A weights file's metadata: its `architecture` and the settings that rebuild it.
pub fn metadata(architecture: &str, settings: &[(&str, &dyn Display)]) -> HashMap<String, String> {
    let architecture = ("architecture".to_string(), architecture.to_string());
    std::iter::once(architecture)
        .chain(
            settings
                .iter()
                .map(|(key, value)| (key.to_string(), value.to_string())),
        )
        .collect()
}

/// Errors (naming `origin`) unless a weights file's metadata says it holds `expected`, the
/// architecture of `what` ("GAN weights", "LPN weights", …).
pub fn expect_architecture(
    metadata: &HashMap<String, String>,
    expected: &str,
    what: &str,
    origin: &Path,
) -> inversa::Result<()> {
    let found = metadata.get("architecture").map(String::as_str);
    if found == Some(expected) {
        return Ok(());
    }
    Err(Error::format(
        origin,
        format!("not {what}: metadata \"architecture\" is {found:?}, expected \"{expected}\""),
    ))
}

/// The largest size a weights file's metadata may give (channels, layers, classes, timesteps, …):
/// 2^20. Every network built from it stays far below; a larger number is a damaged or hostile file,
/// and refusing it keeps every size computed from it (`2·channels·16`, `channels << levels`, a
/// schedule of `timesteps` entries) without overflow and small.
pub const MAX_METADATA_SIZE: usize = 1 << 20;

/// The positive integer under `key` in a weights file's metadata, at most [`MAX_METADATA_SIZE`];
/// `origin` names the file in errors.
pub fn positive_metadata(
    metadata: &HashMap<String, String>,
    key: &str,
    origin: &Path,
) -> inversa::Result<usize> {
    metadata
        .get(key)
        .and_then(|v| v.parse().ok())
        .filter(|&v: &usize| (1..=MAX_METADATA_SIZE).contains(&v))
        .ok_or_else(|| {
            Error::format(
                origin,
                format!(
                    "metadata \"{key}\" must be a positive integer of at most \
                     {MAX_METADATA_SIZE}, found {:?}",
                    metadata.get(key)
                ),
            )
        })
}

/// Tensors and metadata of safetensors `bytes`; `origin` names them in errors.
pub fn read_safetensors(
    bytes: &[u8],
    origin: &Path,
) -> inversa::Result<(HashMap<String, Tensor>, HashMap<String, String>)> {
    let bad = |e: String| Error::format(origin, format!("not a readable safetensors file: {e}"));
    let (_, header) =
        safetensors::SafeTensors::read_metadata(bytes).map_err(|e| bad(e.to_string()))?;
    let metadata = header.metadata().clone().unwrap_or_default();
    let tensors = candle_core::safetensors::load_buffer(bytes, &Device::Cpu)
        .map_err(|e| bad(e.to_string()))?;
    Ok((tensors, metadata))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_sizes_are_positive_and_bounded() {
        let origin = Path::new("w.safetensors");
        let with = |v: &str| HashMap::from([("channels".to_string(), v.to_string())]);
        assert_eq!(
            positive_metadata(&with("64"), "channels", origin).unwrap(),
            64
        );
        for bad in ["0", "-1", "1.5", "1048577", "18446744073709551615", ""] {
            let err = positive_metadata(&with(bad), "channels", origin)
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with("w.safetensors: metadata \"channels\" must be a positive integer of at most 1048576"),
                "{bad}: {err}"
            );
        }
    }
}
