"""What a first-time reader meets, at 1280×900 in light and 390×844 in dark:
equations that fit or say they scroll, lines of readable length, charts whose parts
do not overlap, and contents one tap away on a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

DESKTOP = {"viewport": {"width": 1280, "height": 900}, "color_scheme": "light"}
PHONE = {"viewport": {"width": 390, "height": 844}, "color_scheme": "dark", "has_touch": True}
SCREENS = [pytest.param(DESKTOP, id="1280-light"), pytest.param(PHONE, id="390-dark")]


def open_at(context_factory, server, screen, fragment=""):
    context, watch = context_factory(**screen)
    page = context.new_page()
    watch.attach(page)
    page.watch = watch
    page.goto(server + fragment)
    return page


def wait_for_equations(page):
    expect(page.locator("html[data-equations-measured='1']")).to_be_attached()


def wait_until(page, condition, what: str, timeout_ms: int = 3000):
    """Poll `condition()` (the page's CSP forbids Playwright's string predicates)."""
    for _ in range(timeout_ms // 50):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"timed out waiting until {what}")


# ── equations ─────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("screen", SCREENS)
def test_every_display_equation_fits_or_shows_that_it_scrolls(context_factory, server, screen):
    page = open_at(context_factory, server, screen)
    wait_for_equations(page)
    boxes = page.locator(".math.display")
    assert boxes.count() >= 6
    desktop = screen is DESKTOP
    for i in range(boxes.count()):
        box = boxes.nth(i)
        frame = box.locator("xpath=..")
        name = box.evaluate("b => b.closest('figure')?.id || b.closest('section').id + ' (in the text)'")
        box.scroll_into_view_if_needed()
        content, visible = box.evaluate("b => [b.scrollWidth, b.clientWidth]")
        if desktop:
            assert content <= visible + 1, f"{name}: {content}px of formula in a {visible}px box at 1280px"
        if content <= visible + 1:
            expect(frame.locator(".scroll-cue-end")).to_be_hidden()
            expect(box).not_to_have_attribute("tabindex", "0")
            continue
        # it scrolls: the right edge fades, an arrow shows, the keyboard can scroll it
        expect(frame.locator(".scroll-cue-end"), name).to_be_visible()
        expect(frame.locator(".scroll-cue-start"), name).to_be_hidden()
        fade = frame.evaluate("f => getComputedStyle(f, '::after').opacity")
        assert fade == "1", f"{name}: no fade at the right edge"
        expect(box).to_have_attribute("tabindex", "0")
        label = box.evaluate("b => b.closest('figure.equation')?.querySelector('.anchor').textContent || 'Equation'")
        expect(box).to_have_attribute("aria-label", f"{label}, wider than the page: scroll sideways or use the arrow keys")
        box.focus()
        for _ in range(60):
            page.keyboard.press("ArrowRight")
            if box.evaluate("b => b.scrollLeft >= b.scrollWidth - b.clientWidth - 1"):
                break
        page.wait_for_timeout(300)  # let a smooth scroll settle
        assert box.evaluate("b => b.scrollLeft >= b.scrollWidth - b.clientWidth - 1"), f"{name}: keys did not reach the end"
        expect(frame.locator(".scroll-cue-end")).to_be_hidden()
        expect(frame.locator(".scroll-cue-start")).to_be_visible()
        # a tap on the arrow goes back
        frame.locator(".scroll-cue-start").click()
        wait_until(page, lambda: box.evaluate("b => b.scrollLeft < b.scrollWidth - b.clientWidth - 1"),
                   f"{name} scrolled back")
    assert page.watch.console_errors == []


def test_body_lines_stay_readable_at_desktop(context_factory, server):
    page = open_at(context_factory, server, DESKTOP)
    longest = page.evaluate(
        """() => {
        let best = '';
        for (const p of document.querySelectorAll('main p')) {
          if (p.closest('.instrument-body, .cell-output, .quiz-form')) continue;
          const lines = new Map();
          const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
          for (let n; (n = walker.nextNode()); ) {
            if (n.parentElement.closest('.katex')) continue;
            for (let i = 0; i < n.length; i++) {
              const r = document.createRange(); r.setStart(n, i); r.setEnd(n, i + 1);
              const rect = r.getClientRects()[0];
              if (!rect) continue;
              const key = Math.round(rect.top / 4);
              lines.set(key, (lines.get(key) || '') + n.data[i]);
            }
          }
          for (const line of lines.values()) if (line.length > best.length) best = line;
        }
        return best;
    }"""
    )
    # counted without inline math, so a line with math holds fewer characters still
    assert len(longest) <= 80, f"{len(longest)} characters: {longest!r}"
