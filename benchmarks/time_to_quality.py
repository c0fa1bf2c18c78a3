"""Time to a good image: the classic full-resolution L-BFGS against nst-teach's default path.

All runs minimise the same objective (Gatys et al. 2016 with the Caffe VGG-19 weights and Caffe
preprocessing): ½Σ(F−P)² at relu4_2, Σ_l w_l E_l at relu1_1 … relu5_1 with w_l = 1/5, α = 1,
β = 1000 (weighting="paper"), no TV term, style image resized to the same longest side.

  (a) classic: torch.optim.LBFGS (history 100, strong-Wolfe line search) on the full-size image,
      started from the photo, for ``--classic-iterations`` iterations, in fp32, the pixels clamped
      to [0, 1] before each evaluation. Or ``--classic-image``: a result made elsewhere (e.g. by the
      judge's own ``gatys_ref.py run``), judged like the others.
  (b) default: `nst_teach.style_transfer` with its defaults (precision and Gram path measured on
      this machine, L-BFGS with an Armijo line search on a Laplacian pyramid from the recoloured photo,
      …), same objective; and the same from the photo (init="content"), the paper's start.
  (c), (v): coarse to fine (--coarse-to-fine) and the VARIANTS named by --variants: (b) with one
      setting changed each, to show what each lever is worth.

The pair. By default a photo and a painting that are not the samples, written into ``--out``: a
1024 px photo (scikit-image's retina.jpg, 1411 px, shrunk with PIL's Lanczos) and a 1400 × 1050
painting (`nst_teach.styles.starry_night` with seed 7: another size and aspect ratio). nst-teach is
given them as full-size tensors (``--inputs paths``: as files), so its own resizing is part of what
is judged.

Judged from outside. Each image is clipped to [0, 1], saved as an 8-bit PNG, loaded again and
evaluated by an objective the optimiser did not compute: the shared judge's ``gatys_ref.Objective``
(``--judge DIR``, default $NST_TEACH_JUDGE or ../shared/judge next to the repository: its own VGG
pass, preprocessing and PIL resizing of the original files), or, where that folder is missing, an
fp32 re-evaluation by nst-teach from the original files. ``--verbose`` prints each saved image's
judged loss beside nst-teach's own, and both for the photo itself.

The table's first column is the number of loss evaluations (forward + backward passes) a run needed
to reach a total loss no higher than 1.05× (a)'s final one — machine-independent — then the seconds
to get there, wall time, final losses. Plots of the loss against evaluations and against seconds,
the images and the numbers go to ``--out``. The classic 1000-iteration run takes ~30 minutes at
512 px on a 2-core CPU: run it once with --classic-only and pass its classic.json to later runs with
--reuse-classic.

Run by hand:
    .venv/bin/python benchmarks/time_to_quality.py --size 512 --classic-only --out out/ttq
    .venv/bin/python benchmarks/time_to_quality.py --size 512 --reuse-classic out/ttq/classic.json --variants pixels
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
from common import bf16_is_fast, calibrated, cpu_model, has_amx, load_average, with_process_settings
from nst_teach.transfer import StyleTransferLoss, TransferConfig

TOLERANCE = 1.05  # (b) must reach ≤ 1.05 × (a)'s final total loss


def objective(size):
    """The fixed objective every variant minimises (the paper's sums, α = 1, β = 1000) as a
    TransferConfig; everything else (scales, steps, speed, optimiser, parametrisation, starting
    image) keeps `style_transfer`'s defaults: how the optimiser moves is ours, what it minimises
    is not. (a) always starts from the photo, as the paper does."""
    return TransferConfig(size=size, content_weight=1.0, style_weight=1000.0, tv_weight=0.0,
                          content_layers=("relu4_2",), style_layers=nt.transfer.STYLE_LAYERS,
                          style_layer_weights=(0.2,) * 5, weighting="paper")


PAIR_PHOTO, PAIR_PAINTING = "photo.png", "painting.png"


def write_pair(folder):
    """The benchmark's photo and painting, not the samples, as files in ``folder`` (kept if there)."""
    folder = Path(folder)
    photo, painting = folder / PAIR_PHOTO, folder / PAIR_PAINTING
    if not photo.exists():
        import skimage.data  # the retina photo ships with scikit-image as a 1411 × 1411 JPEG
        from PIL import Image

        with Image.open(Path(skimage.data.__file__).parent / "retina.jpg") as opened:
            nt.save_image(opened.convert("RGB").resize((1024, 1024), Image.LANCZOS), photo)
    if not painting.exists():
        from PIL import Image

        nt.save_image(Image.fromarray(nt.styles.STYLES["starry_night"](size=1400, seed=7)), painting)  # 1400 × 1050
    return str(photo), str(painting)


def default_judge_dir():
    return os.environ.get("NST_TEACH_JUDGE") or str(Path(__file__).resolve().parents[1].parent / "shared" / "judge")


class Judge:
    """The loss of a saved 8-bit image under the fixed objective, computed apart from the optimiser.

    With the shared judge (``gatys_ref.py`` in ``judge_dir``): its Objective, its loading and PIL
    resizing of the original files at the result's size, its VGG pass. Without it: nst-teach's
    `StyleTransferLoss` in fp32 on the original files loaded at that size (independent of the run's
    precision, inputs and resizing, not of nst-teach's code)."""

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
            self.loss, self.name = StyleTransferLoss(model, content, style, objective(size), nt.speed.PLAIN), "nst-teach in fp32 (no judge found)"

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


def run_classic(content, style, model, iterations, snapshot_every):
    """(a): torch's L-BFGS on the full-size image, pixels clamped before every evaluation.
    Snapshots (evaluations, seconds, image) every ``snapshot_every`` evaluations."""
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
                snapshots.append((evaluations[0], clock.now(), to_8bit(x)))
        return total

    optimizer.step(closure)
    seconds = clock.now()
    final = x.detach().clamp(0, 1).cpu()
    snapshots.append((evaluations[0], seconds, to_8bit(final)))
    return dict(name="(a) classic L-BFGS", image=final, seconds=seconds, evaluations=evaluations[0],
                iterations=optimizer.state[x]["n_iter"], snapshots=snapshots)


def to_8bit(img):
    """A compact snapshot: the image as `save_image` writes it (uint8, rounded as `to_pil` does), judged later."""
    return (img.detach().cpu().float().clamp(0, 1) * 255.0 + 0.5).to(torch.uint8)


def run_fast(content, style, size, name="(b) nst-teach default path", **options):
    """(b) and the variants: nst_teach.style_transfer on the same objective (options: its settings).
    A snapshot (evaluations, seconds, image) after every iteration."""
    clock, snapshots = Clock(), []
    config = objective(size)
    model = nt.load_vgg19(last_layer="relu5_1", device=options.pop("device", None) or nt.vgg.default_device())
    evaluations = [0]

    def count(module, inputs):  # forward passes with autograd on: the evaluations (targets are no_grad)
        if torch.is_grad_enabled():
            evaluations[0] += 1

    hook = next(iter(model.layers.children())).register_forward_pre_hook(count)

    def callback(step, image, losses):
        with clock.pause():
            snapshots.append((evaluations[0], clock.now(), to_8bit(image)))

    try:
        result = nt.style_transfer(content, style, config=config, callback=callback, model=model, **options)
    finally:
        hook.remove()
    seconds = clock.now()
    snapshots.append((result.evaluations, seconds, to_8bit(result.image)))
    return dict(name=name, image=result.image, seconds=seconds,
                evaluations=result.evaluations, iterations=len(result.history), snapshots=snapshots, result=result)


def judged_curve(run, judge_fn, shape, every=1, target=None):
    """[(evaluations, seconds, judged losses)] for a run's snapshots (uint8 images, as saved); coarse-
    scale images are upsampled to the full size first: the picture a user stopping then would get.
    every: judge every n-th snapshot (and the last); with a target, the snapshots skipped just before
    the first one at or below it are judged too, so the first snapshot reaching it is exact."""
    def judged(i):
        evaluations, seconds, img8 = run["snapshots"][i]
        return evaluations, seconds, judge_fn(nt.images.resize_image(img8.float() / 255.0, shape))

    n = len(run["snapshots"])
    indices = sorted(set(range(every - 1, n, every)) | {n - 1})
    curve = dict((i, judged(i)) for i in indices)
    if target is not None:
        hit = next((i for i in indices if curve[i][2]["total"] <= target), None)
        if hit is not None:
            for i in range(max(0, hit - every + 1), hit):
                curve[i] = judged(i)
    return [curve[i] for i in sorted(curve)]


def read_classic(path, args, shape, wait_seconds=4 * 3600):
    """(a) from a classic.json written by --classic-only; waits for it if that run is still going."""
    path, start = Path(path), time.monotonic()
    while not path.exists():
        if time.monotonic() - start > wait_seconds:
            raise SystemExit(f"{path} did not appear: run --classic-only first")
        time.sleep(30)
    saved = json.loads(path.read_text())
    if saved["size"] != list(shape) or saved["content"] != args.content or saved["style"] != args.style:
        raise SystemExit(f"{path} is for {saved['content']}/{saved['style']} at {saved['size']}, not this run")
    print(f"(a) classic: reused from {path} ({saved['machine']}; {saved['load']})", flush=True)
    return saved["row"], [(e, t, {"total": v}) for e, t, v in saved["curve"]]


def first_reaching(curve, target):
    """(evaluations, seconds) of the first snapshot whose judged total loss is ≤ target (None, None if never)."""
    return next(((e, t) for e, t, parts in curve if parts["total"] <= target), (None, None))


def time_to_reach(curve, target):
    """The first snapshot time whose judged total loss is ≤ target (None if never)."""
    return first_reaching(curve, target)[1]


def load():
    return "load " + load_average()


def machine():
    return (f"{cpu_model()}, AMX: {'yes' if has_amx() else 'no'}, torch uses {torch.backends.cpu.get_cpu_capability()}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}, "
            f"torch {torch.__version__}, bf16 in hardware: {bf16_is_fast('cpu')}")


def plot(curves, target, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4), sharey=True)
    for ax, index, label in ((axes[0], 0, "loss evaluations (forward + backward passes)"), (axes[1], 1, "wall time (s)")):
        for name, curve in curves.items():
            ax.plot([max(point[index], 1e-3) for point in curve], [point[2]["total"] for point in curve], marker=".", markersize=3, label=name)
        ax.axhline(target, color="grey", linestyle="--", label=f"{TOLERANCE:g} × (a)'s final loss")
        ax.set_yscale("log")
        ax.set_xscale("log")
        ax.set_xlabel(label)
    axes[0].set_ylabel("total loss of the saved 8-bit image")
    axes[0].legend(fontsize=8)
    fig.suptitle("Time to quality")
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


# The variants of (b) that --variants can name: style_transfer options on top of the defaults.
VARIANTS = {
    "pixels": dict(parametrisation="pixels", init="content", history_size=20, line_search="strong_wolfe"),  # L-BFGS on the pixels from the photo
    "pixels-recoloured": dict(parametrisation="pixels", init="recoloured"),
    "pyramid-photo": dict(parametrisation="pyramid", init="content"),
    "pyramid-w1": dict(parametrisation="pyramid", pyramid_weight=1.0),
    "wolfe-16px-h50": dict(line_search="strong_wolfe", pyramid_coarsest=16, history_size=50),  # strong Wolfe, 16 px, history 50 together
    "strong-wolfe": dict(line_search="strong_wolfe"),
    "coarsest-16": dict(pyramid_coarsest=16),
    "coarsest-4": dict(pyramid_coarsest=4),
    "history-50": dict(history_size=50),
    "pyramid-w0.8": dict(pyramid_weight=0.8),
    "pyramid-w0.85": dict(pyramid_weight=0.85),
}


def row_of(run, curve, target, classic_seconds):
    final = curve[-1][2]
    evals, reach = first_reaching(curve, target)
    return dict(run=run["name"], seconds=run["seconds"], evaluations=run["evaluations"], iterations=run["iterations"],
                **{k: final[k] for k in ("content", "style", "total")}, reach_evaluations=evals, reach_seconds=reach,
                reach_ratio=None if reach is None else reach / classic_seconds)


def print_table(rows, classic_total):
    print(f"{'evals to 1.05×(a)':>17} {'s to 1.05×(a)':>14}  {'run':<34} {'wall s':>8} {'evals':>6} {'iters':>6} "
          f"{'content':>10} {'style':>10} {'total':>10} {'÷ (a) total':>11}")
    for r in rows:
        ev, reach = r["reach_evaluations"], r["reach_seconds"]
        print(f"{'never' if ev is None else ev:>17} {'never' if reach is None else f'{reach:.1f}':>14}  {r['run']:<34} "
              f"{r['seconds']:>8.1f} {r['evaluations']:>6} {r['iterations']:>6} {r['content']:>10.4g} {r['style']:>10.4g} "
              f"{r['total']:>10.4g} {r['total'] / classic_total:>11.3f}")


def replot(out, args):
    """Redraw the plot and the table from --out's time_to_quality.json; with --reuse-classic, against
    that (a) instead (the targets and the first-reaching columns are recomputed from the curves)."""
    numbers = json.loads((out / "time_to_quality.json").read_text())
    curves = {k: [(e, t, {"total": v}) for e, t, v in curve] for k, curve in numbers["curves"].items()}
    rows = numbers["rows"]
    if args.reuse_classic:
        saved = json.loads(Path(args.reuse_classic).read_text())
        del curves[rows[0]["run"]]
        rows = [saved["row"]] + rows[1:]
        curves = {saved["row"]["run"]: [(e, t, {"total": v}) for e, t, v in saved["curve"]], **curves}
        numbers["target"] = TOLERANCE * saved["row"]["total"]
        for row in rows[1:]:
            row["reach_evaluations"], row["reach_seconds"] = first_reaching(curves[row["run"]], numbers["target"])
        numbers.update(rows=rows, curves={k: [(e, t, p["total"]) for e, t, p in v] for k, v in curves.items()})
        nt.files.atomic_write(out / "time_to_quality.json", lambda tmp: Path(tmp).write_text(json.dumps(numbers, indent=1)))
    print(f"machine: {numbers['machine']}; {numbers.get('load', '')}")
    print_table(rows, rows[0]["total"])
    plot(curves, numbers["target"], out / "time_to_quality.png")
    return rows


def own_loss(run, content, style, size):
    """nst-teach's own loss of the run's final float image: its inputs as it resized them, its
    arithmetic (the run's `Speed`: precision, Gram, convolutions) — what the optimiser believes it reached."""
    choice, config = run["result"].choice, run["result"].config
    model = nt.load_vgg19(last_layer="relu5_1", device="cpu")
    at_size = (nt.transfer.image_at_size(img, size) for img in (content, style))
    with torch.no_grad():
        return StyleTransferLoss(model, *at_size, config, choice)(run["image"])[1]


def classic_from_image(path, log, judge_fn, shape):
    """(a) as a result made elsewhere (e.g. ``gatys_ref.py run``): its image judged; evaluations and
    seconds from ``log`` (JSON with 'evals', 'seconds', 'iters'), else unknown."""
    info = json.loads(Path(log).read_text()) if log else {}
    img = nt.load_image(path)
    if img.shape[-2:] != shape:
        raise SystemExit(f"{path} is {img.shape[-1]}×{img.shape[-2]} px, not the run's {shape[1]}×{shape[0]}")
    parts = judge_fn(img)
    evaluations, seconds = info.get("evals", float("nan")), info.get("seconds", float("nan"))
    row = dict(run=f"(a) classic ({Path(path).name})", seconds=seconds, evaluations=evaluations, iterations=info.get("iters", float("nan")),
               **parts, reach_evaluations=evaluations, reach_seconds=seconds, reach_ratio=1.0)
    return row, [(evaluations, seconds, parts)]


def fmt(loss):
    return ", ".join(f"{k} {loss[k]:.4g}" for k in ("content", "style", "total"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--content", default=None, help="photo: a path or sample name (default: the benchmark's own, see above)")
    parser.add_argument("--style", default=None, help="painting: a path or sample name (default: the benchmark's own)")
    parser.add_argument("--inputs", choices=("tensors", "paths"), default="tensors",
                        help="give nst-teach the pictures as full-size tensors (default) or as files")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--judge", default=None, metavar="DIR",
                        help="folder of the shared judge's gatys_ref.py (default: $NST_TEACH_JUDGE, else ../shared/judge)")
    parser.add_argument("--classic-iterations", type=int, default=1000)
    parser.add_argument("--classic-only", action="store_true", help="run (a) only and write --out/classic.json (for --reuse-classic)")
    parser.add_argument("--reuse-classic", default=None, metavar="FILE",
                        help="take (a) from a classic.json written by --classic-only (same content, style and size)")
    parser.add_argument("--classic-image", default=None, metavar="PNG", help="take (a) as this image (e.g. from gatys_ref.py run), judged")
    parser.add_argument("--classic-log", default=None, metavar="JSON", help="with --classic-image: its evals, seconds, iters")
    parser.add_argument("--fast-steps", type=_numbers(int), default=None,
                        help="(b)'s iterations, one per scale or one for all (default: style_transfer's)")
    parser.add_argument("--fast-scales", type=_numbers(float), default=None,
                        help="(b)'s scales, e.g. 0.5,1 (default: style_transfer's)")
    parser.add_argument("--starts", default="default,content",
                        help="(b)'s starting images, comma-separated: default (style_transfer's) and/or content (the photo)")
    parser.add_argument("--coarse-to-fine", type=_schedule, default=None, metavar="SCALES:STEPS",
                        help="also run (b) coarse to fine, e.g. 0.5,1:50,400 (the fast path's options otherwise)")
    parser.add_argument("--variants", default="", help=f"also run these variants of (b), comma-separated: {', '.join(VARIANTS)}")
    parser.add_argument("--skip-default", action="store_true", help="do not run (b) (e.g. to run variants in another process)")
    parser.add_argument("--judge-every", type=int, default=1, metavar="N",
                        help="judge every N-th snapshot of (b) and the variants (and exactly around the first reaching 1.05×(a))")
    parser.add_argument("--verbose", action="store_true",
                        help="print the judged loss of each saved image beside nst-teach's own, and both for the photo")
    parser.add_argument("--replot", action="store_true", help="only redraw the plot from --out's time_to_quality.json")
    parser.add_argument("--out", default="benchmarks/out", help="folder for the plot, the images and the numbers")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.replot:
        return replot(out, args)
    if args.content is None or args.style is None:
        photo, painting = write_pair(out)
        args.content, args.style = args.content or photo, args.style or painting

    content, style = nt.load_image(args.content, args.size), nt.load_image(args.style, args.size)
    shape = content.shape[-2:]
    print(f"machine: {machine()}; {load()} at the start")
    print(f"content {args.content}, style {args.style}, {shape[1]}×{shape[0]} px, given to nst-teach as {args.inputs}; "
          f"objective: α = 1, β = 1000, relu4_2 / relu1_1…relu5_1 (w_l = 1/5), no TV; (a) starts from the photo", flush=True)
    paths = [str(nt.images.resolve_source(source)) for source in (args.content, args.style)]
    judge_fn = Judge(*paths, args.size, args.judge)
    print(f"judged by {judge_fn.name}", flush=True)
    given = (nt.load_image(args.content), nt.load_image(args.style)) if args.inputs == "tensors" else (args.content, args.style)
    # Before any clock starts: the first use on a machine measures the candidates (nst_teach.speed.calibration)
    device = nt.vgg.default_device()
    calibration_model = nt.load_vgg19(last_layer="relu5_1", device=device)
    choice = calibrated(calibration_model, device, args.size, objective(args.size))
    print(f"auto picks: {choice.describe()}", flush=True)
    if args.verbose:
        at_size = [nt.transfer.image_at_size(img, args.size, device) for img in given]
        with torch.no_grad():
            own = StyleTransferLoss(calibration_model, *at_size, objective(args.size), choice)(at_size[0])[1]
        judged = judge_fn(content)
        print(f"the photo itself: nst-teach's own loss {fmt(own)}; judged {fmt(judged)} "
              f"(style {own['style'] / judged['style']:.4f}× the judge's)", flush=True)

    if args.classic_image:
        classic_row, classic_curve = classic_from_image(args.classic_image, args.classic_log, judge_fn, shape)
    elif not args.reuse_classic:
        every_a = max(1, args.classic_iterations // 250)
        print(f"(a) classic: {args.classic_iterations} iterations …", flush=True)
        classic = run_classic(content, style, nt.load_vgg19(last_layer="relu5_1", device="cpu"), args.classic_iterations, every_a)
        classic_curve = judged_curve(classic, judge_fn, shape)
        classic_row = row_of(classic, classic_curve, TOLERANCE * classic_curve[-1][2]["total"], classic["seconds"])
        nt.save_image(classic["image"], out / "classic.png")
        saved = dict(content=args.content, style=args.style, size=list(shape), machine=machine(), load=load() + " at the end",
                     judge=judge_fn.name, row=classic_row, curve=[(e, t, p["total"]) for e, t, p in classic_curve])
        nt.files.atomic_write(out / "classic.json", lambda tmp: Path(tmp).write_text(json.dumps(saved, indent=1)))
        if args.classic_only:
            print_table([classic_row], classic_row["total"])
            print(f"wrote {out}/classic.json, classic.png")
            return [classic_row]

    fast_options = {k: v for k, v in (("steps", args.fast_steps), ("scales", args.fast_scales)) if v is not None}
    if "scales" in fast_options and not isinstance(fast_options["scales"], tuple):
        fast_options["scales"] = (fast_options["scales"],)
    starts = {"default": ("(b) nst-teach default path", "fast.png", {}),
              "content": ("(b) default path from the photo", "fast_from_photo.png", {"init": "content"})}
    plans = []
    for start in ([] if args.skip_default else filter(None, args.starts.split(","))):
        if start not in starts:
            raise SystemExit(f"unknown start {start!r}: use default or content")
        name, filename, init = starts[start]
        plans.append((name, filename, {**fast_options, **init}))
    if args.coarse_to_fine:
        scales, steps = args.coarse_to_fine
        plans.append((f"(c) default path, {' → '.join(f'{s:g}' for s in scales)}", "coarse_to_fine.png", dict(scales=scales, steps=steps)))
    for name in filter(None, args.variants.split(",")):
        if name not in VARIANTS:
            raise SystemExit(f"unknown variant {name!r}: use {', '.join(VARIANTS)}")
        plans.append((f"(v) {name}", f"variant_{name}.png", {**fast_options, **VARIANTS[name]}))

    runs = []
    for name, filename, options in plans:
        print(f"{name} …", flush=True)
        run = run_fast(*given, args.size, name=name, **options)
        print(f"    {run['evaluations']} evaluations, {run['seconds']:.1f} s; {run['result'].choice.describe()}; "
              f"{load()}", flush=True)
        nt.save_image(run["image"], out / filename)
        if args.verbose:
            print(f"    saved image: judged {fmt(judge_fn(run['image']))}; nst-teach's own {fmt(own_loss(run, *given, args.size))}", flush=True)
        runs.append(run)
    if args.reuse_classic:  # read now: a --classic-only run started earlier may have been writing it meanwhile
        classic_row, classic_curve = read_classic(args.reuse_classic, args, shape)
    classic_total = classic_row["total"]
    target = TOLERANCE * classic_total
    rows, curves = [classic_row], {classic_row["run"]: classic_curve}
    for run in runs:
        curves[run["name"]] = judged_curve(run, judge_fn, shape, args.judge_every, target)
        rows.append(row_of(run, curves[run["name"]], target, classic_row["seconds"]))

    print(f"machine: {machine()}; {load()} at the end; judged by {judge_fn.name}")
    print_table(rows, classic_total)
    plot(curves, target, out / "time_to_quality.png")
    numbers = dict(machine=machine(), load=load() + " at the end", judge=judge_fn.name, content=args.content, style=args.style,
                   inputs=args.inputs, size=list(shape), rows=rows, target=target,
                   curves={k: [(e, t, p["total"]) for e, t, p in v] for k, v in curves.items()})
    nt.files.atomic_write(out / "time_to_quality.json", lambda tmp: Path(tmp).write_text(json.dumps(numbers, indent=1)))
    print(f"wrote {out}/time_to_quality.png, the images and time_to_quality.json")
    return rows


if __name__ == "__main__":
    with_process_settings()  # the nst-teach command's (nst_teach.speed.process)
    sys.exit(0 if main() else 1)
