//! The `data` records of an ISMRMRD file: the compound type's layout, read by member name, and
//! each record's header fields, trajectory and samples.

use super::global_heap::GlobalHeap;
use super::Readout;
use hdf5_pure::{CompoundMember, Datatype};
use num_complex::Complex;

/// Byte offsets of the fields read, within one record.
struct Layout {
    record: usize,
    flags: usize,
    samples: usize,
    channels: usize,
    discard_pre: usize,
    discard_post: usize,
    trajectory_dimensions: usize,
    encode_step_1: usize,
    traj: usize,
    data: usize,
}

/// Every record of `data` with its channel count, in file order.
pub(super) fn read(
    file: &hdf5_pure::File,
    data: &hdf5_pure::Dataset,
) -> Result<Vec<(usize, Readout)>, String> {
    let datatype = data.datatype().map_err(|e| format!("dataset/data: {e}"))?;
    let layout = layout(&datatype)?;
    // A damaged header can declare any number of records; the reader fills the missing ones, so
    // the declared size is checked against the memory ceiling before anything is allocated.
    let shape = data.shape().map_err(|e| format!("dataset/data: {e}"))?;
    let bytes = shape
        .iter()
        .try_fold(layout.record as u128, |n, &d| n.checked_mul(u128::from(d)))
        .ok_or_else(|| format!("dataset/data: a shape of {shape:?} records overflows"))?;
    crate::memory::check_bytes("dataset/data", bytes).map_err(|e| e.to_string())?;
    let raw = data.read_raw().map_err(|e| format!("dataset/data: {e}"))?;
    let superblock = file.superblock();
    if superblock.offset_size != 8 {
        return Err(format!(
            "HDF5 offsets of {} bytes; this reader handles the usual 8",
            superblock.offset_size
        ));
    }
    let mut heap = GlobalHeap::new(file.as_bytes(), usize::from(superblock.length_size));
    raw.chunks_exact(layout.record)
        .enumerate()
        .map(|(i, record)| {
            readout(record, &layout, &mut heap).map_err(|m| format!("readout {i}: {m}"))
        })
        .collect()
}

fn readout(
    record: &[u8],
    layout: &Layout,
    heap: &mut GlobalHeap,
) -> Result<(usize, Readout), String> {
    let u16_at = |at: usize| usize::from(u16::from_le_bytes([record[at], record[at + 1]]));
    let samples = u16_at(layout.samples);
    let channels = u16_at(layout.channels);
    let (pre, post) = (u16_at(layout.discard_pre), u16_at(layout.discard_post));
    let dims = u16_at(layout.trajectory_dimensions);
    let kept = samples
        .checked_sub(pre + post)
        .ok_or_else(|| format!("discards {pre} + {post} samples of {samples}"))?;
    let trajectory = floats(
        heap,
        &record[layout.traj..layout.traj + 16],
        samples * dims,
        "traj",
    )?;
    let values = floats(
        heap,
        &record[layout.data..layout.data + 16],
        2 * samples * channels,
        "data",
    )?;
    let data = values
        .chunks_exact(2 * samples.max(1))
        .flat_map(|channel| channel[2 * pre..2 * (pre + kept)].chunks_exact(2))
        .map(|z| Complex::new(z[0], z[1]))
        .collect();
    let flags = u64::from_le_bytes(
        record[layout.flags..layout.flags + 8]
            .try_into()
            .unwrap_or_default(),
    );
    let readout = Readout {
        flags,
        encode_step_1: u16_at(layout.encode_step_1) as u16,
        samples: kept,
        trajectory_dimensions: dims,
        trajectory: trajectory[dims * pre..dims * (pre + kept)].to_vec(),
        data,
    };
    Ok((channels, readout))
}

/// The `expected` float32 values of the variable-length field whose 16-byte reference is `field`.
fn floats(
    heap: &mut GlobalHeap,
    field: &[u8],
    expected: usize,
    name: &str,
) -> Result<Vec<f32>, String> {
    let length = u32::from_le_bytes([field[0], field[1], field[2], field[3]]) as usize;
    if length != expected {
        return Err(format!(
            "{name} holds {length} values where the header implies {expected}"
        ));
    }
    if length == 0 {
        return Ok(Vec::new());
    }
    let address = u64::from_le_bytes(field[4..12].try_into().unwrap_or_default());
    let index = u32::from_le_bytes([field[12], field[13], field[14], field[15]]);
    let bytes = heap.object(address, index)?;
    if bytes.len() < 4 * length {
        return Err(format!(
            "{name}: {} bytes for {length} float32 values",
            bytes.len()
        ));
    }
    Ok(bytes[..4 * length]
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

fn layout(datatype: &Datatype) -> Result<Layout, String> {
    let Datatype::Compound { size, members } = datatype else {
        return Err("dataset/data is not a compound type (head, traj, data)".into());
    };
    let head = member(members, "head", "data")?;
    let Datatype::Compound {
        members: fields, ..
    } = &head.datatype
    else {
        return Err("data.head is not a compound type".into());
    };
    let base = head.byte_offset as usize;
    let field = |name: &str, bytes: u32| -> Result<usize, String> {
        let m = member(fields, name, "head")?;
        match &m.datatype {
            Datatype::FixedPoint { size, .. } if *size == bytes => {
                Ok(base + m.byte_offset as usize)
            }
            other => Err(format!(
                "head.{name} is {other}, expected a {bytes}-byte integer"
            )),
        }
    };
    let idx = member(fields, "idx", "head")?;
    let Datatype::Compound {
        members: counters, ..
    } = &idx.datatype
    else {
        return Err("head.idx is not a compound type".into());
    };
    let step = member(counters, "kspace_encode_step_1", "head.idx")?;
    let variable = |name: &str| -> Result<usize, String> {
        let m = member(members, name, "data")?;
        match &m.datatype {
            Datatype::VariableLength {
                is_string: false,
                base_type,
                ..
            } if matches!(**base_type, Datatype::FloatingPoint { size: 4, .. }) => {
                Ok(m.byte_offset as usize)
            }
            other => Err(format!(
                "data.{name} is {other}, expected variable-length float32"
            )),
        }
    };
    let layout = Layout {
        record: *size as usize,
        flags: field("flags", 8)?,
        samples: field("number_of_samples", 2)?,
        channels: field("active_channels", 2)?,
        discard_pre: field("discard_pre", 2)?,
        discard_post: field("discard_post", 2)?,
        trajectory_dimensions: field("trajectory_dimensions", 2)?,
        encode_step_1: base + idx.byte_offset as usize + step.byte_offset as usize,
        traj: variable("traj")?,
        data: variable("data")?,
    };
    let ends = [
        layout.flags + 8,
        layout.samples + 2,
        layout.channels + 2,
        layout.discard_pre + 2,
        layout.discard_post + 2,
        layout.trajectory_dimensions + 2,
        layout.encode_step_1 + 2,
        layout.traj + 16,
        layout.data + 16,
    ];
    match ends.iter().find(|end| **end > layout.record) {
        Some(end) => Err(format!(
            "a field ends at byte {end} of a {}-byte record",
            layout.record
        )),
        None => Ok(layout),
    }
}

fn member<'a>(
    members: &'a [CompoundMember],
    name: &str,
    of: &str,
) -> Result<&'a CompoundMember, String> {
    members
        .iter()
        .find(|m| m.name == name)
        .ok_or_else(|| format!("{of} has no member {name:?}"))
}
