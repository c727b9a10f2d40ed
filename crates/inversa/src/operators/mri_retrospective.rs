//! Cartesian multi-coil MRI of a measured scan ([`super::cartesian_kspace`], e.g. a Siemens twix
//! file), undersampled retrospectively: the model is [`super::mri::Mri`]'s SENSE operator, the
//! mask (`acceleration`, `mask`, `center_fraction`, as for simulated k-space; `mask = "poisson"` a
//! 2-D Poisson disc, [`super::poisson_disc`]) keeps part of the acquired samples, and the coil maps come from the kept centre of k-space only, so the
//! reconstruction sees nothing the undersampled scan would not have:
//!
//! - `coil_maps = "espirit"` (default): ESPIRiT ([`super::espirit`]) on the `calibration × calibration`
//!   centre, the maps' phase aligned to the low-resolution coil images;
//! - `"lowres"`: the coil images of a Hann window of `calibration` samples across, divided by their
//!   root-sum-of-squares ([`super::coil_sensitivity`]);
//! - a file: `[coils, H, W]` complex `.npy`.
//!
//! When the scan is fully sampled, its reconstruction with the same maps, `Re Σ_c S̄_c I_c` (the
//! least-squares solution for maps with `Σ_c |S_c|² = 1`, zero where ESPIRiT crops), is the
//! reference the task scores against — the usual protocol for retrospective undersampling (e.g.
//! the fastMRI benchmark, Zbontar et al. 2018, scores against the fully sampled coil combination).

use super::cartesian_kspace::CartesianKspace;
use super::coil_sensitivity::{normalise, DEFAULT_CALIBRATION};
use super::espirit::{align_phase, calibration_from_images, espirit, Params};
use super::fft2::Fft2;
use super::kspace_sampling::{Sampling, MASK_NAMES};
use super::mri::{coil_maps_from_file, Mri};
use super::physics::{BuildContext, MeasurementDisplay, Physics, Retrospective};
use crate::config::Section;
use crate::error::{Error, Result};
use crate::real::{lit, Real};
use num_complex::{Complex, Complex64 as C64};
use std::f64::consts::PI;

/// Builds `physics.kind = "mri"` for a measured Cartesian scan.
pub fn from_scan<T: Real>(
    section: &mut Section,
    ctx: &BuildContext,
    scan: &CartesianKspace,
) -> Result<Physics<T>> {
    let (h, w) = scan.image_size;
    if let Some(key) = ["coils", "trajectory", "trajectory_file", "mask_file"]
        .into_iter()
        .find(|k| section.has(k))
    {
        return Err(Error::config(
            section.key(key),
            format!("the scan {} fixes it; remove it", scan.origin.display()),
        ));
    }
    let calibration = section.positive_usize_or("calibration", DEFAULT_CALIBRATION)?;
    if calibration > h.min(w) || calibration < Params::default().kernel {
        return Err(Error::config(
            section.key("calibration"),
            format!("{calibration} samples across: the region must fit the {h}×{w} grid and hold ESPIRiT's 6×6 kernel"),
        ));
    }
    let kind = section.choice_or("mask", "variable_density", &MASK_NAMES)?;
    let acceleration = section.f64_or("acceleration", 1.0)?;
    let center_fraction = section.f64_or("center_fraction", calibration as f64 / w as f64)?;
    let centre = ((center_fraction * w as f64).round() as usize).clamp(1, w);
    if centre < calibration {
        return Err(Error::config(
            section.key("center_fraction"),
            format!(
                "keeps {centre} centre lines, fewer than the {calibration} the coil maps calibrate on; \
                 raise it to {:.3} or lower calibration",
                calibration as f64 / w as f64
            ),
        ));
    }
    let drawn = Sampling::draw(
        section,
        &kind,
        (h, w),
        acceleration,
        center_fraction,
        ctx.seed,
    )?;
    // What the mask keeps of what the scan acquired.
    let kept = match drawn {
        Sampling::Columns(c) => Sampling::Columns(
            c.iter()
                .zip(&scan.acquired)
                .map(|(m, a)| *m && *a)
                .collect(),
        ),
        points => Sampling::Points(
            (0..h * w)
                .map(|p| points.keeps(p / w, p % w, w) && scan.acquired[p % w])
                .collect(),
        ),
    };
    if (0..h * w).all(|p| !kept.keeps(p / w, p % w, w)) {
        return Err(Error::config(
            section.key("mask"),
            format!("keeps none of the lines {} acquired", scan.origin.display()),
        ));
    }
    let maps_from = section.str_opt("coil_maps")?;
    // Maps estimated from the data need the whole calibration centre, which a scan that skipped
    // lines itself may lack.
    let centre_columns = (0..calibration).map(|i| (i + w - calibration / 2) % w);
    if matches!(maps_from, None | Some("espirit" | "lowres"))
        && centre_columns.clone().any(|j| !scan.acquired[j])
    {
        return Err(Error::config(
            section.key("coil_maps"),
            format!(
                "{} did not acquire all {calibration} centre lines the maps calibrate on; give \
                 measured maps (coil_maps = \"maps.npy\") or a smaller calibration",
                scan.origin.display()
            ),
        ));
    }
    let images = zero_filled_images(scan, &kept);
    let maps = match maps_from {
        None => estimated_maps(&images, scan, "espirit", calibration)?,
        Some(kind @ ("espirit" | "lowres")) => estimated_maps(&images, scan, kind, calibration)?,
        Some(file) => coil_maps_from_file::<f64>(&section.base_dir().join(file), h, w)?,
    };
    if maps.len() != scan.coils * h * w {
        return Err(Error::config(
            section.key("coil_maps"),
            format!(
                "{} maps for the scan's {} coils",
                maps.len() / (h * w),
                scan.coils
            ),
        ));
    }
    let reference = scan
        .acquired
        .iter()
        .all(|&a| a)
        .then(|| combined(&scan.coil_images, &maps, h * w));
    let measurement = masked_kspace(scan, &kept);
    let maps: Vec<Complex<T>> = maps
        .iter()
        .map(|z| Complex::new(lit(z.re), lit(z.im)))
        .collect();
    Ok(Physics {
        operator: Box::new(Mri::sampled_by(&ctx.image_shape, maps, kept)?),
        display: MeasurementDisplay::LogMagnitude,
        retrospective: Some(Retrospective {
            measurement,
            reference: reference.map(|r| r.into_iter().map(lit).collect()),
        }),
    })
}

/// The coil images of the kept samples only (what the undersampled scan would show).
fn zero_filled_images(scan: &CartesianKspace, kept: &Sampling) -> Vec<C64> {
    let (h, w) = scan.image_size;
    let fft = Fft2::<f64>::new(h, w);
    let mut images = scan.kspace();
    for coil in images.chunks_mut(h * w) {
        for (p, v) in coil.iter_mut().enumerate() {
            if !kept.keeps(p / w, p % w, w) {
                *v = C64::new(0.0, 0.0);
            }
        }
        fft.inverse(coil);
        coil.iter_mut().for_each(|v| *v /= ((h * w) as f64).sqrt());
    }
    images
}

/// ESPIRiT or low-resolution maps from the zero-filled coil images' calibration centre.
fn estimated_maps(
    images: &[C64],
    scan: &CartesianKspace,
    kind: &str,
    calibration: usize,
) -> Result<Vec<C64>> {
    let (h, w) = scan.image_size;
    let low = low_resolution(images, (h, w), calibration);
    if kind == "lowres" {
        let mut maps = low;
        normalise(&mut maps, h * w);
        return Ok(maps);
    }
    let region = calibration_from_images(images, scan.coils, (h, w), calibration);
    let (mut maps, _) = espirit(&region, scan.coils, calibration, (h, w), Params::default())?;
    align_phase(&mut maps, &low, h * w);
    Ok(maps)
}

/// Each coil image low-pass filtered by a radial Hann window of `calibration` samples across.
fn low_resolution(images: &[C64], (h, w): (usize, usize), calibration: usize) -> Vec<C64> {
    let fft = Fft2::<f64>::new(h, w);
    let radius = calibration as f64 / 2.0;
    let signed = |k: usize, n: usize| {
        if k <= (n - 1) / 2 {
            k as f64
        } else {
            k as f64 - n as f64
        }
    };
    let window: Vec<f64> = (0..h * w)
        .map(|p| {
            let r = signed(p / w, h).hypot(signed(p % w, w));
            if r < radius {
                0.5 * (1.0 + (PI * r / radius).cos())
            } else {
                0.0
            }
        })
        .collect();
    let mut low = images.to_vec();
    for coil in low.chunks_mut(h * w) {
        fft.forward(coil);
        coil.iter_mut()
            .zip(&window)
            .for_each(|(v, g)| *v *= g / (h * w) as f64);
        fft.inverse(coil);
    }
    low
}

/// `Re Σ_c S̄_c I_c` per pixel.
fn combined(images: &[C64], maps: &[C64], pixels: usize) -> Vec<f64> {
    (0..pixels)
        .map(|p| {
            images
                .iter()
                .skip(p)
                .step_by(pixels)
                .zip(maps.iter().skip(p).step_by(pixels))
                .map(|(i, s)| (s.conj() * i).re)
                .sum()
        })
        .collect()
}

/// The kept samples of the model's k-space as the `[1, coils, h, w, 2]` measurement.
fn masked_kspace<T: Real>(scan: &CartesianKspace, kept: &Sampling) -> Vec<T> {
    let (h, w) = scan.image_size;
    scan.kspace()
        .iter()
        .enumerate()
        .flat_map(|(i, v)| {
            let p = i % (h * w);
            let v = if kept.keeps(p / w, p % w, w) {
                *v
            } else {
                C64::new(0.0, 0.0)
            };
            [lit(v.re), lit(v.im)]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn build(acquired: Vec<bool>, keys: &str) -> Result<Physics<f64>> {
        let scan = CartesianKspace {
            origin: "skipped.dat".into(),
            coils: 1,
            image_size: (32, 32),
            coil_images: vec![C64::new(1.0, 0.0); 32 * 32],
            acquired,
            whitened: false,
        };
        let table: toml::Table = toml::from_str(keys).unwrap();
        let mut section = Section::new(&table, "physics", Path::new("."));
        let ctx = BuildContext {
            image_shape: vec![1, 32, 32],
            seed: 0,
            raw: None,
        };
        from_scan(&mut section, &ctx, &scan)
    }

    fn error(acquired: Vec<bool>, keys: &str) -> String {
        match build(acquired, keys) {
            Ok(_) => panic!("{keys} was accepted"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_scan_without_its_calibration_centre_needs_given_maps() {
        // Column 1 (frequency 1) is inside the 24 centre lines.
        let mut acquired = vec![true; 32];
        acquired[1] = false;
        let message = error(acquired.clone(), "calibration = 24");
        assert!(
            message.contains("physics.coil_maps") && message.contains("skipped.dat"),
            "{message}"
        );
        // Outside a smaller calibration region the same gap is fine.
        acquired[1] = true;
        acquired[16] = false;
        assert!(build(acquired, "calibration = 8").is_ok());
    }

    #[test]
    fn a_mask_that_keeps_nothing_the_scan_acquired_is_refused() {
        // The scan acquired only high frequencies; the mask keeps only the centre.
        let acquired: Vec<bool> = (0..32).map(|j| (12..20).contains(&j)).collect();
        let message = error(
            acquired,
            "calibration = 8\nacceleration = 4\nmask = \"equispaced\"\ncenter_fraction = 0.25",
        );
        assert!(
            message.contains("physics.mask") && message.contains("keeps none"),
            "{message}"
        );
    }
}
