"""Every lesson is a pair in step, and its notebook runs headless, top to bottom, at toy size.

A lesson is ``lessons/0N_<name>.py`` (jupytext percent format, the text we review) paired with
``lessons/0N_<name>.ipynb`` (what JupyterLab opens) by ``lessons/jupytext.toml``. The tests check
that the two hold the same cells, that the committed notebook has no outputs, and that it runs.

The cell tagged "parameters" stays as written (class size); a cell inserted right after it sets
small values, as papermill does, so the notebook on disk is never modified. Each notebook runs in a
temporary folder with the sample cache in tmp, on the kernel of the interpreter running pytest.
Lesson 3 also runs with a student's folder (``$NST_TEACH_EXERCISES``): the hand-written solutions of
tests/solutions/ (its figures must come from them), and one named mistake from tests/wrong/ (the
hint must show and the lesson must still run to the end on the reference).
"""

import time
from itertools import zip_longest
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
jupytext = pytest.importorskip("jupytext")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ROOT / "lessons"
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
    assert sorted(LESSONS.glob("0*.py")) == [p.with_suffix(".py") for p in NOTEBOOKS], "each lesson is a .py + .ipynb pair"


def cells(nb):
    """What a lesson's two files must agree on: each cell's type, source and tags."""
    return [(cell.cell_type, cell.source, cell.metadata.get("tags", [])) for cell in nb.cells]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_and_its_text_are_in_step(path):
    """The .ipynb holds exactly the cells of its .py (jupytext reads both), so neither edit is lost."""
    text, notebook = jupytext.read(path.with_suffix(".py")), jupytext.read(path)
    assert text.metadata["kernelspec"] == notebook.metadata["kernelspec"]
    for i, (from_text, from_notebook) in enumerate(zip_longest(cells(text), cells(notebook))):
        assert from_text == from_notebook, (
            f"{path.name} and {path.stem}.py differ at cell {i}: run `jupytext --sync lessons/{path.stem}.py` "
            f"(it takes the cells from whichever file was saved last)")


def test_inserting_a_cell_keeps_the_other_cells_ids():
    """`jupytext --sync` takes the cells from the .py and the ids from the .ipynb, matching by content."""
    from jupytext.combine import combine_inputs_with_outputs

    path = NOTEBOOKS[0]
    text = jupytext.read(path.with_suffix(".py"))
    text.cells.insert(3, nbformat.v4.new_markdown_cell("A paragraph an instructor added."))
    text.cells[5].source += "\n# and a line added to a cell"
    synced = combine_inputs_with_outputs(text, nbformat.read(path, as_version=4))
    ids = [cell.id for cell in nbformat.read(path, as_version=4).cells]
    assert [cell.id for cell in synced.cells if cell is not synced.cells[3]] == ids
    assert synced.cells[3].id not in ids


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: clear outputs before committing"


def execute(path, tmp_path, monkeypatch):
    """Run the notebook at toy size in tmp_path; returns (the executed notebook, seconds)."""
    monkeypatch.setenv("NST_TEACH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    # One thread: at toy size threads gain little, and on a busy CI machine they fight (5× slower).
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    nb = with_ci_parameters(nbformat.read(path, as_version=4))
    nb.cells.append(nbformat.v4.new_code_cell("import nst_teach\nprint(nst_teach.__file__)"))
    # "python3" is the venv's own kernelspec (sys.prefix/share/jupyter/kernels); jupyter_client runs
    # its "python" as sys.executable, so the kernel is this interpreter with nst_teach installed.
    client = nbclient.NotebookClient(nb, timeout=TIMEOUT_PER_CELL, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError, with the cell and traceback, on the first error
    return nb, time.perf_counter() - start


def printed(nb):
    return "".join(out.get("text", "") for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_at_toy_size(path, tmp_path, monkeypatch):
    monkeypatch.delenv("NST_TEACH_EXERCISES", raising=False)  # the lesson finds (or makes) its own folder
    nb, seconds = execute(path, tmp_path, monkeypatch)
    imported = Path(nb.cells[-1].outputs[0].text.strip())
    assert imported.is_relative_to(ROOT), f"the kernel imported {imported}, not this tree's nst_teach: set PYTHONPATH"
    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
    images = [out for out in outputs if "image/png" in out.get("data", {})]
    assert images, f"{path.name} produced no figure"
    assert seconds < 120, f"{path.name} took {seconds:.0f} s at toy size"


SOLUTIONS = ROOT / "tests" / "solutions"
WRONG = ROOT / "tests" / "wrong"
LESSON_3 = LESSONS / "03_gram_covariance_correlation.ipynb"


def student_folder(folder, wrong=None):
    """The hand-written solutions in ``folder``; wrong=(exercise file, module, mistake): that file then
    uses the named wrong implementation of tests/wrong/<module>.py instead."""
    folder.mkdir()
    for solution in SOLUTIONS.glob("ex*.py"):
        (folder / solution.name).write_text(solution.read_text())
    if wrong:
        file, module, mistake = wrong
        (folder / file).write_text((SOLUTIONS / file).read_text() + f"\nimport sys\nsys.path.insert(0, {str(WRONG)!r})\n"
                                   f"from {module} import WRONG as _WRONG\nglobals().update(_WRONG[{mistake!r}])\n")
    return folder


def test_lesson_draws_with_the_students_own_functions(tmp_path, monkeypatch):
    """Correct solutions in the student's folder: the lesson uses them (and says so), to the end."""
    monkeypatch.setenv("NST_TEACH_EXERCISES", str(student_folder(tmp_path / "student")))
    nb, _ = execute(LESSON_3, tmp_path, monkeypatch)
    text = printed(nb)
    assert "✓ using your gram_matrix (ex03 passes)" in text and "✓ using your correlation_matrix" in text
    assert "showing the reference" not in text and "✗" not in text
    assert "G = [[761.0, 331.0], [331.0, 145.0]]" in text  # computed by the student's gram_matrix


def test_lesson_with_a_wrong_function_shows_the_hint_and_runs_to_the_end(tmp_path, monkeypatch):
    """A named mistake (G divided by M): check() shows the hint, the figures fall back to the reference."""
    folder = student_folder(tmp_path / "student", wrong=("ex03_gram.py", "wrong_ex03", "gram_div_M"))
    monkeypatch.setenv("NST_TEACH_EXERCISES", str(folder))
    nb, _ = execute(LESSON_3, tmp_path, monkeypatch)
    text = printed(nb)
    html = "".join(out.get("data", {}).get("text/html", "") for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs)
    assert "normalised by M" in html  # check("ex03")'s verdict
    assert "✗ your gram_matrix does not pass ex03 yet" in text and "showing the reference" in text
    assert "G = [[761.0, 331.0], [331.0, 145.0]]" in text  # the lesson goes on with the right numbers
    assert nb.cells[-1].outputs, "the notebook did not run to the end"
