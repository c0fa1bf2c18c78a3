"""What an exercise is to the grader, and the registry that finds every exercise.

An exercise is one template ``exercises/exNN_name.py`` and one grading module
``nst_teach/grading/exNN_name.py`` beside this file. The grading module defines ``EXERCISE``: its
checks (each worth some points), its named mistakes (wrong implementations derived from the reference,
each with a hint), and the library functions it refuses as answers (``references``: a student file
that imports or calls them scores 0, see `referee`). Adding an exercise is adding those two files:
`exercises()` discovers grading modules by their name, so there is no central list to edit.
"""

import importlib
import pkgutil
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import NSTError

EXERCISE_FILE = re.compile(r"ex(\d\d)_\w+")  # ex03_gram: the template's and the grading module's name


@dataclass(frozen=True)
class Check:
    """One graded property: ``run(student_module, inputs)`` returns None, or raises `compare.Failed`."""

    name: str
    points: int
    run: Callable


@dataclass(frozen=True)
class Mistake:
    """One named wrong answer: ``variant`` has the signature of the student's function ``function``."""

    id: str
    function: str
    hint: str
    variant: Callable


@dataclass(frozen=True)
class Exercise:
    id: str  # "ex03"
    file: str  # "ex03_gram.py", in the student's folder
    title: str
    functions: tuple  # the names the student writes
    checks: tuple
    mistakes: tuple = ()
    references: tuple = field(default=())  # the library functions that answer it: refused as the student's answer

    @property
    def number(self):
        return int(self.id[2:])

    @property
    def max_points(self):
        return sum(c.points for c in self.checks)

    def mistakes_of(self, function):
        """The catalogue's mistakes for one of the student's functions."""
        return [m for m in self.mistakes if m.function == function]

    def reference_names(self):
        """The refused functions as the student's side finds them: 'nst_teach.losses.tv_loss', 'numpy.cov', …"""
        return [qualified_name(fn) for fn in self.references]

    def operator_names(self):
        """The torch operators among the refused functions ('cov', 'mse_loss'), refused however they are reached."""
        return sorted({fn.__name__ for fn in self.references if qualified_name(fn).startswith("torch.")
                       and not qualified_name(fn).startswith("torch.optim.")})


def qualified_name(fn):
    """'nst_teach.losses.tv_loss': the shortest public dotted path of a function (a tensor method as students
    write it, 'torch.Tensor.cov'; torch.cov, not torch._VariableFunctionsClass.cov; torch.optim.Adam.step)."""
    import sys

    if getattr(fn, "__objclass__", None) is not None and getattr(fn.__objclass__, "__module__", "") == "torch._C":
        return f"torch.Tensor.{fn.__name__}"
    module, qualname = fn.__module__ or "torch", fn.__qualname__
    if qualname.startswith("_"):  # a torch builtin such as torch.cov ("_VariableFunctionsClass.cov")
        qualname = fn.__name__
    if not module.startswith("nst_teach"):
        head, parts = qualname.split(".")[0], module.split(".")
        for i in range(1, len(parts) + 1):
            found = sys.modules.get(".".join(parts[:i]))
            if found is not None and getattr(found, head, None) is getattr(sys.modules.get(module), head, object()):
                return f"{'.'.join(parts[:i])}.{qualname}"
    return f"{module}.{qualname}"


def mistakes(rows):
    """(id, function, hint, variant) rows → Mistakes (the grading modules write their catalogue as a table)."""
    return tuple(Mistake(*row) for row in rows)


def exercises():
    """{"ex01": Exercise, …} for every grading module exNN_*.py in this package, in numeric order.

    Imported on demand (the checks import torch), so importing `nst_teach.grading` stays cheap.
    """
    found = {}
    for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if EXERCISE_FILE.fullmatch(info.name):
            exercise = importlib.import_module(f"{__package__}.{info.name}").EXERCISE
            assert exercise.file == f"{info.name}.py", f"{info.name}: EXERCISE.file is {exercise.file}"  # a grader bug
            found[exercise.id] = exercise
    return found


def exercise_ids(names=None):
    """["ex03", 5, "ex5", "ex05_style_loss.py"] → ["ex03", "ex05"]; None → every exercise, in order."""
    known = exercises()
    if names is None or len(names) == 0:
        return list(known)
    ids = []
    for name in names:
        match = re.fullmatch(r"(?:ex)?(\d{1,2})(?:_\w+)?(?:\.py)?", str(name).strip().lower())
        exercise = f"ex{int(match.group(1)):02d}" if match else None
        if exercise not in known:
            raise NSTError(f"unknown exercise {name!r}: use {min(known)} … {max(known)} (e.g. nst-teach grade ex03)")
        if exercise not in ids:
            ids.append(exercise)
    return ids
