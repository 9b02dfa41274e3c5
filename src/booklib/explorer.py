"""The activation explorer of "A ConvNet at work": a static HTML widget.

:func:`explorer_data` runs the trained digits network on a few test digits and
keeps every layer's output; :func:`explorer_html` embeds that data as JSON in
the page template ``explorer.html`` (next to this module), whose inline script
draws the maps. The page loads nothing from elsewhere.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np

from booklib.digits import Layer, forward

TEMPLATE = Path(__file__).with_name("explorer.html")
_ids = itertools.count()

# Which layer outputs the explorer shows, and how it titles them.
SHOWN = {
    "relu1": "CONV 3x3, 8 filters, then ReLU",
    "relu2": "CONV 3x3, 32 filters, then ReLU",
    "pool1": "max POOL 2x2",
    "relu3": "FC 64, then ReLU",
    "fc2": "FC 10: class scores",
}


def pick_digits(y: np.ndarray, predicted: np.ndarray, per_class: int = 2) -> list[int]:
    """Indices of test digits to offer: the first ``per_class`` of every class
    that the network gets right, then every digit it gets wrong."""
    picked = []
    for label in range(10):
        right = np.flatnonzero((y == label) & (predicted == label))
        picked += right[:per_class].tolist()
    picked += np.flatnonzero(y != predicted).tolist()
    return picked


def explorer_data(
    net: list[Layer], names: list[str], x: np.ndarray, y: np.ndarray, picked: list[int]
) -> dict[str, Any]:
    """Everything the widget draws, as plain lists (JSON-ready).

    Parameters
    ----------
    net, names : the network and its layer names (``booklib.digits.layer_names``).
    x : ndarray, shape (N, 1, 8, 8)
        Test images.
    y : ndarray, shape (N,)
        Their labels.
    picked : list of int
        Which test images the widget offers.

    Returns
    -------
    dict
        ``layers``: one ``{"name", "title", "shape"}`` per shown layer, ``shape``
        being ``[C, H, W]`` (FC outputs are ``[1, 1, K]``); ``digits``: one
        ``{"index", "label", "predicted", "pixels", "maps"}`` per picked image,
        ``pixels`` 8x8 and ``maps[i]`` the output of ``layers[i]``, rounded.
    """
    outputs, _ = forward(net, x[picked])
    wanted = [names.index(name) for name in SHOWN]
    layers = []
    for name, i in zip(SHOWN, wanted, strict=True):
        out = outputs[i]
        shape = list(out.shape[1:]) if out.ndim == 4 else [1, 1, out.shape[1]]
        layers.append({"name": name, "title": SHOWN[name], "shape": shape})
    digits = []
    for row, index in enumerate(picked):
        maps = [np.round(outputs[i][row], 2).reshape(layer["shape"]).tolist()
                for i, layer in zip(wanted, layers, strict=True)]
        scores = outputs[-1][row]
        digits.append({
            "index": int(index),
            "label": int(y[index]),
            "predicted": int(scores.argmax()),
            "pixels": np.round(x[index, 0], 3).tolist(),
            "maps": maps,
        })
    return {"layers": layers, "digits": digits}


def explorer_html(data: dict[str, Any]) -> str:
    """The widget: the template with ``data`` embedded and a unique element id."""
    payload = json.dumps(data, separators=(",", ":"))
    # "</" cannot end the script element early once escaped like this.
    payload = payload.replace("</", "<\\/")
    html = TEMPLATE.read_text(encoding="utf-8")
    return html.replace("__ID__", f"convnet-explorer-{next(_ids)}").replace(
        "__DATA__", payload
    )
