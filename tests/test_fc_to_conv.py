"""FC -> CONV: the converted network gives the same scores, and slides."""

import numpy as np
import pytest

from convref import (
    affine_forward,
    conv_forward_naive,
    convolutionalize,
    crop_scores,
    fc_to_conv,
    net_forward,
    net_stride,
    score_map,
    shifted_score_map,
)


def small_net(rng):
    """conv3 (no pad) -> relu -> pool2 -> conv3 -> relu -> pool2 -> fc -> relu -> fc, for 3x22x22."""
    return [
        ("conv", {"w": rng.standard_normal((4, 3, 3, 3)), "b": rng.standard_normal(4), "stride": 1, "pad": 0}),
        ("relu", {}),
        ("maxpool", {"pool_height": 2, "pool_width": 2, "stride": 2}),
        ("conv", {"w": rng.standard_normal((5, 4, 3, 3)), "b": rng.standard_normal(5), "stride": 1, "pad": 0}),
        ("relu", {}),
        ("maxpool", {"pool_height": 2, "pool_width": 2, "stride": 2}),
        ("fc", {"w": rng.standard_normal((5 * 4 * 4, 6)), "b": rng.standard_normal(6)}),
        ("relu", {}),
        ("fc", {"w": rng.standard_normal((6, 3)), "b": rng.standard_normal(3)}),
    ]


def test_fc_to_conv_gives_the_same_numbers():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 3, 5))
    w = rng.standard_normal((4 * 3 * 5, 7))
    b = rng.standard_normal(7)
    w_conv, b_conv = fc_to_conv(w, b, (4, 3, 5))
    assert w_conv.shape == (7, 4, 3, 5)
    fc, _ = affine_forward(x, w, b)
    conv, _ = conv_forward_naive(x, w_conv, b_conv, {"stride": 1, "pad": 0})
    assert conv.shape == (2, 7, 1, 1)
    np.testing.assert_allclose(conv[:, :, 0, 0], fc, rtol=1e-12)


def test_fc_to_conv_wrong_rows():
    with pytest.raises(ValueError, match=r"\(60, K\)"):
        fc_to_conv(np.zeros((59, 3)), np.zeros(3), (4, 3, 5))


def test_converted_net_on_the_training_size_gives_1x1_scores():
    rng = np.random.default_rng(1)
    net = small_net(rng)
    x = rng.standard_normal((2, 3, 22, 22))
    scores = net_forward(convolutionalize(net, (3, 22, 22)), x)
    assert scores.shape == (2, 3, 1, 1)
    np.testing.assert_allclose(scores[:, :, 0, 0], net_forward(net, x), rtol=1e-10)


def test_score_map_equals_every_crop():
    # The notes' 224 -> 384 example in miniature: 22 -> 38 pixels, total stride 4,
    # a 5x5 map of scores = 25 crops evaluated in one pass.
    rng = np.random.default_rng(2)
    net = small_net(rng)
    assert net_stride(net) == 4
    x = rng.standard_normal((2, 3, 38, 38))
    fast = score_map(net, x, (3, 22, 22))
    assert fast.shape == (2, 3, 5, 5)
    for i in range(5):
        for j in range(5):
            crop = x[:, :, 4 * i : 4 * i + 22, 4 * j : 4 * j + 22]
            np.testing.assert_allclose(fast[:, :, i, j], net_forward(net, crop), rtol=1e-10)
    np.testing.assert_allclose(crop_scores(net, x, (3, 22, 22)), fast, rtol=1e-10)


def test_shifted_passes_halve_the_stride():
    rng = np.random.default_rng(3)
    net = small_net(rng)
    x = rng.standard_normal((1, 3, 30, 30))
    dense = shifted_score_map(net, x, (3, 22, 22), shifts=2)
    assert dense.shape == (1, 3, 5, 5)  # crops every 2 pixels: (30 - 22) / 2 + 1
    for i in range(5):
        for j in range(5):
            crop = x[:, :, 2 * i : 2 * i + 22, 2 * j : 2 * j + 22]
            np.testing.assert_allclose(dense[:, :, i, j], net_forward(net, crop), rtol=1e-10)
    with pytest.raises(ValueError, match="must divide"):
        shifted_score_map(net, x, (3, 22, 22), shifts=3)


def test_net_forward_trace_keeps_each_layer_and_ends_where_net_forward_does() -> None:
    from convref import (
        affine_forward,
        conv_forward_naive,
        max_pool_forward_naive,
        net_forward,
        net_forward_trace,
    )

    rng = np.random.default_rng(3)
    conv = {"w": rng.standard_normal((4, 2, 3, 3)), "b": rng.standard_normal(4),
            "stride": 1, "pad": 1}
    pool = {"pool_height": 2, "pool_width": 2, "stride": 2}
    fc = {"w": rng.standard_normal((4 * 3 * 3, 5)), "b": rng.standard_normal(5)}
    net = [("conv", conv), ("relu", {}), ("maxpool", pool), ("fc", fc)]
    x = rng.standard_normal((2, 2, 6, 6))
    outputs, caches = net_forward_trace(net, x)
    # the naive layers, one after the other, as an independent oracle
    a = conv_forward_naive(x, conv["w"], conv["b"], {"stride": 1, "pad": 1})[0]
    r = np.maximum(a, 0)
    m = max_pool_forward_naive(r, pool)[0]
    s = affine_forward(m, fc["w"], fc["b"])[0]
    for got, want in zip(outputs, [a, r, m, s], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    assert len(caches) == len(net)
    np.testing.assert_array_equal(net_forward(net, x), outputs[-1])
