"""Checks that the notebooks' test cells run, built on :mod:`vanishing.grading`.

One module per notebook subject, named like the experiment it checks
(``checks.init_scaling`` checks the initialisers of ``experiments.init_scaling``'s notebook).
These are test harness, not science: :mod:`vanishing.experiments` never imports them.
"""
