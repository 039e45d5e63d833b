"""The experiments the notebooks show and the tests assert, one module per notebook.

Each function runs one experiment at a size set by its arguments and returns plain numbers
(arrays, dicts, :class:`vanishing.train.History`), so that a notebook can plot them and a test
can assert the paper's claim on the very same code.

Notebooks 01-09: :mod:`.saturating`, :mod:`.weight_scale`, :mod:`.slow_training`,
:mod:`.relu`, :mod:`.init_scaling`, :mod:`.batchnorm`, :mod:`.residual`, :mod:`.exploding`,
:mod:`.capstone` (with :mod:`.diagnosis`, the rules of a diagnosis). :mod:`.protocol` holds
what several share: the training protocol of notebooks 03-07 and the named random streams.
"""
