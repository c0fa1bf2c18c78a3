"""The referee, in the student's process: the library's answer and numpy's or torch's ready-made one are refused.

The reference answers of the exercises are nst_teach's own functions (one source of truth), so a
student file that says ``from nst_teach.losses import tv_loss`` would pass every check. While one
exercise runs in the student's process (`student_side`), `Referee` refuses three ways of getting
the answer instead of writing it:

- **By name.** Each reference (``Exercise.references``, sent by the grader as dotted names such as
  ``nst_teach.losses.tv_loss`` or ``numpy.cov``) is replaced, in every module of nst_teach, numpy and
  torch that holds it, by a stand-in, *before* the student's file is imported. A stand-in knows only
  the name it stands for: calling it records a refusal and raises `Refused`; it cannot compute the
  answer and holds nothing that leads to the original (its closure holds two lists of names). So
  every way of reaching the function through the library is the same stand-in::

      from nst_teach.losses import tv_loss                 # the stand-in
      import nst_teach as nt; tv_loss = nt.tv_loss         # the stand-in
      importlib.import_module("nst_teach.losses").tv_loss  # the stand-in

- **By operator.** A ready-made torch answer reached another way (``torch.ops.aten.mse_loss``,
  ``torch._C._nn.mse_loss``, ``x.cov()``, ``nn.MSELoss``) is caught where torch dispatches it: a
  `TorchFunctionMode` sees every torch function called on the student's tensors and a
  `TorchDispatchMode` every ATen operator under autograd; both refuse the operators the grader names
  (``cov``, ``corrcoef``, ``mse_loss``).

- **After the fact.** `Refused` derives from BaseException, so ``except Exception`` in the student's
  code does not swallow it; and a refusal is recorded before it is raised, so even a bare ``except:``
  leaves it on record. The grader reads the record with each reply and scores the check 0.

What a student could still do — rebuild the function from nst-teach's source, dig the original out
of the garbage collector, switch the modes off — is visible in their file: the grader's static
reading (`review`) flags it for the instructor. Ordinary operations (``@``, ``mean``, ``sum``,
``einsum``) are never refused. Everything is put back when the `with` block ends.
"""

import importlib
import sys

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

LIBRARIES = ("nst_teach", "numpy", "torch")  # the packages whose modules get the stand-ins


class Refused(BaseException):
    """Raised in the student's code when it calls a refused function; the refusal is already recorded."""


def resolve(dotted):
    """'nst_teach.losses.tv_loss' / 'torch.Tensor.cov' / 'torch.optim.Adam.step' → the object, or None."""
    parts = dotted.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            value = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attr in parts[i:]:
                value = getattr(value, attr)
        except AttributeError:
            return None
        return value
    return None


def _tensor_method(fn):
    return getattr(fn, "__objclass__", None) is torch._C.TensorBase


def _class_owner(fn):
    """(class, attribute) that holds a Python method such as torch.optim.Adam.step, or None."""
    owner_name, _, attr = getattr(fn, "__qualname__", "").rpartition(".")
    module = sys.modules.get(getattr(fn, "__module__", None) or "")
    owner = getattr(module, owner_name, None) if owner_name and "<" not in owner_name else None
    return (owner, attr) if isinstance(owner, type) and vars(owner).get(attr) is fn else None


def _standin(name, calls, running):
    """A function that records (student function, ``name``) and raises: it holds no reference to the original."""
    def standin(*args, **kwargs):
        calls.append((running[-1] if running else "<module>", name))
        raise Refused(name)

    standin.__name__ = standin.__qualname__ = name.rsplit(".", 1)[-1]
    standin.__doc__ = f"refused while grading: {name}"
    return standin


class _Operators:
    """Refuses torch operators by name, as a function mode and a dispatch mode (only while active)."""

    def __init__(self, names, calls, running):
        self.names, self.calls, self.running, self.paused = frozenset(names), calls, running, 0

    def refuse(self, name):
        self.calls.append((self.running[-1] if self.running else "<module>", f"torch.{name}"))
        raise Refused(name)

    @staticmethod
    def op_name(func):
        packet = getattr(func, "_overloadpacket", func)  # aten.mse_loss.default → aten.mse_loss
        return str(getattr(packet, "__name__", "")).split(".")[0]


class _FunctionWatch(TorchFunctionMode):
    def __init__(self, operators):
        super().__init__()
        self.operators = operators

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if not self.operators.paused and self.operators.op_name(func) in self.operators.names:
            self.operators.refuse(self.operators.op_name(func))
        return func(*args, **(kwargs or {}))


class _DispatchWatch(TorchDispatchMode):
    def __init__(self, operators):
        super().__init__()
        self.operators = operators

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if not self.operators.paused and self.operators.op_name(func) in self.operators.names:
            self.operators.refuse(self.operators.op_name(func))
        return func(*args, **(kwargs or {}))


class _Watcher:
    """Which student function runs, and the operator modes while it does. Holds names, never a
    reference: the wrappers it makes are reachable from the student's module."""

    def __init__(self, operators, running):
        self.operators, self.running, self.depth, self.modes = operators, running, 0, []

    def __enter__(self):
        if self.operators.names and self.depth == 0:
            self.modes = [_FunctionWatch(self.operators), _DispatchWatch(self.operators)]
            for mode in self.modes:
                mode.__enter__()
        self.depth += 1

    def __exit__(self, *exc):
        self.depth -= 1
        if self.depth == 0:
            for mode in reversed(self.modes):
                mode.__exit__(None, None, None)
            self.modes = []


class Referee:
    """``with Referee(references, operators) as referee:`` stand-ins in place; ``referee.watch(name, fn)``
    wraps a student's function (its calls are watched, the operator modes on while it runs);
    ``referee.calls`` lists (student function, refused name) since the last ``clear()``;
    ``referee.original(dotted)`` is the grader's own way to a reference (for `student_side`'s swaps)."""

    def __init__(self, references=(), operators=()):
        self.references, self.calls, running = list(references), [], []
        self._watcher = _Watcher(_Operators(operators, self.calls, running), running)
        self._originals, self._patched = {}, []

    def __enter__(self):
        for dotted in self.references:
            fn = resolve(dotted)
            if fn is None or not callable(fn):
                continue
            self._originals[dotted] = fn
            standin = _standin(dotted, self.calls, self._watcher.running)
            if _tensor_method(fn):  # x.cov(): shadow TensorBase's method on torch.Tensor
                self._patch(torch.Tensor, fn.__name__, standin)
            elif _class_owner(fn):  # torch.optim.Adam.step
                self._patch(*_class_owner(fn), standin)
            for name, module in list(sys.modules.items()):
                if module is None or name.split(".")[0] not in LIBRARIES:
                    continue
                try:
                    items = list(vars(module).items())
                except TypeError:  # an object in sys.modules without a __dict__
                    continue
                for attr, value in items:
                    if value is fn:
                        self._patch(module, attr, standin)
        return self

    _ABSENT = object()

    def _patch(self, owner, attr, standin):
        self._patched.append((owner, attr, vars(owner).get(attr, self._ABSENT)))
        setattr(owner, attr, standin)

    def __exit__(self, *exc):
        for owner, attr, value in reversed(self._patched):
            if value is self._ABSENT:
                delattr(owner, attr)
            else:
                setattr(owner, attr, value)
        self._patched.clear()

    def original(self, dotted):
        """The function ``dotted`` names, never its stand-in (the grader's deliberate swaps use it)."""
        return self._originals.get(dotted) or resolve(dotted)

    def watching(self, name):
        """A context: the student's ``name`` (or "<module>", the file's top level) runs, the modes are on."""
        return _Running(self._watcher, name)

    def watch(self, name, fn):
        """``fn`` (the student's function ``name``), running under `watching`."""
        watcher = self._watcher

        def watched(*args, **kwargs):
            with _Running(watcher, name):
                return fn(*args, **kwargs)

        watched.__name__ = watched.__qualname__ = name
        return watched

    def trusted(self, fn):
        """``fn`` (a reference the grader swapped in), run with the operator modes letting everything through."""
        operators = self._watcher.operators

        def run(*args, **kwargs):
            operators.paused += 1
            try:
                return fn(*args, **kwargs)
            finally:
                operators.paused -= 1

        return run

    def clear(self):
        self.calls.clear()


class _Running:
    def __init__(self, watcher, name):
        self.watcher, self.name = watcher, name

    def __enter__(self):
        self.watcher.running.append(self.name)
        self.watcher.__enter__()

    def __exit__(self, *exc):
        self.watcher.__exit__(*exc)
        self.watcher.running.pop()
