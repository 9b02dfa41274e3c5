"""Converting fully connected layers to convolutions, and what it buys.

An FC layer that looks at a ``C x H x W`` volume is a conv layer whose filters
are exactly ``H x W``: on an input of that size it gives the same numbers, and
on a larger input it slides, giving a whole map of outputs in one pass (the
notes' 224 -> 384 example: a 6x6 map of class scores instead of 36 crops).
"""

from __future__ import annotations

from typing import Any

from convref._checks import as_float_array
from convref.backend import get_array_module
from convref.network import Layer, net_forward, net_stride


def fc_to_conv(w: Any, b: Any, in_shape: tuple[int, int, int]) -> tuple[Any, Any]:
    """Rewrite an FC layer as an equivalent conv layer.

    The FC layer computes ``x.reshape(N, -1) @ w + b`` on inputs ``x`` of shape
    ``(N, *in_shape)``. The conv layer with the returned filters, stride 1 and
    no padding computes the same scores as an ``(N, K, 1, 1)`` volume.

    Parameters
    ----------
    w : ndarray, shape (C*H*W, K)
    b : ndarray, shape (K,)
    in_shape : tuple
        ``(C, H, W)`` of the volume the FC layer looks at.

    Returns
    -------
    w_conv : ndarray, shape (K, C, H, W)
        ``w_conv[k] = w[:, k].reshape(C, H, W)``: column ``k`` becomes filter ``k``.
    b_conv : ndarray, shape (K,)

    Raises
    ------
    ValueError
        If ``w`` does not have ``C*H*W`` rows.
    """
    xp = get_array_module(w, b)
    w = as_float_array(w, "w", xp)
    b = as_float_array(b, "b", xp)
    if len(in_shape) != 3:
        raise ValueError(f"in_shape must be (C, H, W), got {tuple(in_shape)}")
    C, H, W = (int(s) for s in in_shape)
    if w.ndim != 2 or w.shape[0] != C * H * W:
        raise ValueError(
            f"w must have shape ({C * H * W}, K) for in_shape {(C, H, W)}, got {tuple(w.shape)}"
        )
    K = w.shape[1]
    if tuple(b.shape) != (K,):
        raise ValueError(f"b must have shape ({K},), got {tuple(b.shape)}")
    return xp.ascontiguousarray(w.T.reshape(K, C, H, W)), b.copy()


def convolutionalize(net: list[Layer], in_shape: tuple[int, int, int]) -> list[Layer]:
    """Return a copy of ``net`` with every FC layer replaced by its conv equivalent.

    Parameters
    ----------
    net : list of (kind, params)
        A network as in :mod:`convref.network`.
    in_shape : tuple
        ``(C, H, W)`` of the images the network was built for.
    """
    xp = get_array_module(*(p.get("w") for _, p in net if "w" in p))
    probe = xp.zeros((1, *in_shape))
    converted: list[Layer] = []
    for kind, p in net:
        if kind == "fc":
            volume = tuple(probe.shape[1:]) if probe.ndim == 4 else (probe.shape[1], 1, 1)
            w_conv, b_conv = fc_to_conv(p["w"], p["b"], volume)
            layer: Layer = ("conv", {"w": w_conv, "b": b_conv, "stride": 1, "pad": 0})
        else:
            layer = (kind, dict(p))
        probe = net_forward([layer], probe)
        converted.append(layer)
    return converted


def score_map(net: list[Layer], x: Any, in_shape: tuple[int, int, int]) -> Any:
    """Class scores of ``net`` at every position of a larger image, in one pass.

    Parameters
    ----------
    net : list of (kind, params)
        A network built for images of shape ``in_shape`` that ends in FC layers.
    x : ndarray, shape (N, C, H, W)
        Images at least as large as ``in_shape``.
    in_shape : tuple
        ``(C, H, W)`` the network was built for.

    Returns
    -------
    scores : ndarray, shape (N, K, H_s, W_s)
        ``scores[:, :, i, j]`` equals ``net`` evaluated on the crop of ``x`` at
        ``(i*s, j*s)`` of size ``in_shape``, where ``s = net_stride(net)``.
        The equality is exact when the conv layers use no zero padding; with
        padding, a crop sees zeros at its border where the large image has
        real pixels, so the maps agree only away from crop borders.
    """
    return net_forward(convolutionalize(net, in_shape), x)


def crop_scores(net: list[Layer], x: Any, in_shape: tuple[int, int, int]) -> Any:
    """The slow way to the same map: run the original ``net`` on every crop.

    Same returns as :func:`score_map`; crops start every ``net_stride(net)`` pixels.
    """
    xp = get_array_module(x)
    _, h, w = in_shape
    s = net_stride(net)
    H_s = (x.shape[2] - h) // s + 1
    W_s = (x.shape[3] - w) // s + 1
    rows = []
    for i in range(H_s):
        row = [net_forward(net, x[:, :, i * s : i * s + h, j * s : j * s + w]) for j in range(W_s)]
        rows.append(xp.stack(row, axis=-1))
    return xp.stack(rows, axis=-2)


def shifted_score_map(
    net: list[Layer], x: Any, in_shape: tuple[int, int, int], shifts: int = 2
) -> Any:
    """A score map ``shifts`` times denser than the network's stride allows.

    The notes' trick: forward the converted network several times on copies of
    the image shifted by a fraction of its total stride ``s``, and interleave
    the maps. With ``shifts=2`` this samples crops every ``s/2`` pixels.

    Returns
    -------
    scores : ndarray, shape (N, K, H_d, W_d)
        ``scores[:, :, i, j]`` is the net on the crop at ``(i*s/shifts, j*s/shifts)``.

    Raises
    ------
    ValueError
        If ``shifts`` does not divide the total stride.
    """
    xp = get_array_module(x)
    s = net_stride(net)
    if shifts < 1 or s % shifts:
        raise ValueError(f"shifts={shifts} must divide the network's total stride {s}")
    step = s // shifts
    conv_net = convolutionalize(net, in_shape)
    _, h, w = in_shape
    H_d = (x.shape[2] - h) // step + 1
    W_d = (x.shape[3] - w) // step + 1
    out = None
    for a in range(shifts):
        for c in range(shifts):
            part = x[:, :, a * step :, c * step :]
            # crop so the shifted image still gives whole windows
            hh = (part.shape[2] - h) // s * s + h
            ww = (part.shape[3] - w) // s * s + w
            m = net_forward(conv_net, part[:, :, :hh, :ww])
            if out is None:
                out = xp.zeros((x.shape[0], m.shape[1], H_d, W_d), dtype=m.dtype)
            out[:, :, a::shifts, c::shifts] = m
    return out
