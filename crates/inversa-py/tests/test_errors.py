"""Bad arguments raise the Python exception a user expects, with the CLI's message naming the key."""

import numpy as np
import pytest

import inversa
from inversa import physics


def test_a_key_nothing_reads_is_a_key_error():
    with pytest.raises(KeyError, match=r"physics.kernell: unknown key; accepted keys here: kernel"):
        physics.Blur((16, 16), kernell={"kind": "gaussian"})


def test_a_bad_value_names_its_key():
    with pytest.raises(ValueError, match=r"physics.angles"):
        physics.CT((16, 16), angles=0)
    with pytest.raises(ValueError, match=r"physics.kernel.sigma"):
        physics.Blur((16, 16), kernel={"kind": "gaussian", "sigma": "wide"})


def test_an_unknown_physics_lists_the_registered_ones():
    with pytest.raises(ValueError, match=r"physics.kind: expected one of denoise, blur"):
        physics.LinearOperator((8, 8), kind="blurr")


def test_a_shape_that_cannot_fit_in_memory_is_refused_before_allocating():
    with pytest.raises(ValueError, match=r"shape: needs .* of memory"):
        physics.Denoise((10**7, 10**7))


def test_an_array_of_the_wrong_shape_is_refused():
    A = physics.Blur((16, 16))
    with pytest.raises(ValueError, match=r"x: expected shape \(16, 16\), found \(16, 15\)"):
        A(np.zeros((16, 15), dtype=np.float32))
    with pytest.raises(ValueError, match=r"x: expected a real array"):
        A(np.zeros((16, 16), dtype=np.complex64))


def test_a_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.toml"):
        inversa.run_task(tmp_path / "nope.toml")
    with pytest.raises(FileNotFoundError, match="missing.npy"):
        physics.Blur((8, 8), kernel={"kind": "file", "path": str(tmp_path / "missing.npy")})


def test_a_sampler_needs_its_generative_prior():
    A = physics.Inpaint((28, 28), missing=0.5)
    y = np.zeros(A.output_shape, dtype=np.float32)
    with pytest.raises(ValueError, match=r"prior.kind: solver dps needs kind = \"diffusion\""):
        inversa.solve(A, y, prior=inversa.priors.TV(weight=0.1), solver="dps")


def test_an_unknown_solver_key_names_the_solver_table():
    A = physics.Blur((16, 16))
    with pytest.raises(KeyError, match=r"solver.iteratons: unknown key"):
        inversa.solve(A, np.zeros((16, 16), dtype=np.float32), solver="pdhg", iteratons=3)


def test_a_task_dict_with_a_typo_names_the_key():
    with pytest.raises(KeyError, match=r"physics.kernell"):
        inversa.run_task({"data": {"image": "builtin:camera"},
                          "physics": {"kind": "blur", "kernell": {}},
                          "solver": {"kind": "cg"}})
