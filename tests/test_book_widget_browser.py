"""The convolution demo widget in Chromium at a phone's width (390 px).

The site is served on 127.0.0.1 and every other request is blocked. The
widget must step through all 18 outputs of the notes' demo with the notes'
numbers (-2 first, 15 at ``out[0, 0, 1, 2]``), by button, keyboard and slider;
play and pause; label every control; announce the current sum; and fit a
phone with digits of at least 12 px, the input slices wrapping two a row.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from book_helpers import only_local, site_in_chromium
from notes_data import DEMO_OUT

pytestmark = pytest.mark.slow

PAGE = "02_conv_layer.html"
PHONE = {"width": 390, "height": 844}
# Step k is out[0, f, y, x] with k = f*9 + y*3 + x (filter by filter, row by row).
NOTES_VALUES = [int(v) for v in DEMO_OUT[0].ravel()]


@pytest.fixture(scope="module")
def phone() -> Iterator[dict]:
    with site_in_chromium() as (base, browser):
        context = browser.new_context(viewport=PHONE, device_scale_factor=1)
        blocked = only_local(context, base)
        yield {"base": base, "context": context, "blocked": blocked}


@pytest.fixture()
def demo(phone):
    page = phone["context"].new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    page.goto(phone["base"] + PAGE, wait_until="networkidle")
    widget = page.locator(".conv-demo").first
    widget.scroll_into_view_if_needed()
    yield page, widget
    assert not errors, errors
    assert not phone["blocked"], f"requests left the site: {phone['blocked']}"
    page.close()


def current(widget) -> dict:
    """What the widget shows now: slider position, sum line, highlighted output."""
    return widget.evaluate(
        """w => ({
            step: +w.querySelector('.cd-slider').value,
            sum: w.querySelector('.cd-sum').textContent.trim(),
            value: w.querySelector('.cd-out .cd-cur').textContent.trim(),
            window: w.querySelectorAll('.cd-in .cd-win').length,
        })"""
    )


def test_steps_to_the_notes_values_with_the_buttons(demo) -> None:
    page, widget = demo
    now = current(widget)
    assert now["step"] == 0 and now["value"] == "-2"
    assert now["sum"].startswith("out[0, 0, 0, 0] =") and now["sum"].endswith("= -2")
    assert now["window"] == 27  # a 3x3 window in each of the 3 input channels
    nxt = widget.locator('[data-act="next"]')
    for _ in range(5):
        nxt.click()
    now = current(widget)
    assert now["step"] == 5 and now["value"] == "15"
    assert now["sum"].startswith("out[0, 0, 1, 2] =") and now["sum"].endswith("= 15")
    assert widget.locator(".cd-slider").get_attribute("aria-valuetext") == (
        "out[0, 0, 1, 2] = 15, window on padded rows 2-4, columns 4-6"
    )
    label = widget.locator(".cd-products .cd-grid").first.get_attribute("aria-label")
    assert label.startswith("products in channel 0: ") and label.endswith("; sum 5")
    # the products shown add up to the channel sums, which add up (with the bias) to 15
    products = widget.evaluate(
        "w => Array.from(w.querySelectorAll('.cd-prod .cd-cell')).map(c => +c.textContent)"
    )
    assert len(products) == 27 and sum(products) + 1 == 15
    widget.locator('[data-act="prev"]').click()
    assert current(widget)["value"] == "9"  # out[0, 0, 1, 1]


def test_every_output_matches_the_notes(demo) -> None:
    page, widget = demo
    seen = []
    for k in range(len(NOTES_VALUES)):
        widget.locator(".cd-slider").fill(str(k))
        now = current(widget)
        assert now["step"] == k
        seen.append(int(now["value"]))
        assert now["sum"].endswith(f"= {now['value']}")
    assert seen == NOTES_VALUES
    filled = widget.evaluate(
        "w => Array.from(w.querySelectorAll('.cd-out .cd-cell')).map(c => c.textContent)"
    )
    assert [int(v) for v in filled] == NOTES_VALUES  # after the last step, all are shown


def test_works_with_the_keyboard(demo) -> None:
    page, widget = demo
    slider = widget.locator(".cd-slider")
    slider.focus()
    for _ in range(9):
        page.keyboard.press("ArrowRight")
    now = current(widget)
    assert now["step"] == 9 and now["value"] == str(NOTES_VALUES[9])  # out[0, 1, 0, 0] = -4
    widget.locator('[data-act="next"]').focus()
    page.keyboard.press("Enter")
    assert current(widget)["step"] == 10
    page.keyboard.press("End")
    assert current(widget)["value"] == str(NOTES_VALUES[-1])
    page.keyboard.press("Home")
    assert current(widget)["step"] == 0
    page.keyboard.press("ArrowRight")
    assert current(widget)["step"] == 1


def test_play_and_pause(demo) -> None:
    page, widget = demo
    play = widget.locator('[data-act="play"]')
    assert play.get_attribute("aria-pressed") == "false"
    play.click()
    assert play.get_attribute("aria-pressed") == "true"
    assert play.get_attribute("aria-label") == "Pause"
    sum_line = widget.locator(".cd-sum")
    assert sum_line.get_attribute("aria-live") == "off"  # no announcement every 1.5 s
    page.wait_for_function(
        "() => +document.querySelector('.conv-demo .cd-slider').value >= 2", timeout=10_000
    )
    play.click()
    assert play.get_attribute("aria-pressed") == "false"
    assert sum_line.get_attribute("aria-live") == "polite"
    paused_at = current(widget)["step"]
    page.wait_for_timeout(1800)
    assert current(widget)["step"] == paused_at


def test_controls_are_labelled_and_the_sum_is_announced(demo) -> None:
    page, widget = demo
    names = widget.evaluate(
        """w => Array.from(w.querySelectorAll('button, input')).map(el => {
            if (el.getAttribute('aria-label')) return el.getAttribute('aria-label');
            const label = el.id && w.querySelector('label[for="' + el.id + '"]');
            return label ? label.textContent.trim() : '';
        })"""
    )
    assert len(names) == 4 and all(names), names
    assert widget.locator(".cd-sum").get_attribute("aria-live") == "polite"
    assert widget.get_attribute("role") == "group" and widget.get_attribute("aria-labelledby")


def test_readable_on_a_phone(demo) -> None:
    page, widget = demo
    layout = widget.evaluate(
        """w => {
            const box = w.getBoundingClientRect();
            const sizes = Array.from(w.querySelectorAll('.cd-cell, .cd-sum, .cd-btn'))
                .map(el => parseFloat(getComputedStyle(el).fontSize));
            const slices = Array.from(w.querySelectorAll('.cd-in'))
                .map(el => el.getBoundingClientRect());
            return {
                left: box.left, right: box.right,
                page: document.documentElement.scrollWidth,
                smallest: Math.min(...sizes),
                tops: slices.map(r => Math.round(r.top)),
                rights: slices.map(r => r.right),
            };
        }"""
    )
    assert layout["left"] >= 0 and layout["right"] <= PHONE["width"]
    assert layout["page"] <= PHONE["width"], "the page scrolls sideways"
    assert layout["smallest"] >= 12
    assert max(layout["rights"]) <= layout["right"]
    tops = layout["tops"]
    assert tops[0] == tops[1] < tops[2], f"input slices should wrap two a row: {tops}"
