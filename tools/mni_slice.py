"""Writes data/brain/mni152_slice.npy: one axial slice of the MNI152 grey- and white-matter templates.

Source: the nilearn wheel (BSD-3-Clause), which ships the ICBM 2009a nonlinear symmetric templates
(`nilearn/datasets/data/mni_icbm152_{gm,wm}_tal_nlin_sym_09a_converted.nii.gz`, 1 mm, uint8
probabilities). Usage: `pip download nilearn --no-deps`, unzip the wheel, then
`python3 tools/mni_slice.py DIR/nilearn/datasets/data data/brain/mni152_slice.npy`.

The slice is MNI z = +20 mm, x in [-96, 96) mm, y in [-112, 80) mm, averaged over 2x2 mm blocks
into a 96x96 grid (rows from anterior to posterior, columns by increasing x). The output is |u1, shape (2, 96, 96): [grey, white] probability x 255.
Only the standard library is used (the NIfTI-1 header is read by hand), so no numpy is needed.
"""

import gzip
import struct
import sys

Z_MM, X0_MM, Y0_MM, SIDE, BLOCK = 20, -96, -112, 96, 2


def read_nifti(path):
    raw = gzip.open(path).read()
    dims = struct.unpack("<8h", raw[40:56])
    datatype = struct.unpack("<h", raw[70:72])[0]
    offset = int(struct.unpack("<f", raw[108:112])[0])
    srow = struct.unpack("<12f", raw[280:328])
    assert dims[0] == 3 and datatype == 2, "expected a 3-D uint8 volume"
    assert srow[0] == 1.0 and srow[5] == 1.0 and srow[10] == 1.0, "expected 1 mm axis-aligned voxels"
    return raw[offset:], dims[1:4], (srow[3], srow[7], srow[11])


def slice_blocks(path):
    data, (nx, ny, nz), (ox, oy, oz) = read_nifti(path)
    k = int(Z_MM - oz)
    out = []
    for row in range(SIDE):
        # Row 0 is the most anterior block (largest y).
        y_mm = Y0_MM + BLOCK * (SIDE - 1 - row)
        for col in range(SIDE):
            x_mm = X0_MM + BLOCK * col
            total = 0
            for dy in range(BLOCK):
                for dx in range(BLOCK):
                    i, j = int(x_mm + dx - ox), int(y_mm + dy - oy)
                    if 0 <= i < nx and 0 <= j < ny:
                        total += data[i + nx * (j + ny * k)]
            out.append(round(total / BLOCK**2))
    return bytes(out)


def write_npy_u8(path, shape, body):
    header = "{'descr': '|u1', 'fortran_order': False, 'shape': %s, }" % (tuple(shape),)
    pad = 64 - (10 + len(header) + 1) % 64
    header = header + " " * pad + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + body)


def main():
    folder, out = sys.argv[1], sys.argv[2]
    grey = slice_blocks(f"{folder}/mni_icbm152_gm_tal_nlin_sym_09a_converted.nii.gz")
    white = slice_blocks(f"{folder}/mni_icbm152_wm_tal_nlin_sym_09a_converted.nii.gz")
    write_npy_u8(out, (2, SIDE, SIDE), grey + white)


if __name__ == "__main__":
    main()
