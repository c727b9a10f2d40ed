//! The twix reader against twixtools 0.24 on the same file (`data/mri/gre_twix_reference.json`,
//! written by `tools/twix_reference.py`), and its errors.

use super::*;
use std::path::PathBuf;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/mri")
        .join(name)
}

fn reference() -> serde_json::Value {
    let text = std::fs::read_to_string(data("gre_twix_reference.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn the_siemens_gre_scan_reads_as_twixtools_reads_it() {
    let scan = read_twix(&data("gre.dat")).unwrap();
    let r = reference();
    let n = |key: &str| r[key].as_f64().unwrap();
    assert_eq!(scan.readouts.len() as f64, n("image_readouts"));
    assert_eq!(scan.channels as f64, n("channels"));
    assert_eq!(scan.samples as f64, n("samples"));
    assert_eq!(scan.base_resolution as f64, n("base_resolution"));
    assert_eq!(scan.phase_lines as f64, n("phase_lines"));
    assert_eq!(scan.readout_oversampling, n("readout_oversampling"));
    assert_eq!(
        [scan.fov_mm.0, scan.fov_mm.1],
        [
            r["fov_mm"][0].as_f64().unwrap(),
            r["fov_mm"][1].as_f64().unwrap()
        ]
    );
    let lines: Vec<usize> = scan.readouts.iter().map(|r| r.line).collect();
    let mut sorted = lines.clone();
    sorted.sort_unstable();
    sorted.dedup();
    let expected: Vec<usize> = r["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(sorted, expected);
    let energy: f64 = scan
        .readouts
        .iter()
        .flat_map(|r| &r.data)
        .map(|z| f64::from(z.norm_sqr()))
        .sum();
    assert!(
        (energy / n("energy") - 1.0).abs() < 1e-6,
        "{energy} against {}",
        n("energy")
    );
    // Ten samples of each channel of one line, bit for bit (both are the file's f32 values).
    let line = scan
        .readouts
        .iter()
        .find(|x| x.line as f64 == n("line"))
        .unwrap();
    for (c, expected) in r["line_samples_150_160"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        for (i, z) in expected.as_array().unwrap().iter().enumerate() {
            let got = line.data[c * scan.samples + 150 + i];
            assert_eq!(f64::from(got.re), z[0].as_f64().unwrap());
            assert_eq!(f64::from(got.im), z[1].as_f64().unwrap());
        }
    }
}

#[test]
fn other_files_are_refused_naming_the_file_and_the_format() {
    let error = read_twix(&data("spiral_8coil.h5")).unwrap_err().to_string();
    assert!(
        error.contains("spiral_8coil.h5") && error.contains("not a Siemens twix file"),
        "{error}"
    );
}

#[test]
fn a_truncated_scan_names_the_scan() {
    let bytes = std::fs::read(data("gre.dat")).unwrap();
    // The measurement table still claims the full length; cut inside the scans instead.
    let error = parse(&bytes[..bytes.len() - 400_000]).unwrap_err();
    assert!(
        error.contains("past the end") || error.contains("truncated"),
        "{error}"
    );
}

#[test]
fn xprotocol_values_skip_their_precision() {
    let text = "<ParamDouble.\"flReadoutOSFactor\">  { <Precision> 6  2.000000  }";
    assert_eq!(protocol_double(text), Some(2.0));
    assert_eq!(
        protocol_double("<ParamDouble.\"flReadoutOSFactor\"> { <Precision> 6 }"),
        None
    );
}

fn protocol_double(text: &str) -> Option<f64> {
    protocol::xprotocol_double(text, "flReadoutOSFactor")
}

#[test]
fn a_protocol_matrix_that_does_not_match_the_samples_is_refused() {
    let mut bytes = std::fs::read(data("gre.dat")).unwrap();
    // Every `sKSpace.lBaseResolution = 160` (the MeasYaps protocol and its copies) says 128.
    let key = b"sKSpace.lBaseResolution";
    let mut changed = 0;
    for at in 0..bytes.len() - key.len() {
        if &bytes[at..at + key.len()] == key {
            let rest = &bytes[at + key.len()..];
            let skip = rest.iter().position(|b| !b" \t=".contains(b)).unwrap();
            if rest[..skip].contains(&b'=') && &rest[skip..skip + 3] == b"160" {
                let digits = at + key.len() + skip;
                bytes[digits..digits + 3].copy_from_slice(b"128");
                changed += 1;
            }
        }
    }
    assert!(changed > 0);
    match parse(&bytes) {
        Ok(_) => panic!("a 128-sample protocol read 320-sample readouts"),
        Err(error) => assert!(
            error.contains("320 samples") && error.contains("protocol's 128"),
            "{error}"
        ),
    }
}
