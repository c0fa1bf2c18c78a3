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

Only the functions the exercise asks for are refused: ex08 may call `load_vgg19`, `gram_matrix` or
even nst_teach's `content_loss` (its template imports the student's own, from earlier exercises), and
the grader's own calls of the reference (outside the student's functions) are not counted. Everything
is put back when the `with` block ends: no global state outlives one exercise.
"""

import functools
import sys

STANDIN = "_nst_teach_reference"  # attribute of a stand-in: the reference it stands for


def original(fn):
    """The reference a stand-in stands for; anything else unchanged (for the grader's deliberate swaps)."""
    return getattr(fn, STANDIN, fn)


def qualified_name(fn):
    """'nst_teach.losses.tv_loss': where the reference is defined, as the student's message names it."""
    return f"{fn.__module__}.{fn.__qualname__}"


class Referee:
    """``with Referee(references) as referee:`` stand-ins in place; ``referee.watch(name, fn)`` wraps a
    student's function; ``referee.calls`` lists (student function, reference name) since the last ``clear()``."""

    def __init__(self, references):
        self.references = [original(r) for r in references]
        self.calls, self._running, self._patched, self._active = [], [], [], False

    def __enter__(self):
        standins = {id(r): self._standin(r) for r in self.references}
        for name, module in list(sys.modules.items()):
            if module is None or not (name == "nst_teach" or name.startswith("nst_teach.")):
                continue
            for attr, value in list(vars(module).items()):
                if id(value) in standins and any(value is r for r in self.references):
                    self._patched.append((module, attr, value))
                    setattr(module, attr, standins[id(value)])
        self._active = True
        return self

    def __exit__(self, *exc):
        self._active = False
        for module, attr, value in reversed(self._patched):
            setattr(module, attr, value)
        self._patched.clear()

    def _standin(self, reference):
        name = qualified_name(reference)

        def standin(*args, **kwargs):
            if self._active and self._running:  # called, directly or not, from the student's function
                self.calls.append((self._running[-1], name))
            return reference(*args, **kwargs)

        for attr in ("__name__", "__qualname__", "__doc__", "__module__"):
            setattr(standin, attr, getattr(reference, attr))
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
        return f"{student} calls the library's reference {reference}: write it yourself"
