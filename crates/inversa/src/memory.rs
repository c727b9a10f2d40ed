//! The memory ceiling. Every size a user controls — image dimensions from a file's header, kernel
//! support, projection angles, coils, sample counts, grids, batches, histories — is checked
//! against the memory it implies *before* anything is allocated, so an extreme value is refused
//! with a message naming its key instead of aborting the process on a failed allocation.
//!
//! The ceiling is `INVERSA_MEMORY_LIMIT` when set (bytes, or a number with a unit: `512MiB`,
//! `8GiB`, `2GB`), otherwise half of the machine's physical memory.
//!
//! ```
//! use inversa::memory;
//! // A 60000×60000 RGB image in f64 needs 86.4 GB: far above a 1 GiB ceiling.
//! let error = memory::check_array_under("data.image", &[3, 60_000, 60_000], 8, 1, 1 << 30).unwrap_err();
//! assert!(error.to_string().starts_with("data.image: needs 86.4 GB"));
//! assert_eq!(memory::check_array_under("x", &[4, 4], 8, 2, 1 << 30).unwrap(), 16);
//! ```

use crate::{Error, Result};

/// The environment variable that sets the ceiling.
pub const LIMIT_VARIABLE: &str = "INVERSA_MEMORY_LIMIT";

/// The ceiling where the machine's memory cannot be read.
const FALLBACK_CEILING: u64 = 4 << 30;

/// The ceiling in bytes: [`LIMIT_VARIABLE`] when set, otherwise half of physical memory.
pub fn ceiling() -> Result<u64> {
    match std::env::var(LIMIT_VARIABLE) {
        Ok(text) => parse_size(&text).ok_or_else(|| {
            Error::config(
                LIMIT_VARIABLE,
                format!("expected a size such as 8GiB, 512MiB or 1000000000, not {text:?}"),
            )
        }),
        Err(_) => Ok(physical_memory().map_or(FALLBACK_CEILING, |bytes| bytes / 2)),
    }
}

/// Refuses `bytes` for `key` when above the [`ceiling`].
pub fn check_bytes(key: &str, bytes: u128) -> Result<()> {
    check_bytes_under(key, bytes, ceiling()?)
}

/// Refuses `bytes` for `key` when above `limit`.
pub fn check_bytes_under(key: &str, bytes: u128, limit: u64) -> Result<()> {
    if bytes > u128::from(limit) {
        return Err(Error::config(
            key,
            format!(
                "needs {} of memory, more than the limit of {}; raise it with {LIMIT_VARIABLE} \
                 (e.g. {LIMIT_VARIABLE}=64GiB) if the machine has it",
                human(bytes),
                human(u128::from(limit))
            ),
        ));
    }
    Ok(())
}

/// The number of elements of an array of `dims`, refused for `key` when it overflows or when
/// `copies` arrays of it, of `element_bytes` each, exceed the [`ceiling`].
pub fn check_array(
    key: &str,
    dims: &[usize],
    element_bytes: usize,
    copies: usize,
) -> Result<usize> {
    check_array_under(key, dims, element_bytes, copies, ceiling()?)
}

/// [`check_array`] against `limit`.
pub fn check_array_under(
    key: &str,
    dims: &[usize],
    element_bytes: usize,
    copies: usize,
    limit: u64,
) -> Result<usize> {
    // u128 cannot overflow: a product of a few usize dimensions, bytes and copies is checked step
    // by step below and stops as soon as it passes the limit.
    let mut bytes = (element_bytes as u128).saturating_mul(copies as u128);
    for &d in dims {
        bytes = bytes.saturating_mul(d as u128);
    }
    check_bytes_under(key, bytes, limit)?;
    dims.iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .ok_or_else(|| Error::config(key, format!("the shape {dims:?} has too many elements")))
}

/// `bytes` in decimal units, as a person reads them (`86.4 GB`).
fn human(bytes: u128) -> String {
    let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < units.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

/// A size such as `8GiB`, `512 MiB`, `2GB`, `100k` or `1000000` in bytes.
fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "t" | "tb" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024f64.powi(2),
        "gib" => 1024f64.powi(3),
        "tib" => 1024f64.powi(4),
        _ => return None,
    };
    let bytes = number * scale;
    (bytes.is_finite() && bytes >= 1.0 && bytes < u64::MAX as f64).then_some(bytes as u64)
}

/// Physical memory from `/proc/meminfo` (Linux), if readable.
fn physical_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_and_without_units() {
        assert_eq!(parse_size("1000"), Some(1000));
        assert_eq!(parse_size("8GiB"), Some(8 << 30));
        assert_eq!(parse_size("512 MiB"), Some(512 << 20));
        assert_eq!(parse_size("2GB"), Some(2_000_000_000));
        assert_eq!(parse_size("1.5k"), Some(1500));
        for bad in ["", "GiB", "-1", "8 parsecs", "0", "NaN", "1e400"] {
            assert_eq!(parse_size(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_ceiling_refuses_by_key_and_overflow_cannot_slip_through() {
        let limit = 1 << 20;
        assert_eq!(
            check_array_under("k", &[256, 256], 8, 2, limit).unwrap(),
            65536
        );
        let error = check_array_under("physics.angles", &[100_000_000, 363], 8, 1, limit)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("physics.angles: needs 290.4 GB"),
            "{error}"
        );
        // A header's shape whose element count overflows usize is refused, not wrapped.
        let huge = [4_611_686_018_427_387_905, 4];
        assert!(check_array_under("x", &huge, 1, 1, u64::MAX).is_err());
        assert!(check_array_under("x", &[usize::MAX, usize::MAX], 8, 1, u64::MAX).is_err());
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human(999), "999 B");
        assert_eq!(human(28_800_000_000), "28.8 GB");
    }
}
