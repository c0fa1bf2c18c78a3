"""The benchmark scripts run by hand take tens of minutes; here each runs once at a tiny size so that
it cannot rot (their numbers are not checked here: they are only meaningful at full size)."""

import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest

from nst_teach.speed.winograd import winograd_available

pytestmark = pytest.mark.slow
BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def load(name):
    """A benchmark script as a module; benchmarks/ goes on sys.path (for their `common`) for the whole session,
    as when a script is run."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_time_to_quality_runs_end_to_end_and_runs_the_classic_once(tmp_path, capsys):
    ttq = load("time_to_quality")
    cache = tmp_path / "classic.json"
    argv = ["--pairs", "motorcycle", "--size", "64", "--classic-iterations", "3", "--classic-cache", str(cache),
            "--set", "max_steps=3", "--out", str(tmp_path)]
    rows = ttq.main(argv)
    out = capsys.readouterr().out
    assert "(a) classic for motorcycle" in out and "one unit = " in out
    assert [(r["start"], r["inputs"]) for r in rows] == [("default", "tensors"), ("default", "paths"),
                                                         ("content", "tensors"), ("content", "paths")]
    for r in rows:
        assert 1 <= int(r["steps"]) <= 3 and r["evaluations"] >= int(r["steps"]) and r["units"] > 0
        assert r["units"] == pytest.approx(r["seconds"] / r["unit"]) and math.isfinite(r["ratio"])
    classic = json.loads(cache.read_text())["motorcycle@64px/3"]
    assert classic["iterations"] == 3 and rows[0]["ratio"] == pytest.approx(rows[0]["total"] / classic["total"])
    for name in ("time_to_quality.png", "time_to_quality.json", "motorcycle_classic.png", "motorcycle_content_paths.png"):
        assert (tmp_path / name).stat().st_size > 0
    ttq.main(argv[:-2] + ["--starts", "content", "--inputs", "paths", "--out", str(tmp_path / "again")])
    assert "(a) classic for" not in capsys.readouterr().out  # cached: never run twice


def test_time_to_quality_prices_an_evaluation_in_units(tmp_path, capsys):
    times = load("time_to_quality").main(["--units", "--pairs", "motorcycle", "--size", "96", "--out", str(tmp_path)])
    assert len(times) == 4 and all(t > 0 for t in times.values())
    assert "1.000 units" in capsys.readouterr().out  # the unit itself


def test_time_to_quality_judges_as_the_shared_judge_does(tmp_path, cat, sample_cache):
    """The fallback judge (nst-teach in fp32 from the files) and the shared, independent one agree."""
    ttq = load("time_to_quality")
    if not (Path(ttq.default_judge_dir()) / "gatys_ref.py").exists():
        pytest.skip("no shared judge next to the repository")
    from nst_teach.images import load_image, resolve_source

    paths = [str(resolve_source(name, sample_cache)) for name in ("cat", "starry_night")]
    shared, fallback = ttq.Judge(*paths, 64), ttq.Judge(*paths, 64, judge_dir=tmp_path)
    assert "shared judge" in shared.name and "no judge" in fallback.name
    img = load_image(paths[0], 64) * 0.8 + 0.1
    a, b = shared(img), fallback(img)
    for part in ("content", "style", "total"):
        assert b[part] == pytest.approx(a[part], rel=0.01), part


def test_first_reaching_gives_the_evaluations_and_time_at_or_below_the_target():
    ttq = load("time_to_quality")
    curve = [(3, 1.0, 9.0), (7, 2.0, 5.0), (9, 3.0, 4.0)]
    assert ttq.first_reaching(curve, 5.0) == (7, 2.0) and ttq.time_to_reach(curve, 5.0) == 2.0
    assert ttq.first_reaching(curve, 3.0) == (None, None)


def test_bench_transfer_measures_one_size():
    r = load("bench_transfer").measure(64, 2, "auto")
    assert r["bare"] > 0 and r["lbfgs"]["per_eval"] > 0 and r["adam"]["evals_per_it"] == 1
    assert r["lbfgs"]["first_step"] > 0 and r["conv"] in ("direct", "winograd")


def test_bench_evaluation_compares_the_gram_paths(cat, coffee, vgg):
    bench = load("bench_evaluation")
    arithmetics = [("fp32", "direct")] + [("fp32", "winograd")] * winograd_available()
    r = bench.measure(cat, coffee, vgg, arithmetics, repeat=1)
    assert set(r) == {(p, c, kind) for p, c in arithmetics for kind in ("bare", "fast", "autograd")} and all(v > 0 for v in r.values())


@pytest.mark.skipif(not winograd_available(), reason="this torch has no NNPACK")
def test_bench_convolutions_times_each_layer_three_ways():
    rows = load("bench_convolutions").measure(64, 1)
    assert [shape[1] for _, shape, _, _ in rows] == [3, 64, 64, 128, 128, 256, 256, 256, 256, 512, 512, 512, 512]
    assert all(set(t) == {"direct", "torch WT", "ours"} and min(t.values()) > 0 for *_, t in rows)


def test_bench_allocator_compares_the_three_settings(capsys):
    results = load("bench_allocator").main(["--sizes", "64", "--rounds", "1", "--repeat", "1"])
    assert set(results) == {(64, setting) for setting in ("default", "mmap on", "heap only")}
    assert all(r["loss"] and r["bare"] and len(r["faults"]) == 1 for r in results.values())
    assert "heap only" in capsys.readouterr().out


def test_the_bare_pass_baseline_runs_the_network_alone_in_the_given_arithmetic(vgg, cat):
    from nst_teach.speed import PLAIN

    forward_backward = load("common").bare_pass(vgg, cat, PLAIN)
    forward_backward()
    (x,) = [cell.cell_contents for cell in forward_backward.__closure__ if getattr(cell.cell_contents, "grad", None) is not None]
    assert x.grad.shape == cat.shape and x.grad.abs().sum() > 0  # forward to relu5_1 and back to the image
