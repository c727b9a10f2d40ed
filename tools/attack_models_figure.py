#!/usr/bin/env python3
"""Regenerates the README's gradient-inversion table across models and its picture with the
release binary: Inverting Gradients without and with dropout 0.5, and the Dropout Inversion
Attack, on the ConvNet, the ResNet and the trained digit recogniser, one bundled MNIST digit
(seed 0), 500 iterations each.

    cargo build --release && python3 tools/attack_models_figure.py [--work /tmp/inversa-attack-models]

Runs whose metrics.json already exists under --work are reused. Writes
docs/images/attack_models.png (per model: original, then the three reconstructions) and prints
the Markdown table. Needs numpy and Pillow.
"""
import argparse
import json
import pathlib
import subprocess

import numpy as np
from PIL import Image, ImageDraw

ROOT = pathlib.Path(__file__).resolve().parent.parent
BINARY = ROOT / "target" / "release" / "inversa"
MODELS = ["convnet", "resnet", "digit-recognizer"]
RUNS = [("ig", "0"), ("ig", "0.5"), ("dia", "0.5")]
ZOOM = 3
GAP = 4
LABEL_WIDTH = 120


def run(work, model, method, dropout):
    out = work / f"{model}-{method}-{dropout}"
    if not (out / "metrics.json").exists():
        subprocess.run([str(BINARY), "attack", "gradient", "--model", model, "--method", method,
                        "--dropout", dropout, "--data", "mnist", "--batch", "1", "--iterations", "500",
                        "--seed", "0", "--out", str(out)], check=True, capture_output=True)
    metrics = json.loads((out / "metrics.json").read_text())
    picture = np.asarray(Image.open(out / "reconstruction.png").convert("L"))
    half = (picture.shape[1] - 2) // 2
    return metrics, picture[:, :half], picture[:, half + 2:]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", default="/tmp/inversa-attack-models")
    args = parser.parse_args()
    work = pathlib.Path(args.work)
    print("| model | IG, no dropout | IG, dropout 0.5 | DIA, dropout 0.5 |")
    print("|---|---|---|---|")
    rows = []
    for model in MODELS:
        cells, tiles = [], []
        for method, dropout in RUNS:
            metrics, original, rebuilt = run(work, model, method, dropout)
            cells.append(f"{metrics['psnr']:.2f} dB / SSIM {metrics['ssim']:.3f}")
            if not tiles:
                tiles.append(original)
            tiles.append(rebuilt)
        print(f"| {model} | " + " | ".join(cells) + " |")
        rows.append((model, tiles))
    side = rows[0][1][0].shape[0] * ZOOM
    width = LABEL_WIDTH + 4 * (side + GAP)
    figure = Image.new("L", (width, len(rows) * (side + GAP) + 20), 255)
    draw = ImageDraw.Draw(figure)
    for c, title in enumerate(["original", "IG", "IG, dropout", "DIA, dropout"]):
        draw.text((LABEL_WIDTH + c * (side + GAP), 2), title, fill=0)
    for r, (model, tiles) in enumerate(rows):
        top = 20 + r * (side + GAP)
        draw.text((4, top + side // 2), model, fill=0)
        for c, tile in enumerate(tiles):
            image = Image.fromarray(tile).resize((side, side), Image.NEAREST)
            figure.paste(image, (LABEL_WIDTH + c * (side + GAP), top))
    target = ROOT / "docs" / "images" / "attack_models.png"
    figure.save(target)
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
