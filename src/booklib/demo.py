"""The notes' convolution demo, as NCHW arrays.

A 5x5x3 input, two 3x3x3 filters, stride 2, zero padding 1, biases 1 and 0.
The notes print each volume as depth slices ``x[:, :, d]``; here slice ``d``
is channel ``d`` (``x[0, d]``), with the printed rows as height and the printed
columns as width. ``NOTES_OUTPUT`` is the 3x3x2 output the notes print, kept
to check the computed one against.
"""

from __future__ import annotations

import numpy as np

STRIDE = 2
PAD = 1
CONV_PARAM = {"stride": STRIDE, "pad": PAD}

# Input (the notes show it padded to 7x7; these are the 5x5 interiors).
X = np.array(
    [
        [
            [[0, 0, 0, 1, 2], [2, 2, 0, 0, 2], [1, 2, 2, 2, 1], [1, 0, 0, 2, 1], [2, 0, 2, 0, 0]],
            [[0, 0, 2, 2, 2], [0, 2, 2, 2, 0], [1, 1, 1, 1, 1], [1, 1, 1, 2, 0], [1, 1, 1, 2, 2]],
            [[2, 1, 1, 1, 1], [1, 2, 2, 0, 0], [1, 0, 2, 1, 1], [1, 1, 0, 1, 1], [1, 2, 0, 1, 1]],
        ]
    ]
)

W = np.array(
    [
        [  # filter W0
            [[0, 1, 0], [1, 0, -1], [1, -1, -1]],
            [[1, 1, 1], [1, 1, -1], [1, 0, 1]],
            [[0, 0, 1], [1, 0, 0], [1, 1, -1]],
        ],
        [  # filter W1
            [[1, -1, -1], [-1, -1, -1], [1, 1, -1]],
            [[0, 0, 1], [1, 0, -1], [-1, 1, -1]],
            [[-1, -1, 0], [-1, 1, -1], [1, -1, -1]],
        ],
    ]
)

B = np.array([1, 0])

NOTES_OUTPUT = np.array(
    [
        [[-2, 11, 7], [5, 9, 15], [5, 8, 9]],
        [[-4, -4, -1], [-7, -9, -3], [-5, -7, 1]],
    ]
)
