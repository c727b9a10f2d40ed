"""Priors for :func:`inversa.solve`, with the keys of a task file's ``[prior]`` table."""

from typing import Any, Optional

def kinds() -> dict[str, str]:
    """The registered priors: ``{kind: one-line summary}``."""

class Prior:
    """Prior ``kind`` with its ``[prior]`` keys (``class_`` stands for the key ``class``)."""

    kind: Optional[str]
    settings: dict[str, Any]
    def __init__(self, kind: Optional[str] = None, **settings: Any) -> None: ...
    def table(self) -> dict[str, Any]:
        """The ``[prior]`` table this prior stands for."""

class NoPrior(Prior):
    """No regularisation (least squares)."""

class Tikhonov(Prior):
    """``(weight/2)·‖x‖²``."""

class TV(Prior):
    """Isotropic total variation ``weight·Σ‖∇x‖₂``."""

class Wavelet(Prior):
    """``weight·‖wavelet details‖₁`` (haar, db2, db4)."""

class PnP(Prior):
    """A pretrained denoiser as the prox (``denoiser = "ffdnet" | "dncnn" | weights``)."""

class LPN(Prior):
    """The learned proximal network: the exact prox of its own learned regulariser."""

class Diffusion(Prior):
    """A pretrained diffusion model, sampled by the diffusion solvers (dps, ddnm, dds, ...)."""

CLASSES: dict[str, type[Prior]]
"""The class of each registered non-generative prior, by its task-file name."""
