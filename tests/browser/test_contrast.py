"""WCAG AA contrast of every visible text on the main screens: 4.5:1, or 3:1 for large text (24 px, or 18.66 px
bold). A colour with transparency is laid over the nearest opaque background behind it."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from dam_local.stack import LocalStackProcess
from tests.browser.test_library import _sign_in

pytestmark = pytest.mark.browser

_FAILURES = """() => {
  const parse = (css) => {
    const [r, g, b, a = 1] = (css.match(/[\\d.]+/g) || []).map(Number);
    return [r, g, b, a];
  };
  const over = (top, bottom) => top.slice(0, 3).map((c, i) => c * top[3] + bottom[i] * (1 - top[3])).concat(1);
  const background = (el) => {
    const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const color = parse(getComputedStyle(node).backgroundColor);
      if (color[3] > 0) { layers.push(color); if (color[3] >= 1) break; }
    }
    let result = [255, 255, 255, 1];
    for (const layer of layers.reverse()) result = over(layer, result);
    return result;
  };
  const luminance = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const failures = [];
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    const hidden = style.visibility === "hidden" || el.closest("[aria-hidden=true]");
    if (!own || !box.width || !box.height || hidden) continue;
    // Text drawn over a picture (a card's badges): its own background is what it is read against.
    const back = background(el);
    const fore = over(parse(style.color), back);
    const [hi, lo] = [luminance(fore), luminance(back)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const text = el.textContent.trim().slice(0, 40);
    if (ratio < (large ? 3 : 4.5)) failures.push(`${el.tagName.toLowerCase()} "${text}": ${ratio.toFixed(2)}`);
  }
  return [...new Set(failures)];
}"""


def _failures(page: Page) -> list[Any]:
    return list(page.evaluate(_FAILURES))


def test_the_main_screens_meet_wcag_aa_contrast(page: Page, web_stack: LocalStackProcess) -> None:
    _sign_in(page, web_stack)
    # The check itself: light grey on white (2.3:1) is caught.
    page.evaluate(
        "() => { const p = document.createElement('p'); p.id = 'probe'; p.style.color = '#aaa';"
        " p.textContent = 'faint'; document.body.append(p); }"
    )
    assert _failures(page) == ['p "faint": 2.32']
    page.evaluate("() => document.getElementById('probe').remove()")
    page.get_by_text("Filters").first.click()
    assert _failures(page) == [], "library"

    page.get_by_role("list", name="Assets").get_by_role("listitem").get_by_role("button").first.click()
    expect(page.get_by_role("dialog")).to_be_visible()
    assert _failures(page) == [], "detail"
    page.keyboard.press("Escape")

    page.get_by_role("button", name="Projects", exact=True).click()
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()
    assert _failures(page) == [], "projects"
