"""The channel between the grader and the student's process (`grading.channel`): plain data only, checked as read."""

import json
import os
import struct

import numpy as np
import pytest
import torch

from nst_teach.grading.channel import (FRAME, MAGIC, Channel, ChannelClosed, ChannelError, ChannelTimeout, Opaque, Packer,
                                       Unpacker)
from nst_teach.optim import AdamState


def round_trip(value, build=None):
    packer = Packer(describe=lambda x: ("thing", {"n": 3}) if isinstance(x, set) else None)
    tree = json.loads(json.dumps(packer.pack(value)))  # what crosses is JSON text and bytes
    return Unpacker(packer.blob(), build=build).unpack(tree)


def test_values_cross_exactly_with_their_types():
    value = {"x": torch.arange(6, dtype=torch.float32).reshape(2, 3), "b": torch.tensor([1.5, 2], dtype=torch.bfloat16),
             "a": np.array([[1, 2], [3, 4]], dtype=np.int16), "t": (1, 2.5, None, True, "s"), "l": [float("nan"), -float("inf")],
             "np": np.float32(2.5), "state": AdamState(torch.ones(2), torch.zeros(2), 7)}
    got = round_trip(value)
    assert torch.equal(got["x"], value["x"]) and got["x"].dtype == torch.float32 and got["x"].shape == (2, 3)
    assert got["b"].dtype == torch.bfloat16 and torch.equal(got["b"], value["b"])
    assert got["a"].dtype == np.int16 and np.array_equal(got["a"], value["a"])
    assert got["t"] == (1, 2.5, None, True, "s") and isinstance(got["t"], tuple)
    assert np.isnan(got["l"][0]) and got["l"][1] == -float("inf")
    assert type(got["np"]) is np.float32 and got["np"] == 2.5  # numpy's scalar stays numpy's: its hint differs
    assert isinstance(got["state"], AdamState) and got["state"].t == 7 and torch.equal(got["state"].m, torch.ones(2))


def test_what_cannot_travel_arrives_as_a_named_stand_in_and_descriptions_only_where_built():
    got = round_trip([(i for i in range(2)), np.array(["a"], dtype=object)])
    assert isinstance(got[0], Opaque) and type(got[0]).__name__ == "generator" and isinstance(got[1], Opaque)
    with pytest.raises(ChannelError, match="may not travel"):
        round_trip({1, 2})  # a description, but no builder on this side
    assert round_trip({1, 2}, build=lambda kind, params: (kind, params)) == ("thing", {"n": 3})


NESTED = [1]
for _ in range(30):
    NESTED = [NESTED]


@pytest.mark.parametrize("tree, blob, why", [
    ({"$tensor": {"dtype": "float32", "shape": [4], "at": 0, "n": 16}}, b"\0" * 8, "bytes missing"),
    ({"$tensor": {"dtype": "float32", "shape": [3], "at": 0, "n": 16}}, b"\0" * 16, "shape and bytes disagree"),
    ({"$tensor": {"dtype": "object", "shape": [1], "at": 0, "n": 8}}, b"\0" * 8, "dtype"),
    ({"$array": {"dtype": "|O", "shape": [1], "at": 0, "n": 8}}, b"\0" * 8, "dtype"),
    ({"$pickle": "gASV"}, b"", "may not travel"),
    ({"$d": [[{"$tensor": {}}, 1]]}, b"", "malformed|missing|dtype"),
    (NESTED, b"", "deeply"),
])
def test_malformed_values_are_refused(tree, blob, why):
    with pytest.raises(ChannelError, match=why):
        Unpacker(blob).unpack(tree)


def channel_with(data):
    """A channel whose other side wrote ``data`` and closed (after a malformed frame the grader ends the process)."""
    r, w = os.pipe()
    os.write(w, data)
    os.close(w)
    return Channel(r, os.open(os.devnull, os.O_WRONLY))


def test_frames_are_checked_before_they_are_read():
    r, w = os.pipe()
    channel = Channel(r, w)
    channel.send({"kind": "hello", "n": 1}, b"abc")
    assert channel.receive() == ({"kind": "hello", "n": 1}, b"abc")
    with pytest.raises(ChannelTimeout):
        channel.receive(deadline=0.0)  # nothing sent: no reply by the deadline
    os.close(w)
    with pytest.raises(ChannelClosed):
        channel.receive()
    with pytest.raises(ChannelError, match="does not start"):
        channel_with(struct.pack(">4sII", b"JUNK", 2, 0) + b"{}").receive()
    with pytest.raises(ChannelError, match="over the channel's limit"):  # a gigabyte announced: refused unread
        channel_with(FRAME.pack(MAGIC, 2**30, 0)).receive()
    with pytest.raises(ChannelError, match="not valid JSON"):  # a bare constant is not the protocol's JSON
        channel_with(FRAME.pack(MAGIC, 3, 0) + b"NaN").receive()
    with pytest.raises(ChannelClosed):  # cut short
        channel_with(FRAME.pack(MAGIC, 10, 0) + b"{}").receive()
