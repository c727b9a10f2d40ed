"""Builds the folder of training images for `inversa train denoiser` from the scikit-image wheel.

    python3 tools/training_images.py /work/train-images

Every image below is a natural photograph or micrograph that scikit-image's own docstrings mark as
CC0 or public domain (scikit-image 0.26.0, `skimage/data/_fetchers.py`). PNGs are copied unchanged;
JPEGs are decoded and written as PNG (the trainer reads PNG only). The trainer converts RGB to
luminance itself.

Left out:
- camera, chelsea, brick: held out; they are the plug-and-play test images and the validation set
  (`data/camera.png`, `data/chelsea.png`, `data/brick.png` in this repository);
- moon, page, motorcycle_left/right: their docstrings state no licence;
- chessboard_GRAY/RGB, color, logo, horse, phantom: synthetic drawings or silhouettes, not the
  natural-image statistics a denoiser should learn;
- clock_motion: real motion blur, whose blur a denoiser should not learn as "clean".
"""

import os
import shutil
import sys

import skimage
from PIL import Image

TRAINING = [
    "astronaut.png",
    "cell.png",
    "coffee.png",
    "coins.png",
    "grass.png",
    "gravel.png",
    "hubble_deep_field.jpg",
    "ihc.png",
    "microaneurysms.png",
    "retina.jpg",
    "rocket.jpg",
    "text.png",
]
HELD_OUT = ["camera.png", "chelsea.png", "brick.png"]


def main(target):
    source = os.path.join(os.path.dirname(skimage.__file__), "data")
    os.makedirs(target, exist_ok=True)
    for name in TRAINING:
        assert name not in HELD_OUT
        stem, ext = os.path.splitext(name)
        out = os.path.join(target, stem + ".png")
        if ext == ".png":
            shutil.copyfile(os.path.join(source, name), out)
        else:
            Image.open(os.path.join(source, name)).convert("RGB").save(out)
        print(out)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: training_images.py TARGET_FOLDER")
    main(sys.argv[1])
