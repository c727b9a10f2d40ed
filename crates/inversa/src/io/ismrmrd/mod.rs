//! ISMRMRD / MRD raw MRI files (Inati et al., "ISMRM Raw data format: A proposed standard for MRI
//! raw datasets", MRM 2017): an HDF5 file whose group (`dataset` by default) holds `xml`, the
//! header, and `data`, one compound record per readout:
//!
//! - `head`: the acquisition header (flags, `number_of_samples`, `active_channels`,
//!   `trajectory_dimensions`, `discard_pre`/`discard_post`, the encoding counters `idx`, ...);
//! - `traj`: variable-length float32, `number_of_samples × trajectory_dimensions` (per sample);
//! - `data`: variable-length float32, `active_channels × number_of_samples` complex values,
//!   channel-major, interleaved (real, imaginary).
//!
//! The HDF5 container is read by the pure-Rust `hdf5-pure` crate (no libhdf5). The
//! variable-length fields are references into HDF5 global heap collections, which it does not
//! expose; [`global_heap`] resolves them from the file's bytes. Field offsets are taken from the
//! file's compound type by name, so files written with different packings (the C library's, the
//! Python package's) read alike. The XML header gives the encoded matrix, field of view and
//! trajectory kind; nothing is guessed from the data.

mod global_heap;
mod header;
mod records;

pub use header::Header;

use crate::error::{Error, Result};
use num_complex::Complex;
use std::path::Path;

/// Acquisition flag bits (1-based in the standard, `1 << (bit − 1)` here).
pub mod flags {
    /// `ACQ_IS_NOISE_MEASUREMENT` (19): a noise scan, no signal, for pre-whitening.
    pub const NOISE: u64 = 1 << 18;
    /// Bits 23, 24, 26–31: navigators, phase correction, feedback, dummy scans, surface-coil
    /// correction and phase stabilisation; none of them images the object.
    pub const NOT_IMAGING: u64 = (1 << 22)
        | (1 << 23)
        | (1 << 25)
        | (1 << 26)
        | (1 << 27)
        | (1 << 28)
        | (1 << 29)
        | (1 << 30);
}

/// One readout: its header fields that reconstruction uses, its trajectory and its samples.
#[derive(Clone, Debug, PartialEq)]
pub struct Readout {
    /// The acquisition flags ([`flags`]).
    pub flags: u64,
    /// `idx.kspace_encode_step_1`: the phase-encode line or interleave.
    pub encode_step_1: u16,
    /// Samples per channel, after `discard_pre` and `discard_post` were dropped.
    pub samples: usize,
    /// Values per trajectory point (0 for Cartesian readouts).
    pub trajectory_dimensions: usize,
    /// `samples × trajectory_dimensions`, point-major.
    pub trajectory: Vec<f32>,
    /// `channels × samples` complex samples, channel-major.
    pub data: Vec<Complex<f32>>,
}

/// An ISMRMRD file's header and readouts, in file order.
#[derive(Clone, Debug)]
pub struct RawScan {
    /// What the XML header says.
    pub header: Header,
    /// Receive channels, the same in every readout.
    pub channels: usize,
    /// Readouts that image the object.
    pub readouts: Vec<Readout>,
    /// Noise scans (flag 19), for pre-whitening.
    pub noise: Vec<Readout>,
}

/// Reads the ISMRMRD HDF5 file at `path` (group `dataset`).
pub fn read_ismrmrd(path: &Path) -> Result<RawScan> {
    let size = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    // The reader holds the whole file in memory.
    crate::memory::check_bytes(&path.display().to_string(), u128::from(size))
        .map_err(|e| Error::format(path, e.to_string()))?;
    let file = hdf5_pure::File::open(path)
        .map_err(|e| Error::format(path, format!("not a readable HDF5 file: {e}")))?;
    let xml = file
        .dataset("dataset/xml")
        .and_then(|d| d.read_string())
        .map_err(|e| missing(path, "dataset/xml", e))?;
    let xml = xml
        .first()
        .ok_or_else(|| Error::format(path, "dataset/xml is empty; expected the XML header"))?;
    let header = Header::parse(xml).map_err(|m| Error::format(path, format!("header: {m}")))?;
    let data = file
        .dataset("dataset/data")
        .map_err(|e| missing(path, "dataset/data", e))?;
    let all = records::read(&file, &data).map_err(|m| Error::format(path, m))?;
    split(path, header, all)
}

fn missing(path: &Path, what: &str, error: hdf5_pure::Error) -> Error {
    Error::format(
        path,
        format!(
            "no readable {what} ({error}); an ISMRMRD file has the group dataset with xml and data"
        ),
    )
}

/// Separates noise scans from imaging readouts and checks that every readout has the same
/// channels.
fn split(path: &Path, header: Header, all: Vec<(usize, Readout)>) -> Result<RawScan> {
    let channels = all.first().map(|(c, _)| *c).unwrap_or(0);
    if let Some((i, (c, _))) = all.iter().enumerate().find(|(_, (c, _))| *c != channels) {
        return Err(Error::format(
            path,
            format!("readout {i} has {c} channels where readout 0 has {channels}"),
        ));
    }
    let (noise, rest): (Vec<_>, Vec<_>) = all
        .into_iter()
        .map(|(_, r)| r)
        .partition(|r| r.flags & flags::NOISE != 0);
    let readouts: Vec<Readout> = rest
        .into_iter()
        .filter(|r| r.flags & flags::NOT_IMAGING == 0)
        .collect();
    if readouts.is_empty() {
        return Err(Error::format(path, "the file holds no imaging readouts"));
    }
    Ok(RawScan {
        header,
        channels,
        readouts,
        noise,
    })
}

#[cfg(test)]
mod tests;
