"""Step 8, speed: choosing the arithmetic by measuring it on the machine that runs it.

Which way of computing one loss evaluation is fastest depends on the hardware, not on the maths:

* the network in **bf16 or fp32** (`nst_teach.precision`): bf16 is ~5× faster on a Xeon with AMX,
  about 2× on an AMD EPYC with AVX-512 BF16 but no AMX, and slower than fp32 where the CPU only
  emulates it;
* the Gram matrices by **`gram_fast`** (fp32 product in the forward pass, one bf16 product in the
  backward pass) or by **autograd** (`gram.gram_matrix` on an fp32 copy of the features): which one
  wins depends on how fast the BLAS library's tall, skinny products are on that CPU.

A rule written on one kind of CPU was wrong on the other (DEVELOPERS.md, "The fast path"), so
``precision="auto"`` and ``gram="auto"`` are decided by measuring: the first run on a machine times
a few loss evaluations of every candidate at a small size (``CALIBRATION_SIZE``, a few seconds),
interleaved (candidate A, B, C, D, A, B, …) so that a burst of load from another program hits all
of them, and keeps the fastest by the median. The times are cached in the user's cache folder
(``$NST_TEACH_CACHE`` or ~/.cache/nst-teach, ``calibration.json``) under a key made of the CPU model,
the torch version and the device, so a new CPU, a new torch or a GPU measures again.

``$NST_TEACH_CALIBRATE``: ``off`` never measures (bf16 where the hardware has it, `gram_fast`: the
rule of issue 6), ``force`` measures again and replaces the cached times. Nothing is measured at
import time, and nothing if both choices are given explicitly.
"""

import json
import os
import platform
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .errors import NSTError
from .files import atomic_write
from .precision import GRAMS, PRECISIONS, bf16_is_fast, resolve_precision
from .samples import default_cache_dir

CALIBRATION_SIZE = 192  # longest side of the random images timed (the choice is the same per pixel at 512 px)
REPEAT = 3  # timed evaluations per candidate, after one warm-up each
CACHE_FILE = "calibration.json"
CACHE_VERSION = 1
ENV = "NST_TEACH_CALIBRATE"
MODES = ("auto", "off", "force")


@dataclass
class Choice:
    """What a run uses: ``precision`` ('fp32'/'bf16') and ``gram`` ('fast'/'autograd'); ``source``
    says why ('given', 'rule', 'measured now', 'cached'); ``times``: median seconds per candidate."""

    precision: str
    gram: str
    source: str
    key: str = ""
    times: dict = field(default_factory=dict)

    def describe(self):
        measured = ", ".join(f"{name} {seconds:.3f} s" for name, seconds in sorted(self.times.items(), key=lambda kv: kv[1]))
        text = f"precision {self.precision}, Gram {self.gram} ({self.source}"
        return text + (f" on {self.key}: {measured} per evaluation at {CALIBRATION_SIZE} px)" if measured else ")")


def cpu_model():
    """The CPU's model name (/proc/cpuinfo on Linux, else what `platform` knows)."""
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine() or "unknown CPU"


def machine_key(device):
    """What the measured times depend on: the CPU model, the torch version and the device."""
    device = torch.device(device)
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else device.type
    return f"{cpu_model()} | torch {torch.__version__} | {where}"


def candidates(device):
    """(precision, gram) pairs worth timing: bf16 only where the hardware runs bf16 at all."""
    precisions = ("fp32", "bf16") if bf16_is_fast(device) else ("fp32",)
    return [(p, g) for p in precisions for g in GRAMS[1:]]


def name(precision, gram):
    return f"{precision}+{gram}"


def pick(times, precision="auto", gram="auto"):
    """The fastest candidate in ``times`` ({'bf16+fast': seconds, …}) that agrees with the explicit
    choices ('auto' agrees with anything). Returns (precision, gram)."""
    allowed = {k: v for k, v in times.items()
               if precision in ("auto", k.split("+")[0]) and gram in ("auto", k.split("+")[1])}
    if not allowed:
        raise NSTError(f"no measured candidate for precision {precision!r} and Gram {gram!r}")
    best = min(allowed, key=allowed.get)
    p, g = best.split("+")
    return p, g


def measure(evaluate, pairs, repeat=REPEAT, timer=time.perf_counter):
    """Median seconds of ``evaluate(precision, gram)`` for each pair, interleaved over ``repeat``
    rounds after one warm-up round (the first pass at a new shape picks kernels and is slow)."""
    seconds = {name(*pair): [] for pair in pairs}
    for round_ in range(repeat + 1):
        for pair in pairs:
            start = timer()
            evaluate(*pair)
            if round_ > 0:
                seconds[name(*pair)].append(timer() - start)
    return {k: statistics.median(v) for k, v in seconds.items()}


def read_cache(path):
    try:
        data = json.loads(path.read_text())
        return data if data.get("version") == CACHE_VERSION else {"version": CACHE_VERSION, "machines": {}}
    except (OSError, ValueError, AttributeError):
        return {"version": CACHE_VERSION, "machines": {}}


def choose(device, precision="auto", gram="auto", mode=None, cache_dir=None, evaluate=None, timer=time.perf_counter):
    """The (precision, gram) a run uses on ``device``, as a `Choice`.

    Explicit choices are kept. 'auto' is decided from the cached times for this machine (key: CPU
    model, torch version, device), measured now if there are none (``evaluate``: a function
    (precision, gram) → None to time, e.g. `nst_teach.transfer.loss_evaluator(model, device)`). mode: 'auto',
    'off' (never measure: bf16 where the hardware has it, gram_fast) or 'force' (measure again);
    default: $NST_TEACH_CALIBRATE, else 'auto'.
    """
    if precision not in PRECISIONS:
        raise NSTError(f"unknown precision {precision!r}: use auto, fp32 or bf16")
    if gram not in GRAMS:
        raise NSTError(f"unknown Gram {gram!r}: use auto, fast or autograd")
    if precision != "auto" and gram != "auto":
        return Choice(precision, gram, "given")
    mode = mode or os.environ.get(ENV) or "auto"
    if mode not in MODES:
        raise NSTError(f"{ENV}={mode!r}: use auto, off or force")
    if mode == "off":
        return Choice(resolve_precision(precision, device), "fast" if gram == "auto" else gram, "rule")
    key = machine_key(device)
    path = Path(cache_dir if cache_dir is not None else default_cache_dir()) / CACHE_FILE
    cache = read_cache(path)
    times, source = cache["machines"].get(key), "cached"
    if mode == "force" or not times:
        if evaluate is None:
            raise NSTError("calibration needs something to time: evaluate=nst_teach.transfer.loss_evaluator(model, device)")
        times, source = measure(evaluate, candidates(device), timer=timer), "measured now"
        cache = read_cache(path)  # another process may have written meanwhile: keep its machines
        cache["machines"][key] = times
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda tmp: Path(tmp).write_text(json.dumps(cache, indent=1)))
    return Choice(*pick(times, precision, gram), source, key, times)
