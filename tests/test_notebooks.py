"""Every lesson notebook runs headless, top to bottom, at toy size: no error, at least one image.

The cell tagged "parameters" stays as written (class size); a cell inserted right after it sets
small values, as papermill does, so the notebook on disk is never modified. Each notebook runs in a
temporary folder with the sample cache in tmp, on the kernel of the interpreter running pytest.
"""

import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

LESSONS = Path(__file__).resolve().parent.parent / "lessons"
NOTEBOOKS = sorted(LESSONS.glob("0*.ipynb"))
CI_PARAMETERS = "# injected by tests/test_notebooks.py: toy size for CI\nSIZE = 64\nSTEPS = 3\nTOY_STEPS = 10"
TIMEOUT_PER_CELL = 120  # seconds; all eight notebooks together take about a minute at toy size

pytestmark = pytest.mark.notebooks


def with_ci_parameters(nb):
    """A copy of ``nb`` with the toy-size cell inserted after the "parameters" cell (exactly one)."""
    tagged = [i for i, cell in enumerate(nb.cells) if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, "each lesson needs exactly one cell tagged 'parameters'"
    nb = nbformat.from_dict(nb)
    nb.cells.insert(tagged[0] + 1, nbformat.v4.new_code_cell(CI_PARAMETERS))
    return nb


def test_every_lesson_is_there():
    assert [p.name[:2] for p in NOTEBOOKS] == [f"{i:02d}" for i in range(1, 9)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: clear outputs before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_at_toy_size(path, tmp_path, monkeypatch):
    monkeypatch.setenv("NST_TEACH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    # One thread: at toy size threads gain little, and on a busy CI machine they fight (5× slower).
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    nb = with_ci_parameters(nbformat.read(path, as_version=4))
    # "python3" is the venv's own kernelspec (sys.prefix/share/jupyter/kernels); jupyter_client runs
    # its "python" as sys.executable, so the kernel is this interpreter with nst_teach installed.
    client = nbclient.NotebookClient(nb, timeout=TIMEOUT_PER_CELL, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError, with the cell and traceback, on the first error
    seconds = time.perf_counter() - start

    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    images = [out for out in outputs if "image/png" in out.get("data", {})]
    assert images, f"{path.name} produced no figure"
    assert seconds < 120, f"{path.name} took {seconds:.0f} s at toy size"


def test_notebooks_match_their_source(tmp_path):
    """The committed .ipynb files are exactly what lessons/make_lessons.py writes (no hand edits lost)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_lessons", LESSONS / "make_lessons.py")
    make_lessons = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_lessons)
    for built in make_lessons.build(tmp_path):
        assert built.read_text() == (LESSONS / built.name).read_text(), f"{built.name}: run python lessons/make_lessons.py"
