"""The `nst-teach` command's entry point: the process settings, then `nst_teach.cli.main`.

The settings (OpenMP's waiting policy, glibc's allocator: `nst_teach.speed.process`) are read when a
process starts, so the command starts itself again with them before anything else; ``--speed plain``
asks for none. `nst_teach.speed.process` is loaded from its file, not through the package: importing
`nst_teach` loads torch, which would cost the first process a second or two for nothing.
"""

import importlib.util
import sys
from pathlib import Path


def process_settings():
    """The module nst_teach/speed/process.py, loaded without importing nst_teach (and torch)."""
    package = importlib.util.find_spec("nst_teach")
    path = Path(list(package.submodule_search_locations)[0]) / "speed" / "process.py"
    spec = importlib.util.spec_from_file_location("nst_teach_process_settings", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    # sys.argv[0] is this command's script: run again by the same interpreter, with the same arguments
    process_settings().restart_with_settings([sys.executable, sys.argv[0], *sys.argv[1:]], sys.argv[1:])
    from nst_teach.cli import main as nst_teach_main  # loads torch: after the settings

    return nst_teach_main()


if __name__ == "__main__":
    sys.exit(main())
