r"""Notebook 09, the capstone: broken networks ("patients") to diagnose and fix.

Each patient is a multilayer perceptron trained on the two-spirals data with settings that
make it fail for one reason the course taught. The notebook does not say which; the learner
examines each with :mod:`vanishing.telemetry` and :mod:`vanishing.doctor`, names the cause
from :data:`CAUSES` and proposes a *fix*: a dict of settings that replaces some of the
patient's (:data:`FIXABLE`). The architecture (depth, width), the data and the step budget
stay as they are: a fix must make *this* network train, not swap it for a shallower one.

::

    p = admit("A", seed=0)          # the patient: model, data, settings
    hist = p.train()                # train as prescribed: it fails
    report = p.examine()            # the doctor's report on a training batch
    hist = treat("A", {"activation": "relu", "init": "he_normal"}, seed=0)
    hist.final_val_acc >= TARGET_ACC

Settings
--------
``activation`` (name in :data:`vanishing.nn.ACTIVATION_MODULES`), ``init`` (name in
:data:`vanishing.init.INITIALISERS`), ``gain`` (> 0; the std for ``"normal"``), ``bias``
(initial value of every hidden layer's bias), ``batchnorm`` and ``residual`` (bool),
``optimizer`` (``"sgd"`` or ``"adam"``), ``lr`` (> 0), ``clip`` (global gradient-norm clip,
``None`` for none).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import data, doctor, init, nn
from ..train import History, fit

#: The causes a diagnosis may name (the notebook lists them; not every one has a patient).
CAUSES: tuple[str, ...] = (
    "saturating_activation",
    "weights_too_small",
    "weights_too_large",
    "learning_rate_too_high",
    "learning_rate_too_low",
    "dead_relus",
)

#: Settings a fix may change.
FIXABLE: tuple[str, ...] = (
    "activation",
    "init",
    "gain",
    "bias",
    "batchnorm",
    "residual",
    "optimizer",
    "lr",
    "clip",
)

#: Validation accuracy a fixed patient must reach within its step budget.
TARGET_ACC = 0.85
#: Training steps every patient gets (mini-batches of :data:`BATCH_SIZE`).
STEPS = 800
BATCH_SIZE = 64
#: Examples of two-spirals data per patient (80 % training, 20 % validation).
N_DATA = 600

_DEFAULTS: dict[str, Any] = {
    "activation": "relu",
    "init": "he_normal",
    "gain": 1.0,
    "bias": 0.0,
    "batchnorm": False,
    "residual": False,
    "optimizer": "sgd",
    "lr": 0.1,
    "clip": None,
}

#: The patients' charts: architecture and the settings they were trained with.
PATIENTS: dict[str, dict[str, Any]] = {
    "A": {"depth": 12, "width": 32, "activation": "sigmoid", "init": "xavier_normal"},
    "B": {"depth": 10, "width": 32, "init": "normal", "gain": 1.0, "lr": 0.05},
    "C": {"depth": 8, "width": 32, "lr": 2.0},
    "D": {"depth": 6, "width": 32, "bias": -4.0},
    "E": {"depth": 10, "width": 32, "init": "normal", "gain": 0.05},
}


def chart(name: str) -> dict[str, Any]:
    """The full settings of patient ``name`` (architecture plus every training setting)."""
    if name not in PATIENTS:
        raise ValueError(f"unknown patient {name!r}; the patients are {', '.join(PATIENTS)}")
    return {**_DEFAULTS, **PATIENTS[name]}


def check_fix(fix: dict[str, Any]) -> dict[str, Any]:
    """Validate a fix; return it with values normalised. A bad key or value is a ValueError."""
    if not isinstance(fix, dict):
        raise TypeError(f"a fix is a dict of settings to change, got {type(fix).__name__}")
    out = {}
    for key, value in fix.items():
        if key not in FIXABLE:
            raise ValueError(
                f"cannot change {key!r}: a fix may change only "
                f"{', '.join(FIXABLE)} (depth, width, data and steps stay)"
            )
        if key == "activation":
            nn.make_activation(value)
        elif key == "init":
            init.get(value)
        elif key in ("gain", "lr"):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
                raise ValueError(f"{key} must be a number > 0, got {value!r}")
            value = float(value)
        elif key == "bias":
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise ValueError(f"bias must be a number, got {value!r}")
            value = float(value)
        elif key in ("batchnorm", "residual"):
            if not isinstance(value, bool):
                raise ValueError(f"{key} must be True or False, got {value!r}")
        elif key == "optimizer":
            if value not in ("sgd", "adam"):
                raise ValueError(f"optimizer must be 'sgd' or 'adam', got {value!r}")
        elif key == "clip" and value is not None:
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
                raise ValueError(f"clip must be a number > 0 or None, got {value!r}")
            value = float(value)
        out[key] = value
    return out


def patient_data(seed: int = 0):
    """``(X_train, y_train, X_val, y_val)``: two spirals, the same for every patient."""
    rng = np.random.default_rng([seed, 9])
    X, y = data.two_spirals(N_DATA, rng=rng)
    return data.train_val_split(X, y, val_fraction=0.2, rng=rng)


def build(settings: dict[str, Any], seed: int = 0) -> nn.Sequential:
    """The network a chart describes: ``depth`` hidden layers of ``width`` units, 2 in, 2 out."""
    s = settings
    rng = np.random.default_rng([seed, 1])
    model = nn.mlp(
        [2] + [s["width"]] * s["depth"] + [2],
        s["activation"],
        init=s["init"],
        batchnorm=s["batchnorm"],
        residual=s["residual"],
        rng=rng,
        gain=s["gain"],
    )
    for layer in nn.linear_layers(model)[:-1]:
        layer.params["b"][:] = s["bias"]
    return model


@dataclass
class Patient:
    """A patient: its name, model (untrained), data and settings."""

    name: str
    model: nn.Sequential
    settings: dict[str, Any]
    X: np.ndarray
    y: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    seed: int = 0
    history: History | None = field(default=None, repr=False)

    def train(
        self,
        steps: int = STEPS,
        telemetry: bool = True,
        telemetry_every: int = 10,
        progress: bool = True,
    ) -> History:
        """Train the model with its own settings; the History is also kept in ``history``."""
        self.history = _fit(
            self.model,
            self.settings,
            self,
            steps,
            telemetry,
            telemetry_every,
            progress,
            label=f"patient {self.name}",
            eval_every=None,
        )
        return self.history

    def examine(self, n: int = 256) -> doctor.Report:
        """The doctor's report on the first ``n`` training examples (and the History, if
        the patient has been trained)."""
        s = self.settings
        return doctor.diagnose(
            self.model,
            self.X[:n],
            self.y[:n],
            history=self.history,
            lr=None if self.history is not None else s["lr"],
        )

    def __repr__(self) -> str:
        return (
            f"Patient {self.name}: {self.settings['depth']} hidden layers of "
            f"{self.settings['width']} units, {len(self.X)} training examples"
        )


def admit(name: str, seed: int = 0) -> Patient:
    """Patient ``name`` as built, untrained."""
    settings = chart(name)
    X, y, X_val, y_val = patient_data(seed)
    return Patient(name, build(settings, seed), settings, X, y, X_val, y_val, seed)


def _fit(
    model, s, d, steps, telemetry, telemetry_every, progress, label, eval_every: int | None
) -> History:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a diverging run warns once
        return fit(
            model,
            d.X,
            d.y,
            optimizer=s["optimizer"],
            lr=s["lr"],
            steps=steps,
            batch_size=BATCH_SIZE,
            rng=np.random.default_rng([d.seed, 2]),
            X_val=d.X_val,
            y_val=d.y_val,
            eval_every=eval_every,
            telemetry=telemetry,
            telemetry_every=telemetry_every,
            progress=progress,
            clip=s["clip"],
            label=label,
        )


def treat(
    name: str, fix: dict[str, Any], seed: int = 0, steps: int = STEPS, progress: bool = False
) -> History:
    """Train patient ``name`` with ``fix`` applied to its settings; telemetry off (fast).

    ``History.final_val_acc`` is the validation accuracy after ``steps`` steps (``nan`` if
    training diverged).
    """
    settings = {**chart(name), **check_fix(fix)}
    p = admit(name, seed)
    p.settings, p.model = settings, build(settings, seed)
    label = f"patient {name} treated"
    return _fit(p.model, settings, p, steps, False, 1, progress, label, eval_every=steps)


def cured(history: History) -> bool:
    """Whether a treated run reached :data:`TARGET_ACC` without diverging."""
    return not history.diverged and history.final_val_acc >= TARGET_ACC


def plot_patient(history: History, title: str | None = None):
    """Three panels from a patient's training History: the loss, the weight-gradient norm by
    depth at the first and the last recorded step, and the dead / saturated fraction of each
    activation layer at the last recorded step."""
    import matplotlib.pyplot as plt

    from ..plots import OKABE_ITO, model_colour

    fig, (ax_l, ax_g, ax_a) = plt.subplots(1, 3, figsize=(13, 3.8), layout="constrained")
    loss = np.asarray(history.loss, dtype=np.float64)
    shown = np.where(np.isfinite(loss) & (loss > 0) & (loss < 1e6), loss, np.nan)
    ax_l.plot(np.arange(len(loss)), shown, color=model_colour(0))
    if np.any(np.isfinite(loss) & (loss >= 1e6)):
        ax_l.annotate(
            "loss shoots off the chart",
            xy=(0.3, 0.97),
            xycoords="axes fraction",
            va="top",
            fontsize="small",
            color=model_colour(0),
        )
    if history.nan_step is not None:
        ax_l.axvline(
            history.nan_step,
            color=OKABE_ITO[6],
            ls=":",
            label=f"loss is nan at step {history.nan_step}",
        )
        ax_l.legend(fontsize="small")
    ax_l.set(
        yscale="log",
        xlabel="training step",
        ylabel="training loss (log scale)",
        title=f"Loss (val acc {history.final_val_acc:.2f})",
    )
    G = np.asarray(history.grad_norm, dtype=np.float64)
    layers = np.arange(1, G.shape[1] + 1)
    rows = [(0, "first record")] + ([(len(G) - 1, "last record")] if len(G) > 1 else [])
    for k, (r, lab) in enumerate(rows):
        g = G[r]
        shown = np.where(np.isfinite(g) & (g > 0) & (g < 1e100), g, np.nan)
        zero = " - all exactly 0" if np.all(g == 0) else ""
        ax_g.plot(
            layers,
            shown,
            marker="o",
            ms=3,
            color=model_colour(k),
            ls=("-", "--")[k],
            label=f"{lab} (step {int(history.telemetry_steps[r])}){zero}",
        )
    ax_g.set_xlim(0.5, len(layers) + 0.5)
    if not np.any(np.isfinite(G) & (G > 0)):
        ax_g.set_yscale("log")
        ax_g.set_ylim(1e-3, 1.0)  # nothing to draw on a log axis: give it a range
    if np.all(G == 0):
        ax_g.text(
            0.5,
            0.5,
            "every weight gradient\nis exactly 0",
            transform=ax_g.transAxes,
            ha="center",
            va="center",
        )
    ax_g.set(
        yscale="log",
        xlabel="Linear layer (1 = input side)",
        ylabel=r"$\|\partial L/\partial W\|_F$ (log scale)",
        title="Gradient norm by depth",
    )
    ax_g.legend(fontsize="small")
    A = np.arange(1, len(history.act_names) + 1)
    dead, sat = np.asarray(history.dead)[-1], np.asarray(history.saturated)[-1]
    if np.any(np.isfinite(dead)):
        ax_a.bar(A, dead, color=OKABE_ITO[3], label="dead units")
    if np.any(np.isfinite(sat)):
        ax_a.bar(A, sat, color=OKABE_ITO[6], label="saturated outputs")
    ax_a.set(
        ylim=(0, 1.02),
        xlabel="activation layer (1 = input side)",
        ylabel="fraction",
        title="Dead / saturated, last record",
    )
    ax_a.legend(fontsize="small")
    for ax in (ax_l, ax_g, ax_a):
        ax.grid(True, which="major", alpha=0.3)
    fig.suptitle(title or history.label or "patient")
    return fig
