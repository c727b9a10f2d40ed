//! The 192-byte scan header (`sScanHeader`, "MDH") of twix VD/VE: byte offsets as Siemens' IDEA
//! defines them and twixtools documents them.

/// Bytes of a scan header.
pub const BYTES: usize = 192;

/// Evaluation-info flag bits (`aulEvalInfoMask`, 64 bits).
pub mod flags {
    /// The end of the measurement: no data follow.
    pub const ACQEND: u64 = 1 << 0;
    /// Real-time and hardware feedback, and synchronisation data: not MR samples of the object.
    pub const RTFEEDBACK: u64 = 1 << 1;
    pub const HPFEEDBACK: u64 = 1 << 2;
    pub const SYNCDATA: u64 = 1 << 5;
    /// Phase-stabilisation reference and echo.
    pub const REFPHASESTABSCAN: u64 = 1 << 14;
    pub const PHASESTABSCAN: u64 = 1 << 15;
    /// Phase-correction navigator.
    pub const PHASCOR: u64 = 1 << 21;
    /// Parallel-imaging reference line (GRAPPA/SENSE calibration), and one that is also an image
    /// line.
    pub const PATREFSCAN: u64 = 1 << 22;
    pub const PATREFANDIMASCAN: u64 = 1 << 23;
    /// The readout was acquired backwards (EPI, bipolar gradients).
    pub const REFLECT: u64 = 1 << 24;
    /// Noise-adjustment scan: receiver noise, no signal.
    pub const NOISEADJSCAN: u64 = 1 << 25;
}

/// The fields of a scan header that reading and reconstruction use.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScanHeader {
    /// Bytes of this scan: the header, then every channel's header and samples.
    pub dma_length: usize,
    pub flags: u64,
    pub samples: usize,
    pub channels: usize,
    /// `sLC.ushLine`.
    pub line: u16,
    /// `sLC`'s partition, slice, echo, repetition and set.
    pub counters: [u16; 5],
    pub centre_column: u16,
}

impl ScanHeader {
    /// Parses the header at the start of `bytes`.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let bytes = bytes
            .get(..BYTES)
            .ok_or("the file ends inside a scan header (truncated, or no ACQEND scan)")?;
        let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
        let u32_at = |at: usize| {
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        // Bits 0–24 of the first word: the DMA length; the top bits are packing flags.
        let dma_length = (u32_at(0) & 0x01ff_ffff) as usize;
        let flags = u64::from(u32_at(40)) | (u64::from(u32_at(44)) << 32);
        let header = Self {
            dma_length,
            flags,
            samples: usize::from(u16_at(48)),
            channels: usize::from(u16_at(50)),
            // Loop counters from byte 52: line, acquisition, slice, partition, echo, phase,
            // repetition, set, ...
            line: u16_at(52),
            counters: [u16_at(58), u16_at(56), u16_at(60), u16_at(64), u16_at(66)],
            centre_column: u16_at(84),
        };
        if flags & flags::ACQEND == 0 && dma_length < BYTES {
            return Err(format!(
                "the scan header gives {dma_length} bytes for the scan, fewer than the header itself"
            ));
        }
        Ok(header)
    }

    /// `true` for a readout that images the object (as twixtools' `is_image_scan`): no feedback,
    /// synchronisation, phase-stabilisation, phase-correction or noise scan, and not a reference
    /// line unless it is also an image line.
    pub fn is_image(&self) -> bool {
        let not_imaging = flags::ACQEND
            | flags::RTFEEDBACK
            | flags::HPFEEDBACK
            | flags::SYNCDATA
            | flags::REFPHASESTABSCAN
            | flags::PHASESTABSCAN
            | flags::PHASCOR
            | flags::NOISEADJSCAN;
        let reference_only =
            self.flags & flags::PATREFSCAN != 0 && self.flags & flags::PATREFANDIMASCAN == 0;
        self.flags & not_imaging == 0 && !reference_only
    }
}
