"""The book's figures (src/booklib/diagrams) and the convolution demo widget
(src/booklib/conv_demo.py): every picture is valid, described SVG that reads
on a phone, and the numbers it draws are the ones an independent oracle
(NumPy written here, or the notes) gives."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from notes_data import DEMO_B, DEMO_OUT, DEMO_PARAM, DEMO_W, DEMO_X

from booklib.architectures import alexnet, lenet5, vgg16, walk
from booklib.conv_demo import conv_demo_widget
from booklib.diagrams import (
    charts,
    conv1d,
    im2col,
    maps,
    networks,
    pooling,
    sharing,
    sliding,
    volumes,
)
from booklib.memory import estimate_memory
from booklib.svg import MAX_WIDTH, Canvas, Picture

SVG_NS = "{http://www.w3.org/2000/svg}"
SLICE_2 = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])
SLICE_5 = np.array(
    [[1, 3, 2, 1, 0], [4, 2, 0, 5, 1], [2, 6, 3, 1, 2], [0, 1, 7, 2, 3], [1, 2, 1, 4, 2]]
)


def first(result):
    return result[0] if isinstance(result, tuple) else result


VGG_ROWS = walk(vgg16(), (224, 224, 3))
EVERY_FIGURE = {
    "conv1d stride 1": lambda: conv1d.spatial_arrangement(1),
    "conv1d stride 2": lambda: conv1d.spatial_arrangement(2),
    "stride misfit": conv1d.stride_does_not_fit,
    "dilated": lambda: conv1d.dilated_taps(np.arange(10.0), [1, 10, 100], 2),
    "backward": conv1d.backward_taps,
    "window positions": lambda: conv1d.window_positions(11, 5, 2),
    "regular vs volumes": volumes.regular_vs_volumes,
    "slice and column": volumes.slice_and_column,
    "pipeline": lambda: volumes.layer_pipeline([("INPUT", (32, 32, 3)), ("FC", (1, 1, 10))]),
    "local connectivity": volumes.local_connectivity,
    "volume to volume": lambda: volumes.volume_to_volume((7, 7, 512), (1, 1, 4096), "FC", "t"),
    "pooling volume": lambda: volumes.pooling_volume((224, 224, 64), (112, 112, 64)),
    "fc as conv": lambda: volumes.fc_as_conv((7, 7, 32), 64),
    "1x1": volumes.one_by_one,
    "sharing": sharing.shared_filter,
    "sharing counts": lambda: sharing.sharing_counts(34_944, 105_705_600),
    "im2col columns": im2col.columns,
    "im2col shapes": lambda: im2col.matrix_shapes((96, 363), (363, 3025), (55, 55, 96)),
    "max pool 2x2": lambda: pooling.max_pool_forward(SLICE_2, 2, 2),
    "max pool 2x2 backward": lambda: pooling.max_pool_backward(SLICE_2, 2, 2),
    "max pool 3x3": lambda: pooling.max_pool_forward(SLICE_5, 3, 2),
    "max pool 3x3 backward": lambda: pooling.max_pool_backward(SLICE_5, 3, 2),
    "pool functions": lambda: pooling.pooling_functions(SLICE_2),
    "crops": lambda: sliding.crops_to_score_map(384, 224, 32),
    "shifted": lambda: sliding.shifted_passes(32, 16),
    "lenet": lambda: networks.network_column(lenet5(), (32, 32, 1), "LeNet-5"),
    "alexnet": lambda: networks.network_column(alexnet(), (227, 227, 3), "AlexNet"),
    "vgg": lambda: networks.network_column(vgg16(), (224, 224, 3), "VGG16"),
    "inception": networks.inception_module,
    "residual": networks.residual_block,
    "pattern": networks.layer_pattern,
    "vgg memory": lambda: charts.vgg_memory_chart(VGG_ROWS),
    "vgg params": lambda: charts.vgg_parameter_chart(VGG_ROWS),
    "memory": lambda: charts.memory_breakdown(
        [("b1", estimate_memory(vgg16(), (224, 224, 3))),
         ("b64", estimate_memory(vgg16(), (224, 224, 3), batch_size=64))]
    ),
    "activation maps": maps.activation_maps,
    "receptive fields": maps.receptive_fields,
    "weight matrix": lambda: maps.weight_matrix(np.arange(18.0).reshape(6, 3), "r", "c"),
}


def texts(picture: Picture) -> list[str]:
    root = ET.fromstring(picture.svg)
    return [t.text or "" for t in root.iter(f"{SVG_NS}text")]


@pytest.mark.parametrize("name", sorted(EVERY_FIGURE))
def test_every_figure_is_valid_described_svg_that_reads_on_a_phone(name: str) -> None:
    picture = first(EVERY_FIGURE[name]())
    root = ET.fromstring(picture.svg)  # raises on malformed XML
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("role") == "img" and len(root.get("aria-label", "")) > 20
    title, desc = root.find(f"{SVG_NS}title"), root.find(f"{SVG_NS}desc")
    assert title is not None and title.text.strip()
    assert desc is not None and len(desc.text.split()) >= 10
    assert float(root.get("width")) <= MAX_WIDTH
    # at most 358 px of article on a 390 px phone: labels stay at 11 px or more
    assert picture.phone_font_px() >= 11, f"{name}: {picture.phone_font_px():.1f} px"
    assert "http://" not in picture.svg.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in picture.svg


def test_a_canvas_too_wide_for_a_phone_is_refused() -> None:
    with pytest.raises(ValueError, match="unreadable on a phone"):
        Canvas(MAX_WIDTH + 1, 100)


def correlate_1d(x, w, stride, pad):
    """The oracle: pad, then a dot product every ``stride`` positions."""
    xp = np.concatenate([np.zeros(pad), np.asarray(x, float), np.zeros(pad)])
    return np.array([xp[i:i + len(w)] @ np.asarray(w, float)
                     for i in range(0, len(xp) - len(w) + 1, stride)])


@pytest.mark.parametrize(("stride", "expected"), [(1, [-2, 2, 1, 2, 1]), (2, [-2, 1, 1])])
def test_the_notes_1d_example_draws_convrefs_outputs(stride: int, expected: list[int]) -> None:
    picture, out = conv1d.spatial_arrangement(stride)
    oracle = correlate_1d(conv1d.ONE_D_INPUT, conv1d.ONE_D_WEIGHTS, stride, pad=1)
    assert out.tolist() == oracle.tolist() == expected
    bold_outputs = [
        t.text for t in ET.fromstring(picture.svg).iter(f"{SVG_NS}text")
        if t.get("font-weight") == "bold"
    ]
    assert bold_outputs == [str(v) for v in expected]
    words = " ".join(texts(picture))
    assert f"/{stride} + 1 = {len(expected)} outputs" in words
    assert "w0 = 1" in words and "w1 = 0" in words and "w2 = -1" in words


def test_stride_three_does_not_fit() -> None:
    words = " ".join(texts(conv1d.stride_does_not_fit(3)))
    assert "2.33" in words and "window 3 falls off" in words
    with pytest.raises(ValueError, match="fits"):
        conv1d.stride_does_not_fit(2)


def test_window_positions_follow_the_stride() -> None:
    picture, starts = conv1d.window_positions(11, 5, 2)
    assert starts == [0, 2, 4, 6]
    assert "output 3: columns 6-10" in texts(picture)
    with pytest.raises(ValueError, match="stride does not fit"):
        conv1d.window_positions(10, 5, 2)


def test_dilated_taps_read_every_second_input() -> None:
    picture, first_out = conv1d.dilated_taps(np.arange(10.0), [1, 10, 100], 2)
    assert first_out == 1 * 0 + 10 * 2 + 100 * 4
    words = texts(picture)
    assert "420" in words and str(1 * 0 + 10 * 1 + 100 * 2) in words


def test_backward_taps_name_the_flipped_filter() -> None:
    words = " ".join(texts(conv1d.backward_taps(j=2)))
    assert "dL/dx2 = w2·dy0 + w1·dy1 + w0·dy2" in words


def max_pool_oracle(x, field, stride):
    n = (x.shape[0] - field) // stride + 1
    out = np.zeros((n, n))
    dx = np.zeros(x.shape)
    for i in range(n):
        for j in range(n):
            win = x[i * stride:i * stride + field, j * stride:j * stride + field]
            out[i, j] = win.max()
            r, c = np.unravel_index(np.argmax(win), win.shape)
            dx[i * stride + r, j * stride + c] += 1
    return out, dx


@pytest.mark.parametrize(("x", "field", "stride"), [(SLICE_2, 2, 2), (SLICE_5, 3, 2)])
def test_pooling_figures_draw_the_oracles_numbers(x, field, stride) -> None:
    out_oracle, dx_oracle = max_pool_oracle(x, field, stride)
    picture, out = pooling.max_pool_forward(x, field, stride)
    assert out.tolist() == out_oracle.tolist()
    assert texts(picture)[-out.size - 1:-1] == [f"{v:g}" for v in out_oracle.ravel()]
    picture, dx = pooling.max_pool_backward(x, field, stride)
    assert dx.tolist() == dx_oracle.tolist()
    drawn = [t for t in texts(picture) if re.fullmatch(r"\d+", t)]
    assert drawn[-dx.size:] == [f"{v:g}" for v in dx_oracle.ravel()]
    if stride < field:
        assert dx.max() == 2  # the 7 of the overlapping example wins two windows


def test_im2col_columns_are_the_receptive_fields() -> None:
    picture, shape = im2col.columns(channels=2, size=4, field=3)
    assert shape == (18, 4)
    x = np.arange(32).reshape(2, 4, 4)
    words = texts(picture)
    start = words.index("X_col 18x4") + 1
    grid = np.array(words[start:start + 72], dtype=float).reshape(4, 18).T  # drawn by column
    for k, (i, j) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        assert grid[:, k].tolist() == x[:, i:i + 3, j:j + 3].ravel().tolist()


def test_sharing_counts_show_the_ratio() -> None:
    words = " ".join(texts(sharing.sharing_counts(34_944, 105_705_600)))
    assert "with sharing: 34,944" in words and "3,025 times as many" in words


def test_score_map_side_and_a_misfit() -> None:
    picture, side = sliding.crops_to_score_map(384, 224, 32)
    assert side == (384 - 224) // 32 + 1 == 6
    assert "score map 6x6" in texts(picture)
    with pytest.raises(ValueError, match="do not tile"):
        sliding.crops_to_score_map(380, 224, 32)
    with pytest.raises(ValueError, match="does not divide"):
        sliding.shifted_passes(32, 12)


def test_network_diagrams_count_like_the_formulas() -> None:
    picture, rows = networks.network_column(vgg16(), (224, 224, 3), "VGG16")
    assert "total 138M parameters" in texts(picture)
    picture, rows = networks.network_column(lenet5(), (32, 32, 1), "LeNet-5")
    assert [r.shape for r in rows] == [(32, 32, 1), (28, 28, 6), (14, 14, 6), (10, 10, 16),
                                       (5, 5, 16), (1, 1, 120), (1, 1, 84), (1, 1, 10)]
    convs = (5 * 5 * 1 * 6 + 6) + (5 * 5 * 6 * 16 + 16)
    fcs = (400 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10)
    assert sum(r.weights + r.biases for r in rows) == convs + fcs
    _, depth = networks.inception_module(28, 192)
    assert depth == 64 + 128 + 32 + 32
    _, params = networks.residual_block(56, 64)
    assert params == 2 * (3 * 3 * 64 * 64 + 64)


def test_vgg_charts_have_a_bar_per_layer_with_its_value() -> None:
    picture = charts.vgg_memory_chart(VGG_ROWS)
    words = texts(picture)
    assert words.count("CONV3-64") == 2 and words.count("3.21M") == 2  # 224*224*64
    assert len(re.findall(r"<rect x=", picture.svg)) == len(VGG_ROWS)  # every layer has a bar
    words = texts(charts.vgg_parameter_chart(VGG_ROWS))
    assert "103M" in words  # 7*7*512*4096 + 4096 in the first FC layer
    with pytest.raises(ValueError, match="22 layers but 3 values"):
        charts.per_layer_bars(VGG_ROWS, [1, 2, 3], "t", "u")


def test_activation_maps_and_receptive_fields() -> None:
    picture, shape = maps.activation_maps()
    assert shape == (1, 4, 32, 32)
    assert picture.svg.count("data:image/png;base64,") == 5
    words = texts(maps.receptive_fields())
    for label in ["1 layer: 3x3", "2 layers: 5x5", "3 layers: 7x7", "3 layers: 15x15"]:
        assert label in words


# --- the demo widget ---------------------------------------------------------------


@pytest.fixture(scope="module")
def widget():
    return conv_demo_widget(DEMO_X, DEMO_W, DEMO_B, DEMO_PARAM["stride"], DEMO_PARAM["pad"])


def test_widget_data_holds_every_output_of_the_notes(widget) -> None:
    html = widget._repr_html_()
    payload = re.search(r'<script type="application/json" class="cd-data">(.*?)</script>',
                        html, re.S).group(1)
    data = json.loads(payload)
    assert data == widget.data
    steps = data["steps"]
    assert len(steps) == 18
    assert [s["value"] for s in steps] == DEMO_OUT[0].ravel().tolist()
    assert (steps[0]["f"], steps[0]["y"], steps[0]["x"], steps[0]["value"]) == (0, 0, 0, -2)
    assert (steps[5]["f"], steps[5]["y"], steps[5]["x"], steps[5]["value"]) == (0, 1, 2, 15)
    padded = np.pad(DEMO_X[0], ((0, 0), (1, 1), (1, 1)))
    for s in steps:  # products: the window times the filter, independently recomputed
        window = padded[:, s["top"]:s["top"] + 3, s["left"]:s["left"] + 3]
        assert np.array_equal(np.array(s["products"]), window * DEMO_W[s["f"]])
        assert sum(s["channel_sums"]) + s["bias"] == s["value"]


def test_widget_is_self_contained_and_labelled(widget) -> None:
    html = widget._repr_html_()
    assert "window.convDemoInit" in html and ".conv-demo .cd-grid" in html  # JS, CSS inlined
    assert not re.search(r"(src|href)=\"?https?:", html)
    assert 'aria-live="polite"' in html
    slider = re.search(r'<input type="range"[^>]*id="([^"]+)"', html)
    assert slider and f'<label class="cd-slider-label" for="{slider.group(1)}"' in html
    for action in ("prev", "play", "next"):
        assert re.search(rf'data-act="{action}" aria-label="[^"]+"', html)
    # readable without JavaScript: input, filters and the whole output are plain HTML
    out_cells = re.findall(r'<div class="cd-grid cd-out".*?</div>', html)
    written = [v for grid in out_cells for v in re.findall(r">(-?\d+)</span>", grid)]
    assert [int(v) for v in written] == DEMO_OUT[0].ravel().tolist()
    assert html.count('class="cd-cell') == 3 * 49 + 2 * (27 + 1) + 27 + 18


def test_two_widgets_on_a_page_get_their_own_ids() -> None:
    a = conv_demo_widget(DEMO_X, DEMO_W, DEMO_B, 2, 1)._repr_html_()
    b = conv_demo_widget(DEMO_X, DEMO_W, DEMO_B, 2, 1)._repr_html_()
    id_a = re.search(r'id="(conv-demo-\d+)"', a).group(1)
    assert id_a != re.search(r'id="(conv-demo-\d+)"', b).group(1)


# --- in a browser: no label runs off its picture or onto another -------------------

LAYOUT_JS = """() => Array.from(document.querySelectorAll('div[data-name]')).flatMap(d => {
  const svg = d.querySelector('svg');
  const vb = svg.viewBox.baseVal;
  const boxes = Array.from(svg.querySelectorAll('text')).map(t => [t.textContent, t.getBBox()]);
  const out = [];
  for (const [text, b] of boxes) {
    if (b.x < -0.5 || b.y < -0.5 || b.x + b.width > vb.width + 0.5
        || b.y + b.height > vb.height + 0.5) out.push(d.dataset.name + ': outside: ' + text);
  }
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i][1], b = boxes[j][1];
    const ox = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
    const oy = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
    if (ox > 2 && oy > 3) out.push(d.dataset.name + ': overlap: ' + boxes[i][0] + ' / '
                                   + boxes[j][0]);
  }
  return out;
})"""


@pytest.mark.slow
def test_no_label_runs_off_its_picture_or_onto_another() -> None:
    from book_helpers import CHROMIUM_ARGS, chromium_or_skip

    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    html = "".join(
        f'<div data-name="{name}">{first(make()).svg}</div>'
        for name, make in sorted(EVERY_FIGURE.items())
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.route("**/*", lambda route: route.abort())  # nothing to fetch
        page.set_content(f"<html><body>{html}</body></html>")
        problems = page.evaluate(LAYOUT_JS)
        browser.close()
    assert not problems, "\n".join(problems)


def test_editing_the_widgets_script_or_style_reruns_the_chapters(tmp_path) -> None:
    """The widget's JS and CSS are inlined into a chapter's output, so the build's
    code fingerprint (which drops cached outputs) must cover them too."""
    from tools.build_site import code_fingerprint

    widgets = tmp_path / "booklib" / "widgets"
    widgets.mkdir(parents=True)
    (tmp_path / "booklib" / "conv_demo.py").write_text("X = 1\n")
    for name in ("conv_demo.js", "conv_demo.css"):
        (widgets / name).write_text("/* v1 */\n")
    before = code_fingerprint((tmp_path / "booklib",))
    for name in ("conv_demo.js", "conv_demo.css"):
        (widgets / name).write_text("/* v2 */\n")
        assert code_fingerprint((tmp_path / "booklib",)) != before
        before = code_fingerprint((tmp_path / "booklib",))
