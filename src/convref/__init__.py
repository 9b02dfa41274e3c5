"""convref: the reference layers of the convolutional-networks course.

Every layer follows one convention: arrays are NCHW (``x[n, c, h, w]``),
``layer_forward(x, ...) -> (out, cache)`` and ``layer_backward(dout, cache)``
returns the gradients. Arrays may be NumPy or CuPy; the output is the same kind
as the input (see :mod:`convref.backend`).

Dtypes: float16/32/64 inputs are kept (mixed inputs are promoted to a common
float type); integer and boolean inputs are converted to float64, so exact
integer examples such as the notes' demo give exact answers; complex, object
and string arrays raise ``TypeError``.

Bad hyperparameters or shapes raise ``ValueError`` (or ``TypeError``/``KeyError``
for wrong types or missing keys) with the offending numbers in the message.
"""

from convref.affine import affine_backward, affine_forward, relu_backward, relu_forward
from convref.conv_fast import conv_backward_im2col, conv_forward_im2col
from convref.conv_naive import conv_backward_naive, conv_forward_naive
from convref.fc_to_conv import (
    convolutionalize,
    crop_scores,
    fc_to_conv,
    score_map,
    shifted_score_map,
)
from convref.im2col import col2im, im2col
from convref.network import net_forward, net_forward_trace, net_stride
from convref.pool_fast import (
    avg_pool_backward,
    avg_pool_forward,
    max_pool_backward_fast,
    max_pool_forward_fast,
)
from convref.pool_naive import max_pool_backward_naive, max_pool_forward_naive
from convref.sizes import conv_output_size, conv_param_count, im2col_shapes

__all__ = [
    "affine_backward",
    "affine_forward",
    "avg_pool_backward",
    "avg_pool_forward",
    "col2im",
    "conv_backward_im2col",
    "conv_backward_naive",
    "conv_forward_im2col",
    "conv_forward_naive",
    "conv_output_size",
    "conv_param_count",
    "convolutionalize",
    "crop_scores",
    "fc_to_conv",
    "im2col",
    "im2col_shapes",
    "max_pool_backward_fast",
    "max_pool_backward_naive",
    "max_pool_forward_fast",
    "max_pool_forward_naive",
    "net_forward",
    "net_forward_trace",
    "net_stride",
    "relu_backward",
    "relu_forward",
    "score_map",
    "shifted_score_map",
]
