#!/usr/bin/env python3
"""RED-Diff's lambda on every core physics of the diffusion-priors experiment: mean PSNR (± s.e.) of
the clipped estimate of the first N bundled Fashion-MNIST test images, 1,000 network calls, Gaussian
noise sigma, for each lambda asked. The table at the top of
crates/inversa-learn/src/diffusion/posterior/red_diff.rs came from this (N = 4, sigma = 0.05 and
0.01 / 0.2 on blur and CT).

    python3 tools/red_diff_lambda_sweep.py '{"deblur": [0.0625, 0.25, 1]}' [N [STEPS [SIGMA]]]

Needs the Python package (`pip install ./crates/inversa-py`).
"""
import json
import sys
import time

import numpy as np
import inversa

P = inversa.physics
S = (28, 28)
OPERATORS = {
    "inpaint-random": lambda: P.LinearOperator(S, dtype="float64", kind="inpaint", missing=0.5),
    "inpaint-box": lambda: P.LinearOperator(S, dtype="float64", kind="inpaint", box=[14, 14]),
    "sr-x2": lambda: P.LinearOperator(S, dtype="float64", kind="downsample", factor=2),
    "sr-x4": lambda: P.LinearOperator(S, dtype="float64", kind="downsample", factor=4),
    "deblur": lambda: P.LinearOperator(S, dtype="float64", kind="blur",
                                       kernel={"kind": "gaussian", "sigma": 1.0}),
    "cs-25": lambda: P.LinearOperator(S, dtype="float64", kind="cs", ratio=0.25),
    "mri-4x": lambda: P.LinearOperator(S, dtype="float64", kind="mri", acceleration=4),
    "ct-sparse": lambda: P.LinearOperator(S, dtype="float64", kind="ct", angles=12),
}


def measurements(operator, images, sigma):
    rng = np.random.default_rng(1)
    out = []
    for image in images:
        y = np.asarray(operator(image.astype(np.float64)))
        noise = rng.standard_normal(y.shape)
        if np.iscomplexobj(y):
            noise = noise + 1j * rng.standard_normal(y.shape)
        out.append(y + sigma * noise)
    return out


def main():
    plan = json.loads(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    steps = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    sigma = float(sys.argv[4]) if len(sys.argv) > 4 else 0.05
    images = inversa.fashion_test_images()[0][:n]
    prior = {"kind": "diffusion", "model": "fashion"}
    for name, lambdas in plan.items():
        operator = OPERATORS[name]()
        ys = measurements(operator, images, sigma)
        for lam in lambdas:
            start, psnrs = time.time(), []
            for i, (image, y) in enumerate(zip(images, ys)):
                x, _ = inversa.solve(operator, y, prior=prior, solver="red-diff", steps=steps,
                                     noise_sigma=sigma, seed=i, **{"lambda": lam})
                mse = np.mean((np.clip(x, 0, 1) - image) ** 2)
                psnrs.append(10 * np.log10(1 / mse))
            error = np.std(psnrs) / np.sqrt(n)
            print(f"{name:15s} sigma={sigma} lambda={lam:<7g} psnr={np.mean(psnrs):6.2f} ± {error:.2f}"
                  f"  ({time.time() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
