"""convkit: the student kit of the convolutional-networks course.

Students receive this small package instead of the reference solutions. It holds
what every assignment needs but none of them asks students to write:

- :mod:`convkit.gradcheck` - numerical gradients and relative error;
- :mod:`convkit.plotting` - geometry sketches, activation maps and timing plots;
- :mod:`convkit.images` - a test picture drawn from formulas (no downloads);
- :mod:`convkit.layer_checks` - the checks the assignment notebooks run, built on
  :mod:`convkit.checks` (readable verdicts) and :mod:`convkit.diagnose` (hints
  that name the usual mistakes).

The checking and plotting modules are imported on demand, so ``import convkit``
stays light.
"""

from convkit.gradcheck import (
    eval_numerical_gradient,
    eval_numerical_gradient_array,
    rel_error,
)

__all__ = [
    "eval_numerical_gradient",
    "eval_numerical_gradient_array",
    "rel_error",
]
