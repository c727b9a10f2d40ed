"""An Inversa operator inside deepinv: deepinv's own adjointness check and one of its solvers.
Skipped where deepinv is not installed (CI does not install torch); run it with
``pip install deepinv && pytest crates/inversa-py/tests/test_deepinv.py``."""

import numpy as np
import pytest

import inversa

deepinv = pytest.importorskip("deepinv")
torch = pytest.importorskip("torch")


@pytest.mark.parametrize("kind, settings", [
    ("blur", {"kernel": {"kind": "gaussian", "sigma": 1.5}}),
    ("mri", {"acceleration": 2, "coils": 2}),
    ("ct", {"angles": 16}),
])
def test_deepinvs_adjointness_check_passes(kind, settings):
    A = inversa.physics.CLASSES[kind]((32, 32), seed=1, **settings)
    physics = inversa.deepinv.physics(A)
    x = torch.rand(2, 1, 32, 32)
    assert physics.A(x).shape[0] == 2
    assert abs(float(physics.adjointness_test(x))) < 1e-4


def test_deepinvs_least_squares_deblurs_an_inversa_blur():
    truth = torch.from_numpy(inversa.builtin_image("camera")[::8, ::8].copy())[None, None]
    A = inversa.physics.Blur((64, 64), kernel={"kind": "gaussian", "sigma": 1.0})
    physics = inversa.deepinv.physics(A)
    y = physics.A(truth)
    estimate = physics.A_dagger(y, solver="CG", max_iter=50, tol=1e-6)
    error_before = torch.mean((y - truth) ** 2)
    error_after = torch.mean((estimate - truth) ** 2)
    assert error_after < 0.5 * error_before
