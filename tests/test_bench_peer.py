"""The bench's peer page, made from our built page (tests/bench/peer.py): the same
chapter, its code cells turned into PyScript editors, nothing of our cell runtime's
own left to run."""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests" / "bench"))
from peer import PeerError, chapter_peer  # noqa: E402


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: dict[str, str] = {}
        self._script = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs).get("data-cell")

    def handle_data(self, data):
        if self._script:
            self.text[self._script] = self.text.get(self._script, "") + data

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None


@pytest.fixture(scope="module")
def pages(built_site):
    ours = (built_site / "index.html").read_text(encoding="utf-8")
    return ours, chapter_peer(ours, ROOT / "runnable")


def parsed(page: str) -> Tags:
    tags = Tags()
    tags.feed(page)
    return tags


def test_every_code_cell_becomes_a_pyscript_editor_of_its_own_code(pages):
    ours, peer = pages
    names = [a["data-cell"] for t, a in parsed(ours).tags if t == "figure" and "cell" in a.get("class", "").split()]
    tags = parsed(peer)
    editors = [a for t, a in tags.tags if t == "script" and a.get("type") == "py-editor"]
    assert names and [e["data-cell"] for e in editors] == names
    for name in names:
        assert tags.text[name].strip() == (ROOT / "runnable" / f"{name}.py").read_text(encoding="utf-8").strip()
    assert all('"interpreter": "../site/assets/pyodide/pyodide.mjs"' in e["config"] for e in editors)
    # no cell of ours is left for our page script to mount, and each keeps its anchor
    assert not [a for t, a in tags.tags if t == "figure" and "cell" in a.get("class", "").split()]
    ids = {a.get("id") for _, a in tags.tags}
    assert {f"cell-{n}" for n in names} <= ids


def test_the_rest_of_the_chapter_is_ours_read_from_the_site(pages):
    ours, peer = pages
    # prose and math: every heading and every formula of ours is in the peer
    assert re.findall(r"<h[23][^>]*>.*?</h[23]>", ours, re.S) == re.findall(r"<h[23][^>]*>.*?</h[23]>", peer, re.S)
    assert len(re.findall(r"<math\b", peer)) == len(re.findall(r"<math\b", ours)) - sum(
        len(re.findall(r"<math\b", m)) for m in re.findall(r'<div class="cell-(?:source|output).*?</div>', ours, re.S))
    tags = parsed(peer).tags
    links = [a.get("href") or a.get("src") for t, a in tags if t in ("link", "script") and (a.get("href") or a.get("src"))]
    assert "../site/assets/js/page.js" in links
    assert "pyscript/core.js" in links and "pyscript/core.css" in links
    assert not [u for u in links if u.startswith("assets/")]
    assert 'url("../site/assets/fonts/' in peer


def test_our_service_worker_and_content_policy_are_left_out(pages):
    ours, peer = pages
    assert "data-service-worker" in ours and "Content-Security-Policy" in ours
    assert "data-service-worker" not in peer and "Content-Security-Policy" not in peer


@pytest.mark.parametrize("page, reason", [
    ("<html><head></head><body><p>no cells</p></body></html>", "no code cell"),
    ('<head></head><figure class="cell" id="cell-a" data-cell="a"><p>untitled</p></figure>', "no cell title"),
])
def test_a_page_not_shaped_as_expected_is_refused(page, reason, tmp_path):
    (tmp_path / "a.py").write_text("print(1)\n")
    with pytest.raises(PeerError, match=reason):
        chapter_peer(page, tmp_path)
