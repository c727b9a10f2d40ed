"""Every registered physics of Inversa as a Python class with its exact adjoint.

Built from the same keys as a task file's ``[physics]`` table, without ``noise`` (add noise to the
measurement yourself, as in deepinv)::

    import inversa
    A = inversa.physics.Blur(shape=(256, 256), kernel={"kind": "gaussian", "sigma": 2.0})
    y = A(x)              # forward model (x: float32 array of A.input_shape)
    z = A.adjoint(y)      # or A.H(y), A.A_adjoint(y)
    A.norm()              # the operator's 2-norm by power iteration

Images are ``(height, width)`` or ``(channels, height, width)``; MRI k-space comes out complex
(complex64 for float32 operators). A C-contiguous array of the operator's dtype is read in place;
anything else is converted first.
"""

import numpy as np

from . import _native
from ._reference import documented_class

__all__ = ["LinearOperator", "Denoise", "Blur", "Inpaint", "Downsample", "CS", "MRI", "CT", "kinds"]


def kinds():
    """The registered physics: ``{kind: one-line summary}``."""
    return dict(_native.physics_kinds())


class LinearOperator:
    """Physics ``kind`` for images of ``shape``, built from ``settings`` (a task file's
    ``[physics]`` keys); ``seed`` draws its random parts (masks, coil maps, matrices)."""

    kind = None

    def __init__(self, shape, *, dtype="float32", seed=0, kind=None, **settings):
        kind = kind or self.kind
        if kind is None:
            raise ValueError("kind: name the physics, e.g. LinearOperator(shape, kind='blur')")
        shape = tuple(int(s) for s in shape)
        if len(shape) not in (2, 3):
            raise ValueError(
                f"shape: expected (height, width) or (channels, height, width), found {shape}")
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype: expected float32 or float64, found {dtype}")
        native_shape = shape if len(shape) == 3 else (1,) + shape
        self._op = _native.Operator(kind, native_shape, settings, int(seed), dtype.name)
        self.kind = kind
        self.dtype = dtype
        self.complex = self._op.complex
        self.complex_dtype = np.complex64 if dtype == np.float32 else np.complex128
        self.input_shape = shape
        out = tuple(self._op.output_shape)
        if self.complex:
            out = out[:-1]
        if len(shape) == 2 and len(out) >= 2 and out[0] == 1:
            out = out[1:]
        self.output_shape = out

    def __repr__(self):
        return (f"inversa.physics.{type(self).__name__}(kind={self.kind!r}, "
                f"input_shape={self.input_shape}, output_shape={self.output_shape}, "
                f"dtype={self.dtype.name})")

    def __call__(self, x):
        """The forward model ``A x`` (no noise)."""
        return self.A(x)

    def A(self, x):
        """``A x`` for ``x`` of ``input_shape``."""
        flat = self._real_input(x, self.input_shape, "x")
        return self._output(self._op.apply(flat))

    def A_adjoint(self, y):
        """``A* y`` for ``y`` of ``output_shape`` (complex for k-space)."""
        return self._op.adjoint(self._measurement(y, "y")).reshape(self.input_shape)

    adjoint = A_adjoint
    H = A_adjoint

    def norm(self, iterations=50, seed=0):
        """``‖A‖₂`` by ``iterations`` steps of power iteration on ``A*A``."""
        return self._op.norm(int(iterations), int(seed))

    # The conversions below copy only when the array's dtype or layout is not the operator's own.

    def _real_input(self, x, shape, argument):
        x = np.asarray(x)
        if np.iscomplexobj(x):
            raise ValueError(f"{argument}: expected a real array of shape {shape}, found complex")
        x = np.ascontiguousarray(x, dtype=self.dtype)
        if x.shape != shape:
            raise ValueError(f"{argument}: expected shape {shape}, found {x.shape}")
        return x

    def _measurement(self, y, argument):
        """``y`` as the native layout: real, or (re, im) pairs viewed from a complex array."""
        if not self.complex:
            return self._real_input(y, self.output_shape, argument)
        y = np.ascontiguousarray(y, dtype=self.complex_dtype)
        if y.shape != self.output_shape:
            raise ValueError(f"{argument}: expected shape {self.output_shape}, found {y.shape}")
        return y.view(self.dtype).reshape(self.output_shape + (2,))

    def _output(self, y):
        if self.complex:
            return y.reshape(self.output_shape + (2,)).view(self.complex_dtype)[..., 0]
        return y.reshape(self.output_shape)


def _physics(kind, name, summary):
    usage = f"``inversa.physics.{name}(shape, *, dtype='float32', seed=0, **keys)``. "
    return documented_class(LinearOperator, kind, name, summary, "physics", usage)


_SUMMARIES = kinds()
Denoise = _physics("denoise", "Denoise", _SUMMARIES["denoise"])
Blur = _physics("blur", "Blur", _SUMMARIES["blur"])
Inpaint = _physics("inpaint", "Inpaint", _SUMMARIES["inpaint"])
Downsample = _physics("downsample", "Downsample", _SUMMARIES["downsample"])
CS = _physics("cs", "CS", _SUMMARIES["cs"])
MRI = _physics("mri", "MRI", _SUMMARIES["mri"])
CT = _physics("ct", "CT", _SUMMARIES["ct"])

#: The class of each registered physics, by its task-file name.
CLASSES = {cls.kind: cls for cls in (Denoise, Blur, Inpaint, Downsample, CS, MRI, CT)}
