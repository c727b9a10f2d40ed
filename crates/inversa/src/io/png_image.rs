//! PNG images: 8- and 16-bit grey, grey+alpha, RGB and RGBA (alpha is dropped), palette images
//! expanded. Values are scaled to [0, 1].

use super::{write_atomically, Array};
use crate::error::{Error, Result};
use std::path::Path;

/// Reads a PNG as a `[channels, height, width]` array in [0, 1] (1 channel for grey, 3 for colour).
pub fn read_png(path: &Path) -> Result<Array> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    decode_png(&bytes, path)
}

/// Decodes PNG `bytes` as [`read_png`] does; `origin` names the source in errors.
pub fn decode_png(bytes: &[u8], origin: &Path) -> Result<Array> {
    let path = origin;
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let bad = |e: png::DecodingError| Error::format(path, format!("not a readable PNG: {e}"));
    let mut reader = decoder.read_info().map_err(bad)?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| Error::format(path, "the PNG is too large"))?;
    let mut buffer = vec![0; size];
    let info = reader.next_frame(&mut buffer).map_err(bad)?;
    let (h, w) = (info.height as usize, info.width as usize);
    let samples = info.color_type.samples();
    let sixteen = info.bit_depth == png::BitDepth::Sixteen;
    let value = |k: usize| -> f64 {
        if sixteen {
            u16::from_be_bytes([buffer[2 * k], buffer[2 * k + 1]]) as f64 / 65535.0
        } else {
            buffer[k] as f64 / 255.0
        }
    };
    // Grey(+alpha) keeps one channel, colour(+alpha) three; alpha is dropped.
    let channels = if samples >= 3 { 3 } else { 1 };
    let mut data = vec![0.0; channels * h * w];
    for p in 0..h * w {
        for c in 0..channels {
            data[c * h * w + p] = value(p * samples + c);
        }
    }
    Array::new(vec![channels, h, w], data)
}

/// Writes a `[channels, height, width]` image (1 or 3 channels) as an 8-bit PNG, clipping to [0, 1].
pub fn write_png_u8(path: &Path, shape: &[usize], data: &[f32]) -> Result<()> {
    encode(path, shape, data, png::BitDepth::Eight)
}

/// Writes a `[channels, height, width]` image (1 or 3 channels) as a 16-bit PNG, clipping to [0, 1].
pub fn write_png_u16(path: &Path, shape: &[usize], data: &[f32]) -> Result<()> {
    encode(path, shape, data, png::BitDepth::Sixteen)
}

fn encode(path: &Path, shape: &[usize], data: &[f32], depth: png::BitDepth) -> Result<()> {
    let (c, h, w) = match *shape {
        [h, w] => (1, h, w),
        [c, h, w] if c == 1 || c == 3 => (c, h, w),
        _ => {
            return Err(Error::Shape(format!(
                "a PNG needs [1|3, h, w], got {shape:?}"
            )))
        }
    };
    let color = if c == 1 {
        png::ColorType::Grayscale
    } else {
        png::ColorType::Rgb
    };
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, w as u32, h as u32);
        encoder.set_color(color);
        encoder.set_depth(depth);
        let mut writer = encoder
            .write_header()
            .map_err(|e| Error::format(path, e.to_string()))?;
        let mut pixels = Vec::with_capacity(c * h * w * 2);
        for p in 0..h * w {
            for ch in 0..c {
                let v = data[ch * h * w + p].clamp(0.0, 1.0);
                let v = if v.is_nan() { 0.0 } else { v };
                if depth == png::BitDepth::Sixteen {
                    pixels.extend_from_slice(&((v * 65535.0).round() as u16).to_be_bytes());
                } else {
                    pixels.push((v * 255.0).round() as u8);
                }
            }
        }
        writer
            .write_image_data(&pixels)
            .map_err(|e| Error::format(path, e.to_string()))?;
    }
    write_atomically(path, &bytes)
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
}
