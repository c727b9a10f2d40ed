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

/// The positive integer under `key` in a weights file's metadata; `origin` names the file in
/// errors.
pub fn positive_metadata(
    metadata: &HashMap<String, String>,
    key: &str,
    origin: &Path,
) -> inversa::Result<usize> {
    metadata
        .get(key)
        .and_then(|v| v.parse().ok())
        .filter(|&v: &usize| v >= 1)
        .ok_or_else(|| {
            Error::format(
                origin,
                format!("metadata \"{key}\" must be a positive integer"),
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
