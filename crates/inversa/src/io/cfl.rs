//! BART's `.cfl`/`.hdr` pair (Uecker et al., the Berkeley Advanced Reconstruction Toolbox), so k-space
//! and images pass between BART and Inversa unchanged.
//!
//! `NAME.hdr` is text: comment lines starting with `#` (BART writes `# Dimensions`) and one line of
//! whitespace-separated dimensions `d₀ d₁ … d₁₅`, the first varying fastest. `NAME.cfl` is raw
//! little-endian complex float32 (real, imaginary) in that column-major order, nothing else.
//!
//! Here the array is row-major, so the same bytes are the array of the *reversed* dimensions:
//! BART's `[readout, phase1, phase2, coils]` reads as `[coils, phase2, phase1, readout, 2]`, with
//! the library's trailing axis of 2 for interleaved complex values (as in [`crate::real::as_complex`]
//! and complex `.npy` files). Trailing dimensions of 1 (BART always writes 16) are dropped on
//! reading; writing pads back to 16.
//!
//! ```
//! use inversa::io::{cfl, Array};
//! let dir = std::env::temp_dir().join(format!("inversa-cfl-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! // Two coils of a 3-sample readout: BART dims [3, 1, 1, 2].
//! let values: Vec<f64> = (0..12).map(f64::from).collect();
//! let kspace = Array::new(vec![2, 1, 1, 3, 2], values).unwrap();
//! cfl::write_cfl(&dir.join("kspace"), &kspace).unwrap();
//! let header = std::fs::read_to_string(dir.join("kspace.hdr")).unwrap();
//! assert!(header.ends_with("3 1 1 2 1 1 1 1 1 1 1 1 1 1 1 1\n"), "{header}");
//! assert_eq!(cfl::read_cfl(&dir.join("kspace.cfl")).unwrap(), kspace);
//! ```

use super::{check_declared_size, write_atomically, Array};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The dimensions BART writes in every header.
const BART_DIMS: usize = 16;

/// Bytes of one complex float32 value.
const COMPLEX_BYTES: usize = 8;

/// Reads the pair named by `path` (`NAME`, `NAME.cfl` or `NAME.hdr`) as an array of the reversed
/// dimensions with a trailing axis of 2 (real, imaginary).
pub fn read_cfl(path: &Path) -> Result<Array> {
    let (header_path, data_path) = pair(path);
    let header = std::fs::read_to_string(&header_path).map_err(|e| Error::io(&header_path, e))?;
    let dims = parse_dims(&header).map_err(|message| Error::format(&header_path, message))?;
    let mut shape: Vec<usize> = dims.iter().rev().copied().collect();
    shape.push(2);
    let what = format!("a complex array of BART dimensions {dims:?}");
    let count = check_declared_size(&header_path, &what, &shape, size_of::<f64>(), None)?;
    let bytes = std::fs::read(&data_path).map_err(|e| Error::io(&data_path, e))?;
    let needed = count / 2 * COMPLEX_BYTES;
    if bytes.len() != needed {
        return Err(Error::format(
            &data_path,
            format!(
                "{} declares {dims:?}, {} complex float32 values ({needed} bytes); the file has {} bytes",
                header_path.display(),
                count / 2,
                bytes.len()
            ),
        ));
    }
    let data: Vec<f64> = bytes
        .chunks_exact(4)
        .map(|b| f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])))
        .collect();
    if let Some(i) = data.iter().position(|v| !v.is_finite()) {
        return Err(Error::format(
            &data_path,
            format!("complex value {} is not finite ({})", i / 2, data[i]),
        ));
    }
    Array::new(shape, data)
}

/// Writes `array` (row-major, trailing axis 2: interleaved real and imaginary parts) as the pair
/// `NAME.hdr`/`NAME.cfl` named by `path`, in complex float32; each file is written under a
/// temporary name and renamed, the data first.
pub fn write_cfl(path: &Path, array: &Array) -> Result<()> {
    let (header_path, data_path) = pair(path);
    let Some((&2, rest)) = array.shape.split_last() else {
        return Err(Error::format(
            &data_path,
            format!(
                "a .cfl holds complex values: expected a trailing axis of 2 (real, imaginary), \
                 found shape {:?}",
                array.shape
            ),
        ));
    };
    if rest.len() > BART_DIMS {
        return Err(Error::format(
            &data_path,
            format!(
                "BART files have at most {BART_DIMS} dimensions, found {}",
                rest.len()
            ),
        ));
    }
    let mut dims: Vec<usize> = rest.iter().rev().copied().collect();
    dims.resize(BART_DIMS, 1);
    let line: Vec<String> = dims.iter().map(usize::to_string).collect();
    let mut bytes = Vec::with_capacity(array.data.len() * 4);
    for v in &array.data {
        bytes.extend_from_slice(&(*v as f32).to_le_bytes());
    }
    write_atomically(&data_path, &bytes)?;
    write_atomically(
        &header_path,
        format!("# Dimensions\n{}\n", line.join(" ")).as_bytes(),
    )
}

/// `NAME.hdr` and `NAME.cfl` for `NAME`, `NAME.cfl` or `NAME.hdr`.
fn pair(path: &Path) -> (PathBuf, PathBuf) {
    let base = match path.extension().and_then(|e| e.to_str()) {
        Some("cfl" | "hdr") => path.with_extension(""),
        _ => path.to_path_buf(),
    };
    let with = |extension: &str| {
        let mut name = base.as_os_str().to_owned();
        name.push(extension);
        PathBuf::from(name)
    };
    (with(".hdr"), with(".cfl"))
}

/// The dimensions on the first line that is not a `#` comment, trailing ones dropped (at least
/// one kept).
fn parse_dims(header: &str) -> std::result::Result<Vec<usize>, String> {
    let line = header
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .ok_or("no line of dimensions (expected e.g. \"# Dimensions\" then \"256 256 1 8\")")?;
    let mut dims = line
        .split_whitespace()
        .map(|word| match word.parse::<usize>() {
            Ok(0) | Err(_) => Err(format!(
                "dimensions are positive integers, found \"{word}\" in \"{line}\""
            )),
            Ok(d) => Ok(d),
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    while dims.len() > 1 && dims.last() == Some(&1) {
        dims.pop();
    }
    Ok(dims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("inversa-cfl-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Writes a pair byte by byte, as BART would, without this module's writer.
    fn write_by_hand(base: &Path, header: &str, values: &[(f32, f32)]) {
        std::fs::write(base.with_extension("hdr"), header).unwrap();
        let bytes: Vec<u8> = values
            .iter()
            .flat_map(|(re, im)| [re.to_le_bytes(), im.to_le_bytes()].concat())
            .collect();
        std::fs::write(base.with_extension("cfl"), bytes).unwrap();
    }

    #[test]
    fn the_first_bart_dimension_varies_fastest() {
        // BART dims [3, 2]: element (i₀, i₁) is at i₀ + 3 i₁ in the file; value i₀ + 10 i₁ − i₀ j
        // (`bart show` of this very file prints the rows 0, 1−1i, 2−2i and 10, 11−1i, 12−2i).
        let base = folder("order").join("x");
        let values: Vec<(f32, f32)> = (0..6)
            .map(|k| ((k % 3 + 10 * (k / 3)) as f32, -((k % 3) as f32)))
            .collect();
        // The header as BART 0.8 writes it, with its provenance sections after the dimensions.
        let header =
            "# Dimensions\n3 2 1 1 1 1 1 1 1 1 1 1 1 1 1 1 \n# Command\nphantom -x 4 -k x \n\
                      # Files\n >x\n# Creator\nBART v0.8.00\n";
        write_by_hand(&base, header, &values);
        let array = read_cfl(&base).unwrap();
        assert_eq!(array.shape, vec![2, 3, 2]);
        for i1 in 0..2 {
            for i0 in 0..3 {
                let at = 2 * (3 * i1 + i0);
                assert_eq!(array.data[at], (i0 + 10 * i1) as f64);
                assert_eq!(array.data[at + 1], -(i0 as f64));
            }
        }
    }

    #[test]
    fn written_pairs_read_back_whichever_name_is_given() {
        let dir = folder("round");
        let data: Vec<f64> = (0..48).map(|i| i as f64 * 0.25 - 5.0).collect();
        let array = Array::new(vec![4, 3, 2, 2], data).unwrap();
        write_cfl(&dir.join("y.cfl"), &array).unwrap();
        for name in ["y", "y.cfl", "y.hdr"] {
            assert_eq!(read_cfl(&dir.join(name)).unwrap(), array, "{name}");
        }
    }

    #[test]
    fn bad_pairs_are_errors_naming_the_file() {
        let dir = folder("bad");
        let short = dir.join("short");
        write_by_hand(&short, "# Dimensions\n4 4\n", &[(1.0, 0.0); 15]);
        let error = read_cfl(&short).unwrap_err().to_string();
        assert!(
            error.contains("short.cfl") && error.contains("128 bytes"),
            "{error}"
        );
        let words = dir.join("words");
        write_by_hand(&words, "# Dimensions\n4 x\n", &[(1.0, 0.0); 4]);
        let error = read_cfl(&words).unwrap_err().to_string();
        assert!(
            error.contains("words.hdr") && error.contains("\"x\""),
            "{error}"
        );
        let huge = dir.join("huge");
        write_by_hand(&huge, "# Dimensions\n100000 100000 1000\n", &[]);
        let error = read_cfl(&huge).unwrap_err().to_string();
        assert!(
            error.contains("huge.hdr") && error.contains("memory"),
            "{error}"
        );
        let nan = dir.join("nan");
        write_by_hand(&nan, "# Dimensions\n2\n", &[(1.0, 0.0), (0.0, f32::NAN)]);
        let error = read_cfl(&nan).unwrap_err().to_string();
        assert!(
            error.contains("nan.cfl") && error.contains("complex value 1"),
            "{error}"
        );
        let error = read_cfl(&dir.join("absent")).unwrap_err().to_string();
        assert!(error.contains("absent.hdr"), "{error}");
        let real = Array::new(vec![2, 3], vec![0.0; 6]).unwrap();
        let error = write_cfl(&dir.join("real"), &real).unwrap_err().to_string();
        assert!(
            error.contains("real.cfl") && error.contains("trailing axis of 2"),
            "{error}"
        );
        assert!(!dir.join("real.cfl").exists() && !dir.join("real.hdr").exists());
    }
}
