"""Tests for `nst_teach.viz`: each function returns a Figure with the right axes and images, no pyplot leaks."""

import builtins
import io

import matplotlib
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from PIL import Image

from nst_teach import viz
from nst_teach.errors import NSTError


def images_in(fig):
    return sum(len(ax.images) for ax in fig.axes)


def rand_image(h=24, w=32, seed=0):
    return torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(seed))


@pytest.fixture(autouse=True)
def no_pyplot_figures():
    """No viz function may leave a figure open in pyplot's global registry."""
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    yield
    assert plt.get_fignums() == before


def test_select_channels_most_active_picks_largest_means():
    F = torch.zeros(1, 10, 4, 4)
    means = torch.tensor([0.1, 5.0, 0.3, 2.0, -1.0, 9.0, 0.0, 4.0, 0.2, 3.0])
    F += means.view(1, 10, 1, 1)
    F[0, 5, 0, 0] = -100.0  # one extreme pixel must not matter more than the mean: 9 − 100/16 < 4
    assert viz.select_channels(F, 3, "most_active") == [1, 7, 9]
    assert viz.select_channels(F, 3, "first") == [0, 1, 2]
    assert viz.select_channels(F, 50) == torch.argsort(F.mean(dim=(0, 2, 3)), descending=True).tolist()
    with pytest.raises(NSTError, match="most_active"):
        viz.select_channels(F, 3, "random")


def test_feature_grid_tensor_shows_the_most_active_channels():
    F = torch.rand(1, 20, 6, 6, generator=torch.Generator().manual_seed(1))
    F[0, 13] += 10  # clearly the most active
    fig = viz.feature_grid(F, channels=12)
    assert isinstance(fig, Figure)
    assert images_in(fig) == 12 and len(fig.axes) == 12  # 8 on the first row, 4 on the second
    assert fig.axes[0].get_title() == "#13"
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), F[0, 13].numpy())


def test_feature_grid_dict_has_one_row_per_layer():
    feats = {"relu1_1": torch.rand(1, 64, 16, 16), "relu3_1": torch.rand(1, 256, 4, 4), "relu5_1": torch.rand(1, 512, 1, 1)}
    fig = viz.feature_grid(feats, channels=6, order="first", title="layers")
    assert images_in(fig) == 18
    assert [fig.axes[i].get_ylabel().split("\n")[0] for i in (0, 6, 12)] == list(feats)


def test_matrix_heatmaps_match_gram_covariance_correlation():
    from nst_teach.gram import correlation_matrix, covariance_matrix, gram_matrix

    F = torch.rand(1, 40, 5, 5, generator=torch.Generator().manual_seed(2))
    fig = viz.matrix_heatmaps(F, channels=8)
    assert len(fig.axes) == 6 and images_in(fig) == 3  # three heatmaps and their colour bars
    F8 = F[0, :8].double()
    for ax, expected in zip(fig.axes[:3], (gram_matrix(F8), covariance_matrix(F8), correlation_matrix(F8))):
        np.testing.assert_allclose(ax.images[0].get_array(), expected.numpy())


def test_loss_curves_single_and_several_histories():
    history = [{"step": i, "content": 10.0 / i, "style": 100.0 / i, "tv": 0.0, "total": 1e3 / i} for i in range(1, 6)]
    fig = viz.loss_curves(history)
    assert [ax.get_title() for ax in fig.axes] == ["content loss", "style loss", "total loss"]  # tv = 0 left out
    assert fig.axes[0].get_yscale() == "log"
    np.testing.assert_allclose(fig.axes[1].lines[0].get_ydata(), [100.0 / i for i in range(1, 6)])
    fig = viz.loss_curves({"adam": [3.0, 2.0, 1.0], "lbfgs": [3.0, 1.0, 0.5]}, log=False)
    assert len(fig.axes) == 1 and len(fig.axes[0].lines) == 2 and fig.axes[0].get_yscale() == "linear"
    with pytest.raises(NSTError, match="empty"):
        viz.loss_curves([])


def test_image_panels_and_grids():
    a, b, c = rand_image(seed=0), rand_image(seed=1), rand_image(seed=2)
    fig = viz.panel(a, b, c)
    assert images_in(fig) == 3 and [ax.get_title() for ax in fig.axes] == ["content", "style", "result"]
    np.testing.assert_allclose(fig.axes[2].images[0].get_array(), c[0].permute(1, 2, 0).numpy())
    fig = viz.image_grid([a, Image.new("RGB", (32, 24)), np.zeros((24, 32, 3), np.uint8), a, b], titles=list("abcde"), ncols=2)
    assert images_in(fig) == 5 and len(fig.axes) == 5  # the empty sixth cell is removed
    fig = viz.sweep_grid([a, b, c, a], [1, 0.1, 0.01, 0.001])
    assert images_in(fig) == 4 and fig.axes[3].get_title() == "0.001"
    with pytest.raises(NSTError, match="one title per image"):
        viz.image_grid([a, b], titles=["only one"])


def test_channel_views_of_image_and_preprocessed_input():
    from nst_teach.preprocess import preprocess

    img = rand_image()
    fig = viz.channel_views(img)
    assert images_in(fig) == 4  # the picture + R, G, B
    x = preprocess(img, "caffe")
    fig = viz.channel_views(x, names=["B", "G", "R"])
    assert images_in(fig) == 3  # values outside [0, 1]: no composite picture
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), x[0, 0].numpy())  # channel 0 is blue


def test_receptive_field_chart():
    fig = viz.receptive_field_chart()
    assert len(fig.axes) == 1 and len(fig.axes[0].patches) == 21  # 16 ReLUs + 5 pools


def test_optimisation_paths():
    def bowl(x):
        return ((x - 0.5) ** 2).sum()

    path = torch.tensor([[0.1, 0.9], [0.3, 0.7], [0.5, 0.5]])
    fig = viz.optimisation_paths(bowl, {"gd": path, "other": path.numpy()[:2]})
    (ax,) = fig.axes
    assert len(ax.lines) == 2
    np.testing.assert_allclose(ax.lines[0].get_xydata(), path.numpy())


def test_animation_frames_and_player():
    frames, callback = viz.animation_frames(every=2)
    for step in range(1, 6):
        assert callback(step, rand_image(seed=step), {}) is False
    assert len(frames) == 3  # steps 1, 2, 4
    html = viz.show_animation(frames)
    text = html.data if hasattr(html, "data") else html
    assert "<script" in text and text.count("data:image/png;base64") == 3


def test_save_figure_writes_a_png_atomically(tmp_path):
    fig = viz.panel(rand_image(), rand_image(seed=1), rand_image(seed=2))
    out = viz.save_figure(fig, tmp_path / "panel.png")
    assert out == tmp_path / "panel.png"
    with Image.open(out) as png:
        assert png.format == "PNG" and png.size[0] > 100
    assert [p.name for p in tmp_path.iterdir()] == ["panel.png"]  # no temporary file left behind
    with pytest.raises(NSTError, match=".png"):
        viz.save_figure(fig, tmp_path / "panel.gif")
    with pytest.raises(NSTError, match="does not exist"):
        viz.save_figure(fig, tmp_path / "missing" / "panel.png")


def test_save_figure_failure_leaves_nothing(tmp_path, monkeypatch):
    fig = viz.panel(rand_image(), rand_image(seed=1), rand_image(seed=2))

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(fig, "savefig", broken)
    with pytest.raises(RuntimeError):
        viz.save_figure(fig, tmp_path / "x.png")
    assert list(tmp_path.iterdir()) == []


def test_style_is_not_leaked_globally():
    before = dict(matplotlib.rcParams)
    viz.loss_curves([3.0, 2.0])
    assert dict(matplotlib.rcParams) == before


def test_interactive_viewer_with_and_without_ipywidgets(vgg, monkeypatch, capsys):
    img = rand_image(48, 48)
    pytest.importorskip("ipywidgets")
    viewer = viz.interactive_viewer(images=[img], layers=("relu1_1", "relu2_1"), model=vgg)
    image, layer, channel, picture = viewer.children
    assert [w.description for w in (image, layer, channel)] == ["image", "layer", "channel"]
    assert channel.max == 63  # relu1_1 has N_l = 64 channels

    def shown():
        """The picture the viewer shows now, as pixels (it must be a PNG: that is what the browser gets)."""
        with Image.open(io.BytesIO(picture.value)) as png:
            assert png.format == "PNG"
            return np.asarray(png.convert("RGB"))

    first = shown()
    channel.value = 5  # what moving the slider does
    assert not np.array_equal(shown(), first), "the picture did not change with the channel"
    layer.value = "relu2_1"
    assert channel.max == 127 and channel.value == 5
    assert shown().shape[2] == 3 and not np.array_equal(shown(), first)

    real_import = builtins.__import__

    def no_widgets(name, *args, **kwargs):
        if name == "ipywidgets":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_widgets)
    fig = viz.interactive_viewer(images=[img], layers=("relu1_1", "relu2_1"), model=vgg)
    assert isinstance(fig, Figure) and images_in(fig) == 16
    assert "ipywidgets is not installed" in capsys.readouterr().out


def test_make_figures_writes_the_requested_pngs(tmp_path, vgg):
    from nst_teach.figures import FIGURES, make_figures

    paths = make_figures(tmp_path / "figs", only=["receptive_fields", "gram_heatmaps"], progress=False, model=vgg)
    assert [p.name for p in paths] == ["receptive_fields.png", "gram_heatmaps.png"]
    for p in paths:
        with Image.open(p) as png:
            assert png.format == "PNG"
    assert len(FIGURES) == 12
    with pytest.raises(NSTError, match="unknown figure"):
        make_figures(tmp_path, only=["nope"], model=vgg)


def test_compare_features_same_channels_and_one_colour_scale_per_row():
    g = torch.Generator().manual_seed(3)
    photo = {"relu1_1": torch.rand(1, 64, 8, 8, generator=g), "relu3_1": torch.rand(1, 256, 2, 2, generator=g)}
    result = {k: 3 * v.flip(-1) for k, v in photo.items()}  # brighter: the row's scale must follow it
    style = {"relu1_1": torch.rand(1, 64, 6, 10, generator=g), "relu3_1": torch.rand(1, 256, 3, 3, generator=g)}
    fig = viz.compare_features({"photo": photo, "result": result, "style": style}, channels=[3, 17, 42])
    assert fig.channels == {"relu1_1": [3, 17, 42], "relu3_1": [3, 17, 42]}
    axes = [ax for ax in fig.axes if ax.images]
    assert len(axes) == 2 * 3 * 3
    assert [ax.get_title() for ax in axes[:9]] == [f"{who} #{i}" for who in ("photo", "result", "style") for i in (3, 17, 42)]
    for row, layer in ((axes[:9], "relu1_1"), (axes[9:], "relu3_1")):
        climits = {ax.images[0].get_clim() for ax in row}
        assert climits == {fig.limits[layer]}  # one colour scale per row
        assert fig.limits[layer][1] == pytest.approx(max(result[layer][0, [3, 17, 42]].max().item(), style[layer][0, [3, 17, 42]].max().item()))
    np.testing.assert_allclose(axes[4].images[0].get_array(), result["relu1_1"][0, 17].numpy())  # result #17 really is channel 17
    assert fig.limits["relu1_1"] != fig.limits["relu3_1"]


def test_compare_features_picks_most_active_of_the_first_image_and_refuses_missing_channels():
    F = torch.zeros(1, 8, 4, 4)
    F[0, 6] = 5.0
    F[0, 2] = 1.0
    fig = viz.compare_features({"a": {"relu2_1": F}, "b": {"relu2_1": torch.rand(1, 8, 4, 4)}}, channels=2)
    assert fig.channels == {"relu2_1": [6, 2]}
    with pytest.raises(NSTError, match="8 channels"):
        viz.compare_features({"a": {"relu2_1": F}}, channels=[3, 9])
    with pytest.raises(NSTError, match="same layers"):
        viz.compare_features({"a": {"relu2_1": F}, "b": {"relu1_1": F}})


@pytest.mark.parametrize("shared", ["row", "all", None])
def test_heatmap_grid_colour_limits(shared):
    rows = {"start": {"x": torch.zeros(4, 4), "y": torch.full((4, 4), 2.0)}, "end": {"x": torch.ones(3, 3), "y": torch.arange(9.0).reshape(3, 3)}}
    fig = viz.heatmap_grid(rows, shared=shared)
    axes = [ax for ax in fig.axes if ax.images]
    clims = [ax.images[0].get_clim() for ax in axes]
    if shared == "row":
        assert clims == [(0, 2), (0, 2), (0, 8), (0, 8)]
    elif shared == "all":
        assert set(clims) == {(0, 8)}
    else:
        assert clims[3] == (0, 8) and clims[1] != clims[0]
    assert [ax.get_ylabel() for ax in axes[::2]] == ["start", "end"]
