"""The lessons in real JupyterLab, in a real browser (Debian's chromium driven by playwright).

JupyterLab is started exactly as `make lab` starts it (tools/lab.py: same command, PATH and config),
on a free port with a token, on COPIES of the lessons and exercises in tmp (JupyterLab autosaves
outputs into the notebooks it runs; the repo stays as it is). The copies get the toy-size cell of
tests/test_notebooks.py after their "parameters" cell. In the browser:

- a terminal (File > New > Terminal) finds `nst-teach` from the venv, in a non-login shell;
- lesson 3 runs ("Run All") without a traceback and draws figures; its kernel runs in lessons/ with
  the venv's `nst-teach` on PATH; `check("ex03")` names the mistake of a Gram matrix divided by M,
  then passes once the file is right;
- lesson 2 runs, and moving the feature-map viewer's slider changes its picture;
- lesson 7 (style transfer, the longest optimisations) runs, and dragging its live preview's β slider
  re-runs the preview and redraws its picture.

Screenshots go to <tmp>/screenshots (the path is printed; pytest shows it when a test fails).
NST_SAVE_SCREENSHOT=figures/ also writes the README's figures/jupyterlab_lesson.png there.

Needs chromium (`apt-get install chromium`; NST_CHROMIUM=path for another one) and the PyPI package
playwright (its own browser download is not used). Without them the tests are skipped, except in CI
(CI set, as .ci/run does), where they fail: a browser test that silently skips tests nothing.
"""

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

nbformat = pytest.importorskip("nbformat")

from test_notebooks import with_ci_parameters  # noqa: E402 (tests/ is on sys.path)

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
IN_CI = bool(os.environ.get("CI"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOT_AT_CLASS_SIZE = bool(os.environ.get("NST_SAVE_SCREENSHOT"))  # retaking the README's picture: lesson 2 at class size
LESSON_TIMEOUT = 900 if SCREENSHOT_AT_CLASS_SIZE else 180  # seconds for "Run All" of one lesson (toy size: 10–40 s)

# The exercise folder, relative to JupyterLab's root: the repository's exercises/, which check() in
# a kernel running in lessons/ finds as "../exercises" (nst_teach.grading.folder).
EXERCISES = Path("exercises")
WHERE_CELL = 'import os, shutil\n\nprint(os.getcwd(), shutil.which("nst-teach"), os.environ.get("OMP_WAIT_POLICY"), os.environ.get("MALLOC_MMAP_MAX_"), sep="\\n")'
CHECK_CELL = 'from nst_teach.grading import check\n\ncheck("ex03")'

GRAM_DIVIDED_BY_M = '''import numpy as np


def gram_matrix(F):
    return F @ F.T / F.shape[1]  # the TensorFlow tutorial's normalisation


def covariance_matrix(F):
    Fc = F - F.mean(axis=1, keepdims=True)  # (N, M)
    return Fc @ Fc.T / (F.shape[1] - 1)


def correlation_matrix(F):
    C = covariance_matrix(F)
    d = np.sqrt(np.diag(C))  # (N,)
    with np.errstate(divide="ignore", invalid="ignore"):
        return C / (d[:, None] * d[None, :])
'''
GRAM_RIGHT = GRAM_DIVIDED_BY_M.replace("F @ F.T / F.shape[1]  # the TensorFlow tutorial's normalisation",
                                       "F @ F.T  # (N, N)")


def unavailable(reason):
    """No browser here: skip locally, fail in CI."""
    if IN_CI:
        pytest.fail(f"{reason} (CI is set: the browser test must run)", pytrace=False)
    pytest.skip(reason)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ----------------------------------------------------------------------------- JupyterLab and chromium


def copy_course(root):
    """lessons/*.ipynb at toy size, lesson 3 ending with a check("ex03") cell, and the exercise folder."""
    (root / "lessons").mkdir(parents=True)
    for path in sorted((REPO / "lessons").glob("0*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if not (SCREENSHOT_AT_CLASS_SIZE and path.name.startswith("02_")):  # the README's picture: as students see it
            nb = with_ci_parameters(nb)
        if path.name.startswith("03_"):
            nb.cells += [nbformat.v4.new_code_cell(WHERE_CELL), nbformat.v4.new_code_cell(CHECK_CELL)]
        nbformat.write(nb, root / "lessons" / path.name)
    shutil.copytree(REPO / "exercises", root / EXERCISES)  # the templates, as a clone has them


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    root, shots = tmp / "repo", tmp / "screenshots"
    shots.mkdir()
    print(f"JupyterLab root: {root}\nscreenshots: {shots}\nserver log: {tmp / 'lab.log'}")
    copy_course(root)
    env = dict(os.environ,
               NST_TEACH_CACHE=str(tmp / "cache"),
               OMP_NUM_THREADS="1",  # as in test_notebooks: toy sizes gain nothing from threads
               SHELL="/bin/bash",
               # Isolation only: JupyterLab's settings, workspaces and runtime files in tmp, not ~.
               JUPYTERLAB_SETTINGS_DIR=str(tmp / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
               JUPYTER_RUNTIME_DIR=str(tmp / "runtime"))
    # A fresh user's settings, minus the toast asking about news (it would cover the screenshots).
    news = tmp / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text('{"fetchNews": "false"}')
    port, token = free_port(), secrets.token_hex(16)
    command = [sys.executable, str(REPO / "tools" / "lab.py"), str(root), f"--port={port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", "--no-browser"]
    with open(tmp / "lab.log", "wb") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start:\n{(tmp / 'lab.log').read_text()[-3000:]}", pytrace=False)
                time.sleep(0.5)
        yield SimpleNamespace(url=url, token=token, root=root, shots=shots, tmp=tmp)
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the server and the kernels and shells it started
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -e '.[test]')")
    chromium = os.environ.get("NST_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        unavailable("chromium not found (apt-get install chromium, or set NST_CHROMIUM)")
    with sync_playwright() as playwright:
        try:  # playwright gives each launch a fresh temporary profile (user-data-dir)
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, timeout=60_000)
        except Error as err:
            unavailable(f"chromium ({chromium}) did not start: {err}")
        yield browser
        browser.close()


@pytest.fixture
def page(browser, lab, request):
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.set_default_timeout(30_000)
    yield page
    page.screenshot(path=lab.shots / f"{request.node.name}.png")
    page.close()
    shut_down_kernels(lab)  # one lesson's kernel (VGG-19 in memory) at a time


def api(lab, path, method="GET"):
    request = urllib.request.Request(f"{lab.url}{path}", method=method, headers={"Authorization": f"token {lab.token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read()


def shut_down_kernels(lab):
    import json

    for kernel in json.loads(api(lab, "/api/kernels")):
        api(lab, f"/api/kernels/{kernel['id']}", method="DELETE")


# ----------------------------------------------------------------------------- driving JupyterLab

ACTIVE = ".jp-NotebookPanel:not(.lm-mod-hidden)"

# True when every code cell of the visible notebook has run ("[3]:"), "traceback" as soon as an
# output holds one (Run All stops there), else false.
RUN_STATE = """() => {
    const panel = document.querySelector('%s');
    if (!panel) return false;
    for (const out of panel.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]'))
        if (out.textContent.includes('Traceback')) return 'traceback';
    const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(p => p.textContent);
    return prompts.length > 0 && prompts.every(t => /\\[\\d+\\]/.test(t));
}""" % ACTIVE


def open_lab(page, lab, path=""):
    page.goto(f"{lab.url}/lab{'/tree/' + path if path else ''}?reset&token={lab.token}")
    page.wait_for_selector("#jp-main-dock-panel", timeout=60_000)


def menu(page, *path):
    """Click through the menu bar by labels, e.g. menu(page, "File", "New", "Terminal")."""
    def label(text):
        return page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(text)}$"))

    page.locator(".lm-MenuBar-item", has_text=re.compile(f"^{path[0]}$")).click()
    for submenu in path[1:-1]:
        page.locator(".lm-Menu-item[data-type='submenu']", has=label(submenu)).hover()
    page.locator(".lm-Menu-item:not(.lm-mod-disabled)", has=label(path[-1])).click()


def run_lesson(page, lab, name):
    """Open lessons/<name>, wait for its kernel, Run All; return the notebook panel when every cell has run."""
    open_lab(page, lab, f"lessons/{name}")
    panel = page.locator(ACTIVE)
    # The status bar goes "No Kernel | Initializing", "… | Connecting", then "Python 3 (ipykernel) | Idle";
    # a Run All before that may be lost (the notebook's own indicator already says idle at first).
    page.locator("#jp-main-statusbar", has_text=re.compile(r"\(ipykernel\) \| Idle")).wait_for(timeout=60_000)
    menu(page, "Run", "Run All Cells")
    start = time.monotonic()
    state = page.wait_for_function(RUN_STATE, timeout=LESSON_TIMEOUT * 1000, polling=500).json_value()
    figures = panel.locator(".jp-RenderedImage img").count()
    print(f"{name}: Run All took {time.monotonic() - start:.0f} s, {figures} figures")
    page.screenshot(path=lab.shots / f"{Path(name).stem}.png")  # the notebook's end (it scrolls inside)
    assert state is True, f"{name}: a cell raised:\n{tracebacks(panel)}"
    assert not tracebacks(panel)
    assert figures > 0, f"{name}: no figure was drawn"
    return panel


def tracebacks(panel):
    # textContent, not innerText: cells out of view are not rendered (content-visibility) and have no innerText
    outs = panel.locator("[data-mime-type='application/vnd.jupyter.stderr']").all_text_contents()
    return "\n".join(t for t in outs if "Traceback" in t)


# ----------------------------------------------------------------------------- the tests


def test_terminal_has_nst_teach_on_path(page, lab):
    out = lab.tmp / "terminal.txt"
    open_lab(page, lab)
    menu(page, "File", "New", "Terminal")
    terminal = page.locator(".jp-Terminal .xterm")
    terminal.wait_for()
    terminal.click()
    time.sleep(1)  # the shell's prompt
    page.keyboard.type(f"{{ pwd; shopt login_shell; command -v nst-teach; nst-teach --help; }} 2>&1 | tee {out}\n")
    deadline = time.monotonic() + 30
    while not (out.exists() and "usage: nst-teach" in out.read_text()) and time.monotonic() < deadline:
        time.sleep(0.5)
    page.screenshot(path=lab.shots / "terminal.png")
    assert out.exists(), "the command typed into the terminal did not run"
    pwd, login, where, *help_text = out.read_text().splitlines()
    assert Path(pwd) == lab.root.resolve()  # a terminal opens at JupyterLab's root: exercises/ is in reach
    assert login.split() == ["login_shell", "off"]  # a login shell would read /etc/profile and reset PATH
    assert Path(where) == Path(sys.executable).parent / "nst-teach"  # the venv's, first on PATH
    assert any(line.startswith("usage: nst-teach") for line in help_text)
    # and on the screen: xterm draws into a canvas or the DOM depending on WebGL; the accessibility
    # tree is not always there, so the file above is the assertion and the screenshot the record.


def test_gram_lesson_runs_and_check_names_the_mistake(page, lab):
    exercise = lab.root / EXERCISES / "ex03_gram.py"
    exercise.write_text(GRAM_DIVIDED_BY_M)
    panel = run_lesson(page, lab, "03_gram_covariance_correlation.ipynb")
    where = panel.locator(".jp-CodeCell").nth(-2).locator(".jp-OutputArea-output").first.text_content()
    assert where.split() == [str(lab.root / "lessons"), str(Path(sys.executable).parent / "nst-teach"),  # kernel: cwd, PATH,
                             os.environ.get("OMP_WAIT_POLICY", "PASSIVE"),  # OpenMP's waiting as the command's (tools/lab.py)
                             os.environ.get("MALLOC_MMAP_MAX_", "0")]  # and glibc's heap-only allocations
    verdict = panel.locator(".jp-CodeCell").last.locator(".jp-OutputArea-output").first
    verdict.scroll_into_view_if_needed()
    assert re.search(r"ex03: \d+/\d+ — fail", verdict.text_content())
    assert "normalised by M" in verdict.text_content()
    outputs = panel.locator(".jp-CodeCell").last.locator(".jp-OutputArea-output")
    assert "Record(" not in " ".join(outputs.all_text_contents())  # the verdict, not the record's repr
    page.screenshot(path=lab.shots / "check_fail.png")

    exercise.write_text(GRAM_RIGHT)  # no kernel restart: check() grades in a fresh process
    panel.locator(".jp-CodeCell").last.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+Enter")
    verdict = panel.locator(".jp-CodeCell").last.locator(".jp-OutputArea-output").first
    verdict.filter(has_text=re.compile(r"ex03: (\d+)/\1 — pass")).wait_for(timeout=120_000)
    page.screenshot(path=lab.shots / "check_pass.png")


def test_feature_map_viewer_redraws_when_the_slider_moves(page, lab):
    panel = run_lesson(page, lab, "02_vgg19_and_feature_maps.ipynb")
    viewer = panel.locator(".jp-OutputArea-output", has=page.locator("img.widget-image"))
    picture, handle = viewer.locator("img.widget-image"), viewer.locator(".noUi-handle")
    picture.scroll_into_view_if_needed()
    picture.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=picture.element_handle())
    before_src, before_pixels = picture.get_attribute("src"), picture.screenshot()

    viewer.evaluate("e => e.scrollIntoView({block: 'center'})")  # slider and picture both on screen
    box = handle.bounding_box()  # drag the channel slider to the right, as a student would
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 120, box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()
    page.wait_for_function("([img, src]) => img.src !== src && img.complete && img.naturalWidth > 0",
                           arg=[picture.element_handle(), before_src], timeout=30_000)
    assert viewer.locator(".widget-readout").text_content() != "0"
    assert picture.screenshot() != before_pixels, "the viewer's picture did not change"

    page.screenshot(path=lab.shots / "jupyterlab_lesson.png")
    if os.environ.get("NST_SAVE_SCREENSHOT"):  # NST_SAVE_SCREENSHOT=figures/ retakes the README's picture
        folder = Path(os.environ["NST_SAVE_SCREENSHOT"])
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(lab.shots / "jupyterlab_lesson.png", folder / "jupyterlab_lesson.png")


def test_style_transfer_lesson_runs_and_the_live_preview_follows_its_slider(page, lab):
    panel = run_lesson(page, lab, "07_style_transfer_and_hyperparameters.ipynb")
    # The lecture's live preview (nst_teach.preview): drag the log₁₀ β slider, as an instructor would.
    preview = panel.locator(".jp-OutputArea-output", has=page.locator(".widget-slider", has_text="log₁₀ β"))
    picture, status = preview.locator("img.widget-image"), preview.locator(".widget-label").last
    preview.evaluate("e => e.scrollIntoView({block: 'center'})")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=picture.element_handle())
    before_src, before_pixels = picture.get_attribute("src"), picture.screenshot()
    handle = preview.locator(".widget-slider", has_text="log₁₀ β").locator(".noUi-handle")
    # The keyboard, as an instructor at a lectern might: focus the handle, four steps of 0.25 towards
    # more style. (A mouse drag of the handle, as the viewer's test does, moved nothing or one step on
    # the AVX2 EPYC, whether the preview sat at the window's bottom edge or mid-screen.)
    handle.focus()
    for _ in range(4):
        handle.press("ArrowRight")
    page.screenshot(path=lab.shots / "live_preview_moved.png")
    page.wait_for_function("([img, src]) => img.src !== src && img.complete && img.naturalWidth > 0",
                           arg=[picture.element_handle(), before_src], timeout=60_000)
    # The label and the picture are two widget messages; the label may arrive a moment later.
    page.wait_for_function("label => /^\\d+ evaluations, [\\d.]+ s$/.test(label.textContent)",
                           arg=status.element_handle(), timeout=10_000)
    assert picture.screenshot() != before_pixels, "the preview's picture did not change"
    page.screenshot(path=lab.shots / "live_preview.png")
