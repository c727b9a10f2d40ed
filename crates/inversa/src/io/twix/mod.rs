//! Siemens raw data ("twix", `meas_*.dat`) of software lines VD and VE, the format the scanner's
//! `twix` tool saves and that twixtools and mapVBVD read. Layout, all little-endian:
//!
//! - a file header: `u32` (0 for VD/VE) and the number of measurements `n ≤ 64`, then 64 entries of
//!   152 bytes (`measId`, `fileId`, `u64` offset, `u64` length, patient and protocol names);
//! - at each measurement's offset: a `u32` header length and the number of text buffers, each a
//!   NUL-terminated name, a `u32` length and its text (`Config`, `Dicom`, `Meas`, `MeasYaps`,
//!   `Phoenix`, `Spice`). `MeasYaps` is the protocol as `key = value` lines (ASCCONV); `Meas` is
//!   XProtocol, where the readout oversampling factor lives;
//! - after the header, one scan after another: a 192-byte scan header ([`scan_header`]: evaluation
//!   flags, samples, channels, loop counters such as the phase-encode line), then per channel a
//!   32-byte channel header and `samples` complex `f32` values. A scan with the `ACQEND` flag ends
//!   the measurement.
//!
//! A file with several measurements (adjustment scans first) is read at its last one, the image
//! scan, as twixtools and mapVBVD do. Software line VB (a different header and 128-byte scan
//! headers) is refused by name. Nothing is guessed: the matrix and field of view come from the
//! protocol, and the readout oversampling from `flReadoutOSFactor`, checked against the samples.

mod protocol;
mod scan_header;

pub use scan_header::flags;

use crate::error::{Error, Result};
use num_complex::Complex;
use protocol::Protocol;
use scan_header::ScanHeader;
use std::path::Path;

/// Entries in the file header's measurement table.
const MAX_MEASUREMENTS: usize = 64;
/// Bytes of one measurement-table entry.
const ENTRY_BYTES: usize = 152;
/// Bytes of a channel header (VD/VE).
const CHANNEL_HEADER_BYTES: usize = 32;

/// One image readout of a twix measurement.
#[derive(Clone, Debug, PartialEq)]
pub struct TwixReadout {
    /// The evaluation flags ([`flags`]).
    pub flags: u64,
    /// Phase-encode line (`sLC.ushLine`).
    pub line: usize,
    /// Partition (3-D phase encode), slice, echo, repetition and set counters; reconstruction
    /// refuses scans where they are not all zero.
    pub counters: [u16; 5],
    /// Samples per channel (`ushSamplesInScan`).
    pub samples: usize,
    /// `channels × samples` complex samples, channel-major, in acquisition order (a reflected
    /// readout is already reversed).
    pub data: Vec<Complex<f32>>,
    /// The sample at the k-space centre (`ushKSpaceCentreColumn`).
    pub centre_column: usize,
}

/// A twix measurement's protocol and its image readouts.
#[derive(Clone, Debug)]
pub struct TwixScan {
    /// `sKSpace.lBaseResolution`: image samples along the readout.
    pub base_resolution: usize,
    /// `sKSpace.lPhaseEncodingLines`.
    pub phase_lines: usize,
    /// `flReadoutOSFactor`: acquired samples per image sample along the readout.
    pub readout_oversampling: f64,
    /// Readout and phase field of view in mm (`dReadoutFOV`, `dPhaseFOV` of slice 0).
    pub fov_mm: (f64, f64),
    /// Receive channels, the same in every readout.
    pub channels: usize,
    /// Samples per channel, the same in every readout.
    pub samples: usize,
    /// Readouts that image the object (noise, reference and feedback scans dropped).
    pub readouts: Vec<TwixReadout>,
    /// Noise-adjustment scans, for pre-whitening.
    pub noise: Vec<TwixReadout>,
}

/// Reads the twix file at `path` (its last measurement).
pub fn read_twix(path: &Path) -> Result<TwixScan> {
    let size = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    crate::memory::check_bytes(&path.display().to_string(), u128::from(size))
        .map_err(|e| Error::format(path, e.to_string()))?;
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse(&bytes).map_err(|message| Error::format(path, message))
}

/// Parses a whole twix file.
fn parse(bytes: &[u8]) -> std::result::Result<TwixScan, String> {
    let (first, count) = (read_u32(bytes, 0)?, read_u32(bytes, 4)? as usize);
    if first >= 10_000 || count == 0 || count > MAX_MEASUREMENTS {
        return Err(format!(
            "not a Siemens twix file of software line VD/VE (its file header holds {first}, {count}; \
             VB files are not supported)"
        ));
    }
    let entry = 8 + (count - 1) * ENTRY_BYTES;
    let offset = read_u64(bytes, entry + 8)?;
    let length = read_u64(bytes, entry + 16)?;
    let end = offset
        .checked_add(length)
        .filter(|&e| e <= bytes.len() as u64)
        .ok_or_else(|| {
            format!(
                "measurement {count} spans bytes {offset}..+{length}, past the end of the {}-byte file (truncated?)",
                bytes.len()
            )
        })?;
    let measurement = &bytes[offset as usize..end as usize];
    let header_length = read_u32(measurement, 0)? as usize;
    let protocol = Protocol::parse(measurement.get(..header_length).ok_or_else(|| {
        format!("the measurement header claims {header_length} bytes, more than the measurement")
    })?)?;
    let scans = &measurement[header_length..];
    let (readouts, noise) = read_scans(scans)?;
    assemble(&protocol, readouts, noise)
}

/// Every scan up to `ACQEND`, split into image readouts and noise scans.
fn read_scans(
    mut scans: &[u8],
) -> std::result::Result<(Vec<TwixReadout>, Vec<TwixReadout>), String> {
    let (mut images, mut noise) = (Vec::new(), Vec::new());
    let mut index = 0;
    loop {
        let header = ScanHeader::parse(scans).map_err(|m| format!("scan {index}: {m}"))?;
        if header.flags & flags::ACQEND != 0 {
            return Ok((images, noise));
        }
        let length = header.dma_length;
        let body = scans.get(scan_header::BYTES..length).ok_or_else(|| {
            format!("scan {index} claims {length} bytes, past the end of the file (truncated?)")
        })?;
        let readout = channel_data(&header, body).map_err(|m| format!("scan {index}: {m}"))?;
        if header.flags & flags::NOISEADJSCAN != 0 {
            noise.push(readout);
        } else if header.is_image() {
            images.push(readout);
        }
        scans = &scans[length..];
        index += 1;
    }
}

/// The channels' samples of one scan, each after its 32-byte channel header.
fn channel_data(header: &ScanHeader, body: &[u8]) -> std::result::Result<TwixReadout, String> {
    let per_channel = CHANNEL_HEADER_BYTES + 8 * header.samples;
    if body.len() != header.channels * per_channel {
        return Err(format!(
            "{} channels of {} samples need {} bytes after the scan header, the scan has {}",
            header.channels,
            header.samples,
            header.channels * per_channel,
            body.len()
        ));
    }
    let mut data = Vec::with_capacity(header.channels * header.samples);
    for channel in body.chunks_exact(per_channel) {
        let samples = channel[CHANNEL_HEADER_BYTES..].chunks_exact(8).map(|v| {
            let re = f32::from_le_bytes([v[0], v[1], v[2], v[3]]);
            let im = f32::from_le_bytes([v[4], v[5], v[6], v[7]]);
            Complex::new(re, im)
        });
        let start = data.len();
        data.extend(samples);
        if header.flags & flags::REFLECT != 0 {
            data[start..].reverse();
        }
    }
    Ok(TwixReadout {
        flags: header.flags,
        line: usize::from(header.line),
        counters: header.counters,
        samples: header.samples,
        data,
        centre_column: usize::from(header.centre_column),
    })
}

/// The scan with its protocol, checked for one channel count and one readout length.
fn assemble(
    protocol: &Protocol,
    readouts: Vec<TwixReadout>,
    noise: Vec<TwixReadout>,
) -> std::result::Result<TwixScan, String> {
    let first = readouts
        .first()
        .ok_or("the measurement holds no image readouts")?;
    let (samples, channels) = (first.samples, first.data.len() / first.samples.max(1));
    if let Some(i) = readouts
        .iter()
        .position(|r| r.samples != samples || r.data.len() != channels * samples)
    {
        return Err(format!(
            "image readout {i} holds {} samples in {} values where readout 0 has {samples} samples \
             of {channels} channels",
            readouts[i].samples,
            readouts[i].data.len()
        ));
    }
    let base_resolution = protocol.usize("sKSpace.lBaseResolution")?;
    let phase_lines = protocol.usize("sKSpace.lPhaseEncodingLines")?;
    let readout_oversampling = protocol.readout_oversampling()?;
    if (base_resolution as f64 * readout_oversampling - samples as f64).abs() > 0.5 {
        return Err(format!(
            "readouts hold {samples} samples, not the protocol's {base_resolution} × oversampling \
             {readout_oversampling} (asymmetric echoes are not supported)"
        ));
    }
    Ok(TwixScan {
        base_resolution,
        phase_lines,
        readout_oversampling,
        fov_mm: (
            protocol.f64("sSliceArray.asSlice[0].dReadoutFOV")?,
            protocol.f64("sSliceArray.asSlice[0].dPhaseFOV")?,
        ),
        channels,
        samples,
        readouts,
        noise,
    })
}

/// The little-endian `u32` at `at`.
fn read_u32(bytes: &[u8], at: usize) -> std::result::Result<u32, String> {
    bytes
        .get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| format!("the file ends before byte {} (truncated?)", at + 4))
}

/// The little-endian `u64` at `at`.
fn read_u64(bytes: &[u8], at: usize) -> std::result::Result<u64, String> {
    Ok(u64::from(read_u32(bytes, at)?) | (u64::from(read_u32(bytes, at + 4)?) << 32))
}

#[cfg(test)]
mod tests;
