"""Inversa from Python: forward operators with exact adjoints, priors, solvers, diffusion priors and
tasks, with NumPy arrays in and out.

    import numpy as np, inversa
    A = inversa.physics.Blur(shape=(512, 512), kernel={"kind": "gaussian", "sigma": 2.0})
    x = inversa.builtin_image("camera")                    # float32, 512×512, in [0, 1]
    y = A(x) + 0.01 * np.random.default_rng(0).standard_normal(A.output_shape).astype(np.float32)
    estimate, info = inversa.solve(A, y, prior=inversa.priors.TV(weight=1e-3), solver="pdhg",
                                   iterations=300)

Every call that computes releases the GIL; errors are ``ValueError`` (a bad value or shape),
``KeyError`` (a key nothing reads), ``FileNotFoundError`` and ``RuntimeError`` (a failed or diverged
computation), with the CLI's messages.
"""

import json
import os

import numpy as np

from . import _native, deepinv, physics, priors
from ._native import ATTACKS, EXPERIMENTS, KEY_REFERENCE

__all__ = ["physics", "priors", "solve", "solvers", "run_task", "denoise", "invert", "edit", "builtin_image",
           "fashion_test_images", "experiment", "attack", "ATTACKS", "EXPERIMENTS",
           "KEY_REFERENCE"]
__version__ = "0.1.0"


def solve(A, y, prior=None, solver="pdhg", iterations=None, *, callback=None, x0=None,
          noise_sigma=None, seed=0, threads=None, **solver_settings):
    """Estimates ``x`` from ``y = A x + noise``.

    ``A``: an :mod:`inversa.physics` operator. ``prior``: an :mod:`inversa.priors` object, a dict
    of ``[prior]`` keys, a kind name, or None (least squares). ``solver``: a solver kind
    (``inversa.solvers()`` lists them) with ``solver_settings`` its ``[solver]`` keys;
    ``iterations`` overrides its default. ``x0``: the starting point (default: the solver's
    ``init``, ``A*y/‖A‖²``). ``noise_sigma``: the measurement's Gaussian noise level (the
    diffusion samplers need it). ``callback(iteration, objective, x)`` runs after each iteration;
    returning ``False`` stops the solve. ``threads``: run on a thread pool of that many threads of
    its own (default: the shared pool of all cores), so solves in parallel Python threads do not
    queue for one pool.

    Returns ``(estimate, info)``, ``info`` with ``iterations``, ``converged``, ``objective``,
    ``objective_history``, ``relative_change_history``, ``seconds`` and ``model_calls``.
    """
    if not isinstance(A, physics.LinearOperator):
        raise ValueError(f"A: expected an inversa.physics operator, found {type(A).__name__}")
    table = dict(solver_settings, kind=solver)
    if iterations is not None:
        table["iterations"] = iterations
    y = A._measurement(y, "y")
    if x0 is not None:
        x0 = A._real_input(x0, A.input_shape, "x0").copy()
    wrapped = None
    if callback is not None:
        def wrapped(index, objective, x):
            return callback(index, objective, x.reshape(A.input_shape))
    estimate, info = _native.solve(A._op, y, table, prior=_prior_table(prior), x0=x0,
                                   callback=wrapped, noise_sigma=noise_sigma, seed=int(seed),
                                   threads=threads)
    return estimate.reshape(A.input_shape), info


def _prior_table(prior):
    if prior is None:
        return None
    if isinstance(prior, priors.Prior):
        return prior.table()
    if isinstance(prior, str):
        return {"kind": prior}
    if isinstance(prior, dict):
        return dict(prior)
    raise ValueError(
        f"prior: expected an inversa.priors object, a dict or a kind name, found {type(prior).__name__}")


def solvers():
    """The registered solvers (diffusion samplers included): ``{kind: one-line summary}``."""
    return dict(_native.solver_kinds())


def run_task(task, out=None, *, callback=None):
    """Runs a task: the path of a TOML task file, or a dict with its tables
    (``{"data": {...}, "physics": {...}, "prior": {...}, "solver": {...}}``, relative paths
    against the working directory). With ``out``, also writes the CLI's outputs (report.html, ...)
    there. Returns ``{"metrics", "reconstruction", "initial", "measurement", "ground_truth",
    "history", ...}``; complex k-space measurements come back complex.
    ``callback(iteration, objective, psnr, x)`` runs after each iteration (``psnr`` is None when
    the task has no ground truth); returning ``False`` stops the solve there, and an exception it
    raises ends the run and is re-raised."""
    out = None if out is None else os.fspath(out)
    wrapped = None
    if callback is not None:
        def wrapped(iteration, objective, psnr, x):
            return callback(iteration, objective, psnr, x[0] if x.shape[0] == 1 else x)
    if isinstance(task, dict):
        result = _native.run_task_table(task, os.getcwd(), out, wrapped)
    else:
        result = _native.run_task_file(os.fspath(task), out, wrapped)
    if result.pop("complex_measurement"):
        y = result["measurement"]
        result["measurement"] = y.view(np.complex64 if y.dtype == np.float32 else np.complex128)[..., 0]
    for name in ("reconstruction", "initial", "ground_truth", "std"):
        if name in result and result[name].shape[0] == 1:
            result[name] = result[name][0]
    return result


def denoise(x, sigma, model="ffdnet"):
    """Denoises ``x`` (``(height, width)`` or ``(channels, height, width)``, values in [0, 1]) at
    noise level ``sigma`` (on the [0, 1] scale) with ``model``: ``"ffdnet"``, ``"dncnn"`` or a path
    to weights from ``inversa train denoiser``. Returns float32 of ``x``'s shape."""
    x = np.asarray(x)
    shape = x.shape
    if x.ndim == 2:
        x = x[None]
    x = np.ascontiguousarray(x, dtype=np.float32)
    return _native.denoise(x, float(sigma), model).reshape(shape)


def invert(image=None, method="edict", *, test_image=None, label=None, steps=50, guidance=3.0,
           model="unet", dtype="float32", seed=0):
    """Inverts a 28×28 grey garment to the diffusion noise that regenerates it, as ``inversa
    invert`` does. ``image``: an array of 28×28 pixels in [0, 1] (``(28, 28)`` or ``(1, 28, 28)``),
    the path of a PNG, or None for bundled test image ``test_image`` (default 0). ``method`` is one
    of ddim, edict, bdia, null-text, spdinv, ddcm (``model="unet"``) or rf-solver, euler
    (``model="rf"``); ``label`` the garment's class (needed for an array or a PNG; default: the
    test image's). Returns ``{"metrics": {...}, "reconstruction": array, "latent": array}``."""
    result = _native.invert(_picture(image, test_image), method=method, class_=label,
                            steps=int(steps), guidance=float(guidance), model=model,
                            dtype=np.dtype(dtype).name, seed=int(seed))
    arrays = result["arrays"]
    return {"metrics": result["metrics"], "reconstruction": arrays["reconstruction.png"][0],
            "latent": arrays["latent.npy"]}


def edit(image=None, target_class=7, method="ddcm", *, test_image=None, label=None, steps=50,
         guidance=3.0, model="unet", dtype="float32", seed=0):
    """Inverts a garment with its class ``label`` and regenerates it as ``target_class``, as
    ``inversa edit`` does (``image``, ``test_image`` and the rest as for :func:`invert`). Returns
    ``{"metrics": {...}, "edit": array}``; the metrics score the edit with the bundled classifier
    (``target_class_probability``) and against the source (``psnr_to_source``)."""
    result = _native.edit(_picture(image, test_image), int(target_class), method=method,
                          source_class=label, steps=int(steps), guidance=float(guidance),
                          model=model, dtype=np.dtype(dtype).name, seed=int(seed))
    return {"metrics": result["metrics"], "edit": result["arrays"]["edit.png"][0]}


def _picture(image, test_image):
    """What the native half takes for a garment: a test image's index, a path, or 784 float64s."""
    if image is None:
        return 0 if test_image is None else int(test_image)
    if test_image is not None:
        raise ValueError("test_image: give either an image or a bundled test image, not both")
    if isinstance(image, (str, os.PathLike)):
        return os.fspath(image)
    pixels = np.asarray(image)
    if pixels.shape not in ((28, 28), (1, 28, 28)):
        raise ValueError(f"image: expected 28×28 pixels, shape (28, 28) or (1, 28, 28), found "
                         f"{pixels.shape}")
    return np.ascontiguousarray(pixels, dtype=np.float64)


def builtin_image(name):
    """The built-in image ``name`` (camera, chelsea, brick, phantom) in [0, 1], float32:
    ``(height, width)`` for grey ones, ``(3, height, width)`` for colour."""
    image = _native.builtin_image(name)
    return image[0] if image.shape[0] == 1 else image


def fashion_test_images():
    """The 100 bundled Fashion-MNIST test images (held out from the diffusion model's training),
    float32 ``(100, 28, 28)`` in [0, 1], and their labels (0–9)."""
    images, labels = _native.fashion_test_images()
    return images, np.asarray(labels)


def experiment(name, out=None, **settings):
    """Runs experiment ``name`` (one of ``inversa.EXPERIMENTS``) with the settings of its CLI
    command's flags as keywords (snake_case; a missing one keeps the CLI's default, an unknown one
    is a ``KeyError``):

    - the papers' experiments of ``inversa experiment NAME``: matrix-sensing, convex-relu, mfac,
      last-iterate-sgd, self-distillation, gaunt, schrodinger-bridge, ptd, tumour-growth,
      lagrangian-pinn, elliptic-approximation, insr, semilinear-operator, ifactformer, dgno, posterior,
      editing, diffusion-priors;
    - ``solve-sequence`` (``inversa solve-sequence``): a sequence of PDE linear systems solved with
      Krylov recycling (``problem``, ``grid``, ``systems``, ``method``, ``preconditioner``, ...);
    - ``sample`` (``inversa sample``): images drawn from a generative model (``model``, ``class_``,
      ``count``, ``steps``, ``guidance``, ``eta``, ``seed``);
    - ``sample-quality`` (``inversa sample --evaluate``): those samples scored by the bundled
      classifier and their Fréchet distance to the test set.

    With ``out``, also writes the CLI's files there. Returns ``{"metrics": {...}, "arrays": {file
    name: array}}``."""
    out = None if out is None else os.fspath(out)
    if "class_" in settings:
        settings["class"] = settings.pop("class_")
    for key in ("weights", "data"):
        if isinstance(settings.get(key), os.PathLike):
            settings[key] = os.fspath(settings[key])
    return _native.experiment(name, json.dumps(settings), out)


def attack(kind="gradient", out=None, **settings):
    """An attack (one of ``inversa.ATTACKS``) with the settings of its CLI flags as keywords
    (snake_case; a missing one keeps the CLI's default, an unknown one is a ``KeyError``):

    - ``"gradient"`` (``inversa attack``): gradient inversion of a client update; ``method`` (dlg,
      idlg, ig, dia, ...), ``model`` (lenet, convnet, resnet, digit-recognizer), ``data``
      (fashion-mnist, mnist), ``batch``, ``image``, ``label``, ``activation``, ``dropout``,
      ``local_steps``, ``local_lr``, ``iterations``, ``seed``.
    - ``"model"`` (``inversa attack-model``): model inversion of a classifier with a GAN prior;
      ``method`` (gmi, if-gmi), ``class_`` (the class to rebuild; default every one), ``seed``, ``attack={"gmi": {"restarts", "iterations",
      "learning_rate", "prior_weight"}, "stages": [{"iterations", "radius"}, ...]}``, and weights
      files ``gan``, ``target``, ``evaluation`` (default: the bundled ones).
    - ``"fl"`` (``inversa fl``): federated learning whose slow clients' stale updates are
      aggregated by ``rules`` (fedavg, direct, weighted, conversion), with ``staleness``,
      ``rounds``, ``clients``, ``slow_classes``, ``samples``, ``hidden``, ``local_steps``,
      ``local_lr``, ``exponent``, ``dummies``, ``inversion_steps``, ``inversion_lr``, ``data``
      (a Fashion-MNIST folder, or ``"bundled"``), ``seed``.

    With ``out``, also writes the CLI's outputs there. Returns ``{"metrics": {...}, "arrays":
    {...}}``."""
    out = None if out is None else os.fspath(out)
    for key in ("image", "gan", "target", "evaluation", "data"):
        if isinstance(settings.get(key), os.PathLike):
            settings[key] = os.fspath(settings[key])
    if "class_" in settings:
        settings["class"] = settings.pop("class_")
    return _native.attack(kind, json.dumps(settings), out)
