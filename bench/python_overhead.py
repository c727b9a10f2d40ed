"""What calling Inversa from Python costs (issue 19): the per-call overhead of ``A(x)`` on a 64²
image against the same operator applied in a Rust loop, and a TV reconstruction through
``inversa.solve`` against ``inversa run`` (the CLI) on the same task.

    pip install ./crates/inversa-py && cargo build --release
    python3 bench/python_overhead.py

Prints a Markdown table; every number is the best of several runs, all from this one process.
"""

import json
import pathlib
import platform
import subprocess
import tempfile
import time

import numpy as np

import inversa

ROOT = pathlib.Path(__file__).resolve().parent.parent
TASK = ROOT / "tasks" / "deblur_tv.toml"


def best(function, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def per_call(kind, settings, shape=(64, 64), calls=2000):
    A = inversa.physics.CLASSES[kind](shape, **settings)
    x = np.random.default_rng(0).random(shape).astype(np.float32)
    python = best(lambda: [A(x) for _ in range(calls)], 5) / calls
    rust = min(A._op.time_apply(x, calls) for _ in range(5))
    return python, rust


def cli_solve_seconds():
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([str(ROOT / "target" / "release" / "inversa"), "run", str(TASK), "--out", out],
                       check=True, capture_output=True)
        return json.loads((pathlib.Path(out) / "metrics.json").read_text())["seconds"]


def python_solve_seconds():
    return inversa.run_task(TASK)["metrics"]["seconds"]


def main():
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    print(f"Machine: {cpu}\n")
    print("| operator (64², float32) | Python `A(x)` | Rust loop | overhead per call |")
    print("|---|---|---|---|")
    for kind, settings in [("denoise", {}), ("blur", {}), ("inpaint", {}),
                           ("mri", {"acceleration": 4}), ("ct", {"angles": 60})]:
        python, rust = per_call(kind, settings)
        print(f"| {kind} | {python * 1e6:.1f} µs | {rust * 1e6:.1f} µs | {(python - rust) * 1e6:.1f} µs |")
    cli = min(cli_solve_seconds() for _ in range(3))
    py = min(python_solve_seconds() for _ in range(3))
    print(f"\nTV deblurring, {TASK.relative_to(ROOT)} (solve time as metrics.json reports it, best of 3): "
          f"CLI {cli:.3f} s, Python {py:.3f} s, ratio {py / cli:.3f}")


if __name__ == "__main__":
    main()
