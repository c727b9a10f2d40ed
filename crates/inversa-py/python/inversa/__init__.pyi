"""Inversa from Python: forward operators with exact adjoints, priors, solvers, diffusion priors and
tasks, with NumPy arrays in and out. Every call that computes releases the GIL."""

from os import PathLike
from typing import Any, Callable, Literal, Mapping, Optional, Union

import numpy as np
import numpy.typing as npt

from . import physics as physics
from . import priors as priors

__version__: str

EXPERIMENTS: list[str]
"""The experiments :func:`experiment` runs."""

ATTACKS: list[str]
"""The attacks :func:`attack` runs: gradient, model, fl."""

KEY_REFERENCE: str
"""Every task-file key with its default: the text of ``inversa run --help``."""

def solve(
    A: physics.LinearOperator,
    y: npt.ArrayLike,
    prior: Union[priors.Prior, Mapping[str, Any], str, None] = None,
    solver: str = "pdhg",
    iterations: Optional[int] = None,
    *,
    callback: Optional[Callable[[int, float, np.ndarray], Optional[bool]]] = None,
    x0: Optional[npt.ArrayLike] = None,
    noise_sigma: Optional[float] = None,
    seed: int = 0,
    threads: Optional[int] = None,
    **solver_settings: Any,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Estimates ``x`` from ``y = A x + noise`` with ``prior`` by ``solver`` (its ``[solver]`` keys
    as keywords). Returns ``(estimate, info)`` with ``iterations``, ``converged``, ``objective``,
    ``objective_history``, ``relative_change_history``, ``seconds`` and ``model_calls``.
    ``callback(iteration, objective, x)`` runs after each iteration; returning ``False`` stops.
    ``threads``: a thread pool of that many threads of its own (default: the shared pool)."""

def solvers() -> dict[str, str]:
    """The registered solvers (diffusion samplers included): ``{kind: one-line summary}``."""

def run_task(
    task: Union[str, PathLike[str], Mapping[str, Any]],
    out: Union[str, PathLike[str], None] = None,
    *,
    callback: Optional[Callable[[int, float, Optional[float], np.ndarray], Optional[bool]]] = None,
) -> dict[str, Any]:
    """Runs a task file (or a dict of its tables) as ``inversa run`` does; with ``out``, writes the
    CLI's outputs there. Returns the metrics, reconstruction, initial, measurement, ground_truth
    and history. ``callback(iteration, objective, psnr, x)`` runs after each iteration (``psnr``
    is None without a ground truth); returning ``False`` stops the solve there."""

def denoise(x: npt.ArrayLike, sigma: float, model: str = "ffdnet") -> np.ndarray:
    """Denoises ``x`` (values in [0, 1]) at noise level ``sigma`` with ``"ffdnet"``, ``"dncnn"``
    or a weights file from ``inversa train denoiser``."""

def invert(
    image: Union[npt.ArrayLike, str, PathLike[str], None] = None,
    method: str = "edict",
    *,
    test_image: Optional[int] = None,
    label: Optional[int] = None,
    steps: int = 50,
    guidance: float = 3.0,
    model: str = "unet",
    dtype: Literal["float32", "float64"] = "float32",
    seed: int = 0,
) -> dict[str, Any]:
    """Inverts a 28×28 garment (an array in [0, 1], a PNG, or bundled test image ``test_image``) to
    the diffusion noise that regenerates it (``inversa invert``); returns ``{"metrics",
    "reconstruction", "latent"}``."""

def edit(
    image: Union[npt.ArrayLike, str, PathLike[str], None] = None,
    target_class: int = 7,
    method: str = "ddcm",
    *,
    test_image: Optional[int] = None,
    label: Optional[int] = None,
    steps: int = 50,
    guidance: float = 3.0,
    model: str = "unet",
    dtype: Literal["float32", "float64"] = "float32",
    seed: int = 0,
) -> dict[str, Any]:
    """Inverts a garment with its class and regenerates it as ``target_class`` (``inversa edit``);
    returns ``{"metrics", "edit"}``."""

def builtin_image(name: str) -> np.ndarray:
    """The built-in image ``name`` (camera, chelsea, brick, phantom), float32 in [0, 1]."""

def fashion_test_images() -> tuple[np.ndarray, np.ndarray]:
    """The 100 bundled Fashion-MNIST test images, float32 ``(100, 28, 28)``, and their labels."""

def experiment(name: str, out: Union[str, PathLike[str], None] = None, **settings: Any) -> dict[str, Any]:
    """Runs a paper experiment (``EXPERIMENTS``) with its CLI flags as keywords; returns its metrics
    and arrays, and writes its outputs to ``out`` when given."""

def attack(kind: str = "gradient", out: Union[str, PathLike[str], None] = None, **settings: Any) -> dict[str, Any]:
    """An attack of ``ATTACKS`` (``gradient``: ``inversa attack``; ``model``: ``inversa
    attack-model``; ``fl``: ``inversa fl``) with its CLI flags as keywords; returns its metrics
    and arrays."""
