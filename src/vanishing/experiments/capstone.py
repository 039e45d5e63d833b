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
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import data, doctor, init, nn
from ..train import History
from .protocol import fit_split, rng_stream

#: The causes a diagnosis may name (not every one has a patient).
CAUSES: tuple[str, ...] = (
    "saturating_activation",
    "weights_too_small",
    "weights_too_large",
    "learning_rate_too_high",
    "learning_rate_too_low",
    "dead_relus",
)

#: The evidence each cause needs, besides ``"cause"`` (keys of the diagnosis dict).
EVIDENCE: dict[str, tuple[str, ...]] = {
    "saturating_activation": ("activation", "grad_orders", "weight_scale"),
    "weights_too_small": ("weight_scale",),
    "weights_too_large": ("weight_scale", "nan_step"),
    "learning_rate_too_high": ("weight_scale", "nan_step"),
    "learning_rate_too_low": ("weight_scale", "update_ratio"),
    "dead_relus": ("dead_layer", "dead_fraction"),
}

#: How each piece of evidence is measured and how closely it must agree with the patient.
#: ``tol`` is absolute for grad_orders / dead_fraction, relative for weight_scale /
#: update_ratio; ints and names must be exact.
EVIDENCE_RULES: dict[str, dict[str, Any]] = {
    "activation": {
        "type": str,
        "tol": None,
        "how": "the name of the hidden layers' activation, as nn.ACTIVATION_MODULES spells it",
    },
    "grad_orders": {
        "type": float,
        # measured (patient A, every kernel): the first record 6.171, a fresh batch of 64, 256
        # or 480 training examples 6.101-6.262, so +-0.3 admits any batch; the rule's
        # threshold (3) is 3 orders away. Identical to 1e-14 across kernels.
        "tol": 0.3,
        "how": "log10(|dL/dW| of the last Linear layer / |dL/dW| of the first) at step 0 "
        "(the first record of the History), Frobenius norms; inf when the first is 0",
    },
    "weight_scale": {
        "type": float,
        # measured: median vs mean over layers, ddof 0/1, root-mean-square, the pooled std,
        # with or without the first layer: within 0.8 % of each other for every patient
        # (bench/CAPSTONE-MARGINS.md); the rule's thresholds are >= 30 % away.
        "tol": 0.05,
        "how": "median over the hidden-to-hidden Linear layers (2 to 10, fan_in 32) of "
        "std(W) * sqrt(fan_in), "
        "for the model as admitted (before training)",
    },
    "nan_step": {
        "type": int,
        "tol": None,
        "how": "History.nan_step of a full run (STEPS steps): the first step whose loss is "
        "not finite (None if there is none)",
    },
    "dead_layer": {
        "type": int,
        "tol": None,
        "how": "the first activation layer (1 = input side) in which at least 90 % of the "
        "units never fire on the batch of step 0 (History.dead, first record)",
    },
    "dead_fraction": {
        "type": float,
        "tol": 0.05,
        "how": "the dead fraction of that layer at step 0",
    },
    "update_ratio": {
        "type": float,
        "tol": 0.1,
        "how": "median over the Linear layers of History.update_ratio at step 0",
    },
}

#: Thresholds of the rules in :func:`rule_holds`.
GRAD_ORDERS_MIN = 3.0  # gradients vanish: the first layer gets 1000x less than the last
SCALE_LOW, SCALE_HIGH = 0.7, 2.8  # half and twice He's sqrt(2)
DEAD_MIN = 0.9
#: 1000x below the rule of thumb 1e-3; an update of exactly 0 stays 0 at any learning rate
UPDATE_RATIO_LOW = 1e-6
SATURATING = ("sigmoid", "tanh")

#: The rule each cause's evidence must meet, in words (the notebook prints them).
RULES: dict[str, str] = {
    "saturating_activation": f"activation is 'sigmoid' or 'tanh', grad_orders >= "
    f"{GRAD_ORDERS_MIN:g} and {SCALE_LOW} <= weight_scale <= {SCALE_HIGH}",
    "weights_too_small": f"weight_scale < {SCALE_LOW}",
    "weights_too_large": f"weight_scale > {SCALE_HIGH}",
    "learning_rate_too_high": f"nan_step is an int and {SCALE_LOW} <= weight_scale <= {SCALE_HIGH}",
    "learning_rate_too_low": f"0 < update_ratio < {UPDATE_RATIO_LOW:g} and {SCALE_LOW} <= "
    f"weight_scale <= {SCALE_HIGH}",
    "dead_relus": f"dead_fraction >= {DEAD_MIN}",
}

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


def check_diagnosis(diagnosis: Any) -> list[str]:
    """What is wrong with the *form* of a diagnosis (empty when it is well formed): a dict
    with ``"cause"`` in :data:`CAUSES` and exactly the evidence keys that cause needs, each
    of its type (an int or ``None`` for ``nan_step``)."""
    if not isinstance(diagnosis, dict):
        return [f"a diagnosis is a dict with 'cause' and evidence, got {type(diagnosis).__name__}"]
    cause = diagnosis.get("cause")
    if cause not in CAUSES:
        return [f"'cause' must be one of {', '.join(CAUSES)}; got {cause!r}"]
    need = set(EVIDENCE[cause])
    have = set(diagnosis) - {"cause"}
    problems = []
    if need - have:
        problems.append(
            f"{cause!r} needs the evidence {', '.join(sorted(need))}; missing "
            f"{', '.join(sorted(need - have))}"
        )
    if have - need:
        problems.append(
            f"{cause!r} takes only the evidence {', '.join(sorted(need))}; remove "
            f"{', '.join(sorted(have - need))}"
        )
    for key in sorted(need & have):
        v, want = diagnosis[key], EVIDENCE_RULES[key]["type"]
        if key == "nan_step" and v is None:
            continue
        if want is str:
            ok = isinstance(v, str)
        elif want is int:
            ok = isinstance(v, (int, np.integer)) and not isinstance(v, bool)
        else:
            ok = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
        if not ok:
            problems.append(f"{key!r} must be {want.__name__}, got {v!r}")
    return problems


def rule_holds(diagnosis: dict[str, Any]) -> bool:
    """Whether a well-formed diagnosis's own evidence meets the rule of its cause
    (:data:`RULES`)."""
    d, cause = diagnosis, diagnosis["cause"]
    if cause == "saturating_activation":
        return (
            d["activation"] in SATURATING
            and d["grad_orders"] >= GRAD_ORDERS_MIN
            and SCALE_LOW <= d["weight_scale"] <= SCALE_HIGH
        )
    if cause == "weights_too_small":
        return d["weight_scale"] < SCALE_LOW
    if cause == "weights_too_large":
        return d["weight_scale"] > SCALE_HIGH
    if cause == "learning_rate_too_high":
        return d["nan_step"] is not None and SCALE_LOW <= d["weight_scale"] <= SCALE_HIGH
    if cause == "learning_rate_too_low":
        return (
            0 < d["update_ratio"] < UPDATE_RATIO_LOW
            and SCALE_LOW <= d["weight_scale"] <= SCALE_HIGH
        )
    if cause == "dead_relus":
        return d["dead_fraction"] >= DEAD_MIN
    raise ValueError(f"unknown cause {cause!r}")


# ------------------------------------------------------------------------------------------
# The forward quantities of a plain perceptron, for the learner's own backward pass
# ------------------------------------------------------------------------------------------
#: The activations whose slope can be read off their output h (``layer_gradients``).
SLOPE_FROM_OUTPUT: tuple[str, ...] = ("relu", "sigmoid", "tanh")


def mlp_scores(Ws, bs, X, activation: str) -> np.ndarray:
    r"""Scores of the plain perceptron with weights ``Ws`` and biases ``bs``:
    :math:`h_0 = X`, :math:`h_l = \phi(h_{l-1} W_l + b_l)` for :math:`l < L` and the scores
    :math:`s = h_{L-1} W_L + b_L` (no activation after the last layer), shape ``(N, n_L)``.
    ``activation`` is a name of :mod:`vanishing.functional` (``"relu"``, ``"sigmoid"``, ...)."""
    return forward_states(Ws, bs, X, activation)["scores"]


def forward_states(Ws, bs, X, activation: str) -> dict[str, Any]:
    r"""The forward quantities of the plain perceptron of :func:`mlp_scores`, as plain data:
    ``{"Ws": [...], "bs": [...], "hs": [...], "scores": s, "activation": name}`` where
    ``hs[l]`` is the input of Linear layer ``l`` (``hs[0]`` is ``X``, ``hs[l]`` =
    :math:`\phi(h_{l-1} W_l + b_l)`), one per weight matrix. Arrays keep their dtype."""
    from .. import functional as F

    Ws, bs = [np.asarray(W) for W in Ws], [np.asarray(b) for b in bs]
    if len(Ws) != len(bs) or not Ws:
        raise ValueError(
            f"forward_states: Ws and bs must be non-empty lists of the same length, got "
            f"{len(Ws)} and {len(bs)}"
        )
    f = F.get(activation)[0]
    h = np.asarray(X)
    hs = []
    for l, (W, b) in enumerate(zip(Ws, bs, strict=True)):
        if h.ndim != 2 or W.ndim != 2 or h.shape[1] != W.shape[0] or b.shape != (W.shape[1],):
            raise ValueError(
                f"forward_states: layer {l}: input {h.shape}, W {W.shape} and b {b.shape} "
                "do not fit (input (N, n_in), W (n_in, n_out), b (n_out,))"
            )
        hs.append(h)
        z = h @ W + b
        h = f(z) if l < len(Ws) - 1 else z
    return {"Ws": Ws, "bs": bs, "hs": hs, "scores": h, "activation": activation}


def model_states(model: nn.Module, X) -> dict[str, Any]:
    """:func:`forward_states` of a plain ``vanishing.nn`` perceptron (Linear layers with one
    activation between them, no batch norm or residual blocks), e.g. a patient's model."""
    linear = nn.linear_layers(model)
    acts = {m.name for m in model.modules() if isinstance(m, nn.Activation)}
    others = [
        type(m).__name__
        for m in model.modules()
        if not isinstance(m, (nn.Linear, nn.Activation, nn.Sequential))
    ]
    if len(acts) != 1 or others:
        raise ValueError(
            "model_states: model must be Linear layers with one activation between them; got "
            f"activations {sorted(acts)} and other modules {others}"
        )
    (act,) = acts
    Ws = [layer.params["W"].copy() for layer in linear]
    bs = [layer.params["b"].copy() for layer in linear]
    return forward_states(Ws, bs, X, act)
