"""Peer numbers for Inversa's CT (`crates/inversa/src/operators/ct.rs`): scikit-image's `radon` and
`iradon` on the same modified Shepp-Logan phantom, measured the way `crates/inversa/tests/suite/ct.rs`
measures Inversa, so the two can be compared side by side.

- Projector error: relative L2 distance between `radon` of the 256x256 phantom (8x8 supersampled)
  at 180 angles and the closed-form projections of the ellipses, evaluated at scikit-image's own
  detector positions (its rotation centre is pixel N//2, half a pixel off Inversa's (N-1)/2).
- FBP PSNR (data range 1) of `iradon` (ramp filter, linear interpolation) of `radon`'s sinogram
  against the 4x4 supersampled phantom, at 60, 90 and 180 angles.
- Wall time of one `radon` of the 256x256 phantom at 60 angles.

Usage: python3 tools/ct_reference.py   (needs numpy and scikit-image; tests never run it)
"""

import time

import numpy as np
from skimage.transform import iradon, radon

# Modified Shepp-Logan (Toft): density, semi_x, semi_y, centre_x, centre_y, angle in degrees.
ELLIPSES = [
    (1.0, 0.69, 0.92, 0.0, 0.0, 0.0),
    (-0.8, 0.6624, 0.874, 0.0, -0.0184, 0.0),
    (-0.2, 0.11, 0.31, 0.22, 0.0, -18.0),
    (-0.2, 0.16, 0.41, -0.22, 0.0, 18.0),
    (0.1, 0.21, 0.25, 0.0, 0.35, 0.0),
    (0.1, 0.046, 0.046, 0.0, 0.1, 0.0),
    (0.1, 0.046, 0.046, 0.0, -0.1, 0.0),
    (0.1, 0.046, 0.023, -0.08, -0.605, 0.0),
    (0.1, 0.023, 0.023, 0.0, -0.606, 0.0),
    (0.1, 0.023, 0.046, 0.06, -0.605, 0.0),
]


def rasterize(n, s):
    """n x n phantom, row 0 on top, pixel (i, j) at x = j - (n-1)/2, y = (n-1)/2 - i pixels."""
    offsets = (np.arange(s) + 0.5) / s - 0.5
    centres = np.arange(n) - (n - 1) / 2
    xs = (centres[None, :, None, None] + offsets[None, None, None, :]) / (n / 2)
    ys = (-centres[:, None, None, None] - offsets[None, None, :, None]) / (n / 2)
    xs, ys = np.broadcast_arrays(xs, ys)
    image = np.zeros(xs.shape)
    for rho, a, b, x0, y0, phi in ELLIPSES:
        c, si = np.cos(np.radians(phi)), np.sin(np.radians(phi))
        u = (xs - x0) * c + (ys - y0) * si
        v = -(xs - x0) * si + (ys - y0) * c
        image += rho * ((u / a) ** 2 + (v / b) ** 2 <= 1.0)
    return image.mean(axis=(2, 3))


def analytic(n, s_pixels, theta):
    """Closed-form projection (Kak & Slaney eq. 3.6) at s (pixels) and theta (radians)."""
    unit = n / 2
    s = s_pixels / unit
    total = np.zeros(np.broadcast(s, theta).shape)
    for rho, a, b, x0, y0, phi in ELLIPSES:
        t = s - (x0 * np.cos(theta) + y0 * np.sin(theta))
        m2 = (a * np.cos(theta - np.radians(phi))) ** 2 + (b * np.sin(theta - np.radians(phi))) ** 2
        inside = t * t < m2
        total += np.where(inside, 2 * rho * a * b * np.sqrt(np.where(inside, m2 - t * t, 0)) / m2, 0)
    return unit * total


def skimage_detector_positions(n, theta):
    """Positions s (in Inversa's coordinates) of radon's detector rows for a square n x n image."""
    diagonal = np.sqrt(2) * n
    padded = n + int(np.ceil(diagonal - n))
    centre = padded // 2
    rows = np.arange(padded) - centre
    # radon rotates about pixel n//2, which sits at x = n//2 - (n-1)/2, y = (n-1)/2 - n//2.
    shift = n // 2 - (n - 1) / 2
    return rows[:, None] + shift * (np.cos(theta) - np.sin(theta))[None, :]


def psnr(a, b):
    return 10 * np.log10(1.0 / np.mean((a - b) ** 2))


def main():
    n = 256
    fine = rasterize(n, 8)
    degrees = np.arange(180.0)  # 1-degree steps over [0, 180), Inversa's θ_k = kπ/180
    theta = np.radians(degrees)
    sinogram = radon(fine, theta=degrees, circle=False)
    exact = analytic(n, skimage_detector_positions(n, theta), theta[None, :])
    error = np.linalg.norm(sinogram - exact) / np.linalg.norm(exact)
    print(f"radon vs closed form, N={n}, 180 angles: relative L2 {error:.3e}")

    phantom = rasterize(n, 4)
    for angles in (60, 90, 180):
        degrees = np.arange(angles) * 180.0 / angles
        reconstruction = iradon(radon(phantom, theta=degrees, circle=False), theta=degrees,
                                output_size=n, filter_name="ramp", circle=False)
        print(f"iradon (ramp) PSNR, {angles} angles: {psnr(reconstruction, phantom):.2f} dB")

    degrees = np.arange(60) * 3.0
    start = time.perf_counter()
    radon(phantom, theta=degrees, circle=False)
    print(f"radon 256x256, 60 angles: {1e3 * (time.perf_counter() - start):.1f} ms")


if __name__ == "__main__":
    main()
