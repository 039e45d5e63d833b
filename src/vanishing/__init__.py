r"""Vanishing Gradients: the helper package of the course.

A small numpy library with explicit backward passes, so that every gradient in the course
can be looked at, checked and plotted.

Modules
-------
functional   activations and their derivatives; ``norm``, the one Euclidean norm of an array
init         initialisers ``f(shape, gain=1.0, rng=None, dtype=np.float64)``, shape
             ``(fan_in, fan_out)``
nn           ``Module``, ``Linear``, activations, ``BatchNorm1d``, ``Residual``,
             ``Sequential``, ``mlp``
losses       ``softmax_cross_entropy``, ``mse``: each returns ``(loss, dpred)``;
             ``as_targets`` shapes labels for a loss
optim        ``SGD``, ``Adam``, ``clip_grad_norm``
data         ``two_spirals``, ``moons``, ``circles`` (made in code, never downloaded)
gradcheck    centred-difference gradients, relative error, ``check_module``
telemetry, train, plots, widgets, grading, doctor

Naming glossary (used everywhere in the package, the notebooks and the tests)
-----------------------------------------------------------------------------
=======================  ====================================================================
``x``, ``y``             a layer's input ``(N, D_in)`` and output ``(N, D_out)``
``W``, ``b``             weights ``(fan_in, fan_out)`` and bias ``(fan_out,)``: ``y = x @ W + b``
``dout``                 gradient of the loss w.r.t. a layer's output, shape of ``y``
``dx``, ``dW``, ``db``   gradients w.r.t. ``x``, ``W``, ``b`` (same shapes as those)
``N``, ``D``, ``C``      batch size, number of features, number of classes
``L``                    depth (number of layers)
``fan_in``, ``fan_out``  inputs and outputs of a layer (``W.shape``)
``gain``                 scale factor applied by an initialiser
``gamma``, ``beta``      batch norm's learned scale and shift
``running_mean``,        batch norm's buffers: statistics used in eval mode
``running_var``
``eps``                  finite-difference step (gradcheck) or variance guard (batch norm)
``lr``                   learning rate
``rng``                  a ``numpy.random.Generator``, always passed in, never global
``params``, ``grads``    dicts of arrays by name, one gradient per parameter
``input``, ``output``    what a module's last ``forward`` took and returned (however it was
                         called); telemetry and the doctor read them
``linear_layers``        ``nn.linear_layers(model)``: the ``Linear`` modules;
                         ``telemetry.named_linear_layers(model)``: ``(dotted name, Linear)``
``dead``                 ``telemetry.dead_fraction``: units never positive on the batch
                         (max <= 0); ``experiments.relu.zero_unit_fraction``: units exactly
                         0 for every example (notebook 04's ``dead_fraction`` exercise)
=======================  ====================================================================
"""

__version__ = "0.1.0"
