"""Inversa operators inside deepinv: ``inversa.deepinv.physics(A)`` is a
``deepinv.physics.LinearPhysics`` whose ``A`` and ``A_adjoint`` call Inversa, so deepinv's solvers,
networks and tests run on it. Torch tensors cross through NumPy (on the CPU); complex k-space is a
real tensor with a trailing (re, im) axis, so deepinv's real inner products see the exact adjoint.

Needs ``pip install deepinv`` (and torch); nothing else in Inversa imports torch.
"""

import numpy as np

__all__ = ["physics"]


def physics(A, **kwargs):
    """``A`` (an :mod:`inversa.physics` operator) as a ``deepinv.physics.LinearPhysics``; images
    are ``(batch, channels, height, width)`` tensors, ``kwargs`` go to ``LinearPhysics`` (e.g.
    ``noise_model``)."""
    import deepinv
    import torch

    image_shape = A.input_shape if len(A.input_shape) == 3 else (1,) + A.input_shape
    measurement_shape = A.output_shape + ((2,) if A.complex else ())

    def forward(x):
        out = [_real(A(_numpy(xi, A.input_shape, A.dtype)), A) for xi in x]
        return torch.from_numpy(np.stack(out)).to(x.device, x.dtype)

    def adjoint(y):
        out = [A.adjoint(_complex(_numpy(yi, measurement_shape, A.dtype), A)) for yi in y]
        return torch.from_numpy(np.stack(out).reshape((len(out),) + image_shape)).to(y.device, y.dtype)

    return deepinv.physics.LinearPhysics(A=forward, A_adjoint=adjoint, **kwargs)


def _numpy(tensor, shape, dtype):
    return np.ascontiguousarray(tensor.detach().cpu().numpy().reshape(shape), dtype=dtype)


def _real(y, A):
    """Complex k-space as its (re, im) pairs, a view."""
    return y[..., None].view(A.dtype) if A.complex else y


def _complex(y, A):
    return y.view(A.complex_dtype)[..., 0] if A.complex else y
