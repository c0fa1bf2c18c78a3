"""Time to a good image: the classic full-resolution L-BFGS against nst-teach's fast path.

Both runs minimise the same objective (Gatys et al. 2016 with the Caffe VGG-19 weights and Caffe
preprocessing): ½Σ(F−P)² at relu4_2, Σ_l w_l E_l at relu1_1 … relu5_1 with w_l = 1/5, α = 1,
β = 1000, no TV term, initialised from the content photo, style image resized to the same longest side.

  (a) classic: torch.optim.LBFGS (history 100, strong-Wolfe line search) on the full-size image for
      ``--classic-iterations`` iterations, in fp32, the pixels clamped to [0, 1] before each evaluation.
  (b) fast:    `nst_teach.style_transfer` with its default fast path (coarse-to-fine, bf16 on CPUs
      that have it, …), with the same objective.

Losses are judged on what the user gets: each image is clipped to [0, 1], saved as an 8-bit PNG,
loaded again and evaluated in fp32 under the objective. The table gives wall time, network
evaluations, final content/style/total loss, and the time (b) needs to reach a total loss no higher
than 1.05× (a)'s final one, as a fraction of (a)'s time. A plot of total loss against wall time and
the two images are saved to ``--out``.

Run by hand (the 512 px classic run takes tens of minutes):
    .venv/bin/python benchmarks/time_to_quality.py --size 512
CI runs it once at a tiny size (tests/test_benchmarks.py) so that it cannot rot.
"""

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

import nst_teach as nt
from nst_teach.transfer import StyleTransferLoss, TransferConfig

TOLERANCE = 1.05  # (b) must reach ≤ 1.05 × (a)'s final total loss


def objective(size):
    """The issue's fixed objective as a TransferConfig; everything else (scales, steps, precision,
    optimiser) keeps `style_transfer`'s defaults, i.e. the fast path's settings."""
    return TransferConfig(size=size, content_weight=1.0, style_weight=1000.0, tv_weight=0.0,
                          content_layers=("relu4_2",), style_layers=nt.transfer.STYLE_LAYERS,
                          style_layer_weights=(0.2,) * 5, init="content", weighting="paper")


class Clock:
    """Wall time of the optimisation only: time spent on bookkeeping (snapshots) is paused out."""

    def __init__(self):
        self.start, self.paused = time.perf_counter(), 0.0

    def now(self):
        return time.perf_counter() - self.start - self.paused

    @contextlib.contextmanager
    def pause(self):
        t = time.perf_counter()
        try:
            yield
        finally:
            self.paused += time.perf_counter() - t


def as_user_sees_it(img):
    """Clip to [0, 1], save as an 8-bit PNG, load it again: the image the user actually gets."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.png"
        nt.save_image(img.detach().cpu().clamp(0, 1), path)
        return nt.load_image(path)


def judge(judge_fn, img):
    """{'content', 'style', 'total'} of the 8-bit image, in fp32, under the fixed objective."""
    with torch.no_grad():
        _, parts = judge_fn(as_user_sees_it(img))
    return parts


def run_classic(content, style, model, iterations, snapshot_every):
    """(a): torch's L-BFGS on the full-size image, pixels clamped before every evaluation."""
    clock = Clock()  # from the targets on, as for (b)
    config = objective(max(content.shape[-2:]))
    loss_fn = StyleTransferLoss(model, content, style, config)
    x = content.clone().requires_grad_(True)
    optimizer = torch.optim.LBFGS([x], lr=1.0, max_iter=iterations, max_eval=iterations * 3, history_size=100,
                                  tolerance_grad=0.0, tolerance_change=0.0, line_search_fn="strong_wolfe")
    snapshots, evaluations = [], [0]

    def closure():
        optimizer.zero_grad()
        total, _ = loss_fn(x.clamp(0.0, 1.0))  # the pixels the user would see
        total.backward()
        evaluations[0] += 1
        if evaluations[0] % snapshot_every == 0:
            with clock.pause():
                snapshots.append((clock.now(), x.detach().clamp(0, 1).cpu().clone()))
        return total

    optimizer.step(closure)
    seconds = clock.now()
    final = x.detach().clamp(0, 1).cpu()
    snapshots.append((seconds, final))
    return dict(name="(a) classic L-BFGS", image=final, seconds=seconds, evaluations=evaluations[0],
                iterations=optimizer.state[x]["n_iter"], snapshots=snapshots)


def run_fast(content, style, size, snapshot_every=1, name="(b) nst-teach fast path", **options):
    """(b): nst_teach.style_transfer's default fast path on the same objective (options: its settings)."""
    clock, snapshots = Clock(), []
    config = objective(size)

    def callback(step, image, losses):
        if step % snapshot_every == 0:
            with clock.pause():
                snapshots.append((clock.now(), image.detach().cpu().clone()))

    result = nt.style_transfer(content, style, config=config, callback=callback, **options)
    seconds = clock.now()
    snapshots.append((seconds, result.image))
    return dict(name=name, image=result.image, seconds=seconds,
                evaluations=result.evaluations, iterations=len(result.history), snapshots=snapshots, result=result)


def judged_curve(run, judge_fn, shape):
    """[(seconds, judged losses)] for a run's snapshots; coarse-scale images are upsampled to the
    full size first: that is the picture a user stopping at that moment would get."""
    return [(t, judge(judge_fn, nt.images.resize_image(img, shape))) for t, img in run["snapshots"]]


def time_to_reach(curve, target):
    """The first snapshot time whose judged total loss is ≤ target (None if never)."""
    return next((t for t, parts in curve if parts["total"] <= target), None)


def machine():
    cpu = "unknown CPU"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{cpu}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads, torch {torch.__version__}, "
            f"bf16 fast: {nt.precision.bf16_is_fast('cpu')}")


def plot(curves, target, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    for name, curve in curves.items():
        ax.plot([t for t, _ in curve], [p["total"] for _, p in curve], marker=".", label=name)
    ax.axhline(target, color="grey", linestyle="--", label=f"{TOLERANCE:g} × (a)'s final loss")
    ax.set_yscale("log")
    ax.set_xscale("log")
    ax.set_xlabel("wall time (s)")
    ax.set_ylabel("total loss of the saved 8-bit image")
    ax.set_title("Time to quality")
    ax.legend()
    fig.tight_layout()
    nt.files.atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110))
    plt.close(fig)


def _numbers(kind):
    def parse(text):
        values = tuple(kind(v) for v in text.split(","))
        return values[0] if len(values) == 1 else values
    return parse


def _schedule(text):
    scales, _, steps = text.partition(":")
    return tuple(float(v) for v in scales.split(",")), tuple(int(v) for v in steps.split(","))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--content", default="cat")
    parser.add_argument("--style", default="starry_night")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--classic-iterations", type=int, default=1000)
    parser.add_argument("--fast-steps", type=_numbers(int), default=None,
                        help="(b)'s iterations, one per scale or one for all (default: style_transfer's)")
    parser.add_argument("--fast-scales", type=_numbers(float), default=None,
                        help="(b)'s scales, e.g. 0.5,1 (default: style_transfer's)")
    parser.add_argument("--coarse-to-fine", type=_schedule, default=None, metavar="SCALES:STEPS",
                        help="also run (b) coarse to fine, e.g. 0.5,1:50,400 (the fast path's options otherwise)")
    parser.add_argument("--replot", action="store_true", help="only redraw the plot from --out's time_to_quality.json")
    parser.add_argument("--out", default="benchmarks/out", help="folder for the plot, the images and the numbers")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.replot:
        numbers = json.loads((out / "time_to_quality.json").read_text())
        curves = {k: [(t, {"total": v}) for t, v in curve] for k, curve in numbers["curves"].items()}
        plot(curves, numbers["target"], out / "time_to_quality.png")
        return numbers["rows"]

    nt.precision.keep_freed_memory()  # as the CLI does; for both runs
    content, style = nt.load_image(args.content, args.size), nt.load_image(args.style, args.size)
    shape = content.shape[-2:]
    print(f"machine: {machine()}")
    print(f"content {args.content}, style {args.style}, {shape[1]}×{shape[0]} px; "
          f"objective: α = 1, β = 1000, relu4_2 / relu1_1…relu5_1 (w_l = 1/5), init content, no TV", flush=True)
    judge_model = nt.load_vgg19(last_layer="relu5_1", device="cpu")  # fp32: the judge
    judge_fn = StyleTransferLoss(judge_model, content, style, objective(args.size))

    fast_options = {k: v for k, v in (("steps", args.fast_steps), ("scales", args.fast_scales)) if v is not None}
    if "scales" in fast_options and not isinstance(fast_options["scales"], tuple):
        fast_options["scales"] = (fast_options["scales"],)
    every_a = max(1, args.classic_iterations // 100)
    print(f"(a) classic: {args.classic_iterations} iterations …", flush=True)
    classic = run_classic(content, style, nt.load_vgg19(last_layer="relu5_1", device="cpu"), args.classic_iterations, every_a)
    print(f"(b) fast path …", flush=True)
    fast = run_fast(args.content, args.style, args.size, snapshot_every=5, **fast_options)
    runs = [classic, fast]
    if args.coarse_to_fine:
        scales, steps = args.coarse_to_fine
        print(f"(c) coarse to fine {scales} …", flush=True)
        runs.append(run_fast(args.content, args.style, args.size, snapshot_every=5, scales=scales, steps=steps,
                             name="(c) fast path, 0.5 → 1"))
    curves = {run["name"]: judged_curve(run, judge_fn, shape) for run in runs}
    target = TOLERANCE * curves[classic["name"]][-1][1]["total"]

    header = (f"{'run':<28} {'wall s':>8} {'evals':>6} {'iters':>6} {'content':>10} {'style':>10} {'total':>10} "
              f"{'reach 1.05×(a) s':>17} {'÷ (a) wall':>11}")
    print(header)
    rows = []
    for run in runs:
        final = curves[run["name"]][-1][1]
        reach = time_to_reach(curves[run["name"]], target)
        ratio = None if reach is None else reach / classic["seconds"]
        rows.append(dict(run=run["name"], seconds=run["seconds"], evaluations=run["evaluations"],
                         iterations=run["iterations"], **{k: final[k] for k in ("content", "style", "total")},
                         reach_seconds=reach, reach_ratio=ratio))
        print(f"{run['name']:<28} {run['seconds']:>8.1f} {run['evaluations']:>6} {run['iterations']:>6} "
              f"{final['content']:>10.4g} {final['style']:>10.4g} {final['total']:>10.4g} "
              f"{'never' if reach is None else f'{reach:.1f}':>17} {'—' if ratio is None else f'{ratio:.3f}':>11}")
    fast_total, classic_total = rows[1]["total"], rows[0]["total"]
    print(f"(b)/(a) final total loss: {fast_total / classic_total:.3f}; wall time (b)/(a): {fast['seconds'] / classic['seconds']:.3f}")

    plot(curves, target, out / "time_to_quality.png")
    nt.save_image(classic["image"], out / "classic.png")
    nt.save_image(fast["image"], out / "fast.png")
    if args.coarse_to_fine:
        nt.save_image(runs[2]["image"], out / "coarse_to_fine.png")
    numbers = dict(machine=machine(), size=list(shape), rows=rows, target=target,
                   curves={k: [(t, p["total"]) for t, p in v] for k, v in curves.items()})
    nt.files.atomic_write(out / "time_to_quality.json", lambda tmp: Path(tmp).write_text(json.dumps(numbers, indent=1)))
    print(f"wrote {out}/time_to_quality.png, classic.png, fast.png, time_to_quality.json")
    return rows


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
