//! PNG images: 1-, 2-, 4-, 8- and 16-bit grey, grey+alpha, RGB and RGBA (alpha is dropped),
//! palette images expanded. Values are scaled by their range to [0, 1] (`v / (2^bits − 1)`), the
//! rule `.npy` integers follow too.
//!
//! The header is checked before any pixel is decoded: the image it declares, as decoded samples
//! plus the `f64` array they become, must fit the [memory ceiling](crate::memory), so a small file
//! declaring 60000×60000 pixels (a decompression bomb) is refused by name instead of aborting on a
//! failed allocation.

use super::{check_declared_size, write_atomically, Array};
use crate::error::{Error, Result};
use std::path::Path;

/// Reads a PNG as a `[channels, height, width]` array in [0, 1] (1 channel for grey, 3 for colour).
pub fn read_png(path: &Path) -> Result<Array> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    decode_png(&bytes, path)
}

/// Decodes PNG `bytes` as [`read_png`] does; `origin` names the source in errors.
pub fn decode_png(bytes: &[u8], origin: &Path) -> Result<Array> {
    decode_png_within(bytes, origin, None)
}

/// [`decode_png`] under a memory `limit` in bytes (the [ceiling](crate::memory) when `None`).
///
/// ```
/// use inversa::io::png_image::{decode_png_within, encode_png_u8};
/// use std::path::Path;
/// let bytes = encode_png_u8(&[1, 20, 30], &[0.5; 600])?;
/// // 600 pixels as one 8-bit sample and one f64 each: 5400 bytes.
/// assert_eq!(decode_png_within(&bytes, Path::new("a.png"), Some(5400))?.shape, vec![1, 20, 30]);
/// let refused = decode_png_within(&bytes, Path::new("a.png"), Some(5399)).unwrap_err();
/// assert!(refused.to_string().starts_with("a.png: the header declares a 30×20 grey 8-bit image"));
/// # Ok::<(), inversa::Error>(())
/// ```
pub fn decode_png_within(bytes: &[u8], origin: &Path, limit: Option<u64>) -> Result<Array> {
    let path = origin;
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let bad = |e: png::DecodingError| Error::format(path, format!("not a readable PNG: {e}"));
    let mut reader = decoder.read_info().map_err(bad)?;
    let (width, height) = reader.info().size();
    let (color, depth) = reader.output_color_type();
    let samples = color.samples();
    let sample_bytes = if depth == png::BitDepth::Sixteen {
        2
    } else {
        1
    };
    // Grey(+alpha) keeps one channel, colour(+alpha) three; alpha is dropped.
    let channels = if samples >= 3 { 3 } else { 1 };
    let what = format!(
        "a {width}×{height} {} {}-bit image",
        if channels == 3 { "colour" } else { "grey" },
        8 * sample_bytes
    );
    // Before decoding: the decoded samples and the f64 image they become, per pixel.
    let pixel_bytes = samples * sample_bytes + channels * std::mem::size_of::<f64>();
    let dims = [height as usize, width as usize];
    let declared = check_declared_size(path, &what, &dims, pixel_bytes, limit)?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| Error::format(path, format!("{what} does not fit in memory")))?;
    let mut buffer = vec![0; size];
    let info = reader.next_frame(&mut buffer).map_err(bad)?;
    let (h, w) = (info.height as usize, info.width as usize);
    let samples = info.color_type.samples();
    let sixteen = info.bit_depth == png::BitDepth::Sixteen;
    let channels = if samples >= 3 { 3 } else { 1 };
    let pixels = h.checked_mul(w).filter(|p| *p <= declared);
    let needed = pixels.and_then(|p| p.checked_mul(samples * if sixteen { 2 } else { 1 }));
    let (Some(pixels), Some(needed)) = (pixels, needed) else {
        return Err(Error::format(
            path,
            format!("the first frame ({w}×{h}) is larger than {what}"),
        ));
    };
    if needed > buffer.len() {
        return Err(Error::format(
            path,
            format!("the first frame ({w}×{h}) does not fit {what}"),
        ));
    }
    let value = |k: usize| -> f64 {
        if sixteen {
            f64::from(u16::from_be_bytes([buffer[2 * k], buffer[2 * k + 1]])) / 65535.0
        } else {
            f64::from(buffer[k]) / 255.0
        }
    };
    let mut data = vec![0.0; channels * pixels];
    for p in 0..pixels {
        for c in 0..channels {
            data[c * pixels + p] = value(p * samples + c);
        }
    }
    Array::new(vec![channels, h, w], data)
}

/// Writes a `[channels, height, width]` image (1 or 3 channels) as an 8-bit PNG, clipping to [0, 1].
pub fn write_png_u8(path: &Path, shape: &[usize], data: &[f32]) -> Result<()> {
    write_atomically(path, &encode_png_u8(shape, data)?)
}

/// Writes a `[channels, height, width]` image (1 or 3 channels) as a 16-bit PNG, clipping to [0, 1].
pub fn write_png_u16(path: &Path, shape: &[usize], data: &[f32]) -> Result<()> {
    write_atomically(path, &encode_png_u16(shape, data)?)
}

/// The bytes of [`write_png_u8`]'s file.
pub fn encode_png_u8(shape: &[usize], data: &[f32]) -> Result<Vec<u8>> {
    encode(shape, data, png::BitDepth::Eight)
}

/// The bytes of [`write_png_u16`]'s file.
pub fn encode_png_u16(shape: &[usize], data: &[f32]) -> Result<Vec<u8>> {
    encode(shape, data, png::BitDepth::Sixteen)
}

fn encode(shape: &[usize], data: &[f32], depth: png::BitDepth) -> Result<Vec<u8>> {
    let (c, h, w) = match *shape {
        [h, w] => (1, h, w),
        [c, h, w] if c == 1 || c == 3 => (c, h, w),
        _ => {
            return Err(Error::Shape(format!(
                "a PNG needs [1|3, h, w], got {shape:?}"
            )))
        }
    };
    let (Ok(width), Ok(height)) = (u32::try_from(w), u32::try_from(h)) else {
        return Err(Error::Shape(format!(
            "a PNG is at most 2^32 − 1 pixels a side, got {shape:?}"
        )));
    };
    let pixels = h
        .checked_mul(w)
        .filter(|p| p.checked_mul(c) == Some(data.len()));
    let Some(pixels) = pixels.filter(|p| *p > 0) else {
        return Err(Error::Shape(format!(
            "a PNG of shape {shape:?} cannot hold {} values",
            data.len()
        )));
    };
    let color = if c == 1 {
        png::ColorType::Grayscale
    } else {
        png::ColorType::Rgb
    };
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, width, height);
        encoder.set_color(color);
        encoder.set_depth(depth);
        let bad = |e: png::EncodingError| Error::Shape(format!("cannot encode a PNG: {e}"));
        let mut writer = encoder.write_header().map_err(bad)?;
        let mut samples = Vec::with_capacity(data.len() * 2);
        for p in 0..pixels {
            for ch in 0..c {
                let v = data[ch * pixels + p].clamp(0.0, 1.0);
                let v = if v.is_nan() { 0.0 } else { v };
                if depth == png::BitDepth::Sixteen {
                    samples.extend_from_slice(&((v * 65535.0).round() as u16).to_be_bytes());
                } else {
                    samples.push((v * 255.0).round() as u8);
                }
            }
        }
        writer.write_image_data(&samples).map_err(bad)?;
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_round_trips_at_both_depths() {
        let dir = std::env::temp_dir().join(format!("inversa-png-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let data: Vec<f32> = (0..3 * 5 * 7).map(|i| i as f32 / 104.0).collect();
        for (name, sixteen) in [("a8.png", false), ("a16.png", true)] {
            let path = dir.join(name);
            if sixteen {
                write_png_u16(&path, &[3, 5, 7], &data).unwrap();
            } else {
                write_png_u8(&path, &[3, 5, 7], &data).unwrap();
            }
            let back = read_png(&path).unwrap();
            assert_eq!(back.shape, vec![3, 5, 7]);
            let step = if sixteen { 1.0 / 65535.0 } else { 1.0 / 255.0 };
            for (a, b) in back.data.iter().zip(&data) {
                assert!((a - *b as f64).abs() <= step / 2.0 + 1e-9);
            }
        }
    }

    /// A PNG chunk: length, type, data and CRC-32.
    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut crc = !0u32;
        for &byte in kind.iter().chain(data) {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&(!crc).to_be_bytes());
        out
    }

    /// A PNG whose header declares `width × height` 8-bit RGB pixels, followed by `idat` bytes.
    fn declaring(width: u32, height: u32, idat: &[u8]) -> Vec<u8> {
        let mut ihdr = width.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
        bytes.extend(chunk(b"IHDR", &ihdr));
        bytes.extend(chunk(b"IDAT", idat));
        bytes.extend(chunk(b"IEND", &[]));
        bytes
    }

    #[test]
    fn a_decompression_bomb_is_refused_from_its_header_before_decoding() {
        // Issue 17: a few megabytes declaring 60000×60000 RGB pixels aborted on a 28.8 GB
        // allocation. The header is read alone; no pixel buffer is allocated.
        let bytes = declaring(60_000, 60_000, &[0x78, 0x9c, 0x03, 0x00]);
        let err = decode_png_within(&bytes, Path::new("bomb.png"), Some(16 << 30))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "bomb.png: the header declares a 60000×60000 colour 8-bit image, which needs 97.2 GB \
             of memory, more than the limit of 17.2 GB; raise it with INVERSA_MEMORY_LIMIT \
             (e.g. INVERSA_MEMORY_LIMIT=64GiB) if the machine has it"
        );
        // The largest declarable image: 2^31 − 1 a side (the PNG maximum).
        let side = (1u32 << 31) - 1;
        let err = decode_png_within(
            &declaring(side, side, &[]),
            Path::new("b.png"),
            Some(u64::MAX),
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("b.png: "), "{err}");
    }

    #[test]
    fn a_header_that_fits_but_data_that_is_short_is_a_format_error() {
        let bytes = declaring(4, 4, &[0x78, 0x9c, 0x03, 0x00]);
        let err = decode_png_within(&bytes, Path::new("short.png"), Some(1 << 20))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("short.png: not a readable PNG"), "{err}");
    }

    #[test]
    fn encoding_checks_the_data_against_the_shape() {
        assert!(encode_png_u8(&[1, 2, 3], &[0.0; 5]).is_err());
        assert!(encode_png_u8(&[2, 2, 3], &[0.0; 12]).is_err());
        assert!(encode_png_u8(&[0, 3], &[]).is_err());
        assert!(encode_png_u8(&[usize::MAX, 2], &[0.0; 2]).is_err());
    }
}
