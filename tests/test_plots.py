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


# ------------------------------------------------------------------------------------------
# The figures of notebooks 08 and 09 (runs from vanishing.experiments)
# ------------------------------------------------------------------------------------------
SAFE = {to_hex(c) for c in plots.OKABE_ITO} | {to_hex(c) for c in plots.MODEL_COLOURS}


def _line_colours_safe(fig: Figure):
    """Every line and bar is an Okabe–Ito colour or a grey."""
    for ax in fig.axes:
        artists = list(ax.lines) + list(ax.patches)
        for a in artists:
            c = to_hex(a.get_facecolor() if a in ax.patches else a.get_color())
            r, g, b = c[1:3], c[3:5], c[5:7]
            assert c in SAFE or r == g == b, f"{a.get_label()!r} is drawn in {c}"


def _legend_data_overlap(ax) -> int:
    """How many drawn data points of ``ax`` lie under its legend box."""
    fig = ax.figure
    fig.canvas.draw()
    box = ax.get_legend().get_window_extent()
    hits = 0
    for line in ax.lines:
        xy = np.column_stack([line.get_xdata(), line.get_ydata()]).astype(float)
        xy = xy[np.all(np.isfinite(xy), axis=1)]
        if len(xy) == 0 or line.get_label().startswith("_"):
            continue
        px = ax.transData.transform(xy)
        inside = (px[:, 0] >= box.x0) & (px[:, 0] <= box.x1)
        hits += int(np.sum(inside & (px[:, 1] >= box.y0) & (px[:, 1] <= box.y1)))
    return hits


def test_training_curves_loss_legend_covers_no_data(histories):
    fig = plots.plot_training_curves(histories, smooth=1)
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_legend()._loc == 0  # "best": matplotlib moves it off the lines
    assert _legend_data_overlap(loss_ax) == 0
    assert _legend_data_overlap(acc_ax) == 0


def test_plot_norms_draws_the_series_and_the_references():
    a, b = np.geomspace(1.0, 1e3, 20), np.r_[np.geomspace(1.0, 1e-3, 19), 0.0]
    fig = plots.plot_norms({"grows": a, "dies": b}, references={"1": np.ones(20)}, title="t")
    _check_labelled(fig)
    _line_colours_safe(fig)
    (ax,) = fig.axes
    assert ax.get_yscale() == "log"
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), a)
    y = ax.lines[1].get_ydata()
    assert np.isnan(y[-1]) and np.array_equal(y[:-1], b[:-1])  # 0 is left off the log axis
    assert [ln.get_label() for ln in ax.lines] == ["grows", "dies", "1"]
    assert ax.lines[0].get_color() != ax.lines[1].get_color()


def test_chain_explorer_follows_lambda_to_the_t_on_the_linear_chain():
    fig = plots.chain_explorer(0.9, "tanh", T=30)
    _check_labelled(fig)
    _line_colours_safe(fig)
    ax = fig.axes[0]
    lines = {ln.get_label(): np.asarray(ln.get_ydata()) for ln in ax.lines}
    assert set(lines) == {"linear", "tanh", r"$\lambda^t$, $\lambda$ = 0.9"}
    np.testing.assert_allclose(lines["linear"], 0.9 ** np.arange(31), rtol=1e-10)
    assert [ln.get_label() for ln in plots.chain_explorer(1.2, "linear", T=5).axes[0].lines] == [
        "linear",
        r"$\lambda^t$, $\lambda$ = 1.2",
    ]


def test_plot_clipping_two_log_panels_threshold_and_nan_marker():
    from vanishing.experiments import exploding as E

    runs = E.clipping_comparison(steps=30, seed=0)
    fig = plots.plot_clipping(runs)
    _check_labelled(fig)
    _line_colours_safe(fig)
    ax_l, ax_g = fig.axes
    assert ax_l.get_yscale() == ax_g.get_yscale() == "log"
    assert f"clip threshold {E.CLIP:g}" in [ln.get_label() for ln in ax_g.lines]
    diverged = [lab for lab, h in runs.items() if h.nan_step is not None]
    assert diverged == ["no clipping"]
    assert any("loss is nan from step" in ln.get_label() for ln in ax_l.lines)


def test_plot_rnn_clipping_titles_labels_and_legend_off_the_axes():
    from vanishing.experiments import exploding as E

    runs = E.rnn_clipping_comparison(steps=5, seed=0)
    fig = plots.plot_rnn_clipping(runs)
    _check_labelled(fig)
    _line_colours_safe(fig)
    assert fig._suptitle is not None and fig._suptitle.get_text()
    for ax in fig.axes:
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
        assert ax.get_legend() is None  # one legend for the figure, below the panels
    (legend,) = fig.legends
    labels = [t.get_text() for t in legend.get_texts()]
    c = f"{E.RNN_CLIP:g}"
    assert labels == ["no clipping", f"clipped at {c}", "chance, ln 2", f"clip threshold {c}"]


def test_plot_patient_three_panels_from_the_history(histories):
    h = histories["sigmoid"]
    fig = plots.plot_patient(h, title="Patient S")
    _check_labelled(fig)
    _line_colours_safe(fig)
    ax_l, ax_g, ax_a = fig.axes
    assert fig._suptitle.get_text() == "Patient S"
    np.testing.assert_allclose(ax_l.lines[0].get_ydata(), h.loss)
    np.testing.assert_allclose(ax_g.lines[0].get_ydata(), h.grad_norm[0])
    np.testing.assert_allclose(ax_g.lines[1].get_ydata(), h.grad_norm[-1])
    assert ax_g.get_yscale() == "log"
    bars = [p.get_height() for p in ax_a.patches]
    shown = [v for v in (h.dead[0], h.saturated[0]) if np.any(np.isfinite(v))]
    np.testing.assert_allclose(bars, np.concatenate(shown))


def test_the_package_is_split_and_loads_the_notebook_figures_lazily():
    import subprocess
    import sys

    code = (
        "import sys, vanishing.plots as p\n"
        "assert 'vanishing.experiments.exploding' not in sys.modules\n"
        "p.plot_norms; assert 'vanishing.experiments.exploding' in sys.modules\n"
        "assert 'vanishing.plots.capstone' not in sys.modules\n"
        "p.plot_patient\n"
        "try:\n    p.no_such_plot\nexcept AttributeError as e:\n    assert 'no_such_plot' in str(e)\n"
        "else:\n    raise SystemExit('no AttributeError')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    for name in plots.__all__:
        assert getattr(plots, name) is not None
