"""Tests for `nst_teach.grading.report`: the table a student and an instructor read, one verdict check
by check (text and HTML), and the gradebook's JSON."""

import json

from nst_teach.grading.report import format_record, format_table, record_html, to_json
from nst_teach.grading.grader import Record


def record(exercise, points, status="pass", message="", student="ada", details=()):
    return Record(exercise, points, 4, status, message, list(details), student=student, directory=f"/class/{student}")


def test_one_students_table_lists_each_exercise_with_its_hint_and_the_total():
    table = format_table([record("ex03", 4), record("ex04", 1, "fail", "values differ:\nexpected 2, got 4")])
    lines = table.splitlines()
    assert lines[0].split() == ["exercise", "points", "status", "message"] and set(lines[1]) == {"-"}
    assert lines[3].split()[:3] == ["ex04", "1/4", "fail"] and lines[3].endswith("values differ: expected 2, got 4")
    assert lines[-1].split() == ["total", "5/8"]


def test_a_class_gives_a_grid_of_points_with_timeouts_marked():
    records = [record("ex03", 4), record("ex04", 2, "fail"), record("ex03", 0, "timeout", student="bob"), record("ex04", 4, student="bob")]
    lines = format_table(records).splitlines()
    assert lines[0].split() == ["student", "ex03", "ex04", "total"]
    assert lines[1].split()[0] == "ada" and lines[1].split()[-1] == "6/8"
    assert " T " in lines[2] and lines[2].split()[-1] == "4/8"


def test_a_verdict_shows_every_check_in_text_and_html_escaped():
    details = [dict(check="symmetric", points=2, max_points=2, passed=True, message="", mistake=None),
               dict(check="matches <np.cov>", points=0, max_points=2, passed=False, message="off by 1/(M−1)", mistake="bias")]
    r = record("ex03", 2, "fail", "off by 1/(M−1)", details=details)
    text = format_record(r).splitlines()
    assert text[0].startswith("ex03") and text[0].endswith("2/4 — fail")
    assert text[1].startswith("  ✓ symmetric (2/2)") and text[2] == "  ✗ matches <np.cov> (0/2): off by 1/(M−1)"
    page = record_html(r)
    assert "&lt;np.cov&gt;" in page and "<np.cov>" not in page and page.count("<li>") == 2


def test_json_has_one_object_per_record_with_every_field():
    records = [record("ex03", 4), record("ex04", 0, "not attempted", student="bob")]
    loaded = json.loads(to_json(records))
    assert [(r["student"], r["exercise"], r["points"], r["status"]) for r in loaded] == [("ada", "ex03", 4, "pass"), ("bob", "ex04", 0, "not attempted")]
