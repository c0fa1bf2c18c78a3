"""The grader's reading of a submission (`grading.review`): flags for the instructor, and none for honest work."""

from pathlib import Path

import pytest

from nst_teach.grading import review, spec
from nst_teach.grading.folder import templates_folder

EXERCISES = spec.exercises()
HERE = Path(__file__).parent


def flags(exercise, source):
    return review.review({EXERCISES[exercise].file: source.encode()}, [EXERCISES[exercise]])[exercise]


@pytest.mark.parametrize("exercise", list(EXERCISES))
def test_honest_solutions_and_the_templates_are_not_flagged(exercise):
    name = EXERCISES[exercise].file
    assert flags(exercise, (HERE / "solutions" / name).read_text()) == []
    assert flags(exercise, (templates_folder() / name).read_text()) == []


PASTED = '''import numpy as np
import torch
from nst_teach.gram import covariance_matrix as my_cov


def correlation_matrix(features):
    """My own correlation, honestly."""
    cov = my_cov(features)
    if isinstance(cov, np.ndarray):
        sd = np.sqrt(np.diagonal(cov, axis1=-2,
                                 axis2=-1))
        return cov / (sd[..., :, None] * sd[..., None, :])
    sd = torch.diagonal(cov, dim1=-2, dim2=-1).sqrt()
    return cov / (sd.unsqueeze(-1) * sd.unsqueeze(-2))
'''


def test_a_pasted_reference_is_the_same_syntax_tree_whatever_its_names_and_layout():
    assert flags("ex03", PASTED) == ["correlation_matrix is the same as nst-teach's reference nst_teach.gram.correlation_matrix "
                                     "(its syntax tree, names and formatting aside; a short formula written independently "
                                     "can coincide)"]
    assert flags("ex03", PASTED.replace("sd.unsqueeze(-1) * sd", "sd.unsqueeze(-1) + sd")) == []  # one operation changed


def test_a_short_formula_is_never_called_a_copy():
    # x − lr·grad is the reference's whole body: everyone writes it so (the reference takes the same arguments)
    assert flags("ex06", "def gradient_descent_step(x, grad, lr):\n    return x - lr * grad\n") == []


@pytest.mark.parametrize("source, what", [
    ("import sys\ndef tv_loss(x):\n    return sys._getframe(1).f_locals['want']\n", "looks at stack frames: f_locals, line 3; sys._getframe, line 3"),
    ("import inspect as i\ndef tv_loss(x):\n    return i.stack()\n", "looks at stack frames: inspect.stack, line 3"),
    ("from gc import get_objects\n", "uses the garbage collector: gc.get_objects, line 1"),
    ("import ctypes\n", "uses ctypes: ctypes, line 1"),
    ("import os\nos.kill(os.getppid(), 9)\n", "sends signals or starts processes: os.kill, line 2; os.getppid, line 2"),
    ("import importlib\nimportlib.reload(importlib.import_module('nst_teach.losses'))\n",
     "reloads or replaces modules: importlib.reload, line 2; importlib.import_module, line 2"),
    ("from torch.overrides import TorchFunctionMode\n", "switches off torch's watch on operators: torch.overrides.TorchFunctionMode"),
    ("import nst_teach.grading.compare\n", "imports the grader: nst_teach.grading.compare, line 1"),
    ("f = lambda: 0\ng = f.__globals__\n", "reaches into functions' internals: f.__globals__, line 2"),
    ("exec('x = 1')\n", "runs code it builds at run time: exec, line 1"),
])
def test_reaching_into_the_grader_is_flagged_with_the_line(source, what):
    assert any(flag.startswith(what) for flag in flags("ex07", source)), flags("ex07", source)


def test_ordinary_names_that_share_a_word_are_not_signs():
    source = ("import torch\nimport re\n\ndef tv_loss(x):\n    stack = torch.stack([x, x])\n    pattern = re.compile('a')\n"
              "    frame = {'f_back': 1}\n    return (stack[0][..., 1:, :] - stack[0][..., :-1, :]).pow(2).sum()\n")
    assert flags("ex07", source) == []


def test_a_helper_module_the_exercise_imports_is_read_too_and_unparsable_files_are_left_to_the_grade():
    files = {"ex07_tv_loss.py": b"from helpers import tv_loss\n", "helpers.py": b"import gc\ndef tv_loss(x): ...\n"}
    assert review.review(files, [EXERCISES["ex07"]])["ex07"] == ["uses the garbage collector (in helpers.py): gc, line 1"]
    assert review.review({"ex07_tv_loss.py": b"def tv_loss(x:\n"}, [EXERCISES["ex07"]])["ex07"] == []
    huge = {"ex07_tv_loss.py": b"x = 1\n" * (review.MAX_SOURCE // 6 + 1)}
    assert review.review(huge, [EXERCISES["ex07"]])["ex07"] == ["ex07_tv_loss.py is over 2 MB: too large to read"]
