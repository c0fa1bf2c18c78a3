"""Step 8, speed: choosing the arithmetic by measuring it on the machine that runs it.

Which way of computing one loss evaluation is fastest depends on the hardware, not on the maths:

* the network in **bf16 or fp32** (`nst_teach.precision`): bf16 is ~5× faster on a Xeon with AMX,
  about 2× on an AMD EPYC with AVX-512 BF16 but no AMX, and slower than fp32 where the CPU only
  emulates it;
* the Gram matrices by **`gram_fast`** (fp32 product in the forward pass, one bf16 product in the
  backward pass) or by **autograd** (`gram.gram_matrix` on an fp32 copy of the features): which one
  wins depends on how fast the BLAS library's tall, skinny products are on that CPU;
* the 3×3 convolutions **direct** (oneDNN, channels-last) or by **Winograd**'s algorithm (NNPACK,
  `nst_teach.winograd`, fp32 only): about 5× fewer multiplications, which wins where fp32 is all
  the CPU has (measured 1.2× faster per evaluation on an AMD EPYC with AVX2 only).

A rule written on one kind of CPU was wrong on the other (DEVELOPERS.md, "The fast path"), so
``precision="auto"``, ``gram="auto"`` and ``conv="auto"`` are decided by measuring: the first run on a machine times
a few loss evaluations of every candidate at a small size (``CALIBRATION_SIZE``, a few seconds),
interleaved (candidate A, B, C, D, A, B, …) so that a burst of load from another program hits all
of them, and keeps the fastest by the median. The times are cached in the user's cache folder
(``$NST_TEACH_CACHE`` or ~/.cache/nst-teach, ``calibration.json``) under a key made of the CPU model,
the vector instructions torch uses on it, the torch version and the device, so a new CPU, a new
torch or a GPU measures again.

``$NST_TEACH_CALIBRATE``: ``off`` never measures (bf16 where the hardware has it, `gram_fast`, direct
convolutions: the rule of issue 6), ``force`` measures again and replaces the cached times. Nothing is measured at
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
from .precision import CONVS, GRAMS, PRECISIONS, bf16_is_fast, resolve_precision
from .samples import default_cache_dir
from .winograd import winograd_available

# Longest side of the random images timed: the run's own size class. Which arithmetic wins depends on
# the size: Winograd (NNPACK) transforms every filter at every call, a fixed cost that a 192 px image
# does not amortise (measured on the AVX2 EPYC: 0.69 s against 0.33 s direct at 192 px, but 1.70 s
# against 2.07 s at 512 px; 4× slower at 96 px). Runs up to 192 px (the lessons') are timed at
# 128 px, up to 384 px at 256 px, larger ones at 512 px.
CALIBRATION_SIZES = (128, 256, 512)
CALIBRATION_SIZE = 256  # what the calibration of a run of unknown size measures
REPEAT = 3  # timed evaluations per candidate, after one warm-up each
CACHE_FILE = "calibration.json"
CACHE_VERSION = 4  # 2: the convolutions are a third choice (names precision+gram+conv); 3: Winograd with filters transformed once; 4: the command keeps freed memory in the heap (page faults were part of every time)
ENV = "NST_TEACH_CALIBRATE"
MODES = ("auto", "off", "force")


@dataclass
class Choice:
    """What a run uses: ``precision`` ('fp32'/'bf16'), ``gram`` ('fast'/'autograd') and ``conv``
    ('direct'/'winograd'); ``source`` says why ('given', 'rule', 'measured now', 'cached');
    ``times``: median seconds per candidate."""

    precision: str
    gram: str
    source: str
    key: str = ""
    times: dict = field(default_factory=dict)
    conv: str = "direct"
    size: int = CALIBRATION_SIZE  # the longest side the times were measured at

    def describe(self):
        measured = ", ".join(f"{name} {seconds:.3f} s" for name, seconds in sorted(self.times.items(), key=lambda kv: kv[1]))
        text = f"precision {self.precision}, Gram {self.gram}, convolutions {self.conv} ({self.source}"
        return text + (f" on {self.key}: {measured} per evaluation at {self.size} px)" if measured else ")")


def cpu_model():
    """The CPU's model name (/proc/cpuinfo on Linux, else what `platform` knows)."""
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine() or "unknown CPU"


def machine_key(device):
    """What the measured times depend on: the CPU model and the vector instructions torch uses on it
    (one model name, "AMD EPYC", covers CPUs with and without AVX-512), the torch version, the device."""
    device = torch.device(device)
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else device.type
    return f"{cpu_model()} ({torch.backends.cpu.get_cpu_capability()}) | torch {torch.__version__} | {where}"


def calibration_size(size):
    """The size class a run of longest side ``size`` is timed at (None: unknown, CALIBRATION_SIZE)."""
    if size is None:
        return CALIBRATION_SIZE
    return next((n for n in CALIBRATION_SIZES if size <= 1.5 * n), CALIBRATION_SIZES[-1])


def cache_key(device, size):
    """The machine (`machine_key`) and the size class the times belong to."""
    return f"{machine_key(device)} | {calibration_size(size)} px"


def is_cached(device, size=None, cache_dir=None):
    """True if `choose` would read times for this machine and size class instead of measuring them."""
    return cache_key(device, size) in read_cache(cache_path(cache_dir))["machines"]


def cache_path(cache_dir=None):
    return Path(cache_dir if cache_dir is not None else default_cache_dir()) / CACHE_FILE


def candidates(device):
    """(precision, gram, conv) triples worth timing: bf16 only where the hardware runs bf16 at all,
    Winograd convolutions (fp32 only) where torch has NNPACK."""
    arithmetics = [("fp32", "direct")]
    if winograd_available(device):
        arithmetics.append(("fp32", "winograd"))
    if bf16_is_fast(device):
        arithmetics.append(("bf16", "direct"))
    return [(p, g, c) for p, c in arithmetics for g in GRAMS[1:]]


def name(precision, gram, conv):
    return f"{precision}+{gram}+{conv}"


def pick(times, precision="auto", gram="auto", conv="auto"):
    """The fastest candidate in ``times`` ({'bf16+fast+direct': seconds, …}) that agrees with the
    explicit choices ('auto' agrees with anything). Returns (precision, gram, conv)."""
    asked = (precision, gram, conv)
    allowed = {k: v for k, v in times.items() if all(a in ("auto", part) for a, part in zip(asked, k.split("+")))}
    if not allowed:
        raise NSTError(f"no measured candidate for precision {precision!r}, Gram {gram!r} and convolutions {conv!r}: "
                       "set them to auto, or measure again with NST_TEACH_CALIBRATE=force")
    return tuple(min(allowed, key=allowed.get).split("+"))


def measure(evaluate, candidates_, repeat=REPEAT, timer=time.perf_counter):
    """Median seconds of ``evaluate(precision, gram, conv)`` for each candidate, interleaved over
    ``repeat`` rounds after one warm-up round (the first pass at a new shape picks kernels and is slow)."""
    seconds = {name(*candidate): [] for candidate in candidates_}
    for round_ in range(repeat + 1):
        for candidate in candidates_:
            start = timer()
            evaluate(*candidate)
            if round_ > 0:
                seconds[name(*candidate)].append(timer() - start)
    return {k: statistics.median(v) for k, v in seconds.items()}


def read_cache(path):
    try:
        data = json.loads(path.read_text())
        return data if data.get("version") == CACHE_VERSION else {"version": CACHE_VERSION, "machines": {}}
    except (OSError, ValueError, AttributeError):
        return {"version": CACHE_VERSION, "machines": {}}


def choose(device, precision="auto", gram="auto", conv="auto", mode=None, cache_dir=None, evaluate=None,
           timer=time.perf_counter, size=None):
    """The (precision, gram, conv) a run of longest side ``size`` uses on ``device``, as a `Choice`.

    Explicit choices are kept. 'auto' is decided from the cached times for this machine (key: CPU
    model and vector instructions, torch version, device) and size class (`calibration_size`),
    measured now if there are none (``evaluate``: a function (precision, gram, conv, size) → None to
    time, e.g. `nst_teach.transfer.loss_evaluator(model, device)`). mode: 'auto', 'off' (never measure: bf16
    where the hardware has it, gram_fast, direct convolutions) or 'force' (measure again); default:
    $NST_TEACH_CALIBRATE, else 'auto'.
    """
    for value, allowed, what in ((precision, PRECISIONS, "precision"), (gram, GRAMS, "Gram"), (conv, CONVS, "convolutions")):
        if value not in allowed:
            raise NSTError(f"unknown {what} {value!r}: use {', '.join(allowed[:-1])} or {allowed[-1]}")
    if conv == "winograd" and not winograd_available(device):
        raise NSTError(f"Winograd convolutions need torch's NNPACK on the CPU, not available on {torch.device(device)}: "
                       "use conv='direct' or 'auto'")
    if precision == "bf16" and conv == "winograd":
        raise NSTError("Winograd convolutions run in fp32 only: use precision fp32 (or auto) with conv winograd, or conv direct with bf16")
    if "auto" not in (precision, gram, conv):
        return Choice(precision, gram, "given", conv=conv)
    mode = mode or os.environ.get(ENV) or "auto"
    if mode not in MODES:
        raise NSTError(f"{ENV}={mode!r}: use auto, off or force")
    if mode == "off":
        # Winograd asked for with precision auto: fp32, the only precision it runs in (not bf16 by the rule)
        rule_precision = "fp32" if conv == "winograd" and precision == "auto" else resolve_precision(precision, device)
        return Choice(rule_precision, "fast" if gram == "auto" else gram, "rule", conv="direct" if conv == "auto" else conv)
    key, n, path = cache_key(device, size), calibration_size(size), cache_path(cache_dir)
    cache = read_cache(path)
    times, source = cache["machines"].get(key), "cached"
    if mode == "force" or not times:
        if evaluate is None:
            raise NSTError("calibration needs something to time: evaluate=nst_teach.transfer.loss_evaluator(model, device)")
        times = measure(lambda p, g, c: evaluate(p, g, c, size=n), candidates(device), timer=timer)
        source = "measured now"
        cache = read_cache(path)  # another process may have written meanwhile: keep its machines
        cache["machines"][key] = times
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda tmp: Path(tmp).write_text(json.dumps(cache, indent=1)))
    p, g, c = pick(times, precision, gram, conv)
    return Choice(p, g, source, key, times, conv=c, size=n)
