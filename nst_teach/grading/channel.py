"""The channel between the grader and the student's process: messages of plain data, nothing else.

The grader (`grader`) and the process that runs the student's code (`student_side`) talk through two
pipes. Every message is one frame::

    b"NSTG" | length of the header (4 bytes) | length of the blob (4 bytes) | header (JSON) | blob

The header is JSON; tensors and arrays are raw bytes in the blob, named in the header by dtype, shape
and where their bytes are. Nothing is pickled and nothing received is executed: `unpack` builds only
numbers, strings, lists, tuples, dicts, tensors, numpy arrays, `AdamState` and the few inputs the
grader describes (the VGG-19 model, a loss function) from a fixed table. What the student's process
sends is checked as it is read: a frame over the size limits, a dtype that is not a number, a shape
whose bytes are not there, nesting too deep — each is a `ChannelError`, which the grader reports as
that exercise's error while the other exercises are graded.
"""

import json
import math
import os
import select
import struct
import time

import numpy as np
import torch

from ..optim import AdamState

MAGIC = b"NSTG"
FRAME = struct.Struct(">4sII")  # magic, header bytes, blob bytes
MAX_HEADER = 4 * 2**20  # bytes of JSON: a reply is a few numbers and names per tensor
MAX_BLOB = 256 * 2**20  # bytes of tensors: the largest reply (VGG-19 features of a 64 px photo) is < 2 MB
MAX_DEPTH = 24  # lists in dicts in tuples …
MAX_ITEMS = 100_000  # values in one message
MAX_NAME = 60  # characters of a type name the student's process reports

# The dtypes that travel (torch name → numpy dtype of the same bytes; bfloat16 travels as its raw 16 bits).
TORCH_DTYPES = {"float32": np.float32, "float64": np.float64, "float16": np.float16, "bfloat16": np.int16,
                "int64": np.int64, "int32": np.int32, "int16": np.int16, "int8": np.int8, "uint8": np.uint8,
                "bool": np.bool_, "complex64": np.complex64, "complex128": np.complex128}
NUMPY_KINDS = "biufc"  # bool, int, unsigned, float, complex: never object or string arrays


class ChannelError(Exception):
    """A message that is not what the protocol allows (too big, malformed, an unknown kind)."""


class ChannelClosed(ChannelError):
    """The other side closed its end: the student's process ended."""


class ChannelTimeout(ChannelError):
    """No complete message before the deadline."""


# ----------------------------------------------------------------------------- values ↔ JSON + bytes
class Opaque:
    """Something the student's function returned that cannot travel (a generator, a custom object): the
    grader sees an instance of a class with the same name, so its hint can say 'returns a generator'."""


def _opaque(name):
    name = "".join(c for c in str(name)[:MAX_NAME] if c.isalnum() or c == "_") or "object"
    return type(name, (Opaque,), {})()


class Packer:
    """value → (JSON-able tree, blob bytes). ``describe(x)`` → (kind, params) or None, for inputs that
    travel as a description (the grader's VGG-19 model, a loss function: see `student_side.build`)."""

    def __init__(self, describe=None):
        self.parts, self.size, self.describe, self.tensors = [], 0, describe, []

    def pack(self, x, depth=0):
        if depth > MAX_DEPTH:
            raise ChannelError("value nested too deeply")
        if x is None or isinstance(x, (bool, str)):
            return x
        if isinstance(x, int) and not isinstance(x, bool):
            return x
        if isinstance(x, float):
            return x if math.isfinite(x) else {"$f": repr(x)}
        if torch.is_tensor(x):
            return {"$tensor": self._tensor(x)}
        if isinstance(x, np.ndarray):
            return {"$array": self._array(x)}
        if isinstance(x, np.generic):
            value = x.item()
            return {"$npscalar": [x.dtype.str, self.pack(value if not isinstance(value, complex) else float("nan"))]}
        if isinstance(x, list):
            return [self.pack(v, depth + 1) for v in x]
        if isinstance(x, tuple):
            return {"$t": [self.pack(v, depth + 1) for v in x]}
        if isinstance(x, dict):
            return {"$d": [[self.pack(k, depth + 1), self.pack(v, depth + 1)] for k, v in x.items()]}
        if isinstance(x, AdamState):
            return {"$adam": [self.pack(x.m, depth + 1), self.pack(x.s, depth + 1), self.pack(x.t, depth + 1)]}
        described = self.describe(x) if self.describe else None
        if described is not None:
            kind, params = described
            return {"$described": [kind, self.pack(params, depth + 1)]}
        return {"$opaque": type(x).__name__[:MAX_NAME]}

    def _bytes(self, data):
        self.parts.append(data)
        offset = self.size
        self.size += len(data)
        if self.size > MAX_BLOB:
            raise ChannelError(f"more than {MAX_BLOB // 2**20} MB of tensors in one message")
        return offset

    def _tensor(self, t):
        self.tensors.append(t)  # as given: the student's side keeps those that require a gradient
        wants = bool(t.requires_grad)
        t = t.detach()
        if t.device.type != "cpu":
            t = t.cpu()
        name = str(t.dtype).replace("torch.", "")
        if name not in TORCH_DTYPES:
            return {"opaque": f"tensor of {name}"}
        t = t.contiguous()
        raw = t.view(torch.int16) if t.dtype == torch.bfloat16 else t
        data = raw.numpy().tobytes()
        return {"dtype": name, "shape": list(t.shape), "at": self._bytes(data), "n": len(data), "grad": wants}

    def _array(self, a):
        if a.dtype.kind not in NUMPY_KINDS:
            return {"opaque": f"array of {a.dtype}"}
        a = np.ascontiguousarray(a)
        data = a.tobytes()
        return {"dtype": a.dtype.str, "shape": list(a.shape), "at": self._bytes(data), "n": len(data)}

    def blob(self):
        return b"".join(self.parts)


class Unpacker:
    """(JSON tree, blob) → value, checking everything. ``build(kind, params)`` makes a described input
    (only the student's side accepts descriptions); ``grad_leaves`` collects tensors marked as requiring
    a gradient, in the order they were unpacked."""

    def __init__(self, blob, build=None):
        self.blob, self.build, self.items, self.grad_leaves, self.leaves = blob, build, 0, [], []

    def unpack(self, tree, depth=0):
        self.items += 1
        if self.items > MAX_ITEMS or depth > MAX_DEPTH:
            raise ChannelError("message with too many or too deeply nested values")
        if tree is None or isinstance(tree, (bool, str, int, float)):
            return tree
        if isinstance(tree, list):
            return [self.unpack(v, depth + 1) for v in tree]
        if not (isinstance(tree, dict) and len(tree) == 1):
            raise ChannelError("malformed value")
        (tag, body), = tree.items()
        if tag == "$f" and body in ("nan", "inf", "-inf"):
            return float(body)
        if tag == "$t" and isinstance(body, list):
            return tuple(self.unpack(v, depth + 1) for v in body)
        if tag == "$d" and isinstance(body, list):
            out = {}
            for pair in body:
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise ChannelError("malformed dict")
                key = self.unpack(pair[0], depth + 1)
                if not isinstance(key, (str, int, float, bool, type(None), tuple)):
                    raise ChannelError("dict key that is not a plain value")
                out[key] = self.unpack(pair[1], depth + 1)
            return out
        if tag == "$tensor" and isinstance(body, dict):
            return self._tensor(body)
        if tag == "$array" and isinstance(body, dict):
            return self._array(body)
        if tag == "$npscalar" and isinstance(body, list) and len(body) == 2:
            dtype = self._numpy_dtype(body[0])
            value = self.unpack(body[1], depth + 1)
            if not isinstance(value, (int, float, bool)):
                raise ChannelError("malformed numpy scalar")
            return dtype.type(value)
        if tag == "$adam" and isinstance(body, list) and len(body) == 3:
            m, s, t = (self.unpack(v, depth + 1) for v in body)
            return AdamState(m, s, t)
        if tag == "$opaque" and isinstance(body, str):
            return _opaque(body)
        if tag == "$described" and self.build is not None and isinstance(body, list) and len(body) == 2:
            return self.build(body[0], self.unpack(body[1], depth + 1))
        raise ChannelError(f"a value of a kind that may not travel ({str(tag)[:20]})")

    def _bytes(self, spec, itemsize, shape):
        at, n = spec.get("at"), spec.get("n")
        if not (isinstance(at, int) and isinstance(n, int) and 0 <= at and 0 <= n and at + n <= len(self.blob)):
            raise ChannelError("tensor bytes missing from the message")
        if not (isinstance(shape, list) and len(shape) <= 16 and all(isinstance(d, int) and 0 <= d for d in shape)):
            raise ChannelError("malformed tensor shape")
        if math.prod(shape) * itemsize != n:
            raise ChannelError("tensor shape and bytes disagree")
        return self.blob[at:at + n]

    def _tensor(self, spec):
        if "opaque" in spec:
            return _opaque(str(spec["opaque"]).split(" ")[0])
        name = spec.get("dtype")
        if name not in TORCH_DTYPES:
            raise ChannelError("tensor of a dtype that may not travel")
        raw_dtype = np.dtype(TORCH_DTYPES[name])
        data = self._bytes(spec, raw_dtype.itemsize, spec.get("shape"))
        array = np.frombuffer(data, dtype=raw_dtype).reshape(spec["shape"]).copy()
        t = torch.from_numpy(array)
        if name == "bfloat16":
            t = t.view(torch.bfloat16)
        if spec.get("grad") is True and t.is_floating_point():
            self.grad_leaves.append(t)
        self.leaves.append((t, spec.get("grad") is True))
        return t

    def _numpy_dtype(self, text):
        try:
            dtype = np.dtype(str(text)[:8])
        except TypeError as err:
            raise ChannelError("malformed array dtype") from err
        if dtype.kind not in NUMPY_KINDS:
            raise ChannelError("array of a dtype that may not travel")
        return dtype

    def _array(self, spec):
        if "opaque" in spec:
            return _opaque("ndarray")
        dtype = self._numpy_dtype(spec.get("dtype"))
        data = self._bytes(spec, dtype.itemsize, spec.get("shape"))
        return np.frombuffer(data, dtype=dtype).reshape(spec["shape"]).copy()


# ----------------------------------------------------------------------------- frames on file descriptors
def encode(message, blob=b""):
    header = json.dumps(message, separators=(",", ":"), allow_nan=False).encode("utf-8")
    if len(header) > MAX_HEADER or len(blob) > MAX_BLOB:
        raise ChannelError("message too large")
    return FRAME.pack(MAGIC, len(header), len(blob)) + header + blob


class Channel:
    """One end: ``send(message, blob)`` writes a frame to ``out_fd``; ``receive(deadline, wait)`` reads
    one from ``in_fd`` (a deadline on ``time.monotonic()``; ``wait()`` is called between polls, and may
    raise, e.g. when the process on the other side uses too much memory)."""

    def __init__(self, in_fd, out_fd):
        self.in_fd, self.out_fd = in_fd, out_fd

    def send(self, message, blob=b""):
        data = memoryview(encode(message, blob))
        while data:
            try:
                written = os.write(self.out_fd, data)
            except (BrokenPipeError, OSError) as err:
                raise ChannelClosed("the other side is gone") from err
            data = data[written:]

    def receive(self, deadline=None, wait=None):
        head = self._read(FRAME.size, deadline, wait)
        magic, n_header, n_blob = FRAME.unpack(head)
        if magic != MAGIC:
            raise ChannelError("a message that does not start as the protocol's frames do")
        if n_header > MAX_HEADER or n_blob > MAX_BLOB:
            raise ChannelError(f"a message of {n_header + n_blob:,} bytes, over the channel's limit")
        header = self._read(n_header, deadline, wait)
        blob = self._read(n_blob, deadline, wait)
        try:
            message = json.loads(header.decode("utf-8"), parse_constant=_no_constants)
        except (UnicodeDecodeError, ValueError, RecursionError) as err:
            raise ChannelError("a message whose header is not valid JSON") from err
        if not isinstance(message, dict):
            raise ChannelError("a message that is not an object")
        return message, blob

    def _read(self, n, deadline, wait):
        chunks, left = [], n
        while left:
            if deadline is not None or wait is not None:
                while True:
                    timeout = 0.1 if deadline is None else min(0.1, deadline - time.monotonic())
                    if timeout <= 0:
                        raise ChannelTimeout("no reply before the deadline")
                    if select.select([self.in_fd], [], [], timeout)[0]:
                        break
                    if wait is not None:
                        wait()
            chunk = os.read(self.in_fd, min(left, 2**20))
            if not chunk:
                raise ChannelClosed("the other side closed the channel")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)


def _no_constants(name):
    raise ValueError(f"{name} is not JSON")  # NaN travels as {"$f": "nan"}, never as a bare constant
