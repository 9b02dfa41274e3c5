"""The book's helpers (src/booklib): the demo data, the animation's arithmetic,
receptive fields, architecture tables and memory estimates, each against an
independent oracle (the notes' printed numbers, SciPy, or a formula written here)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy.signal import correlate2d

from booklib import demo
from booklib.animation import conv_demo_animation, demo_steps, offline_jshtml
from booklib.architectures import (
    FC,
    Conv,
    Pool,
    alexnet,
    as_convolutions,
    table_markdown,
    total_stride,
    vgg16,
    walk,
)
from booklib.memory import estimate_memory, human_bytes, largest_batch
from booklib.receptive import measured_size, path_counts, receptive_field_formula

# The notes print the demo's padded input slices and its output; rows as printed.
NOTES_PADDED_INPUT_ROW_1 = [[0, 0, 0, 0, 1, 2, 0], [0, 0, 0, 2, 2, 2, 0], [0, 2, 1, 1, 1, 1, 0]]
NOTES_OUTPUT = [
    [[-2, 11, 7], [5, 9, 15], [5, 8, 9]],
    [[-4, -4, -1], [-7, -9, -3], [-5, -7, 1]],
]


def test_demo_data_is_the_notes_demo() -> None:
    padded = np.pad(demo.X[0], ((0, 0), (1, 1), (1, 1)))
    assert padded.shape == (3, 7, 7)
    assert [padded[c, 1].tolist() for c in range(3)] == NOTES_PADDED_INPUT_ROW_1
    assert demo.W.shape == (2, 3, 3, 3) and demo.B.tolist() == [1, 0]
    assert demo.NOTES_OUTPUT.tolist() == NOTES_OUTPUT


def test_demo_steps_match_the_notes_and_scipy() -> None:
    steps = demo_steps(demo.X, demo.W, demo.B, demo.STRIDE, demo.PAD)
    assert len(steps) == 2 * 3 * 3
    padded = np.pad(demo.X[0], ((0, 0), (1, 1), (1, 1))).astype(float)
    for s in steps:
        # SciPy's 'valid' correlation of each channel, sampled at the stride.
        per_channel = [
            correlate2d(padded[c], demo.W[s.f, c], mode="valid")[2 * s.y, 2 * s.x] for c in range(3)
        ]
        assert s.channel_sums == pytest.approx(per_channel)
        assert s.value == NOTES_OUTPUT[s.f][s.y][s.x]
        assert sum(s.channel_sums) + s.bias == pytest.approx(s.value)


def test_demo_steps_reject_a_batch() -> None:
    with pytest.raises(ValueError, match="one image"):
        demo_steps(np.zeros((2, 1, 3, 3)), np.ones((1, 1, 2, 2)), np.zeros(1), 1, 0)


def test_animation_has_one_frame_per_output_and_no_remote_resources() -> None:
    x = np.arange(9).reshape(1, 1, 3, 3)
    w = np.ones((1, 1, 2, 2))
    anim = conv_demo_animation(x, w, np.zeros(1), stride=1, pad=0, interval_ms=100)
    html = offline_jshtml(anim, alt="A 2x2 window stepping over a 3x3 input")
    assert 'alt="A 2x2 window stepping over a 3x3 input"' in html
    assert 'aria-label="Animation frame"' in html
    with pytest.raises(ValueError, match="alt text"):
        offline_jshtml(anim, alt=" ")
    frames = re.findall(r"frames\[(\d+)\] = \"data:image/png;base64,", html)
    assert sorted(int(i) for i in frames) == [0, 1, 2, 3]  # 2x2 outputs, one filter
    assert 'title="Next frame"' in html
    assert "http://" not in html and "https://" not in html


@pytest.mark.parametrize("dilations", [[1], [1, 1], [1, 1, 1], [1, 2, 4], [2, 2], [3, 1]])
def test_receptive_field_measured_by_backprop_equals_formula(dilations: list[int]) -> None:
    expected = [1 + 2 * sum(dilations[: i + 1]) for i in range(len(dilations))]  # 3x3 kernels
    assert receptive_field_formula(3, dilations) == expected
    counts = path_counts(3, dilations, size=expected[-1] + 4)
    assert [measured_size(c) for c in counts] == expected


def test_receptive_field_errors() -> None:
    with pytest.raises(ValueError, match="dilation must be >= 1"):
        receptive_field_formula(3, [0])
    with pytest.raises(ValueError, match="cannot hold"):
        path_counts(3, [1, 2, 4], size=9)


# The notes' VGGNet table: (output volume, weights) per layer.
VGG_NOTES = [
    ((224, 224, 3), 0),
    ((224, 224, 64), 1_728),
    ((224, 224, 64), 36_864),
    ((112, 112, 64), 0),
    ((112, 112, 128), 73_728),
    ((112, 112, 128), 147_456),
    ((56, 56, 128), 0),
    ((56, 56, 256), 294_912),
    ((56, 56, 256), 589_824),
    ((56, 56, 256), 589_824),
    ((28, 28, 256), 0),
    ((28, 28, 512), 1_179_648),
    ((28, 28, 512), 2_359_296),
    ((28, 28, 512), 2_359_296),
    ((14, 14, 512), 0),
    ((14, 14, 512), 2_359_296),
    ((14, 14, 512), 2_359_296),
    ((14, 14, 512), 2_359_296),
    ((7, 7, 512), 0),
    ((1, 1, 4096), 102_760_448),
    ((1, 1, 4096), 16_777_216),
    ((1, 1, 1000), 4_096_000),
]


def test_vgg16_walk_reproduces_the_notes_table() -> None:
    rows = walk(vgg16(), (224, 224, 3))
    assert [(r.shape, r.weights) for r in rows] == VGG_NOTES
    weights = sum(r.weights for r in rows)
    assert weights == sum(w for _, w in VGG_NOTES)
    assert round(weights / 1e6) == 138  # "TOTAL params: 138M parameters"
    activations = sum(r.activations for r in rows)
    assert activations == sum(h * w * d for (h, w, d), _ in VGG_NOTES) == 15_237_608
    table = table_markdown(rows)
    assert "102,760,448" in table and "| CONV3-64 | [224x224x64]" in table


def test_alexnet_parameters() -> None:
    # Two-tower AlexNet: conv2, conv4, conv5 see half of their input channels.
    expected = (
        (11 * 11 * 3 * 96 + 96)
        + (5 * 5 * 48 * 256 + 256)
        + (3 * 3 * 256 * 384 + 384)
        + (3 * 3 * 192 * 384 + 384)
        + (3 * 3 * 192 * 256 + 256)
        + (6 * 6 * 256 * 4096 + 4096)
        + (4096 * 4096 + 4096)
        + (4096 * 1000 + 1000)
    )
    rows = walk(alexnet(), (227, 227, 3))
    assert rows[1].shape == (55, 55, 96)
    assert sum(r.weights + r.biases for r in rows) == expected


def test_fc_to_conv_shapes_of_the_notes() -> None:
    converted = as_convolutions(vgg16(), (224, 224, 3))
    assert total_stride(vgg16()) == 32
    at_224 = walk(converted, (224, 224, 3))
    assert at_224[-1].shape == (1, 1, 1000)
    at_384 = walk(converted, (384, 384, 3))
    assert at_384[-4].shape == (12, 12, 512)
    assert at_384[-1].shape == (6, 6, 1000)
    assert converted[-3] == Conv(k=4096, f=7, s=1, p=0) and converted[-1] == Conv(1000, 1, 1, 0)


def test_walk_names_the_layer_that_does_not_fit() -> None:
    with pytest.raises(ValueError, match=r"layer 0 \(CONV3/2-8\) on a 32x32x3 input.*16.5"):
        walk([Conv(8, f=3, s=2, p=1)], (32, 32, 3))
    with pytest.raises(ValueError, match="do not split into 2 groups"):
        walk([Conv(8, groups=2)], (8, 8, 3))


def test_memory_estimate_by_hand() -> None:
    layers = [Conv(2, f=3, s=1, p=1), Pool(2, 2), FC(3)]
    # activations per image: 4*4*2 + 2*2*2 + 3 = 43; params: (9*1*2 + 2) + (8*3 + 3) = 47
    est = estimate_memory(layers, (4, 4, 1), batch_size=5)
    assert est.activations == 43 * 5 * 2 * 4
    assert est.parameters == 47 * 3 * 4
    assert est.misc == 16 * 5 * 2 * 4
    test_time = estimate_memory(layers, (4, 4, 1), batch_size=5, training=False, bytes_per_value=8)
    assert (test_time.activations, test_time.parameters) == (43 * 5 * 8, 47 * 8)
    with pytest.raises(ValueError, match="batch_size"):
        estimate_memory(layers, (4, 4, 1), batch_size=0)


def test_largest_batch_is_the_largest_that_fits() -> None:
    budget = 6 * 1024**3
    n = largest_batch(vgg16(), (224, 224, 3), budget)
    assert estimate_memory(vgg16(), (224, 224, 3), n).total <= budget
    assert estimate_memory(vgg16(), (224, 224, 3), n + 1).total > budget
    assert largest_batch(vgg16(), (224, 224, 3), 1024) == 0


def test_human_bytes() -> None:
    assert human_bytes(512) == "512 bytes"
    assert human_bytes(3 * 1024**2) == "3 MiB"
    assert human_bytes(1.5 * 1024**3) == "1.5 GiB"
