"""Tests for `nst_teach.lesson`: what the first cell of every lesson reports."""

from pathlib import Path

import torch

import nst_teach
from nst_teach.lesson import lesson_setup


def test_lesson_setup_reports_the_imported_package_and_torch(capsys):
    facts = lesson_setup()
    assert Path(facts["nst_teach"]) == Path(nst_teach.__file__).resolve().parent
    assert facts["torch"] == torch.__version__
    assert facts["device"] == ("cuda" if torch.cuda.is_available() else "cpu")
    assert facts["threads"] == torch.get_num_threads()
    assert facts["precision"] in ("bf16", "fp32")
    printed = capsys.readouterr().out
    assert printed.count("\n") == 1 and facts["nst_teach"] in printed and facts["precision"] in printed


def test_lesson_setup_outside_ipython_leaves_matplotlib_alone():
    import matplotlib

    backend = matplotlib.get_backend()
    lesson_setup()
    assert matplotlib.get_backend() == backend
