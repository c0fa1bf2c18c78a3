"""The private parts of torch that nst-teach uses, each behind one guard with a fallback.

torch promises nothing about names that start with an underscore or about the C symbols inside its
library: any release may rename or drop them. Each one is reached only through a function here,
which answers None (or False) when the part is missing or does not work, and its caller then takes
the public, slower path:

    strong_wolfe()           torch.optim.lbfgs._strong_wolfe   → optim.lbfgs uses its Armijo search
    mkldnn_bf16_supported()  torch.ops.mkldnn._is_mkldnn_bf16_supported → bf16 is not tried
    nnpack_library()         NNPACK's C functions in libtorch_cpu → direct convolutions
    tensor_version(t)        Tensor._version                    → a filter is assumed never changed

tests/test_private_torch.py makes each one unavailable in turn and runs a default `style_transfer`
to the end.
"""

import ctypes
import functools
import os
import sys

import torch


def strong_wolfe():
    """torch's strong-Wolfe line search (Nocedal & Wright, Algorithms 3.5–3.6), or None."""
    try:
        from torch.optim.lbfgs import _strong_wolfe
    except ImportError:
        return None
    return _strong_wolfe if callable(_strong_wolfe) else None


def mkldnn_bf16_supported():
    """True if oneDNN runs bf16 in hardware on this CPU (AVX-512 BF16 or AMX); False if not, or if
    this torch cannot say."""
    try:
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


class _Size(ctypes.Structure):
    _fields_ = [("width", ctypes.c_size_t), ("height", ctypes.c_size_t)]


class _Padding(ctypes.Structure):
    _fields_ = [("top", ctypes.c_size_t), ("right", ctypes.c_size_t), ("bottom", ctypes.c_size_t), ("left", ctypes.c_size_t)]


@functools.cache  # opened and declared once per process
def nnpack_library():
    """torch's CPU library with NNPACK's `nnp_convolution_inference` and pthreadpool declared
    (argument types from NNPACK's include/nnpack.h), or None where it cannot be opened, the symbols
    are missing, or torch was built without NNPACK."""
    if not sys.platform.startswith("linux") or not torch.backends.nnpack.is_available():
        return None
    path = os.path.join(os.path.dirname(torch.__file__), "lib", "libtorch_cpu.so")
    try:
        lib = ctypes.CDLL(path)
        f, create, destroy = lib.nnp_convolution_inference, lib.pthreadpool_create, lib.pthreadpool_destroy
    except (OSError, AttributeError):
        return None
    f.restype = ctypes.c_int
    f.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_size_t, ctypes.c_size_t, _Size, _Padding, _Size, _Size,
                  ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                  ctypes.POINTER(ctypes.c_size_t), ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    create.restype, create.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    destroy.restype, destroy.argtypes = None, [ctypes.c_void_p]
    return lib


def tensor_version(t):
    """The counter torch bumps at every in-place change of ``t`` (Tensor._version), or None."""
    version = getattr(t, "_version", None)
    return version if isinstance(version, int) else None
