"""Reference PSNR / SSIM / NMSE values for `crates/inversa/src/metrics.rs` tests.

Run from the repository root:  python3 tools/metrics_reference.py
Prints one line per case; the Rust tests rebuild the same arrays (formulas below, or a crop of
data/camera.png) and compare against the printed numbers.

SSIM follows scikit-image's Gaussian-window convention (Wang et al. 2004):
structural_similarity(x, ref, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
data_range=R, channel_axis=0). NMSE = ||x - ref||^2 / ||ref||^2 is taken from scikit-image's
normalized_root_mse(ref, x, normalization="euclidean") squared.
"""

import numpy as np
import skimage
from skimage.io import imread
from skimage.metrics import (
    normalized_root_mse,
    peak_signal_noise_ratio,
    structural_similarity,
)


def wave(c, h, w):
    """x[k, i, j] = 0.5 + 0.4 sin(0.3 i + 0.2 (k + 1) j + 0.7 k)."""
    k, i, j = np.meshgrid(np.arange(c), np.arange(h), np.arange(w), indexing="ij")
    return 0.5 + 0.4 * np.sin(0.3 * i + 0.2 * (k + 1) * j + 0.7 * k)


def ripple(c, h, w):
    """y[k, i, j] = 0.5 + 0.3 cos(0.17 i j + k) + 0.1 sin(1.3 i - 0.4 j)."""
    k, i, j = np.meshgrid(np.arange(c), np.arange(h), np.arange(w), indexing="ij")
    return 0.5 + 0.3 * np.cos(0.17 * i * j + k) + 0.1 * np.sin(1.3 * i - 0.4 * j)


def perturbation(h, w):
    """p[i, j] = 0.08 sin(0.7 i + 1.3 j) + 0.03 cos(2.1 i j)."""
    i, j = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    return 0.08 * np.sin(0.7 * i + 1.3 * j) + 0.03 * np.cos(2.1 * i * j)


def report(name, x, ref, data_range):
    psnr = peak_signal_noise_ratio(ref, x, data_range=data_range)
    ssim = structural_similarity(
        x,
        ref,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        data_range=data_range,
        channel_axis=0,
    )
    nmse = normalized_root_mse(ref, x, normalization="euclidean") ** 2
    print(f"{name}: psnr = {psnr:.12f}, ssim = {ssim:.12f}, nmse = {nmse:.12e}")


def main():
    print(f"scikit-image {skimage.__version__}, numpy {np.__version__}")
    # Grey, non-square, range 1: x = wave + 0.2 (ripple - 0.5) against wave.
    w, r = wave(1, 23, 31), ripple(1, 23, 31)
    report("wave+ripple vs wave grey 1x23x31 range 1", w + 0.2 * (r - 0.5), w, 1.0)
    # Three channels, non-square, range 2.
    w, r = wave(3, 17, 29), ripple(3, 17, 29)
    report("wave+ripple vs wave rgb 3x17x29 range 2", w + 0.2 * (r - 0.5), w, 2.0)
    # Exactly the window size (11x11): only the centre pixel of the SSIM map survives the crop.
    report("wave_vs_ripple grey 1x11x11 range 1", wave(1, 11, 11), ripple(1, 11, 11), 1.0)

    camera = imread("data/camera.png").astype(np.float64) / 255.0
    crop = camera[100:164, 200:264][None]
    noisy = crop + perturbation(64, 64)[None]
    report("camera 64x64 crop [100:164, 200:264] + perturbation range 1", noisy, crop, 1.0)
    # The same crop in 0..255 units, non-square 48x80, against a coarser perturbation.
    wide = camera[300:348, 150:230][None] * 255.0
    shifted = wide + 255.0 * perturbation(48, 80)[None] * 1.5
    report("camera 48x80 crop [300:348, 150:230] x255 + 1.5*255*perturbation range 255", shifted, wide, 255.0)


if __name__ == "__main__":
    main()
