"""A small ConvNet trained on scikit-learn's 8x8 digits with convref's layers.

The chapter "A ConvNet at work" shows this network. It is a list of
``(kind, params)`` layers in the format of :mod:`convref.network`, so
``convref.net_forward`` and ``convref.score_map`` run it unchanged:

``8x8x1 -> CONV 3x3 (8) -> RELU -> CONV 3x3 (32) -> RELU -> POOL 2x2
-> FC 64 -> RELU -> FC 10``

No layer pads, so a crop of a larger image and the image itself see the same
pixels and the FC -> CONV score map is exact. Training is plain minibatch Adam
on the softmax loss, with the gradients from convref's backward passes. One
seed fixes the split, the initial weights and the batch order, so
``python -m booklib.digits`` writes the same weights
(:data:`WEIGHTS`, committed) every time; ``--check`` retrains and compares.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from convref import (
    affine_backward,
    conv_backward_im2col,
    max_pool_backward_fast,
    net_forward,
    net_forward_trace,
    relu_backward,
)

Layer = tuple[str, dict[str, Any]]

WEIGHTS = Path(__file__).with_name("digits_convnet.npz")
IN_SHAPE = (1, 8, 8)  # C, H, W of one digit
SEED = 0
TEST_FRACTION = 0.25


@dataclass(frozen=True)
class Settings:
    """Hyperparameters of the training run that produced :data:`WEIGHTS`."""

    epochs: int = 30
    batch_size: int = 32
    learning_rate: float = 2e-3
    weight_decay: float = 1e-4
    seed: int = SEED


@dataclass(frozen=True)
class Split:
    """The digits as NCHW images in [0, 1], split into training and test sets."""

    x_train: np.ndarray  # (N_train, 1, 8, 8)
    y_train: np.ndarray  # (N_train,)
    x_test: np.ndarray  # (N_test, 1, 8, 8)
    y_test: np.ndarray  # (N_test,)


def load_split(seed: int = SEED) -> Split:
    """Scikit-learn's bundled digits (1,797 images, no download), split 75/25.

    The split is stratified by class and fixed by ``seed``.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = (digits.images / 16.0)[:, None, :, :]  # pixel values are 0..16
    x_tr, x_te, y_tr, y_te = train_test_split(
        images,
        digits.target,
        test_size=TEST_FRACTION,
        random_state=seed,
        stratify=digits.target,
    )
    return Split(x_tr, y_tr.astype(np.int64), x_te, y_te.astype(np.int64))


def init_net(rng: np.random.Generator) -> list[Layer]:
    """The untrained network: He-initialised weights, zero biases."""

    def he(shape: tuple[int, ...], fan_in: int) -> np.ndarray:
        return rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)

    pool = {"pool_height": 2, "pool_width": 2, "stride": 2}
    return [
        ("conv", {"w": he((8, 1, 3, 3), 9), "b": np.zeros(8), "stride": 1, "pad": 0}),
        ("relu", {}),
        ("conv", {"w": he((32, 8, 3, 3), 72), "b": np.zeros(32), "stride": 1, "pad": 0}),
        ("relu", {}),
        ("maxpool", pool),
        ("fc", {"w": he((32 * 2 * 2, 64), 128), "b": np.zeros(64)}),
        ("relu", {}),
        ("fc", {"w": he((64, 10), 64), "b": np.zeros(10)}),
    ]


def layer_names(net: list[Layer]) -> list[str]:
    """Readable names, e.g. ``["conv1", "relu1", "conv2", ...]``."""
    counts: dict[str, int] = {}
    names = []
    for kind, _ in net:
        counts[kind] = counts.get(kind, 0) + 1
        names.append(f"{'pool' if kind == 'maxpool' else kind}{counts[kind]}")
    return names


def forward(net: list[Layer], x: np.ndarray) -> tuple[list[np.ndarray], list[Any]]:
    """Run ``net`` on ``x`` (N, 1, 8, 8), keeping every layer's output and cache
    (``convref.net_forward_trace``); the last output holds the scores (N, 10)."""
    return net_forward_trace(net, x)


def backward(
    net: list[Layer], dscores: np.ndarray, caches: list[Any]
) -> list[dict[str, np.ndarray]]:
    """Gradients of the loss for every layer's ``w`` and ``b`` (empty for the others)."""
    grads: list[dict[str, np.ndarray]] = [{} for _ in net]
    d = dscores
    for i in reversed(range(len(net))):
        kind = net[i][0]
        if kind == "conv":
            d, dw, db = conv_backward_im2col(d, caches[i])
            grads[i] = {"w": dw, "b": db}
        elif kind == "fc":
            d, dw, db = affine_backward(d, caches[i])
            grads[i] = {"w": dw, "b": db}
        elif kind == "relu":
            d = relu_backward(d, caches[i])
        else:
            d = max_pool_backward_fast(d, caches[i])
    return grads


def softmax_loss(scores: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of ``scores`` (N, 10) against labels ``y``, and its gradient."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = len(y)
    loss = -log_p[np.arange(n), y].mean()
    dscores = np.exp(log_p)
    dscores[np.arange(n), y] -= 1
    return float(loss), dscores / n


def predict(net: list[Layer], x: np.ndarray) -> np.ndarray:
    """Predicted class of every image in ``x``."""
    return net_forward(net, x).argmax(axis=1)


def accuracy(net: list[Layer], x: np.ndarray, y: np.ndarray) -> float:
    return float((predict(net, x) == y).mean())


def train(split: Split, settings: Settings = Settings()) -> tuple[list[Layer], list[float]]:
    """Train from scratch with Adam; return the network and the loss of each epoch."""
    rng = np.random.default_rng(settings.seed)
    net = init_net(rng)
    params = [(p, key) for _, p in net for key in ("w", "b") if key in p]
    first = [np.zeros_like(p[key]) for p, key in params]
    second = [np.zeros_like(p[key]) for p, key in params]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    step = 0
    losses = []
    n = len(split.y_train)
    for _ in range(settings.epochs):
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n, settings.batch_size):
            batch = order[start : start + settings.batch_size]
            outputs, caches = forward(net, split.x_train[batch])
            loss, dscores = softmax_loss(outputs[-1], split.y_train[batch])
            total += loss * len(batch)
            grads = [g[key] for g in backward(net, dscores, caches) for key in ("w", "b") if g]
            step += 1
            for k, ((p, key), grad) in enumerate(zip(params, grads, strict=True)):
                if key == "w":
                    grad = grad + settings.weight_decay * p[key]
                first[k] = beta1 * first[k] + (1 - beta1) * grad
                second[k] = beta2 * second[k] + (1 - beta2) * grad**2
                m_hat = first[k] / (1 - beta1**step)
                v_hat = second[k] / (1 - beta2**step)
                p[key] = p[key] - settings.learning_rate * m_hat / (np.sqrt(v_hat) + eps)
        losses.append(total / n)
    return net, losses


def digit_strip(
    x: np.ndarray, y: np.ndarray, predicted: np.ndarray, sequence: list[int], gap: int = 2
) -> tuple[np.ndarray, list[int]]:
    """Test digits placed side by side, ``gap`` blank columns apart.

    For each entry of ``sequence`` the next test digit of that class that the
    network classifies correctly is used (so a repeated class gets a different
    image).

    Returns
    -------
    strip : ndarray, shape (1, 1, 8, 8 * len(sequence) + gap * (len(sequence) - 1))
    picked : list of int
        The test indices used, in order.
    """
    used: dict[int, int] = {}
    picked = []
    for label in sequence:
        candidates = np.flatnonzero((y == label) & (predicted == label))
        if used.get(label, 0) >= len(candidates):
            raise ValueError(f"not enough correctly read test digits of class {label}")
        picked.append(int(candidates[used.get(label, 0)]))
        used[label] = used.get(label, 0) + 1
    blank = np.zeros((8, gap))
    pieces = []
    for index in picked:
        pieces += [x[index, 0], blank]
    return np.concatenate(pieces[:-1], axis=1)[None, None], picked


def save_net(net: list[Layer], path: Path, losses: list[float]) -> None:
    """Store the weights and biases (plus the loss curve) as an ``.npz``."""
    arrays = {"losses": np.asarray(losses)}
    for name, (_, p) in zip(layer_names(net), net, strict=True):
        for key in ("w", "b"):
            if key in p:
                arrays[f"{name}_{key}"] = p[key]
    np.savez_compressed(path, **arrays)


def load_net(path: Path = WEIGHTS) -> tuple[list[Layer], np.ndarray]:
    """The trained network stored at ``path`` and its loss curve."""
    net = init_net(np.random.default_rng(0))
    with np.load(path) as data:
        for name, (_, p) in zip(layer_names(net), net, strict=True):
            for key in ("w", "b"):
                if key in p:
                    stored = data[f"{name}_{key}"]
                    if stored.shape != p[key].shape:
                        raise ValueError(
                            f"{path}: {name}_{key} has shape {stored.shape}, "
                            f"expected {p[key].shape}"
                        )
                    p[key] = stored
        losses = data["losses"]
    return net, losses


def same_weights(a: list[Layer], b: list[Layer], rtol: float = 1e-6) -> bool:
    """True when two networks hold the same weights up to ``rtol``."""
    return all(
        np.allclose(pa[key], pb[key], rtol=rtol, atol=rtol * 1e-3)
        for (_, pa), (_, pb) in zip(a, b, strict=True)
        for key in ("w", "b")
        if key in pa
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=WEIGHTS, help="where to write the .npz")
    parser.add_argument(
        "--check", action="store_true", help="retrain and compare with --out, write nothing"
    )
    args = parser.parse_args(argv)
    split = load_split()
    start = time.process_time()
    net, losses = train(split)
    cpu = time.process_time() - start
    test_acc = accuracy(net, split.x_test, split.y_test)
    print(f"trained in {cpu:.1f} s CPU; final loss {losses[-1]:.4f}; test accuracy {test_acc:.4f}")
    if args.check:
        stored, _ = load_net(args.out)
        if not same_weights(net, stored):
            print(f"{args.out} does NOT match a fresh training run", file=sys.stderr)
            return 1
        print(f"{args.out} matches a fresh training run")
        return 0
    save_net(net, args.out, losses)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
