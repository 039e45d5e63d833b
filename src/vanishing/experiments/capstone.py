r"""Notebook 09, the capstone: broken networks ("patients") to diagnose and fix.

Every patient is a multilayer perceptron, 2 inputs, 10 hidden layers of 32 units, 2 outputs,
trained with plain SGD on the two-spirals data. Each fails for one reason the course taught.
The learner gets a patient as its **model and its training History, not its settings**:
what is wrong has to be read from the evidence (weights, gradients by depth, dead units, the
step at which the loss turns ``nan``). Four of the five patients are ReLU networks of the same
shape; they look alike on the surface and fail for different reasons.

::

    p = admit("A")                  # the patient as admitted: untrained model and data
    hist = p.train()                # train it as prescribed: it fails
    p.examine()                     # the doctor's report (with the History once trained)
    trial("A", {"activation": "relu", "init": "he_normal"}).passed

A **diagnosis** is a dict: ``"cause"`` (one of :data:`CAUSES`) and the evidence that cause
needs (:data:`EVIDENCE`), measured on the patient as :data:`EVIDENCE_RULES` says; the
evidence must meet the cause's rule (:func:`rule_holds`). The notebook's tests compare each
number with what the patient's own model and History show.

A **fix** is a dict of settings (:data:`FIXABLE`) that replaces the patient's own for those
keys; the architecture, the data and the step budget stay. It cures when the treated run
reaches :data:`TARGET_ACC` after :data:`STEPS` steps on at least :data:`K_SEEDS` of
:data:`N_SEEDS` seeds (:func:`trial`).

Fix keys
--------
``activation`` (name in :data:`vanishing.nn.ACTIVATION_MODULES`) and ``alpha`` (the
negative-side parameter of ``"leaky_relu"`` / ``"elu"``); ``init`` (name in
:data:`vanishing.init.INITIALISERS`) and ``gain`` (> 0; the std for ``"normal"``): ``init``
re-draws every weight matrix, with ``gain`` 1.0 unless the fix gives one, and ``gain`` is
only accepted together with ``init`` (the patient's initialiser is not on show); ``bias``
(the initial bias of every hidden layer, replacing the patient's); ``batchnorm``,
``residual`` (bool); ``optimizer`` (``"sgd"`` or ``"adam"``); ``lr`` (> 0); ``clip``
(global gradient-norm clip, ``None`` for none).

About 410 lines: the diagnosis rules live in :mod:`.diagnosis`; ``__all__`` re-exports them,
because notebook 09 and its checks reach the whole capstone through this one module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import data, doctor, init, nn
from ..train import History
from .diagnosis import (  # the rules of a diagnosis, with the patients they judge
    CAUSES,
    DEAD_MIN,
    EVIDENCE,
    EVIDENCE_RULES,
    GRAD_ORDERS_MIN,
    RULES,
    SATURATING,
    SCALE_HIGH,
    SCALE_LOW,
    SLOPE_FROM_OUTPUT,
    UPDATE_RATIO_LOW,
    check_diagnosis,
    forward_states,
    mlp_scores,
    model_states,
    rule_holds,
)
from .protocol import fit_split, rng_stream

#: The ward and its treatment here; the rules of a diagnosis and the perceptron's forward
#: quantities from :mod:`.diagnosis`, importable from here too.
__all__ = [
    "BATCH_SIZE",
    "CAUSES",
    "DEAD_MIN",
    "EVIDENCE",
    "EVIDENCE_RULES",
    "FIXABLE",
    "GRAD_ORDERS_MIN",
    "HIDDEN_SEEDS",
    "K_SEEDS",
    "N_DATA",
    "N_SEEDS",
    "PATIENTS",
    "PATIENT_BATCH_STREAM",
    "PATIENT_DATA_STREAM",
    "PATIENT_INIT_STREAM",
    "RULES",
    "SATURATING",
    "SCALE_HIGH",
    "SCALE_LOW",
    "SLOPE_FROM_OUTPUT",
    "STEPS",
    "TARGET_ACC",
    "UPDATE_RATIO_LOW",
    "VISIBLE_SEEDS",
    "Patient",
    "Trial",
    "admit",
    "check_diagnosis",
    "check_fix",
    "cured",
    "forward_states",
    "mlp_scores",
    "model_states",
    "patient_data",
    "rule_holds",
    "treat",
    "trial",
]

#: Settings a fix may change.
FIXABLE: tuple[str, ...] = (
    "activation",
    "alpha",
    "init",
    "gain",
    "bias",
    "batchnorm",
    "residual",
    "optimizer",
    "lr",
    "clip",
)

#: Training steps every patient gets (mini-batches of :data:`BATCH_SIZE`).
STEPS = 600
BATCH_SIZE = 64
#: Examples of two-spirals data per patient (80 % training, 20 % validation).
N_DATA = 600
#: Stream ids (:func:`~.protocol.rng_stream`) of a patient's seed: its data and their split,
#: its weights (as admitted, and as re-built by a fix), and its batch order.
PATIENT_DATA_STREAM, PATIENT_INIT_STREAM, PATIENT_BATCH_STREAM = 9, 1, 2
#: A treated run is cured when its validation accuracy after STEPS steps is at least this.
#: Measured over seeds 0-9 x OpenBLAS kernels Haswell, SkylakeX, Sandybridge, Zen
#: (bench/CAPSTONE-MARGINS.md): the reference fixes 1.000 on every run; the valid
#: alternatives >= 0.975 (margin 0.125) except one batch-norm run at 0.867; the untreated
#: patients <= 0.54 or nan. Cured networks sit near 1.0 and broken ones near chance (0.5),
#: so the target sits in the wide gap between them.
TARGET_ACC = 0.85
#: A fix passes when it cures at least K_SEEDS of N_SEEDS seeds (visible test: seeds 0-4;
#: hidden test: seeds 5-9). Measured: every reference fix and valid alternative cures 5 of 5
#: in both blocks on every kernel, so one unlucky seed (or a kernel flipping a marginal run)
#: cannot fail it; every named wrong fix and untreated patient cures at most 2 of 5 in a
#: block on any kernel (1 of 5 for all but one), so it needs 2 more lucky seeds to pass.
N_SEEDS = 5
K_SEEDS = 4
VISIBLE_SEEDS: tuple[int, ...] = tuple(range(N_SEEDS))
HIDDEN_SEEDS: tuple[int, ...] = tuple(range(N_SEEDS, 2 * N_SEEDS))

_BASE: dict[str, Any] = {
    "depth": 10,
    "width": 32,
    "activation": "relu",
    "alpha": None,
    "init": "he_normal",
    "gain": 1.0,
    "bias": 0.0,
    "bias_at": {},
    "batchnorm": False,
    "residual": False,
    "optimizer": "sgd",
    "lr": 0.1,
    "clip": None,
}
# The ward. Not on show in the notebook: the patients are examined, not read.
_WARD: dict[str, dict[str, Any]] = {
    "A": {"activation": "sigmoid", "init": "xavier_normal"},
    "B": {"init": "normal", "gain": 1.0},
    "C": {"lr": 1.5},
    "D": {"bias_at": {4: -10.0}},
    "E": {"init": "normal", "gain": 0.05},
}
#: The patients' names.
PATIENTS: tuple[str, ...] = tuple(_WARD)


def _recipe(name: str) -> dict[str, Any]:
    if name not in _WARD:
        raise ValueError(f"unknown patient {name!r}; the patients are {', '.join(PATIENTS)}")
    return {**_BASE, **_WARD[name]}


def _number(key: str, value: Any, positive: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{key} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or (positive and not value > 0):
        raise ValueError(
            f"{key} must be a finite number{' > 0' if positive else ''}, got {value!r}"
        )
    return value


def check_fix(fix: dict[str, Any]) -> dict[str, Any]:
    """Validate a fix; return it with values normalised. A bad key or value is a ValueError."""
    if not isinstance(fix, dict):
        raise TypeError(f"a fix is a dict of settings to change, got {type(fix).__name__}")
    out: dict[str, Any] = {}
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
            value = _number(key, value)
        elif key == "alpha":
            value = _number(key, value, positive=False)
            if value < 0:
                raise ValueError(f"alpha must be >= 0, got {value!r}")
        elif key == "bias":
            value = _number(key, value, positive=False)
        elif key in ("batchnorm", "residual"):
            if not isinstance(value, bool):
                raise ValueError(f"{key} must be True or False, got {value!r}")
        elif key == "optimizer":
            if value not in ("sgd", "adam"):
                raise ValueError(f"optimizer must be 'sgd' or 'adam', got {value!r}")
        elif key == "clip" and value is not None:
            value = _number(key, value)
        out[key] = value
    if "gain" in out and "init" not in out:
        raise ValueError(
            "give 'init' together with 'gain': a gain multiplies an initialiser, and the "
            "patient's own initialiser is not on show"
        )
    if "alpha" in out and out.get("activation") not in ("leaky_relu", "elu"):
        raise ValueError("'alpha' goes with activation 'leaky_relu' or 'elu' in the same fix")
    return out


def _apply(recipe: dict[str, Any], fix: dict[str, Any]) -> dict[str, Any]:
    s = {**recipe, **fix}
    if "init" in fix and "gain" not in fix:
        s["gain"] = 1.0  # a new initialiser starts at its own scale
    if "bias" in fix:
        s["bias_at"] = {}
    if "activation" in fix and "alpha" not in fix:
        s["alpha"] = None
    return s


def patient_data(seed: int = 0):
    """``(X_train, y_train, X_val, y_val)``: 480 + 120 two-spirals points for ``seed``."""
    rng = rng_stream(seed, PATIENT_DATA_STREAM)
    X, y = data.two_spirals(N_DATA, rng=rng)
    return data.train_val_split(X, y, val_fraction=0.2, rng=rng)


def _build(s: dict[str, Any], seed: int) -> nn.Sequential:
    rng = rng_stream(seed, PATIENT_INIT_STREAM)
    kwargs = {} if s["alpha"] is None else {"alpha": s["alpha"]}
    model = nn.mlp(
        [2] + [s["width"]] * s["depth"] + [2],
        s["activation"],
        init=s["init"],
        batchnorm=s["batchnorm"],
        residual=s["residual"],
        rng=rng,
        gain=s["gain"],
        activation_kwargs=kwargs,
    )
    hidden = nn.linear_layers(model)[:-1]
    for k, layer in enumerate(hidden, start=1):
        layer.params["b"][:] = s["bias_at"].get(k, s["bias"])
    return model


def _fit(model, s, d, steps, telemetry, telemetry_every, progress, label, eval_every) -> History:
    return fit_split(
        model,
        (d.X, d.y, d.X_val, d.y_val),
        optimizer=s["optimizer"],
        lr=s["lr"],
        steps=steps,
        batch_size=BATCH_SIZE,
        seed=d.seed,
        stream=PATIENT_BATCH_STREAM,
        eval_every=eval_every,
        telemetry=telemetry,
        telemetry_every=telemetry_every,
        progress=progress,
        clip=s["clip"],
        label=label,
        warn_on_nan=False,  # a patient may diverge: History.nan_step shows it
    )


@dataclass
class Patient:
    """A patient as admitted: its name, untrained model and data (no settings)."""

    name: str
    model: nn.Sequential
    X: np.ndarray
    y: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    seed: int = 0
    history: History | None = field(default=None, repr=False)

    def train(
        self, steps: int = STEPS, telemetry_every: int = 10, progress: bool = True
    ) -> History:
        """Train the model as prescribed (its own, hidden, settings), recording telemetry
        every ``telemetry_every`` steps from step 0. The History is also kept in
        ``history``; its ``lr`` is ``nan`` (the prescription is not on show)."""
        h = _fit(
            self.model,
            _recipe(self.name),
            self,
            steps,
            True,
            telemetry_every,
            progress,
            label=f"patient {self.name}",
            eval_every=None,
        )
        h.lr = float("nan")
        self.history = h
        return h

    def examine(self, n: int = 256) -> doctor.Report:
        """The doctor's report on the first ``n`` training examples (and on the History,
        once the patient has been trained)."""
        return doctor.diagnose(self.model, self.X[:n], self.y[:n], history=self.history)

    def __repr__(self) -> str:
        L = nn.linear_layers(self.model)
        return (
            f"Patient {self.name}: {len(L) - 1} hidden layers of {L[0].params['W'].shape[1]} "
            f"units, {len(self.X)} training examples"
        )


def admit(name: str, seed: int = 0) -> Patient:
    """Patient ``name`` as built, untrained (``seed`` draws its weights and its data)."""
    X, y, X_val, y_val = patient_data(seed)
    return Patient(name, _build(_recipe(name), seed), X, y, X_val, y_val, seed)


def treat(
    name: str, fix: dict[str, Any], seed: int = 0, steps: int = STEPS, progress: bool = False
) -> History:
    """Train patient ``name`` with ``fix`` applied, telemetry off (fast).

    ``History.final_val_acc`` is the validation accuracy after ``steps`` steps (``nan`` if
    training diverged). ``History.lr`` is ``nan`` unless the fix sets ``lr``.
    """
    fix = check_fix(fix)
    settings = _apply(_recipe(name), fix)
    p = admit(name, seed)
    p.model = _build(settings, seed)
    h = _fit(p.model, settings, p, steps, False, 1, progress, f"patient {name} treated", steps)
    if "lr" not in fix:
        h.lr = float("nan")
    return h


def cured(history: History) -> bool:
    """Whether a treated run reached :data:`TARGET_ACC` without diverging."""
    return not history.diverged and history.final_val_acc >= TARGET_ACC


@dataclass
class Trial:
    """A fix tried on several seeds: the validation accuracy per seed (``nan``: diverged)."""

    name: str
    fix: dict[str, Any]
    seeds: tuple[int, ...]
    accuracy: tuple[float, ...]
    k: int = K_SEEDS

    @property
    def n_cured(self) -> int:
        return sum(1 for a in self.accuracy if np.isfinite(a) and a >= TARGET_ACC)

    @property
    def passed(self) -> bool:
        return self.n_cured >= self.k

    def __str__(self) -> str:
        per = ", ".join(
            f"seed {s}: " + ("diverged" if not np.isfinite(a) else f"{a:.2f}")
            for s, a in zip(self.seeds, self.accuracy, strict=True)
        )
        verdict = "cures" if self.passed else "does not cure"
        return (
            f"patient {self.name} with {self.fix}: {verdict} ({self.n_cured} of "
            f"{len(self.seeds)} seeds reach {TARGET_ACC}, {self.k} needed): {per}"
        )

    __repr__ = __str__


def trial(
    name: str, fix: dict[str, Any], seeds=VISIBLE_SEEDS, k: int = K_SEEDS, steps: int = STEPS
) -> Trial:
    """Treat patient ``name`` with ``fix`` on every seed in ``seeds``; ``passed`` when at
    least ``k`` runs reach :data:`TARGET_ACC` (a diverged run counts as not cured)."""
    fix = check_fix(fix)
    accs = []
    for s in seeds:
        h = treat(name, fix, seed=int(s), steps=steps)
        accs.append(float("nan") if h.diverged else h.final_val_acc)
    return Trial(name, dict(fix), tuple(int(s) for s in seeds), tuple(accs), k)
