//! Measured non-Cartesian k-space, ready for [`super::mri_noncartesian`]: the readouts of an
//! ISMRMRD file ([`crate::io::ismrmrd`]) as trajectory points, density weights and coil samples,
//! noise-pre-whitened when the file holds a noise scan ([`super::noise_prewhitening`]) and
//! scaled so that images land in `[0, 1]`.
//!
//! **What is read, not guessed.** The image grid is the header's encoded matrix (`y` rows, `x`
//! columns); the trajectory's first two values per sample are `(k_x, k_y)` in cycles per pixel of
//! that matrix (ISMRMRD's convention, in `[−½, ½]`), stored here as `(k_y, k_x)`. A third value on a
//! 2-D encoding (`z = 1`) is the sample's density weight, as the Gadgetron's spiral converter
//! writes it; without one the weights are computed ([`super::density_compensation`]).
//!
//! **Scale.** Raw samples are in the scanner's arbitrary units. They are divided by the 99th
//! percentile of the density-compensated gridding image's root-sum-of-squares, as BART's `pics`
//! rescales its input, so that a prior weight means the same on measured and simulated data.

use super::density_compensation::{normalise_to_unit_centre, pipe_menon};
use super::noise_prewhitening::whiten_with_scans;
use super::nufft::{Nufft, DEFAULT_KERNEL_WIDTH};
use crate::error::{Error, Result};
use crate::io::ismrmrd::{RawScan, Readout};
use num_complex::Complex64 as C64;
use std::path::{Path, PathBuf};

/// A measured non-Cartesian multi-coil scan.
pub struct RawKspace {
    /// The file it came from.
    pub origin: PathBuf,
    /// `(height, width)`: the encoded matrix's `(y, x)`.
    pub image_size: (usize, usize),
    /// `(k_y, k_x)` per sample, readouts concatenated.
    pub points: Vec<[f64; 2]>,
    /// Density compensation weight per sample.
    pub weights: Vec<f64>,
    /// `[coils, points]` samples, whitened and scaled.
    pub data: Vec<C64>,
    /// Receive channels.
    pub coils: usize,
    /// Whether a noise scan whitened the channels.
    pub whitened: bool,
}

impl RawKspace {
    /// The imaging readouts of `scan` (every `stride`-th, in file order, to undersample a full
    /// scan retrospectively).
    pub fn from_scan(origin: &Path, scan: &RawScan, stride: usize) -> Result<Self> {
        let fail = |message: String| Error::format(origin, message);
        let [x, y, z] = scan.header.matrix;
        if z != 1 {
            return Err(fail(format!(
                "a {x}×{y}×{z} encoding is 3-D; volumes are not read yet"
            )));
        }
        let readouts: Vec<&Readout> = scan.readouts.iter().step_by(stride.max(1)).collect();
        if let Some(r) = readouts.iter().find(|r| r.trajectory_dimensions < 2) {
            return Err(fail(format!(
                "readout {} has no 2-D trajectory ({} values per sample); Cartesian raw files are not \
                 read yet",
                r.encode_step_1, r.trajectory_dimensions
            )));
        }
        if let Some(r) = readouts
            .iter()
            .find(|r| r.trajectory_dimensions != readouts[0].trajectory_dimensions)
        {
            return Err(fail(format!(
                "readout {} has {} trajectory values per sample where the first has {}",
                r.encode_step_1, r.trajectory_dimensions, readouts[0].trajectory_dimensions
            )));
        }
        let coils = scan.channels;
        let points = trajectory(&readouts).map_err(fail)?;
        let m = points.len();
        crate::memory::check_array(&origin.display().to_string(), &[coils, m], 16, 4)?;
        let mut data = vec![C64::new(0.0, 0.0); coils * m];
        let mut start = 0;
        for r in &readouts {
            for c in 0..coils {
                let samples = &r.data[c * r.samples..(c + 1) * r.samples];
                for (out, v) in data[c * m + start..].iter_mut().zip(samples) {
                    *out = C64::new(f64::from(v.re), f64::from(v.im));
                }
            }
            start += r.samples;
        }
        let noise: Vec<_> = scan
            .noise
            .iter()
            .map(|r| (r.samples, &r.data[..]))
            .collect();
        let whitened = whiten_with_scans(&mut data, coils, &noise).map_err(fail)?;
        let nufft = Nufft::<f64>::new(y, x, points.clone(), DEFAULT_KERNEL_WIDTH)
            .map_err(|e| fail(format!("trajectory: {e}")))?;
        let weights = match readouts[0].trajectory_dimensions {
            3 => {
                let mut w: Vec<f64> = readouts
                    .iter()
                    .flat_map(|r| r.trajectory.chunks_exact(3).map(|t| f64::from(t[2])))
                    .collect();
                let mut image = vec![C64::new(0.0, 0.0); x * y];
                normalise_to_unit_centre(&nufft, &mut w, y, x, &mut image);
                w
            }
            _ => pipe_menon(&nufft, y, x),
        };
        let mut raw = Self {
            origin: origin.to_path_buf(),
            image_size: (y, x),
            points,
            weights,
            data,
            coils,
            whitened,
        };
        raw.scale(&nufft)?;
        Ok(raw)
    }

    /// The density-compensated gridding image of each coil, `[coils, h, w]`.
    pub fn gridded_coils(&self, nufft: &Nufft<f64>) -> Vec<C64> {
        let (h, w) = self.image_size;
        let m = self.points.len();
        let mut images = vec![C64::new(0.0, 0.0); self.coils * h * w];
        for (values, image) in self.data.chunks(m).zip(images.chunks_mut(h * w)) {
            let weighted: Vec<C64> = values
                .iter()
                .zip(&self.weights)
                .map(|(v, w)| v * w)
                .collect();
            nufft.adjoint(&weighted, image);
        }
        images
    }

    /// The root-sum-of-squares of [`RawKspace::gridded_coils`]: the classical reconstruction.
    pub fn gridding_rss(&self, nufft: &Nufft<f64>) -> Vec<f64> {
        let (h, w) = self.image_size;
        let images = self.gridded_coils(nufft);
        (0..h * w)
            .map(|p| {
                images
                    .iter()
                    .skip(p)
                    .step_by(h * w)
                    .map(|z| z.norm_sqr())
                    .sum::<f64>()
                    .sqrt()
            })
            .collect()
    }

    fn scale(&mut self, nufft: &Nufft<f64>) -> Result<()> {
        let mut rss = self.gridding_rss(nufft);
        rss.sort_by(f64::total_cmp);
        let p99 = rss[(rss.len() * 99) / 100];
        if !(p99 > 0.0 && p99.is_finite()) {
            return Err(Error::format(
                &self.origin,
                format!("the gridded image's 99th percentile is {p99}; the data hold no signal"),
            ));
        }
        self.data.iter_mut().for_each(|v| *v /= p99);
        Ok(())
    }
}

/// `(k_y, k_x)` of every sample, each in `[−½, ½)`; `+½` wraps to `−½` (the same frequency).
fn trajectory(readouts: &[&Readout]) -> std::result::Result<Vec<[f64; 2]>, String> {
    let mut points = Vec::new();
    for r in readouts {
        let d = r.trajectory_dimensions;
        for (s, t) in r.trajectory.chunks_exact(d).enumerate() {
            let k = [f64::from(t[1]), f64::from(t[0])].map(|v| if v == 0.5 { -0.5 } else { v });
            if !k.iter().all(|v| (-0.5..0.5).contains(v)) {
                return Err(format!(
                    "readout {} sample {s} is at (k_x, k_y) = ({}, {}): ISMRMRD trajectories are in \
                     [−½, ½] cycles per pixel of the encoded matrix",
                    r.encode_step_1, t[0], t[1]
                ));
            }
            points.push(k);
        }
    }
    Ok(points)
}
