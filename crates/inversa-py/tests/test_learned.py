"""The learned components from Python: a pretrained denoiser, diffusion inversion, a diffusion
sampler as the prior of an inverse problem."""

import numpy as np
import pytest

import inversa


def psnr(x, truth):
    return 10 * np.log10(1.0 / np.mean((x.astype(np.float64) - truth) ** 2))


def test_ffdnet_removes_noise(rng):
    clean = inversa.builtin_image("camera")[::4, ::4].copy()
    noisy = (clean + 0.1 * rng.standard_normal(clean.shape)).astype(np.float32)
    denoised = inversa.denoise(noisy, 0.1, model="ffdnet")
    assert denoised.shape == clean.shape and denoised.dtype == np.float32
    assert psnr(denoised, clean) > psnr(noisy, clean) + 5.0


def test_edict_inverts_a_garment_exactly():
    result = inversa.invert(method="edict", test_image=0, steps=10)
    assert result["metrics"]["reconstruction_psnr"] > 40.0
    assert result["reconstruction"].shape == (28, 28)


def test_an_unknown_inversion_method_is_a_value_error():
    with pytest.raises(ValueError, match="method"):
        inversa.invert(method="edictt", test_image=0, steps=2)


def test_ddnm_with_the_diffusion_prior_beats_the_zero_filled_measurement():
    images, labels = inversa.fashion_test_images()
    assert images.shape == (100, 28, 28) and set(labels) == set(range(10))
    truth = images[5]
    A = inversa.physics.Inpaint((28, 28), missing=0.5, seed=1)
    y = A(truth)
    estimate, info = inversa.solve(A, y, prior=inversa.priors.Diffusion(model="fashion"),
                                   solver="ddnm", steps=20, seed=0)
    assert info["model_calls"] == 20
    assert psnr(estimate, truth) > psnr(y, truth) + 3.0
