"""The `nst-teach` command: stylise a photo, list samples, draw feature maps, run the grader.

    nst-teach transfer CONTENT STYLE -o OUT.png [--gif OUT.gif] [--size 512] [--steps auto|N] [--scales auto|0.5,1] …
    nst-teach samples
    nst-teach features IMAGE --layers relu1_1,relu3_1,relu5_1 -o grid.png
    nst-teach features cat starry_night --channels-at 3,17,42 -o same_channels.png
    nst-teach exercises init DIR  |  reset ex03 [--dir DIR]  |  zip [--dir DIR] [-o submission.zip]
    nst-teach grade [ex03 …] [--dir DIR] [--json] [--csv grades.csv] [--jobs N]
    nst-teach autograder -o autograder.zip [--exercises ex01,ex03]
    nst-teach figures [-o figures]

A user mistake prints one line ``error: …`` (what is wrong and what to do) and exits with code 2.
"""

import argparse
import os
import sys
import tempfile
import time
from dataclasses import fields
from pathlib import Path

import torch
from tqdm import tqdm

from .config import CHOICES, TransferConfig
from .errors import NSTError
from .features import extract_features
from .images import check_output_path, load_image, resize_image, save_gif, save_image
from .preprocess import preprocess
from .samples import list_samples
from .speed.process import SPEED_ENV, restart_with_settings
from .transfer import TransferInterrupted, schedule, style_transfer
from .vgg import TORCHVISION_INDEX, canonical_layer_name, load_vgg19

EXIT_USAGE, EXIT_INTERRUPTED = 2, 130


def _layers(text):
    return tuple(name.strip() for name in text.split(",") if name.strip())


def _floats(text):
    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None


def _scales(text):
    try:
        return text if text == "auto" else tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected auto or fractions separated by commas (e.g. 0.5,1), got {text!r}") from None


def _steps(text):
    return "auto" if text == "auto" else _ints(text)


def _ints(text):
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected auto or whole numbers separated by commas, got {text!r}") from None
    return values[0] if len(values) == 1 else values


# How the command line spells the values of the options that are not one number or name
PARSERS = {"scales": _scales, "steps": _steps, "stop_tolerance": float, "max_steps": int, "stop_window": int, "content_layers": _layers, "style_layers": _layers,
           "style_layer_weights": _floats, "lr": float, "size": int, "device": str}
NOT_ON_THE_COMMAND_LINE = ("init",)  # --init is below: a tensor cannot be given on the command line


def _shown(value):
    return ",".join(map(str, value)) if isinstance(value, tuple) else f"{value:g}" if isinstance(value, float) else str(value)


def _add_transfer(sub):
    p = sub.add_parser("transfer", help="stylise a photo (Gatys et al.)", description="Stylise CONTENT with STYLE.")
    p.add_argument("content", help="content photo: a path or a sample name (see `nst-teach samples`)")
    p.add_argument("style", help="style image: a path or a sample name")
    p.add_argument("-o", "--output", required=True, help="where to write the result (.png or .jpg)")
    p.add_argument("--gif", help="also write a GIF of the optimisation to this path")
    # Every option of TransferConfig, with its default and help as written there
    for f in fields(TransferConfig):
        if f.name in NOT_ON_THE_COMMAND_LINE:
            continue
        default = f.default
        help_text = f.metadata["help"] + ("" if default is None else f" (default {_shown(default)})")
        options = dict(default=default, help=help_text.replace("%", "%%"))
        if f.name in CHOICES:
            options["choices"] = CHOICES[f.name]
        else:
            options["type"] = PARSERS.get(f.name, type(default))
        if f.name == "speed":
            options["default"] = os.environ.get(SPEED_ENV) or default  # NST_TEACH_SPEED=plain, as for the library
        p.add_argument("--" + f.name.replace("_", "-"), **options)
    init = TransferConfig.__dataclass_fields__["init"]
    p.add_argument("--init", default=init.default, choices=CHOICES["init"], help=f"{init.metadata['help']} (default {init.default})")
    p.add_argument("--verbose", action="store_true", help="print the arithmetic chosen (precision, Gram, convolutions) and why")
    p.set_defaults(run=cmd_transfer)


def _config_from(args):
    names = {f.name for f in fields(TransferConfig)}
    return TransferConfig(**{k: v for k, v in vars(args).items() if k in names})


def _same_file(a, b):
    a, b = Path(a), Path(b)
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


def _check_outputs(args):
    # -o cannot end in .gif and --gif must: the two can never name the same file.
    check_output_path(args.output)
    if args.gif:
        check_output_path(args.gif, (".gif",))
    for out in filter(None, (args.output, args.gif)):
        for source in (args.content, args.style):
            if Path(source).exists() and _same_file(out, source):
                raise NSTError(f"output {out} is the input image {source}: choose another output name, the input is kept")


def cmd_transfer(args):
    config = _config_from(args).validate()
    _check_outputs(args)
    content = load_image(args.content, config.size)
    load_image(args.style, config.size)  # an unreadable style image fails now, before the long run
    stages = schedule(config, content.shape[-2:])
    total_steps = None if config.converges else sum(steps for _, steps in stages)  # converging: not known ahead
    frames = _Frames(content)
    bars = []  # the progress bar, opened at the first step: an error while loading leaves no half-drawn bar

    def progress(step, image, losses):
        if not bars:
            # converging: the number of steps is not known ahead, so the bar counts them and shows what it waits for
            layout = None if total_steps else "{desc}: {n_fmt} steps [{elapsed}, {rate_fmt}{postfix}]"
            bars.append(tqdm(total=total_steps, desc="stylising", unit="step", dynamic_ncols=True, bar_format=layout))
        bar = bars[0]
        status = f"{max(image.shape[-2:])} px, loss {losses['total']:.3g}"
        if config.converges:  # what the stopping rule is waiting for
            status += ", " + _waiting_for(losses.get("decrease"), config)
        bar.set_postfix_str(status, refresh=False)
        bar.update(1)  # one redraw per step, with the new losses
        if args.gif:
            frames.add(image)

    start = time.perf_counter()
    try:
        # The sources, not the tensors: each scale loads them afresh at its own size (PIL's Lanczos).
        result = style_transfer(args.content, args.style, config=config, callback=progress)
    except TransferInterrupted as stop:
        for bar in bars:
            bar.close()
        saved = _save_or_fallback(save_image, stop.result.image, args.output)
        print(f"interrupted after {len(stop.result.history)} steps: saved the current image to {saved}", file=sys.stderr)
        return EXIT_INTERRUPTED
    for bar in bars:
        bar.close()
    written = [_save_or_fallback(save_image, result.image, args.output)]
    if args.gif:
        shape = result.image.shape[-2:]  # coarse scales' frames are smaller: show them all at full size
        written.append(_save_or_fallback(save_gif, [resize_image(f, shape) for f in frames.kept + [result.image]], args.gif))
    H, W = result.image.shape[-2:]
    print(f"wrote {' and '.join(map(str, written))} ({W}×{H} px, {_steps_taken(result, config)}) "
          f"in {time.perf_counter() - start:.1f} s")
    if args.verbose:
        print(f"{result.choice.describe()}; {result.evaluations} loss evaluations in {result.seconds:.1f} s")
    if [str(w) for w in written] != [str(w) for w in filter(None, (args.output, args.gif))]:
        return 1  # the result is safe, but not where it was asked for
    if result.status == "diverged":
        print(f"warning: the loss became NaN/inf after step {len(result.history)}; saved the last finite image. "
              "Try a smaller --lr (or the default --optimizer lbfgs).", file=sys.stderr)
        return 1
    return 0


def _waiting_for(decrease, config):
    """The stopping rule's progress, e.g. 'Δ over 10 steps 0.42% → stops below 0.10%'."""
    window, below = config.stop_window, f"stops below {config.stop_tolerance:.2%}"
    if decrease is None:
        return f"Δ over {window} steps: from step {window + 1} of this stage → {below}"
    return f"Δ over {window} steps {decrease:.2%} → {below}"


def _steps_taken(result, config):
    """'120 steps' (a count); converging, per stage: how many steps and why it ended, e.g.
    '87 steps, converged (Δ over 10 steps 0.08%)' or '130 steps at 256 px, converged (…); 40 at 512 px, …'."""
    if not config.converges or not result.history:
        return f"{len(result.history)} steps"
    stages = {}
    for entry in result.history:
        stages.setdefault(entry["size"], []).append(entry)
    parts = []
    for size, entries in stages.items():
        decrease = entries[-1].get("decrease")
        why = "converged" if decrease is not None and decrease < config.stop_tolerance else "the most allowed"
        if decrease is not None:
            why += f" (Δ over {config.stop_window} steps {decrease:.2%})"
        where = f" at {size} px" if len(stages) > 1 else ""
        parts.append(f"{len(entries)} steps{where}, {why}")
    return "; ".join(parts)


class _Frames:
    """The GIF's frames: every n-th step, n doubling whenever more than 80 are kept (a run's length is
    not known ahead when it stops on convergence)."""

    MOST = 80

    def __init__(self, first):
        self.kept, self.every, self.seen = [first.clone()], 1, 0

    def add(self, image):
        self.seen += 1
        if self.seen % self.every == 0:
            self.kept.append(image.detach().cpu().clone())
        if len(self.kept) > self.MOST:
            self.kept, self.every = self.kept[::2], self.every * 2


def _save_or_fallback(save, what, path):
    """save(what, path); if that fails after a long run (the folder was checked before it started,
    but disks fill and mounts vanish), save to the temp folder instead and say so. Returns the path used."""
    try:
        save(what, path)
        return path
    except (OSError, NSTError) as err:
        fd, fallback = tempfile.mkstemp(prefix="nst-teach-", suffix=Path(path).suffix)
        os.close(fd)
        save(what, fallback)
        print(f"error: could not write {path} ({err}); the result is saved as {fallback} instead", file=sys.stderr)
        return fallback


def cmd_samples(args):
    for sample in list_samples():
        print(f"{sample.name:<18} {sample.kind:<6} {sample.description}")
    return 0


def cmd_features(args):
    from .viz import compare_features, feature_grid, save_figure  # matplotlib: loaded only by the commands that draw

    layers = _layers(args.layers)
    if not layers:
        raise NSTError("give at least one layer, e.g. --layers relu1_1,relu3_1,relu5_1")
    deepest = max((canonical_layer_name(n) for n in layers), key=TORCHVISION_INDEX.get)
    check_output_path(args.output, (".png", ".jpg", ".jpeg", ".pdf", ".svg"))
    chosen = _channel_indices(args.channels_at) if args.channels_at is not None else None
    images = {name: load_image(name, args.size) for name in args.image}
    model = load_vgg19(args.weights, last_layer=deepest)
    with torch.no_grad():
        features = {name: {k: v.cpu() for k, v in extract_features(model, preprocess(img, model.convention), layers).items()}
                    for name, img in images.items()}
    if len(images) == 1 and chosen is None:
        fig = feature_grid(next(iter(features.values())), channels=args.channels)
    else:  # the same channels of every image, one colour scale per layer
        labels = {name: Path(name).stem for name in features}
        if len(set(labels.values())) < len(labels):
            labels = {name: name for name in features}
        fig = compare_features({labels[n]: f for n, f in features.items()}, channels=chosen or args.channels)
    save_figure(fig, args.output)
    count = len(chosen) if chosen else args.channels
    print(f"wrote {args.output} ({len(images)} image{'s' * (len(images) > 1)}, {len(layers)} layers × {count} channels)")
    return 0


def _channel_indices(text):
    """"3,17,42" → [3, 17, 42] (checked against each layer's channel count when the features exist)."""
    try:
        indices = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise NSTError(f"--channels-at takes channel numbers separated by commas, e.g. 3,17,42; got {text!r}") from None
    if not indices or min(indices) < 0:
        raise NSTError(f"--channels-at takes channel numbers ≥ 0 separated by commas, e.g. 3,17,42; got {text!r}")
    return indices


def cmd_exercises(args):
    from .grading import run_init_command, run_reset_command, run_zip_command

    if args.action == "init":
        return run_init_command(args.dir)
    if args.action == "reset":
        return run_reset_command(args.exercise, args.dir)
    return run_zip_command(args.dir, args.output)


def cmd_grade(args):
    from .grading import run_grade_command

    return run_grade_command(args.exercises or None, args.dir, args.json, args.timeout, csv=args.csv, jobs=args.jobs)


def cmd_autograder(args):
    from .grading import run_autograder_command

    return run_autograder_command(args.output, _layers(args.exercises or "") or None, args.timeout)


def _jobs(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of students at a time ≥ 1, got {text!r}")
    return value


def _seconds(text):
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def cmd_figures(args):
    from .figures import make_figures  # matplotlib: loaded only by the commands that draw

    start = time.perf_counter()
    paths = make_figures(args.output, size=args.size, steps=args.steps, only=args.only or None)
    print(f"wrote {len(paths)} figures to {args.output} in {time.perf_counter() - start:.0f} s")
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one line (``error: …``, exit 2) like every other user error."""

    def error(self, message):
        print(f"error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser():
    parser = _Parser(prog="nst-teach", description="Neural style transfer to learn from (Gatys et al.).")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_transfer(sub)
    sub.add_parser("samples", help="list the sample images").set_defaults(run=cmd_samples)

    p = sub.add_parser("features", help="save a grid of VGG-19 feature maps")
    p.add_argument("image", nargs="+", help="paths or sample names; with two or more, the same channels of each side by side")
    p.add_argument("--layers", default="relu1_1,relu3_1,relu5_1", help="comma-separated layer names")
    p.add_argument("-o", "--output", required=True, help="figure file (.png, .pdf, .svg)")
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--channels", type=int, default=16, help="feature maps per layer (the most active of the first image)")
    p.add_argument("--channels-at", default=None, metavar="I,J,…",
                   help="these channel numbers at every layer, e.g. 3,17,42 (one colour scale per layer, shared by the images)")
    p.add_argument("--weights", default="auto")
    p.set_defaults(run=cmd_features)

    p = sub.add_parser("exercises", help="set up, reset or zip the exercises")
    actions = p.add_subparsers(dest="action", required=True)
    q = actions.add_parser("init", help="copy fresh templates into a folder (never overwrites)")
    q.add_argument("dir", help="folder to copy fresh exercise templates into")
    q = actions.add_parser("reset", help="put one exercise's template back (your file is kept as a dated .bak)")
    q.add_argument("exercise", help="e.g. ex03")
    q.add_argument("--dir", default=None, help="the exercise folder (default: found as `nst-teach grade` finds it)")
    q = actions.add_parser("zip", help="zip your exercise files to upload (Gradescope, an LMS)")
    q.add_argument("--dir", default=None, help="the exercise folder (default: found as `nst-teach grade` finds it)")
    q.add_argument("-o", "--output", default="submission.zip", help="the zip to write (default submission.zip)")
    p.set_defaults(run=cmd_exercises)

    from .grading import DEFAULT_TIMEOUT

    p = sub.add_parser("grade", help="grade exercises")
    p.add_argument("exercises", nargs="*", help="e.g. ex03 ex04 (default: all)")
    p.add_argument("--dir", default=None, help="the exercise folder (default: $NST_TEACH_EXERCISES, . if it holds "
                                               "exercise files, ./exercises, ../exercises), or a class folder of students")
    p.add_argument("--json", action="store_true", help="one JSON record per exercise (for a gradebook)")
    p.add_argument("--csv", default=None, metavar="FILE",
                   help="write the class's gradebook: one row per student folder or zip of --dir, a Points Possible row")
    p.add_argument("--jobs", type=_jobs, default=None, help="students graded at a time (default: the cores)")
    p.add_argument("--timeout", type=_seconds, default=DEFAULT_TIMEOUT, help=f"seconds per exercise (default {DEFAULT_TIMEOUT:g})")
    p.set_defaults(run=cmd_grade)

    p = sub.add_parser("autograder", help="make a Gradescope autograder zip")
    p.add_argument("-o", "--output", required=True, help="the zip to write, e.g. autograder.zip")
    p.add_argument("--exercises", default=None, help="the assignment's exercises, e.g. ex01,ex03 (default: all)")
    p.add_argument("--timeout", type=_seconds, default=None, help="seconds per exercise (default 30)")
    p.set_defaults(run=cmd_autograder)

    p = sub.add_parser("figures", help="regenerate every figure of the README and the lessons")
    p.add_argument("-o", "--output", default="figures", help="output folder (default figures/)")
    p.add_argument("--size", type=int, default=256, help="longest side of optimised images (default 256; 128 for a preview)")
    p.add_argument("--steps", type=int, default=100, help="L-BFGS steps per run (default 100)")
    p.add_argument("only", nargs="*", help="figure names to make (default: all)")
    p.set_defaults(run=cmd_figures)
    return parser


def main(argv=None):
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit:  # --help, or a usage error already printed
        return exit.code
    try:
        return args.run(args)
    except NSTError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # python -m nst_teach.cli: the same process settings as the nst-teach command
    restart_with_settings([sys.executable, "-m", "nst_teach.cli", *sys.argv[1:]], sys.argv[1:])
    sys.exit(main())
