"""The comparison engine: run the student's function and the reference on the same inputs, compare, name the mistake.

`judge` runs a case on the student's function and on the reference. When they differ it runs the
same case on each of the exercise's named mistakes (wrong variants of the reference) and fails with
the hint of the one the student's output matches; else with a description of the difference.
`difference` also recognises the mistakes any exercise can make (`GENERIC`), by the result's type,
dtype, shape or device; `unchanged` catches in-place edits of the inputs and `gradient` broken
autograd. Tolerances suit float32: two results agree when max |got − want| ≤ atol + rtol · max |want|
(NaN where the reference has NaN, e.g. a dead filter's correlation).
"""

import numpy as np
import torch

from ..optim import AdamState


class Failed(Exception):
    """A check's verdict on a wrong answer: ``hint`` says what is wrong, ``mistake`` names it."""

    def __init__(self, hint, mistake=None):
        super().__init__(hint)
        self.hint, self.mistake = hint, mistake


class StudentError(Exception):
    """The student's code raised on one case: ``str(self)`` describes the case, ``__cause__`` is the error."""


GENERIC = {
    "not_attempted": "not attempted yet: replace the `raise NotImplementedError` line with your code",
    "returns_none": "returns None: did you forget the `return` statement?",
    "numpy_for_tensor": "returns a numpy array where a torch tensor is expected: stay in torch (no .numpy()), so autograd still works",
    "tensor_for_numpy": "returns a torch tensor where a numpy array is expected: use numpy (np.…) for this exercise",
    "number_for_tensor": "returns a Python number where a tensor is expected: drop the .item() / float(), autograd needs the tensor",
    "wrong_type": "returns the wrong type of object: see the docstring for what to return",
    "wrong_dtype": "returns the wrong dtype: keep the input's dtype (float32); avoid .double() and torch.tensor(…, dtype=…)",
    "wrong_device": "returns a tensor on another device: keep everything on the input's device (x.device)",
    "wrong_shape": "returns the wrong shape: check which axes you sum over, flatten or transpose",
    "detached": "the result is detached from the autograd graph (.item(), .detach(), .numpy(), torch.tensor(…) or "
                "torch.no_grad() cut it): compute it with torch operations on the inputs so gradients reach the image",
    "wrong_gradient": "the gradient of your loss is wrong although autograd works: check the formula in the docstring",
    "in_place": "modifies its input in place (e.g. x -= …, x.mul_(…), x[…] = …): work on a copy or write y = x - …, "
                "the caller still needs the original",
}


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
    if isinstance(x, AdamState):
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


def replaced(module, replacements):
    """``with replaced(s, {name: fn}):`` inside the block, the student's module ``s`` uses nst_teach's ``fn``
    for ``name`` (its functions look their helpers up there when called): e.g. the reference
    style_layer_loss under the student's style_loss, so one mistake is not blamed twice."""
    return module.swapped(replacements)
