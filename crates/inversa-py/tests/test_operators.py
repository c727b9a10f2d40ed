"""Each physics from Python: the adjoint identity, independent references (NumPy's FFT, the
analytic Radon transform of a disc), the same measurement as a task run in Rust, and no copies."""

import numpy as np
import pytest

import inversa
from inversa import _native, physics

SHAPE = (24, 20)

# Keys that make each physics small and, where it has random parts, deterministic by seed.
SETTINGS = {
    "denoise": {},
    "blur": {"kernel": {"kind": "motion", "length": 5.0, "angle": 30.0}},
    "inpaint": {"missing": 0.4},
    "downsample": {"factor": 2},
    "cs": {"ratio": 0.3},
    "mri": {"acceleration": 2, "coils": 3},
    "ct": {"angles": 12},
}


def test_every_registered_physics_has_a_class():
    assert set(physics.kinds()) == set(physics.CLASSES) == set(SETTINGS)


@pytest.mark.parametrize("dtype, tolerance", [("float32", 2e-5), ("float64", 1e-12)])
@pytest.mark.parametrize("kind", sorted(SETTINGS))
def test_adjoint_identity(kind, dtype, tolerance, rng):
    A = physics.CLASSES[kind](SHAPE, dtype=dtype, seed=3, **SETTINGS[kind])
    x = rng.standard_normal(A.input_shape).astype(dtype)
    y = rng.standard_normal(A.output_shape)
    if A.complex:
        y = y + 1j * rng.standard_normal(A.output_shape)
    y = y.astype(A.complex_dtype if A.complex else dtype)
    Ax = A(x)
    assert Ax.shape == A.output_shape and Ax.dtype == y.dtype
    lhs = np.real(np.vdot(y.astype(np.complex128), Ax.astype(np.complex128)))
    rhs = np.vdot(A.adjoint(y).astype(np.float64), x.astype(np.float64))
    assert abs(lhs - rhs) <= tolerance * np.linalg.norm(Ax) * np.linalg.norm(y) * 10


def test_denoise_is_the_identity(rng):
    x = rng.random(SHAPE).astype(np.float32)
    np.testing.assert_array_equal(physics.Denoise(SHAPE)(x), x)


def test_blur_is_numpys_circular_convolution(tmp_path, rng):
    kernel = rng.random((3, 5))
    np.save(tmp_path / "k.npy", kernel)
    A = physics.Blur(SHAPE, dtype="float64", kernel={"kind": "file", "path": str(tmp_path / "k.npy")})
    x = rng.random(SHAPE)
    k = kernel / kernel.sum()
    expected = sum(k[a, b] * np.roll(x, (a - 1, b - 2), axis=(0, 1))
                   for a in range(3) for b in range(5))
    np.testing.assert_allclose(A(x), expected, rtol=0, atol=1e-12)


def test_inpaint_multiplies_by_its_mask(rng):
    A = physics.Inpaint(SHAPE, dtype="float64", missing=0.5, seed=1)
    mask = A(np.ones(SHAPE))
    assert set(np.unique(mask)) == {0.0, 1.0} and 0.3 < mask.mean() < 0.7
    x = rng.random(SHAPE)
    np.testing.assert_array_equal(A(x), x * mask)


def test_single_coil_mri_is_numpys_unitary_fft_on_the_kept_columns(tmp_path, rng):
    columns = (rng.random(SHAPE[1]) < 0.5).astype(np.float64)
    np.save(tmp_path / "mask.npy", columns)
    A = physics.MRI(SHAPE, dtype="float64", mask_file=str(tmp_path / "mask.npy"))
    x = rng.random(SHAPE)
    y = A(x)
    assert y.dtype == np.complex128 and y.shape == (1,) + SHAPE
    np.testing.assert_allclose(y[0], np.fft.fft2(x, norm="ortho") * columns, atol=1e-12)
    # The adjoint takes complex k-space back to a real image: Re F*(M y).
    np.testing.assert_allclose(A.adjoint(y), np.real(np.fft.ifft2(y[0] * columns, norm="ortho")),
                               atol=1e-12)


def test_ct_of_a_disc_matches_its_analytic_radon_transform():
    n, radius = 128, 40.0
    centre = (n - 1) / 2
    rows, cols = np.mgrid[0:n, 0:n]
    disc = (((rows - centre) ** 2 + (cols - centre) ** 2) <= radius ** 2).astype(np.float64)
    A = physics.CT((n, n), dtype="float64", angles=8)
    sinogram = A(disc)
    detectors = sinogram.shape[-1]
    s = np.arange(detectors) - (detectors - 1) / 2
    chord = 2 * np.sqrt(np.clip(radius ** 2 - s ** 2, 0, None))
    inside = np.abs(s) < radius - 3  # away from the pixelised edge, where the chord is steep
    for view in sinogram:
        # Every view integrates the whole disc: its pixel count.
        assert view.sum() == pytest.approx(disc.sum(), rel=1e-3)
        assert np.abs(view - chord)[inside].max() < 0.03 * chord.max()


@pytest.mark.parametrize("kind", sorted(SETTINGS))
def test_the_measurement_equals_the_task_runners(kind, tmp_path, rng):
    x = rng.random(SHAPE).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    task = {"data": {"image": str(tmp_path / "x.npy")},
            "physics": dict(SETTINGS[kind], kind=kind),
            "solver": {"kind": "cg", "iterations": 1},
            "run": {"seed": 7}}
    measured = inversa.run_task(task)["measurement"]
    A = physics.CLASSES[kind](SHAPE, seed=7, **SETTINGS[kind])
    np.testing.assert_array_equal(measured.reshape(A.output_shape), A(x))


def test_a_contiguous_float32_array_is_read_in_place(rng):
    x = rng.random(SHAPE).astype(np.float32)
    A = physics.Blur(SHAPE)
    assert A._real_input(x, A.input_shape, "x") is x
    assert _native.input_address(x) == x.ctypes.data


def test_results_own_the_buffer_rust_computed(rng):
    A = physics.Blur(SHAPE)
    y = A(rng.random(SHAPE).astype(np.float32))
    base = y
    while base.base is not None and isinstance(base.base, np.ndarray):
        base = base.base
    # Not a NumPy-allocated copy: the array's memory belongs to the Rust Vec it wraps.
    assert not base.flags.owndata
    assert type(base.base).__name__ == "PySliceContainer"


def test_other_layouts_and_dtypes_are_converted(rng):
    A = physics.Blur(SHAPE, dtype="float64")
    x = rng.random((SHAPE[1], SHAPE[0])).T  # Fortran-ordered
    np.testing.assert_allclose(A(x), A(np.ascontiguousarray(x)))
    np.testing.assert_allclose(A(x.astype(np.float32)), A(x.astype(np.float32).astype(np.float64)))


def test_norm_matches_the_power_iteration_of_numpy(rng):
    A = physics.CS((8, 8), dtype="float64", ratio=0.5, matrix="gaussian", seed=2)
    matrix = np.stack([A(e.reshape(8, 8)).ravel() for e in np.eye(64)], axis=1)
    assert A.norm(iterations=500) == pytest.approx(np.linalg.norm(matrix, 2), rel=1e-6)


def test_help_shows_the_keys():
    assert "acceleration = 4" in physics.MRI.__doc__
    assert "kernel = {" in physics.Blur.__doc__
    assert "angles = 60" in physics.CT.__doc__
    # Only its own entry, and the keys every physics shares.
    assert "acceleration" not in physics.Blur.__doc__ and "noise = {" in physics.Blur.__doc__
    assert 'model = "fashion"' in inversa.priors.Diffusion.__doc__
    assert "prox_iterations = 20" in inversa.priors.TV.__doc__
