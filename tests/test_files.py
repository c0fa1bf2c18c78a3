"""Tests for `nst_teach.files`: a write either replaces the file whole or leaves it as it was, with the
permissions a normal write gives, and an unwritable path is refused before any work."""

import os
import stat

import pytest

from nst_teach.errors import NSTError
from nst_teach.files import atomic_write, check_writable


def test_a_write_replaces_the_file_whole_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "result.txt"
    path.write_text("old")
    atomic_write(path, lambda tmp: open(tmp, "w").write("new"))
    assert path.read_text() == "new" and os.listdir(tmp_path) == ["result.txt"]


def test_a_failing_write_keeps_the_old_file_and_cleans_up(tmp_path):
    path = tmp_path / "result.txt"
    path.write_text("old")

    def half_then_fail(tmp):
        open(tmp, "w").write("ne")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, half_then_fail)
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["result.txt"]


def test_a_new_file_gets_the_umasks_permissions_and_a_replaced_one_keeps_its_own(tmp_path):
    umask = os.umask(0o022)
    try:
        new = atomic_write(tmp_path / "new.txt", lambda tmp: open(tmp, "w").write("x"))
        assert stat.S_IMODE(new.stat().st_mode) == 0o644  # not mkstemp's 0600
        kept = tmp_path / "kept.txt"
        kept.write_text("x")
        kept.chmod(0o600)
        atomic_write(kept, lambda tmp: open(tmp, "w").write("y"))
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    finally:
        os.umask(umask)


@pytest.mark.parametrize("where, words", [("missing/out.png", "does not exist"), (".", "is a directory")])
def test_an_unwritable_path_is_refused_with_advice(tmp_path, where, words):
    with pytest.raises(NSTError, match=words):
        check_writable(tmp_path / where)
    with pytest.raises(NSTError, match=words):
        atomic_write(tmp_path / where, lambda tmp: pytest.fail("must not write"))
