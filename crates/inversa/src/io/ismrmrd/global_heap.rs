//! HDF5 global heap collections (the file format specification, section III.E), where the
//! variable-length fields of ISMRMRD records live. A collection at address `a` is
//!
//! ```text
//! "GCOL", version 1, 3 reserved bytes, collection size (length-size bytes, header included),
//! then objects: index u16, reference count u16, 4 reserved bytes, size (length-size bytes),
//! the object's bytes padded to a multiple of 8;
//! ```
//!
//! object index 0 is the collection's free space and ends the list.

use std::collections::HashMap;

/// The objects of the collections read so far: `(collection address, index) → (start, size)`.
pub(super) struct GlobalHeap<'f> {
    file: &'f [u8],
    length_size: usize,
    objects: HashMap<(u64, u16), (usize, usize)>,
    parsed: Vec<u64>,
}

impl<'f> GlobalHeap<'f> {
    pub(super) fn new(file: &'f [u8], length_size: usize) -> Self {
        Self {
            file,
            length_size,
            objects: HashMap::new(),
            parsed: Vec::new(),
        }
    }

    /// The bytes of object `index` of the collection at `address`.
    pub(super) fn object(&mut self, address: u64, index: u32) -> Result<&'f [u8], String> {
        if !self.parsed.contains(&address) {
            self.parse(address)?;
            self.parsed.push(address);
        }
        let key = u16::try_from(index).map_err(|_| format!("global heap index {index}"))?;
        let (start, size) = *self
            .objects
            .get(&(address, key))
            .ok_or_else(|| format!("global heap collection at {address} has no object {index}"))?;
        Ok(&self.file[start..start + size])
    }

    fn parse(&mut self, address: u64) -> Result<(), String> {
        let start = usize::try_from(address).map_err(|_| format!("address {address}"))?;
        let header = 8 + self.length_size;
        let head = self
            .file
            .get(start..start + header)
            .ok_or_else(|| format!("global heap collection at {address} is past the file's end"))?;
        if &head[..4] != b"GCOL" {
            return Err(format!("no global heap collection (GCOL) at {address}"));
        }
        let size = self.length(start + 8)?;
        let end = start
            .checked_add(size)
            .filter(|e| *e <= self.file.len() && size >= header)
            .ok_or_else(|| {
                format!("global heap collection at {address} of {size} bytes overruns the file")
            })?;
        let mut at = start + header;
        while at + 8 + self.length_size <= end {
            let index = u16::from_le_bytes([self.file[at], self.file[at + 1]]);
            if index == 0 {
                break;
            }
            let size = self.length(at + 8)?;
            let data = at + 8 + self.length_size;
            let next = data
                .checked_add(size.div_ceil(8) * 8)
                .filter(|n| *n <= end)
                .ok_or_else(|| {
                    format!("object {index} of the collection at {address} overruns it")
                })?;
            self.objects.insert((address, index), (data, size));
            at = next;
        }
        Ok(())
    }

    fn length(&self, at: usize) -> Result<usize, String> {
        let bytes = &self.file[at..at + self.length_size];
        let mut value = [0u8; 8];
        value[..bytes.len()].copy_from_slice(bytes);
        usize::try_from(u64::from_le_bytes(value)).map_err(|_| "a length beyond usize".to_string())
    }
}
