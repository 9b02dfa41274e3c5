"""The chapter "A ConvNet at work": the digits network, its weights, the explorer
data and the FC -> CONV score map on a strip of digits."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from booklib import digits
from booklib.explorer import SHOWN, explorer_data, explorer_html, pick_digits
from convref import score_map


@pytest.fixture(scope="module")
def split() -> digits.Split:
    return digits.load_split()


@pytest.fixture(scope="module")
def net() -> list[digits.Layer]:
    return digits.load_net()[0]


@pytest.fixture(scope="module")
def predicted(net, split) -> np.ndarray:
    return digits.predict(net, split.x_test)


def test_split_is_the_whole_bundled_set_stratified(split) -> None:
    assert len(split.y_train) + len(split.y_test) == 1797
    assert split.x_test.shape == (450, 1, 8, 8)
    assert 0 <= split.x_train.min() and split.x_train.max() <= 1
    # each class keeps its share of the test set (stratified 25%)
    counts = np.bincount(split.y_test, minlength=10)
    assert counts.min() >= 43 and counts.max() <= 46


def test_committed_weights_reach_97_percent_on_the_test_set(net, split) -> None:
    test_accuracy = digits.accuracy(net, split.x_test, split.y_test)
    assert test_accuracy >= 0.97, test_accuracy


def test_training_script_reproduces_the_committed_weights(split, net) -> None:
    fresh, losses = digits.train(split)
    assert digits.same_weights(fresh, net)
    stored_losses = digits.load_net()[1]
    np.testing.assert_allclose(losses, stored_losses, rtol=1e-6)
    # and the comparison is not vacuous: another seed gives other weights
    other, _ = digits.train(split, digits.Settings(epochs=1, seed=1))
    assert not digits.same_weights(other, net)


def test_check_command_accepts_the_weights_and_rejects_a_tampered_copy(tmp_path, capsys) -> None:
    assert digits.main(["--check"]) == 0
    net, losses = digits.load_net()
    net[0][1]["w"] = net[0][1]["w"].copy()
    net[0][1]["w"][0, 0, 1, 1] += 1e-3
    tampered = tmp_path / "tampered.npz"
    digits.save_net(net, tampered, list(losses))
    assert digits.main(["--check", "--out", str(tampered)]) == 1
    assert "does NOT match" in capsys.readouterr().err


def test_load_net_names_a_wrong_shape(tmp_path) -> None:
    net, losses = digits.load_net()
    net[-1][1]["w"] = np.zeros((64, 9))
    bad = tmp_path / "bad.npz"
    digits.save_net(net, bad, list(losses))
    with pytest.raises(ValueError, match=r"fc2_w has shape \(64, 9\), expected \(64, 10\)"):
        digits.load_net(bad)


def _numerical_gradient(f, array: np.ndarray, index: tuple, h: float = 1e-5) -> float:
    old = array[index]
    array[index] = old + h
    plus = f()
    array[index] = old - h
    minus = f()
    array[index] = old
    return (plus - minus) / (2 * h)


def test_backward_matches_numerical_gradients(split) -> None:
    rng = np.random.default_rng(3)
    net = digits.init_net(rng)
    for _, p in net:  # non-zero biases so every ReLU sees both signs
        if "b" in p:
            p["b"] = 0.1 * rng.standard_normal(p["b"].shape)
    x, y = split.x_train[:6], split.y_train[:6]

    def loss() -> float:
        return digits.softmax_loss(digits.forward(net, x)[0][-1], y)[0]

    outputs, caches = digits.forward(net, x)
    _, dscores = digits.softmax_loss(outputs[-1], y)
    grads = digits.backward(net, dscores, caches)
    checked = 0
    for (_, p), grad in zip(net, grads, strict=True):
        for key in ("w", "b"):
            if key not in p:
                continue
            for _ in range(4):
                index = tuple(int(rng.integers(s)) for s in p[key].shape)
                numeric = _numerical_gradient(loss, p[key], index)
                assert grad[key][index] == pytest.approx(numeric, rel=1e-4, abs=1e-8)
                checked += 1
    assert checked == 8 * 4


def test_softmax_loss_against_a_formula() -> None:
    scores = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    y = np.array([2, 0])
    expected = -(np.log(np.exp(3) / np.exp([1, 2, 3]).sum()) + np.log(1 / 3)) / 2
    loss, d = digits.softmax_loss(scores, y)
    assert loss == pytest.approx(expected)
    np.testing.assert_allclose(d.sum(axis=1), 0, atol=1e-12)


def test_explorer_data_has_one_map_per_channel_of_every_shown_layer(net, split, predicted) -> None:
    picked = pick_digits(split.y_test, predicted)
    wrong = np.flatnonzero(predicted != split.y_test)
    assert len(picked) == 20 + len(wrong)
    assert set(wrong) <= set(picked)
    data = explorer_data(net, digits.layer_names(net), split.x_test, split.y_test, picked)
    shapes = [layer["shape"] for layer in data["layers"]]
    assert [layer["name"] for layer in data["layers"]] == list(SHOWN)
    assert shapes == [[8, 6, 6], [32, 4, 4], [32, 2, 2], [1, 1, 64], [1, 1, 10]]
    assert len(data["digits"]) == len(picked)
    for entry, index in zip(data["digits"], picked, strict=True):
        assert entry["index"] == index and entry["label"] == split.y_test[index]
        assert np.asarray(entry["pixels"]).shape == (8, 8)
        for maps, shape in zip(entry["maps"], shapes, strict=True):
            assert np.asarray(maps).shape == tuple(shape)
        scores = np.asarray(entry["maps"][-1]).ravel()
        expected = digits.forward(net, split.x_test[index : index + 1])[0][-1][0]
        np.testing.assert_allclose(scores, expected, atol=0.005)
        assert entry["predicted"] == predicted[index]
    # the ReLU outputs are what a ReLU gives
    assert min(np.min(e["maps"][0]) for e in data["digits"]) >= 0


def test_explorer_html_embeds_the_data_and_loads_nothing(net, split) -> None:
    data = explorer_data(net, digits.layer_names(net), split.x_test, split.y_test, [0, 1])
    data["digits"][0]["label"] = 3  # a value we can find again
    html = explorer_html(data)
    element_id = re.search(r'<div class="convnet-explorer" id="([\w-]+)"', html).group(1)
    assert "__ID__" not in html and "__DATA__" not in html
    payload = re.search(
        rf'<script type="application/json" id="{element_id}-data">(.*?)</script>', html, re.S
    ).group(1)
    assert json.loads(payload) == data
    # labelled controls, and nothing fetched from anywhere
    assert f'<label for="{element_id}-pick">' in html
    assert not re.search(r"\b(src|href)=|https?://(?!www\.w3\.org/2000/svg)|@import|fetch\(", html)
    # two widgets on one page do not share ids
    assert element_id not in explorer_html(data)


def test_explorer_html_cannot_be_closed_early_by_the_data() -> None:
    html = explorer_html({"layers": [], "digits": [], "note": "</script><b>"})
    assert "</script><b>" not in html


def test_strip_places_each_digit_at_its_pitch(split, predicted) -> None:
    sequence = [3, 1, 4, 1, 5, 9]
    strip, used = digits.digit_strip(split.x_test, split.y_test, predicted, sequence, gap=2)
    assert strip.shape == (1, 1, 8, 6 * 8 + 5 * 2)
    assert [int(split.y_test[i]) for i in used] == sequence
    assert used[1] != used[3]  # the two 1s are different images
    for k, index in enumerate(used):
        np.testing.assert_array_equal(strip[0, 0, :, 10 * k : 10 * k + 8], split.x_test[index, 0])
        if k < 5:
            assert not strip[0, 0, :, 10 * k + 8 : 10 * k + 10].any()


def test_score_map_on_the_strip_equals_the_network_on_every_crop(net, split, predicted) -> None:
    sequence = [3, 1, 4, 1, 5, 9]
    strip, _ = digits.digit_strip(split.x_test, split.y_test, predicted, sequence, gap=2)
    scores = score_map(net, strip, digits.IN_SHAPE)
    assert scores.shape == (1, 10, 1, (58 - 8) // 2 + 1)
    # oracle: the training code's own forward pass on each 8x8 window, one at a time
    for j in range(scores.shape[3]):
        window = strip[:, :, :, 2 * j : 2 * j + 8]
        by_hand = digits.forward(net, window)[0][-1]
        np.testing.assert_allclose(scores[:, :, 0, j], by_hand, rtol=1e-10, atol=1e-10)
    # where a window lines up with a digit (every 10 px = 5 positions) it reads it
    assert scores[0, :, 0, ::5].argmax(axis=0).tolist() == sequence


def test_strip_needs_enough_correct_digits(split, predicted) -> None:
    with pytest.raises(ValueError, match="class 7"):
        digits.digit_strip(split.x_test, split.y_test, predicted, [7] * 100)


# --- the widget and the folded answers in a real browser (built site, Chromium) ---


@pytest.mark.slow
def test_explorer_works_by_keyboard_at_phone_width(net, split, predicted) -> None:
    from book_helpers import site_in_chromium

    picked = pick_digits(split.y_test, predicted)
    last = picked[-1]
    with site_in_chromium() as (base, browser):
        page = browser.new_page(viewport={"width": 390, "height": 844})
        errors: list[str] = []
        outside: list[str] = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: r.url.startswith((base, "data:")) or outside.append(r.url))
        page.goto(f"{base}/08_convnet_at_work.html", wait_until="networkidle")
        root = page.locator(".convnet-explorer")
        assert root.get_attribute("data-ready") == "true"
        # one SVG for the input and one per channel of the three map layers,
        # one strip for the FC layer, a table row per class
        assert root.locator("svg").count() == 1 + 8 + 32 + 32 + 1
        assert root.locator("tr").count() == 10
        # the menu is labelled; keyboard alone reaches the last digit (a mistake)
        select = page.get_by_label("Test digit")
        select.focus()
        page.keyboard.press("End")
        summary = root.locator(".cx-summary").inner_text()
        assert f"Test digit {last}:" in summary and "(wrong)" in summary
        assert f"the network says {predicted[last]}" in summary
        bold = root.locator("tr.cx-top th").inner_text()
        assert bold == f"class {predicted[last]}"
        # Tab to "Next digit" and press it: wraps around to the first digit
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Next digit"
        page.keyboard.press("Enter")
        assert f"Test digit {picked[0]}:" in root.locator(".cx-summary").inner_text()
        # readable at 390 px: nothing wider than the screen, text not tiny
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        widths = root.evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert widths[0] <= widths[1], widths
        smallest = root.evaluate(
            "e => Math.min(...Array.from(e.querySelectorAll('label,button,select,th,td,h4,p'))"
            ".map(x => parseFloat(getComputedStyle(x).fontSize)))"
        )
        assert smallest >= 12, smallest
        # the exercises' answers are folded until clicked
        answer = page.locator(".admonition.dropdown").first
        body = answer.locator("p").last
        assert not body.is_visible()
        answer.locator(".admonition-title").click()
        body.wait_for(state="visible")
    assert not errors, errors
    assert not outside, outside
