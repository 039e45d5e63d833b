"""Shared test set-up: draw figures off-screen (no display, no GUI backend)."""

import matplotlib

matplotlib.use("Agg")
