"""The experiments the notebooks show and the tests assert, one module per notebook.

Each function runs one experiment at a size set by its arguments and returns plain numbers
(arrays, dicts, :class:`vanishing.train.History`), so that a notebook can plot them and a test
can assert the paper's claim on the very same code.
"""
