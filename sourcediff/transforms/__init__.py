"""The transforms users call, one module each, in layers (a module imports only
modules above it in this list, never one below):

    base.py      Transformed: argument binding, wrt, the per-signature cache of
                 generated code, building with a backend
    reverse.py   Grad, ValueAndGrad: reverse mode of a scalar function
    forward.py   JVP (sd.jvp): forward mode of a function or of a transform
    batched.py   BatchedGrad, BatchedValueAndGrad: one gradient per batch element,
                 or their sum (reduce="sum"); pickled with their generated code;
                 over the chunks of Dask arrays
    higher.py    GradOf, HVP, Hessian, VJPOfGrad (sd.hvp, sd.hessian)
    vjp.py       VJP, Jacobian (sd.vjp, sd.jacobian)
    grad.py      sd.grad, sd.value_and_grad: pick the transform for their argument
    function.py  @sd.function, sd.source, sd.show, sd.checkpoint

``sourcediff.api`` re-exports the public names.
"""
