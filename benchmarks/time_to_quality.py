"""The classic's quality at a fraction of its cost: `style_transfer`'s default run against 1000
classic L-BFGS iterations, on four photo/painting pairs that are not samples, judged from outside.

The objective, fixed for every run (Gatys et al. 2016, Caffe VGG-19 weights and preprocessing):
½Σ(F−P)² at relu4_2 + β Σ_l w_l E_l at relu1_1 … relu5_1, w_l = 1/5, α = 1, β = 1000, the paper's
sums (weighting="paper"), no TV term. The pairs are `pairs.PAIRS` (scikit-image's motorcycle and
retina, scikit-learn's china and flower, each with a procedural painting drawn with a seed the
samples do not use).

  (a) the classic: torch.optim.LBFGS (history 100, strong-Wolfe line search) on the pixels of the
      image at ``--size``, from the photo, 1000 iterations in the plain fp32 arithmetic, the pixels
      clamped to [0, 1] before every evaluation. It takes 20–30 minutes at 512 px on 2 cores, so it
      runs once per pair and size: its judged losses are cached in ``--classic-cache`` and reused.
  (b) the default run: `nst_teach.style_transfer` with its defaults (it stops when the picture stops
      changing) on the same objective, from the default start and from the photo (init="content"),
      given the pictures as full-size tensors and as paths.

Judged from outside: each final image is clipped, saved as an 8-bit PNG, loaded again and evaluated by
the shared judge's ``gatys_ref.Objective`` (``--judge DIR``, $NST_TEACH_JUDGE, or ../shared/judge
beside the repository: its own VGG-19, preprocessing and PIL resizing of the original files), or where
it is missing by nst-teach in plain fp32 from the original files.

Cost, in units: the seconds of the `style_transfer` call (targets, every stage; the model loaded and
the arithmetic calibrated before) ÷ the seconds of one plain fp32 forward + backward pass of VGG-19
(to relu5_1, direct convolutions) on the pair's photo at ``--size``, the median of 5 timed in the same
process just before the pair's runs and 5 just after. The classic's cost in the same units is its
evaluations × one plain fp32 evaluation of the loss (timed the same way): about 1200.

Target: a judged total ≤ 1.05 × the classic's, at ≤ 50 units, for every pair, start and input.

    .venv/bin/python benchmarks/time_to_quality.py --out out/ttq     # all four pairs (the classic from the cache)
    .venv/bin/python benchmarks/time_to_quality.py --pairs china --starts content --inputs paths
    .venv/bin/python benchmarks/time_to_quality.py --set history_size=50 --set stop_tolerance=0.002   # another setting
    .venv/bin/python benchmarks/time_to_quality.py --units     # what one evaluation costs, in units

The evaluations do not depend on the machine's load; the units somewhat do (the script prints the load).
CI runs it once at a tiny size (tests/test_benchmarks.py) so that it cannot rot.
"""

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

import nst_teach as nt
from common import bare_pass, calibrated, load_average, machine, with_process_settings
from nst_teach import speed as speed_front
from nst_teach.transfer import StyleTransferLoss, TransferConfig
from pairs import PAIRS, pair_paths

TOLERANCE = 1.05  # (b) must end at ≤ 1.05 × (a)'s final total loss
BUDGET = 50  # … at ≤ 50 units
HERE = Path(__file__).resolve().parent
STARTS = {"default": {}, "content": {"init": "content"}}


def objective(size):
    """The fixed objective (the paper's sums, α = 1, β = 1000) as a TransferConfig; everything else
    (stopping, scales, optimiser, parametrisation, start, speed) keeps `style_transfer`'s defaults."""
    return TransferConfig(size=size, content_weight=1.0, style_weight=1000.0, tv_weight=0.0,
                          content_layers=("relu4_2",), style_layers=nt.transfer.STYLE_LAYERS,
                          style_layer_weights=(0.2,) * 5, weighting="paper")


def default_judge_dir():
    return os.environ.get("NST_TEACH_JUDGE") or str(HERE.parent.parent / "shared" / "judge")


class Judge:
    """The loss of a saved 8-bit image under the fixed objective, computed apart from the optimiser.

    With the shared judge (``gatys_ref.py`` in ``judge_dir``): its Objective, its loading and PIL
    resizing of the original files at the result's size, its VGG pass. Without it: nst-teach's
    `StyleTransferLoss` in plain fp32 on the original files loaded at that size."""

    def __init__(self, content_path, style_path, size, judge_dir=None):
        self.size, self.ref = size, None
        judge_dir = Path(judge_dir or default_judge_dir())
        if (judge_dir / "gatys_ref.py").exists():
            sys.path.insert(0, str(judge_dir))
            import gatys_ref

            self.ref, self.name = gatys_ref, f"the shared judge ({judge_dir / 'gatys_ref.py'})"
            self.loss = gatys_ref.Objective(gatys_ref.load(content_path, size), gatys_ref.load(style_path, size))
        else:
            model = nt.load_vgg19(last_layer="relu5_1", device="cpu")
            content, style = nt.load_image(content_path, size), nt.load_image(style_path, size)
            self.loss, self.name = StyleTransferLoss(model, content, style, objective(size), speed_front.PLAIN), "nst-teach in fp32 (no judge found)"

    def __call__(self, img):
        """{'content', 'style', 'total'} of ``img`` [1, 3, H, W] as the user gets it (8-bit PNG)."""
        with tempfile.TemporaryDirectory() as tmp, torch.no_grad():
            path = Path(tmp) / "x.png"
            nt.save_image(img.detach().cpu().clamp(0, 1), path)
            if self.ref is None:
                return self.loss(nt.load_image(path))[1]
            content, style, total = self.loss(self.ref.load(str(path), None))
            return dict(content=float(content), style=float(style), total=float(total))


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


def to_8bit(img):
    """A compact snapshot: the image as `save_image` writes it (uint8, rounded as `to_pil` does)."""
    return (img.detach().cpu().float().clamp(0, 1) * 255.0 + 0.5).to(torch.uint8)


def run_classic(content, style, iterations, snapshot_every):
    """(a): torch's L-BFGS on the image's pixels, clamped before every evaluation, plain fp32.
    Snapshots (evaluations, seconds, 8-bit image) every ``snapshot_every`` evaluations and at the end."""
    model = nt.load_vgg19(last_layer="relu5_1", device="cpu")
    clock = Clock()
    loss_fn = StyleTransferLoss(model, content, style, objective(max(content.shape[-2:])))
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
                snapshots.append((evaluations[0], clock.now(), to_8bit(x)))
        return total

    optimizer.step(closure)
    final = x.detach().clamp(0, 1).cpu()
    snapshots.append((evaluations[0], clock.now(), to_8bit(final)))
    return dict(image=final, seconds=clock.now(), evaluations=evaluations[0], iterations=optimizer.state[x]["n_iter"],
                snapshots=snapshots)


def judged_curve(snapshots, judge_fn):
    """[(evaluations, seconds, judged total)] of (evaluations, seconds, 8-bit image) snapshots."""
    return [(e, t, judge_fn(img8.float() / 255.0)["total"]) for e, t, img8 in snapshots]


def first_reaching(curve, target):
    """(evaluations, seconds) of the first point whose judged total is ≤ target (None, None if never)."""
    return next(((e, t) for e, t, total in curve if total <= target), (None, None))


def time_to_reach(curve, target):
    return first_reaching(curve, target)[1]


def classic_key(pair, size, iterations):
    return f"{pair}@{size}px/{iterations}"


def classic_for(pair, paths, size, iterations, cache_path, judge_fn, out):
    """(a) for ``pair`` from the cache, else run now (minutes) and add it to the cache."""
    cache = json.loads(Path(cache_path).read_text()) if Path(cache_path).exists() else {}
    key = classic_key(pair, size, iterations)
    if key in cache:
        return cache[key]
    print(f"(a) classic for {pair}: {iterations} iterations at {size} px (not in {cache_path}) …", flush=True)
    content, style = (nt.load_image(p, size) for p in paths)
    classic = run_classic(content, style, iterations, max(1, iterations // 250))
    curve = judged_curve(classic["snapshots"], judge_fn)
    final = judge_fn(classic["image"])
    nt.save_image(classic["image"], Path(out) / f"{pair}_classic.png")
    entry = dict(photo=Path(paths[0]).name, painting=Path(paths[1]).name, size=list(content.shape[-2:]),
                 machine=machine(), load=load_average(), judge=judge_fn.name, evaluations=classic["evaluations"],
                 iterations=classic["iterations"], seconds=classic["seconds"], **final,
                 evaluations_to_target=first_reaching(curve, TOLERANCE * final["total"])[0],
                 curve=[(e, round(t, 1), total) for e, t, total in curve])
    cache = json.loads(Path(cache_path).read_text()) if Path(cache_path).exists() else {}  # read again: runs may overlap
    cache[key] = entry
    Path(cache_path).parent.mkdir(parents=True, exist_ok=True)
    nt.files.atomic_write(cache_path, lambda tmp: Path(tmp).write_text(json.dumps(cache, indent=1)))
    return entry


def median_seconds(fn, repeat):
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def plain_costs(photo, painting, size, repeat=5):
    """Seconds of one plain fp32 forward + backward of VGG-19 on the photo at ``size`` (the unit),
    and of one plain fp32 evaluation of the loss (what each of the classic's evaluations costs)."""
    model = nt.load_vgg19(last_layer="relu5_1", device="cpu")
    content, style = nt.load_image(photo, size), nt.load_image(painting, size)
    bare = bare_pass(model, content, speed_front.PLAIN)
    loss_fn = StyleTransferLoss(model, content, style, objective(size))
    x = content.clone().requires_grad_(True)

    def evaluation():
        x.grad = None
        loss_fn(x)[0].backward()

    return median_seconds(bare, repeat), median_seconds(evaluation, repeat)


def evaluation_units(photo, painting, size, repeat=7):
    """{what: seconds} of one evaluation of the default run's loss at ``size`` and at half of it (in the
    arithmetic `auto` picks there), of one plain fp32 evaluation, and of the unit (the plain fp32 bare
    pass at ``size``): interleaved over ``repeat`` rounds, medians, so that load falls on all alike."""
    device = torch.device("cpu")
    plain_model, model = (nt.load_vgg19(last_layer="relu5_1", device=device) for _ in range(2))
    content, style = nt.load_image(photo, size), nt.load_image(painting, size)
    passes = {"unit: plain fp32 forward + backward": bare_pass(plain_model, content, speed_front.PLAIN)}

    def evaluation(loss_fn, x):
        def run():
            x.grad = None
            loss_fn(x)[0].backward()
        return run

    passes["the classic's evaluation (plain fp32)"] = evaluation(StyleTransferLoss(plain_model, content, style, objective(size)),
                                                                 content.clone().requires_grad_(True))
    for at in (size, size // 2):
        c, s = nt.load_image(photo, at), nt.load_image(painting, at)
        choice = calibrated(model, device, at, objective(at))
        passes[f"default evaluation at {at} px ({choice.precision}, {choice.conv})"] = evaluation(
            StyleTransferLoss(model, c, s, objective(at), choice), c.clone().requires_grad_(True))
    for run in passes.values():
        run()  # warm-up
    times = {name: [] for name in passes}
    for _ in range(repeat):
        for name, run in passes.items():
            t = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - t)
    return {name: statistics.median(v) for name, v in times.items()}


def run_default(content, style, size, model, options):
    """(b): `style_transfer` with its defaults on the objective; (result, seconds of the call)."""
    start = time.perf_counter()
    result = nt.style_transfer(content, style, config=objective(size), model=model, **options)
    return result, time.perf_counter() - start


def stages_of(result):
    """'150' or '120+38': the steps of each stage."""
    counts = {}
    for entry in result.history:
        counts[entry["size"]] = counts.get(entry["size"], 0) + 1
    return "+".join(str(n) for n in counts.values())


def parse_setting(text):
    name, _, value = text.partition("=")
    if name not in TransferConfig.__dataclass_fields__ or not value:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE with a TransferConfig field, got {text!r}")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value


HEADER = (f"{'pair':<11} {'start':<8} {'inputs':<8} {'steps':>9} {'evals':>6} {'seconds':>8} {'units':>6} "
          f"{'judged total':>13} {'÷ (a)':>7}  target")


def print_row(row):
    met = "met" if row["ratio"] <= TOLERANCE and row["units"] <= BUDGET else "MISSED"
    print(f"{row['pair']:<11} {row['start']:<8} {row['inputs']:<8} {row['steps']:>9} {row['evaluations']:>6} "
          f"{row['seconds']:>8.1f} {row['units']:>6.1f} {row['total']:>13.4g} {row['ratio']:>7.3f}  {met}", flush=True)


def plot(rows, classics, path):
    """Per pair: the classic's judged loss against its cost in units, and each default run's final point."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pairs = list(classics)
    fig, axes = plt.subplots(1, len(pairs), figsize=(4.2 * len(pairs), 3.8), squeeze=False)
    for ax, pair in zip(axes[0], pairs):
        classic = classics[pair]
        total = classic["total"]
        per_evaluation = classic["units_per_evaluation"]
        ax.plot([e * per_evaluation for e, _, _ in classic["curve"]], [v / total for _, _, v in classic["curve"]],
                color="grey", label="(a) classic L-BFGS")
        for row in (r for r in rows if r["pair"] == pair):
            marker = "o" if row["start"] == "default" else "s"
            ax.scatter(row["units"], row["ratio"], marker=marker, facecolors="none" if row["inputs"] == "paths" else None,
                       label=f"(b) {row['start']} start, {row['inputs']}")
        ax.axhline(TOLERANCE, color="black", linestyle="--", linewidth=0.8)
        ax.axvline(BUDGET, color="black", linestyle=":", linewidth=0.8)
        ax.set_xscale("log")
        ax.set_ylim(0.98, 1.5)
        ax.set_xlabel("cost (units: plain fp32 forward + backward at 512 px)")
        ax.set_title(pair)
    axes[0][0].set_ylabel("judged total ÷ (a)'s final")
    axes[0][-1].legend(fontsize=7)
    fig.tight_layout()
    nt.files.atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100))
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", default=",".join(PAIRS), help=f"comma-separated, of: {', '.join(PAIRS)}")
    parser.add_argument("--starts", default="default,content", help="default (style_transfer's start) and/or content (the photo)")
    parser.add_argument("--inputs", default="tensors,paths", help="tensors (the full-size pictures) and/or paths")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--classic-iterations", type=int, default=1000)
    parser.add_argument("--classic-cache", default=None, metavar="JSON",
                        help="the classic runs' judged results, read and extended (default: results/epyc-avx2/classic.json)")
    parser.add_argument("--judge", default=None, metavar="DIR",
                        help="folder of the shared judge's gatys_ref.py (default: $NST_TEACH_JUDGE, else ../shared/judge)")
    parser.add_argument("--set", dest="settings", type=parse_setting, action="append", default=[], metavar="NAME=VALUE",
                        help="a style_transfer option on top of the defaults (JSON value), e.g. stop_tolerance=0.002")
    parser.add_argument("--units", action="store_true",
                        help="only time one evaluation at --size and half of it, and the classic's, in units (the first pair)")
    parser.add_argument("--out", default="out/ttq", help="folder for the images, the plot and time_to_quality.json")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cache = args.classic_cache or str(HERE / "results" / "epyc-avx2" / "classic.json")
    options = dict(args.settings)
    device = nt.vgg.default_device()
    model = nt.load_vgg19(last_layer="relu5_1", device=device)
    print(f"machine: {machine()}; load {load_average()} at the start")
    print(f"objective: α = 1, β = 1000, relu4_2 / relu1_1…relu5_1 (w_l = 1/5), the paper's sums, no TV; {args.size} px; "
          f"style_transfer's defaults{' and ' + str(options) if options else ''}; classic runs from {cache}", flush=True)
    print(f"auto picks at {args.size} px: {calibrated(model, device, args.size, objective(args.size)).describe()}", flush=True)
    if args.units:
        pair = args.pairs.split(",")[0]
        times = evaluation_units(*pair_paths(pair, out), args.size)
        unit = next(iter(times.values()))
        print(f"{pair} at {args.size} px, medians of 7 interleaved rounds; load {load_average()} at the end")
        for name, seconds in times.items():
            print(f"{name:<58} {seconds:7.3f} s  {seconds / unit:6.3f} units")
        return times
    rows, classics = [], {}
    for pair in filter(None, args.pairs.split(",")):
        paths = pair_paths(pair, out)
        judge_fn = Judge(*paths, args.size, args.judge)
        classic = classic_for(pair, paths, args.size, args.classic_iterations, cache, judge_fn, out)
        unit_before, evaluation_before = plain_costs(*paths, args.size)
        runs = []
        for start in filter(None, args.starts.split(",")):
            for inputs in filter(None, args.inputs.split(",")):
                given = paths if inputs == "paths" else [nt.load_image(p) for p in paths]
                result, seconds = run_default(*given, args.size, model, {**STARTS[start], **options})
                runs.append((start, inputs, result, seconds))
                nt.save_image(result.image, out / f"{pair}_{start}_{inputs}.png")
        unit_after, evaluation_after = plain_costs(*paths, args.size)
        unit = (unit_before + unit_after) / 2
        classic["units_per_evaluation"] = (evaluation_before + evaluation_after) / 2 / unit
        classics[pair] = classic
        print(f"\n{pair}: {Path(paths[0]).name} × {Path(paths[1]).name}; judged by {judge_fn.name}; one unit = "
              f"{unit_before:.3f} / {unit_after:.3f} s (before / after), load {load_average()}; (a) classic: "
              f"{classic['evaluations']} evaluations ≈ {classic['evaluations'] * classic['units_per_evaluation']:.0f} units, "
              f"judged total {classic['total']:.4g}, within {TOLERANCE:g}× of it after {classic['evaluations_to_target']}")
        print(HEADER)
        for start, inputs, result, seconds in runs:
            judged = judge_fn(result.image)
            row = dict(pair=pair, start=start, inputs=inputs, steps=stages_of(result), evaluations=result.evaluations,
                       seconds=seconds, unit=unit, units=seconds / unit, ratio=judged["total"] / classic["total"],
                       arithmetic=result.choice.describe(), **judged)
            rows.append(row)
            print_row(row)
    met = sum(r["ratio"] <= TOLERANCE and r["units"] <= BUDGET for r in rows)
    print(f"\n{met} of {len(rows)} runs within {TOLERANCE:g}× of the classic at ≤ {BUDGET} units; load {load_average()} at the end")
    numbers = dict(machine=machine(), load=load_average(), size=args.size, options=options, rows=rows,
                   classics={k: {n: v for n, v in c.items() if n != "curve"} for k, c in classics.items()})
    nt.files.atomic_write(out / "time_to_quality.json", lambda tmp: Path(tmp).write_text(json.dumps(numbers, indent=1)))
    plot(rows, classics, out / "time_to_quality.png")
    print(f"wrote {out}/time_to_quality.json, time_to_quality.png and the images")
    return rows


if __name__ == "__main__":
    with_process_settings()  # the nst-teach command's (nst_teach.speed.process)
    sys.exit(0 if main() else 1)
