"""``python -m nst_teach.grading --worker LOG FOLDER ex01 …``: the grading process `runner.grade` starts."""

import sys
from pathlib import Path

from .runner import _worker

if len(sys.argv) >= 4 and sys.argv[1] == "--worker":
    _worker(sys.argv[2], Path(sys.argv[3]), sys.argv[4:])
else:
    sys.exit("this is the grader's worker process; use `nst-teach grade` instead")
