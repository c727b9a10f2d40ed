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


def test_an_array_inverts_as_the_bundled_image_it_holds():
    images, labels = inversa.fashion_test_images()
    given = inversa.invert(images[3], method="edict", label=labels[3], steps=10)
    bundled = inversa.invert(method="edict", test_image=3, steps=10)
    assert given["metrics"]["image"] == "the given image"
    assert given["metrics"]["reconstruction_psnr"] > 40.0
    # The same pixels (to float32's rounding of k/255): the same exactness of the round trip.
    assert abs(given["metrics"]["reconstruction_psnr"] - bundled["metrics"]["reconstruction_psnr"]) < 1.0
    assert psnr(given["reconstruction"], images[3]) > 40.0


def test_a_bad_image_array_is_named():
    with pytest.raises(ValueError, match=r"image: expected 28×28 pixels"):
        inversa.invert(np.zeros((32, 32)), label=0)
    with pytest.raises(ValueError, match=r"image pixels are values in \[0, 1\]; found 2"):
        inversa.invert(np.full((28, 28), 2.0), label=0, steps=2)
    with pytest.raises(ValueError, match="image pixels are values in"):
        inversa.invert(np.full((28, 28), np.nan), label=0, steps=2)



def test_the_native_layer_refuses_what_is_neither_index_path_nor_array():
    # The Python wrapper normalises its input; the native half must still refuse a bool (an int to
    # Python, which would otherwise mean test image 1) and name the three forms it takes.
    for bad in (True, 3.0, [0.5] * 784):
        with pytest.raises(ValueError, match="image: expected a bundled test image's index, a PNG's path or a NumPy array"):
            inversa._native.invert(bad, steps=2)

def test_an_edit_reports_the_classifier_view_of_the_class_it_aimed_at():
    result = inversa.edit(test_image=0, target_class=7, method="ddcm", steps=10)
    metrics = result["metrics"]
    assert (metrics["source_class"], metrics["target_class"]) == (9, 7)
    assert result["edit"].shape == (28, 28)
    assert metrics["class_probabilities"][7] == metrics["target_class_probability"]


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
