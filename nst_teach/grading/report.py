"""The report: what a student and an instructor see, as a table, a notebook verdict, or JSON.

`format_table` is ``nst-teach grade``'s table (one student: exercise, points, status, hint; a class:
a student × exercise grid), `format_record` and `record_html` one exercise's verdict check by check,
`show` puts a verdict in a notebook (HTML) or a terminal (text), and `to_json` the gradebook records.
"""

import html
import json
from dataclasses import asdict


def format_table(records):
    """Exercise | points | status | message, and the total. Several students: a points grid instead."""
    students = list(dict.fromkeys(r.directory for r in records))
    if len(students) > 1:
        return _class_table(records, students)
    rows = [("exercise", "points", "status", "message")]
    rows += [(r.exercise, f"{r.points}/{r.max_points}", r.status, r.message.replace("\n", " ")) for r in records]
    w0, w1, w2 = (max(len(row[i]) for row in rows) for i in range(3))
    lines = [f"{a:<{w0}}  {b:>{w1}}  {c:<{w2}}  {d}".rstrip() for a, b, c, d in rows]
    lines.insert(1, "-" * min(100, max(len(line) for line in lines)))
    total, top = sum(r.points for r in records), sum(r.max_points for r in records)
    lines.append(f"{'total':<{w0}}  {f'{total}/{top}':>{w1}}")
    return "\n".join(lines)


def _class_table(records, students):
    exercises = list(dict.fromkeys(r.exercise for r in records))
    grid = {(r.directory, r.exercise): r for r in records}
    names = {r.directory: r.student for r in records}
    w = max(len("student"), *(len(names[s]) for s in students))
    lines = [f"{'student':<{w}}  " + "  ".join(f"{e:>5}" for e in exercises) + "   total"]
    for s in students:
        row = [grid[s, e] for e in exercises]
        cells = "  ".join(f"{r.points:>2}/{r.max_points:<2}" if r.status != "timeout" else "   T " for r in row)
        lines.append(f"{names[s]:<{w}}  {cells}   {sum(r.points for r in row)}/{sum(r.max_points for r in row)}")
    lines.append("(T: timed out; `--json` has every record with its hint)")
    return "\n".join(lines)


def format_record(record):
    """A few lines for one exercise: the verdict, then each check with ✓ / ✗ and its hint."""
    from .spec import exercises

    known = exercises()
    title = f" ({known[record.exercise].title})" if record.exercise in known else ""
    lines = [f"{record.exercise}{title}: {record.points}/{record.max_points} — {record.status}"]
    if record.status == "timeout" or (record.message and not record.details):
        lines.append(f"  {record.message}")
    for d in record.details:
        mark = "✓" if d["passed"] else "✗"
        lines.append(f"  {mark} {d['check']} ({d['points']}/{d['max_points']})" + (f": {d['message']}" if d["message"] else ""))
    if record.output:
        lines.append("  your code printed: " + record.output[:300].replace("\n", "\n    "))
    return "\n".join(lines)


def record_html(record):
    """The verdict as a small HTML block for a notebook: a coloured bar, the points, each check with ✓ / ✗."""
    colour = {"pass": "#1a7f37", "fail": "#b35900", "not attempted": "#555", "not submitted": "#555", "error": "#cf222e",
              "timeout": "#cf222e"}[record.status]
    items = "".join(
        f"<li>{'✓' if d['passed'] else '✗'} {html.escape(d['check'])} ({d['points']}/{d['max_points']})"
        + (f": {html.escape(d['message'])}" if d["message"] else "") + "</li>" for d in record.details)
    extra = f"<div>{html.escape(record.message)}</div>" if record.message and not record.details else ""
    return (f"<div style='border-left:4px solid {colour};padding:4px 8px'><b>{record.exercise}: "
            f"{record.points}/{record.max_points} — <span style='color:{colour}'>{record.status}</span></b>{extra}"
            f"<ul style='margin:2px 0'>{items}</ul></div>")


def print_failed_checks(records):
    """For one student: every failed check with its hint, so a second mistake is not hidden behind the first."""
    if len({r.directory for r in records}) > 1:
        return
    for record in records:
        failed = [d for d in record.details if not d["passed"]]
        if record.status in ("fail", "error") and len(failed) > 1:
            print(f"\n{record.exercise}:")
            for d in failed:
                print(f"  ✗ {d['check']} ({d['points']}/{d['max_points']}): {d['message']}")


def show(record):
    """Display one verdict: as HTML in a notebook, as text anywhere else."""
    try:
        from IPython import get_ipython
        from IPython.display import HTML, display

        in_notebook = get_ipython() is not None
    except ImportError:
        in_notebook = False
    if in_notebook:
        display(HTML(record_html(record)))
    else:
        print(format_record(record))


def to_json(records):
    """One JSON object per record (student × exercise), for a gradebook."""
    return json.dumps([asdict(r) for r in records], indent=2, ensure_ascii=False)
