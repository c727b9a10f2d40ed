#!/usr/bin/env python3
"""The README picture of measured Cartesian MRI (docs/images/mri_gre_twix.png): the Siemens gradient-echo
scan of data/mri/gre.dat fully sampled (the reference), then 4× undersampled (tasks/mri_gre_twix_tv.toml):
zero-filled, Inversa SENSE + TV, and `bart pics -R T` (weight 0.03, the best of bench/mri_real.py's grid)
on the same masked k-space with its own ESPIRiT maps.

    cargo build --release -p inversa-cli && python3 tools/mri_twix_figure.py

Needs numpy, Pillow and (for the fourth tile) `bart` on the PATH.
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
import mri_real  # noqa: E402  (the k-space convention and cfl helpers of the comparison)

BINARY = pathlib.Path(os.environ.get("INVERSA_BIN", ROOT / "target" / "release" / "inversa"))
RUNS = pathlib.Path("/tmp/inversa-mri-twix")
TILE = 288


def tile(pixels, caption):
    image = Image.fromarray((np.clip(pixels, 0, 1) * 255).astype(np.uint8)).convert("RGB")
    canvas = Image.new("RGB", (TILE, TILE + 34), "white")
    canvas.paste(image.resize((TILE, TILE), Image.NEAREST), (0, 0))
    draw = ImageDraw.Draw(canvas)
    for row, line in enumerate(caption.split("\n")):
        draw.text((4, TILE + 2 + 15 * row), line, fill="black")
    return canvas


def main():
    shutil.rmtree(RUNS, ignore_errors=True)
    RUNS.mkdir(parents=True)
    task = (ROOT / "tasks" / "mri_gre_twix_tv.toml").read_text()
    task = task.replace('"../data/mri/gre.dat"', f'"{(ROOT / "data/mri/gre.dat").as_posix()}"')
    (RUNS / "tv.toml").write_text(task)
    subprocess.run([str(BINARY), "run", str(RUNS / "tv.toml"), "--out", str(RUNS / "tv")], check=True)
    y = np.load(RUNS / "tv" / "measurement.npy")
    y = (y[..., 0] + 1j * y[..., 1])[0]
    truth = np.asarray(Image.open(RUNS / "tv" / "ground_truth.png").convert("L"), np.float64) / 255
    support = mri_real.object_support(truth)

    def scaled(x):
        """|x| with the least-squares scale against the reference inside the object."""
        x = np.abs(np.squeeze(x))
        return x * np.sum((x * truth)[support]) / np.sum((x * x)[support])

    zero_filled = scaled(np.sqrt((np.abs(np.fft.ifft2(y)) ** 2).sum(0)))
    ours = scaled(np.load(RUNS / "tv" / "reconstruction.npy"))
    tiles = [tile(truth, "fully sampled\nthe reference"), tile(zero_filled, "4x lines, zero-filled (RSS)"),
             tile(ours, "4x, Inversa SENSE + TV\n(tasks/mri_gre_twix_tv.toml)")]
    if shutil.which("bart"):
        mri_real.write_cfl(RUNS / "kspace", np.moveaxis(mri_real.centred(y), 0, -1)[:, :, None, :])
        run = lambda *a: subprocess.run(["bart", *map(str, a)], check=True, capture_output=True)  # noqa: E731
        run("ecalib", "-m1", "-r24", RUNS / "kspace", RUNS / "maps")
        run("pics", "-S", "-i", "100", "-R", "T:3:0:0.03", RUNS / "kspace", RUNS / "maps", RUNS / "image")
        tiles.append(tile(scaled(mri_real.read_cfl(RUNS / "image")), "4x, BART 0.8 pics -R T\n(its own ESPIRiT maps)"))
    strip = Image.new("RGB", (sum(t.width for t in tiles) + 8 * (len(tiles) - 1), tiles[0].height), "white")
    for i, t in enumerate(tiles):
        strip.paste(t, (i * (TILE + 8), 0))
    strip.save(ROOT / "docs" / "images" / "mri_gre_twix.png", optimize=True)


if __name__ == "__main__":
    main()
