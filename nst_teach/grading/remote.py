"""The student's functions as the grader calls them: each call crosses into the student's process.

`StudentProcess` is the grader's handle on one running `student_side`: it starts it in its
`sandbox`, sends requests and reads replies by a deadline while watching its memory, and kills it
and everything it started. `StudentModule` stands for the student's exercise file: ``s.gram_matrix(F)``
sends F, runs the student's ``gram_matrix`` over there and returns what came back, so an exercise's
checks read as if the function were local::

    judge("gram_matrix(F)", lambda f: f(F.copy()), s.gram_matrix, gram.gram_matrix, mistakes)

Three things make a remote call behave like a local one:

- **In-place changes come back.** The student's side compares each argument before and after the call
  and sends the changed ones; they are written into the grader's own objects, so `compare.unchanged`
  sees an in-place edit as it would locally.
- **Gradients flow.** When an argument requires a gradient, the call keeps its graph over there and
  the outputs come back joined to the grader's inputs by `RemoteGraph`, an autograd function whose
  backward is a request to the student's process. `compare.gradient` calls ``torch.autograd.grad`` on
  them as on any tensor; the comparison stays here.
- **What went wrong is told apart.** The student's code raising is `StudentRaised` (or
  `StudentNotImplemented`, the template's "not attempted"); a refused reference is `Refused`, a
  verdict; the process itself failing is a `ProcessTrouble` (timed out, out of memory, ended, a
  malformed reply), which is a BaseException so that no check's ``except Exception`` swallows it.
"""

import os
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

from ..optim import AdamState
from . import limits, sandbox
from .channel import ChannelClosed, ChannelError, ChannelTimeout, Packer, Unpacker
from .compare import Failed
from .inputs import describe
from .student_side import ADDRESS_SPACE_VARIABLE

STARTUP_TIMEOUT = 180.0  # seconds for the student's process to import torch and say it is ready
MEMORY_POLL = 0.25  # seconds between two looks at the student's processes' memory while waiting for a reply


# ----------------------------------------------------------------------------- what can go wrong
class ProcessTrouble(BaseException):
    """The student's process failed as a process; ``status`` is "timeout" or "error", ``message`` says why."""

    status = "error"

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class TimedOut(ProcessTrouble):
    status = "timeout"


class StudentRaised(Exception):
    """The student's code raised; ``info`` = {type, message, file, line, function} from the student's side."""

    def __init__(self, info):
        self.info = info if isinstance(info, dict) else {}
        super().__init__(str(self.info.get("message", "")))


class StudentNotImplemented(NotImplementedError):
    """The student's code raised NotImplementedError (the template's line, or another exercise's)."""

    def __init__(self, info):
        self.info = info
        super().__init__(str(info.get("message", "")))


class Refused(Failed):
    """The student's function called a refused reference: the check scores 0 with the referee's message."""

    def __init__(self, student, reference):
        self.student, self.reference = student, reference
        super().__init__(refusal_message(student, reference), "reference")


def refusal_message(student, reference):
    """'tv_loss calls the library's reference nst_teach.losses.tv_loss: write it yourself' (or numpy's / torch's)."""
    student = "your file's top level" if student == "<module>" else student
    if not str(reference).startswith("nst_teach"):
        package = str(reference).split(".")[0]
        return (f"{student} calls {reference}, {package}'s ready-made answer to this exercise: write it yourself from "
                "ordinary operations (@, sum, mean, einsum …); that is what is graded")
    return f"{student} calls the library's reference {reference}: write it yourself"


def raised(info):
    """The exception the grader raises for a reply that says the student's code raised."""
    info = info if isinstance(info, dict) else {}
    return StudentNotImplemented(info) if info.get("type") == "NotImplementedError" else StudentRaised(info)


# ----------------------------------------------------------------------------- the process
class StudentProcess:
    """One student's process: ``with StudentProcess(box, copy, cwd) as student:`` starts `student_side` in the
    `sandbox.Sandbox` ``box`` on the private ``copy`` (working folder ``cwd``); then `StudentModule` loads an
    exercise file into it. ``memory``: resident bytes (of it and everything it starts) above which it is
    killed. Under the sandbox "none" it may load any folder (`grader.grade_here`)."""

    def __init__(self, box, copy, cwd, memory=limits.MEMORY, address_space=limits.ADDRESS_SPACE):
        self.box, self.copy, self.cwd, self.memory, self.address_space = box, Path(copy), Path(cwd), memory, address_space
        self.started = self.channel = None
        self.seq, self.stderr, self.watched = 0, None, 0.0

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        from .channel import Channel

        student_reads, grader_writes = os.pipe()
        grader_reads, student_writes = os.pipe()
        self.stderr = tempfile.TemporaryFile()
        try:
            self.started = sandbox.start(self.box, self.copy, self.cwd, (student_reads, student_writes), self.stderr,
                                         {ADDRESS_SPACE_VARIABLE: str(self.address_space)})
        except BaseException:
            for fd in (grader_reads, grader_writes):
                os.close(fd)
            raise
        finally:
            os.close(student_reads)
            os.close(student_writes)
        self.channel = Channel(grader_reads, grader_writes)
        try:
            reply, _ = self._receive(time.monotonic() + STARTUP_TIMEOUT, startup=True)
            if reply.get("kind") != "ready":
                raise ProcessTrouble("the grading process did not start: it sent something else first")
        except BaseException:
            self.stop()
            raise
        self.started.found(reply.get("pid"))
        return self

    @property
    def folder(self):
        """The student's copy as the student's process sees it."""
        return self.started.folder

    def alive(self):
        return self.started is not None and self.started.alive()

    def request(self, message, blob=b"", deadline=None):
        """Send ``message`` and return (reply, blob): the reply that carries this request's number."""
        self.seq += 1
        try:
            self.channel.send({**message, "seq": self.seq}, blob)
        except ChannelClosed:
            raise self._ended() from None
        reply, data = self._receive(deadline)
        if reply.get("seq") != self.seq:
            raise ProcessTrouble("the process running your code sent a reply out of turn: does your code write into "
                                 "the grader's pipes?")
        return reply, data

    def _receive(self, deadline, startup=False):
        try:
            return self.channel.receive(deadline, self._watch)
        except ChannelTimeout:
            if startup:
                raise ProcessTrouble(f"the grading process did not start within {STARTUP_TIMEOUT:g} s") from None
            raise TimedOut("timed out") from None
        except ChannelClosed:
            raise self._ended(startup) from None
        except ChannelError as err:
            raise ProcessTrouble(f"the process running your code sent a malformed reply ({err}): does your code write "
                                 "into the grader's pipes?") from None

    def _watch(self):
        now = time.monotonic()
        if now - self.watched < MEMORY_POLL:
            return
        self.watched = now
        if self.started.resident_bytes() > self.memory:
            raise ProcessTrouble(f"used more than {limits.gigabytes(self.memory)} of memory, the grader's limit — does "
                                 "it build a huge array or keep every step's result?")

    def _ended(self, startup=False):
        try:
            how = f"exit code {self.started.process.wait(timeout=5)}"
        except subprocess.TimeoutExpired:  # it closed the channel but runs on: end it
            self.started.kill()
            how = "it closed its pipes to the grader and was stopped"
        if startup:
            return ProcessTrouble(f"the grading process did not start ({how}): {self.stderr_tail()}")
        return ProcessTrouble(f"ended the grading process ({how}) — does it call sys.exit(), os._exit() or "
                              f"crash Python? {self.stderr_tail()}".strip())

    def stderr_tail(self):
        """The last lines the process wrote to stderr (it may be megabytes long; the end says why it died)."""
        if self.stderr is None:
            return ""
        self.stderr.seek(0, os.SEEK_END)
        self.stderr.seek(max(0, self.stderr.tell() - 4096))
        return " ".join(self.stderr.read().decode("utf-8", "replace").strip().splitlines()[-3:])[-600:]

    def kill_strays(self):
        """End what the student's code started during the last exercise (the process itself stays)."""
        self.started.kill_strays()

    def stop(self):
        if self.started is not None:
            self.started.kill()
        for fd in (self.channel.in_fd, self.channel.out_fd) if self.channel else ():
            try:
                os.close(fd)
            except OSError:
                pass
        if self.stderr is not None:
            self.stderr.close()
        self.started = self.channel = self.stderr = None


# ----------------------------------------------------------------------------- the student's file
class StudentModule:
    """The student's exercise file, loaded in ``process``: its functions are attributes that call across.

    ``seconds``: how long the student's code may run in all, over every call of this exercise (the grader's
    own work between calls, computing references, does not count); ``spec`` is the exercise (`spec.Exercise`)."""

    def __init__(self, process, spec, seconds, folder=None):
        self._process, self._spec, self._left, self._swaps = process, spec, seconds, {}
        self._folder = folder or process.folder

    def _request(self, message, blob=b""):
        """A request to the student's process, its time taken from what is left of this exercise's."""
        start = time.monotonic()
        try:
            return self._process.request(message, blob, start + self._left)
        finally:
            self._left -= time.monotonic() - start

    def load(self):
        """Import the file over there. Returns None, or the problem (a missing function, an import error)."""
        reply, _ = self._request({
            "kind": "load", "folder": self._folder, "file": self._spec.file, "functions": list(self._spec.functions),
            "references": self._spec.reference_names(), "operators": self._spec.operator_names(),
        })
        _refusal(reply)
        if not reply.get("ok"):
            return StudentRaised(reply.get("error"))
        missing = [str(m) for m in reply.get("missing", []) if m in self._spec.functions]
        return missing or None

    def __getattr__(self, name):
        if name.startswith("_") or name not in self._spec.functions:
            raise AttributeError(name)
        return RemoteFunction(self, name)

    def origin(self, name):
        """The module the name ``name`` of the student's file comes from, as the student's side says."""
        reply, _ = self._request({"kind": "origin", "name": name})
        return str(reply.get("module", ""))

    @contextmanager
    def swapped(self, replacements):
        """Inside the block, the student's module uses nst_teach's function for each name (``{name: fn}``)."""
        saved = dict(self._swaps)
        self._swaps.update({name: f"{fn.__module__}.{fn.__qualname__}" for name, fn in replacements.items()})
        try:
            yield
        finally:
            self._swaps = saved

    def finish(self):
        """{output, total, own, threads}: what the student's code printed during this exercise."""
        reply, _ = self._request({"kind": "finish"})
        return reply


class RemoteFunction:
    """One of the student's functions; calling it runs it in the student's process."""

    def __init__(self, module, name):
        self.module, self.__name__ = module, name

    def __call__(self, *args, **kwargs):
        module = self.module
        packer = Packer(describe=describe)
        tree = packer.pack((args, kwargs))
        inputs = [t for t in packer.tensors if t.requires_grad]
        message = {"kind": "call", "function": self.__name__, "call": tree, "grad": bool(inputs),
                   "swap": dict(module._swaps)}
        reply, blob = module._request(message, packer.blob())
        _refusal(reply)
        if not reply.get("ok"):
            raise raised(reply.get("error"))
        try:
            unpacker = Unpacker(blob)
            result = unpacker.unpack(reply.get("result"))
            outputs = [t for t, wants in unpacker.leaves if wants]
            changed = [(where, unpacker.unpack(value)) for where, value in reply.get("changed", [])]
        except (ChannelError, TypeError, ValueError) as err:
            raise ProcessTrouble(f"the process running your code sent a malformed reply ({err})") from None
        for where, value in changed:
            _mirror(args, kwargs, where, value)
        if reply.get("handle") is not None and outputs and inputs:
            link = _Link(module, reply["handle"], inputs)
            joined = RemoteGraph.apply(link, *inputs, *outputs)
            result = _replace(result, {id(t): j for t, j in zip(outputs, joined)})
        return result


class _Link:
    """What RemoteGraph's backward needs: where to ask, and which call's graph."""

    def __init__(self, module, handle, inputs):
        self.module, self.handle, self.n_inputs = module, handle, len(inputs)


class RemoteGraph(torch.autograd.Function):
    """Outputs computed in the student's process, joined to the grader's inputs; backward asks over there."""

    @staticmethod
    def forward(ctx, link, *tensors):
        ctx.link = link
        return tuple(t.clone() for t in tensors[link.n_inputs:])

    @staticmethod
    def backward(ctx, *grads):
        link = ctx.link
        packer = Packer()
        tree = packer.pack(list(grads))
        reply, blob = link.module._request({"kind": "backward", "handle": link.handle, "grads": tree}, packer.blob())
        _refusal(reply)
        if not reply.get("ok"):
            raise raised(reply.get("error"))
        try:
            found = Unpacker(blob).unpack(reply.get("grads"))
        except ChannelError as err:
            raise ProcessTrouble(f"the process running your code sent a malformed reply ({err})") from None
        if not (isinstance(found, list) and len(found) == link.n_inputs):
            raise ProcessTrouble("the process running your code sent a malformed reply (gradients)")
        found = [g if torch.is_tensor(g) else None for g in found]
        return (None, *found, *(None for _ in grads))


def _refusal(reply):
    refused = reply.get("refused") or []
    if refused:
        first = refused[0]
        if not (isinstance(first, list) and len(first) == 2):
            raise ProcessTrouble("the process running your code sent a malformed reply (refusal)")
        raise Refused(str(first[0])[:80], str(first[1])[:120])


def _mirror(args, kwargs, where, value):
    """Write ``value`` into the grader's argument at ``where`` (['args', i] or ['kwargs', name]), in place."""
    if not (isinstance(where, list) and len(where) == 2):
        return
    place, key = where
    target = args[key] if place == "args" and isinstance(key, int) and 0 <= key < len(args) else (
        kwargs.get(key) if place == "kwargs" else None)
    _assign(target, value)


def _assign(target, value):
    """Make ``target`` hold ``value`` without replacing the object (tensors, arrays, dicts, lists, AdamState)."""
    if torch.is_tensor(target) and torch.is_tensor(value):
        with torch.no_grad():
            if target.shape == value.shape:
                target.copy_(value.to(target.dtype))
            else:
                target.data = value.to(target.dtype)
    elif isinstance(target, np.ndarray) and isinstance(value, np.ndarray):
        if target.shape != value.shape:
            target.resize(value.shape, refcheck=False)
        target[...] = value
    elif isinstance(target, dict) and isinstance(value, dict):
        for key in list(target):
            if key not in value:
                del target[key]
        for key, item in value.items():
            if key in target and _kind(target[key]) == _kind(item) and _kind(item) != "value":
                _assign(target[key], item)
            else:
                target[key] = item
    elif isinstance(target, list) and isinstance(value, list):
        if len(target) == len(value):
            for i, item in enumerate(value):
                if _kind(target[i]) == _kind(item) and _kind(item) != "value":
                    _assign(target[i], item)
                else:
                    target[i] = item
        else:
            target[:] = value
    elif isinstance(target, AdamState) and isinstance(value, AdamState):
        _assign(target.m, value.m)
        _assign(target.s, value.s)
        target.t = value.t


def _kind(x):
    if torch.is_tensor(x):
        return "tensor"
    if isinstance(x, np.ndarray):
        return "array"
    if isinstance(x, (dict, list, AdamState)):
        return type(x).__name__
    return "value"


def _replace(value, joined):
    """``value`` with each tensor whose id is in ``joined`` replaced (the outputs joined to the grader's graph)."""
    if torch.is_tensor(value):
        return joined.get(id(value), value)
    if isinstance(value, list):
        return [_replace(v, joined) for v in value]
    if isinstance(value, tuple):
        return tuple(_replace(v, joined) for v in value)
    if isinstance(value, dict):
        return {k: _replace(v, joined) for k, v in value.items()}
    if isinstance(value, AdamState):
        return AdamState(_replace(value.m, joined), _replace(value.s, joined), value.t)
    return value
