#!/usr/bin/env python3
"""The README picture of measured raw MRI (docs/images/mri_spiral_raw.png): the Siemens spiral scan
of data/mri/spiral_8coil.h5 reconstructed from all 32 interleaves (SENSE, CG), and from every 4th
interleave without a prior (SENSE, CG) and with TV (tasks/mri_spiral_raw_tv.toml).

    cargo build -p inversa-cli && INVERSA_BIN=target/debug/inversa python3 tools/mri_raw_figure.py

The PSNRs against the full scan (and the gridding baseline's) come from
`cargo test -p inversa --test suite mri_raw -- --nocapture`. Needs Pillow.
"""
import os
import pathlib
import subprocess

from PIL import Image, ImageDraw

ROOT = pathlib.Path(__file__).resolve().parent.parent
BINARY = pathlib.Path(os.environ.get("INVERSA_BIN", ROOT / "target" / "release" / "inversa"))
RUNS = pathlib.Path("/tmp/inversa-mri-raw")
CG = '[prior]\nkind = "tikhonov"\nweight = 0.0001\n[solver]\nkind = "cg"\niterations = 30\n'
TILE = 288


def task(stride, rest):
    data = (ROOT / "data" / "mri" / "spiral_8coil.h5").as_posix()
    return f'[data]\nmeasurement = "{data}"\nreadout_stride = {stride}\n[physics]\nkind = "mri"\n{rest}'


def run(name, text):
    RUNS.mkdir(parents=True, exist_ok=True)
    path = RUNS / f"{name}.toml"
    path.write_text(text)
    out = RUNS / name
    result = subprocess.run([str(BINARY), "run", str(path), "--out", str(out)], capture_output=True, text=True, check=True)
    print(f"{name}: {result.stdout.splitlines()[0]}")
    return out / "reconstruction.png"


def tile(path, caption):
    image = Image.open(path).convert("RGB").resize((TILE, TILE), Image.NEAREST)
    canvas = Image.new("RGB", (TILE, TILE + 34), "white")
    canvas.paste(image, (0, 0))
    draw = ImageDraw.Draw(canvas)
    for row, line in enumerate(caption.split("\n")):
        draw.text((4, TILE + 2 + 15 * row), line, fill="black")
    return canvas


def main():
    tv = (ROOT / "tasks" / "mri_spiral_raw_tv.toml").read_text().split("[prior]", 1)[1]
    tiles = [
        tile(run("full_cg", task(1, CG)), "32 interleaves, SENSE (CG)\nthe reference"),
        tile(run("quarter_cg", task(4, CG)), "8 interleaves, SENSE (CG)"),
        tile(run("quarter_tv", task(4, "[prior]" + tv)), "8 interleaves, SENSE + TV\n(tasks/mri_spiral_raw_tv.toml)"),
    ]
    strip = Image.new("RGB", (sum(t.width for t in tiles) + 8 * (len(tiles) - 1), tiles[0].height), "white")
    for i, t in enumerate(tiles):
        strip.paste(t, (i * (TILE + 8), 0))
    strip.save(ROOT / "docs" / "images" / "mri_spiral_raw.png", optimize=True)


if __name__ == "__main__":
    main()
