"""Name the usual mistake behind a wrong answer.

Every function here looks at one well-known mistake and returns a hint that
names it, or None when the wrong answer does not look like that mistake. The
layer checks (:mod:`convkit.layer_checks`) call the ``diagnose_*`` functions,
which try the single diagnoses in turn, only after an answer was found wrong.

None of these functions contains a layer. They recognise a mistake in one of
two ways:

- by rearranging the *expected* answer the way the mistake would (a transpose,
  a reordering of columns, a missing bias), which needs no layer at all;
- by running the *student's own* function again on inputs chosen so that the
  mistake cancels out: a function that flips its filters gives the right
  answer when handed flipped filters, one that forgets to pad gives the right
  answer on an input padded beforehand, and so on.

Hints describe what to look at; they never show the code that fixes it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from convkit.checks import is_close

Forward = Callable[..., Any]


def _probe(function: Forward, *args: Any) -> np.ndarray | None:
    """Run a student's function on probe inputs; its (first) output array, or None on failure."""
    try:
        result = function(*args)
    except Exception:  # a probe that crashes tells us nothing; the real check reports errors
        return None
    if isinstance(result, tuple | list) and len(result) == 2:
        result = result[0]
    return result if isinstance(result, np.ndarray) else None


def _wrong(function: Forward, *args: Any) -> bool:
    """Whether ``function(*inputs)`` misses ``expected`` (the last argument).

    A probe diagnosis names a mistake by contrast: the function is wrong on the
    real inputs and right on the probe. This confirms the first half.
    """
    *inputs, expected = args
    out = _probe(function, *(a.copy() if isinstance(a, np.ndarray | dict) else a for a in inputs))
    return out is None or not is_close(out, expected)


def _first(*findings: Callable[[], str | None]) -> str | None:
    """The first finding that is not None; later ones are not even computed."""
    for finding in findings:
        hint = finding()
        if hint is not None:
            return hint
    return None


# --------------------------------------------------------------------------- conv forward


def _plus_one_hint(formula: str) -> str:
    return (
        "your output is one position short along each axis: did you drop the + 1? "
        f"The number of positions is {formula}; the + 1 counts the window's first position, "
        "before it has moved at all."
    )


def _pad_hint(pad: int) -> str:
    return (
        "your output has fewer positions than expected: did you pad the input? "
        f"pad={pad} adds that many zeros on every side before the filter slides."
    )


def size_slips(
    in_hw: tuple[int, ...], field: tuple[int, ...], stride: int, pad: int
) -> dict[str, tuple[int, ...]]:
    """The output sizes (one per axis of ``in_hw``) that the usual slips in the formula give."""
    slips = {
        "no + 1": tuple((n + 2 * pad - f) // stride for n, f in zip(in_hw, field, strict=True)),
        "no stride": tuple(n + 2 * pad - f + 1 for n, f in zip(in_hw, field, strict=True)),
    }
    if pad > 0 and all(n >= f for n, f in zip(in_hw, field, strict=True)):
        slips["no pad"] = tuple((n - f) // stride + 1 for n, f in zip(in_hw, field, strict=True))
    return slips


def conv_shape_mistake(
    out_shape: tuple[int, ...],
    expected_shape: tuple[int, ...],
    conv_param: dict,
    in_hw: tuple[int, ...] | None = None,
    field: tuple[int, ...] | None = None,
) -> str | None:
    """Explain a wrong output shape of a conv (or pooling) forward pass.

    With the input's ``(H, W)`` and the window's ``(HH, WW)`` the hint can name
    the slip in the size formula (a missing + 1, padding or stride); when two
    slips give the same size, it says nothing (see :func:`diagnose_conv_shape`).
    """
    out_shape, expected_shape = tuple(out_shape), tuple(expected_shape)
    if out_shape == expected_shape:
        return None
    if len(out_shape) != 4:
        return f"the output must be 4D, (N, F, H_out, W_out); yours has {len(out_shape)} axes."
    n, f, h, w = expected_shape
    if out_shape == (n, f, w, h):
        return (
            "height and width are swapped: the third axis counts output rows (the height) "
            "and the fourth counts output columns (the width)."
        )
    if out_shape == (n, h, w, f):
        return (
            "the maps are stored channels-last; the course's layout is NCHW: (N, F, H_out, W_out)."
        )
    if out_shape[:2] != (n, f):
        return f"the first two axes must be (N, F) = {(n, f)}, the images and the filters."
    oh, ow = out_shape[2:]
    pad, stride = int(conv_param.get("pad", 0)), int(conv_param.get("stride", 1))
    if in_hw is not None and field is not None:
        slips = [k for k, v in size_slips(in_hw, field, stride, pad).items() if v == (oh, ow)]
        if slips == ["no + 1"]:
            formula = "(W - F + 2P)/S + 1" if "pad" in conv_param else "(W - F)/S + 1"
            return _plus_one_hint(formula)
        if slips == ["no pad"]:
            return _pad_hint(pad)
        if len(slips) > 1:
            return None  # ambiguous from the shape alone
    if pad > 0 and oh <= h and ow <= w and in_hw is None:
        return _pad_hint(pad)
    if conv_param.get("stride", 1) > 1 and oh >= h and ow >= w:
        return (
            "your output has more positions than expected: did you move the window by "
            f"stride={conv_param['stride']} pixels between neighbouring outputs?"
        )
    return None


def diagnose_conv_shape(
    conv_forward: Forward,
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    conv_param: dict,
    out_shape: tuple[int, ...],
    expected_shape: tuple[int, ...],
) -> str | None:
    """Explain a conv forward pass's wrong output shape, probing the function when in doubt.

    A forgotten + 1 and forgotten padding can shorten the output by the same
    amount (the notes' demo: 2 positions instead of 3 either way). The probe
    hands the function an input padded beforehand, with ``pad=0``: a function
    that forgot to pad then gets the shape right, one that dropped the + 1 does not.
    """
    hint = conv_shape_mistake(out_shape, expected_shape, conv_param, x.shape[2:], w.shape[2:])
    if hint is not None or tuple(out_shape[:2]) != tuple(expected_shape[:2]):
        return hint
    pad, stride = int(conv_param.get("pad", 0)), int(conv_param.get("stride", 1))
    slips = size_slips(x.shape[2:], w.shape[2:], stride, pad)
    if pad > 0 and tuple(out_shape[2:]) == slips.get("no pad"):
        padded = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
        probe = _probe(conv_forward, padded, w.copy(), b.copy(), {**conv_param, "pad": 0})
        if probe is not None and tuple(probe.shape) == tuple(expected_shape):
            return _pad_hint(pad)
    if tuple(out_shape[2:]) == slips["no + 1"]:
        return _plus_one_hint("(W - F + 2P)/S + 1")
    return None


def bias_mistake(out: np.ndarray, expected: np.ndarray, b: np.ndarray) -> str | None:
    """Recognise a missing bias, a bias added several times, or a bias that follows the position."""
    b = np.asarray(b, dtype=np.float64)
    if out.shape != expected.shape or out.ndim != 4 or not np.any(b):
        return None
    filters_only = expected - b[None, :, None, None]
    added = np.asarray(out, dtype=np.float64) - filters_only  # what the student added as "bias"
    if is_close(added, np.zeros_like(added)):
        return "the bias is missing: every value of activation map f gets b[f] added once."
    nonzero = b != 0
    if is_close(added, np.broadcast_to(added[:1, :, :1, :1], added.shape)):
        times = added[0, nonzero, 0, 0] / b[nonzero]
        k = float(np.round(times[0]))
        if k not in (0.0, 1.0) and np.allclose(times, k, rtol=1e-6):
            return (
                f"the bias is added {k:g} times: add b[f] once per output value, after the "
                "weighted sum, not once per channel or per filter tap inside it."
            )
    _, filters, rows, cols = out.shape
    along_width = filters >= cols and is_close(added, np.broadcast_to(b[:cols], out.shape))
    along_height = filters >= rows and is_close(added, np.broadcast_to(b[:rows, None], out.shape))
    if along_width or along_height:
        return (
            "the bias follows the position instead of the filter: b[f] belongs to filter f "
            "and is the same at every position of its map. Check the axis b is added along."
        )
    return None


def swapped_height_width(out: np.ndarray, expected: np.ndarray) -> str | None:
    """Recognise an output whose maps are transposed (rows and columns exchanged)."""
    if out.ndim != 4 or out.shape != expected.shape or out.shape[2] != out.shape[3]:
        return None
    transposed = expected.swapaxes(2, 3)
    if is_close(out, transposed) and not is_close(expected, transposed):
        return (
            "your maps are the right ones transposed: height and width are exchanged "
            "somewhere. Rows (y, the height) come before columns (x, the width), in the "
            "input, the filters and the output."
        )
    return None


def flipped_filters(
    conv_forward: Forward,
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    conv_param: dict,
    expected: np.ndarray,
) -> str | None:
    """Recognise a true convolution (filters turned by 180 degrees), not a cross-correlation."""
    turned = np.ascontiguousarray(w[:, :, ::-1, ::-1])
    if is_close(turned, w):
        return None  # a symmetric filter cannot tell the two apart
    out = _probe(conv_forward, x.copy(), turned, b.copy(), dict(conv_param))
    if (
        out is not None
        and is_close(out, expected)
        and _wrong(conv_forward, x, w, b, conv_param, expected)
    ):
        return (
            "your function turns the filters by 180 degrees (a true convolution). The "
            "layer of the notes is a cross-correlation: tap (i, j) of the filter multiplies "
            "the pixel at offset (i, j) inside the window, with no flip."
        )
    return None


def ignored_stride(
    conv_forward: Forward,
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    conv_param: dict,
    out: np.ndarray,
    expected: np.ndarray,
) -> str | None:
    """Recognise a forward pass that is right with stride 1 but does not apply larger strides."""
    stride = conv_param.get("stride", 1)
    if stride == 1:
        return None
    dense = _probe(conv_forward, x.copy(), w.copy(), b.copy(), {**conv_param, "stride": 1})
    if dense is None or dense.ndim != 4 or not is_close(dense[:, :, ::stride, ::stride], expected):
        return None
    rows, cols = out.shape[2:] if out.ndim == 4 else (0, 0)
    if out.ndim == 4 and is_close(out, dense[:, :, :rows, :cols]):
        return (
            f"your function ignores the stride: it is right with stride 1, but with "
            f"stride={stride} output (y, x) must look at the window starting at input row "
            f"y*{stride} and column x*{stride}."
        )
    return (
        f"your function is right with stride 1 but not with stride={stride}: check how the "
        "window's first row and column follow from the output position and the stride."
    )


def missing_padding(
    conv_forward: Forward,
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    conv_param: dict,
    expected: np.ndarray,
) -> str | None:
    """Recognise a forward pass that is right on pre-padded input but does not pad by itself."""
    pad = conv_param.get("pad", 0)
    if pad == 0:
        return None
    padded = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    out = _probe(conv_forward, padded, w.copy(), b.copy(), {**conv_param, "pad": 0})
    if (
        out is not None
        and is_close(out, expected)
        and _wrong(conv_forward, x, w, b, conv_param, expected)
    ):
        return (
            "your function is right when the input arrives already padded, so the padding "
            f"is the problem: did you pad the input with pad={pad} zeros on each side of the "
            "height and of the width, and slide the filter over the padded array?"
        )
    return None


def diagnose_conv_forward(
    conv_forward: Forward,
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    conv_param: dict,
    out: np.ndarray,
    expected: np.ndarray,
) -> str | None:
    """Try every conv-forward diagnosis on a wrong ``out``; the first hint that fits, or None.

    Parameters
    ----------
    conv_forward : callable
        The student's function, ``(x, w, b, conv_param) -> (out, cache)``; it
        is run again on probe inputs.
    x, w, b, conv_param :
        The inputs of the failed check.
    out : ndarray
        What the function returned.
    expected : ndarray
        The right answer.
    """
    if out.shape != expected.shape:
        return diagnose_conv_shape(conv_forward, x, w, b, conv_param, out.shape, expected.shape)
    return _first(
        lambda: bias_mistake(out, expected, b),
        lambda: swapped_height_width(out, expected),
        lambda: flipped_filters(conv_forward, x, w, b, conv_param, expected),
        lambda: ignored_stride(conv_forward, x, w, b, conv_param, out, expected),
        lambda: missing_padding(conv_forward, x, w, b, conv_param, expected),
    )


def batch_and_filter_mixed(out: np.ndarray, expected: np.ndarray) -> str | None:
    """Recognise the im2col product reshaped straight to NCHW, mixing images and filters."""
    if out.ndim != 4 or out.shape != expected.shape or 1 in expected.shape[:2]:
        return None
    mixed = np.ascontiguousarray(expected.transpose(1, 0, 2, 3)).reshape(expected.shape)
    if is_close(out, mixed):
        return (
            "images and filters are mixed up: the product of the filter matrix and the "
            "columns has one row per filter and one column per (image, position), so its "
            "first axis is the filter, not the image."
        )
    return None


def diagnose_conv_im2col(
    conv_forward: Forward,
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    conv_param: dict,
    out: np.ndarray,
    expected: np.ndarray,
) -> str | None:
    """Like :func:`diagnose_conv_forward`, plus the reshape mistake of the matrix-multiply path."""
    if out.shape == expected.shape:
        mixed = batch_and_filter_mixed(out, expected)
        if mixed is not None:
            return mixed
    return diagnose_conv_forward(conv_forward, x, w, b, conv_param, out, expected)


# --------------------------------------------------------------------------- im2col

# Each layout mistake is a rearrangement of the right matrix. The matrix has rows
# (c, i, j) and columns (n, y, x); the mistakes reorder one of the two.


def _layout_mistake(cols: np.ndarray, expected: np.ndarray, wrong: np.ndarray) -> bool:
    return cols.shape == wrong.shape and is_close(cols, wrong) and not is_close(expected, wrong)


def columns_batch_fastest(cols: np.ndarray, expected: np.ndarray, n_images: int) -> str | None:
    """Recognise columns ordered (y, x, n) - the image index changing fastest."""
    k, m = expected.shape
    wrong = expected.reshape(k, n_images, m // n_images).transpose(0, 2, 1).reshape(k, m)
    if _layout_mistake(cols, expected, wrong):
        return (
            "your columns take the images in turn at every position (the image index changes "
            "fastest). Go image by image instead: all positions of image 0, row by row, then "
            "all positions of image 1, and so on."
        )
    return None


def rows_channel_fastest(
    cols: np.ndarray, expected: np.ndarray, channels: int, field: tuple[int, int]
) -> str | None:
    """Recognise rows ordered (i, j, c) - the channel changing fastest."""
    hh, ww = field
    k, m = expected.shape
    wrong = expected.reshape(channels, hh, ww, m).transpose(1, 2, 0, 3).reshape(k, m)
    if _layout_mistake(cols, expected, wrong):
        return (
            "your rows are ordered (i, j, c), with the channel changing fastest. They must "
            "follow the flattened filters: channel c slowest, then the filter row i, then the "
            "filter column j, so that the filter matrix times the columns lines up."
        )
    return None


def rows_filter_transposed(
    cols: np.ndarray, expected: np.ndarray, channels: int, field: tuple[int, int]
) -> str | None:
    """Recognise rows ordered (c, j, i) - each channel's window read column by column."""
    hh, ww = field
    k, m = expected.shape
    wrong = expected.reshape(channels, hh, ww, m).transpose(0, 2, 1, 3).reshape(k, m)
    if _layout_mistake(cols, expected, wrong):
        return (
            "inside each channel your rows read the window column by column; read it row by "
            "row (filter row i slowest, then column j), the order of the flattened filters."
        )
    return None


def columns_positions_transposed(
    cols: np.ndarray, expected: np.ndarray, n_images: int, positions: tuple[int, int]
) -> str | None:
    """Recognise columns ordered (n, x, y) - output positions taken column by column."""
    rows, cols_out = positions
    k, m = expected.shape
    wrong = expected.reshape(k, n_images, rows, cols_out).transpose(0, 1, 3, 2).reshape(k, m)
    if _layout_mistake(cols, expected, wrong):
        return (
            "your columns walk the output positions column by column (x slowest); walk them "
            "row by row, y slowest and x fastest, as the output map is stored."
        )
    return None


def im2col_shape_mistake(
    cols_shape: tuple[int, ...], expected_shape: tuple[int, ...], n_images: int
) -> str | None:
    """Explain a wrong im2col shape."""
    cols_shape, expected_shape = tuple(cols_shape), tuple(expected_shape)
    k, m = expected_shape
    if cols_shape == (m, k):
        return (
            "you have one row per receptive field: im2col stores every receptive field as a "
            "column, shape (C*HH*WW, N*H_out*W_out)."
        )
    per_image = m // n_images
    if cols_shape in {(n_images, k, per_image), (k, n_images, per_image)}:
        return (
            "the result keeps a separate axis for the images; put the images' columns side by "
            "side in one 2D matrix of shape (C*HH*WW, N*H_out*W_out)."
        )
    if len(cols_shape) == 2 and cols_shape[0] == k and cols_shape[1] != m:
        return (
            f"you have {cols_shape[1]} columns instead of {m} (one per image and output "
            "position): check the padding and the stride of the windows."
        )
    return None


def im2col_ignores_stride(
    cols: np.ndarray, expected: np.ndarray, n_images: int, positions: tuple[int, int], stride: int
) -> str | None:
    """Recognise columns for every window position (stride 1) instead of every ``stride``-th."""
    if stride == 1 or cols.ndim != 2 or cols.shape[0] != expected.shape[0]:
        return None
    rows, width = positions
    k = expected.shape[0]
    for dense_rows in range((rows - 1) * stride + 1, rows * stride + 1):
        if cols.shape[1] % (n_images * dense_rows):
            continue
        dense_cols = cols.shape[1] // (n_images * dense_rows)
        if dense_cols < (width - 1) * stride + 1:
            continue
        grid = cols.reshape(k, n_images, dense_rows, dense_cols)[:, :, ::stride, ::stride]
        grid = grid[:, :, :rows, :width]
        if grid.shape[2:] == (rows, width) and is_close(grid.reshape(expected.shape), expected):
            return (
                f"your im2col ignores the stride: it takes a window at every position, but with "
                f"stride={stride} neighbouring windows start {stride} pixels apart (window (y, x) "
                f"starts at row y*{stride}, column x*{stride})."
            )
    return None


def im2col_ignores_padding(
    im2col: Forward, x: np.ndarray, field: tuple[int, int], stride: int, pad: int,
    expected: np.ndarray,
) -> str | None:
    """Recognise an im2col that is right on an input padded beforehand but does not pad itself."""
    if pad == 0:
        return None
    padded = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    probe = _probe(im2col, padded, field[0], field[1], stride, 0)
    if probe is not None and probe.shape == expected.shape and is_close(probe, expected):
        return (
            "your im2col is right when the input arrives already padded, so the padding is "
            f"the problem: pad x with pad={pad} zeros on each side of the height and the width, "
            "and take the windows from the padded array."
        )
    return None


def diagnose_im2col(
    cols: np.ndarray,
    expected: np.ndarray,
    n_images: int,
    channels: int,
    field: tuple[int, int],
    positions: tuple[int, int],
    probe: tuple[Forward, np.ndarray, int, int] | None = None,
) -> str | None:
    """Try every im2col layout diagnosis on a wrong ``cols``; the first hint that fits, or None.

    Parameters
    ----------
    cols : ndarray
        What the student's im2col returned.
    expected : ndarray, shape (C*HH*WW, N*H_out*W_out)
        The right matrix.
    n_images, channels : int
        N and C of the input.
    field : (int, int)
        The window size (HH, WW).
    positions : (int, int)
        The output size (H_out, W_out).
    probe : (im2col, x, stride, pad), optional
        The student's function and the case's input, to recognise an im2col
        that ignores the stride or the padding.
    """
    if probe is not None:
        im2col, x, stride, pad = probe
        hint = _first(
            lambda: im2col_ignores_stride(cols, expected, n_images, positions, stride),
            lambda: im2col_ignores_padding(im2col, x, field, stride, pad, expected),
        )
        if hint is not None:
            return hint
    if cols.shape != expected.shape:
        return im2col_shape_mistake(cols.shape, expected.shape, n_images)
    return _first(
        lambda: columns_batch_fastest(cols, expected, n_images),
        lambda: rows_channel_fastest(cols, expected, channels, field),
        lambda: rows_filter_transposed(cols, expected, channels, field),
        lambda: columns_positions_transposed(cols, expected, n_images, positions),
    )


# --------------------------------------------------------------------------- max pooling


def _ties_broken_towards_first(x: np.ndarray) -> np.ndarray:
    """``x`` nudged so that of equal values the first in row-major order is strictly largest.

    The nudges are smaller than half the gap between any two distinct values, so
    no other comparison changes, and they grow along each image's row-major
    order, so the first of a group of tied maxima stays on top in every window.
    """
    values = np.unique(x)
    gap = float(np.min(np.diff(values))) if values.size > 1 else 1.0
    h, w = x.shape[-2:]
    ramp = np.arange(h * w, dtype=np.float64).reshape(h, w) / (h * w)
    return (x - 0.5 * gap * ramp).astype(x.dtype)


def pooled_every_position(out: np.ndarray, expected: np.ndarray, stride: int) -> str | None:
    """Recognise windows moved one pixel at a time instead of ``stride`` pixels."""
    if stride == 1 or out.ndim != 4:
        return None
    sampled = out[:, :, ::stride, ::stride]
    if sampled.shape == expected.shape and is_close(sampled, expected):
        return (
            f"you moved the window one pixel at a time; neighbouring outputs must look at "
            f"windows {stride} pixels apart (the stride)."
        )
    return None


def switches_outside_window(switches: np.ndarray, field: tuple[int, int]) -> str | None:
    """Recognise switches that count in the whole image instead of inside the window."""
    taps = field[0] * field[1]
    values = np.asarray(switches)
    if values.size and (values.min() < 0 or values.max() >= taps):
        return (
            f"a switch is the position of the maximum inside its window, counted row by row "
            f"from 0 to {taps - 1}; yours go from {values.min()} to {values.max()}."
        )
    return None


def first_maximum_not_kept(
    pool_forward: Forward, x: np.ndarray, pool_param: dict, expected_switches: np.ndarray
) -> str | None:
    """Recognise switches that are right without ties but pick another maximum when values tie."""
    probe = _probe_switches(pool_forward, _ties_broken_towards_first(x), pool_param)
    if probe is not None and np.array_equal(probe, expected_switches):
        return (
            "your switches are right where a window has a single maximum, but not where "
            "several values tie for it: the switch must point at the FIRST maximum in "
            "row-major order (scanning the window row by row, left to right)."
        )
    return None


def _probe_switches(pool_forward: Forward, x: np.ndarray, pool_param: dict) -> np.ndarray | None:
    try:
        _, cache = pool_forward(x, dict(pool_param))
        switches = np.asarray(cache[2])
    except Exception:  # any failure: the probe says nothing
        return None
    return switches


def diagnose_pool_forward(
    out: np.ndarray,
    expected: np.ndarray,
    pool_param: dict,
    in_hw: tuple[int, ...] | None = None,
) -> str | None:
    """Try the max-pool forward diagnoses on a wrong ``out``; the first hint that fits, or None.

    ``in_hw``, the input's ``(H, W)``, lets a wrong shape be traced to the size formula.
    """
    step = int(pool_param["stride"])
    field = (int(pool_param["pool_height"]), int(pool_param["pool_width"]))
    if out.shape != expected.shape:
        return _first(
            lambda: pooled_every_position(out, expected, step),
            lambda: conv_shape_mistake(
                out.shape, expected.shape, {"stride": step}, in_hw, field if in_hw else None
            ),
        )
    return swapped_height_width(out, expected)


def diagnose_switches(
    pool_forward: Forward,
    x: np.ndarray,
    pool_param: dict,
    switches: np.ndarray,
    expected: np.ndarray,
) -> str | None:
    """Try the switch diagnoses on wrong ``switches``; the first hint that fits, or None."""
    field = (pool_param["pool_height"], pool_param["pool_width"])
    return _first(
        lambda: switches_outside_window(switches, field),
        lambda: first_maximum_not_kept(pool_forward, x, pool_param, expected),
    )


def gradient_to_every_tie(
    pool_backward: Forward,
    dout: np.ndarray,
    cache: tuple,
    dx: np.ndarray,
    expected: np.ndarray,
) -> str | None:
    """Recognise a backward pass that is right without ties and wrong with them.

    ``cache`` is ``(x, pool_param, switches)``. The probe reruns the backward pass
    on a copy of ``x`` with ties broken in favour of the first maximum, which the
    right answer does not notice.
    """
    image, params, recorded = cache
    untied = (_ties_broken_towards_first(image), dict(params), np.array(recorded))
    probe = _probe(pool_backward, dout.copy(), untied)
    if probe is None or not is_close(probe, expected):
        return None
    if float(np.sum(dx)) > float(np.sum(expected)) + 1e-9 * float(np.sum(np.abs(expected))):
        return (
            "where several values tie for a window's maximum, your gradient goes to every one "
            "of them. Only one input produced the output: the first maximum in row-major "
            "order, the one the switch records."
        )
    return (
        "with ties, your gradient goes to another maximum than the first one in row-major "
        "order; the switch of the forward pass tells which input won."
    )


def gradient_averaged(dx: np.ndarray, dout: np.ndarray, pool_param: dict) -> str | None:
    """Recognise the gradient spread evenly over each window (average pooling's backward pass).

    Only decidable for windows that tile the input (stride equal to the window
    size), where the averaged gradient is ``dout`` enlarged and divided.
    """
    hh, ww, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    if hh != stride or ww != stride or dx.ndim != 4:
        return None
    spread = np.repeat(np.repeat(dout, hh, axis=2), ww, axis=3) / (hh * ww)
    averaged = np.zeros(dx.shape)
    averaged[:, :, : spread.shape[2], : spread.shape[3]] = spread
    if is_close(dx, averaged):
        return (
            "your gradient is spread evenly over each window, which is the backward pass of "
            "average pooling. In max pooling only the maximum influenced the output, so it "
            "alone receives the window's gradient."
        )
    return None


def overlaps_overwritten(
    dx: np.ndarray, expected: np.ndarray, dout: np.ndarray, pool_param: dict
) -> str | None:
    """Recognise gradients of overlapping windows assigned instead of added up."""
    hh, ww, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    if stride >= hh and stride >= ww:
        return None
    total, wanted = float(np.sum(dx)), float(np.sum(expected))
    if total < wanted - 1e-9 * float(np.sum(np.abs(expected))) and np.all(dx <= expected + 1e-12):
        return (
            "some gradient is lost: with overlapping windows one input can be the maximum of "
            "two windows and must receive the sum of both gradients. Add to dx, don't assign."
        )
    return None


def ignores_dout(
    pool_backward: Forward, dout: np.ndarray, cache: tuple, dx: np.ndarray
) -> str | None:
    """Recognise a backward pass whose result does not scale with the upstream gradient."""
    doubled = _probe(pool_backward, 2 * dout, cache)
    if doubled is not None and np.any(dx) and is_close(doubled, dx):
        return (
            "your gradient does not change when dout does: each switch must receive the "
            "upstream gradient of its window, dout[n, c, y, x], not a constant."
        )
    return None


def diagnose_pool_backward(
    pool_backward: Forward,
    dout: np.ndarray,
    cache: tuple,
    dx: np.ndarray,
    expected: np.ndarray,
) -> str | None:
    """Try every max-pool backward diagnosis on a wrong ``dx``; the first hint that fits, or None.

    ``cache`` is ``(x, pool_param, switches)`` with the right switches.
    """
    if dx.shape != expected.shape:
        return "dx must have the shape of the pooling layer's input x."
    pool_param = cache[1]
    return _first(
        lambda: ignores_dout(pool_backward, dout, cache, dx),
        lambda: gradient_averaged(dx, dout, pool_param),
        lambda: gradient_to_every_tie(pool_backward, dout, cache, dx, expected),
        lambda: overlaps_overwritten(dx, expected, dout, pool_param),
    )


# --------------------------------------------------------------------------- FC -> CONV


def reshaped_without_transpose(w_conv: np.ndarray, w: np.ndarray) -> str | None:
    """Recognise filters made by reshaping the FC weight matrix without transposing it."""
    if w_conv.size != w.size or w.ndim != 2 or w.shape[1] == 1:
        return None
    if np.array_equal(np.ravel(w_conv), np.ravel(w)):
        return (
            "you reshaped the weight matrix without transposing it. The FC layer's weights "
            "for class k are a COLUMN of w (shape (C*H*W, K)), while a plain reshape fills "
            "each filter from consecutive entries of the rows."
        )
    return None


def filters_channels_last(w_conv: np.ndarray, expected: np.ndarray) -> str | None:
    """Recognise columns unflattened as (H, W, C) instead of the FC layer's (C, H, W)."""
    if w_conv.shape != expected.shape or expected.ndim != 4:
        return None
    k, c, h, w = expected.shape
    columns = expected.reshape(k, -1)
    wrong = columns.reshape(k, h, w, c).transpose(0, 3, 1, 2)
    if is_close(w_conv, wrong) and not is_close(expected, wrong):
        return (
            "each column of w lists the volume in (C, H, W) order, the order in which the FC "
            "layer flattened it; you unflattened it as (H, W, C)."
        )
    return None


def fc_shape_mistake(w_shape: tuple[int, ...], expected_shape: tuple[int, ...]) -> str | None:
    """Explain a wrong shape of the converted filters."""
    w_shape, expected_shape = tuple(w_shape), tuple(expected_shape)
    if w_shape == expected_shape or len(expected_shape) != 4:
        return None
    k, c, h, w = expected_shape
    if w_shape == (c, h, w, k):
        return "the filter index must come first: K filters of shape (C, H, W), i.e. (K, C, H, W)."
    if w_shape == (k, h, w, c):
        return "the channel axis comes right after the filter index: (K, C, H, W), as in NCHW."
    if len(w_shape) != 4:
        return f"conv filters are 4D, (K, C, H, W) = {expected_shape}."
    return None


def diagnose_fc_to_conv(w_conv: np.ndarray, w: np.ndarray, expected: np.ndarray) -> str | None:
    """Try every FC->CONV diagnosis on wrong filters; the first hint that fits, or None."""
    if w_conv.shape != expected.shape:
        return fc_shape_mistake(w_conv.shape, expected.shape)
    return _first(
        lambda: reshaped_without_transpose(w_conv, w),
        lambda: filters_channels_last(w_conv, expected),
    )


# --------------------------------------------------------------------------- score maps


def crops_every_pixel(scores: np.ndarray, expected: np.ndarray, stride: int) -> str | None:
    """Recognise crops taken at every pixel instead of every ``stride`` pixels."""
    if stride == 1 or scores.ndim != 4:
        return None
    sampled = scores[:, :, ::stride, ::stride]
    if sampled.shape == expected.shape and is_close(sampled, expected):
        return (
            f"you evaluated a crop at every pixel; the crops start every stride={stride} pixels, "
            "the network's total stride."
        )
    return None


def only_diagonal_shifts(scores: np.ndarray, expected: np.ndarray, shifts: int) -> str | None:
    """Recognise a denser map that only holds the passes shifted along both axes at once."""
    if scores.shape != expected.shape or shifts < 2:
        return None
    diagonal = all(
        is_close(scores[:, :, a::shifts, a::shifts], expected[:, :, a::shifts, a::shifts])
        for a in range(shifts)
    )
    if diagonal:
        return (
            "the passes shifted along both axes at once are right, but the positions shifted "
            "along only one axis are not: the notes' two passes give half of the denser grid; "
            "the other half needs the image shifted along the rows only and along the columns "
            "only."
        )
    return None


def _crop_step(expected: np.ndarray, every_crop: np.ndarray) -> int | None:
    """The spacing of the crops in ``expected``, read off the scores of every crop."""
    rows, cols = expected.shape[2:]
    for step in range(1, every_crop.shape[2] + 1):
        grid = every_crop[:, :, ::step, ::step]
        if grid.shape[2] < rows or grid.shape[3] < cols:
            return None
        if grid.shape[:2] == expected.shape[:2] and is_close(grid[:, :, :rows, :cols], expected):
            return step
    return None


def shifted_by_index(
    scores: np.ndarray, expected: np.ndarray, shifts: int, every_crop: np.ndarray | None
) -> str | None:
    """Recognise passes shifted by ``a`` pixels instead of ``a * step``."""
    if every_crop is None or shifts < 2 or scores.shape != expected.shape:
        return None
    step = _crop_step(expected, every_crop)
    if step is None or step == 1:
        return None
    total = step * shifts
    wrong = np.full(expected.shape, np.nan)
    for a in range(shifts):
        for c in range(shifts):
            part = every_crop[:, :, a::total, c::total]
            slot = wrong[:, :, a::shifts, c::shifts]
            if part.shape[2] < slot.shape[2] or part.shape[3] < slot.shape[3]:
                return None
            slot[...] = part[:, :, : slot.shape[2], : slot.shape[3]]
    if is_close(scores, wrong):
        return (
            f"pass (a, c) must start a*step rows and c*step columns into the image, with "
            f"step = {step} here; yours start a rows and c columns in, as if the step were 1."
        )
    return None


def diagnose_score_map(
    scores: np.ndarray,
    expected: np.ndarray,
    stride: int = 1,
    shifts: int = 1,
    every_crop: np.ndarray | None = None,
) -> str | None:
    """Try the score-map diagnoses on a wrong map; the first hint that fits, or None.

    ``every_crop``, the scores of the crop at every pixel, lets more mistakes be named.
    """
    return _first(
        lambda: crops_every_pixel(scores, expected, stride),
        lambda: shifted_by_index(scores, expected, shifts, every_crop),
        lambda: only_diagonal_shifts(scores, expected, shifts),
        lambda: swapped_height_width(scores, expected) if scores.shape == expected.shape else None,
    )
