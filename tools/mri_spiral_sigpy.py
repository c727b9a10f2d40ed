#!/usr/bin/env python3
"""The measured spiral scan (data/mri/spiral_8coil.h5) reconstructed by Inversa and by SigPy side by side
(docs/images/mri_spiral_sigpy.png, and the numbers printed for the README): SENSE of all 32 interleaves, and
SENSE + TV of every 4th, each tool with its own coil maps (Inversa's low-resolution maps; SigPy's JsenseRecon)
and its best TV weight of one grid (the data scaled alike: the full SENSE image's 99th percentile at 1), each
quarter scored against the same tool's full-scan SENSE (PSNR/SSIM inside the object after a least-squares scale,
as bench/mri_real.py).

    cargo build --release -p inversa-cli && python3 tools/mri_spiral_sigpy.py

Needs numpy, Pillow, scikit-image, `ismrmrd` and `sigpy` (all from PyPI).
"""
import os
import pathlib
import shutil
import subprocess
import sys

import numpy as np
from PIL import Image, ImageDraw

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import mri_real  # noqa: E402

BINARY = pathlib.Path(os.environ.get("INVERSA_BIN", ROOT / "target" / "release" / "inversa"))
RUNS = pathlib.Path("/tmp/inversa-mri-spiral-sigpy")
DATA = ROOT / "data" / "mri" / "spiral_8coil.h5"
ENV = dict(os.environ, RAYON_NUM_THREADS="2", OMP_NUM_THREADS="2", NUMBA_NUM_THREADS="2")
CG = '[prior]\nkind = "tikhonov"\nweight = 0.0001\n[solver]\nkind = "cg"\niterations = 30\n'
WEIGHTS = [1e-2, 3e-2, 0.1, 0.3, 1.0]
TILE = 288


def inversa(name, stride, solver):
    task = RUNS / f"{name}.toml"
    task.write_text(f'[data]\nmeasurement = "{DATA.as_posix()}"\nreadout_stride = {stride}\n[physics]\nkind = "mri"\n{solver}')
    subprocess.run([str(BINARY), "run", str(task), "--out", str(RUNS / name)], check=True, env=ENV, capture_output=True)
    return np.squeeze(np.load(RUNS / name / "reconstruction.npy"))


def spiral(stride):
    """SigPy's inputs: k-space [coils, readouts, samples], coordinates in pixels, density weights."""
    import ismrmrd
    scan = ismrmrd.Dataset(str(DATA), "dataset", create_if_needed=False)
    acquisitions = [scan.read_acquisition(i) for i in range(0, scan.number_of_acquisitions(), stride)]
    data = np.stack([a.data for a in acquisitions], axis=1)
    trajectory = np.stack([a.traj for a in acquisitions])
    # ISMRMRD's (k_x, k_y) in cycles per pixel; SigPy's coordinates are (row, column) in pixels.
    coord = np.stack([trajectory[..., 1], trajectory[..., 0]], axis=-1) * 192
    return data, coord, trajectory[..., 2]


def sigpy_runs():
    """SigPy's full-scan SENSE and its quarter TV at each weight, on data scaled as Inversa scales its own."""
    import sigpy
    import sigpy.mri
    images = {}
    for stride in (1, 4):
        data, coord, dcf = spiral(stride)
        maps = sigpy.mri.app.JsenseRecon(data, coord=coord, weights=dcf, img_shape=(192, 192), show_pbar=False).run()
        if stride == 1:
            full = sigpy.mri.app.SenseRecon(data, maps, lamda=1e-4, coord=coord, max_iter=30, show_pbar=False).run()
            scale = np.percentile(np.abs(full), 99)
            images["full"] = full / scale
            continue
        for weight in WEIGHTS:
            images[weight] = sigpy.mri.app.TotalVariationRecon(data / scale, maps, weight, coord=coord, max_iter=200,
                                                               show_pbar=False).run()
    return images, sigpy.__version__


def tile(pixels, caption):
    image = Image.fromarray((np.clip(pixels / np.percentile(pixels, 99.5), 0, 1) * 255).astype(np.uint8)).convert("RGB")
    canvas = Image.new("RGB", (TILE, TILE + 34), "white")
    canvas.paste(image.resize((TILE, TILE), Image.NEAREST), (0, 0))
    draw = ImageDraw.Draw(canvas)
    for row, line in enumerate(caption.split("\n")):
        draw.text((4, TILE + 2 + 15 * row), line, fill="black")
    return canvas


def best(reference, candidates):
    """(PSNR, SSIM, weight, image) of the candidate closest to `reference`."""
    support = mri_real.object_support(reference)
    return max((*mri_real.fitted(x, reference, support), w, x) for w, x in candidates.items())


def main():
    shutil.rmtree(RUNS, ignore_errors=True)
    RUNS.mkdir(parents=True)
    full = np.abs(inversa("full", 1, CG))
    ours = best(full, {w: inversa(f"tv_{w}", 4, f'[prior]\nkind = "tv"\nweight = {w}\n[solver]\nkind = "pdhg"\niterations = 200\n')
                       for w in WEIGHTS})
    images, version = sigpy_runs()
    theirs_full = np.abs(images.pop("full"))
    theirs = best(theirs_full, images)
    for tool, (psnr, ssim, weight, _) in [("Inversa PDHG", ours), (f"SigPy {version} TotalVariationRecon", theirs)]:
        print(f"{tool}: 8 of 32 interleaves, TV weight {weight}: {psnr:.2f} dB, SSIM {ssim:.3f} of its own full-scan SENSE")
    tiles = [tile(full, "Inversa: 32 interleaves, SENSE"), tile(np.abs(ours[3]), "Inversa: 8 interleaves, SENSE + TV"),
             tile(theirs_full, f"SigPy {version}: 32, SenseRecon"), tile(np.abs(theirs[3]), f"SigPy {version}: 8, TotalVariationRecon")]
    strip = Image.new("RGB", (sum(t.width for t in tiles) + 8 * (len(tiles) - 1), tiles[0].height), "white")
    for i, t in enumerate(tiles):
        strip.paste(t, (i * (TILE + 8), 0))
    strip.save(ROOT / "docs" / "images" / "mri_spiral_sigpy.png", optimize=True)


if __name__ == "__main__":
    main()
