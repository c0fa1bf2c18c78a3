"""A live preview for lectures: move a slider, see the stylised photo change within seconds.

`Preview` keeps the network, the photo and the last result. Each `update` (a new style strength β,
new layer weights w_l or another style image) runs a few L-BFGS steps at a small size, *warm
started* from the last result instead of the photo: the image is already most of the way to the new
optimum, so a handful of evaluations shows the change. `Preview.widgets()` wraps it in ipywidgets
sliders for JupyterLab:

    from nst_teach.preview import Preview
    Preview("cat", "starry_night").widgets()

The logic (what is re-run and from where) lives in `Preview.update`, tested without a browser.
"""

import io
import math
import time

import torch

from .config import STYLE_LAYERS, TransferConfig
from .images import to_pil
from .samples import list_samples
from .transfer import image_at_size, style_transfer
from .vgg import default_device, load_vgg19

PREVIEW_SIZE = 256
PREVIEW_STEPS = 12  # L-BFGS iterations per change at most: ≈ 12 evaluations at 256 px
# …and no step that would end later than this many seconds after the change: a lecture waits for
# the picture, not for the steps. On a CPU where 12 steps take longer (fp32 only, ≈ 0.5 s an
# evaluation), fewer are run; the next change starts from where this one stopped, so the picture
# still converges as the class watches.
PREVIEW_SECONDS = 5.0


class Preview:
    """Re-run a small style transfer each time a setting changes, from the last result.

    content, style: sample names, paths or tensors. steps, seconds: each update runs at most
    ``steps`` L-BFGS iterations, and none that would end (at the mean time of its steps so far) more
    than ``seconds`` after the change (None: no time limit).
    options: `TransferConfig` fields kept for every run (e.g. weighting). ``history``: (settings,
    seconds, evaluations) per update.
    """

    def __init__(self, content, style, size=PREVIEW_SIZE, steps=PREVIEW_STEPS, model=None, seconds=PREVIEW_SECONDS, **options):
        self.size, self.steps, self.seconds, self.options = size, steps, seconds, options
        self.device = torch.device(options.get("device") or (next(model.parameters()).device if model is not None else default_device()))
        self.model = model if model is not None else load_vgg19(last_layer="relu5_1", device=self.device)
        self.content = self._load(content)
        self.settings = dict(style=style, style_weight=options.pop("style_weight", TransferConfig.style_weight),
                             style_layer_weights=tuple(options.pop("style_layer_weights", None) or (1.0 / len(STYLE_LAYERS),) * len(STYLE_LAYERS)))
        self.style = self._load(style)
        self.image, self.result, self.history = None, None, []

    def _load(self, source):
        """A path, sample or tensor at longest side ``self.size``: a tensor is resampled as a file
        is (PIL's Lanczos, `images.resize_image`), so both give the same picture and the same targets."""
        return image_at_size(source, self.size, self.device)

    def update(self, **changes):
        """Apply ``changes`` (style, style_weight, style_layer_weights) and re-run from the last image.
        Returns the new image [1, 3, H, W]."""
        unknown = set(changes) - set(self.settings)
        if unknown:
            raise TypeError(f"cannot change {', '.join(sorted(unknown))}: use style, style_weight or style_layer_weights")
        if "style" in changes and changes["style"] is not self.settings["style"]:
            self.style = self._load(changes["style"])
        self.settings.update(changes)
        start = self.image if self.image is not None else "recoloured"  # warm start from the last result
        began = time.perf_counter()

        def out_of_time(step, image, losses):  # after each step: would one more end too late? Then stop here.
            elapsed = time.perf_counter() - began
            return self.seconds is not None and elapsed * (step + 1) / step > self.seconds

        result = style_transfer(self.content, self.style, model=self.model, size=None, steps=self.steps, init=start,
                                callback=out_of_time,
                                style_weight=self.settings["style_weight"],
                                style_layer_weights=tuple(self.settings["style_layer_weights"]), **self.options)
        self.image, self.result = result.image, result
        self.history.append((dict(self.settings), time.perf_counter() - began, result.evaluations))
        return self.image

    def widgets(self):  # pragma: no cover - needs a browser; the logic above is tested
        """Sliders for log₁₀ β and each w_l, a dropdown of styles, and the image (ipywidgets)."""
        import ipywidgets as w  # the lessons' extra: only the widgets need it

        def png(img):
            buffer = io.BytesIO()
            to_pil(img).save(buffer, format="PNG")
            return buffer.getvalue()

        styles = [s.name for s in list_samples() if s.kind == "style"]
        default = math.log10(TransferConfig.style_weight)  # the slider spans 1/1000 to 100 × the default β
        beta = w.FloatSlider(value=math.log10(max(self.settings["style_weight"], 1e-6)), min=default - 3, max=default + 2, step=0.25,
                             description="log₁₀ β", continuous_update=False)
        layers = [w.FloatSlider(value=v, min=0, max=1, step=0.05, description=name, continuous_update=False)
                  for name, v in zip(STYLE_LAYERS, self.settings["style_layer_weights"])]
        style = w.Dropdown(options=styles, value=self.settings["style"] if self.settings["style"] in styles else styles[0],
                           description="style")
        first = self.update() if self.image is None else self.image
        H, W = first.shape[-2:]  # shown at its own size: in an HBox the picture would be stretched to the sliders' height
        picture = w.Image(value=png(first), format="png", width=W, height=H, layout=w.Layout(object_fit="contain"))
        status = w.Label()

        def changed(_):
            status.value = "running …"
            image = self.update(style=style.value, style_weight=10 ** beta.value,
                                style_layer_weights=tuple(s.value for s in layers))
            picture.value = png(image)
            _, seconds, evaluations = self.history[-1]
            status.value = f"{evaluations} evaluations, {seconds:.1f} s"

        for control in (beta, style, *layers):
            control.observe(changed, names="value")
        return w.HBox([picture, w.VBox([style, beta, *layers, status])], layout=w.Layout(align_items="flex-start"))
