"""`inversa.solve` and `inversa.run_task`: the CLI's reconstruction from Python, callbacks, and
reconstructions that run in parallel Python threads because every computing call releases the GIL."""

import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import inversa

TASK = {
    "data": {"image": "builtin:camera", "downscale": 2},
    "physics": {"kind": "blur", "kernel": {"kind": "gaussian", "sigma": 2.0},
                "noise": {"kind": "gaussian", "sigma": 0.01}},
    "prior": {"kind": "tv", "weight": 0.001},
    "solver": {"kind": "pdhg", "iterations": 100},
}


def psnr(x, truth):
    return 10 * np.log10(1.0 / np.mean((x.astype(np.float64) - truth) ** 2))


@pytest.fixture(scope="module")
def task_result():
    return inversa.run_task(TASK)


def test_run_task_improves_on_its_starting_point(task_result):
    metrics = task_result["metrics"]
    assert metrics["psnr"] > metrics["initial"]["psnr"] + 2.0
    truth = task_result["ground_truth"]
    assert truth.shape == (256, 256)
    assert psnr(task_result["reconstruction"], truth) == pytest.approx(metrics["psnr"], abs=1e-3)


def test_solve_reaches_the_task_runners_psnr_on_the_same_measurement(task_result):
    truth = task_result["ground_truth"]
    A = inversa.physics.Blur(truth.shape, kernel={"kind": "gaussian", "sigma": 2.0})
    estimate, info = inversa.solve(A, task_result["measurement"][0],
                                   prior=inversa.priors.TV(weight=0.001), solver="pdhg",
                                   iterations=100)
    assert info["iterations"] == 100 and len(info["objective_history"]) == 100
    assert psnr(estimate, truth) == pytest.approx(task_result["metrics"]["psnr"], abs=0.01)
    # The objective history ends where the report's does.
    assert info["objective"] == pytest.approx(task_result["history"]["objective"][-1], rel=1e-4)


def test_the_callback_sees_every_iteration_and_can_stop_the_solve(rng):
    A = inversa.physics.Blur((32, 32))
    y = A(rng.random((32, 32)).astype(np.float32))
    seen = []

    def callback(iteration, objective, x):
        seen.append((iteration, objective, x.shape))
        return iteration < 7

    _, info = inversa.solve(A, y, prior="tv", solver="fista", iterations=50, callback=callback)
    assert [s[0] for s in seen] == list(range(1, 8))
    assert info["iterations"] == 7 and seen[0][2] == (32, 32)


def test_an_exception_in_the_callback_ends_the_solve_and_is_raised(rng):
    A = inversa.physics.Blur((16, 16))
    y = A(rng.random((16, 16)).astype(np.float32))

    def callback(iteration, objective, x):
        raise ZeroDivisionError("from the callback")

    with pytest.raises(ZeroDivisionError, match="from the callback"):
        inversa.solve(A, y, solver="cg", callback=callback)



def test_run_task_reports_progress_and_stops_when_asked(task_result):
    seen = []

    def callback(iteration, objective, psnr, x):
        seen.append((iteration, objective, psnr, x.shape))
        return iteration < 5

    stopped = inversa.run_task(TASK, callback=callback)
    assert [s[0] for s in seen] == [1, 2, 3, 4, 5] and seen[0][3] == (256, 256)
    history = task_result["history"]
    # The same measurement (seeded noise), so the first iterations match the full run's history.
    assert [s[2] for s in seen] == pytest.approx(history["psnr"][:5], abs=1e-6)
    assert [s[1] for s in seen] == pytest.approx(history["objective"][:5], rel=1e-6)
    assert len(stopped["history"]["psnr"]) == 5


def test_an_exception_in_the_run_task_callback_is_raised():
    def callback(iteration, objective, psnr, x):
        raise ZeroDivisionError("from the task callback")

    with pytest.raises(ZeroDivisionError, match="from the task callback"):
        inversa.run_task(TASK, callback=callback)

def test_cg_solves_a_least_squares_problem_numpy_solves(rng):
    A = inversa.physics.CS((6, 6), dtype="float64", ratio=1.0, matrix="gaussian", seed=4)
    matrix = np.stack([A(e.reshape(6, 6)).ravel() for e in np.eye(36)], axis=1)
    truth = rng.random(36)
    y = matrix @ truth
    estimate, info = inversa.solve(A, y, solver="cg", iterations=200, tolerance=1e-14)
    np.testing.assert_allclose(estimate.ravel(), np.linalg.lstsq(matrix, y, rcond=None)[0],
                               atol=1e-8)


def test_python_threads_run_while_a_solve_computes(rng):
    """With the GIL held, the Python loop below could not advance while the solve runs."""
    A = inversa.physics.Blur((256, 256))
    y = A(rng.random((256, 256)).astype(np.float32))
    done = threading.Event()
    counts = []

    def solver():
        inversa.solve(A, y, prior="tv", solver="pdhg", iterations=150)
        done.set()

    thread = threading.Thread(target=solver)
    thread.start()
    count = 0
    while not done.is_set():
        count += 1
    thread.join()
    counts.append(count)
    assert count > 100_000, f"only {count} Python steps ran during the solve"


def test_two_threads_solve_faster_than_one():
    """Each solve on a one-thread pool of its own: two solves in two Python threads take clearly
    less than two solves in a row. (Timed, so run in a fresh interpreter, with a wide margin.)"""
    script = textwrap.dedent("""
        import threading, time
        import numpy as np, inversa
        A = inversa.physics.Blur((256, 256))
        y = A(np.random.default_rng(0).random((256, 256)).astype(np.float32))
        def one():
            inversa.solve(A, y, prior="tv", solver="pdhg", iterations=120, threads=1)
        one()
        start = time.perf_counter(); one(); one(); serial = time.perf_counter() - start
        threads = [threading.Thread(target=one) for _ in range(2)]
        start = time.perf_counter()
        [t.start() for t in threads]; [t.join() for t in threads]
        parallel = time.perf_counter() - start
        print(parallel / serial)
    """)
    if (os.cpu_count() or 1) < 2:
        pytest.skip("needs two cores")
    ratio = float(subprocess.run([sys.executable, "-c", script], check=True,
                                 capture_output=True, text=True).stdout)
    assert ratio < 0.8, f"two threads took {ratio:.2f}× the time of two solves in a row"
