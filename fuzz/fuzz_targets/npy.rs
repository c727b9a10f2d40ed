//! Any bytes either decode to an array whose element count is the product of its shape or are an
//! error; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if let Ok(array) = inversa::io::npy::decode_npy(data, Path::new("fuzz.npy")) {
        let count = array
            .shape
            .iter()
            .try_fold(1usize, |n, &d| n.checked_mul(d));
        assert_eq!(count, Some(array.data.len()));
    }
});
