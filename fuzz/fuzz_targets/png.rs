//! Any bytes either decode to a consistent `[channels, height, width]` image in [0, 1] or are an
//! error; never a panic, never an allocation above the 256 MiB limit given to the reader.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let limit = Some(256 << 20);
    if let Ok(image) = inversa::io::png_image::decode_png_within(data, Path::new("fuzz.png"), limit)
    {
        let [c, h, w] = image.shape[..] else {
            panic!("a PNG decoded to shape {:?}", image.shape);
        };
        assert!(c == 1 || c == 3);
        assert_eq!(c * h * w, image.data.len());
        assert!(image.data.iter().all(|v| (0.0..=1.0).contains(v)));
    }
});
