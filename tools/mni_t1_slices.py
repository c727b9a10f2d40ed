"""Writes data/brain/mni152_t1_{train,test}.npy: 2-D slices of the MNI152 T1 template for the learned MRI models.

Source: the nilearn 0.14.1 wheel (BSD-3-Clause), which ships the ICBM 2009a nonlinear symmetric T1 template
(`nilearn/datasets/data/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz`, 1 mm, uint8). Usage:
`pip download nilearn==0.14.1 --no-deps`, unzip the wheel, then
`python3 tools/mni_t1_slices.py DIR/nilearn/datasets/data data/brain`.

Every slice is 96x96 cells of 2x2 mm (the mean of four voxels), so 192 mm on a side:
- train: coronal slices y = -100, -96, ..., +64 mm (rows from superior to inferior, z in [-84, 108) mm) and axial
  slices z = -40, -36, ..., +36 mm (rows from anterior to posterior, y in [-112, 80) mm); columns by increasing
  x in [-96, 96) mm;
- test: axial slices z = +44, +48, ..., +72 mm, a part of the brain no training slice crosses in that orientation
  (the coronal training slices do cross it, at other angles: stated wherever the test numbers are quoted).
The output is |u1 of shape (N, 96, 96), the template's values unchanged (0..255). Standard library only.
"""

import os
import sys

from mni_slice import read_nifti, write_npy_u8  # the NIfTI-1 reader and .npy writer of the GM/WM slice

SIDE, BLOCK = 96, 2


def voxel(volume, point_mm):
    data, (nx, ny, nz), origin = volume
    i, j, k = (int(p - o) for p, o in zip(point_mm, origin))
    if 0 <= i < nx and 0 <= j < ny and 0 <= k < nz:
        return data[i + nx * (j + ny * k)]
    return 0


def block_slice(volume, point_of):
    """96x96 block means; point_of(row, col, dr, dc) gives the voxel's (x, y, z) in mm."""
    out = []
    for row in range(SIDE):
        for col in range(SIDE):
            total = sum(voxel(volume, point_of(row, col, dr, dc)) for dr in range(BLOCK) for dc in range(BLOCK))
            out.append(round(total / BLOCK**2))
    return bytes(out)


def axial(volume, z):
    # Row 0 is the most anterior block (largest y).
    return block_slice(volume, lambda r, c, dr, dc: (-96 + BLOCK * c + dc, -112 + BLOCK * (SIDE - 1 - r) + dr, z))


def coronal(volume, y):
    # Row 0 is the most superior block (largest z).
    return block_slice(volume, lambda r, c, dr, dc: (-96 + BLOCK * c + dc, y, -84 + BLOCK * (SIDE - 1 - r) + dr))


def main():
    folder, out = sys.argv[1], sys.argv[2]
    volume = read_nifti(f"{folder}/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz")
    train = [coronal(volume, y) for y in range(-100, 65, 4)] + [axial(volume, z) for z in range(-40, 37, 4)]
    test = [axial(volume, z) for z in range(44, 73, 4)]
    write_npy_u8(os.path.join(out, "mni152_t1_train.npy"), (len(train), SIDE, SIDE), b"".join(train))
    write_npy_u8(os.path.join(out, "mni152_t1_test.npy"), (len(test), SIDE, SIDE), b"".join(test))


if __name__ == "__main__":
    main()
