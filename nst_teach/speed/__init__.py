"""Step 8, speed: everything that only makes a run faster, behind one front.

The maths of style transfer is in the modules of steps 1–7. This package only changes how fast the
same numbers come out, and the rest of nst-teach sees it through two names:

    speed = choose(config.speed, device, size=…, loss=…)   # a `Speed`, decided once per run (stage)
    speed.prepare(model); speed.input(x); speed.network(model); speed.gram(F)

``speed="auto"`` (the default) picks the fastest arithmetic measured on this machine;
``speed="plain"`` (``--speed plain``, ``NST_TEACH_SPEED=plain``) is the textbook path: fp32, direct
convolutions, autograd's Gram, torch's default layout, no calibration and no process settings. A
benchmark can name one arithmetic, "precision+gram+conv" with 'auto' for any part (e.g.
"fp32+fast+winograd", "bf16+auto+direct").

Inside, one module per lever, each with its measured number:

    precision    bf16 autocast for the network, the losses kept in fp32
    gram_fast    G = F Fᵀ without copying F, its gradient written out
    winograd     3×3 convolutions by Winograd's algorithm (NNPACK), each filter transformed once
    layout       channels-last feature maps for oneDNN
    calibration  measuring the candidates on this machine, cached
    process      OpenMP's waiting policy and glibc's allocator, for the entry points only
    arithmetic   `Speed`, what a loss function asks
"""

import os

from ..errors import NSTError
from .arithmetic import PLAIN, Speed
from .calibration import check as _check_arithmetic
from .calibration import choose as _calibrate
from .precision import resolve_precision
from .process import SPEED_ENV

SPEEDS = ("auto", "plain")  # or "precision+gram+conv", e.g. "fp32+fast+winograd"


def _parts(speed):
    """'auto' → (auto, auto, auto); 'bf16+fast+direct' → its three parts; 'plain' → None."""
    if speed == "plain":
        return None
    if speed == "auto":
        return ("auto", "auto", "auto")
    parts = tuple(speed.split("+")) if isinstance(speed, str) else ()
    if len(parts) != 3:
        raise NSTError(f"unknown speed {speed!r}: use auto, plain, or precision+gram+conv such as fp32+fast+direct")
    return parts


def check(speed, device=None):
    """A one-line error if ``speed`` names no arithmetic (or one that cannot run on ``device``)."""
    parts = _parts(speed)
    if parts is not None:
        _check_arithmetic(*parts, device=device)
    return speed


def resolve(speed):
    """``speed`` as asked, with 'auto' replaced by $NST_TEACH_SPEED when that is set."""
    return check(os.environ.get(SPEED_ENV) or speed) if speed == "auto" else speed


def choose(speed, device, *, size=None, loss=None, model=None):
    """The `Speed` of a run (or stage) of longest side ``size`` px on ``device``: `PLAIN` for
    'plain', else the calibration's choice (measured on this machine at the first run, cached).
    loss: (speed, content, style) → loss function, timed if there is something to measure;
    model: the network it runs (what a losing candidate allocated on it is freed)."""
    parts = _parts(resolve(speed))
    if parts is None:
        return PLAIN
    return _calibrate(device, *parts, loss=loss, model=model, size=size)


def network_precision(speed, device):
    """'bf16' or 'fp32': the network's precision ``speed`` most likely runs in on ``device`` without
    measuring (bf16 where the hardware runs it; 'plain' always fp32)."""
    parts = _parts(resolve(speed))
    return "fp32" if parts is None else resolve_precision(parts[0], device)


__all__ = ["SPEEDS", "Speed", "PLAIN", "check", "resolve", "choose", "network_precision"]
