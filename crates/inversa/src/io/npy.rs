//! NumPy `.npy` files, format version 1.0/2.0/3.0, little-endian, C order. Complex arrays (`<c8`,
//! `<c16`, e.g. MRI k-space) read as real arrays with a trailing axis of 2 (real, imaginary).

use super::{write_atomically, Array};
use crate::error::{Error, Result};
use std::path::Path;

const MAGIC: &[u8] = b"\x93NUMPY";

/// Reads a `.npy` of `<f4`, `<f8`, `<c8`, `<c16`, `|u1` or `<u2` values (C order) as `f64`; complex
/// values become a trailing axis of 2.
pub fn read_npy(path: &Path) -> Result<Array> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_npy(&bytes).map_err(|message| Error::format(path, message))
}

fn parse_npy(bytes: &[u8]) -> std::result::Result<Array, String> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err("not a .npy file (missing the \\x93NUMPY magic)".into());
    }
    let (header_len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        v => return Err(format!("unsupported .npy version {v}")),
    };
    let header = bytes
        .get(start..start + header_len)
        .ok_or("truncated .npy header")?;
    let header = std::str::from_utf8(header).map_err(|_| "the .npy header is not text")?;
    let descr = header_field(header, "descr").ok_or("the .npy header has no 'descr'")?;
    let fortran =
        header_field(header, "fortran_order").ok_or("the .npy header has no 'fortran_order'")?;
    if fortran.trim() != "False" {
        return Err(
            "Fortran-ordered .npy arrays are not supported; save with np.ascontiguousarray".into(),
        );
    }
    let mut shape = parse_shape(header)?;
    let body = &bytes[start + header_len..];
    let descr = descr.trim().trim_matches(|c| c == '\'' || c == '"');
    // Complex arrays are read as their interleaved real and imaginary parts: a trailing axis of 2.
    let (scalar, width) = match descr {
        "<f4" => ("<f4", 4),
        "<f8" => ("<f8", 8),
        "<c8" => ("<f4", 4),
        "<c16" => ("<f8", 8),
        "<u2" => ("<u2", 2),
        "|u1" | "<u1" => ("|u1", 1),
        other => {
            return Err(format!(
            "unsupported dtype '{other}'; expected <f4, <f8, <c8, <c16, |u1 or <u2 (little-endian)"
        ))
        }
    };
    if descr.starts_with("<c") {
        shape.push(2);
    }
    let count: usize = shape.iter().product();
    if body.len() < count * width {
        return Err(format!(
            "the data is truncated: shape {shape:?} needs {} bytes, found {}",
            count * width,
            body.len()
        ));
    }
    let data = body[..count * width]
        .chunks_exact(width)
        .map(|c| match scalar {
            "<f4" => f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64,
            "<f8" => f64::from_le_bytes(c.try_into().expect("8 bytes")),
            "<u2" => u16::from_le_bytes([c[0], c[1]]) as f64,
            _ => c[0] as f64,
        })
        .collect();
    Ok(Array { shape, data })
}

/// The text after `'key':` up to the next top-level comma.
fn header_field<'h>(header: &'h str, key: &str) -> Option<&'h str> {
    let at = header.find(&format!("'{key}'"))?;
    let rest = &header[at + key.len() + 2..];
    let rest = rest.trim_start().strip_prefix(':')?;
    let end = rest.find(',').unwrap_or(rest.len());
    Some(&rest[..end])
}

fn parse_shape(header: &str) -> std::result::Result<Vec<usize>, String> {
    let at = header
        .find("'shape'")
        .ok_or("the .npy header has no 'shape'")?;
    let open = header[at..].find('(').ok_or("malformed .npy shape")? + at;
    let close = header[open..].find(')').ok_or("malformed .npy shape")? + open;
    header[open + 1..close]
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>()
                .map_err(|_| format!("malformed .npy shape entry '{s}'"))
        })
        .collect()
}

/// Writes `data` with `shape` as a little-endian `float32` `.npy`.
pub fn write_npy_f32(path: &Path, shape: &[usize], data: &[f32]) -> Result<()> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape_text = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape_text}, }}");
    // Pad with spaces so the data starts on a 64-byte boundary, ending the header with a newline.
    let unpadded = MAGIC.len() + 4 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let mut bytes = Vec::with_capacity(MAGIC.len() + 4 + header.len() + data.len() * 4);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&[1, 0]);
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    data.iter()
        .for_each(|v| bytes.extend_from_slice(&v.to_le_bytes()));
    write_atomically(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_npy_reads_back_with_shape_and_values() {
        let dir = std::env::temp_dir().join(format!("inversa-npy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.npy");
        let data: Vec<f32> = (0..24).map(|i| i as f32 * 0.5 - 3.0).collect();
        write_npy_f32(&path, &[2, 3, 4], &data).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!((10 + header_len) % 64, 0, "data must start 64-byte aligned");
        let back = read_npy(&path).unwrap();
        assert_eq!(back.shape, vec![2, 3, 4]);
        assert_eq!(
            back.data,
            data.iter().map(|v| *v as f64).collect::<Vec<_>>()
        );
    }

    #[test]
    fn complex_arrays_read_as_a_trailing_real_imaginary_axis() {
        // np.array([[1+2j, 3-4j]], dtype=np.complex64), saved by numpy 2 (header padded to 64 bytes).
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&[1, 0]);
        let header = "{'descr': '<c8', 'fortran_order': False, 'shape': (1, 2), }";
        let padded = format!("{header:<width$}\n", width = 64 - 10 - 1);
        bytes.extend_from_slice(&(padded.len() as u16).to_le_bytes());
        bytes.extend_from_slice(padded.as_bytes());
        for v in [1.0f32, 2.0, 3.0, -4.0] {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        let array = parse_npy(&bytes).unwrap();
        assert_eq!(array.shape, vec![1, 2, 2]);
        assert_eq!(array.data, vec![1.0, 2.0, 3.0, -4.0]);
    }

    #[test]
    fn garbage_is_a_format_error_naming_the_file() {
        let err = parse_npy(b"hello world, not numpy").unwrap_err();
        assert!(err.contains("not a .npy file"), "{err}");
    }
}
