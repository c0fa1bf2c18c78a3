"""Speed: choosing the arithmetic by measuring it on the machine that runs it.

Which way of computing one loss evaluation is fastest depends on the hardware, not on the maths:

* the network in **bf16 or fp32** (`precision`): bf16 is ~5× faster on a Xeon with AMX, about 2×
  on an AMD EPYC with AVX-512 BF16 but no AMX, and slower than fp32 where the CPU only emulates it;
* the Gram matrices by **`gram_fast`** (fp32 product in the forward pass, one bf16 product in the
  backward pass) or by **autograd** (`gram.gram_matrix` on an fp32 copy of the features): which one
  wins depends on how fast the BLAS library's tall, skinny products are on that CPU;
* the 3×3 convolutions **direct** (oneDNN, channels-last) or by **Winograd**'s algorithm (NNPACK,
  `winograd`, fp32 only): about 5× fewer multiplications, which wins where fp32 is all the CPU has
  (1.2× faster per evaluation on an AMD EPYC with AVX2 only).

A rule written on one kind of CPU was wrong on the other, so ``speed="auto"`` is decided by
measuring: the first run on a machine times a few loss evaluations of every candidate on random
images of the run's size class (a few seconds, and it says so in one line), interleaved (candidate
A, B, C, D, A, B, …) so that a burst of load from another program hits all of them, and keeps the
fastest by the median. A candidate that fails is left out, in one line. The losing Winograd
candidate's transformed filters are freed. The times are cached in the user's cache folder
(``$NST_TEACH_CACHE`` or ~/.cache/nst-teach, ``calibration.json``) under a key made of everything
they were measured under: the CPU model, the vector instructions torch uses on it, the torch
version, the device, torch's thread count and the process settings (`process.in_effect`). A cache
that cannot be written costs a one-line warning; the run goes on.

So with ``speed="auto"`` the arithmetic of a run, and with it the last digits of its result, depends
on this machine's measured times; ``speed="plain"`` does not measure and always runs the same way.
``$NST_TEACH_CALIBRATE``: ``off`` never measures (bf16 where the hardware has it, `gram_fast`,
direct convolutions), ``force`` measures again and replaces the cached times.
"""

import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

from ..errors import NSTError
from ..files import atomic_write
from ..samples import default_cache_dir
from . import process
from .arithmetic import Speed
from .gram_fast import GRAMS
from .precision import PRECISIONS, bf16_is_fast, resolve_precision
from .winograd import release, winograd_available

CONVS = ("auto", "direct", "winograd")  # VGG's 3×3 convolutions: oneDNN's, or Winograd's; auto: measured
# Longest side of the random images timed: the run's own size class. Which arithmetic wins depends on
# the size: Winograd (NNPACK) transforms every filter at every call, a fixed cost that a 192 px image
# does not amortise (measured on the AVX2 EPYC: 0.69 s against 0.33 s direct at 192 px, but 1.70 s
# against 2.07 s at 512 px; 4× slower at 96 px). Runs up to 192 px (the lessons') are timed at
# 128 px, up to 384 px at 256 px, larger ones at 512 px.
CALIBRATION_SIZES = (128, 256, 512)
CALIBRATION_SIZE = 256  # what the calibration of a run of unknown size measures
REPEAT = 3  # timed evaluations per candidate, after one warm-up each
CACHE_FILE = "calibration.json"
CACHE_VERSION = 5  # the format of calibration.json's keys and times; another version is measured again
ENV = "NST_TEACH_CALIBRATE"
MODES = ("auto", "off", "force")


def cpu_model():
    """The CPU's model name (/proc/cpuinfo on Linux, else what `platform` knows)."""
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine() or "unknown CPU"


def machine_key(device):
    """What the measured times depend on: the CPU model and the vector instructions torch uses on it
    (one model name, "AMD EPYC", covers CPUs with and without AVX-512), the torch version, the
    device, torch's thread count and the process settings (OpenMP's wait policy, the allocator)."""
    device = torch.device(device)
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else device.type
    settings = ",".join(f"{k}={v}" for k, v in process.in_effect().items() if v is not None) or "no process settings"
    return (f"{cpu_model()} ({torch.backends.cpu.get_cpu_capability()}) | torch {torch.__version__} | {where} | "
            f"{torch.get_num_threads()} threads | {settings}")


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
    ``repeat`` rounds after one warm-up round (the first pass at a new shape picks kernels and is
    slow). A candidate that raises is left out from then on, with one line on stderr."""
    seconds = {name(*candidate): [] for candidate in candidates_}
    for round_ in range(repeat + 1):
        for candidate in candidates_:
            if name(*candidate) not in seconds:
                continue
            start = timer()
            try:
                evaluate(*candidate)
            except Exception as err:  # any failure of a fast path: the others can still run
                del seconds[name(*candidate)]
                print(f"calibration: {name(*candidate)} failed ({type(err).__name__}: {err}); left out", file=sys.stderr)
                continue
            if round_ > 0:
                seconds[name(*candidate)].append(timer() - start)
    return {k: statistics.median(v) for k, v in seconds.items() if v}


def read_cache(path):
    try:
        data = json.loads(path.read_text())
        return data if data.get("version") == CACHE_VERSION else {"version": CACHE_VERSION, "machines": {}}
    except (OSError, ValueError, AttributeError):
        return {"version": CACHE_VERSION, "machines": {}}


def write_cache(path, key, times):
    """Add ``times`` under ``key`` to the cache file; if it cannot be written, say so in one line."""
    try:
        cache = read_cache(path)  # another process may have written meanwhile: keep its machines
        cache["machines"][key] = times
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda tmp: Path(tmp).write_text(json.dumps(cache, indent=1)))
    except (OSError, NSTError) as err:
        print(f"warning: could not cache the calibration in {path} ({getattr(err, 'strerror', None) or err}); "
              f"the next run will measure again (set NST_TEACH_CACHE to a folder you can write to)", file=sys.stderr)


def loss_timer(loss, device, seed=0):
    """evaluate(precision, gram, conv, size): one forward + backward of ``loss(speed, content, style)``
    (a loss function's constructor, e.g. a run's StyleTransferLoss) on seeded random images of longest
    side ``size``. Each arithmetic's loss function is built at its first call and kept for the next."""
    built = {}

    def evaluate(precision, gram, conv="direct", size=CALIBRATION_SIZE):
        if size not in built:  # the random images at this size
            generator = torch.Generator().manual_seed(seed)
            shape = (1, 3, size * 2 // 3, size)
            built[size] = [torch.rand(shape, generator=generator).to(device) for _ in range(2)]
        content, style = built[size]
        if (precision, gram, conv, size) not in built:
            built[precision, gram, conv, size] = loss(Speed(precision, gram, conv, "timed"), content, style)
        x = content.clone().requires_grad_(True)
        total, _ = built[precision, gram, conv, size](x)
        total.backward()
        if torch.device(device).type == "cuda":
            torch.cuda.synchronize()

    return evaluate


def check(precision="auto", gram="auto", conv="auto", device="cpu"):
    """One-line errors for an arithmetic that does not exist or cannot run on ``device``."""
    for value, allowed, what in ((precision, PRECISIONS, "precision"), (gram, GRAMS, "Gram"), (conv, CONVS, "convolutions")):
        if value not in allowed:
            raise NSTError(f"unknown {what} {value!r}: use {', '.join(allowed[:-1])} or {allowed[-1]}")
    if precision == "bf16" and conv == "winograd":
        raise NSTError("Winograd convolutions run in fp32 only: use precision fp32 (or auto) with conv winograd, or conv direct with bf16")
    if device is not None and conv == "winograd" and not winograd_available(device):
        raise NSTError(f"Winograd convolutions need torch's NNPACK on the CPU, not available on {torch.device(device)}: "
                       "use conv direct or auto")


def choose(device, precision="auto", gram="auto", conv="auto", mode=None, cache_dir=None, loss=None, model=None,
           timer=time.perf_counter, size=None, evaluate=None):
    """The `Speed` a run of longest side ``size`` uses on ``device``.

    Explicit choices are kept. 'auto' is decided from the cached times for this machine
    (`machine_key`) and size class (`calibration_size`), measured now if there are none: ``loss``,
    a function (speed, content, style) → loss function, is timed by `loss_timer` (or give
    ``evaluate`` (precision, gram, conv, size) → None directly). ``model``: the network the losses
    run; if Winograd was measured and lost, its transformed filters are freed. mode: 'auto', 'off'
    (never measure: bf16 where the hardware has it, gram_fast, direct convolutions) or 'force'
    (measure again); default: $NST_TEACH_CALIBRATE, else 'auto'.
    """
    check(precision, gram, conv, device)
    if "auto" not in (precision, gram, conv):
        return Speed(precision, gram, conv, "given")
    mode = mode or os.environ.get(ENV) or "auto"
    if mode not in MODES:
        raise NSTError(f"{ENV}={mode!r}: use auto, off or force")
    if mode == "off":
        # Winograd asked for with precision auto: fp32, the only precision it runs in (not bf16 by the rule)
        rule_precision = "fp32" if conv == "winograd" and precision == "auto" else resolve_precision(precision, device)
        return Speed(rule_precision, "fast" if gram == "auto" else gram, "direct" if conv == "auto" else conv, "rule")
    key, n, path = cache_key(device, size), calibration_size(size), cache_path(cache_dir)
    times, source = read_cache(path)["machines"].get(key), "cached"
    if mode == "force" or not times:
        if evaluate is None and loss is None:
            raise NSTError("calibration needs something to time: give loss= (speed, content, style) → loss function")
        print(f"timing each way of computing the loss at {n} px on this machine first (once; cached in {path.parent})",
              file=sys.stderr, flush=True)
        timed = evaluate or loss_timer(loss, device)
        times = measure(lambda p, g, c: timed(p, g, c, size=n), candidates(device), timer=timer)
        del timed  # the timed loss functions, and what they hold
        if not times:
            raise NSTError("every way of computing the loss failed on this machine: try speed='plain'")
        source = "measured now"
        write_cache(path, key, times)
    p, g, c = pick(times, precision, gram, conv)
    if c != "winograd" and model is not None:
        release(model)  # Winograd's transformed filters, if it was measured: ≈ 740 MB up to conv5_1
    return Speed(p, g, c, source, key, times, n)
