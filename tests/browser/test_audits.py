"""Audits that must hold exactly: axe-core finds nothing, links resolve, nothing leaks."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlparse

import pytest
from playwright.sync_api import expect

from browser.helpers import CHARTS_MS, SAVE_DATA, axe_violations, laid_out, near, no_errors, with_connection


def interact(page):
    """Show quiz feedback of every kind."""
    quiz = near(page.locator("#q-doubling"))
    quiz.get_by_label("Your answer").fill("2")
    quiz.get_by_role("button", name="Check").click()
    other = near(page.locator("#q-70b-2bit"))
    other.get_by_label("Your answer").fill("abc")
    other.get_by_role("button", name="Check").click()
    near(page.locator("#q-ssm-linear")).get_by_role("button", name="Show answer").click()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violations(context_factory, server, scheme):
    context, watch = context_factory(color_scheme=scheme)
    # Save-Data: the cell next to the first chart, kept in view, starts no Python, which
    # would only hold the chart back while it starts (quiet.js); the page is the same.
    page = with_connection(context, **SAVE_DATA).new_page()
    page.goto(server)
    page.wait_for_load_state("networkidle")
    assert axe_violations(laid_out(page)) == []
    interact(page)
    page.locator(".plot").first.scroll_into_view_if_needed()
    expect(page.locator(".plot .main-svg").first).to_be_visible(timeout=CHARTS_MS)
    # what the reader changed: the three quizzes' feedback, the charts (the first now
    # drawn) and the contents, which mark the section scrolled to
    assert axe_violations(page, "#q-doubling, #q-70b-2bit, #q-ssm-linear, .plot, #contents") == []


def test_every_internal_link_and_fragment_resolves(page, server, site):
    page.goto(server)
    ids = set(page.evaluate("[...document.querySelectorAll('[id]')].map(e => e.id)"))
    links = page.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))")
    assert links
    for href in links:
        if href.startswith("#"):
            assert href[1:] in ids, f"no element with id {href}"
        elif not re.match(r"^[a-z]+:", href):
            target = urlparse(urljoin(server, href))
            rel = target.path.removeprefix(urlparse(server).path) or "index.html"
            assert (site / rel).is_file(), f"link to missing file {href}"
            if target.fragment:
                assert target.fragment in ids, href


def test_no_console_errors_and_no_failed_requests_on_load(page, server):
    page.goto(server)
    page.wait_for_load_state("networkidle")
    page.mouse.wheel(0, 20000)
    page.wait_for_timeout(500)
    no_errors(page)
