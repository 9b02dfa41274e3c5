"""convkit: the student kit of the convolutional-networks course.

Students receive this small package instead of the reference solutions. It holds
what every assignment needs but none of them asks students to write:

- :mod:`convkit.gradcheck` - numerical gradients and relative error;
- :mod:`convkit.backend` - NumPy by default, CuPy when asked for and available;
- :mod:`convkit.plotting` - filters, activation maps and timing plots.
"""

from convkit.backend import (
    asnumpy,
    backend_name,
    get_array_module,
    get_backend,
)
from convkit.gradcheck import (
    eval_numerical_gradient,
    eval_numerical_gradient_array,
    rel_error,
)

__all__ = [
    "asnumpy",
    "backend_name",
    "eval_numerical_gradient",
    "eval_numerical_gradient_array",
    "get_array_module",
    "get_backend",
    "rel_error",
]
