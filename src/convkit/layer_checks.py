"""The checks the assignment notebooks run on the functions students write.

Each ``check_*`` function calls the student's function on inputs whose answer is
known, and raises :class:`convkit.checks.CheckFailed` with one readable sentence
(and a hint from :mod:`convkit.diagnose` when the mistake is a known one) if
anything is off: a missing return value, a forgotten cache, a wrong shape or
dtype, or wrong numbers. One rule holds for every function: it must leave its
input arrays as they were (:func:`convkit.checks.call_leaving_inputs`).

A check tests one function only. When the function under test calls another
function the student wrote (``conv_forward_im2col`` calls ``im2col``, a conv
layer may call ``conv_output_size``), the check answers those calls for its own
known inputs, so a bug elsewhere cannot cost this function its points. Calls it
has no answer for go to the student's function as usual. The same goes for the
ungraded layers students paste into problem set 3: its checks answer the calls
those layers would get from stored data, or only follow shapes, so that a blank
or wrong Part 0 costs no points.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from convkit.checks import (
    UNKNOWN,
    CheckFailed,
    answering,
    call_leaving_inputs,
    describe,
    replaced_globals,
    require_array,
    require_close,
    require_value_error,
    snapshot,
    unpack_pair,
)
from convkit.diagnose import (
    diagnose_conv_forward,
    diagnose_conv_im2col,
    diagnose_conv_shape,
    diagnose_fc_to_conv,
    diagnose_im2col,
    diagnose_pool_backward,
    diagnose_pool_forward,
    diagnose_score_map,
    diagnose_switches,
    fc_shape_mistake,
    size_slips,
)
from convkit.gradcheck import eval_numerical_gradient_array, rel_error

Layer = tuple[str, dict[str, Any]]


def _name(function: Callable[..., Any]) -> str:
    return getattr(function, "__name__", "your function")


def _float_dtype(*arrays: np.ndarray) -> np.dtype:
    """The dtype a layer should return for these inputs: their common float type."""
    dtype = np.result_type(*arrays)
    return dtype if np.issubdtype(dtype, np.floating) else np.dtype(np.float64)


# --------------------------------------------------------------------------- sizes


def _output_size_signature(W: int, F: int, S: int = 1, P: int = 0) -> None:
    """The signature calls to ``conv_output_size`` are matched against."""


def check_output_sizes(
    conv_output_size: Callable[..., Any], cases: dict[tuple[int, int, int, int], int]
) -> None:
    """Check ``conv_output_size(W, F, S, P)`` against known sizes ``{(W, F, S, P): size}``."""
    name = _name(conv_output_size)
    for (W, F, S, P), size in cases.items():
        got = conv_output_size(W, F, S, P)
        if got is None:
            raise CheckFailed(f"{name}({W}, {F}, {S}, {P}) returned None.", "return the size.")
        if isinstance(got, bool) or not isinstance(got, int | np.integer):
            raise CheckFailed(
                f"{name}({W}, {F}, {S}, {P}) returned {got!r}, {describe(got)}; sizes are ints.",
                "a division in Python gives a float; return an int once you know it is whole.",
            )
        if got != size:
            raise CheckFailed(
                f"{name}(W={W}, F={F}, S={S}, P={P}) returned {got}; expected {size}.",
                _size_hint(got, size, W, F, S, P),
            )


_SLIP_HINTS = {
    "no + 1": "did you drop the + 1? (W - F + 2P)/S counts the steps the window takes, the + 1 "
    "its first position",
    "no pad": "the padding is missing: P zeros on each side make the input W + 2P wide",
    "no stride": "the stride is missing: the window moves S pixels at a time",
}


def _size_hint(got: Any, size: int, W: int, F: int, S: int, P: int) -> str | None:
    """Name the slip in the size formula that gives ``got`` (not ``size``), if one does."""
    slips = size_slips((W,), (F,), S, P)
    named = [hint for slip, hint in _SLIP_HINTS.items() if slips.get(slip) == (got,)]
    return "; or ".join(named) + "." if named else None


def check_stride_rejected(
    conv_output_size: Callable[..., Any], W: int, F: int, S: int, P: int
) -> None:
    """Check that a stride which does not fit raises a ValueError that names the numbers."""
    name = _name(conv_output_size)
    call = f"{name}(W={W}, F={F}, S={S}, P={P})"
    try:
        err = require_value_error(conv_output_size, (W, F, S, P), call)
    except CheckFailed as failed:
        if "returned" not in failed.message:
            raise
        raise CheckFailed(
            f"{failed.message[: failed.message.index(' where')]}, but this stride does not fit: "
            "(W - F + 2P)/S + 1 is not a whole number.",
            "raise a ValueError instead of returning a size.",
        ) from None
    message = str(err)
    missing = [f"{k}={v}" for k, v in (("W", W), ("F", F), ("S", S)) if str(v) not in message]
    if missing:
        raise CheckFailed(
            f"{call} raised ValueError({message!r}), which does not mention {', '.join(missing)}.",
            "put the numbers in the message, so that whoever hits it sees what did not fit.",
        )


def check_param_counts(
    conv_param_count: Callable[..., Any], cases: Sequence[tuple[dict[str, Any], int]]
) -> None:
    """Check ``conv_param_count(**kwargs)`` against known counts ``[(kwargs, count), ...]``."""
    name = _name(conv_param_count)
    for kwargs, count in cases:
        got = conv_param_count(**kwargs)
        call = ", ".join(f"{k}={v}" for k, v in kwargs.items())
        if got is None:
            raise CheckFailed(f"{name}({call}) returned None.", "return the count.")
        if got != count:
            raise CheckFailed(
                f"{name}({call}) returned {got}; expected {count:,}.",
                "every filter has F*F*depth weights and one bias"
                if kwargs.get("shared", True)
                else "without sharing, every output neuron has its own weights and bias",
            )


# --------------------------------------------------------------------------- convolution


def _im2col_signature(
    x: Any, field_height: int, field_width: int, stride: int = 1, pad: int = 0
) -> None:
    """The signature calls to ``im2col`` are matched against."""


def _known_columns(
    x: np.ndarray, field: tuple[int, int], conv_param: dict, cols: np.ndarray
) -> Callable[[tuple], Any]:
    """Answer im2col calls on ``x`` (or on ``x`` already padded, with pad 0) with ``cols``."""
    stride, pad = int(conv_param["stride"]), int(conv_param["pad"])
    padded = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])

    def answer(call: tuple) -> Any:
        image, hh, ww, s, p = call
        image = np.asarray(image)
        if (hh, ww, s) != (*field, stride):
            return UNKNOWN
        if (p == pad and np.array_equal(image, x)) or (p == 0 and np.array_equal(image, padded)):
            return cols.astype(image.dtype)
        return UNKNOWN

    return answer


def _conv_stand_ins(
    conv_forward: Callable[..., Any],
    x: np.ndarray,
    w: np.ndarray,
    conv_param: dict,
    out_shape: tuple[int, ...],
    known_cols: np.ndarray | None,
) -> dict[str, Callable[..., Any]]:
    """Stand-ins for the student's helpers that a conv layer may call."""
    namespace = getattr(conv_forward, "__globals__", {})
    stand_ins: dict[str, Callable[..., Any]] = {}
    stride, pad = int(conv_param["stride"]), int(conv_param["pad"])
    if callable(namespace.get("conv_output_size")):
        sizes = {
            (x.shape[2], w.shape[2], stride, pad): out_shape[2],
            (x.shape[3], w.shape[3], stride, pad): out_shape[3],
        }
        stand_ins["conv_output_size"] = answering(
            namespace["conv_output_size"], sizes, _output_size_signature
        )
    if known_cols is not None and callable(namespace.get("im2col")):
        stand_ins["im2col"] = answering(
            namespace["im2col"],
            _known_columns(x, tuple(w.shape[2:]), conv_param, known_cols),
            _im2col_signature,
        )
    return stand_ins


def check_conv_forward(
    conv_forward: Callable[..., Any],
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    conv_param: dict,
    expected: np.ndarray,
    known_cols: np.ndarray | None = None,
) -> None:
    """Check a conv forward pass ``(x, w, b, conv_param) -> (out, cache)`` on one case.

    Parameters
    ----------
    conv_forward : callable
        The student's ``conv_forward_naive`` or ``conv_forward_im2col``.
    x, w, b, conv_param :
        The inputs.
    expected : ndarray
        The right output; it also fixes the output dtype.
    known_cols : ndarray, optional
        The right ``im2col`` of ``x`` for this case. When given, the check
        answers the function's ``im2col`` calls with it, so that only the
        matrix multiply and the reshapes around it are tested, and it insists
        that the function does call ``im2col``.
    """
    name = _name(conv_forward)
    what = f"the output of {name}"
    stand_ins = _conv_stand_ins(conv_forward, x, w, conv_param, expected.shape, known_cols)
    diagnose = diagnose_conv_im2col if known_cols is not None else diagnose_conv_forward
    im2col_calls: list[tuple] = []
    if "im2col" in stand_ins:
        answer_im2col = stand_ins["im2col"]

        def counted_im2col(*args: Any, **kwargs: Any) -> Any:
            im2col_calls.append(args)
            return answer_im2col(*args, **kwargs)

        stand_ins["im2col"] = counted_im2col
    with replaced_globals(conv_forward, **stand_ins):
        result = call_leaving_inputs(conv_forward, x.copy(), w.copy(), b.copy(), dict(conv_param))
        if "im2col" in stand_ins and not im2col_calls:
            raise CheckFailed(
                f"{name} never called im2col.",
                "this layer is built from your im2col and one matrix multiply, without loops.",
            )
        out, cache = unpack_pair(result, name, "out", "cache")
        out = require_array(
            out,
            what,
            expected.shape,
            _float_dtype(x, w, b),
            shape_hint=lambda: diagnose_conv_shape(
                conv_forward, x, w, b, conv_param, out.shape, expected.shape
            ),
        )
        require_close(
            out,
            expected,
            what,
            hint=lambda: diagnose(conv_forward, x, w, b, conv_param, out, expected),
        )
    if cache is None:
        raise CheckFailed(
            f"{name} returned None as its cache.",
            "the backward pass needs the forward inputs: make (x, w, b, conv_param) the cache.",
        )
    _check_conv_cache_order(cache, name, x, w, b)


_CONV_CACHE = ["x", "w", "b", "conv_param"]


def _check_conv_cache_order(
    cache: Any, name: str, x: np.ndarray, w: np.ndarray, b: np.ndarray
) -> None:
    """Name a cache holding the forward inputs in another order than ``(x, w, b, conv_param)``."""
    if not isinstance(cache, tuple | list) or len(cache) != 4:
        return
    labels = [_conv_cache_label(value, x, w, b) for value in cache]
    if sorted(labels) == sorted(_CONV_CACHE) and labels != _CONV_CACHE:
        raise CheckFailed(
            f"the cache of {name} holds ({', '.join(labels)}); expected (x, w, b, conv_param) "
            "in that order.",
            "the backward pass takes the four values out of the cache by position, so the "
            "order matters: the input x first, then the filters w, the biases b, and the "
            "parameters last.",
        )


def _conv_cache_label(value: Any, x: np.ndarray, w: np.ndarray, b: np.ndarray) -> str:
    """Which forward input ``value`` is, told by its type and shape ("?" when unsure)."""
    if isinstance(value, dict):
        return "conv_param"
    shape = getattr(value, "shape", None)
    matches = [label for label, a in (("x", x), ("w", w), ("b", b)) if shape == a.shape]
    return matches[0] if len(matches) == 1 else "?"


def check_im2col(
    im2col: Callable[..., Any],
    x: np.ndarray,
    field: tuple[int, int],
    stride: int,
    pad: int,
    expected: np.ndarray,
    positions: tuple[int, int],
) -> None:
    """Check ``im2col(x, HH, WW, stride, pad)`` against the known matrix.

    Parameters
    ----------
    im2col : callable
        The student's function.
    x : ndarray, shape (N, C, H, W)
        The input.
    field : (int, int)
        ``(HH, WW)``.
    stride, pad : int
        Window step and zero padding.
    expected : ndarray, shape (C*HH*WW, N*H_out*W_out)
        The right columns.
    positions : (int, int)
        ``(H_out, W_out)``, used by the diagnoses.
    """
    name = _name(im2col)
    what = f"the result of {name}"
    namespace = getattr(im2col, "__globals__", {})
    stand_ins = {}
    if callable(namespace.get("conv_output_size")):
        sizes = {
            (x.shape[2], field[0], stride, pad): positions[0],
            (x.shape[3], field[1], stride, pad): positions[1],
        }
        stand_ins["conv_output_size"] = answering(
            namespace["conv_output_size"], sizes, _output_size_signature
        )
    n, c = x.shape[:2]
    probe = (im2col, x, stride, pad)
    with replaced_globals(im2col, **stand_ins):
        cols = call_leaving_inputs(im2col, x.copy(), field[0], field[1], stride, pad)
        cols = require_array(
            cols,
            what,
            expected.shape,
            _float_dtype(x),
            shape_hint=lambda: diagnose_im2col(cols, expected, n, c, field, positions, probe),
        )
        require_close(
            cols,
            expected,
            what,
            hint=lambda: diagnose_im2col(cols, expected, n, c, field, positions, probe),
        )


# --------------------------------------------------------------------------- max pooling


def _pool_cache(cache: Any, name: str) -> tuple:
    if not isinstance(cache, tuple | list) or len(cache) != 3:
        raise CheckFailed(
            f"the cache of {name} is {describe(cache)}; expected (x, pool_param, switches).",
            "the backward pass reads the switches from the cache.",
        )
    kinds = ["dict" if isinstance(v, dict) else "array" for v in cache]
    if sorted(kinds) == ["array", "array", "dict"] and kinds[1] != "dict":
        order = ", ".join("pool_param" if k == "dict" else "an array" for k in kinds)
        raise CheckFailed(
            f"the cache of {name} holds ({order}); expected (x, pool_param, switches) "
            "in that order.",
            "the backward pass takes the three values out of the cache by position, so the "
            "order matters: the input first, then the parameters, then the switches.",
        )
    return tuple(cache)


def check_pool_forward(
    pool_forward: Callable[..., Any],
    x: np.ndarray,
    pool_param: dict,
    expected: np.ndarray,
    expected_switches: np.ndarray,
) -> None:
    """Check ``max_pool_forward(x, pool_param) -> (out, (x, pool_param, switches))`` on one case."""
    name = _name(pool_forward)
    what = f"the output of {name}"
    result = call_leaving_inputs(pool_forward, x.copy(), dict(pool_param))
    out, cache = unpack_pair(result, name, "out", "cache")
    out = require_array(
        out,
        what,
        expected.shape,
        _float_dtype(x),
        shape_hint=lambda: diagnose_pool_forward(out, expected, pool_param, x.shape[2:]),
    )
    require_close(
        out, expected, what, hint=lambda: diagnose_pool_forward(out, expected, pool_param)
    )
    switches = require_array(
        _pool_cache(cache, name)[2],
        f"the switch array in the cache of {name}",
        expected_switches.shape,
    )
    if not np.issubdtype(switches.dtype, np.integer):
        raise CheckFailed(
            f"the switches have dtype {switches.dtype}; they are positions: use an integer dtype."
        )
    if not np.array_equal(switches, expected_switches):
        wrong = np.argwhere(switches != expected_switches)[0]
        at = tuple(int(i) for i in wrong)
        raise CheckFailed(
            f"the switch at index {at} is {int(switches[at])}; "
            f"expected {int(expected_switches[at])}.",
            diagnose_switches(pool_forward, x, pool_param, switches, expected_switches),
        )


def check_pool_backward(
    pool_backward: Callable[..., Any],
    x: np.ndarray,
    pool_param: dict,
    switches: np.ndarray,
    dout: np.ndarray,
    expected: np.ndarray,
) -> None:
    """Check ``max_pool_backward(dout, cache) -> dx``, given the right cache."""
    name = _name(pool_backward)
    what = f"dx from {name}"
    cache = (x.copy(), dict(pool_param), switches.copy())
    dx = call_leaving_inputs(pool_backward, dout.copy(), cache)
    if isinstance(dx, tuple | list):
        raise CheckFailed(
            f"{name} returned {describe(dx)}; it returns dx alone.",
            "a pooling layer has no parameters, so there is no other gradient to return.",
        )
    dx = require_array(dx, what)
    if dx.shape != x.shape:
        raise CheckFailed(
            f"{what} has shape {dx.shape}; expected {x.shape}, the shape of x.",
        )
    require_array(dx, what, dtype=_float_dtype(x))
    require_close(
        dx,
        expected,
        what,
        hint=lambda: diagnose_pool_backward(pool_backward, dout, cache, dx, expected),
    )


def check_pool_gradient(
    pool_forward: Callable[..., Any],
    pool_backward: Callable[..., Any],
    x: np.ndarray,
    pool_param: dict,
    seed: int = 0,
) -> float:
    """Compare the backward pass with the numerical gradient of the student's own forward pass.

    ``x`` must not have near-ties inside a window: there the max is not
    differentiable and the numerical gradient means nothing.

    Returns
    -------
    float
        The relative error (below 1e-8 when the two agree).
    """
    forward, backward = _name(pool_forward), _name(pool_backward)
    # A forward pass that writes into x would make the numerical gradient wrong,
    # and the backward pass would be blamed: the rule on inputs is checked first.
    result = call_leaving_inputs(pool_forward, x.copy(), dict(pool_param))
    out, cache = unpack_pair(result, forward, "out", "cache")
    out = require_array(out, f"the output of {forward}")
    dout = np.random.default_rng(seed).standard_normal(out.shape)
    dx = call_leaving_inputs(pool_backward, dout, cache)
    dx = require_array(dx, f"dx from {backward}", x.shape)

    def pooled(v: np.ndarray) -> np.ndarray:
        return pool_forward(v, dict(pool_param))[0]

    numeric = eval_numerical_gradient_array(pooled, x.astype(np.float64), dout)
    error = rel_error(dx, numeric)
    if error > 1e-8:
        raise CheckFailed(
            f"{backward} disagrees with the numerical gradient of {forward}: relative error "
            f"{error:.1e} (should be below 1e-8).",
            "with a correct forward pass, the gradient goes only to each window's maximum.",
        )
    return error


# --------------------------------------------------------------------------- FC -> CONV


def check_fc_to_conv(
    fc_to_conv: Callable[..., Any],
    w: np.ndarray,
    b: np.ndarray,
    in_shape: tuple[int, int, int],
    expected: np.ndarray,
) -> None:
    """Check ``fc_to_conv(w, b, in_shape) -> (w_conv, b_conv)`` against the known filters."""
    name = _name(fc_to_conv)
    w_conv, b_conv = unpack_pair(
        call_leaving_inputs(fc_to_conv, w.copy(), b.copy(), tuple(in_shape)),
        name,
        "w_conv",
        "b_conv",
    )
    w_conv = require_array(
        w_conv,
        f"w_conv from {name}",
        expected.shape,
        shape_hint=lambda: fc_shape_mistake(w_conv.shape, expected.shape),
    )
    require_close(
        w_conv,
        expected,
        f"w_conv from {name}",
        hint=lambda: diagnose_fc_to_conv(w_conv, w, expected),
    )
    b_conv = require_array(b_conv, f"b_conv from {name}", shape=b.shape)
    require_close(
        b_conv, b, f"b_conv from {name}", hint="the biases carry over unchanged, one per filter."
    )


def _same_layer(a: Layer, b: Layer) -> bool:
    if a[0] != b[0] or set(a[1]) != set(b[1]):
        return False
    return all(np.array_equal(np.asarray(a[1][k]), np.asarray(b[1][k])) for k in a[1])


def _same_net(a: Any, b: Sequence[Layer]) -> bool:
    """Whether ``a`` is a list of layers holding the same kinds and values as ``b``."""
    try:
        return len(a) == len(b) and all(_same_layer(p, q) for p, q in zip(a, b, strict=True))
    except (TypeError, ValueError, IndexError, KeyError):
        return False


# Shape-only stand-ins for the layers students paste into problem set 3 (Part 0,
# ungraded). `convolutionalize` only needs to learn the volume each FC layer sees,
# so while its check runs these layers give zeros of the right shape.


def _shape_only_conv(x: Any, w: Any, b: Any, conv_param: dict) -> tuple[np.ndarray, None]:
    """Zeros of the shape a conv layer's output has (windows that fit, no values)."""
    n, _, height, width = np.shape(x)
    filters, _, hh, ww = np.shape(w)
    stride, pad = int(conv_param["stride"]), int(conv_param["pad"])
    rows = (height + 2 * pad - hh) // stride + 1
    cols = (width + 2 * pad - ww) // stride + 1
    if rows < 1 or cols < 1 or np.shape(x)[1] != np.shape(w)[1]:
        raise CheckFailed(
            f"a conv layer with filters of shape {np.shape(w)} got an input of shape "
            f"{np.shape(x)}, which they do not fit.",
            "each converted FC layer's filters must have the shape (K, C, H, W) of the "
            "volume that reaches it.",
        )
    return np.zeros((n, filters, rows, cols)), None


def _shape_only_pool(x: Any, pool_param: dict) -> tuple[np.ndarray, None]:
    """Zeros of the shape a max-pooling layer's output has."""
    n, c, height, width = np.shape(x)
    stride = int(pool_param["stride"])
    rows = (height - int(pool_param["pool_height"])) // stride + 1
    cols = (width - int(pool_param["pool_width"])) // stride + 1
    return np.zeros((n, c, rows, cols)), None


def check_convolutionalize(
    convolutionalize: Callable[..., Any],
    net: list[Layer],
    in_shape: tuple[int, int, int],
    fc_volumes: dict[int, tuple[int, int, int]],
) -> None:
    """Check ``convolutionalize(net, in_shape)``: FC layers become convs, the rest is untouched.

    The check depends on no other function of the student's: calls to
    ``fc_to_conv`` are answered with marked filters (the check then looks for
    exactly those in the converted layer), and the Part 0 layers
    ``conv_forward`` and ``max_pool_forward`` are replaced by stand-ins that
    only follow shapes, which is all that finding the volumes needs.

    Parameters
    ----------
    fc_volumes : dict
        Layer index -> the ``(C, H, W)`` volume that FC layer looks at.
    """
    name = _name(convolutionalize)
    marked: dict[tuple[int, tuple[int, ...]], tuple[np.ndarray, np.ndarray]] = {}
    fc_weights = [(i, np.asarray(p["w"])) for i, (kind, p) in enumerate(net) if kind == "fc"]
    seen: list[tuple[int, ...]] = []
    rng = np.random.default_rng(0)

    def marked_fc_to_conv(w: Any, b: Any, in_shape: Any) -> tuple[np.ndarray, np.ndarray]:
        try:
            volume = tuple(int(s) for s in in_shape)
        except (TypeError, ValueError):
            volume = ()
        seen.append(volume)
        rows, k = np.shape(w)
        if len(volume) != 3 or int(np.prod(volume)) != rows:
            raise CheckFailed(
                f"{name} called fc_to_conv with in_shape={in_shape!r} for weights of shape "
                f"{np.shape(w)}; in_shape must be the (C, H, W) volume the FC layer sees "
                f"(C*H*W = {rows}).",
                "run the layers before it on a blank image of in_shape to learn the volume.",
            )
        owner = next((i for i, known in fc_weights if np.array_equal(known, w)), -1)
        key = (owner, volume)
        if key not in marked:
            marked[key] = (rng.standard_normal((k, *volume)), rng.standard_normal(k))
        return marked[key]

    stand_ins = {
        "fc_to_conv": marked_fc_to_conv,
        "conv_forward": _shape_only_conv,
        "max_pool_forward": _shape_only_pool,
    }
    with replaced_globals(convolutionalize, **stand_ins):
        converted = call_leaving_inputs(convolutionalize, net, tuple(in_shape))
    if converted is None:
        raise CheckFailed(f"{name} returned None.", "return the new list of layers.")
    if not isinstance(converted, list) or len(converted) != len(net):
        raise CheckFailed(
            f"{name} returned {describe(converted)}; expected a list of {len(net)} layers."
        )
    for index, (layer, new) in enumerate(zip(net, converted, strict=True)):
        if index not in fc_volumes:
            if not _same_layer(layer, new):
                raise CheckFailed(
                    f"layer {index} ({layer[0]}) changed; only FC layers are converted."
                )
            continue
        volume = tuple(fc_volumes[index])
        kind, params = new
        if kind != "conv" or set(params) != {"w", "b", "stride", "pad"}:
            raise CheckFailed(
                f"layer {index} became ({kind!r}, keys {sorted(params)}); expected a 'conv' layer "
                "with keys ['b', 'pad', 'stride', 'w']."
            )
        if (params["stride"], params["pad"]) != (1, 0):
            raise CheckFailed(
                f"the conv replacing FC layer {index} has stride {params['stride']} and pad "
                f"{params['pad']}; a filter as large as its input fits once: stride 1, pad 0."
            )
        filters = marked.get((index, volume))
        if filters is None:
            raise CheckFailed(
                f"FC layer {index} looks at a {volume} volume, but fc_to_conv was only called "
                f"with {seen or 'nothing'} for its weights.",
                "run the layers before it on a blank image of in_shape to learn the volume, "
                "and convert each FC layer's own weights with fc_to_conv.",
            )
        w_new, b_new = params["w"], params["b"]
        if not (np.array_equal(w_new, filters[0]) and np.array_equal(b_new, filters[1])):
            raise CheckFailed(
                f"the conv replacing FC layer {index} does not hold the filters and biases "
                "fc_to_conv returned for it."
            )


def _net_forward_signature(net: Any, x: Any) -> None:
    """The signature calls to ``net_forward`` are matched against."""


def _offset_in(image: Any, x: np.ndarray) -> tuple[int, int] | None:
    """Where ``image`` lies inside ``x`` as a block ``x[:, :, r:r+h, c:c+w]``, or None."""
    if not isinstance(image, np.ndarray) or image.ndim != 4 or image.shape[:2] != x.shape[:2]:
        return None
    h, w = image.shape[2:]
    for r in range(x.shape[2] - h + 1):
        for c in range(x.shape[3] - w + 1):
            if np.array_equal(x[:, :, r : r + h, c : c + w], image):
                return r, c
    return None


def _known_net_forward(
    net: list[Layer],
    converted: list[Layer],
    x: np.ndarray,
    in_shape: tuple[int, int, int],
    every_crop: np.ndarray,
) -> Callable[[tuple], Any]:
    """Answer ``net_forward`` calls on pieces of ``x`` from the scores of every crop.

    ``every_crop[:, :, r, c]`` holds the scores of the crop whose top-left pixel
    is ``(r, c)``. The converted network on a block of ``x`` starting at
    ``(r, c)`` gives the crops every ``s`` pixels from there (``s`` its total
    stride); the original network on one crop gives that crop's scores.
    """
    _, h, w = in_shape
    stride = int(np.prod([p["stride"] for k, p in converted if k in ("conv", "maxpool")]))

    def answer(call: tuple) -> Any:
        layers, image = call
        corner = _offset_in(image, x)
        if corner is None:
            return UNKNOWN
        r, c = corner
        height, width = image.shape[2:]
        if height < h or width < w:
            return UNKNOWN
        if _same_net(layers, converted):
            rows, cols = (height - h) // stride + 1, (width - w) // stride + 1
            block = every_crop[:, :, r : r + (rows - 1) * stride + 1 : stride]
            return block[:, :, :, c : c + (cols - 1) * stride + 1 : stride].copy()
        if _same_net(layers, net) and (height, width) == (h, w):
            return every_crop[:, :, r, c].copy()
        return UNKNOWN

    return answer


def _score_map_stand_ins(
    function: Callable[..., Any],
    args: tuple,
    known_conversion: tuple[list[Layer], list[Layer]] | None,
    every_crop: np.ndarray | None,
) -> dict[str, Callable[..., Any]]:
    """Stand-ins that keep a score-map check off the student's other functions and Part 0."""
    namespace = getattr(function, "__globals__", {})
    stand_ins: dict[str, Callable[..., Any]] = {}
    if known_conversion is None:
        return stand_ins
    net, converted = known_conversion
    if callable(namespace.get("convolutionalize")):
        stand_ins["convolutionalize"] = answering(
            namespace["convolutionalize"],
            lambda call: snapshot(converted) if _same_net(call[0], net) else UNKNOWN,
        )
    if every_crop is not None and callable(namespace.get("net_forward")):
        x, in_shape = args[1], args[2]
        stand_ins["net_forward"] = answering(
            namespace["net_forward"],
            _known_net_forward(net, converted, x, tuple(in_shape), every_crop),
            _net_forward_signature,
        )
    return stand_ins


def check_score_map(
    function: Callable[..., Any],
    args: tuple,
    expected: np.ndarray,
    stride: int = 1,
    shifts: int = 1,
    known_conversion: tuple[list[Layer], list[Layer]] | None = None,
    every_crop: np.ndarray | None = None,
) -> None:
    """Check a score-map function (``crop_scores`` or ``shifted_score_map``) on one case.

    Parameters
    ----------
    function : callable
        The student's function, called as ``function(*args)`` with
        ``args = (net, x, in_shape, ...)``.
    expected : ndarray, shape (N, K, H_s, W_s)
        The right scores.
    stride, shifts : int
        The crop stride and the number of shifts per axis, for the diagnoses.
    known_conversion : (net, converted), optional
        When given, calls to the student's ``convolutionalize`` with ``net``
        are answered with ``converted``, so that a bug there does not show up here.
    every_crop : ndarray, shape (N, K, H - h + 1, W - w + 1), optional
        The scores of the crop at every pixel of ``x``. With ``known_conversion``,
        calls to ``net_forward`` on pieces of ``x`` are answered from it, so the
        check does not run the student's Part 0 layers.
    """
    name = _name(function)
    what = f"the score map from {name}"
    stand_ins = _score_map_stand_ins(function, args, known_conversion, every_crop)
    with replaced_globals(function, **stand_ins):
        scores = call_leaving_inputs(function, *args)
    scores = require_array(
        scores,
        what,
        expected.shape,
        shape_hint=lambda: diagnose_score_map(scores, expected, stride, shifts),
    )
    require_close(
        scores,
        expected,
        what,
        hint=lambda: diagnose_score_map(scores, expected, stride, shifts, every_crop),
    )


def check_rejected(
    function: Callable[..., Any],
    args: tuple,
    call: str,
    known_conversion: tuple[list[Layer], list[Layer]] | None = None,
    every_crop: np.ndarray | None = None,
) -> None:
    """Check that ``function(*args)`` raises a ValueError (shown to students as ``call``).

    The stand-ins of :func:`check_score_map` apply, for score-map functions.
    """
    stand_ins = _score_map_stand_ins(function, args, known_conversion, every_crop)
    with replaced_globals(function, **stand_ins):
        require_value_error(function, args, call)
