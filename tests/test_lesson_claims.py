"""The lessons' prose agrees with the code: a default the text names is the library's default.

Two checks that can fail:
- `CLAIMS`: sentences of the lessons that state a default or a behaviour, each with the fact about
  `TransferConfig` (or the library) that makes it true. The sentence must still be in the lesson (so
  an edit that drops or rewords it updates this table) and the fact must hold (so a change of a
  default that makes it false fails here, naming the lesson).
- `test_a_default_named_in_the_prose_is_the_default`: every Markdown sentence of a lesson that says
  "default" and names a setting as `name="value"` / `name=value` must give `TransferConfig`'s value.
And terms are defined before they are used: L-BFGS-B, cosine similarity, the Laplacian pyramid.
"""

import ast
import re
from pathlib import Path

import pytest

from nst_teach import TransferConfig
from nst_teach.config import CONTENT_LAYERS, STYLE_LAYERS

LESSONS = sorted((Path(__file__).resolve().parent.parent / "lessons").glob("0*.py"))
DEFAULT = TransferConfig()


def markdown(path):
    """The Markdown cells of a percent-format lesson, as text (the leading '# ' removed)."""
    cells, current = [], None
    for line in path.read_text().splitlines():
        if line.startswith("# %%"):
            current = [] if "[markdown]" in line else None
            if current is not None:
                cells.append(current)
        elif current is not None:
            current.append(line[2:] if line.startswith("# ") else line.lstrip("#"))
    return ["\n".join(c) for c in cells]


def prose(number):
    """The lesson's whole text, Markdown and comments alike, on one line (a claim may wrap)."""
    path = next(p for p in LESSONS if p.name.startswith(f"0{number}_"))
    lines = [line[2:] if line.startswith("# ") else line for line in path.read_text().splitlines()]
    return " ".join(" ".join(lines).split())


CLAIMS = [
    (6, "the default printed here", lambda: DEFAULT.converges and DEFAULT.max_steps < 1000),  # far fewer than 1000
    (6, "By default L-BFGS moves a Laplacian pyramid's coefficients",
     lambda: DEFAULT.optimizer == "lbfgs" and DEFAULT.parametrisation == "pyramid"),
    (6, "from the photo *recoloured* to the style's palette (`init=\"recoloured\"`",
     lambda: DEFAULT.init == "recoloured"),
    (6, "by default (`optimizer=\"lbfgs\"`", lambda: DEFAULT.optimizer == "lbfgs"),
    (6, "(`line_search=\"armijo\"`", lambda: DEFAULT.line_search == "armijo"),
    (7, "L-BFGS starts from the photo *recoloured* to the style's colours (`init`) and moves the coefficients of a "
        "Laplacian pyramid", lambda: (DEFAULT.optimizer, DEFAULT.init, DEFAULT.parametrisation) == ("lbfgs", "recoloured", "pyramid")),
    (7, "The start is not the photo but the recoloured photo", lambda: DEFAULT.init == "recoloured"),
    (7, "with the content from `relu4_2` and the style from `relu1_1 … relu5_1` ($w_l = 1/5$)",
     lambda: CONTENT_LAYERS == ("relu4_2",) and len(STYLE_LAYERS) == 5 and STYLE_LAYERS[0] == "relu1_1"
     and STYLE_LAYERS[-1] == "relu5_1" and DEFAULT.style_layer_weights is None),
    (7, "Starting from noise instead of the default start (the recoloured photo)", lambda: DEFAULT.init == "recoloured"),
    (7, "the library's default weighting (printed) is per position", lambda: DEFAULT.weighting == "per_position"),
    (8, "STEPS iterations at the coarsest scale, half as many at each finer one",
     lambda: TransferConfig(steps=50).steps_per_scale(3) == (50, 25, 12)),
    (5, "so with $w_l = 1/5$ `relu4_1` dominates", lambda: len(STYLE_LAYERS) == 5 and "relu4_1" in STYLE_LAYERS),
]


@pytest.mark.parametrize("lesson, sentence, holds", CLAIMS, ids=[f"lesson{n}:{s[:40]}" for n, s, _ in CLAIMS])
def test_a_claim_of_the_prose_is_in_the_lesson_and_true(lesson, sentence, holds):
    assert sentence in prose(lesson), f"lesson {lesson} no longer says {sentence!r}: update CLAIMS with its new text"
    assert holds(), f"lesson {lesson} says {sentence!r}, which the code contradicts"


SETTING = re.compile(r"`(\w+)=(\"[^\"]*\"|'[^']*'|[\w.()\-, ]+?)`")


def test_a_default_named_in_the_prose_is_the_default():
    checked, wrong = 0, []
    for path in LESSONS:
        for cell in markdown(path):
            for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z*(])", " ".join(cell.split())):
                if "default" not in sentence.lower():
                    continue
                for name, value in SETTING.findall(sentence):
                    if not hasattr(DEFAULT, name):
                        continue
                    try:
                        said = ast.literal_eval(value)
                    except (ValueError, SyntaxError):
                        continue
                    checked += 1
                    if said != getattr(DEFAULT, name):
                        wrong.append(f"{path.name}: {sentence!r} says {name}={said!r}, TransferConfig has "
                                     f"{getattr(DEFAULT, name)!r}")
    assert not wrong, "\n".join(wrong)
    assert checked >= 3  # the scan reads the lessons (it finds init, optimizer, line_search …)


@pytest.mark.parametrize("term, definition", [
    ("L-BFGS-B", "bound"),
    ("cosine", "cosine similarity"),
    ("Laplacian pyramid", "Burt & Adelson"),
])
def test_a_term_is_defined_where_the_lessons_first_use_it(term, definition):
    """The first Markdown cell (in lesson order) that uses the term also defines it."""
    first = next(cell for path in LESSONS for cell in markdown(path) if term in cell)
    assert definition in first, f"{term!r} is first used without its definition: {first[:200]!r}"


@pytest.mark.parametrize("lesson, wrong", [
    (7, "let L-BFGS move the pixels"), (7, "it is 0 everywhere: we start from the photo"), (7, "15 runs"),
    (8, "per size in coarse to fine"), (8, "save about a third"), (6, "1000 Adam-style iterations"),
    (6, "the update table above is the specification)"), (5, "see the table at the end"),
])
def test_statements_the_code_contradicts_are_gone(lesson, wrong):
    assert wrong not in prose(lesson)


def test_the_readme_times_each_lesson_at_the_size_its_parameters_cell_sets():
    """README's time-per-lesson table names each lesson's SIZE (and STEPS): a new class size needs a new timing."""
    readme = (LESSONS[0].parent.parent / "README.md").read_text()
    table = readme.split("<!-- lesson-times -->")[1].split("<!-- /lesson-times -->")[0]
    rows = [line.split("|")[1:-1] for line in table.strip().splitlines()[2:]]
    assert [r[0].split()[0] for r in rows] == [str(i) for i in range(1, 9)]
    for path, row in zip(LESSONS, rows):
        text = path.read_text()
        said = [int(v) for v in row[1].split(",")]
        wanted = [int(re.search(rf"^{name} = (\d+)", text, re.M).group(1)) for name in ("SIZE", "STEPS")[: len(said)]]
        assert said == wanted, f"README times {path.name} at {said}, its parameters cell says {wanted}"
        if re.search(r"^STEPS = ", text, re.M):
            assert len(said) == 2, f"{path.name} has STEPS: give it in README's table"
