"""Speed: `Speed`, the arithmetic one run uses — what the learner's modules see of this package.

A loss function asks its `Speed` four things: the layout to put the model in (`prepare`) and the
input in (`input`), the context to run the network in (`network`: bf16 autocast, Winograd's
convolutions), and the function that computes G (`gram`). The values are the same in every
arithmetic up to rounding; only the time differs.
"""

import contextlib
from dataclasses import dataclass, field

from .gram_fast import autograd_gram, gram_fast
from .layout import channels_last, rows
from .precision import network_precision
from .winograd import winograd_convolutions


@dataclass
class Speed:
    """The arithmetic of a run: ``precision`` ('fp32'/'bf16') of the network, ``gram``
    ('fast': `gram_fast`, 'autograd': the lessons' `gram_matrix`), ``conv`` ('direct': oneDNN,
    'winograd': NNPACK); ``source`` says why ('plain', 'given', 'rule', 'measured now', 'cached');
    ``times``: median seconds per evaluation of each candidate, measured at ``size`` px on ``key``.
    The plain arithmetic (`PLAIN`) is the textbook's: fp32, direct convolutions, autograd's Gram,
    torch's default memory layout."""

    precision: str = "fp32"
    gram_path: str = "autograd"
    conv: str = "direct"
    source: str = "plain"
    key: str = ""
    times: dict = field(default_factory=dict)
    size: int | None = None

    @property
    def plain(self):
        return self.source == "plain"

    def prepare(self, model):
        """The model in this arithmetic's layout (in place; the same weights): channels-last for the
        fast paths, torch's default for the plain one."""
        return rows(model) if self.plain else channels_last(model)

    def input(self, x):
        """VGG-19's input x [1, 3, H, W] in the layout the convolutions read: channels-last for
        oneDNN's direct ones, rows for Winograd's and for the plain path."""
        return x.contiguous() if self.plain or self.conv == "winograd" else channels_last(x)

    def network(self, model):
        """The context a forward pass of ``model`` runs in: bf16 autocast, Winograd's convolutions
        (kept on the model, so that each filter is transformed once), or nothing."""
        stack = contextlib.ExitStack()
        stack.enter_context(network_precision(next(model.parameters()).device, self.precision))
        if self.conv == "winograd":
            stack.enter_context(winograd_convolutions(True, model))
        return stack

    def gram(self, F):
        """G = F Fᵀ of features F [N, H, W] (or [1, N, H, W]) → [N, N], summed in fp32."""
        return gram_fast(F) if self.gram_path == "fast" else autograd_gram(F.reshape(F.shape[-3:]))

    def describe(self):
        text = f"precision {self.precision}, Gram {self.gram_path}, convolutions {self.conv} ({self.source}"
        if not self.times:
            return text + ")"
        measured = ", ".join(f"{name} {seconds:.3f} s" for name, seconds in sorted(self.times.items(), key=lambda kv: kv[1]))
        return text + f" on {self.key}: {measured} per evaluation at {self.size} px)"


PLAIN = Speed()
