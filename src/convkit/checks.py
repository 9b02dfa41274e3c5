"""Readable verdicts for the checks in the assignment notebooks.

A check that fails raises :class:`CheckFailed`, an ``AssertionError`` whose
notebook display is its message alone: IPython asks an exception for
``_render_traceback_`` before formatting a traceback, so students read one
paragraph ("conv_forward_naive returned None ...") instead of frames from
inside this module. Errors raised by the student's own code are left alone:
their traceback points at the line to fix.

The helpers here know nothing about convolutions; :mod:`convkit.layer_checks`
builds the per-layer checks on them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np

# Tolerances relative to the size of the expected values: loops and matrix
# multiplies add in different orders, so float64 results differ in the last bits
# and float32 ones in the sixth or seventh digit.
TOLERANCE = {np.dtype(np.float64): 1e-7, np.dtype(np.float32): 1e-4, np.dtype(np.float16): 1e-2}


class CheckFailed(AssertionError):
    """A failed check, displayed in a notebook as its message without a traceback.

    Parameters
    ----------
    message : str
        What is wrong, in one sentence.
    hint : str, optional
        What probably caused it, when a diagnosis recognised the mistake.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message if hint is None else f"{message}\nHint: {hint}")

    def _render_traceback_(self) -> list[str]:
        red, bold, reset = "\x1b[0;31m", "\x1b[1m", "\x1b[0m"
        lines = [f"{red}{type(self).__name__}{reset}: {self.message}"]
        if self.hint:
            lines.append(f"{bold}Hint{reset}: {self.hint}")
        return lines


def describe(value: Any) -> str:
    """A short description of a value for messages: type, and shape and dtype of arrays."""
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, tuple | list):
        return f"a {type(value).__name__} of {len(value)} values"
    kind = type(value).__name__
    return f"{'an' if kind[:1] in 'aeiou' else 'a'} {kind}"


def unpack_pair(result: Any, function: str, first: str, second: str) -> tuple[Any, Any]:
    """Split a function's result into the two values it must return.

    Parameters
    ----------
    result : object
        What the student's function returned.
    function : str
        Its name, for messages.
    first, second : str
        Names of the two values, e.g. ``"out"`` and ``"cache"``.

    Raises
    ------
    CheckFailed
        If ``result`` is None, a single array, or a tuple of the wrong length.
    """
    pair = f"the pair ({first}, {second})"
    if result is None:
        raise CheckFailed(
            f"{function} returned None.",
            f"the function must end by returning {pair}; a missing return statement gives None.",
        )
    if isinstance(result, np.ndarray):
        raise CheckFailed(
            f"{function} returned a single array of shape {result.shape}, not {pair}.",
            f"did you forget the {second}? Return both values, in that order.",
        )
    if not isinstance(result, tuple | list) or len(result) != 2:
        raise CheckFailed(f"{function} must return {pair}, but it returned {describe(result)}.")
    return result[0], result[1]


def require_array(
    value: Any,
    name: str,
    shape: tuple[int, ...] | None = None,
    dtype: Any = None,
    shape_hint: Callable[[], str | None] | str | None = None,
) -> np.ndarray:
    """Check that ``value`` is a NumPy array of the given shape and dtype; return it.

    Parameters
    ----------
    value : object
        The value to check.
    name : str
        How messages refer to it, e.g. ``"the output of conv_forward_naive"``.
    shape : tuple of int, optional
        The required shape.
    dtype : dtype, optional
        The required dtype.
    shape_hint : str or callable, optional
        A diagnosis to show when the shape is wrong, or a function computing
        one; called only on failure, because diagnoses may run the student's
        code again.

    Raises
    ------
    CheckFailed
        If ``value`` is None, not an array, or has the wrong shape or dtype.
    """
    if value is None:
        raise CheckFailed(f"{name} is None; expected a NumPy array.")
    if not isinstance(value, np.ndarray):
        raise CheckFailed(
            f"{name} is {describe(value)}; expected a NumPy array.", _not_array(value)
        )
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise CheckFailed(
            f"{name} has shape {tuple(value.shape)}; expected {tuple(shape)}.",
            shape_hint() if callable(shape_hint) else shape_hint,
        )
    if dtype is not None and value.dtype != np.dtype(dtype):
        raise CheckFailed(
            f"{name} has dtype {value.dtype}; expected {np.dtype(dtype)}.",
            "allocate the result with the input's dtype, so float32 inputs give float32 outputs.",
        )
    return value


def _not_array(value: Any) -> str | None:
    """What probably went wrong when something else arrived where an array was due."""
    if isinstance(value, tuple):
        inside = ", ".join(describe(v) for v in value[:4])
        return (
            f"you returned a tuple ({inside}) where one array is due: check what the function "
            "returns, and in which order (a trailing comma or `return a, b` makes a tuple)."
        )
    if isinstance(value, list):
        return "build the result with NumPy (np.zeros, np.empty, ...) rather than a Python list."
    if isinstance(value, dict):
        return "this is a parameter dict, not an array: are the values in the wrong order?"
    return None


def tolerance_for(dtype: Any) -> float:
    """Relative tolerance for comparing results computed in ``dtype``."""
    return TOLERANCE.get(np.dtype(dtype), TOLERANCE[np.dtype(np.float64)])


def is_close(actual: Any, expected: Any, rel: float | None = None) -> bool:
    """Whether two arrays have the same shape and agree to ``rel`` times the largest value."""
    try:
        a = np.asarray(actual, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    e = np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape:
        return False
    if rel is None:
        rel = tolerance_for(getattr(actual, "dtype", np.float64))
    scale = max(1.0, float(np.max(np.abs(e), initial=0.0)))
    return bool(np.all(np.abs(a - e) <= rel * scale))


def require_close(
    actual: np.ndarray,
    expected: np.ndarray,
    name: str,
    hint: Callable[[], str | None] | str | None = None,
    rel: float | None = None,
) -> None:
    """Check that ``actual`` matches ``expected``; name the worst entry if not.

    Parameters
    ----------
    actual, expected : ndarray
        Same shape (check it first with :func:`require_array`).
    name : str
        How messages refer to ``actual``.
    hint : str or callable, optional
        A diagnosis, or a function computing one; called only on failure,
        because diagnoses may run the student's code again.
    rel : float, optional
        Relative tolerance; by default from ``actual``'s dtype.

    Raises
    ------
    CheckFailed
        Naming how many entries differ and the largest difference.
    """
    if is_close(actual, expected, rel):
        return
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    diff = np.abs(a - e)
    worst = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.size else ()
    scale = max(1.0, float(np.max(np.abs(e), initial=0.0)))
    wrong = int(np.sum(diff > (rel or tolerance_for(getattr(actual, "dtype", np.float64))) * scale))
    index = tuple(int(i) for i in worst)
    message = (
        f"{name} is wrong in {wrong} of {e.size} entries; the largest difference is at index "
        f"{index}: got {a[worst]:.6g}, expected {e[worst]:.6g}."
    )
    raise CheckFailed(message, hint() if callable(hint) else hint)


# --------------------------------------------------------------------------- inputs left alone


def snapshot(value: Any) -> Any:
    """A deep copy of the arrays, dicts, lists and tuples in ``value``; other objects as is."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {key: snapshot(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(snapshot(item) for item in value)
    return value


def same_value(before: Any, after: Any) -> bool:
    """Whether ``after`` still holds what :func:`snapshot` recorded in ``before``."""
    if isinstance(before, np.ndarray):
        return (
            isinstance(after, np.ndarray)
            and before.shape == after.shape
            and before.dtype == after.dtype
            and bool(np.array_equal(before, after))
        )
    if isinstance(before, dict):
        return (
            isinstance(after, dict)
            and before.keys() == after.keys()
            and all(same_value(before[k], after[k]) for k in before)
        )
    if isinstance(before, list | tuple):
        return (
            isinstance(after, list | tuple)
            and len(before) == len(after)
            and all(same_value(a, b) for a, b in zip(before, after, strict=True))
        )
    try:
        return bool(before == after)
    except Exception:  # an object without a usable ==: nothing to compare
        return True


def argument_names(function: Callable[..., Any], count: int) -> list[str]:
    """The names of the first ``count`` parameters of ``function`` (``arg0``... if unknown)."""
    try:
        names = list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        names = []
    return [names[i] if i < len(names) else f"arg{i}" for i in range(count)]


def call_leaving_inputs(function: Callable[..., Any], *args: Any) -> Any:
    """Call ``function(*args)`` and insist that it left every argument as it was.

    One rule for every function the checks call: a layer that writes into its
    input (``x += ...``, ``x[...] = ...``, ``np.maximum(x, 0, out=x)``) changes
    the caller's array, and the caller may still need it (the backward pass,
    the next layer, the gradient check).

    Raises
    ------
    CheckFailed
        Naming the first argument that changed.
    """
    before = [snapshot(a) for a in args]
    result = function(*args)
    for name, old, new in zip(argument_names(function, len(args)), before, args, strict=True):
        if not same_value(old, new):
            raise CheckFailed(
                f"your function {getattr(function, '__name__', '')} changed its input `{name}`: "
                "work on a copy.",
                _mutation_hint(name, old),
            )
    return result


def _mutation_hint(name: str, value: Any) -> str:
    if isinstance(value, np.ndarray):
        return (
            f"the caller still needs `{name}` as it was. Writing into it (`+=`, slice "
            f"assignment, `out=`) changes the caller's array: start from `{name}.copy()` "
            "or build a new array."
        )
    return (
        f"the caller still needs `{name}` as it was: build a new "
        f"{type(value).__name__} (copying what you keep) instead of changing this one."
    )


def require_value_error(function: Callable[..., Any], args: tuple, call: str) -> ValueError:
    """Call ``function(*args)``, which must raise a ValueError; return it.

    Parameters
    ----------
    call : str
        How messages show the call, e.g. ``"conv_output_size(W=5, F=3, S=3, P=1)"``.

    Raises
    ------
    CheckFailed
        If the call returned, or raised an AssertionError (an ``assert`` where a
        ValueError is asked for). Other errors of the student's code propagate
        with their own traceback.
    """
    try:
        got = function(*args)
    except ValueError as err:
        return err
    except CheckFailed:
        raise
    except AssertionError as err:
        said = f" ({err})" if str(err) else ""
        raise CheckFailed(
            f"{call} raised an AssertionError{said}; it must raise a ValueError.",
            "use `raise ValueError(\"...\")`, not `assert`: an assert checks the program's own "
            "logic (Python skips it under `python -O`), and callers catch bad input as ValueError.",
        ) from None
    raise CheckFailed(
        f"{call} returned {got!r}, {describe(got)}, where it must raise a ValueError.",
        "check the condition before computing anything, and raise ValueError(...) when it holds.",
    )


def bind_arguments(function: Callable[..., Any], args: tuple, kwargs: dict) -> tuple | None:
    """The argument values of a call to ``function``, defaults filled in; None if unbindable."""
    try:
        bound = inspect.signature(function).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return None
    bound.apply_defaults()
    return tuple(bound.arguments.values())


@contextmanager
def replaced_globals(function: Callable[..., Any], **replacements: Any) -> Iterator[None]:
    """Temporarily rebind names in the global namespace ``function`` reads them from.

    A check of one function must not fail because of another: while a check of
    ``conv_forward_im2col`` runs, its calls to ``im2col`` can be answered by a
    known-good stand-in. Names are restored (or removed again) on exit, even
    when the check fails.

    Parameters
    ----------
    function : callable
        A function defined in the notebook; its ``__globals__`` are patched.
    **replacements
        Name -> stand-in.
    """
    namespace: dict[str, Any] = getattr(function, "__globals__", {})
    missing = object()
    saved = {name: namespace.get(name, missing) for name in replacements}
    namespace.update(replacements)
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = old


def answering(
    original: Callable[..., Any] | None,
    answers: Mapping[tuple, Any] | Callable[[tuple], Any],
    template: Callable[..., Any] | None = None,
) -> Callable[..., Any]:
    """A stand-in that answers known calls itself and passes the others to ``original``.

    Parameters
    ----------
    original : callable or None
        The student's function; called for arguments the stand-in does not know.
    answers : mapping or callable
        Either a dict from argument tuples to results, or a function taking the
        argument tuple and returning the result or :data:`UNKNOWN`.
    template : callable, optional
        A function whose signature binds the call (defaults to ``original``'s),
        so keyword and positional calls look alike.
    """
    signature_of = template or original

    def stand_in(*args: Any, **kwargs: Any) -> Any:
        call = bind_arguments(signature_of, args, kwargs) if signature_of else args
        if call is not None:
            found = answers(call) if callable(answers) else answers.get(call, UNKNOWN)
            if found is not UNKNOWN:
                return found
        if original is None:
            raise CheckFailed(f"this check did not expect a call with arguments {args}")
        return original(*args, **kwargs)

    return stand_in


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()
"""Returned by an answer function for calls it cannot answer."""
