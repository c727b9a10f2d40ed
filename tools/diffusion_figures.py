#!/usr/bin/env python3
"""Regenerates the README's diffusion pictures and tables with the release binary:

- docs/images/fashion_samples.png: 8 samples of each Fashion-MNIST class from the bundled UNet;
- docs/images/diffusion_editing.png: sources, then per method the reconstruction and the edit
  (`inversa experiment editing`), with the method names written beside the rows;
- the editing and reconstruction tables, printed as Markdown.

    cargo build --release && python3 tools/diffusion_figures.py [--images 6] [--only samples,diffusion,flow,guidance]

Each part keeps its run under /tmp/inversa-diffusion, so the figure can be assembled after the parts
ran separately (the editing figure needs the diffusion and flow parts).

Needs numpy and Pillow.
"""
import argparse
import json
import pathlib
import subprocess

import numpy as np
from PIL import Image, ImageDraw

ROOT = pathlib.Path(__file__).resolve().parent.parent
BINARY = ROOT / "target" / "release" / "inversa"
OUT = ROOT / "docs" / "images"
WORK = pathlib.Path("/tmp/inversa-diffusion")
CLASSES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"]
ZOOM = 2


def run(*args):
    result = subprocess.run([str(BINARY), *args], capture_output=True, text=True, check=True)
    return result.stdout


def samples_figure(count):
    rows = []
    for c in range(10):
        out = WORK / f"samples-{c}"
        run("sample", "--class", str(c), "--count", str(count), "--steps", "50", "--guidance", "3",
            "--seed", str(c), "--out", str(out))
        images = np.load(out / "samples.npy").clip(0, 1)
        rows.append(np.concatenate([np.pad(im, 1, constant_values=1) for im in images], axis=1))
    grid = (np.concatenate(rows, axis=0) * 255).astype(np.uint8)
    picture = Image.fromarray(grid).resize((grid.shape[1] * ZOOM, grid.shape[0] * ZOOM), Image.NEAREST)
    labelled = Image.new("L", (picture.width + 70, picture.height), 255)
    labelled.paste(picture, (70, 0))
    draw = ImageDraw.Draw(labelled)
    for c, name in enumerate(CLASSES):
        draw.text((4, c * 34 * ZOOM + 28), name, fill=0)
    labelled.save(OUT / "fashion_samples.png")


def editing(images, guidance, methods, steps, name):
    run("experiment", "editing", "--images", str(images), "--steps", str(steps),
        "--guidance", str(guidance), "--methods", ",".join(methods), "--out", str(WORK / name))


def editing_figure(directories, names):
    """Stacks the experiments' grids (the first one's source row kept) with row labels."""
    grids = [Image.open(d / "editing.png") for d in directories]
    row = 28 * 2 + 4  # the binary's cell (28 px at zoom 2) plus its gap
    parts = [grids[0]] + [g.crop((0, row, g.width, g.height)) for g in grids[1:]]
    width = max(p.width for p in parts)
    height = sum(p.height for p in parts) + 4 * (len(parts) - 1)
    canvas = Image.new("L", (width + 80, height), 255)
    y = 0
    for p in parts:
        canvas.paste(p.convert("L"), (80, y))
        y += p.height + 4
    draw = ImageDraw.Draw(canvas)
    for r, label in enumerate(["source"] + names):
        draw.text((4, r * row + 24), label, fill=0)
    canvas.save(OUT / "diffusion_editing.png")


def table(metrics):
    for m in metrics["methods"]:
        print(f"| {m['method']} | {m['reconstruction_psnr_mean']:.2f} dB | {m['reconstruction_max_abs_error']:.1e} | "
              f"{100 * m['target_accuracy']:.0f}% | {m['target_probability_mean']:.2f} | {m['ssim_to_source_mean']:.3f} | "
              f"{m['seconds_per_image']:.1f} | {m['model_calls_per_image']:.0f} |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=6)
    parser.add_argument("--only", default="samples,diffusion,flow,guidance")
    args = parser.parse_args()
    parts = args.only.split(",")
    OUT.mkdir(parents=True, exist_ok=True)
    WORK.mkdir(parents=True, exist_ok=True)
    diffusion = ["ddim", "edict", "bdia", "null-text", "spdinv", "ddcm"]
    if "samples" in parts:
        samples_figure(8)
    if "diffusion" in parts:
        editing(args.images, 3, diffusion, 50, "diffusion")
    if "flow" in parts:
        # Equal model calls: RF-Solver takes two per step.
        editing(args.images, 3, ["euler"], 50, "euler")
        editing(args.images, 3, ["rf-solver"], 25, "rf-solver")
    if "guidance" in parts:
        editing(args.images, 1, ["ddim"], 50, "guidance-1")
        editing(args.images, 7.5, ["ddim", "null-text"], 50, "guidance-7.5")
    print("| method | reconstruction PSNR | worst error | target accuracy | target probability | SSIM to source | s / image | calls / image |")
    print("|---|---|---|---|---|---|---|---|")
    for name in ["diffusion", "euler", "rf-solver", "guidance-1", "guidance-7.5"]:
        metrics = WORK / name / "metrics.json"
        if metrics.exists():
            print(f"{name} (guidance {json.loads(metrics.read_text())['guidance']}):")
            table(json.loads(metrics.read_text()))
    runs = [WORK / n for n in ("diffusion", "euler", "rf-solver")]
    if all((r / "editing.png").exists() for r in runs):
        editing_figure(runs, diffusion + ["euler (rf)", "rf-solver (rf)"])


if __name__ == "__main__":
    main()
