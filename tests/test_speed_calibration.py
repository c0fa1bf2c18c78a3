"""Tests for `nst_teach.speed.calibration`: the fastest candidate is picked from measured times, the
times are cached under everything they were measured under, nothing is measured when it need not be,
and nothing the calibration does stops a run (a failing candidate, an unwritable cache)."""

import json

import pytest
import torch

from nst_teach.errors import NSTError
from nst_teach.speed import calibration
from nst_teach.speed.calibration import choose, measure, pick


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
    assert (first.precision, first.gram_path, first.conv, first.source) == ("bf16", "autograd", "direct", "measured now")
    n = len(clock.calls)
    second = choose("cpu", mode="auto", cache_dir=tmp_path, evaluate=clock.evaluate, timer=clock.timer)
    assert (second.precision, second.gram_path, second.source) == ("bf16", "autograd", "cached") and len(clock.calls) == n
    saved = json.loads((tmp_path / calibration.CACHE_FILE).read_text())
    machine = calibration.machine_key("cpu")
    assert calibration.cpu_model() in machine and torch.__version__ in machine and "| cpu |" in machine
    assert f"{torch.get_num_threads()} threads" in machine  # what the times were measured under
    assert torch.backends.cpu.get_cpu_capability() in machine  # "AMD EPYC" names CPUs with and without AVX-512
    assert saved["machines"][f"{machine} | 256 px"]["bf16+autograd+direct"] == pytest.approx(0.4)
    # force measures again (the machine got faster at bf16+fast) and replaces the cached times
    clock.durations = {**FAKE, ("bf16", "fast", "direct"): 0.2}
    forced = choose("cpu", mode="force", cache_dir=tmp_path, evaluate=clock.evaluate, timer=clock.timer)
    assert (forced.precision, forced.gram_path, forced.source) == ("bf16", "fast", "measured now") and len(clock.calls) > n


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
    assert (given.precision, given.gram_path, given.conv, given.source) == ("fp32", "autograd", "direct", "given")
    rule = choose("cpu", mode="off", cache_dir=tmp_path, evaluate=fail)
    assert rule.source == "rule" and rule.gram_path == "fast" and rule.conv == "direct" and rule.precision in ("fp32", "bf16")
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


def test_the_timer_runs_every_candidate_through_the_runs_loss(vgg):
    from nst_teach.transfer import StyleTransferLoss, TransferConfig

    built = []

    def loss(speed, content, style):
        built.append((speed.precision, speed.gram_path, speed.conv, tuple(content.shape)))
        return StyleTransferLoss(vgg, content, style, TransferConfig(), speed)

    evaluate = calibration.loss_timer(loss, "cpu")
    for precision, gram, conv in calibration.candidates("cpu"):
        evaluate(precision, gram, conv, size=48)  # one forward + backward each, no error
        evaluate(precision, gram, conv, size=48)  # the same loss function again
    assert built == [(*c, (1, 3, 32, 48)) for c in calibration.candidates("cpu")]


def test_style_transfer_reports_its_choice(vgg, cat, coffee, tmp_path, monkeypatch):
    from nst_teach.transfer import style_transfer

    monkeypatch.setattr(calibration, "candidates", lambda device: [("fp32", "fast", "direct"), ("fp32", "autograd", "direct")])
    monkeypatch.setenv("NST_TEACH_CALIBRATE", "auto")
    result = style_transfer(cat, coffee, model=vgg, size=None, steps=1)
    assert result.choice.source == "measured now" and result.choice.precision == "fp32"
    assert result.choice.gram_path in ("fast", "autograd") and "Gram" in result.choice.describe()
    assert (tmp_path / "nst-cache" / calibration.CACHE_FILE).exists()  # conftest's cache, not the home one


def test_winograd_is_a_candidate_where_nnpack_runs_and_never_with_bf16(tmp_path):
    from nst_teach.speed.winograd import winograd_available

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


def test_a_failing_candidate_is_left_out_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(calibration, "candidates", lambda device: list(FAKE))
    clock = FakeClock(FAKE)

    def evaluate(precision, gram, conv, size=None):
        if (precision, gram) == ("bf16", "autograd"):  # the fastest, but broken here
            raise RuntimeError("no kernel for this")
        clock.evaluate(precision, gram, conv, size)

    choice = choose("cpu", mode="auto", cache_dir=tmp_path, evaluate=evaluate, timer=clock.timer)
    assert (choice.precision, choice.gram_path, choice.source) == ("bf16", "fast", "measured now")
    assert "bf16+autograd+direct" not in choice.times and clock.calls.count(("bf16", "fast", "direct")) == 4
    err = capsys.readouterr().err.splitlines()
    assert [line for line in err if "failed" in line] == [
        "calibration: bf16+autograd+direct failed (RuntimeError: no kernel for this); left out"]


def test_measuring_says_so_in_one_line_and_an_unwritable_cache_only_warns(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(calibration, "candidates", lambda device: list(FAKE))
    blocked = tmp_path / "a file"
    blocked.write_text("not a folder")
    clock = FakeClock(FAKE)
    choice = choose("cpu", mode="auto", cache_dir=blocked / "cache", evaluate=clock.evaluate, timer=clock.timer, size=512)
    assert choice.source == "measured now" and (choice.precision, choice.gram_path) == ("bf16", "autograd")
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "timing each way of computing the loss at 512 px" in err[0]
    assert err[1].startswith("warning: could not cache the calibration") and "NST_TEACH_CACHE" in err[1]


def test_the_key_changes_with_the_threads_and_the_process_settings(monkeypatch):
    for name in ("MALLOC_MMAP_MAX_", "OMP_WAIT_POLICY"):
        monkeypatch.delenv(name, raising=False)
    key = calibration.machine_key("cpu")
    monkeypatch.setenv("MALLOC_MMAP_MAX_", "0")
    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")
    with_settings = calibration.machine_key("cpu")
    assert with_settings != key and "MALLOC_MMAP_MAX_=0" in with_settings and "OMP_WAIT_POLICY=PASSIVE" in with_settings
    threads = torch.get_num_threads()
    torch.set_num_threads(threads + 1)
    try:
        assert calibration.machine_key("cpu") != with_settings
    finally:
        torch.set_num_threads(threads)


@pytest.mark.skipif(not calibration.winograd_available("cpu"), reason="this torch has no NNPACK")
def test_a_losing_winograd_candidate_leaves_no_transformed_filters_on_the_model(vgg, tmp_path, monkeypatch):
    from nst_teach.speed.winograd import winograd_convolutions
    from nst_teach.transfer import StyleTransferLoss, TransferConfig

    model = __import__("copy").deepcopy(vgg)
    monkeypatch.setattr(calibration, "candidates", lambda device: [("fp32", "fast", "direct"), ("fp32", "fast", "winograd")])
    timed = {"direct": 0.1, "winograd": 1.0}  # Winograd runs for real, and loses on the fake clock
    clock = FakeClock({})

    def evaluate(precision, gram, conv, size=None):
        loss = StyleTransferLoss(model, torch.rand(1, 3, 32, 48), torch.rand(1, 3, 32, 48), TransferConfig(),
                                 calibration.Speed(precision, gram, conv, "timed"))
        loss(torch.rand(1, 3, 32, 48).requires_grad_(True))[0].backward()
        clock.now += timed[conv]

    choice = choose("cpu", mode="auto", cache_dir=tmp_path, evaluate=evaluate, timer=clock.timer, model=model)
    assert choice.conv == "direct" and model._winograd_convolutions is None
    assert winograd_convolutions(True, model).filters == {}  # a later Winograd run transforms afresh
