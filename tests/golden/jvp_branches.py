import math

import numpy as np


def branches_jvp(x, a, x_dot, a_dot):
    """Value and Jacobian-vector product of 'branches' along tangents of x, a."""
    # branches:22  if x > a:
    _c1 = x > a
    if _c1:
        # branches:23  y = x * x
        y = x * x
        y_dot = x_dot * x + x * x_dot
    else:
        # branches:24  elif x < -a:
        _t2 = -a
        _c3 = x < _t2
        if _c3:
            # branches:25  y = -x
            y = -x
            y_dot = -x_dot
        else:
            # branches:27  y = math.exp(x)
            y = math.exp(x)
            y_dot = y * x_dot
    # branches:28  return y * a
    _t4 = y * a
    _t4_dot = y_dot * a + y * a_dot
    return _t4, _t4_dot
