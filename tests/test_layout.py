"""The package reads like the syllabus: no import circles, and no module too long to read in one sitting."""

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "nst_teach"
MAX_LINES = 450  # "short enough to read in one sitting" (STYLE.md): about 400 lines, and some slack


def module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path):
    """The nst_teach modules that ``path`` imports, anywhere in the file (function-level imports too)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if base.startswith("nst_teach"):
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in node.names)  # `from . import samples`
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("nst_teach"))
    return found


def test_no_import_circles():
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {name: {m for m in imports_of(path) if m in modules and m != name} for name, path in modules.items()}
    # A package's __init__ importing its own submodules is not a circle; a submodule importing its
    # package's __init__ back (e.g. `from nst_teach import styles` inside styles/) would be.
    for name in graph:
        graph[name] -= {m for m in graph[name] if m.startswith(name + ".")}

    def cycle_from(start):
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    return path + [start]
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, path + [nxt]))
        return None

    cycles = [c for c in map(cycle_from, sorted(graph)) if c]
    assert not cycles, "import circle: " + " → ".join(cycles[0])


def test_the_checker_sees_a_circle(tmp_path, monkeypatch):
    """The circle test above can fail: two modules importing each other are found."""
    fake = tmp_path / "nst_teach"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "a.py").write_text("from .b import f\n")
    (fake / "b.py").write_text("def f():\n    from . import a\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", fake)
    try:
        test_no_import_circles()
    except AssertionError as err:
        assert "nst_teach.a" in str(err) and "nst_teach.b" in str(err)
    else:
        raise AssertionError("the circle a → b → a was not found")


def test_no_module_is_too_long_to_read():
    long = {module_name(p): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"split these modules (one concept each): {long}"


LEARNERS_MODULES = ("transfer", "losses", "vgg", "features", "gram", "config", "optim", "loops", "preprocess", "images")


def test_the_learners_modules_touch_speed_only_through_its_front():
    """nst_teach.speed is one seam: the modules of lessons 1–7 may import `nst_teach.speed` (its `Speed`,
    `choose`, `check`), never its parts (precision, calibration, winograd, the process settings)."""
    for name in LEARNERS_MODULES:
        parts = {m for m in imports_of(PACKAGE / f"{name}.py") if m.startswith("nst_teach.speed.")}
        parts -= {f"nst_teach.speed.{n}" for n in ("Speed", "PLAIN", "choose", "check")}  # names from the front
        assert not parts, f"nst_teach.{name} imports {parts}: use the front, nst_teach.speed"


# Words that tell the history of the project's own making ("the sixth session", "issue 13's path"):
# `git log` keeps that; the files say what is and why, with the number.
HISTORY = re.compile(r"\b(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d+(st|nd|rd|th))[- ]session"
                     r"|\bsession \d+\b|\bissue #?\d+|\bissue's\b", re.IGNORECASE)
TEXT_FILES = ("*.py", "*.md", "*.txt", "*.toml", "Makefile", "*.sh")


def project_files():
    root = PACKAGE.parent
    skip = {".venv", ".git", "out", "build", ".pytest_cache", "node_modules"}
    for pattern in TEXT_FILES:
        for path in root.rglob(pattern):
            if not skip & set(path.relative_to(root).parts) and path.name != "test_layout.py":
                yield path


def test_no_file_tells_the_history_of_its_making():
    hits = [f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()[:100]}"
            for path in project_files()
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1) if HISTORY.search(line)]
    assert not hits, "history belongs in git log:\n" + "\n".join(hits)


def test_the_history_pattern_finds_what_it_should():
    assert HISTORY.search("measured in the sixth session") and HISTORY.search("issue 13's path")
    assert not HISTORY.search("one VGG-19 for the whole pytest session") and not HISTORY.search("A fifth run is the default")
