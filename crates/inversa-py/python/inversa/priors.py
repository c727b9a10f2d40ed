"""Priors for :func:`inversa.solve`, with the keys of a task file's ``[prior]`` table::

    inversa.priors.TV(weight=1e-3)
    inversa.priors.PnP(denoiser="ffdnet", weight=1e-5)
    inversa.priors.Diffusion(model="fashion")      # for the diffusion samplers (solver="dps", ...)
"""

from . import _native
from ._reference import documented_class

__all__ = ["Prior", "NoPrior", "Tikhonov", "TV", "Wavelet", "PnP", "LPN", "Diffusion", "kinds"]


def kinds():
    """The registered priors: ``{kind: one-line summary}``."""
    return dict(_native.prior_kinds())


class Prior:
    """Prior ``kind`` with ``settings`` (a task file's ``[prior]`` keys). ``class_`` is passed as
    the key ``class``."""

    kind = None

    def __init__(self, kind=None, **settings):
        self.kind = kind or self.kind
        if self.kind is None:
            raise ValueError("kind: name the prior, e.g. Prior('tv', weight=1e-3)")
        if "class_" in settings:
            settings["class"] = settings.pop("class_")
        self.settings = settings

    def table(self):
        """The ``[prior]`` table this prior stands for."""
        return {"kind": self.kind, **self.settings}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.settings.items())
        return f"inversa.priors.{type(self).__name__}({args})"


def _prior(kind, name, summary):
    return documented_class(Prior, kind, name, summary, "prior")


_SUMMARIES = kinds()
NoPrior = _prior("none", "NoPrior", _SUMMARIES["none"])
Tikhonov = _prior("tikhonov", "Tikhonov", _SUMMARIES["tikhonov"])
TV = _prior("tv", "TV", _SUMMARIES["tv"])
Wavelet = _prior("wavelet", "Wavelet", _SUMMARIES["wavelet"])
PnP = _prior("pnp", "PnP", _SUMMARIES["pnp"])
LPN = _prior("lpn", "LPN", _SUMMARIES["lpn"])
Diffusion = _prior(
    "diffusion", "Diffusion",
    "a pretrained diffusion model (or a denoiser read as one), sampled by the diffusion samplers")

#: The class of each registered prior, by its task-file name.
CLASSES = {cls.kind: cls for cls in (NoPrior, Tikhonov, TV, Wavelet, PnP, LPN)}
