//! The text buffers of a twix measurement header: `MeasYaps` (ASCCONV, `key = value` per line)
//! for the matrix and field of view, and XProtocol (`Meas`, `Dicom`, `Config`) for the readout
//! oversampling, which ASCCONV does not hold.

use std::collections::HashMap;

/// The buffers a reader looks values up in.
pub struct Protocol {
    /// `MeasYaps`' assignments, by key.
    yaps: HashMap<String, String>,
    /// The XProtocol buffers' text.
    xprotocol: Vec<String>,
}

impl Protocol {
    /// Parses the measurement header `bytes` (from its `u32` length on).
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let buffers = read_u32(bytes, 4)? as usize;
        let mut at = 8;
        let mut yaps = None;
        let mut xprotocol = Vec::new();
        for _ in 0..buffers {
            let name_end = bytes[at.min(bytes.len())..]
                .iter()
                .position(|&b| b == 0)
                .map(|n| at + n)
                .ok_or("the measurement header ends inside a buffer name")?;
            let name = String::from_utf8_lossy(&bytes[at..name_end]).into_owned();
            let length = read_u32(bytes, name_end + 1)? as usize;
            let start = name_end + 5;
            let text = bytes
                .get(start..start.saturating_add(length))
                .ok_or_else(|| format!("header buffer {name} runs past the header"))?;
            let text = String::from_utf8_lossy(text).into_owned();
            match name.as_str() {
                "MeasYaps" => yaps = Some(ascconv(&text)),
                "Meas" | "Dicom" | "Config" => xprotocol.push(text),
                _ => {}
            }
            at = start + length;
        }
        Ok(Self {
            yaps: yaps.ok_or("the measurement header has no MeasYaps buffer (the protocol)")?,
            xprotocol,
        })
    }

    /// The protocol value `key` as a positive integer.
    pub fn usize(&self, key: &str) -> Result<usize, String> {
        let value = self.value(key)?;
        value
            .parse::<usize>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("protocol {key} = {value}, expected a positive integer"))
    }

    /// The protocol value `key` as a positive number.
    pub fn f64(&self, key: &str) -> Result<f64, String> {
        let value = self.value(key)?;
        value
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v > 0.0)
            .ok_or_else(|| format!("protocol {key} = {value}, expected a positive number"))
    }

    fn value(&self, key: &str) -> Result<&str, String> {
        self.yaps
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| format!("the protocol (MeasYaps) has no {key}"))
    }

    /// `flReadoutOSFactor` from the first XProtocol buffer that holds it.
    pub fn readout_oversampling(&self) -> Result<f64, String> {
        self.xprotocol
            .iter()
            .find_map(|text| xprotocol_double(text, "flReadoutOSFactor"))
            .filter(|v| v.is_finite() && *v >= 1.0)
            .ok_or_else(|| {
                "the header has no readable flReadoutOSFactor (readout oversampling ≥ 1)"
                    .to_string()
            })
    }
}

/// The `key = value` lines between `### ASCCONV BEGIN` and `### ASCCONV END ###`, values without
/// quotes and trailing comments.
fn ascconv(text: &str) -> HashMap<String, String> {
    let body = text
        .split_once("### ASCCONV BEGIN")
        .map_or(text, |(_, rest)| rest);
    let body = body
        .split_once("### ASCCONV END")
        .map_or(body, |(inside, _)| inside);
    body.lines()
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| {
            let value = value
                .split('#')
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches('"');
            (key.trim().to_string(), value.to_string())
        })
        .collect()
}

/// The value of `<ParamDouble."name"> { <Precision> p value }`: the last number in the braces.
pub(super) fn xprotocol_double(text: &str, name: &str) -> Option<f64> {
    let (_, rest) = text.split_once(&format!("\"{name}\">"))?;
    let (_, rest) = rest.split_once('{')?;
    let (inside, _) = rest.split_once('}')?;
    // Skip the `<Precision> p` (and any other `<Tag> value`) pairs before the value itself.
    let mut tokens = inside.split_whitespace();
    let mut value = None;
    while let Some(token) = tokens.next() {
        if token.starts_with('<') {
            tokens.next();
        } else {
            value = Some(token);
        }
    }
    value?.parse().ok()
}

fn read_u32(bytes: &[u8], at: usize) -> Result<u32, String> {
    bytes
        .get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| "the measurement header is truncated".to_string())
}
