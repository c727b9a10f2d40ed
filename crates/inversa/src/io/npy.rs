//! NumPy `.npy` files, format version 1.0/2.0/3.0, little-endian, C order. Complex arrays (`<c8`,
//! `<c16`, e.g. MRI k-space) read as real arrays with a trailing axis of 2 (real, imaginary).
//!
//! Every value is read as `f64` by one rule, the same as for PNG:
//!
//! | dtype | value |
//! |---|---|
//! | `<f4`, `<f8` | as stored |
//! | `<c8`, `<c16` | real and imaginary parts as stored, along a trailing axis of 2 |
//! | `\|u1`, `<u2`, `<u4` (unsigned integers) | scaled by their range to [0, 1]: `v / (2^bits − 1)`, so an 8-bit image reads as its PNG does |
//!
//! Signed integers, booleans, big-endian and Fortran-ordered arrays are refused with a message
//! saying what to save instead. A file is checked before any value is read: the magic and the
//! version, then the dtype, the order and the shape, whose element count is computed without
//! overflow and checked against the [memory ceiling](crate::memory), and finally the data's length,
//! which must be exactly what the shape needs.
//!
//! ```
//! use inversa::io::npy::{decode_npy, encode_npy_f64};
//! use std::path::Path;
//! let bytes = encode_npy_f64(&[2, 3], &[0.0, 0.5, 1.0, 1.5, 2.0, 2.5])?;
//! let array = decode_npy(&bytes, Path::new("a.npy"))?;
//! assert_eq!(array.shape, vec![2, 3]);
//! assert_eq!(array.data[5], 2.5);
//! // An 8-bit array is scaled to [0, 1] as an 8-bit PNG is: 255 reads as 1.0, 51 as 0.2.
//! let mut u8_file = bytes[..10].to_vec();
//! let header = "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }\n";
//! u8_file[8..10].copy_from_slice(&(header.len() as u16).to_le_bytes());
//! u8_file.extend_from_slice(header.as_bytes());
//! u8_file.extend_from_slice(&[255, 51]);
//! assert_eq!(decode_npy(&u8_file, Path::new("b.npy"))?.data, vec![1.0, 0.2]);
//! # Ok::<(), inversa::Error>(())
//! ```

use super::{write_atomically, Array};
use crate::error::{Error, Result};
use std::path::Path;

const MAGIC: &[u8] = b"\x93NUMPY";

/// The element types read (complex ones as two floats).
#[derive(Clone, Copy)]
enum Scalar {
    F4,
    F8,
    U1,
    U2,
    U4,
}

impl Scalar {
    fn width(self) -> usize {
        match self {
            Scalar::U1 => 1,
            Scalar::U2 => 2,
            Scalar::F4 | Scalar::U4 => 4,
            Scalar::F8 => 8,
        }
    }

    /// The value of one little-endian element (`c` has [`Scalar::width`] bytes): floats as
    /// stored, unsigned integers divided by their largest value.
    fn value(self, c: &[u8]) -> f64 {
        let mut b = [0u8; 8];
        b[..c.len()].copy_from_slice(c);
        match self {
            Scalar::F4 => f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            Scalar::F8 => f64::from_le_bytes(b),
            Scalar::U1 => f64::from(b[0]) / f64::from(u8::MAX),
            Scalar::U2 => f64::from(u16::from_le_bytes([b[0], b[1]])) / f64::from(u16::MAX),
            Scalar::U4 => {
                f64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])) / f64::from(u32::MAX)
            }
        }
    }
}

/// The dtypes [`decode_npy`] reads, for error messages.
const READ_DTYPES: &str = "<f4, <f8, <c8, <c16, |u1, <u2 or <u4";

/// Reads a `.npy` (see the [module](self) for the dtypes and how each becomes `f64`).
pub fn read_npy(path: &Path) -> Result<Array> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    decode_npy(&bytes, path)
}

/// Decodes `.npy` `bytes` as [`read_npy`] does; `origin` names the source in errors.
pub fn decode_npy(bytes: &[u8], origin: &Path) -> Result<Array> {
    let bad = |message: String| Error::format(origin, message);
    let (header, body) = split_header(bytes).map_err(bad)?;
    let descr = header_field(header, "descr")
        .ok_or_else(|| bad("the .npy header has no 'descr'".into()))?;
    let descr = descr.trim().trim_matches(|c| c == '\'' || c == '"');
    // Complex arrays are read as their interleaved real and imaginary parts: a trailing axis of 2.
    let (scalar, complex) = match descr {
        "<f4" => (Scalar::F4, false),
        "<f8" => (Scalar::F8, false),
        "<c8" => (Scalar::F4, true),
        "<c16" => (Scalar::F8, true),
        "|u1" | "<u1" => (Scalar::U1, false),
        "<u2" => (Scalar::U2, false),
        "<u4" => (Scalar::U4, false),
        other => return Err(bad(unsupported_dtype(other))),
    };
    let fortran = header_field(header, "fortran_order")
        .ok_or_else(|| bad("the .npy header has no 'fortran_order'".into()))?;
    if fortran.trim() != "False" {
        return Err(bad(
            "Fortran-ordered .npy arrays are not supported; save with np.ascontiguousarray".into(),
        ));
    }
    let mut shape = parse_shape(header).map_err(bad)?;
    if complex {
        shape.push(2);
    }
    // The data is already in memory, so a header that disagrees with it is a corrupt file, whatever
    // it asks for; only then does the f64 array it becomes meet the memory ceiling.
    let needed = shape
        .iter()
        .try_fold(scalar.width() as u128, |n, &d| n.checked_mul(d as u128));
    if needed != Some(body.len() as u128) {
        return Err(bad(format!(
            "the header's shape {shape:?} of {descr} needs {} bytes of data, the file has {}",
            needed.map_or("more than 2^128".to_string(), |n| n.to_string()),
            body.len()
        )));
    }
    let what = format!("an array of shape {shape:?}");
    super::check_declared_size(origin, &what, &shape, std::mem::size_of::<f64>(), None)?;
    let data = body
        .chunks_exact(scalar.width())
        .map(|c| scalar.value(c))
        .collect();
    Array::new(shape, data)
}

/// Why `descr` is not read, and what to save instead.
fn unsupported_dtype(descr: &str) -> String {
    let hint = match descr.as_bytes() {
        [b'>', ..] => {
            "; big-endian arrays are not read, save with arr.astype(arr.dtype.newbyteorder('<'))"
        }
        [_, b'i', ..] => "; signed integers have no range to scale to [0, 1], save as float32",
        [_, b'b', ..] => "; save a boolean mask as uint8 (0 or 1) or float32",
        _ => "",
    };
    format!("unsupported dtype '{descr}'; expected {READ_DTYPES} (little-endian){hint}")
}

/// The header text and the data after it, checking the magic, the version and the header length.
fn split_header(bytes: &[u8]) -> std::result::Result<(&str, &[u8]), String> {
    let (Some(MAGIC), Some(&[major, _])) = (bytes.get(..6), bytes.get(6..8)) else {
        return Err("not a .npy file (missing the \\x93NUMPY magic)".into());
    };
    let (header_len, start): (usize, usize) = match (major, bytes.get(8..12)) {
        (1, _) => match bytes.get(8..10) {
            Some(&[a, b]) => (usize::from(u16::from_le_bytes([a, b])), 10),
            _ => return Err("truncated .npy header".into()),
        },
        (2 | 3, Some(&[a, b, c, d])) => (u32::from_le_bytes([a, b, c, d]) as usize, 12),
        (2 | 3, _) => return Err("truncated .npy header".into()),
        (v, _) => return Err(format!("unsupported .npy version {v} (expected 1, 2 or 3)")),
    };
    let end = start
        .checked_add(header_len)
        .filter(|end| *end <= bytes.len())
        .ok_or_else(|| {
            format!(
                "truncated .npy header: it declares {header_len} bytes, the file has {}",
                bytes.len().saturating_sub(start)
            )
        })?;
    let header = std::str::from_utf8(&bytes[start..end])
        .map_err(|_| "the .npy header is not text".to_string())?;
    Ok((header, &bytes[end..]))
}

/// The text after `'key':` up to the next comma or the end of the dict.
fn header_field<'h>(header: &'h str, key: &str) -> Option<&'h str> {
    let quoted = format!("'{key}'");
    let at = header.find(&quoted)?;
    let rest = header[at + quoted.len()..].trim_start().strip_prefix(':')?;
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    Some(&rest[..end])
}

fn parse_shape(header: &str) -> std::result::Result<Vec<usize>, String> {
    let at = header
        .find("'shape'")
        .ok_or("the .npy header has no 'shape'")?;
    let rest = &header[at..];
    let open = rest.find('(').ok_or("malformed .npy shape: no '('")?;
    let close = rest[open..]
        .find(')')
        .ok_or("malformed .npy shape: no ')'")?;
    rest[open + 1..open + close]
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.trim_end_matches('L')
                .parse::<usize>()
                .map_err(|_| format!("malformed .npy shape entry '{s}' (expected a size)"))
        })
        .collect()
}

/// `.npy` bytes of little-endian `descr` values `data` with `shape`, written `width` bytes a value
/// by `put`. Version 1.0 unless the header needs more than 65535 bytes.
fn encode<V: Copy>(
    descr: &str,
    shape: &[usize],
    data: &[V],
    put: impl Fn(V, &mut Vec<u8>),
    width: usize,
) -> Result<Vec<u8>> {
    let count = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
    if count != Some(data.len()) {
        return Err(Error::Shape(format!(
            "an array of shape {shape:?} cannot hold {} values",
            data.len()
        )));
    }
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape_text = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut header =
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_text}, }}");
    // Pad with spaces so the data starts on a 64-byte boundary, ending the header with a newline.
    let prefix = if header.len() + 64 + 10 > usize::from(u16::MAX) {
        12
    } else {
        10
    };
    let unpadded = prefix + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let mut bytes = Vec::with_capacity(prefix + header.len() + data.len() * width);
    bytes.extend_from_slice(MAGIC);
    if prefix == 10 {
        bytes.extend_from_slice(&[1, 0]);
        // Below 65535 bytes: `prefix` is 10 only then.
        bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    } else {
        bytes.extend_from_slice(&[2, 0]);
        let len = u32::try_from(header.len())
            .map_err(|_| Error::Shape(format!("a shape of {} dimensions", shape.len())))?;
        bytes.extend_from_slice(&len.to_le_bytes());
    }
    bytes.extend_from_slice(header.as_bytes());
    data.iter().for_each(|v| put(*v, &mut bytes));
    Ok(bytes)
}

/// The bytes of a little-endian `float32` `.npy` of `data` with `shape`.
pub fn encode_npy_f32(shape: &[usize], data: &[f32]) -> Result<Vec<u8>> {
    encode(
        "<f4",
        shape,
        data,
        |v, b| b.extend_from_slice(&v.to_le_bytes()),
        4,
    )
}

/// The bytes of a little-endian `float64` `.npy` of `data` with `shape`.
pub fn encode_npy_f64(shape: &[usize], data: &[f64]) -> Result<Vec<u8>> {
    encode(
        "<f8",
        shape,
        data,
        |v, b| b.extend_from_slice(&v.to_le_bytes()),
        8,
    )
}

/// Writes `data` with `shape` as a little-endian `float32` `.npy`.
pub fn write_npy_f32(path: &Path, shape: &[usize], data: &[f32]) -> Result<()> {
    write_atomically(path, &encode_npy_f32(shape, data)?)
}

/// Writes `data` with `shape` as a little-endian `float64` `.npy`.
pub fn write_npy_f64(path: &Path, shape: &[usize], data: &[f64]) -> Result<()> {
    write_atomically(path, &encode_npy_f64(shape, data)?)
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
        let array = decode_npy(&bytes, Path::new("k.npy")).unwrap();
        assert_eq!(array.shape, vec![1, 2, 2]);
        assert_eq!(array.data, vec![1.0, 2.0, 3.0, -4.0]);
    }

    #[test]
    fn garbage_is_a_format_error_naming_the_file() {
        let err = decode_npy(b"hello world, not numpy", Path::new("g.npy"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("g.npy: not a .npy file"), "{err}");
    }

    /// A version-1 `.npy` with `header` (a dict) followed by `data`.
    fn npy_with(header: &str, data: &[u8]) -> Vec<u8> {
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&[1, 0]);
        bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(data);
        bytes
    }

    fn error_of(header: &str, data: &[u8]) -> String {
        decode_npy(&npy_with(header, data), Path::new("x.npy"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_shape_whose_size_overflows_is_refused_against_the_data_it_has() {
        // Issue 17: the element count of [2^62 + 1, 4] wraps to 4, so 16 KB of data "fitted".
        let err = error_of(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387905, 4), }\n",
            &[0; 16384],
        );
        assert_eq!(
            err,
            "x.npy: the header's shape [4611686018427387905, 4] of <f4 needs \
             73786976294838206480 bytes of data, the file has 16384"
        );
        // [2^32, 2^32] wraps to 0 elements: it was read as an empty image.
        let err = error_of(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }\n",
            &[0; 64],
        );
        assert!(
            err.contains("needs 73786976294838206464 bytes of data, the file has 64"),
            "{err}"
        );
        let err = error_of(
            &format!(
                "{{'descr': '<f8', 'fortran_order': False, 'shape': ({}), }}\n",
                vec![usize::MAX.to_string(); 5].join(", ")
            ),
            &[0; 8],
        );
        assert!(err.contains("needs more than 2^128 bytes"), "{err}");
    }

    #[test]
    fn data_longer_or_shorter_than_the_header_says_is_an_error() {
        let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }\n";
        for len in [12, 20] {
            let err = error_of(header, &vec![0; len]);
            assert!(
                err.ends_with(&format!("needs 16 bytes of data, the file has {len}")),
                "{err}"
            );
        }
        assert_eq!(
            decode_npy(&npy_with(header, &[0; 16]), Path::new("x.npy"))
                .unwrap()
                .shape,
            vec![2, 2]
        );
    }

    #[test]
    fn unsigned_integers_are_scaled_by_their_range_like_png() {
        let read = |descr: &str, data: &[u8]| {
            let header =
                format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (2,), }}\n");
            decode_npy(&npy_with(&header, data), Path::new("u.npy"))
                .unwrap()
                .data
        };
        assert_eq!(read("|u1", &[0, 255]), vec![0.0, 1.0]);
        assert_eq!(
            read("<u2", &[0xff, 0xff, 0x00, 0x80]),
            vec![1.0, 32768.0 / 65535.0]
        );
        assert_eq!(read("<u4", &[0xff; 8]), vec![1.0, 1.0]);
        // 8-bit 128 reads as 128/255, the value the same pixel has in an 8-bit PNG.
        assert_eq!(read("|u1", &[128, 1])[0], 128.0 / 255.0);
    }

    #[test]
    fn refused_dtypes_say_what_to_save_instead() {
        for (descr, hint) in [
            (">f4", "big-endian"),
            ("<i2", "signed integers"),
            ("|b1", "boolean"),
            ("<U3", "expected <f4"),
        ] {
            let header =
                format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (1,), }}\n");
            let err = error_of(&header, &[0; 4]);
            assert!(
                err.starts_with(&format!("x.npy: unsupported dtype '{descr}'"))
                    && err.contains(hint),
                "{err}"
            );
        }
    }

    #[test]
    fn fields_in_any_order_read_the_same() {
        // numpy writes descr, fortran_order, shape; other writers end the dict with any of them.
        let header = "{'shape': (2,), 'descr': '<f4', 'fortran_order': False}\n";
        let array = decode_npy(&npy_with(header, &[0; 8]), Path::new("o.npy")).unwrap();
        assert_eq!(array.shape, vec![2]);
        let header = "{'fortran_order': False, 'shape': (1,), 'descr': '|u1'}\n";
        let array = decode_npy(&npy_with(header, &[255]), Path::new("o.npy")).unwrap();
        assert_eq!(array.data, vec![1.0]);
    }

    #[test]
    fn a_header_longer_than_the_file_is_truncated_not_a_panic() {
        let mut bytes = npy_with("{}", &[]);
        bytes[8..10].copy_from_slice(&u16::MAX.to_le_bytes());
        let err = decode_npy(&bytes, Path::new("t.npy"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("truncated .npy header: it declares 65535 bytes, the file has 2"),
            "{err}"
        );
        let mut v2 = MAGIC.to_vec();
        v2.extend_from_slice(&[2, 0, 0xff, 0xff, 0xff, 0xff]);
        let err = decode_npy(&v2, Path::new("t.npy")).unwrap_err().to_string();
        assert!(err.contains("declares 4294967295 bytes"), "{err}");
    }

    #[test]
    fn f64_round_trips_bit_for_bit_and_mismatched_data_is_not_written() {
        let data = [f64::MIN_POSITIVE, -0.0, 1.0 / 3.0, 1e300, f64::EPSILON, 7.0];
        let bytes = encode_npy_f64(&[3, 2], &data).unwrap();
        let back = decode_npy(&bytes, Path::new("r.npy")).unwrap();
        assert_eq!(back.shape, vec![3, 2]);
        assert!(back
            .data
            .iter()
            .zip(&data)
            .all(|(a, b)| a.to_bits() == b.to_bits()));
        assert!(encode_npy_f64(&[4, 2], &data).is_err());
    }
}
