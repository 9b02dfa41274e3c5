"""Numbers printed in the lecture notes, typed in once for the tests to compare against.

The demo volumes are printed in the notes as depth slices ``x[:, :, d]``; here
they are stored NCHW, so slice ``d`` of the notes is channel ``c = d``.
"""

import numpy as np

# Input volume 5x5x3 (the notes print it already padded; these are the inner 5x5).
DEMO_X = np.array(
    [
        [
            [[0, 0, 0, 1, 2], [2, 2, 0, 0, 2], [1, 2, 2, 2, 1], [1, 0, 0, 2, 1], [2, 0, 2, 0, 0]],
            [[0, 0, 2, 2, 2], [0, 2, 2, 2, 0], [1, 1, 1, 1, 1], [1, 1, 1, 2, 0], [1, 1, 1, 2, 2]],
            [[2, 1, 1, 1, 1], [1, 2, 2, 0, 0], [1, 0, 2, 1, 1], [1, 1, 0, 1, 1], [1, 2, 0, 1, 1]],
        ]
    ]
)
DEMO_W = np.array(
    [
        [
            [[0, 1, 0], [1, 0, -1], [1, -1, -1]],
            [[1, 1, 1], [1, 1, -1], [1, 0, 1]],
            [[0, 0, 1], [1, 0, 0], [1, 1, -1]],
        ],
        [
            [[1, -1, -1], [-1, -1, -1], [1, 1, -1]],
            [[0, 0, 1], [1, 0, -1], [-1, 1, -1]],
            [[-1, -1, 0], [-1, 1, -1], [1, -1, -1]],
        ],
    ]
)
DEMO_B = np.array([1, 0])
DEMO_PARAM = {"stride": 2, "pad": 1}
DEMO_OUT = np.array(
    [
        [
            [[-2, 11, 7], [5, 9, 15], [5, 8, 9]],
            [[-4, -4, -1], [-7, -9, -3], [-5, -7, 1]],
        ]
    ]
)
