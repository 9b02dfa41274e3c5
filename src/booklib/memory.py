"""How much memory a network needs: the notes' three sources, estimated from a layer list.

- activations: when training, every layer's output, kept for the backward
  pass, plus a gradient of the same size; at inference only the input and
  output of the layer being computed, so the largest consecutive pair;
- parameters: weights and biases, their gradients, and the optimizer's step
  cache (momentum, Adagrad, RMSProp keep one more copy): about 3 copies;
- miscellaneous: the input batch itself (and any augmented copy of it).

Sizes are converted to bytes at 4 bytes a value (float32) unless told
otherwise, then to KiB, MiB, GiB by dividing by 1024, as the notes do.
"""

from __future__ import annotations

from dataclasses import dataclass

from booklib.architectures import Layer, walk

UNITS = ("bytes", "KiB", "MiB", "GiB", "TiB")


def human_bytes(n: float) -> str:
    """``n`` bytes in the largest binary unit that keeps the number at least 1."""
    value, unit = float(n), 0
    while value >= 1024 and unit < len(UNITS) - 1:
        value /= 1024
        unit += 1
    return f"{value:.3g} {UNITS[unit]}" if unit else f"{int(value)} bytes"


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes needed by each source; ``total`` is their sum."""

    activations: int
    parameters: int
    misc: int

    @property
    def total(self) -> int:
        return self.activations + self.parameters + self.misc

    def summary(self) -> str:
        return (
            f"activations {human_bytes(self.activations)}, parameters "
            f"{human_bytes(self.parameters)}, misc {human_bytes(self.misc)}: total "
            f"{human_bytes(self.total)}"
        )


def estimate_memory(
    layers: list[Layer],
    input_shape: tuple[int, int, int],
    batch_size: int = 1,
    bytes_per_value: int = 4,
    training: bool = True,
    parameter_copies: int = 3,
    augmented_copies: int = 1,
) -> MemoryEstimate:
    """Estimate the memory of running ``layers`` on a batch of ``input_shape`` (H, W, D) images.

    Parameters
    ----------
    training : bool
        With ``True``, every activation is kept and has a gradient of the same
        size, and the parameters are held ``parameter_copies`` times (values,
        gradients, step cache). With ``False`` (inference), parameters are held
        once and only the layer being computed has its input and output in
        memory: the activations are the largest consecutive pair of layer
        outputs (the image itself is counted under ``misc``).
    augmented_copies : int
        Extra copies of the input batch kept around (e.g. an augmented version).

    Raises
    ------
    ValueError
        If ``batch_size`` or ``bytes_per_value`` is not positive, or a layer does not fit.
    """
    if batch_size < 1 or bytes_per_value < 1:
        raise ValueError(
            f"batch_size ({batch_size}) and bytes_per_value ({bytes_per_value}) must be positive"
        )
    rows = walk(layers, input_shape)
    outputs = [r.activations for r in rows[1:]]  # the input counts as misc below
    if training:
        per_image = 2 * sum(outputs)  # each value and its gradient
    else:
        # computing layer i holds its input (layer i-1's output) and its output
        per_image = max(a + b for a, b in zip([0, *outputs[:-1]], outputs, strict=True))
    params = sum(r.weights + r.biases for r in rows)
    param_copies = parameter_copies if training else 1
    return MemoryEstimate(
        activations=per_image * batch_size * bytes_per_value,
        parameters=params * param_copies * bytes_per_value,
        misc=rows[0].activations * batch_size * (1 + augmented_copies) * bytes_per_value,
    )


def largest_batch(
    layers: list[Layer], input_shape: tuple[int, int, int], budget_bytes: int, **options
) -> int:
    """The largest batch size whose estimate fits in ``budget_bytes`` (0 if none does)."""
    fixed = estimate_memory(layers, input_shape, 1, **options)
    per_image = fixed.activations + fixed.misc
    if fixed.parameters + per_image > budget_bytes:
        return 0
    return int((budget_bytes - fixed.parameters) // per_image)
