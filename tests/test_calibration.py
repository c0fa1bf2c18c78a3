"""Tests for `nst_teach.calibration`: the fastest candidate is picked from measured times, the times
are cached per CPU model + torch version + device, and nothing is measured when it need not be."""

import json

import pytest
import torch

from nst_teach import calibration
from nst_teach.calibration import choose, measure, pick
from nst_teach.errors import NSTError


class FakeClock:
    """A timer whose time only moves when a fake evaluation 'runs' for its given duration."""

    def __init__(self, durations):
        self.now, self.durations, self.calls = 0.0, durations, []

    def timer(self):
        return self.now

    def evaluate(self, precision, gram, conv, size=None):
        self.calls.append((precision, gram, conv))
        self.sizes = getattr(self, "sizes", []) + [size]
        self.now += self.durations[precision, gram, conv]


FAKE = {("fp32", "fast", "direct"): 1.0, ("fp32", "autograd", "direct"): 0.9, ("fp32", "fast", "winograd"): 0.7,
        ("bf16", "fast", "direct"): 0.5, ("bf16", "autograd", "direct"): 0.4}


def test_measure_times_each_candidate_interleaved_after_a_warm_up():
    clock = FakeClock(FAKE)
    times = measure(clock.evaluate, list(FAKE), repeat=3, timer=clock.timer)
    assert times == pytest.approx({"fp32+fast+direct": 1.0, "fp32+autograd+direct": 0.9, "fp32+fast+winograd": 0.7,
                                   "bf16+fast+direct": 0.5, "bf16+autograd+direct": 0.4})
    assert clock.calls == list(FAKE) * 4  # one warm-up round, then three rounds A, B, C, D, E, A, B, …


def test_measure_uses_the_median_so_one_slow_outlier_does_not_decide():
    slow = iter([5.0, 0.3, 0.3, 0.3])  # the first timed evaluation of 'b' was hit by another program

    class Clock(FakeClock):
        def evaluate(self, precision, gram, conv):
            self.now += next(slow) if gram == "b" and self.calls.count(("x", "b", "c")) >= 1 else 0.4
            self.calls.append((precision, gram, conv))

    clock = Clock({})
    times = measure(clock.evaluate, [("x", "a", "c"), ("x", "b", "c")], repeat=3, timer=clock.timer)
    assert times["x+b+c"] == pytest.approx(0.3) and pick(times) == ("x", "b", "c")


def test_pick_follows_the_times_and_respects_explicit_choices():
    times = {"fp32+fast+direct": 1.0, "fp32+autograd+direct": 0.9, "fp32+fast+winograd": 0.8,
             "bf16+fast+direct": 0.4, "bf16+autograd+direct": 0.5}
    assert pick(times) == ("bf16", "fast", "direct")
    assert pick(times, precision="fp32") == ("fp32", "fast", "winograd")
    assert pick(times, precision="fp32", conv="direct") == ("fp32", "autograd", "direct")
    assert pick(times, gram="autograd") == ("bf16", "autograd", "direct")
    assert pick(times, conv="winograd") == ("fp32", "fast", "winograd")
    assert pick({**times, "bf16+autograd+direct": 0.3}) == ("bf16", "autograd", "direct")
    with pytest.raises(NSTError, match="NST_TEACH_CALIBRATE=force"):
        pick({"fp32+fast+direct": 1.0}, precision="bf16")


def test_choose_measures_once_then_reads_the_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(calibration, "candidates", lambda device: list(FAKE))
    clock = FakeClock(FAKE)
    first = choose("cpu", mode="auto", cache_dir=tmp_path, evaluate=clock.evaluate, timer=clock.timer)
    assert (first.precision, first.gram, first.conv, first.source) == ("bf16", "autograd", "direct", "measured now")
    n = len(clock.calls)
    second = choose("cpu", mode="auto", cache_dir=tmp_path, evaluate=clock.evaluate, timer=clock.timer)
    assert (second.precision, second.gram, second.source) == ("bf16", "autograd", "cached") and len(clock.calls) == n
    saved = json.loads((tmp_path / calibration.CACHE_FILE).read_text())
    machine = calibration.machine_key("cpu")
    assert calibration.cpu_model() in machine and torch.__version__ in machine and machine.endswith("cpu")
    assert torch.backends.cpu.get_cpu_capability() in machine  # "AMD EPYC" names CPUs with and without AVX-512
    assert saved["machines"][f"{machine} | 256 px"]["bf16+autograd+direct"] == pytest.approx(0.4)
    # force measures again (the machine got faster at bf16+fast) and replaces the cached times
    clock.durations = {**FAKE, ("bf16", "fast", "direct"): 0.2}
    forced = choose("cpu", mode="force", cache_dir=tmp_path, evaluate=clock.evaluate, timer=clock.timer)
    assert (forced.precision, forced.gram, forced.source) == ("bf16", "fast", "measured now") and len(clock.calls) > n


def test_the_cache_is_keyed_by_cpu_and_torch_version(tmp_path, monkeypatch):
    monkeypatch.setattr(calibration, "candidates", lambda device: list(FAKE))
    clock = FakeClock(FAKE)
    choose("cpu", mode="auto", cache_dir=tmp_path, evaluate=clock.evaluate, timer=clock.timer)
    n = len(clock.calls)
    monkeypatch.setattr(calibration, "cpu_model", lambda: "Another CPU")
    other = choose("cpu", mode="auto", cache_dir=tmp_path, evaluate=clock.evaluate, timer=clock.timer)
    assert other.source == "measured now" and len(clock.calls) == 2 * n
    monkeypatch.setattr(torch, "__version__", "9.9.9")
    assert choose("cpu", mode="auto", cache_dir=tmp_path, evaluate=clock.evaluate, timer=clock.timer).source == "measured now"
    saved = json.loads((tmp_path / calibration.CACHE_FILE).read_text())
    assert len(saved["machines"]) == 3  # all three machines kept side by side


def test_no_measuring_when_given_or_switched_off(tmp_path):
    def fail(precision, gram, conv, size=None):
        raise AssertionError("measured although it need not")

    given = choose("cpu", precision="fp32", gram="autograd", conv="direct", mode="force", cache_dir=tmp_path, evaluate=fail)
    assert (given.precision, given.gram, given.conv, given.source) == ("fp32", "autograd", "direct", "given")
    rule = choose("cpu", mode="off", cache_dir=tmp_path, evaluate=fail)
    assert rule.source == "rule" and rule.gram == "fast" and rule.conv == "direct" and rule.precision in ("fp32", "bf16")
    if calibration.winograd_available("cpu"):  # Winograd by the rule runs in fp32, even where bf16 is fast
        rule = choose("cpu", conv="winograd", mode="off", cache_dir=tmp_path, evaluate=fail)
        assert (rule.precision, rule.conv) == ("fp32", "winograd")
    assert not (tmp_path / calibration.CACHE_FILE).exists()
    with pytest.raises(NSTError, match="auto, off or force"):
        choose("cpu", mode="sometimes", cache_dir=tmp_path, evaluate=fail)


def test_a_corrupt_cache_is_measured_again(tmp_path, monkeypatch):
    monkeypatch.setattr(calibration, "candidates", lambda device: list(FAKE))
    (tmp_path / calibration.CACHE_FILE).write_text("{not json")
    clock = FakeClock(FAKE)
    assert choose("cpu", mode="auto", cache_dir=tmp_path, evaluate=clock.evaluate, timer=clock.timer).source == "measured now"


def test_the_real_evaluator_runs_every_candidate(vgg, monkeypatch):
    from nst_teach.transfer import loss_evaluator

    evaluate = loss_evaluator(vgg, "cpu")
    for precision, gram, conv in calibration.candidates("cpu"):
        evaluate(precision, gram, conv, size=48)  # one forward + backward each, no error


def test_style_transfer_reports_its_choice(vgg, cat, coffee, tmp_path, monkeypatch):
    from nst_teach.transfer import style_transfer

    monkeypatch.setattr(calibration, "candidates", lambda device: [("fp32", "fast", "direct"), ("fp32", "autograd", "direct")])
    monkeypatch.setenv("NST_TEACH_CALIBRATE", "auto")
    result = style_transfer(cat, coffee, model=vgg, size=None, steps=1)
    assert result.choice.source == "measured now" and result.choice.precision == "fp32"
    assert result.choice.gram in ("fast", "autograd") and "Gram" in result.choice.describe()
    assert (tmp_path / "nst-cache" / calibration.CACHE_FILE).exists()  # conftest's cache, not the home one


def test_winograd_is_a_candidate_where_nnpack_runs_and_never_with_bf16(tmp_path):
    from nst_teach.winograd import winograd_available

    found = calibration.candidates("cpu")
    assert (("fp32", "fast", "winograd") in found) == winograd_available("cpu")
    assert not any(p == "bf16" and c == "winograd" for p, _, c in found)  # autocast would be bypassed
    with pytest.raises(NSTError, match="fp32 only"):
        choose("cpu", precision="bf16", conv="winograd", cache_dir=tmp_path)


def test_an_old_cache_without_the_convolutions_is_measured_again(tmp_path, monkeypatch):
    monkeypatch.setattr(calibration, "candidates", lambda device: list(FAKE))
    old = {"version": 1, "machines": {calibration.machine_key("cpu"): {"fp32+fast": 1.0, "bf16+fast": 0.5}}}
    (tmp_path / calibration.CACHE_FILE).write_text(json.dumps(old))
    clock = FakeClock(FAKE)
    choice = choose("cpu", mode="auto", cache_dir=tmp_path, evaluate=clock.evaluate, timer=clock.timer)
    assert choice.source == "measured now" and choice.conv == "direct"


def test_each_size_class_is_measured_at_its_own_size_and_cached_apart(tmp_path, monkeypatch):
    # Winograd's fixed cost per call makes it lose at 192 px and win at 512 px on the same CPU
    monkeypatch.setattr(calibration, "candidates", lambda device: list(FAKE))
    assert [calibration.calibration_size(s) for s in (64, 192, 193, 256, 384, 385, 512, 1024, None)] == \
        [128, 128, 256, 256, 256, 512, 512, 512, 256]
    clock = FakeClock(FAKE)
    small = choose("cpu", mode="auto", cache_dir=tmp_path, evaluate=clock.evaluate, timer=clock.timer, size=200)
    assert set(clock.sizes) == {256} and small.size == 256 and "at 256 px" in small.describe()
    assert not calibration.is_cached("cpu", 512, cache_dir=tmp_path) and calibration.is_cached("cpu", 300, cache_dir=tmp_path)
    clock.durations = {**FAKE, ("fp32", "fast", "winograd"): 0.1}  # at 512 px Winograd wins
    large = choose("cpu", mode="auto", cache_dir=tmp_path, evaluate=clock.evaluate, timer=clock.timer, size=1024)
    assert (large.conv, large.size, large.source) == ("winograd", 512, "measured now") and clock.sizes[-1] == 512
    again = choose("cpu", mode="auto", cache_dir=tmp_path, evaluate=clock.evaluate, timer=clock.timer, size=300)
    assert (again.conv, again.source) == ("direct", "cached")
