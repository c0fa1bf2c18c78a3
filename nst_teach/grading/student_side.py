"""The student's side: the process that runs the student's code, and nothing that decides a grade.

``python -m nst_teach.grading.student_side REQUESTS REPLIES FOLDER`` is started by the grader
(`grader`, through `sandbox`) with two pipes: it reads requests on one and writes replies on the
other, as frames of plain data (`channel`). It knows no check, no reference value, no point and no
hint; it only

- **load**s an exercise file from FOLDER (its private copy of the student's files), with the
  `referee`'s stand-ins in place for the functions the grader names;
- **call**s one of the student's functions on the inputs the grader sends and sends back the
  output, the arguments the call changed in place, and any refusal;
- runs **backward** through an output kept from a call, when a check needs the gradient;
- says which module a name of the student's file comes from (**origin**), and what the student's
  code printed (**finish**).

The grader compares, names the mistake, counts the points and writes every file. Before any
student code runs this process limits its own memory and file sizes (`limits`), points file
descriptors 0 and 1 at /dev/null (a C-level write cannot reach the channel by accident) and sends
``ready``. What the student's code does to this process — patch its modules, write into its pipes,
exit — can change only what it sends back, which the grader treats as untrusted data.
"""

import contextlib
import importlib
import io
import os
import re
import sys
import threading
import traceback
from pathlib import Path

import numpy as np
import torch

from . import limits
from .channel import Channel, ChannelClosed, ChannelError, Packer, Unpacker
from .inputs import build
from .referee import Referee

OUTPUT_LIMIT = 2000  # characters of a student's printed output sent back
ADDRESS_SPACE_VARIABLE = "NST_TEACH_GRADER_ADDRESS_SPACE"  # the limit the grader gives this process (bytes)
SWAPPABLE = re.compile(r"nst_teach\.(?!grading\.)[\w.]+")  # what the grader may swap into a student's module


class _Capped(io.TextIOBase):
    """A stdout replacement that keeps the first ``limit`` characters and counts the rest, and counts
    apart what code in the file named ``own`` printed (exercise 8 also runs exercise 1's file)."""

    def __init__(self, limit=OUTPUT_LIMIT, own=None):
        self.limit, self.kept, self.total, self.own, self.own_total = limit, [], 0, own, 0

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        room = self.limit - sum(len(t) for t in self.kept)
        if room > 0:  # a lone surrogate ("\ud800") cannot be written as UTF-8: keep it escaped
            self.kept.append(text[:room].encode("utf-8", "backslashreplace").decode("utf-8"))
        self.total += len(text)
        caller = sys._getframe(1)  # print() writes from C: the frame above is the code that printed
        if self.own and Path(caller.f_code.co_filename).name == self.own:
            self.own_total += len(text)
        return len(text)

    def text(self):
        kept = "".join(self.kept)
        return kept + (f"\n… [output truncated: {self.total:,} characters in all]" if self.total > len(kept) else "")


def describe_error(err, folder):
    """{type, message, file, line, function}: what the student's code raised, and where in their folder."""
    try:
        text = str(err).strip()
    except Exception:  # an exception whose __str__ raises
        text = ""
    info = {"type": type(err).__name__[:60], "message": text.splitlines()[0][:300] if text else ""}
    if isinstance(err, SyntaxError) and err.filename:
        info.update(file=Path(err.filename).name, line=err.lineno)
    else:
        frames = [f for f in traceback.extract_tb(err.__traceback__) if Path(f.filename).parent == folder]
        if frames:
            info.update(file=Path(frames[-1].filename).name, line=frames[-1].lineno, function=frames[-1].name)
    return info


class StudentSide:
    """The request loop and the state of the exercise being run (its module, referee, output, gradients)."""

    def __init__(self, channel, folder):
        self.channel, self.folder = channel, Path(folder)
        self.module = self.referee = self.capture = None
        self.handles, self.saved, self.threads, self.built = {}, None, set(threading.enumerate()), {}

    def build(self, kind, params):
        """A described input (the VGG-19 model, a loss), built once per exercise: what the student's code
        does to it stays in this exercise."""
        if kind != "vgg19":
            return build(kind, params)
        key = (kind, str(params.get("last_layer")) if isinstance(params, dict) else None)
        if key not in self.built:
            self.built[key] = build(kind, params)
        return self.built[key]

    def serve(self):
        while True:
            try:
                request, blob = self.channel.receive()
            except ChannelClosed:
                return
            kind = request.get("kind")
            if kind == "quit":
                return
            handler = {"load": self.load, "call": self.call, "backward": self.backward, "origin": self.origin,
                       "finish": self.finish}.get(kind)
            try:
                reply, out = handler(request, blob) if handler else ({"ok": False, "error": {"type": "Protocol"}}, b"")
            except ChannelClosed:
                return
            self.channel.send({**reply, "seq": request.get("seq")}, out)

    # ------------------------------------------------------------------------- one exercise
    def load(self, request, blob):
        """Import the exercise file afresh, stand-ins in place; wrap its functions so the referee sees them run."""
        if self.module is not None or self.referee is not None:
            self.finish({}, b"")
        self.folder = Path(request.get("folder") or self.folder)
        self.threads = set(threading.enumerate())
        _forget_student_modules(self.folder)
        importlib.invalidate_caches()
        self.saved = sys.stdout, sys.stderr, list(sys.path)
        self.capture = _Capped(own=request["file"])
        sys.stdout = sys.stderr = self.capture
        sys.path.insert(0, str(self.folder))
        self.referee = Referee(request.get("references", []), request.get("operators", [])).__enter__()
        try:
            with self.referee.watching("<module>"):
                module = importlib.import_module(Path(request["file"]).stem)
        except BaseException as err:  # SyntaxError, ImportError, or anything the file does when imported
            return {"ok": False, "error": describe_error(err, self.folder), "refused": self.referee.calls}, b""
        self.module = module
        missing = [f for f in request.get("functions", []) if not callable(getattr(module, f, None))]
        for name in request.get("functions", []):
            if name not in missing:
                setattr(module, name, self.referee.watch(name, getattr(module, name)))
        return {"ok": True, "missing": missing, "refused": self.referee.calls}, b""

    def call(self, request, blob):
        """Run the student's function on the inputs sent; send back its output and what it changed."""
        unpacker = Unpacker(blob, build=self.build)
        args, kwargs = unpacker.unpack(request["call"])
        for leaf in unpacker.grad_leaves:
            leaf.requires_grad_(True)
        before = Unpacker(blob, build=lambda kind, params: None).unpack(request["call"])  # to see in-place changes
        self.referee.clear()
        try:
            with self._swapped(request.get("swap") or {}), (torch.enable_grad() if request.get("grad") else
                                                           contextlib.nullcontext()):
                result = getattr(self.module, request["function"])(*args, **kwargs)
        except BaseException as err:  # the student's code raised, called exit(), or was refused
            return {"ok": False, "error": describe_error(err, self.folder), "refused": self.referee.calls}, b""
        packer = Packer()
        try:
            reply = {"ok": True, "result": packer.pack(result), "refused": self.referee.calls, "handle": None}
            outputs = [t for t in packer.tensors if t.requires_grad]  # the result's, in the order the grader unpacks them
            reply["changed"] = [[where, packer.pack(value)] for where, value in _changed((args, kwargs), before)]
        except ChannelError as err:  # a result too large or too deeply nested to send
            return {"ok": False, "error": {"type": "ResultTooLarge", "message": f"the result cannot be sent back: {err}"},
                    "refused": self.referee.calls}, b""
        if request.get("grad") and outputs and unpacker.grad_leaves:
            reply["handle"] = request.get("seq")
            self.handles[reply["handle"]] = (outputs, unpacker.grad_leaves)
        return reply, packer.blob()

    def backward(self, request, blob):
        """∂(Σ grads · outputs)/∂inputs of a kept call (None where an input was not used)."""
        outputs, inputs = self.handles.pop(request.get("handle"), (None, None))
        if outputs is None:
            return {"ok": False, "error": {"type": "Protocol", "message": "no such call"}}, b""
        grads = Unpacker(blob).unpack(request["grads"])
        grads = [torch.zeros_like(o) if g is None else g.to(o.dtype) for o, g in zip(outputs, grads)]
        try:
            with self.referee.watching("backward"):
                found = torch.autograd.grad(outputs, inputs, grads, allow_unused=True)
        except BaseException as err:
            return {"ok": False, "error": describe_error(err, self.folder), "refused": self.referee.calls}, b""
        packer = Packer()
        return {"ok": True, "grads": packer.pack(list(found))}, packer.blob()

    def origin(self, request, blob):
        """The module a name of the student's file comes from ('ex01_preprocess', 'nst_teach.preprocess')."""
        value = getattr(self.module, str(request.get("name")), None)
        return {"ok": True, "module": str(getattr(value, "__module__", "") or "")[:200]}, b""

    def finish(self, request, blob):
        """Put everything back; report what the student's code printed and whether it left threads running."""
        if self.referee is not None:
            self.referee.__exit__(None, None, None)
        capture, self.module, self.referee, self.capture = self.capture, None, None, None
        if self.saved is not None:
            sys.stdout, sys.stderr, path = self.saved
            sys.path[:] = path
            self.saved = None
        self.handles.clear()
        self.built.clear()
        left = [t for t in threading.enumerate() if t not in self.threads and t.is_alive()]
        return {"ok": True, "output": capture.text() if capture else "", "total": capture.total if capture else 0,
                "own": capture.own_total if capture else 0, "threads": len(left)}, b""

    @contextlib.contextmanager
    def _swapped(self, swaps):
        """The grader's deliberate swaps: a name of the student's module bound to nst_teach's function."""
        saved = {}
        for name, dotted in swaps.items():
            original = self.referee.original(dotted) if SWAPPABLE.fullmatch(str(dotted)) else None
            if original is not None and hasattr(self.module, name):
                saved[name] = getattr(self.module, name)
                setattr(self.module, name, self.referee.trusted(original))
        try:
            yield
        finally:
            for name, value in saved.items():
                setattr(self.module, name, value)


def _changed(now, before):
    """[(where, value now)] for each argument the call changed in place: ('args', i) or ('kwargs', name)."""
    (args, kwargs), (old_args, old_kwargs) = now, before
    found = [(["args", i], a) for i, (a, b) in enumerate(zip(args, old_args)) if not _same(a, b)]
    return found + [(["kwargs", k], v) for k, v in kwargs.items() if k in old_kwargs and not _same(v, old_kwargs[k])]


def _same(a, b):
    if torch.is_tensor(a):
        return torch.is_tensor(b) and a.shape == b.shape and a.dtype == b.dtype and torch.equal(a.detach(), b)
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if hasattr(a, "m") and hasattr(a, "s") and hasattr(a, "t"):  # AdamState
        return _same(a.m, getattr(b, "m", None)) and _same(a.s, getattr(b, "s", None)) and a.t == getattr(b, "t", None)
    return True  # numbers, strings, described inputs: passed by value, nothing to mirror


def _forget_student_modules(folder):
    """Drop imported student modules (ex01_preprocess, …, and anything imported from ``folder``)."""
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if re.fullmatch(r"ex\d\d_\w+", name) or (file and folder in Path(file).resolve().parents):
            del sys.modules[name]


def main(argv):
    """The process: limits, then torch, then ``ready``, then requests until the grader closes the channel."""
    requests, replies, folder = int(argv[0]), int(argv[1]), argv[2]
    if os.environ.get(ADDRESS_SPACE_VARIABLE):
        limits.apply_child_limits(int(os.environ[ADDRESS_SPACE_VARIABLE]))
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)  # stderr (fd 2) stays: the grader keeps its end for why a process died
    sys.dont_write_bytecode = True  # leave no __pycache__ in the student's folder
    torch.set_num_threads(1)  # small inputs: threads only add contention when students are graded in parallel
    channel = Channel(requests, replies)
    channel.send({"kind": "ready", "pid": os.getpid()})
    StudentSide(channel, folder).serve()


if __name__ == "__main__":
    main(sys.argv[1:])
