"""Argument checks shared by the package: each error names the argument and what was expected."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def as_float_array(x: Any, name: str = "x") -> np.ndarray:
    """Return ``x`` as a floating-point array, keeping float32/float64; ints become float64."""
    arr = np.asarray(x)
    if arr.dtype.kind in "fc":
        if arr.dtype.kind == "c":
            raise TypeError(f"{name} must be real-valued, got complex dtype {arr.dtype}")
        return arr
    if arr.dtype.kind in "biu":
        return arr.astype(np.float64)
    raise TypeError(f"{name} must be an array of numbers, got dtype {arr.dtype}")


def check_rng(rng: Any, name: str = "rng") -> np.random.Generator:
    """Return a Generator: ``None`` gives a fresh unseeded one; an int seeds one."""
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{name} must be a numpy.random.Generator (e.g. np.random.default_rng(0)), "
        f"an int seed or None, got {type(rng).__name__}"
    )


def check_positive(value: Any, name: str, *, allow_zero: bool = False) -> float:
    """A finite real number > 0 (or >= 0)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    if v < 0 or (v == 0 and not allow_zero):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else '> 0'}, got {v}")
    return v


def check_dtype(dtype: Any, name: str = "dtype") -> np.dtype:
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise ValueError(f"{name} must be float32 or float64, got {dt}")
    return dt


def unknown_name(kind: str, name: Any, valid: list[str]) -> ValueError:
    return ValueError(f"unknown {kind} {name!r}; valid names are: {', '.join(sorted(valid))}")
