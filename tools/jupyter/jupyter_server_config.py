"""JupyterLab settings for the lessons, read by `tools/lab.py` (it puts this folder on JUPYTER_CONFIG_PATH).

Your own ~/.jupyter config is still read and wins where both set something.
"""

import os
import sys

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

# Terminals as non-login shells: a login shell reads /etc/profile, and Debian's resets PATH, so the
# venv's bin (first on the server's PATH, see tools/lab.py) and with it `nst-teach` would be lost.
c.ServerApp.terminado_settings = {"shell_command": [os.environ.get("SHELL") or "/bin/bash"]}

# Jupyter refuses to start as root unless told; CI and many containers run as root. The setting
# changes nothing for other users, so it is set always rather than only when root.
c.ServerApp.allow_root = True

# Open a browser only where one can be shown (on a headless server Python's webbrowser module may
# pick a text browser and take over the terminal).
c.ServerApp.open_browser = sys.platform in ("darwin", "win32") or bool(
    os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))

# Start in the lessons folder of the file browser; the root stays the repo, so exercises/ is visible.
c.LabApp.default_url = "/lab/tree/lessons"

# Classrooms are often offline: no news feed and no update check. (JupyterLab still asks once whether
# to fetch news, a user setting; the answer changes nothing here.)
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
