//! A measured Cartesian multi-coil scan (a Siemens twix file, [`crate::io::twix`]) as coil images
//! and as the k-space of [`super::mri::Mri`]'s model.
//!
//! The scanner stores centred k-space: line `l` is phase-encode frequency `l − L/2` and sample `s`
//! readout frequency `s − S/2`, with the readout oversampled (`S = base × oversampling`). The
//! centred inverse DFT of every coil gives images with the object in the middle; cropping the
//! readout axis to its central `base` pixels removes the oversampling (the doubled readout field
//! of view). The model's k-space is then the unitary, unshifted DFT of those images, so a line the
//! scan skipped stays a zero column. Noise scans, where present, pre-whiten the channels
//! ([`super::noise_prewhitening`]); repeated lines (averages) are averaged. Images are scaled so
//! that their root-sum-of-squares has its 99th percentile at 1, as [`super::raw_kspace`] does.
//!
//! Image rows run along the readout and columns along the phase encode, as [`super::mri`]'s
//! column mask expects.

use super::fft2::Fft2;
use super::noise_prewhitening::whiten_with_scans;
use crate::error::{Error, Result};
use crate::io::twix::{TwixReadout, TwixScan};
use num_complex::Complex64 as C64;
use std::path::{Path, PathBuf};

/// A fully or partly sampled 2-D Cartesian scan.
#[derive(Clone, Debug)]
pub struct CartesianKspace {
    /// The file it was read from (for messages).
    pub origin: PathBuf,
    pub coils: usize,
    /// `(readout, phase encode)` pixels.
    pub image_size: (usize, usize),
    /// `[coils, h, w]` zero-filled coil images, the object centred.
    pub coil_images: Vec<C64>,
    /// Which k-space columns the scan acquired, in the model's unshifted order.
    pub acquired: Vec<bool>,
    /// Whether noise scans whitened the channels.
    pub whitened: bool,
}

impl CartesianKspace {
    /// The scan's image readouts as coil images; 2-D single-slice scans only.
    pub fn from_twix(origin: &Path, scan: &TwixScan) -> Result<Self> {
        let fail = |message: String| Error::format(origin, message);
        const COUNTERS: [&str; 5] = ["partition", "slice", "echo", "repetition", "set"];
        for r in &scan.readouts {
            if let Some(i) = r.counters.iter().position(|&c| c != 0) {
                return Err(fail(format!(
                    "line {} has {} {}: only single-slice 2-D scans of one echo are read yet",
                    r.line, COUNTERS[i], r.counters[i]
                )));
            }
            if 2 * r.centre_column != scan.samples {
                return Err(fail(format!(
                    "line {} has its k-space centre at sample {} of {}: asymmetric echoes are not read yet",
                    r.line, r.centre_column, scan.samples
                )));
            }
            if r.line >= scan.phase_lines {
                return Err(fail(format!(
                    "line {} is past the protocol's {} phase-encode lines",
                    r.line, scan.phase_lines
                )));
            }
        }
        let (coils, s, l) = (scan.channels, scan.samples, scan.phase_lines);
        crate::memory::check_array(&origin.display().to_string(), &[coils, s, l], 16, 3)?;
        let (mut kspace, lines) = centred_kspace(scan);
        let noise: Vec<_> = scan
            .noise
            .iter()
            .map(|r| (r.samples, &r.data[..]))
            .collect();
        let whitened = whiten_with_scans(&mut kspace, coils, &noise).map_err(fail)?;
        let h = scan.base_resolution;
        let coil_images = cropped_images(&kspace, coils, (s, l), h);
        // Column j of the unshifted model is frequency j (below L/2) or j − L, centred line f + L/2.
        let acquired = (0..l).map(|j| lines[(j + l / 2) % l]).collect();
        let mut scan = Self {
            origin: origin.to_path_buf(),
            coils,
            image_size: (h, l),
            coil_images,
            acquired,
            whitened,
        };
        scan.scale()?;
        Ok(scan)
    }

    /// The model's `[coils, h, w]` k-space: the unitary unshifted DFT of every coil image.
    pub fn kspace(&self) -> Vec<C64> {
        let (h, w) = self.image_size;
        let fft = Fft2::<f64>::new(h, w);
        let scale = 1.0 / ((h * w) as f64).sqrt();
        let mut out = self.coil_images.clone();
        for coil in out.chunks_mut(h * w) {
            fft.forward(coil);
            coil.iter_mut().for_each(|v| *v *= scale);
        }
        out
    }

    /// The root-sum-of-squares of the coil images.
    pub fn rss(&self) -> Vec<f64> {
        let pixels = self.image_size.0 * self.image_size.1;
        (0..pixels)
            .map(|p| {
                self.coil_images
                    .iter()
                    .skip(p)
                    .step_by(pixels)
                    .map(|z| z.norm_sqr())
                    .sum::<f64>()
                    .sqrt()
            })
            .collect()
    }

    fn scale(&mut self) -> Result<()> {
        let mut rss = self.rss();
        rss.sort_by(f64::total_cmp);
        let p99 = rss[(rss.len() * 99) / 100];
        if !(p99 > 0.0 && p99.is_finite()) {
            return Err(Error::format(
                &self.origin,
                format!("the coil images' 99th percentile is {p99}; the data hold no signal"),
            ));
        }
        self.coil_images.iter_mut().for_each(|v| *v /= p99);
        Ok(())
    }
}

/// `[coils, S, L]` centred k-space (readout samples down, lines across), repeated lines averaged,
/// and which lines were acquired.
fn centred_kspace(scan: &TwixScan) -> (Vec<C64>, Vec<bool>) {
    let (coils, s, l) = (scan.channels, scan.samples, scan.phase_lines);
    let mut kspace = vec![C64::new(0.0, 0.0); coils * s * l];
    let mut counts = vec![0usize; l];
    for TwixReadout { line, data, .. } in &scan.readouts {
        counts[*line] += 1;
        for c in 0..coils {
            for (i, v) in data[c * s..(c + 1) * s].iter().enumerate() {
                kspace[(c * s + i) * l + line] += C64::new(f64::from(v.re), f64::from(v.im));
            }
        }
    }
    for (index, value) in kspace.iter_mut().enumerate() {
        let n = counts[index % l];
        if n > 1 {
            *value /= n as f64;
        }
    }
    (kspace, counts.iter().map(|&n| n > 0).collect())
}

/// Centred inverse DFT of each coil's `S × L` k-space, rows cropped to the central `h`.
fn cropped_images(kspace: &[C64], coils: usize, (s, l): (usize, usize), h: usize) -> Vec<C64> {
    let fft = Fft2::<f64>::new(s, l);
    let mut buffer = vec![C64::new(0.0, 0.0); s * l];
    let mut images = vec![C64::new(0.0, 0.0); coils * h * l];
    let first_row = s / 2 - h / 2;
    for (coil, image) in kspace.chunks(s * l).zip(images.chunks_mut(h * l)) {
        // Centred frequency index i sits at unshifted index (i − N/2) mod N; the same shift
        // brings the image's pixel n − N/2 back to index n.
        for (i, v) in coil.iter().enumerate() {
            buffer[((i / l + s - s / 2) % s) * l + (i % l + l - l / 2) % l] = *v;
        }
        fft.inverse(&mut buffer);
        for (p, out) in image.iter_mut().enumerate() {
            let (y, x) = (first_row + p / l, p % l);
            *out = buffer[((y + s - s / 2) % s) * l + (x + l - l / 2) % l];
        }
    }
    images
}

#[cfg(test)]
mod tests;
