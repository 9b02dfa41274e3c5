"""Every diagnosis of the student kit names its mistake, and only its mistake.

Each deliberate mistake below is written as the reference layer (``convref``)
plus the one slip a student typically makes. It is fed through the same check
the notebooks run, on the notebooks' own visible data where that data can show
the mistake, and the check must fail with the hint that names it. The right
answer must pass, and unrelated wrong answers must not be given a wrong name.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_assignments_support import cell_text, load, source_notebook

import convref
from convkit import diagnose
from convkit.checks import CheckFailed, replaced_globals
from convkit.layer_checks import (
    check_conv_forward,
    check_convolutionalize,
    check_fc_to_conv,
    check_im2col,
    check_output_sizes,
    check_param_counts,
    check_pool_backward,
    check_pool_forward,
    check_pool_gradient,
    check_rejected,
    check_score_map,
    check_stride_rejected,
)


def notebook_data(assignment_id: str, *grade_ids: str) -> dict:
    """Run the data cells ``grade_ids`` of a source notebook; return their variables."""
    namespace = {"np": np, "show_matrix": lambda *args, **kwargs: None}
    cells = {
        c["metadata"].get("nbgrader", {}).get("grade_id"): cell_text(c)
        for c in load(source_notebook(assignment_id))["cells"]
    }
    for grade_id in grade_ids:
        exec(cells[grade_id], namespace)
    return namespace


PS1 = notebook_data("ps1_convolution", "demo_data", "im2col_data", "fast_data")
PS2 = notebook_data("ps2_pooling", "forward_data", "backward_data")
PS3 = notebook_data("ps3_fc_to_conv", "fc_data", "crop_data", "shift_data")


def student_code(code: str) -> dict:
    """Define functions as a notebook would: all in one global namespace."""
    namespace = {"np": np, "convref": convref}
    exec(textwrap.dedent(code), namespace)
    return namespace


def failure(check, *args, **kwargs) -> CheckFailed:
    with pytest.raises(CheckFailed) as caught:
        check(*args, **kwargs)
    return caught.value


def reference_conv(x, w, b, conv_param):
    return convref.conv_forward_naive(x, w, b, conv_param)


# --------------------------------------------------------------------------- conv forward

DEMO = (PS1["demo_x"], PS1["demo_w"], PS1["demo_b"], PS1["demo_param"], PS1["demo_out"])
WIDE = (PS1["wide_x"], PS1["wide_w"], PS1["wide_b"], PS1["wide_param"], PS1["wide_out"])


def test_notebook_demo_is_the_notes_demo():
    """The visible data typed into ps1 is the notes' demo, checked against tests/notes_data.py."""
    from notes_data import DEMO_B, DEMO_OUT, DEMO_W, DEMO_X

    assert np.array_equal(PS1["demo_x"], DEMO_X) and np.array_equal(PS1["demo_w"], DEMO_W)
    assert np.array_equal(PS1["demo_b"], DEMO_B) and np.array_equal(PS1["demo_out"], DEMO_OUT)


@pytest.mark.parametrize("case", [DEMO, WIDE], ids=["demo", "wide"])
def test_reference_conv_passes(case):
    check_conv_forward(reference_conv, *case)
    check_conv_forward(lambda *a: convref.conv_forward_im2col(*a), *case)


def _pad_with_ones(x, w, b, p):
    padded = np.pad(x, [(0, 0), (0, 0), (p["pad"],) * 2, (p["pad"],) * 2], constant_values=1.0)
    return reference_conv(padded, w, b, {**p, "pad": 0})


def _stride_one_cropped(x, w, b, p):
    out, cache = reference_conv(x, w, b, {**p, "stride": 1})
    rows, cols = convref.conv_forward_naive(x, w, b, p)[0].shape[2:]
    return out[:, :, :rows, :cols], cache


def _bias_per_tap(x, w, b, p):
    out, cache = reference_conv(x, w, b, p)
    taps = w[0].size
    return out + (taps - 1) * b[None, :, None, None], cache


CONV_MISTAKES = {
    "no padding": (
        lambda x, w, b, p: reference_conv(x, w, b, {**p, "pad": 0}),
        DEMO,
        "did you pad",
    ),
    "pads with ones": (_pad_with_ones, DEMO, "arrives already padded"),
    "stride ignored": (
        lambda x, w, b, p: reference_conv(x, w, b, {**p, "stride": 1}),
        DEMO,
        "more positions",
    ),
    "stride ignored, right shape": (_stride_one_cropped, DEMO, "ignores the stride"),
    "flipped filters": (
        lambda x, w, b, p: reference_conv(x, w[:, :, ::-1, ::-1], b, p),
        DEMO,
        "180 degrees",
    ),
    "height and width read swapped": (
        lambda x, w, b, p: reference_conv(x.swapaxes(2, 3), w.swapaxes(2, 3), b, p),
        DEMO,
        "transposed",
    ),
    "output shape swapped": (
        lambda x, w, b, p: (reference_conv(x, w, b, p)[0].swapaxes(2, 3), None),
        WIDE,
        "height and width are swapped",
    ),
    "channels last": (
        lambda x, w, b, p: (reference_conv(x, w, b, p)[0].transpose(0, 2, 3, 1), None),
        DEMO,
        "channels-last",
    ),
    "bias missing": (lambda x, w, b, p: reference_conv(x, w, 0 * b, p), DEMO, "bias is missing"),
    "bias per filter tap": (_bias_per_tap, DEMO, "added 27 times"),
}


@pytest.mark.parametrize("mistake", CONV_MISTAKES)
def test_conv_forward_mistake_is_named(mistake):
    function, case, phrase = CONV_MISTAKES[mistake]
    found = failure(check_conv_forward, function, *case)
    assert found.hint and phrase in found.hint, (mistake, str(found))


def test_bias_added_along_the_width_is_named():
    rng = np.random.default_rng(0)
    x, w, b = (
        rng.standard_normal((1, 1, 4, 4)),
        rng.standard_normal((3, 1, 3, 3)),
        np.arange(1.0, 4.0),
    )
    param = {"stride": 1, "pad": 0}
    expected = reference_conv(x, w, b, param)[0]

    def along_width(x, w, b, p):
        out = reference_conv(x, w, 0 * b, p)[0]
        return out + b[: out.shape[3]], None  # broadcasts over the last axis

    assert (
        "follows the position"
        in failure(check_conv_forward, along_width, x, w, b, param, expected).hint
    )


@pytest.mark.parametrize(
    ("result", "phrase"),
    [
        (None, "returned None"),
        (np.zeros((1, 2, 3, 3)), "did you forget the cache"),
        ((np.zeros((1, 2, 3, 3)), None, None), "returned a tuple of 3 values"),
        (([[0.0]], "cache"), "expected a NumPy array"),
        ((np.zeros((1, 2, 3, 3), dtype=np.float32), "cache"), "dtype float32; expected float64"),
    ],
)
def test_malformed_results_get_one_readable_sentence(result, phrase):
    found = failure(check_conv_forward, lambda *a: result, *DEMO)
    assert phrase in str(found)


def test_missing_cache_is_reported():
    found = failure(check_conv_forward, lambda *a: (reference_conv(*a)[0], None), *DEMO)
    assert "None as its cache" in str(found)


def test_conv_cache_in_the_wrong_order_is_named():
    def reordered(x, w, b, p):
        out, (x0, w0, b0, p0) = reference_conv(x, w, b, p)
        return out, (w0, x0, b0, p0)

    found = failure(check_conv_forward, reordered, *DEMO)
    assert "holds (w, x, b, conv_param); expected (x, w, b, conv_param) in that order" in found.message
    assert "by position" in found.hint and "NumPy rather than" not in str(found)


def test_a_conv_cache_with_more_than_the_inputs_is_left_alone():
    # Caching the columns as well, (x, w, b, conv_param, cols), is a fair choice.
    def with_columns(x, w, b, p):
        out, cache = reference_conv(x, w, b, p)
        return out, (*cache, convref.im2col(x, w.shape[2], w.shape[3], p["stride"], p["pad"]))

    check_conv_forward(with_columns, *DEMO)


def test_float32_output_must_stay_float32():
    demo32 = [a.astype(np.float32) for a in (DEMO[0], DEMO[1], DEMO[2])]
    expected = DEMO[4].astype(np.float32)
    check_conv_forward(reference_conv, *demo32, DEMO[3], expected)

    def upcasts(x, w, b, p):
        return reference_conv(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64), p)

    assert "float32" in str(failure(check_conv_forward, upcasts, *demo32, DEMO[3], expected))


def test_unrelated_wrong_answer_gets_no_wrong_name():
    def noisy(x, w, b, p):
        out, cache = reference_conv(x, w, b, p)
        return out + np.random.default_rng(1).standard_normal(out.shape), cache

    found = failure(check_conv_forward, noisy, *DEMO)
    assert found.hint is None and "is wrong in" in found.message


def test_conv_check_answers_output_size_calls_itself():
    """A wrong conv_output_size next to a right conv layer costs the layer nothing."""
    space = student_code(
        """
        def conv_output_size(W, F, S=1, P=0):
            return (W - F) // S + 1  # forgets the padding

        def conv_forward_naive(x, w, b, conv_param):
            s, p = conv_param["stride"], conv_param["pad"]
            rows = conv_output_size(x.shape[2], w.shape[2], s, p)
            cols = conv_output_size(x.shape[3], w.shape[3], s, p)
            out, cache = convref.conv_forward_naive(x, w, b, conv_param)
            assert out.shape[2:] == (rows, cols), "sizes disagree"
            return out, cache
        """
    )
    check_conv_forward(space["conv_forward_naive"], *DEMO)
    assert space["conv_output_size"](5, 3, 2, 1) == 2  # restored after the check


# --------------------------------------------------------------------------- sizes and counts


def test_size_checks_catch_wrong_sizes_and_accepted_strides():
    check_output_sizes(convref.conv_output_size, {(227, 11, 4, 0): 55, (5, 3, 2, 1): 3})
    check_stride_rejected(convref.conv_output_size, 5, 3, 3, 1)
    assert "expected 55" in str(
        failure(check_output_sizes, lambda W, F, S, P: (W - F) // S, {(227, 11, 4, 0): 55})
    )
    assert "ints" in str(
        failure(check_output_sizes, lambda W, F, S, P: (W - F + 2 * P) / S + 1, {(7, 3, 1, 0): 5})
    )
    assert "does not fit" in str(failure(check_stride_rejected, lambda W, F, S, P: 2, 5, 3, 3, 1))

    def vague(W, F, S, P):
        raise ValueError("bad stride")

    assert "does not mention" in str(failure(check_stride_rejected, vague, 5, 3, 3, 1))


@pytest.mark.parametrize(
    ("size", "case", "phrase", "not_named"),
    [
        (lambda W, F, S, P: (W - F + 2 * P) // S, (7, 3, 1, 1), "drop the + 1", "padding"),
        (lambda W, F, S, P: (W - F) // S + 1, (7, 3, 1, 1), "padding is missing", "+ 1"),
        (lambda W, F, S, P: W - F + 2 * P + 1, (5, 3, 2, 1), "stride is missing", "+ 1"),
        # the notes' demo: both slips give 2, so both are named
        (lambda W, F, S, P: (W - F + 2 * P) // S, (5, 3, 2, 1), "; or the padding", None),
    ],
    ids=["no + 1", "no padding", "no stride", "ambiguous"],
)
def test_size_formula_slips_are_named(size, case, phrase, not_named):
    found = failure(check_output_sizes, size, {case: convref.conv_output_size(*case)})
    assert phrase in found.hint
    assert not_named is None or not_named not in found.hint


def test_param_count_check_names_the_biases():
    check_param_counts(convref.conv_param_count, [({"depth": 3, "F": 11, "K": 96}, 34_944)])
    found = failure(
        check_param_counts,
        lambda depth, F, K, **_: F * F * depth * K,
        [({"depth": 3, "F": 11, "K": 96}, 34_944)],
    )
    assert "one bias" in found.hint and "34,944" in found.message


# --------------------------------------------------------------------------- im2col

GRID = (PS1["grid_x"], (2, 2), 1, 0, PS1["grid_cols"], (2, 3))
SMALL = (PS1["small_x"], (3, 3), 2, 1, PS1["small_cols"], (2, 2))


def _reordered(fn):
    def im2col(x, hh, ww, stride=1, pad=0):
        cols = convref.im2col(x, hh, ww, stride, pad)
        n, c = x.shape[:2]
        rows = convref.conv_output_size(x.shape[2], hh, stride, pad)
        width = convref.conv_output_size(x.shape[3], ww, stride, pad)
        return fn(cols, n, c, hh, ww, rows, width)

    return im2col


IM2COL_MISTAKES = {
    "batch fastest": (
        lambda m, n, c, hh, ww, r, q: m.reshape(-1, n, r * q).transpose(0, 2, 1).reshape(m.shape),
        "image index changes fastest",
    ),
    "rows (i, j, c)": (
        lambda m, n, c, hh, ww, r, q: (
            m.reshape(c, hh, ww, -1).transpose(1, 2, 0, 3).reshape(m.shape)
        ),
        "(i, j, c)",
    ),
    "rows (c, j, i)": (
        lambda m, n, c, hh, ww, r, q: (
            m.reshape(c, hh, ww, -1).transpose(0, 2, 1, 3).reshape(m.shape)
        ),
        "column by column",
    ),
    "positions (n, x, y)": (
        lambda m, n, c, hh, ww, r, q: m.reshape(-1, n, r, q).transpose(0, 1, 3, 2).reshape(m.shape),
        "output positions column by column",
    ),
    "transposed matrix": (lambda m, n, c, hh, ww, r, q: m.T, "one row per receptive field"),
    "one block per image": (
        lambda m, n, c, hh, ww, r, q: m.reshape(-1, n, r * q).transpose(1, 0, 2),
        "separate axis for the images",
    ),
}


def test_reference_im2col_passes():
    check_im2col(convref.im2col, *GRID)
    check_im2col(convref.im2col, *SMALL)


@pytest.mark.parametrize("mistake", IM2COL_MISTAKES)
def test_im2col_layout_mistake_is_named(mistake):
    reorder, phrase = IM2COL_MISTAKES[mistake]
    found = failure(check_im2col, _reordered(reorder), *GRID)
    assert found.hint and phrase in found.hint, (mistake, str(found))


def test_im2col_without_padding_is_named():
    found = failure(
        check_im2col, lambda x, hh, ww, s=1, p=0: convref.im2col(x, hh, ww, s, 0), *SMALL
    )
    assert "arrives already padded, so the padding" in found.hint


def test_im2col_path_reshape_mistake_is_named():
    def mixed(x, w, b, p):
        out, cache = convref.conv_forward_im2col(x, w, b, p)
        n, f = out.shape[:2]
        return np.ascontiguousarray(out.transpose(1, 0, 2, 3)).reshape(out.shape), cache

    found = failure(
        check_conv_forward,
        mixed,
        PS1["grid_x"],
        PS1["grid_w"],
        PS1["grid_b"],
        {"stride": 1, "pad": 0},
        PS1["grid_out"],
        known_cols=PS1["grid_cols"],
    )
    assert "images and filters are mixed up" in found.hint


def test_im2col_path_must_use_im2col():
    space = student_code(
        """
        def im2col(x, field_height, field_width, stride=1, pad=0):
            return convref.im2col(x, field_height, field_width, stride, pad)

        def conv_forward_im2col(x, w, b, conv_param):
            return convref.conv_forward_naive(x, w, b, conv_param)  # loops, no im2col
        """
    )
    found = failure(
        check_conv_forward,
        space["conv_forward_im2col"],
        PS1["grid_x"],
        PS1["grid_w"],
        PS1["grid_b"],
        {"stride": 1, "pad": 0},
        PS1["grid_out"],
        known_cols=PS1["grid_cols"],
    )
    assert "never called im2col" in found.message


def test_im2col_path_is_checked_with_the_known_columns():
    """A broken im2col does not fail the check of a right conv_forward_im2col, and is restored."""
    space = student_code(
        """
        def im2col(x, field_height, field_width, stride=1, pad=0):
            return convref.im2col(x, field_height, field_width, stride, pad)[::-1]  # wrong rows

        def conv_forward_im2col(x, w, b, conv_param):
            F, _, HH, WW = w.shape
            N = x.shape[0]
            s, p = conv_param["stride"], conv_param["pad"]
            rows = convref.conv_output_size(x.shape[2], HH, s, p)
            cols = convref.conv_output_size(x.shape[3], WW, s, p)
            product = w.reshape(F, -1) @ im2col(x, HH, WW, stride=s, pad=p) + b[:, None]
            return product.reshape(F, N, rows, cols).transpose(1, 0, 2, 3), (x, w, b, conv_param)
        """
    )
    wrong_im2col = space["im2col"]
    case = (PS1["grid_x"], PS1["grid_w"], PS1["grid_b"], {"stride": 1, "pad": 0}, PS1["grid_out"])
    check_conv_forward(space["conv_forward_im2col"], *case, known_cols=PS1["grid_cols"])
    assert space["im2col"] is wrong_im2col
    with pytest.raises(CheckFailed):  # without the known columns the broken im2col shows
        check_conv_forward(space["conv_forward_im2col"], *case)


# --------------------------------------------------------------------------- max pooling

POOL_2 = {"pool_height": 2, "pool_width": 2, "stride": 2}
POOL_3 = {"pool_height": 3, "pool_width": 3, "stride": 2}
TIED = (PS2["tied_x"], POOL_2, PS2["tied_out"], PS2["tied_switches"])
OVERLAP = (PS2["overlap_x"], POOL_3, PS2["overlap_out"], PS2["overlap_switches"])


def _switches(x, p):
    windows = np.lib.stride_tricks.sliding_window_view(
        x, (p["pool_height"], p["pool_width"]), axis=(2, 3)
    )
    windows = windows[:, :, :: p["stride"], :: p["stride"]]
    flat = windows.reshape(*windows.shape[:4], -1)
    return flat, flat.argmax(axis=-1)


def reference_pool(x, p):
    out, _ = convref.max_pool_forward_naive(x, p)
    return out, (x, p, _switches(x, p)[1])


def test_reference_pooling_passes():
    for case in (TIED, OVERLAP):
        check_pool_forward(reference_pool, *case)
    check_pool_forward(reference_pool, PS2["wide_x"], POOL_2, PS2["wide_out"], PS2["wide_switches"])
    check_pool_backward(
        lambda d, c: convref.max_pool_backward_naive(d, c[:2]),
        PS2["tied_x"],
        POOL_2,
        PS2["tied_switches"],
        PS2["tied_dout"],
        PS2["tied_dx"],
    )
    check_pool_backward(
        lambda d, c: convref.max_pool_backward_naive(d, c[:2]),
        PS2["overlap_x"],
        POOL_3,
        PS2["overlap_switches"],
        PS2["overlap_dout"],
        PS2["overlap_dx"],
    )


def _last_max(x, p):
    flat, _ = _switches(x, p)
    last = flat.shape[-1] - 1 - flat[..., ::-1].argmax(axis=-1)
    return convref.max_pool_forward_naive(x, p)[0], (x, p, last)


def _absolute_switches(x, p):
    out, (_, _, switches) = reference_pool(x, p)
    return out, (x, p, switches + 10)


POOL_FORWARD_MISTAKES = {
    "last maximum": (_last_max, TIED, "FIRST maximum"),
    "stride ignored": (
        lambda x, p: reference_pool(x, {**p, "stride": 1}),
        TIED,
        "one pixel at a time",
    ),
    "switches outside the window": (_absolute_switches, TIED, "counted row by row from 0 to 3"),
    "no switches in the cache": (
        lambda x, p: (reference_pool(x, p)[0], (x, p)),
        TIED,
        "reads the switches",
    ),
    "float switches": (
        lambda x, p: (reference_pool(x, p)[0], (x, p, reference_pool(x, p)[1][2] * 1.0)),
        TIED,
        "integer dtype",
    ),
}


@pytest.mark.parametrize("mistake", POOL_FORWARD_MISTAKES)
def test_pool_forward_mistake_is_named(mistake):
    function, case, phrase = POOL_FORWARD_MISTAKES[mistake]
    found = failure(check_pool_forward, function, *case)
    assert phrase in str(found), (mistake, str(found))


def _masked_backward(choose):
    def backward(dout, cache):
        x, p, _ = cache
        flat, first = _switches(x, p)
        dx = np.zeros_like(x)
        hh, ww, s = p["pool_height"], p["pool_width"], p["stride"]
        for n, c, r, q in np.ndindex(*dout.shape):
            window = flat[n, c, r, q]
            weights = choose(window, first[n, c, r, q]).reshape(hh, ww)
            dx[n, c, r * s : r * s + hh, q * s : q * s + ww] += weights * dout[n, c, r, q]
        return dx

    return backward


def _one_hot(size, index):
    hot = np.zeros(size)
    hot[index] = 1.0
    return hot


def _overwriting(dout, cache):
    x, p, switches = cache
    dx = np.zeros_like(x)
    for n, c, r, q in np.ndindex(*dout.shape):
        i, j = divmod(int(switches[n, c, r, q]), p["pool_width"])
        dx[n, c, r * p["stride"] + i, q * p["stride"] + j] = dout[n, c, r, q]  # = instead of +=
    return dx


TIED_BACKWARD = (PS2["tied_x"], POOL_2, PS2["tied_switches"], PS2["tied_dout"], PS2["tied_dx"])
OVERLAP_BACKWARD = (
    PS2["overlap_x"],
    POOL_3,
    PS2["overlap_switches"],
    PS2["overlap_dout"],
    PS2["overlap_dx"],
)
POOL_BACKWARD_MISTAKES = {
    "every tied maximum": (
        _masked_backward(lambda win, first: (win == win.max()) * 1.0),
        TIED_BACKWARD,
        "goes to every one",
    ),
    "last tied maximum": (
        _masked_backward(lambda win, first: _one_hot(win.size, win.size - 1 - win[::-1].argmax())),
        TIED_BACKWARD,
        "another maximum than the first",
    ),
    "averaged": (
        _masked_backward(lambda win, first: np.full(win.size, 1 / win.size)),
        TIED_BACKWARD,
        "average pooling",
    ),
    "overlaps overwritten": (_overwriting, OVERLAP_BACKWARD, "don't assign"),
    "ignores dout": (
        lambda dout, cache: _masked_backward(lambda w, f: _one_hot(w.size, f))(
            np.ones_like(dout), cache
        ),
        TIED_BACKWARD,
        "does not change when dout does",
    ),
    "returns a tuple": (
        lambda dout, cache: (convref.max_pool_backward_naive(dout, cache[:2]), None),
        TIED_BACKWARD,
        "returns dx alone",
    ),
}


@pytest.mark.parametrize("mistake", POOL_BACKWARD_MISTAKES)
def test_pool_backward_mistake_is_named(mistake):
    function, case, phrase = POOL_BACKWARD_MISTAKES[mistake]
    found = failure(check_pool_backward, function, *case)
    assert phrase in str(found), (mistake, str(found))


def test_gradient_check_compares_backward_with_own_forward():
    x = np.random.default_rng(2).permutation(72).reshape(2, 1, 6, 6) / 10.0
    right_backward = _masked_backward(lambda w, f: _one_hot(w.size, f))
    assert check_pool_gradient(reference_pool, right_backward, x, POOL_2) < 1e-8
    averaged = POOL_BACKWARD_MISTAKES["averaged"][0]
    assert "disagrees with the numerical gradient" in str(
        failure(check_pool_gradient, reference_pool, averaged, x, POOL_2)
    )


# --------------------------------------------------------------------------- FC -> CONV

FC = (PS3["fc_w"], PS3["fc_b"], PS3["fc_in_shape"], PS3["fc_filters"])


def test_fc_filters_in_the_notebook_match_the_reference():
    assert np.array_equal(convref.fc_to_conv(*FC[:3])[0], FC[3])
    check_fc_to_conv(convref.fc_to_conv, *FC)


FC_MISTAKES = {
    "no transpose": (lambda w, b, s: (w.reshape(w.shape[1], *s), b), "without transposing"),
    "channels last": (
        lambda w, b, s: (w.T.reshape(w.shape[1], s[1], s[2], s[0]).transpose(0, 3, 1, 2), b),
        "(H, W, C)",
    ),
    "filter axis last": (
        lambda w, b, s: (w.reshape(*s, w.shape[1]), b),
        "filter index must come first",
    ),
    "bias dropped": (lambda w, b, s: (w.T.reshape(w.shape[1], *s), 0 * b), "biases carry over"),
}


@pytest.mark.parametrize("mistake", FC_MISTAKES)
def test_fc_to_conv_mistake_is_named(mistake):
    function, phrase = FC_MISTAKES[mistake]
    assert phrase in str(failure(check_fc_to_conv, function, *FC)), mistake


NET_CODE = """
def conv_forward(x, w, b, conv_param):
    return convref.conv_forward_im2col(x, w, b, conv_param)

def max_pool_forward(x, pool_param):
    return convref.max_pool_forward_fast(x, pool_param)

def net_forward(net, x):
    return convref.net_forward(net, x)

def net_stride(net):
    return convref.net_stride(net)

def score_map(net, x, in_shape):
    return net_forward(convolutionalize(net, in_shape), x)
"""

RIGHT_CONVOLUTIONALIZE = """
def convolutionalize(net, in_shape):
    converted, volume = [], np.zeros((1, *in_shape))
    for kind, params in net:
        if kind == "fc":
            w, b = fc_to_conv(params["w"], params["b"], volume.shape[1:])
            layer = ("conv", {"w": w, "b": b, "stride": 1, "pad": 0})
        else:
            layer = (kind, dict(params))
        volume = net_forward([layer], volume)
        converted.append(layer)
    return converted
"""


def _small_net():
    rng = np.random.default_rng(4)
    pool = {"pool_height": 2, "pool_width": 2, "stride": 2}
    return [
        (
            "conv",
            {
                "w": rng.standard_normal((2, 1, 3, 3)),
                "b": rng.standard_normal(2),
                "stride": 1,
                "pad": 0,
            },
        ),
        ("maxpool", pool),
        ("fc", {"w": rng.standard_normal((8, 4)), "b": rng.standard_normal(4)}),
        ("relu", {}),
        ("fc", {"w": rng.standard_normal((4, 3)), "b": rng.standard_normal(3)}),
    ]


def test_convolutionalize_check_is_independent_of_fc_to_conv():
    space = student_code(
        NET_CODE
        + RIGHT_CONVOLUTIONALIZE
        + """
def fc_to_conv(w, b, in_shape):
    return w.reshape(w.shape[1], *in_shape), b  # wrong, but convolutionalize is not to blame
"""
    )
    check_convolutionalize(
        space["convolutionalize"], _small_net(), (1, 6, 6), {2: (2, 2, 2), 4: (4, 1, 1)}
    )


@pytest.mark.parametrize(
    ("code", "phrase"),
    [
        (
            "def convolutionalize(net, in_shape):\n    return [(k, dict(p)) for k, p in net]\n",
            "expected a 'conv' layer",
        ),
        (
            RIGHT_CONVOLUTIONALIZE.replace('"pad": 0', '"pad": 1').replace(
                "volume = net_forward([layer], volume)",
                "volume = net_forward([(layer[0], {**layer[1], 'pad': 0}) "
                "if layer[0] == 'conv' else layer], volume)",
            ),
            "stride 1, pad 0",
        ),
        (
            RIGHT_CONVOLUTIONALIZE.replace(
                "converted.append(layer)", "converted.append(layer)\n        params.clear()"
            ),
            "changed its input `net`",
        ),
    ],
    ids=["not converted", "padded", "modifies its input"],
)
def test_convolutionalize_mistake_is_named(code, phrase):
    space = student_code(NET_CODE + code + "\nfc_to_conv = convref.fc_to_conv\n")
    found = failure(
        check_convolutionalize,
        space["convolutionalize"],
        _small_net(),
        (1, 6, 6),
        {2: (2, 2, 2), 4: (4, 1, 1)},
    )
    assert phrase in str(found)


def test_crop_scores_mistakes_are_named():
    def crops(net, x, in_shape, stride):
        return (
            convref.crop_scores(net, x, in_shape)
            if stride == 1
            else crops_at(net, x, in_shape, stride)
        )

    def crops_at(net, x, in_shape, stride):
        return crops(net, x, in_shape, 1)[:, :, ::stride, ::stride]

    line = (PS3["line_net"], PS3["line_x"], (1, 3, 2), 2)
    check_score_map(crops, line, PS3["line_scores"], stride=2)
    found = failure(
        check_score_map,
        lambda net, x, s, stride: crops(net, x, s, 1),
        line,
        PS3["line_scores"],
        stride=2,
    )
    assert "at every pixel" in found.hint


def test_shifted_map_check_uses_the_known_conversion():
    space = student_code(
        NET_CODE
        + """
def convolutionalize(net, in_shape):
    return [(k, dict(p)) for k, p in net]  # broken: FC layers stay

def shifted_score_map(net, x, in_shape, shifts=2):
    stride = net_stride(net)
    step = stride // shifts
    _, h, w = in_shape
    dense = None
    for a in range(shifts):
        for c in range(shifts):
            part = x[:, :, a * step:, c * step:]
            part = part[:, :, :h + (part.shape[2] - h) // stride * stride, :w + (part.shape[3] - w) // stride * stride]
            scores = score_map(net, part, in_shape)
            if dense is None:
                dense = np.zeros((len(x), scores.shape[1], (x.shape[2] - h) // step + 1, (x.shape[3] - w) // step + 1))
            dense[:, :, a::shifts, c::shifts] = scores
    return dense
"""
    )
    case = (PS3["tiny_net"], PS3["tiny_x"], (1, 4, 4), 2)
    known = (PS3["tiny_net"], PS3["tiny_converted"])
    check_score_map(
        space["shifted_score_map"], case, PS3["tiny_dense"], shifts=2, known_conversion=known
    )
    with pytest.raises((CheckFailed, ValueError)):  # without it, the broken convolutionalize shows
        check_score_map(space["shifted_score_map"], case, PS3["tiny_dense"], shifts=2)


def test_only_diagonal_shifts_is_named():
    dense = PS3["tiny_dense"]
    diagonal_only = np.zeros_like(dense)
    diagonal_only[:, :, ::2, ::2] = dense[:, :, ::2, ::2]
    diagonal_only[:, :, 1::2, 1::2] = dense[:, :, 1::2, 1::2]
    found = failure(check_score_map, lambda *a: diagonal_only, (None,), dense, shifts=2)
    assert "only one axis" in found.hint


# --------------------------------------------------------------------------- the plumbing


def test_failed_check_renders_as_its_message():
    rendered = CheckFailed(
        "conv_forward_naive returned None.", "return the pair."
    )._render_traceback_()
    assert len(rendered) == 2
    assert "CheckFailed" in rendered[0] and "returned None" in rendered[0] and "Hint" in rendered[1]
    assert "Traceback" not in "".join(rendered)


def test_replaced_globals_restores_even_on_failure():
    space = student_code("def helper():\n    return 1\n\ndef user():\n    return helper()\n")
    with pytest.raises(RuntimeError), replaced_globals(space["user"], helper=lambda: 2, extra=3):
        assert space["user"]() == 2
        raise RuntimeError
    assert space["user"]() == 1 and "extra" not in space


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 2),
    c=st.integers(1, 3),
    f=st.integers(1, 3),
    field=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    steps=st.tuples(st.integers(0, 3), st.integers(0, 3)),
    stride=st.integers(1, 2),
    pad=st.integers(0, 2),
    seed=st.integers(0, 2**16),
)
def test_right_answers_pass_and_noise_is_never_misnamed(n, c, f, field, steps, stride, pad, seed):
    hh, ww = field
    height, width = hh + stride * steps[0] - 2 * pad, ww + stride * steps[1] - 2 * pad
    assume(height >= 1 and width >= 1)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, height, width))
    w, b = rng.standard_normal((f, c, hh, ww)), rng.standard_normal(f)
    param = {"stride": stride, "pad": pad}
    expected = convref.conv_forward_naive(x, w, b, param)[0]
    check_conv_forward(reference_conv, x, w, b, param, expected)
    noise = rng.standard_normal(expected.shape)

    def noisy(x, w, b, p):  # wrong everywhere, in no recognisable way
        out, cache = reference_conv(x, w, b, p)
        return out + noise[tuple(slice(0, k) for k in out.shape)], cache

    out = noisy(x, w, b, param)[0]
    assert diagnose.diagnose_conv_forward(noisy, x, w, b, param, out, expected) is None
    # and a right function is never blamed for a wrong output it did not produce
    assert diagnose.flipped_filters(reference_conv, x, w, b, param, expected) is None
    assert diagnose.missing_padding(reference_conv, x, w, b, param, expected) is None
    cols = convref.im2col(x, hh, ww, stride, pad)
    check_im2col(convref.im2col, x, (hh, ww), stride, pad, cols, expected.shape[2:])
    assert diagnose.diagnose_im2col(cols + 1.0, cols, n, c, (hh, ww), expected.shape[2:]) is None


# --------------------------------------------------------------------------- issue 9: hints


def _no_plus_one_conv(x, w, b, p):
    out, cache = reference_conv(x, w, b, p)
    return out[:, :, :-1, :-1], cache


@pytest.mark.parametrize("case", [DEMO, WIDE], ids=["demo, padded", "wide, no padding"])
def test_missing_plus_one_in_the_output_size_is_named(case):
    found = failure(check_conv_forward, _no_plus_one_conv, *case)
    assert "drop the + 1" in found.hint and "pad the input" not in found.hint


def test_missing_padding_is_still_named_where_the_shape_alone_is_ambiguous():
    no_pad = CONV_MISTAKES["no padding"][0]
    found = failure(check_conv_forward, no_pad, *DEMO)
    assert "did you pad" in found.hint and "+ 1" not in found.hint


def test_missing_plus_one_in_pooling_is_named():
    def short(x, p):
        out, cache = reference_pool(x, p)
        return out[:, :, :-1, :-1], cache

    found = failure(check_pool_forward, short, *TIED)
    assert "drop the + 1" in found.hint and "(W - F)/S + 1" in found.hint


def test_pool_cache_in_the_wrong_order_is_named():
    def reordered(x, p):
        out, (x0, p0, switches) = reference_pool(x, p)
        return out, (x0, switches, p0)

    found = failure(check_pool_forward, reordered, *TIED)
    assert "in that order" in found.message and "NumPy rather than" not in str(found)


@pytest.mark.parametrize(
    ("result", "phrase"),
    [
        (lambda out: ((out, out), None), "tuple"),
        (lambda out: ([out.tolist()], None), "Python list"),
    ],
    ids=["tuple", "list"],
)
def test_something_else_where_an_array_is_due_gets_the_right_hint(result, phrase):
    found = failure(check_conv_forward, lambda *a: result(reference_conv(*a)[0]), *DEMO)
    assert phrase in found.hint
    if phrase == "tuple":
        assert "Python list" not in found.hint


def test_a_tuple_from_im2col_is_named_as_a_tuple():
    found = failure(
        check_im2col, lambda x, hh, ww, s=1, p=0: (convref.im2col(x, hh, ww, s, p), None), *GRID
    )
    assert "tuple" in found.hint and "lists" not in found.hint


def test_forward_that_writes_into_x_is_blamed_not_the_backward():
    def writes_into_x(x, p):
        out, cache = reference_pool(x, p)
        x *= 2.0  # changes the caller's array
        return out, cache

    x = np.random.default_rng(2).permutation(72).reshape(2, 1, 6, 6) / 10.0
    right_backward = _masked_backward(lambda w, f: _one_hot(w.size, f))
    found = failure(check_pool_gradient, writes_into_x, right_backward, x, POOL_2)
    assert "writes_into_x changed its input `x`: work on a copy" in found.message
    assert "disagrees" not in str(found)


def test_an_assert_where_a_value_error_is_asked_is_reported_clearly():
    def asserts(W, F, S=1, P=0):
        assert (W - F + 2 * P) % S == 0, f"W={W} F={F} S={S} P={P}"
        return (W - F + 2 * P) // S + 1

    found = failure(check_stride_rejected, asserts, 5, 3, 3, 1)
    assert "raised an AssertionError" in found.message and "must raise a ValueError" in found.message
    assert "`assert`" in found.hint


def _im2col_stride_one(x, hh, ww, s=1, p=0):
    return convref.im2col(x, hh, ww, 1, p)


def test_im2col_ignoring_the_stride_is_named():
    found = failure(check_im2col, _im2col_stride_one, *SMALL)
    assert "ignores the stride" in found.hint


def test_score_map_messages_are_grammatical():
    found = failure(
        check_score_map, lambda *a: PS3["line_scores"] + 1.0, (None,), PS3["line_scores"]
    )
    assert found.message.startswith("the score map from <lambda> is wrong")
    found = failure(check_score_map, lambda *a: PS3["line_scores"][0], (None,), PS3["line_scores"])
    assert "the score map from <lambda> has shape" in found.message


# --------------------------------------------------------------------------- issue 9: inputs


def _writes_into_first(function):
    def wrapper(first, *rest):
        result = function(first, *rest)
        first[...] = 0  # the slip: the caller's array is overwritten
        return result

    wrapper.__name__ = "student_function"
    wrapper.__signature__ = __import__("inspect").signature(function)
    return wrapper


def _conv_signature(x, w, b, conv_param):
    return reference_conv(x, w, b, conv_param)


def _im2col_signature(x, field_height, field_width, stride=1, pad=0):
    return convref.im2col(x, field_height, field_width, stride, pad)


def _pool_backward_signature(dout, cache):
    return convref.max_pool_backward_naive(dout, cache[:2])


def _fc_signature(w, b, in_shape):
    return convref.fc_to_conv(w, b, in_shape)


def _crops_signature(net, x, in_shape, stride):
    return convref.crop_scores(net, x, in_shape)[:, :, :, :]


@pytest.mark.parametrize(
    ("check", "function", "args", "name"),
    [
        (check_conv_forward, _conv_signature, DEMO, "x"),
        (check_im2col, _im2col_signature, GRID, "x"),
        (check_pool_forward, reference_pool, TIED, "x"),
        (check_pool_backward, _pool_backward_signature, TIED_BACKWARD, "dout"),
        (check_fc_to_conv, _fc_signature, FC, "w"),
    ],
    ids=["conv", "im2col", "pool forward", "pool backward", "fc_to_conv"],
)
def test_every_check_notices_a_function_that_changes_its_input(check, function, args, name):
    found = failure(check, _writes_into_first(function), *args)
    assert f"changed its input `{name}`: work on a copy" in found.message


def test_score_map_check_notices_a_changed_net():
    def crops(net, x, in_shape, stride):
        scores = PS3["pair_scores"].copy()
        net.clear()
        return scores

    found = failure(check_score_map, crops, (list(PS3["pair_net"]), PS3["pair_x"], (2, 3, 3), 1),
                    PS3["pair_scores"])
    assert "changed its input `net`" in found.message


# --------------------------------------------------------------------------- issue 9: cases


def test_visible_im2col_case_catches_divmod_by_the_wrong_side():
    """A non-square window: splitting the row index by the window's height fails."""
    check_im2col(convref.im2col, PS1["rect_x"], (2, 3), 1, 0, PS1["rect_cols"], (2, 2))

    def divmod_by_height(x, hh, ww, stride=1, pad=0):
        n, c, h, w = x.shape
        rows, cols = (h + 2 * pad - hh) // stride + 1, (w + 2 * pad - ww) // stride + 1
        padded = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
        out = np.zeros((c * hh * ww, n * rows * cols), dtype=x.dtype)
        for r in range(c * hh * ww):
            ch, tap = divmod(r, hh * ww)
            i, j = divmod(tap, hh)  # the slip: should be ww
            window = padded[:, ch, i : i + stride * rows : stride, j : j + stride * cols : stride]
            out[r] = window[:, :rows, :cols].reshape(-1)
        return out

    check_im2col(divmod_by_height, *GRID)  # square windows cannot tell
    with pytest.raises((CheckFailed, ValueError)):  # wrong columns, or windows off the image
        check_im2col(divmod_by_height, PS1["rect_x"], (2, 3), 1, 0, PS1["rect_cols"], (2, 2))


RECT_POOL = {"pool_height": 2, "pool_width": 3, "stride": 2}


def test_visible_pool_cases_catch_divmod_by_the_wrong_side_and_float64():
    rect = (PS2["rect_x"], RECT_POOL, PS2["rect_switches"], PS2["rect_dout"], PS2["rect_dx"])
    check_pool_forward(reference_pool, PS2["rect_x"], RECT_POOL, PS2["rect_out"],
                       PS2["rect_switches"])
    check_pool_backward(_pool_backward_signature, *rect)
    wide = (PS2["wide_x"], POOL_2, PS2["wide_switches"], PS2["wide_dout"], PS2["wide_dx"])
    check_pool_backward(_pool_backward_signature, *wide)

    def by_height(dout, cache):
        x, p, switches = cache
        dx = np.zeros_like(x)
        for n, c, r, q in np.ndindex(*dout.shape):
            i, j = divmod(int(switches[n, c, r, q]), p["pool_height"])  # should be pool_width
            dx[n, c, r * p["stride"] + i, q * p["stride"] + j] += dout[n, c, r, q]
        return dx

    check_pool_backward(by_height, *TIED_BACKWARD)  # square windows cannot tell
    assert "is wrong" in str(failure(check_pool_backward, by_height, *rect))

    def upcasts(dout, cache):
        return _pool_backward_signature(dout, cache).astype(np.float64)

    assert "dtype float64; expected float32" in str(failure(check_pool_backward, upcasts, *wide))


def test_visible_pool_case_holds_leftover_rows_and_columns():
    """5x8 with 2x3 windows at stride 2: the last row and column belong to no window."""
    assert PS2["rect_out"].shape[2:] == ((5 - 2) // 2 + 1, (8 - 3) // 2 + 1) == (2, 3)
    assert not PS2["rect_dx"][0, 0, 4].any() and not PS2["rect_dx"][0, 0, :, 7].any()
    out, _ = convref.max_pool_forward_naive(PS2["rect_x"], RECT_POOL)
    assert np.array_equal(out, PS2["rect_out"])
    assert np.array_equal(
        convref.max_pool_backward_naive(PS2["rect_dout"], (PS2["rect_x"], RECT_POOL)),
        PS2["rect_dx"],
    )

    def ceil_mode(x, p):  # a window also at the leftover row: one row too many
        padded = np.pad(x, [(0, 0), (0, 0), (0, 1), (0, 0)], constant_values=-np.inf)
        return reference_pool(padded, p)

    found = failure(check_pool_forward, ceil_mode, PS2["rect_x"], RECT_POOL, PS2["rect_out"],
                    PS2["rect_switches"])
    assert "has shape (1, 1, 3, 3)" in found.message


def test_float32_im2col_visible_case():
    x32, cols32 = PS1["small_x"].astype(np.float32), PS1["small_cols"].astype(np.float32)
    check_im2col(convref.im2col, x32, (3, 3), 2, 1, cols32, (2, 2))
    found = failure(
        check_im2col,
        lambda x, hh, ww, s=1, p=0: convref.im2col(x.astype(np.float64), hh, ww, s, p),
        x32, (3, 3), 2, 1, cols32, (2, 2),
    )
    assert "dtype float64; expected float32" in found.message


SHIFT_CODE = """
def shifted_score_map(net, x, in_shape, shifts=2):
    stride = net_stride(net)
    if stride % shifts:
        raise ValueError(f"shifts={shifts} does not divide {stride}")
    step = stride // shifts
    _, h, w = in_shape
    dense = None
    for a in range(shifts):
        for c in range(shifts):
            part = x[:, :, a * OFFSET:, c * OFFSET:]
            scores = score_map(net, part, in_shape)
            if dense is None:
                dense = np.zeros((len(x), scores.shape[1], (x.shape[2] - h) // step + 1,
                                  (x.shape[3] - w) // step + 1))
            slot = dense[:, :, a::shifts, c::shifts]
            slot[...] = scores[:, :, :slot.shape[2], :slot.shape[3]]
    return dense
"""

PART0_BLANK = """
def conv_forward(x, w, b, conv_param):
    raise NotImplementedError()

def max_pool_forward(x, pool_param):
    raise NotImplementedError()

def net_forward(net, x):
    for kind, params in net:
        if kind == "conv":
            x, _ = conv_forward(x, params["w"], params["b"], params)
        elif kind == "maxpool":
            x, _ = max_pool_forward(x, params)
        elif kind == "relu":
            x = np.maximum(x, 0)
        else:
            x = x.reshape(len(x), -1) @ params["w"] + params["b"]
    return x

def net_stride(net):
    return convref.net_stride(net)

def convolutionalize(net, in_shape):
    raise NotImplementedError()

def score_map(net, x, in_shape):
    return net_forward(convolutionalize(net, in_shape), x)
"""

QUAD = {"known_conversion": (PS3["quad_net"], PS3["quad_converted"]),
        "every_crop": PS3["quad_every_crop"]}
TINY = {"known_conversion": (PS3["tiny_net"], PS3["tiny_converted"]),
        "every_crop": PS3["tiny_dense"]}


def test_quad_data_in_the_notebook_matches_the_reference():
    net, x = PS3["quad_net"], PS3["quad_x"]
    assert np.array_equal(convref.shifted_score_map(net, x, (1, 8, 8), shifts=4),
                          PS3["quad_every_crop"])
    assert np.array_equal(convref.shifted_score_map(net, x, (1, 8, 8), shifts=2),
                          PS3["quad_dense"])
    converted = convref.convolutionalize(net, (1, 8, 8))
    assert all(convref_same(a, b) for a, b in zip(converted, PS3["quad_converted"], strict=True))
    assert np.array_equal(convref.shifted_score_map(PS3["tiny_net"], PS3["tiny_x"], (1, 4, 4)),
                          PS3["tiny_dense"])


def convref_same(a, b):
    return a[0] == b[0] and all(np.array_equal(a[1][k], b[1][k]) for k in a[1])


def test_shifted_map_checks_run_without_part_0_and_catch_a_missing_step():
    """Part 0 and convolutionalize left blank: the checks answer their calls themselves."""
    right = student_code(PART0_BLANK + SHIFT_CODE.replace("OFFSET", "step"))
    shifted = right["shifted_score_map"]
    check_score_map(shifted, (PS3["tiny_net"], PS3["tiny_x"], (1, 4, 4), 2), PS3["tiny_dense"],
                    shifts=2, **TINY)
    check_score_map(shifted, (PS3["quad_net"], PS3["quad_x"], (1, 8, 8), 2), PS3["quad_dense"],
                    shifts=2, **QUAD)
    check_rejected(shifted, (PS3["tiny_net"], PS3["tiny_x"], (1, 4, 4), 3), "call", **TINY)

    by_index = student_code(PART0_BLANK + SHIFT_CODE.replace("OFFSET", "1"))["shifted_score_map"]
    # with step 1 the slip does no harm, with step 2 it fails and is named
    check_score_map(by_index, (PS3["tiny_net"], PS3["tiny_x"], (1, 4, 4), 2), PS3["tiny_dense"],
                    shifts=2, **TINY)
    found = failure(check_score_map, by_index, (PS3["quad_net"], PS3["quad_x"], (1, 8, 8), 2),
                    PS3["quad_dense"], shifts=2, **QUAD)
    assert "as if the step were 1" in found.hint


def test_shifts_that_do_not_divide_the_stride_must_raise_a_value_error():
    code = PART0_BLANK + SHIFT_CODE.replace("OFFSET", "step")
    asserts = student_code(code.replace(
        'raise ValueError(f"shifts={shifts} does not divide {stride}")',
        'assert False, "bad shifts"'))
    found = failure(check_rejected, asserts["shifted_score_map"],
                    (PS3["tiny_net"], PS3["tiny_x"], (1, 4, 4), 3), "shifted_score_map(...)", **TINY)
    assert "raised an AssertionError (bad shifts); it must raise a ValueError" in found.message
    silent = student_code(code.replace(
        'raise ValueError(f"shifts={shifts} does not divide {stride}")',
        "return np.zeros((1, 2, 3, 3))"))
    found = failure(check_rejected, silent["shifted_score_map"],
                    (PS3["tiny_net"], PS3["tiny_x"], (1, 4, 4), 3), "shifted_score_map(...)", **TINY)
    assert "must raise a ValueError" in found.message


def test_convolutionalize_check_runs_without_part_0_and_without_fc_to_conv():
    space = student_code(
        PART0_BLANK.replace("def convolutionalize(net, in_shape):\n    raise NotImplementedError()\n",
                            "")
        + RIGHT_CONVOLUTIONALIZE
        + "\ndef fc_to_conv(w, b, in_shape):\n    raise NotImplementedError()\n"
    )
    check_convolutionalize(
        space["convolutionalize"], _small_net(), (1, 6, 6), {2: (2, 2, 2), 4: (4, 1, 1)}
    )
    wrong_volume = RIGHT_CONVOLUTIONALIZE.replace("volume.shape[1:]", "volume.shape[1:][::-1]")
    blank = PART0_BLANK.replace(
        "def convolutionalize(net, in_shape):\n    raise NotImplementedError()\n", ""
    )
    space = student_code(blank + wrong_volume + "\nfc_to_conv = convref.fc_to_conv\n")
    found = failure(check_convolutionalize, space["convolutionalize"], _small_net(), (1, 6, 6),
                    {2: (2, 2, 2), 4: (4, 1, 1)})
    assert "which they do not fit" in found.message
