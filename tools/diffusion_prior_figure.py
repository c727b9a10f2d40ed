#!/usr/bin/env python3
"""The README's diffusion-prior figure and table: one garment (tasks/garment.png), 70% of its pixels
missing and noise sigma = 0.05, reconstructed by TV (PDHG) and by the five diffusion samplers with the
bundled Fashion-MNIST model (50 levels, 8 posterior samples each), written to
docs/images/diffusion_priors.png.

    cargo build --release && python3 tools/diffusion_prior_figure.py

INVERSA_BIN=PATH runs another build of the binary instead (e.g. target/debug/inversa: the dev
profile is optimised too, Cargo.toml).

Needs Pillow (pip install pillow). Prints the table the README quotes (PSNR, SSIM, network calls,
seconds) and the CPU it ran on.
"""
import json
import os
import pathlib
import subprocess
import tempfile

from PIL import Image, ImageDraw

ROOT = pathlib.Path(__file__).resolve().parent.parent
BINARY = pathlib.Path(os.environ.get("INVERSA_BIN", ROOT / "target" / "release" / "inversa"))
OUT = ROOT / "docs" / "images" / "diffusion_priors.png"
ZOOM = 6

PHYSICS = """[data]
image = "{image}"
[physics]
kind = "inpaint"
missing = 0.7
noise = {{ kind = "gaussian", sigma = 0.05 }}
"""

METHODS = [
    ("tv", '[prior]\nkind = "tv"\nweight = 0.02\n[solver]\nkind = "pdhg"\niterations = 300\n'),
    ("dps", '[prior]\nkind = "diffusion"\n[solver]\nkind = "dps"\nsteps = 50\n[run]\nsamples = 8\n'),
    ("ddnm", '[prior]\nkind = "diffusion"\n[solver]\nkind = "ddnm"\nsteps = 50\n[run]\nsamples = 8\n'),
    ("dds", '[prior]\nkind = "diffusion"\n[solver]\nkind = "dds"\nsteps = 50\n[run]\nsamples = 8\n'),
    ("diffpir", '[prior]\nkind = "diffusion"\n[solver]\nkind = "diffpir"\nsteps = 50\n[run]\nsamples = 8\n'),
    ("red-diff", '[prior]\nkind = "diffusion"\n[solver]\nkind = "red-diff"\nsteps = 50\n[run]\nsamples = 8\n'),
]


def tile(path, caption):
    image = Image.open(path).convert("RGB")
    image = image.resize((image.width * ZOOM, image.height * ZOOM), Image.NEAREST)
    canvas = Image.new("RGB", (image.width, image.height + 34), "white")
    canvas.paste(image, (0, 0))
    draw = ImageDraw.Draw(canvas)
    for row, line in enumerate(caption.split("\n")):
        draw.text((3, image.height + 2 + 15 * row), line, fill="black")
    return canvas


def run(work, name, text):
    task = work / f"{name}.toml"
    task.write_text(text)
    out = work / name
    subprocess.run([str(BINARY), "run", str(task), "--out", str(out)], check=True, capture_output=True)
    return out, json.loads((out / "metrics.json").read_text())


def main():
    cpu = next(line.split(":", 1)[1].strip() for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines() if line.startswith("Model name"))
    print(f"CPU: {cpu}")
    print("| method | PSNR (dB) | SSIM | network calls | seconds |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        physics = PHYSICS.format(image=ROOT / "tasks" / "garment.png")
        tiles, spread = [], None
        for name, method in METHODS:
            out, m = run(work, name, physics + method)
            if not tiles:
                tiles.append(tile(out / "ground_truth.png", "ground truth"))
                tiles.append(tile(out / "initial.png", f"70% missing\n{m['initial']['psnr']:.2f} dB"))
            tiles.append(tile(out / "reconstruction.png", f"{name}\n{m['psnr']:.2f} dB"))
            if name == "dds":
                spread = tile(out / "std.png", "dds: std of\n8 samples")
            calls = m.get("model_calls", "–")
            print(f"| {name} | {m['psnr']:.2f} | {m['ssim']:.3f} | {calls} | {m['seconds']:.3f} |")
        tiles.append(spread)
    width = sum(t.width for t in tiles) + 4 * (len(tiles) - 1)
    figure = Image.new("RGB", (width, max(t.height for t in tiles)), "white")
    x = 0
    for t in tiles:
        figure.paste(t, (x, 0))
        x += t.width + 4
    OUT.parent.mkdir(parents=True, exist_ok=True)
    figure.save(OUT)
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
