//! Any text either parses as a task file (and then answers its precision) or is an error; never a
//! panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(file) = inversa::task::TaskFile::parse(text.to_string(), Path::new("fuzz.toml")) {
        let _ = file.precision();
    }
});
