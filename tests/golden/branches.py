import math

import numpy as np


def branches(x, a):
    """Primal of 'branches' (normalized)."""
    # branches:22  if x > a:
    _c1 = x > a
    if _c1:
        # branches:23  y = x * x
        y = x * x
    else:
        # branches:24  elif x < -a:
        _t2 = -a
        _c3 = x < _t2
        if _c3:
            # branches:25  y = -x
            y = -x
        else:
            # branches:27  y = math.exp(x)
            y = math.exp(x)
    # branches:28  return y * a
    _t4 = y * a
    return _t4


def branches_grad(x, a):
    """Value and gradient of 'branches' with respect to x."""
    # Plan:
    #   stored: nothing (every value the reverse sweep reads is still live when it is read)
    # -- forward sweep
    # branches:22  if x > a:
    _c1 = x > a
    if _c1:
        # branches:23  y = x * x
        y = x * x
    else:
        # branches:24  elif x < -a:
        _t2 = -a
        _c3 = x < _t2
        if _c3:
            # branches:25  y = -x
            y = -x
        else:
            # branches:27  y = math.exp(x)
            y = math.exp(x)
    # branches:28  return y * a
    _t4 = y * a
    # -- reverse sweep
    # branches:21  def branches(x, a):
    dx = 0.0
    dy = 0.0
    _dt4 = 1.0
    # branches:28  return y * a
    dy += _dt4 * a
    # branches:22  if x > a:
    if _c1:
        # branches:23  y = x * x
        dx += dy * 2.0 * x
    else:
        # branches:25  y = -x
        dx_then = dx + -dy
        # branches:27  y = math.exp(x)
        dx_else = dx + dy * y
        # branches:24  elif x < -a:
        dx = dx_then if _c3 else dx_else
    # -- result
    # branches:28  return y * a
    return _t4, (dx,)
