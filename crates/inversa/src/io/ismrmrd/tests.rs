use super::*;
use std::path::PathBuf;

/// 8 of the 36 channels of a Siemens Aera 1.5 T spiral scan (mrbabel-data 1.0.1, MIT), re-written
/// by the `ismrmrd` Python package (`tools/mri_spiral_subset.py`).
fn spiral() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mri/spiral_8coil.h5")
}

#[test]
fn reads_the_spiral_scan_as_h5py_does() {
    let scan = read_ismrmrd(&spiral()).unwrap();
    assert_eq!(scan.header.matrix, [192, 192, 1]);
    assert_eq!(scan.header.field_of_view_mm, [300.0, 300.0, 5.0]);
    assert_eq!(scan.header.trajectory, "spiral");
    assert_eq!(scan.header.receiver_channels, Some(8));
    assert_eq!(
        (scan.channels, scan.readouts.len(), scan.noise.len()),
        (8, 32, 0)
    );
    let third = &scan.readouts[3];
    assert_eq!(
        (
            third.samples,
            third.trajectory_dimensions,
            third.encode_step_1
        ),
        (1284, 3, 3)
    );
    // Reference values read with h5py 3 (`f['dataset/data'][3]`), an independent HDF5 reader.
    assert_eq!(
        &third.data[..2],
        &[
            Complex::new(0.000_738_338_8_f32, 0.000_630_170_34),
            Complex::new(0.000_879_617_4, 0.000_706_151_36)
        ]
    );
    assert_eq!(
        &third.trajectory[..6],
        &[
            -6.247_599e-5_f32,
            6.756_036e-5,
            5.192_667_6e-9,
            -1.513_985_3e-4,
            1.500_228e-4,
            0.023_215_009
        ]
    );
    let last = &scan.readouts[31];
    assert_eq!(last.flags, 16_785_536);
    assert_eq!(
        &last.data[8 * 1284 - 1..],
        &[Complex::new(2.118_293_2e-6_f32, -8.009_374e-8)]
    );
    // Σ re² + im² over every sample, from h5py in float64.
    let energy: f64 = scan
        .readouts
        .iter()
        .flat_map(|r| &r.data)
        .map(|z| f64::from(z.norm_sqr()))
        .sum();
    assert!(
        (energy / 0.016_500_953_375_922_24 - 1.0).abs() < 1e-6,
        "{energy}"
    );
}

#[test]
fn names_the_file_when_it_is_not_ismrmrd() {
    let dir = std::env::temp_dir().join(format!("inversa-ismrmrd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = dir.join("notes.h5");
    std::fs::write(&text, b"not an HDF5 file").unwrap();
    let message = read_ismrmrd(&text).unwrap_err().to_string();
    assert!(
        message.contains("notes.h5") && message.contains("HDF5"),
        "{message}"
    );

    // A valid HDF5 file without the ISMRMRD group.
    let other = dir.join("other.h5");
    let mut builder = hdf5_pure::FileBuilder::new();
    builder.create_dataset("values").with_f64_data(&[1.0, 2.0]);
    builder.write(&other).unwrap();
    let message = read_ismrmrd(&other).unwrap_err().to_string();
    assert!(
        message.contains("other.h5") && message.contains("dataset/xml"),
        "{message}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn header_errors_name_the_element() {
    let xml = "<ismrmrdHeader><encoding><encodedSpace><matrixSize><x>4</x><y>4</y><z>1</z>\
               </matrixSize></encodedSpace><trajectory>radial</trajectory></encoding></ismrmrdHeader>";
    assert!(Header::parse(xml).unwrap_err().contains("fieldOfView_mm"));
    let fov = "</matrixSize><fieldOfView_mm><x>1</x><y>1</y><z>1</z></fieldOfView_mm>";
    let bad = xml
        .replace("<y>4</y>", "<y>four</y>")
        .replace("</matrixSize>", fov);
    assert!(Header::parse(&bad).unwrap_err().contains("<y>"));
    assert!(Header::parse("<a").unwrap_err().contains("not XML"));
}
