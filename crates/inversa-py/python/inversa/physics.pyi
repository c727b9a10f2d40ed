"""Every registered physics as a class with its exact adjoint; keys as in a task file's
``[physics]`` table (``help(inversa.physics.MRI)`` lists them)."""

from typing import Any, Optional

import numpy as np
import numpy.typing as npt

def kinds() -> dict[str, str]:
    """The registered physics: ``{kind: one-line summary}``."""

class LinearOperator:
    """Physics ``kind`` for images of ``shape`` (``(h, w)`` or ``(c, h, w)``), from its keys."""

    kind: Optional[str]
    dtype: np.dtype
    complex: bool
    complex_dtype: type
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    def __init__(
        self, shape: tuple[int, ...], *, dtype: Any = "float32", seed: int = 0,
        kind: Optional[str] = None, **settings: Any
    ) -> None: ...
    def __call__(self, x: npt.ArrayLike) -> np.ndarray:
        """The forward model ``A x`` (no noise)."""
    def A(self, x: npt.ArrayLike) -> np.ndarray:
        """``A x`` for ``x`` of ``input_shape``."""
    def A_adjoint(self, y: npt.ArrayLike) -> np.ndarray:
        """``A* y`` for ``y`` of ``output_shape`` (complex for k-space)."""
    def adjoint(self, y: npt.ArrayLike) -> np.ndarray:
        """``A* y`` (the same as ``A_adjoint``)."""
    def H(self, y: npt.ArrayLike) -> np.ndarray:
        """``A* y`` (the same as ``A_adjoint``)."""
    def norm(self, iterations: int = 50, seed: int = 0) -> float:
        """``‖A‖₂`` by power iteration on ``A*A``."""

class Denoise(LinearOperator):
    """Identity: the measurement is the noisy image itself."""

class Blur(LinearOperator):
    """Circular convolution with a gaussian, box, motion or file kernel (``kernel = {...}``)."""

class Inpaint(LinearOperator):
    """Pixel mask: ``missing`` (a random fraction), ``box`` or a ``mask`` file."""

class Downsample(LinearOperator):
    """Super-resolution: gaussian anti-alias blur, then every ``factor``-th pixel."""

class CS(LinearOperator):
    """Compressed sensing: random DCT subset with random signs, or a dense gaussian ``matrix``."""

class MRI(LinearOperator):
    """Cartesian MRI: undersampled unitary FFT, single-coil or multi-coil SENSE; complex output."""

class CT(LinearOperator):
    """Parallel-beam CT: Joseph projector over [0, π) with its exact adjoint."""

CLASSES: dict[str, type[LinearOperator]]
"""The class of each registered physics, by its task-file name."""
