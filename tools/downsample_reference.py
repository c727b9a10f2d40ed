"""Reference values for crates/inversa/tests/suite/physics.rs (downsample_matches_scipy).

Periodic Gaussian blur with scipy.ndimage.gaussian_filter (mode="wrap", truncate=3, so the kernel
radius is int(3*sigma + 0.5), equal to Inversa's ceil(3*sigma) for the sigmas used here), then every
factor-th pixel from 0. Run: python3 tools/downsample_reference.py
"""

import numpy as np
from scipy import ndimage

H, W = 12, 18
i, j = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")
image = np.sin(0.7 * i) * np.cos(0.3 * j + 0.5) + 0.05 * i - 0.02 * j * j / W

for factor in (2, 3):
    sigma = factor / 2
    blurred = ndimage.gaussian_filter(image, sigma, mode="wrap", truncate=3.0)
    low = blurred[::factor, ::factor]
    print(f"factor {factor}, sigma {sigma}, shape {low.shape}:")
    print(", ".join(repr(float(v)) for v in low.ravel()))
