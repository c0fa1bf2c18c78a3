"""``python -m nst_teach.grading`` is not a command: grading starts with ``nst-teach grade``."""

import sys

sys.exit("this is nst-teach's grader; use `nst-teach grade` (the student's process is nst_teach.grading.student_side)")
