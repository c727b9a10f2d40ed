//! Writes the ESPIRiT calibration region of an ISMRMRD scan as a BART `.cfl`/`.hdr` pair, so that
//! `bart ecalib` and Inversa's ESPIRiT can be run on the same input (`tools/espirit_vs_bart.sh`):
//! the centred 24 × 24 Cartesian k-space of the scan's density-compensated gridding coil images,
//! BART dimensions `[24, 24, 1, coils]`.
//!
//!     cargo run -p inversa --example espirit_calibration -- data/mri/spiral_8coil.h5 OUT
use inversa::io::cfl::write_cfl;
use inversa::io::ismrmrd::read_ismrmrd;
use inversa::io::Array;
use inversa::operators::espirit::calibration_from_images;
use inversa::operators::nufft::Nufft;
use inversa::operators::raw_kspace::RawKspace;
use std::path::PathBuf;

const CALIBRATION: usize = 24;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [scan, out] = args.as_slice() else {
        return Err("usage: espirit_calibration SCAN.h5 OUT (writes OUT.cfl and OUT.hdr)".into());
    };
    let raw = RawKspace::from_scan(scan, &read_ismrmrd(scan)?, 1)?;
    let (h, w) = raw.image_size;
    let nufft = Nufft::<f64>::new(h, w, raw.points.clone(), 6)?;
    let images = raw.gridded_coils(&nufft);
    let region = calibration_from_images(&images, raw.coils, (h, w), CALIBRATION);
    let values = region.iter().flat_map(|z| [z.re, z.im]).collect();
    write_cfl(
        out,
        &Array::new(vec![raw.coils, 1, CALIBRATION, CALIBRATION, 2], values)?,
    )?;
    Ok(())
}
