"""The grader's reading of a submission's source, without running it: what an instructor should look at.

`review` parses each exercise file (and the student's helper modules it imports) with `ast` in the
grader's process and returns, per exercise, one line per thing it noticed:

- a function whose syntax tree is the reference's (names, docstrings and formatting aside): "the same as
  nst-teach's reference", the sign of a pasted answer. A short formula written independently can
  coincide, so it is a flag, not a verdict;
- code that reaches into the grader or around the referee: stack frames, the garbage collector,
  ctypes, signals and processes, reading nst-teach's source files, running code built at run time,
  reloading modules, switching off torch's function or dispatch modes, importing the grader.

Flags take no points: the instructor decides. They are shown to the student with their grade and go
to the instructor's CSV (column ``flags``) and to results.json. The student's process can change what
it computes but not this reading, which happens before it starts.
"""

import ast
import inspect
import textwrap

MAX_SOURCE = 2 * 2**20  # bytes: a longer exercise file is flagged, not parsed
# Syntax-tree nodes from which a function is long enough that writing it exactly as the reference does is
# no coincidence. The references' trees run from 16 nodes (x − lr·grad) to 259 (the by-hand loop); the
# course's hand-written solutions of the short ones (tv_loss: 76) match their reference node for node.
DISTINCTIVE = 100

# What a sign looks like: an imported module ("gc"), a qualified name as the code spells it after its
# imports are resolved ("sys._getframe", "torch.overrides…"), or a name odd enough on its own ("f_back").
SIGNS = (
    ("looks at stack frames", {"modules": set(), "dotted": {"sys._getframe", "sys._current_frames", "sys.settrace",
     "sys.setprofile", "inspect.currentframe", "inspect.stack", "inspect.getouterframes", "inspect.getinnerframes",
     "inspect.trace", "traceback.extract_stack", "traceback.walk_stack"},
     "bare": {"f_back", "f_locals", "f_globals", "tb_frame", "gi_frame", "cr_frame", "_getframe"}}),
    ("uses the garbage collector", {"modules": {"gc"}, "dotted": set(), "bare": {"get_referrers", "get_referents"}}),
    ("uses ctypes", {"modules": {"ctypes", "_ctypes", "cffi"}, "dotted": set(), "bare": {"pythonapi"}}),
    ("sends signals or starts processes", {"modules": {"signal", "subprocess", "multiprocessing", "pty", "_posixsubprocess"},
     "dotted": {"os.kill", "os.killpg", "os.getppid", "os.fork", "os.forkpty", "os.system", "os.popen", "os.setsid",
                "os.posix_spawn", "os.posix_spawnp", "os.pidfd_open", "os.execv", "os.execve", "os.execvp", "os.execl",
                "os.spawnv", "os.spawnl"}, "bare": set()}),
    ("ends the process", {"modules": set(), "dotted": {"os._exit", "os.abort", "sys.exit", "os.kill"}, "bare": set(),
     "builtins": {"exit", "quit"}}),
    ("looks up source files (nst-teach's or its own)", {"modules": {"linecache", "pkgutil", "importlib.resources"},
     "dotted": {"inspect.getsource", "inspect.getsourcelines", "inspect.getsourcefile", "inspect.getfile",
                "importlib.resources", "importlib.util.find_spec"},
     "bare": {"__file__", "__spec__", "__loader__", "__cached__"}}),
    ("reads or writes files", {"modules": {"io", "shutil", "glob", "tempfile"},
     "dotted": {"os.open", "os.remove", "os.unlink", "os.rename", "os.replace", "os.listdir", "os.scandir", "os.walk",
                "os.write", "os.read", "os.dup2"},
     "bare": {"read_text", "read_bytes", "write_text", "write_bytes"}, "builtins": {"open"}}),
    ("runs code it builds at run time", {"modules": {"marshal", "pickle", "dill", "code", "codeop"},
     "dotted": {"types.FunctionType", "types.CodeType", "importlib.util.spec_from_file_location",
                "importlib.util.module_from_spec"},
     "bare": set(), "builtins": {"exec", "eval", "compile", "__import__", "breakpoint"}}),
    ("reloads or replaces modules", {"modules": {"builtins"}, "dotted": {"importlib.reload", "sys.modules",
     "sys.meta_path", "sys.path_hooks", "importlib.import_module", "sys.addaudithook"}, "bare": {"__builtins__"}}),
    ("reaches into functions' internals", {"modules": set(), "dotted": set(),
     "bare": {"__closure__", "__globals__", "__code__", "__wrapped__", "_implementation", "__subclasses__",
              "__defaults__", "__kwdefaults__",
              "cell_contents", "__func__", "__self__", "__getattribute__", "__setattr__"}}),
    ("switches off torch's watch on operators", {"modules": {"torch.overrides", "torch.utils._python_dispatch"},
     "dotted": {"torch.overrides", "torch.utils._python_dispatch", "torch._C.DisableTorchFunction",
                "torch._C.DisableTorchFunctionSubclass", "torch._C._DisableTorchDispatch"},
     "bare": {"_pop_mode", "_disable_current_modes", "_pop_torch_function_stack", "_pop_mode_temporarily",
              "_unset_dispatch_mode", "_set_dispatch_mode", "DisableTorchFunction", "_DisableTorchDispatch",
              "TorchFunctionMode", "TorchDispatchMode"}}),
    ("opens network connections", {"modules": {"socket", "urllib", "http", "requests", "ssl", "ftplib", "smtplib"},
     "dotted": set(), "bare": set()}),
)


def review(files, exercises):
    """{exercise id: [flag, …]} for ``files`` ({name: bytes}, a submission) and the `spec.Exercise`s graded."""
    trees = {name: _parse(data) for name, data in files.items() if name.endswith(".py")}
    flags = {}
    for spec in exercises:
        tree = trees.get(spec.file)
        found = []
        if tree == "large":
            found.append(f"{spec.file} is over {MAX_SOURCE // 2**20} MB: too large to read")
        elif isinstance(tree, ast.Module):
            found += _same_as_reference(tree, spec)
            for name in [spec.file] + _helpers(tree, trees):
                if isinstance(trees[name], ast.Module):
                    found += [f"{what}{'' if name == spec.file else f' (in {name})'}: {where}"
                              for what, where in _signs(trees[name])]
        flags[spec.id] = found
    return flags


def _parse(data):
    if len(data) > MAX_SOURCE:
        return "large"
    try:
        return ast.parse(data.decode("utf-8", "replace"))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # the grade says it cannot be imported


def _helpers(tree, trees):
    """The student's own modules (not exercise files) that ``tree`` imports."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return sorted(f"{n}.py" for n in names if f"{n}.py" in trees and not n.startswith("ex"))


def _signs(tree):
    """[(what it does, 'sys._getframe, line 12; …')] for each kind of sign found in ``tree``."""
    aliases = _aliases(tree)
    seen = {}

    def saw(what, name, node):
        seen.setdefault(what, []).append(f"{name}, line {getattr(node, 'lineno', '?')}")

    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            base = node.module if isinstance(node, ast.ImportFrom) else None
            for alias in node.names:
                full = f"{base}.{alias.name}" if base else alias.name
                if full.startswith("nst_teach.grading"):
                    saw("imports the grader", full, node)
                for what, sign in SIGNS:
                    modules = [m for m in (base, full) if m]
                    if any(_under(m, sign["modules"]) or _under(m, sign["dotted"]) for m in modules):
                        saw(what, full, node)
            continue
        name = _dotted(node, aliases)
        for what, sign in SIGNS:
            if name and (_under(name, sign["dotted"]) or _under(name, sign["modules"]) and "." in name):
                saw(what, name, node)
            elif _last(node) in sign["bare"] or (isinstance(node, ast.Name) and node.id in sign.get("builtins", ())
                                                 and node.id not in aliases):
                saw(what, name or _last(node), node)
    return [(what, "; ".join(dict.fromkeys(places))[:200]) for what, places in seen.items()]


def _aliases(tree):
    """{name in the file: dotted name it stands for}: ``import numpy as np`` → np: numpy; ``from os import kill``."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                found[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return found


def _dotted(node, aliases):
    """'sys._getframe' for ``sys._getframe`` (a chain of attributes on a name), through the file's imports."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([aliases.get(node.id, node.id), *reversed(parts)])


def _last(node):
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None


def _under(name, prefixes):
    return any(name == p or name.startswith(p + ".") for p in prefixes)


# ----------------------------------------------------------------------------- the reference's syntax tree
def _same_as_reference(tree, spec):
    """'gram_matrix is the same as nst-teach's reference nst_teach.gram.gram_matrix …' for each such function."""
    references = {}
    for fn in spec.references:
        if str(getattr(fn, "__module__", "")).startswith("nst_teach"):
            try:
                node = ast.parse(textwrap.dedent(inspect.getsource(fn))).body[0]
            except (OSError, TypeError, SyntaxError, IndexError):
                continue
            if _distinctive(node, spec):
                references[f"{fn.__module__}.{fn.__qualname__}"] = shape_of(node)
    found = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in spec.functions:
            mine = shape_of(node)
            for name, shape in references.items():
                if mine == shape:
                    found.append(f"{node.name} is the same as nst-teach's reference {name} (its syntax tree, names and "
                                 "formatting aside; a short formula written independently can coincide)")
    return found


def _distinctive(reference, spec):
    """True if a student's function can only match ``reference`` by copying it: the reference takes other
    arguments than the template's function of that name, or is long (``DISTINCTIVE`` nodes or more).
    A short formula such as ``x - lr * grad`` is written the same way by everyone."""
    if sum(1 for _ in ast.walk(_without_docstring(ast.parse(ast.unparse(reference)).body[0]))) >= DISTINCTIVE:
        return True
    from .folder import templates_folder

    try:
        template = ast.parse((templates_folder() / spec.file).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return False
    asked = {n.name: [a.arg for a in n.args.args] for n in template.body if isinstance(n, ast.FunctionDef)}
    given = [a.arg for a in reference.args.args]
    return reference.name in asked and len(asked[reference.name]) != len(given)


def shape_of(function):
    """A function's syntax tree with its docstring dropped and every name (its own, its arguments, its
    variables, the modules it uses) replaced by its order of first appearance: formatting and naming
    make no difference, operations, attributes and constants do."""
    function = _Renamer().visit(_without_docstring(ast.parse(ast.unparse(function)).body[0]))
    return ast.dump(function, annotate_fields=False, include_attributes=False)


def _without_docstring(function):
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
            and isinstance(body[0].value.value, str):
        function.body = body[1:] or [ast.Pass()]
    function.returns = None
    function.decorator_list = []
    return function


class _Renamer(ast.NodeTransformer):
    def __init__(self):
        self.names = {}

    def _name(self, name):
        return self.names.setdefault(name, f"n{len(self.names)}")

    def visit_FunctionDef(self, node):
        node.name = self._name(node.name)
        self.generic_visit(node)
        return node

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_arg(self, node):
        node.arg, node.annotation = self._name(node.arg), None
        return node

    def visit_Name(self, node):
        node.id = self._name(node.id)
        return node
