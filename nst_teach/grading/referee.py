"""The referee: a student's function that is, or calls, the library's reference scores 0.

The reference answers of the exercises are nst_teach's own functions (one source of truth), so a
student file that says ``from nst_teach.losses import tv_loss`` would pass every check. While one
exercise is graded, `Referee` replaces each of its references (``Exercise.references``) by a
stand-in, in every ``nst_teach`` module that holds it (``nst_teach``, ``nst_teach.losses``, …), *before*
the student's file is imported; and it wraps the student's functions so it knows when their code runs.
A stand-in behaves like the reference, but when it is called while a student's function runs it
records ``(student function, reference)``, and the check that made the call scores 0. So every way
of getting the reference is caught the same way, by what happens rather than by reading the code::

    from nst_teach.losses import tv_loss                 # tv_loss is the stand-in
    import nst_teach as nt; tv_loss = nt.tv_loss         # so is this
    from nst_teach.losses import *                       # and this
    importlib.import_module("nst_teach.losses").tv_loss  # and this
    def tv_loss(x): return nt.tv_loss(x)                 # the stand-in is called from tv_loss

The same goes for numpy's and torch's ready-made versions of what the exercise asks the student to
write (``np.cov`` and ``np.corrcoef`` for exercise 3, ``F.mse_loss`` for the losses, ``torch.optim.Adam``
for exercise 6): the grading module lists them among its references, the stand-in goes into numpy's or
torch's modules (and, for a tensor method such as ``F.cov()``, onto ``torch.Tensor``) and the verdict
says the function is numpy's or torch's own. Ordinary operations (``@``, ``mean``, ``sum``, ``einsum``)
are never references, so they stay allowed; a library function that calls a ready-made one internally
(``nn.MSELoss`` calls ``F.mse_loss``) is caught as the ready-made one.

Only the functions the exercise asks for are refused: ex08 may call `load_vgg19`, `gram_matrix` or
even nst_teach's `content_loss` (its template imports the student's own, from earlier exercises), and
the grader's own calls of the reference (outside the student's functions) are not counted. Everything
is put back when the `with` block ends: no global state outlives one exercise.
"""

import functools
import sys

STANDIN = "_nst_teach_reference"  # attribute of a stand-in: the reference it stands for
LIBRARIES = ("nst_teach", "numpy", "torch")  # the packages whose modules get the stand-ins


def original(fn):
    """The reference a stand-in stands for; anything else unchanged (for the grader's deliberate swaps)."""
    return getattr(fn, STANDIN, fn)


def qualified_name(fn):
    """'nst_teach.losses.tv_loss': where the reference is defined, as the student's message names it.
    A tensor method is named as students write it ('torch.Tensor.cov'); numpy's as 'numpy.cov'."""
    if _tensor_method(fn):
        return f"torch.Tensor.{fn.__name__}"
    module, qualname = fn.__module__ or "torch", fn.__qualname__
    if qualname.startswith("_"):  # a torch builtin such as torch.cov ("_VariableFunctionsClass.cov")
        qualname = fn.__name__
    if not module.startswith("nst_teach"):  # the shortest public path: torch.optim.SGD.step, not torch.optim.sgd.SGD.step
        head = qualname.split(".")[0]
        parts = module.split(".")
        for i in range(1, len(parts) + 1):
            found = sys.modules.get(".".join(parts[:i]))
            if found is not None and getattr(found, head, None) is getattr(sys.modules.get(module), head, object()):
                return f"{'.'.join(parts[:i])}.{qualname}"
    return f"{module}.{qualname}"


def ready_made(fn):
    """True for numpy's or torch's own function (a ready-made answer), False for nst_teach's reference."""
    return not str(getattr(original(fn), "__module__", None) or "torch").startswith("nst_teach")


def _tensor_method(fn):
    import torch  # only ever asked once torch is loaded (the grader imports it first)

    return getattr(fn, "__objclass__", None) is torch._C.TensorBase


def _method_owner(fn):
    """(class, attribute) that holds a Python method reference such as torch.optim.Adam.step, or None."""
    owner_name, _, attr = getattr(fn, "__qualname__", "").rpartition(".")
    module = sys.modules.get(getattr(fn, "__module__", None) or "")
    owner = getattr(module, owner_name, None) if owner_name and "<" not in owner_name else None
    return (owner, attr) if isinstance(owner, type) and vars(owner).get(attr) is fn else None


class Referee:
    """``with Referee(references) as referee:`` stand-ins in place; ``referee.watch(name, fn)`` wraps a
    student's function; ``referee.calls`` lists (student function, reference name) since the last ``clear()``."""

    def __init__(self, references):
        self.references = [original(r) for r in references]
        self._ready_made = {qualified_name(r) for r in self.references if ready_made(r)}
        self.calls, self._running, self._patched, self._active = [], [], [], False

    def __enter__(self):
        standins = {id(r): self._standin(r) for r in self.references}
        for name, module in list(sys.modules.items()):
            if module is None or name.split(".")[0] not in LIBRARIES:
                continue
            try:
                items = list(vars(module).items())
            except TypeError:  # an object in sys.modules without a __dict__
                continue
            for attr, value in items:
                if id(value) in standins and any(value is r for r in self.references):
                    self._patch(module, attr, standins[id(value)])
        for reference in self.references:
            if _tensor_method(reference):  # x.cov(): shadow TensorBase's method on torch.Tensor
                self._patch(__import__("torch").Tensor, reference.__name__, standins[id(reference)])
            elif _method_owner(reference):  # torch.optim.Adam.step
                self._patch(*_method_owner(reference), standins[id(reference)])
        self._active = True
        return self

    _ABSENT = object()

    def _patch(self, owner, attr, standin):
        self._patched.append((owner, attr, vars(owner).get(attr, self._ABSENT)))
        setattr(owner, attr, standin)

    def __exit__(self, *exc):
        self._active = False
        for owner, attr, value in reversed(self._patched):
            if value is self._ABSENT:
                delattr(owner, attr)
            else:
                setattr(owner, attr, value)
        self._patched.clear()

    def _standin(self, reference):
        name = qualified_name(reference)

        def standin(*args, **kwargs):
            if self._active and self._running:  # called, directly or not, from the student's function
                self.calls.append((self._running[-1], name))
            return reference(*args, **kwargs)

        for attr in ("__name__", "__qualname__", "__doc__", "__module__"):
            setattr(standin, attr, getattr(reference, attr, None) or name)
        setattr(standin, STANDIN, reference)
        return standin

    def watch(self, name, fn):
        """``fn`` (the student's function ``name``), noting while it runs; the reference itself is noted at once."""
        if any(original(fn) is r for r in self.references):  # e.g. bound before the stand-ins were in place
            fn = self._standin(original(fn))

        @functools.wraps(fn)
        def watched(*args, **kwargs):
            self._running.append(name)
            try:
                return fn(*args, **kwargs)
            finally:
                self._running.pop()

        return watched

    def clear(self):
        self.calls.clear()

    def verdict(self):
        """'tv_loss calls the library's reference nst_teach.losses.tv_loss: write it yourself', or None."""
        if not self.calls:
            return None
        student, reference = self.calls[0]
        if reference in self._ready_made:
            package = reference.split(".")[0]
            return (f"{student} calls {reference}, {package}'s ready-made answer to this exercise: write it yourself "
                    f"from ordinary operations (@, sum, mean, einsum …); that is what is graded")
        return f"{student} calls the library's reference {reference}: write it yourself"
