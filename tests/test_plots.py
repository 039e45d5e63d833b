"""Every figure: titled, axes labelled, log scales where values span decades, colour-blind-safe
colours, the plotted data equal to the input, and no global matplotlib state changed."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import LogNorm, to_hex
from matplotlib.figure import Figure

from vanishing import data, nn, plots, telemetry
from vanishing.train import fit


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def histories():
    X, y = data.moons(200, rng=np.random.default_rng(0))
    out = {}
    for act in ("sigmoid", "relu"):
        model = nn.mlp([2] + [16] * 6 + [2], activation=act, rng=np.random.default_rng(1))
        out[act] = fit(
            model,
            X,
            y,
            lr=0.1,
            steps=40,
            rng=np.random.default_rng(2),
            X_val=X,
            y_val=y,
            progress=False,
            label=act,
        )
    return out


def _check_labelled(fig: Figure):
    """Every visible axes has a y label and an x label (or shares x with one that has it;
    colour bars need one label), and the figure or one of its axes has a title."""
    assert isinstance(fig, Figure)
    titles = [fig._suptitle.get_text()] if fig._suptitle is not None else []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        titles.append(ax.get_title())
        if hasattr(ax, "_colorbar"):
            assert ax.get_xlabel() or ax.get_ylabel(), "colour bar without a label"
            continue
        assert ax.get_ylabel(), f"{ax} has no y label"
        siblings = ax.get_shared_x_axes().get_siblings(ax)
        assert any(a.get_xlabel() for a in siblings), f"{ax} has no x label"
    assert any(t.strip() for t in titles), "figure without any title"


def test_gradient_norms_log_y_and_plotted_data(histories):
    norms = np.array([1e-6, 1e-4, 1e-2, 1.0])
    fig = plots.plot_gradient_norms(norms)
    _check_labelled(fig)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), norms)
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 3, 4])
    fig2 = plots.plot_gradient_norms(histories)
    _check_labelled(fig2)
    lines = fig2.axes[0].lines
    assert [ln.get_label() for ln in lines] == ["sigmoid", "relu"]
    np.testing.assert_array_equal(lines[0].get_ydata(), histories["sigmoid"].grad_norm[0])
    assert {to_hex(ln.get_color()).upper() for ln in lines} <= set(plots.OKABE_ITO)


def test_gradient_norms_drawn_into_a_given_axes():
    fig, (a, b) = plt.subplots(1, 2)
    assert plots.plot_gradient_norms([1.0, 0.1], ax=b) is fig
    assert len(b.lines) == 1 and len(a.lines) == 0


def test_activation_histograms_overlay_and_panels_are_densities():
    rng = np.random.default_rng(3)
    model = nn.mlp([8] + [32] * 5 + [2], activation="tanh", init="xavier_normal", rng=rng)
    acts = telemetry.activations(model, rng.standard_normal((256, 8)))
    fig = plots.plot_activation_histograms(acts, range=(-1, 1), bins=20)
    _check_labelled(fig)
    patches = fig.axes[0].patches
    assert len(patches) == 5
    for p in patches:
        d = p.get_data()
        values, edges = d.values, d.edges
        assert np.sum(values * np.diff(edges)) == pytest.approx(1.0)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()][0] == "layer 1"
    panels = plots.plot_activation_histograms(acts, overlay=False, max_layers=3)
    _check_labelled(panels)
    assert sum(ax.get_visible() for ax in panels.axes) == 3
    with pytest.raises(ValueError, match="overlay"):
        plots.plot_activation_histograms(acts, overlay=False, ax=panels.axes[0])


def test_gradient_heatmap_uses_log_colour_scale_and_sequential_cmap(histories):
    h = histories["sigmoid"]
    fig = plots.plot_gradient_heatmap(h)
    _check_labelled(fig)
    mesh = fig.axes[0].collections[0]
    assert isinstance(mesh.norm, LogNorm)
    assert mesh.cmap.name.startswith(("cividis", "viridis"))
    np.testing.assert_allclose(
        np.asarray(mesh.get_array()).reshape(h.grad_norm.T.shape), h.grad_norm.T
    )
    with pytest.raises(ValueError, match="telemetry"):
        plots.plot_gradient_heatmap(np.empty((0, 3)))


def test_update_ratios_log_with_reference_line(histories):
    fig = plots.plot_update_ratios(histories["relu"])
    _check_labelled(fig)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    refs = [ln for ln in ax.lines if np.all(np.asarray(ln.get_ydata()) == 1e-3)]
    assert len(refs) == 1, "one horizontal reference line at 1e-3"
    assert len(ax.lines) == histories["relu"].update_ratio.shape[1] + 1


def test_training_curves_side_by_side(histories):
    fig = plots.plot_training_curves(histories, smooth=1)
    _check_labelled(fig)
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_yscale() == "log"
    np.testing.assert_allclose(loss_ax.lines[0].get_ydata(), histories["sigmoid"].loss)
    labels = [ln.get_label() for ln in acc_ax.lines]
    assert labels == [
        "sigmoid (train)",
        "sigmoid (validation)",
        "relu (train)",
        "relu (validation)",
    ]
    assert acc_ax.lines[0].get_color() == acc_ax.lines[1].get_color()
    assert loss_ax.lines[0].get_color() != loss_ax.lines[1].get_color()


def test_activation_stats_plot(histories):
    rng = np.random.default_rng(4)
    model = nn.mlp([2, 16, 16, 2], activation="relu", rng=rng)
    stats = telemetry.activation_stats(model, rng.standard_normal((64, 2)))
    for fig in (
        plots.plot_activation_stats(stats),
        plots.plot_activation_stats(histories["sigmoid"]),
    ):
        _check_labelled(fig)


def test_no_global_matplotlib_state_changed(histories):
    before = dict(mpl.rcParams)
    plots.plot_training_curves(histories)
    plots.plot_gradient_heatmap(histories["relu"])
    after = dict(mpl.rcParams)
    assert {k for k in before if before[k] != after[k]} == set()


def test_diverging_run_does_not_squash_the_loss_axis():
    from vanishing.train import History

    calm = History(loss=np.linspace(2.0, 0.1, 100), label="calm")
    wild = History(loss=np.r_[np.linspace(2.0, 3.0, 20), np.logspace(1, 270, 20)], label="wild")
    fig = plots.plot_training_curves({"calm": calm, "wild": wild}, smooth=1)
    top = fig.axes[0].get_ylim()[1]
    assert top <= 100 * 3.0  # 100x the largest early loss, not 1e270
    assert top >= 2.0
    plt.close(fig)


def test_zero_loss_is_drawn_at_the_floor_not_left_out():
    from vanishing.train import History

    loss = np.r_[np.linspace(1.0, 0.01, 50), np.zeros(50)]
    fig = plots.plot_training_curves(History(loss=loss, label="fits"), smooth=1)
    ax = fig.axes[0]
    y = ax.lines[0].get_ydata()
    assert np.all(np.isfinite(y)) and y.min() == plots.LOSS_FLOOR
    assert "1e-07" in ax.get_ylabel()
    plt.close(fig)
