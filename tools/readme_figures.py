#!/usr/bin/env python3
"""Regenerates the README pictures: runs every task in tasks/ with the release binary and puts
ground truth | measurement | starting point | reconstruction side by side in docs/images/<task>.png.

    cargo build --release && python3 tools/readme_figures.py [TASK ...]

Runs the named tasks only when given (file stems, e.g. mri_tv); INVERSA_BIN=PATH runs another build of
the binary (e.g. target/debug/inversa: the dev profile is optimised too, Cargo.toml).

Needs Pillow (pip install pillow). Prints one summary line per task (the numbers quoted in the README).
"""
import json
import os
import pathlib
import subprocess
import sys

from PIL import Image, ImageDraw

ROOT = pathlib.Path(__file__).resolve().parent.parent
BINARY = pathlib.Path(os.environ.get("INVERSA_BIN", ROOT / "target" / "release" / "inversa"))
OUT = ROOT / "docs" / "images"
TILE = 200


def tile(path, caption):
    image = Image.open(path).convert("RGB")
    image.thumbnail((TILE, TILE))
    canvas = Image.new("RGB", (TILE, TILE + 34), "white")
    canvas.paste(image, ((TILE - image.width) // 2, (TILE - image.height) // 2))
    draw = ImageDraw.Draw(canvas)
    for row, line in enumerate(caption.split("\n")):
        draw.text((4, TILE + 2 + 15 * row), line, fill="black")
    return canvas


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    wanted = set(sys.argv[1:])
    for task in sorted((ROOT / "tasks").glob("*.toml")):
        if wanted and task.stem not in wanted:
            continue
        run = pathlib.Path("/tmp/inversa-readme") / task.stem
        result = subprocess.run([str(BINARY), "run", str(task), "--out", str(run)], capture_output=True, text=True, check=True)
        print(f"{task.stem}: {result.stdout.splitlines()[0]}")
        metrics = json.loads((run / "metrics.json").read_text())
        tiles = [tile(run / "ground_truth.png", "ground truth")]
        if (run / "measurement.png").exists():
            tiles.append(tile(run / "measurement.png", f"measurement ({metrics['physics']})"))
        tiles.append(tile(run / "initial.png", f"starting point\n{metrics['initial']['psnr']:.2f} dB"))
        tiles.append(tile(run / "reconstruction.png", f"{metrics['solver']} + {metrics['prior']}\n{metrics['psnr']:.2f} dB"))
        strip = Image.new("RGB", (sum(t.width for t in tiles) + 8 * (len(tiles) - 1), tiles[0].height), "white")
        x = 0
        for t in tiles:
            strip.paste(t, (x, 0))
            x += t.width + 8
        strip.save(OUT / f"{task.stem}.png", optimize=True)


if __name__ == "__main__":
    main()
