"""The page as a reader meets it: quizzes, navigation, sub-path, no JavaScript."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from browser.helpers import laid_out, near, no_errors, wait_until

QUIZZES = ["q-doubling", "q-kv-vs-state", "q-ssm-linear", "q-levels", "q-sub4-tradeoff", "q-70b-2bit"]


def quiz_spec(page, quiz_id):
    return json.loads(page.locator(f"#{quiz_id}").get_attribute("data-quiz"))


def answer(page, quiz_id, text):
    """Answer as a reader does: scroll to the quiz, type into the field or pick True or
    False, then Check."""
    quiz = near(page.locator(f"#{quiz_id}"))
    if quiz_spec(page, quiz_id)["kind"] == "truefalse":
        quiz.get_by_role("radio", name=text.title(), exact=True).check()
    else:
        quiz.get_by_label("Your answer").fill(text)
    quiz.get_by_role("button", name="Check").click()
    return quiz.get_by_role("status")


def right_and_wrong(spec):
    if spec["kind"] == "truefalse":
        return str(spec["answer"]).lower(), str(not spec["answer"]).lower()
    return f"{spec['answer']:g}", f"{spec['answer'] * 3 + 1:g}"


def test_page_loads_under_a_sub_path_without_errors(page, server):
    page.goto(server)
    expect(page.get_by_role("heading", level=1)).to_contain_text("2026 Frontier")
    page.wait_for_load_state("networkidle")
    assert page.watch.console_errors == []
    assert page.watch.failed == []
    assert page.watch.outside == []
    assert page.evaluate("document.documentElement.classList.contains('no-js')") is False
    # the guard those checks rely on: a request off this machine is stopped and counted
    # (made from a blank page of the same context: the chapter's own CSP would refuse it first)
    probe = "https://example.org/probe.js"
    blank = page.context.new_page()
    assert blank.evaluate("(u) => fetch(u).then(() => 'answered', () => 'refused')", probe) == "refused"
    assert page.watch.outside == [probe]


def test_every_module_of_the_load_is_preloaded_and_every_preload_is_used(page, server):
    modules = []
    page.on("request", lambda r: r.resource_type == "script" and modules.append(r.url[len(server):]))
    page.goto(server, wait_until="load")
    page.wait_for_load_state("networkidle")
    preloads = page.eval_on_selector_all('link[rel="modulepreload"]', "ls => ls.map(l => l.getAttribute('href'))")
    entries = page.eval_on_selector_all("script[src]", "ss => ss.map(s => s.getAttribute('src'))")
    assert "assets/js/page.js" in entries
    loaded = set(modules) - set(entries)
    # Fetched in one round instead of one import level at a time; nothing fetched
    # for nothing; the editor, the chart module and Python stay out of the load.
    assert loaded == set(preloads)
    # bundled: the page's modules and the instruments' widgets are page.js, and what it
    # shares with the chart module one chunk beside it, not a file per source file
    assert len(loaded) <= 1, loaded
    assert not any(m.endswith(("/editor.js", "/webworker.js", "/chart.js")) or "pyodide" in m for m in modules)


@pytest.mark.parametrize("quiz_id", QUIZZES)
def test_a_wrong_answer_gets_a_verdict_and_a_right_one_the_explanation(read_page, quiz_id):
    page = read_page
    spec = quiz_spec(page, quiz_id)
    right, wrong = right_and_wrong(spec)
    quiz = page.locator(f"#{quiz_id}")
    expect(quiz.locator(".quiz-solution")).to_be_hidden()
    expect(answer(page, quiz_id, wrong)).to_contain_text("Not quite")
    # a wrong answer gives nothing away: no answer, no explanation
    expect(quiz.locator(".quiz-answer")).to_be_hidden()
    expect(quiz.locator(".quiz-explanation")).to_be_hidden()
    expect(answer(page, quiz_id, right)).to_contain_text("Right")
    expect(quiz.locator(".quiz-answer")).to_be_visible()
    expect(quiz.locator(".quiz-explanation")).to_be_visible()


def test_the_hint_for_a_foreseen_mistake_is_inside_the_live_region(page, server):
    page.goto(server)  # the quiz as a first-time reader finds it
    quiz = near(page.locator("#q-doubling"))
    status = answer(page, "q-doubling", "2")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_contain_text("Not quite: 2× is not the answer")
    expect(status).to_contain_text("scan")  # the feedback written for the answer 2
    expect(status.locator(".quiz-feedback[data-when='2']")).to_be_visible()
    expect(quiz.locator(".quiz-answer")).to_be_hidden()
    # another wrong answer, with no foreseen mistake: the verdict alone
    expect(answer(page, "q-doubling", "7")).to_contain_text("Not quite: 7×")
    expect(status.locator(".quiz-feedback")).to_be_hidden()
    quiz.get_by_role("button", name="Show answer").click()
    expect(quiz.locator(".quiz-answer")).to_contain_text("4×")
    expect(quiz.locator(".quiz-explanation")).to_be_visible()


def test_numeric_answers_take_units_and_the_likely_mistake_gets_feedback(read_page):
    page = read_page
    for text in ("4", "4.0", "4x", "4×"):
        expect(answer(page, "q-doubling", text)).to_contain_text("Right")
    for text in ("17.5 GB", "17.5GB", "17.5e0 GB"):
        expect(answer(page, "q-70b-2bit", text)).to_contain_text("Right")
    expect(answer(page, "q-70b-2bit", "140")).to_contain_text("Not quite")
    expect(page.locator("#q-70b-2bit .quiz-feedback[data-when='140']")).to_be_visible()
    expect(answer(page, "q-levels", "3 level")).to_contain_text("Right")


@pytest.mark.parametrize(
    "quiz_id,text,said",
    [
        ("q-doubling", "", "Nothing to check yet. Enter a number"),
        ("q-doubling", "abc", "is not a number. Enter a number"),
        ("q-doubling", "four", "“four” is not a number. Enter a number"),
        ("q-doubling", "0x11", "“0x11” is not a number. Enter a number"),
        ("q-70b-2bit", "17,5", "Use a point for decimals: 17.5, not 17,5."),
        ("q-70b-2bit", "1e400", "1e400 is too large a number to check."),
    ],
)
def test_unreadable_input_says_what_is_expected(read_page, quiz_id, text, said):
    page = read_page
    status = answer(page, quiz_id, text)
    expect(status).to_contain_text(said)
    expect(status).not_to_contain_text("Not quite")
    expect(status).not_to_contain_text("∞")
    expect(page.locator(f"#{quiz_id}").get_by_label("Your answer")).to_have_attribute("aria-invalid", "true")


def test_a_quiz_form_joins_the_page_as_the_reader_nears_it(page, server):
    page.goto(server)
    laid_out(page)
    far = page.locator("#q-70b-2bit")
    # far from view, no text field: it would make the browser lay out its whole section
    expect(far.locator("template.quiz-form-template")).to_have_count(1)
    expect(far.get_by_role("textbox")).to_have_count(0)
    # focus entering a quiz far away (Tab to its title) finds its form there at once
    fields = page.evaluate("""() => {
        const title = document.querySelector('#q-levels .quiz-title a');
        const before = document.querySelectorAll('#q-levels input[type=text]').length;
        title.focus({preventScroll: true});
        return [before, document.querySelectorAll('#q-levels input[type=text]').length];
    }""")
    assert fields == [0, 1], fields
    near(far)
    expect(far.get_by_label("Your answer")).to_be_visible()
    expect(far.locator("template")).to_have_count(0)
    assert page.watch.console_errors == []


def test_true_false_is_a_group_of_two_radio_buttons(page, server):
    page.goto(server)  # the quiz as a first-time reader finds it
    quiz = near(page.locator("#q-ssm-linear"))
    group = quiz.get_by_role("group", name="Your answer")
    expect(group.get_by_role("radio")).to_have_count(2)
    expect(quiz.get_by_role("textbox")).to_have_count(0)
    # nothing chosen yet
    quiz.get_by_role("button", name="Check").click()
    expect(quiz.get_by_role("status")).to_contain_text("Choose True or False")
    # by keyboard: Tab to the group, arrows choose, Enter checks
    group.get_by_role("radio", name="True").focus()
    page.keyboard.press("ArrowRight")
    expect(group.get_by_role("radio", name="False")).to_be_checked()
    page.keyboard.press("Enter")
    expect(quiz.get_by_role("status")).to_contain_text("Not quite")
    page.keyboard.press("ArrowLeft")
    expect(group.get_by_role("radio", name="True")).to_be_checked()
    page.keyboard.press("Enter")
    expect(quiz.get_by_role("status")).to_contain_text("Right: the statement is true")


def test_show_answer_and_answers_survive_a_reload_with_the_progress(page, server):
    page.goto(server)
    progress = page.get_by_role("navigation", name="Sections of this chapter").get_by_text(re.compile("quizzes answered"))
    total = page.locator(".quiz[data-quiz]").count()
    assert total >= 6
    expect(progress).to_have_text(f"0 of {total} quizzes answered")
    expect(answer(page, "q-70b-2bit", "17.5 GB")).to_contain_text("Right")
    expect(progress).to_have_text(f"1 of {total} quizzes answered")
    expect(answer(page, "q-levels", "2")).to_contain_text("Not quite")
    expect(progress).to_have_text(f"1 of {total} quizzes answered")  # a wrong answer is not answered yet
    quiz = near(page.locator("#q-doubling"))
    quiz.get_by_role("button", name="Show answer").click()
    expect(quiz.locator(".quiz-answer")).to_be_visible()
    expect(answer(page, "q-ssm-linear", "true")).to_contain_text("Right")
    expect(progress).to_have_text(f"3 of {total} quizzes answered")
    page.reload()
    expect(near(page.locator("#q-70b-2bit")).get_by_label("Your answer")).to_have_value("17.5 GB")
    expect(page.locator("#q-70b-2bit").get_by_role("status")).to_contain_text("Right")
    expect(page.locator("#q-doubling .quiz-answer")).to_be_visible()
    expect(near(page.locator("#q-ssm-linear")).get_by_role("radio", name="True")).to_be_checked()
    expect(page.locator("#q-levels").get_by_role("status")).to_contain_text("Not quite")
    expect(page.locator("#q-levels .quiz-answer")).to_be_hidden()
    expect(progress).to_have_text(f"3 of {total} quizzes answered")
    page.get_by_role("button", name=re.compile("Clear my saved answers")).click()
    expect(page.locator("#q-70b-2bit").get_by_label("Your answer")).to_have_value("")
    expect(progress).to_have_text(f"0 of {total} quizzes answered")
    page.reload()
    expect(near(page.locator("#q-70b-2bit")).get_by_label("Your answer")).to_have_value("")
    expect(page.locator("#q-doubling .quiz-answer")).to_be_hidden()
    expect(progress).to_have_text(f"0 of {total} quizzes answered")


def test_table_of_contents_marks_the_section_being_read(read_page):
    page = read_page
    nav = page.get_by_role("navigation", name="Sections of this chapter")
    page.locator("#s11-4").scroll_into_view_if_needed()
    page.evaluate("document.getElementById('s11-4').scrollIntoView({block: 'start'})")
    expect(nav.locator("a[aria-current]")).to_have_attribute("href", "#s11-4")


# Where a link puts an anchor: the window's scroll padding below its top (under the
# phone's sticky contents bar), or as far as the page scrolls for one near its end. Read
# after each of the page's next FRAMES frames: a change above the target (the math font
# arriving, a quiz's form joining) can move it in one frame, before the page's next frame
# puts it back, so the place counts when one of the readings has it there. (The last
# reading's fields come first, for a message.)
FRAMES = 4
LANDED = """async ([id, frames]) => {
  const seen = [];
  for (let i = 0; i < frames; i++) {
    await new Promise((done) => requestAnimationFrame(() => setTimeout(done))); // a frame has run
    const top = document.getElementById(id).getBoundingClientRect().top;
    const padding = parseFloat(getComputedStyle(document.documentElement).scrollPaddingTop);
    const end = scrollY >= document.documentElement.scrollHeight - innerHeight - 1;
    seen.push({ top, padding, end, y: scrollY, ms: Math.round(performance.now()) });
  }
  return { ...seen.at(-1), seen };
}"""


def place_of(page, anchor):
    return page.evaluate(LANDED, [anchor, FRAMES])


def in_place(place):
    return any(p["end"] and p["top"] >= p["padding"] - 2 or abs(p["top"] - p["padding"]) <= 2 for p in place["seen"])


def landed(page, anchor):
    return in_place(place_of(page, anchor))


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize("anchor", ["eq-11-4", "s11-4", "q-70b-2bit", "s11-r"])
def test_every_anchor_can_be_linked_to(page, server, width, anchor):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(server + "#" + anchor, wait_until="load")
    page.wait_for_timeout(700)  # quiz forms join, the sections near the view are rendered
    place = place_of(page, anchor)
    assert in_place(place), f"#{anchor} is not where a link puts it: {place}"


# A section above the target changes its height after the load, as one held back with
# content-visibility does once it is rendered (its estimate was 5,500 px off here). The
# browser's scroll anchoring is off, as it is in effect on a phone when the node it
# anchors on sits under the contents bar: whether the target stays is the hold's doing.
SETTLE_ABOVE = """(px) => {
  document.documentElement.style.overflowAnchor = 'none';
  Object.assign(document.getElementById('s11-3').style, { contentVisibility: 'hidden', containIntrinsicSize: px + 'px' });
}"""


def settle_above(page, px=300):
    page.evaluate(SETTLE_ABOVE, px)
    page.wait_for_timeout(300)


def land_on_s11_4(page, server, width=1280):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(server + "#s11-4", wait_until="load")
    wait_until(page, lambda: landed(page, "s11-4"), "#s11-4 landed on")


@pytest.mark.parametrize("width", [375, 1280])
def test_a_linked_place_stays_put_while_the_page_above_it_settles(page, server, width):
    land_on_s11_4(page, server, width)
    settle_above(page)
    place = place_of(page, "s11-4")
    assert in_place(place), f"#s11-4 moved: {place}"


# Two changes above the target between two frames, as on a slow phone: scroll anchoring
# takes the first back (the page scrolls, and its scroll event waits for the next
# frame), the second it does not (as when the node it anchors on is the section that
# grows). The target has then moved in the window further than in the page, yet no one
# scrolled.
SETTLE_TWICE = """() => {
  const above = document.getElementById('s11-3');
  const [y, tall] = [scrollY, above.offsetHeight];
  above.style.contentVisibility = 'hidden';
  above.style.containIntrinsicSize = (tall - 500) + 'px';
  const anchored = (scrollY - y) / (above.offsetHeight - tall);  // laid out: scroll anchoring took it back
  document.documentElement.style.overflowAnchor = 'none';
  above.style.containIntrinsicSize = (above.offsetHeight + 1300) + 'px';
  above.offsetHeight;
  return anchored;
}"""


def test_a_linked_place_stays_put_when_two_changes_above_it_come_in_one_frame(page, server):
    land_on_s11_4(page, server, 375)  # at this width the page anchors on a node in #s11-4
    page.wait_for_timeout(700)
    assert page.evaluate(SETTLE_TWICE) == pytest.approx(1, abs=0.01), "scroll anchoring did not take the first change back"
    page.wait_for_timeout(300)
    place = place_of(page, "s11-4")
    assert in_place(place), f"#s11-4 moved: {place}"


# Find-in-page or a screen reader moves the page (no input event) in the very frame that
# a section below the target takes its real height: the reader's scroll all the same.
GROW_BELOW_AND_SCROLL = """() => {
  const below = document.getElementById('s11-5');
  below.style.contentVisibility = 'hidden';
  below.style.containIntrinsicSize = (below.offsetHeight + 1500) + 'px';
  window.scrollBy(0, 2000);
}"""


def test_a_scroll_in_the_frame_that_something_below_the_target_changes_ends_the_hold(page, server):
    land_on_s11_4(page, server)
    page.wait_for_timeout(700)
    page.evaluate(GROW_BELOW_AND_SCROLL)
    wait_until(page, lambda: place_of(page, "s11-4")["top"] < -1500, "the page scrolled on")
    page.wait_for_timeout(300)
    assert not landed(page, "s11-4"), "the page went back to the linked place"


@pytest.mark.parametrize("act", ["wheel", "script", "key", "pointer"])
def test_the_readers_own_act_ends_the_hold_on_a_linked_place(page, server, act):
    land_on_s11_4(page, server)
    page.wait_for_timeout(700)  # the page has settled: nothing else moves it meanwhile
    if act == "wheel":
        page.mouse.move(640, 400)
        page.mouse.wheel(0, 400)
    elif act == "script":  # find-in-page or a screen reader moves the page without an input event
        page.evaluate("window.scrollBy(0, 400)")
    elif act == "key":
        page.keyboard.press("Shift")
    else:  # a press on the text, which neither scrolls nor follows a link
        box = page.locator("#s11-4 p").first.bounding_box()
        page.mouse.click(box["x"] + 5, box["y"] + 5)
    if act in ("wheel", "script"):
        wait_until(page, lambda: place_of(page, "s11-4")["top"] < -300, "the page scrolled on")
    settle_above(page)
    assert not landed(page, "s11-4"), "the page went back to the linked place"


def test_a_stray_percent_sign_in_the_url_leaves_the_page_working(page, server):
    page.goto(server + "#50%", wait_until="load")
    placed = page.locator("figure.instrument").count()
    assert placed > 0
    expect(page.locator("figure.instrument.mounted")).to_have_count(placed)
    nav = page.get_by_role("navigation", name="Sections of this chapter")
    expect(nav.get_by_text(re.compile(r"^0 of \d+ quizzes answered$"))).to_be_visible()
    no_errors(page)


SECTION_SHOWN = "(s) => document.querySelector(s).lastElementChild.checkVisibility({contentVisibilityAuto: true})"
# whether <html> ever had the class that holds the far sections back (head.js), and
# the frame in which each section was released, counted by requestAnimationFrame from
# the end of the parse (this script's DOMContentLoaded listener is added before
# head.js's, so in each frame it counts before head.js releases)
HELD_BACK = """window.__heldBack = false; window.__heldFirst = false; window.__released = [];
window.__freedFirst = null;
new MutationObserver((changes) => {
  const classes = document.documentElement?.classList;
  if (classes?.contains("sections-pending")) window.__heldBack = true;
  if (classes?.contains("first-pending")) window.__heldFirst = true;
  if (window.__heldBack && !classes?.contains("first-pending") && window.__freedFirst === null) window.__freedFirst = performance.now();
  for (const { target } of changes)
    if (target.classList.contains("released")) window.__released.push([target.id, window.__frame]);
}).observe(document, {attributes: true, subtree: true, attributeFilter: ["class"]});
document.addEventListener("DOMContentLoaded", () => {
  window.__firstHeldAtParseEnd = document.documentElement.classList.contains("first-pending");
  // frames counted from the parse's end (their times can repeat on a busy machine)
  window.__frame = 0;
  const count = () => { window.__frame += 1; if (window.__frame < 600) requestAnimationFrame(count); };
  requestAnimationFrame(count);
});"""


def shown_once_scrolled_to(page, selector):
    page.locator(selector).scroll_into_view_if_needed()
    wait_until(page, lambda: page.evaluate(SECTION_SHOWN, selector), f"{selector} is rendered", 5000)


@pytest.mark.parametrize("javascript", [True, False])
def test_sections_far_from_view_are_rendered_as_the_reader_reaches_them(context_factory, server, javascript):
    context, _ = context_factory(java_script_enabled=javascript)
    page = context.new_page()
    page.goto(server, wait_until="load")
    last = ".chapter-section:last-of-type"
    if javascript:  # laid out, then skipped while far from view
        assert page.evaluate(SECTION_SHOWN, last) is False
    shown_once_scrolled_to(page, last)


def test_far_sections_are_held_back_only_while_a_plain_visit_is_parsed(context_factory, server):
    context, watch = context_factory()
    context.add_init_script(HELD_BACK)
    page = context.new_page()
    watch.attach(page)
    page.goto(server, wait_until="load")
    assert page.evaluate("window.__heldBack") is True and page.evaluate("window.__heldFirst") is True
    laid_out(page)
    # released in order, the first one too, each in a frame of its own, from the frame
    # after the first one after the parse (that one is painted with them held back)
    # (the first one only if it was still held when the parse ended: head.js frees it
    # after 250 ms, which a busy test machine may take to parse the page)
    released = page.evaluate("window.__released")
    held = page.evaluate("[...document.querySelectorAll('.chapter-section')].map((s) => s.id)")
    if not page.evaluate("window.__firstHeldAtParseEnd"):
        held = held[1:]
    assert [id for id, _ in released] == held and len(held) >= 5
    frames = [when for _, when in released]
    assert frames == sorted(set(frames)), frames
    assert frames[0] >= 2, frames
    # a reload, a step back and a URL with an anchor need the real heights at once
    page.reload(wait_until="load")
    assert page.evaluate("window.__heldBack") is False
    page.goto(server + "assets/favicon.svg")  # a document of the same site: from about:blank,
    page.go_back(wait_until="load")           # Chromium's request for the favicon is refused
    assert page.evaluate("performance.getEntriesByType('navigation')[0].type") == "back_forward"
    assert page.evaluate("window.__heldBack") is False
    fresh = context.new_page()
    fresh.goto(server + "#q-70b-2bit", wait_until="load")
    assert fresh.evaluate("window.__heldBack") is False
    assert watch.console_errors == []
    # what the classes do: sections-pending holds all but the first section,
    # first-pending the first one too; the one holding the #anchor's target never is
    style = "(s) => getComputedStyle(document.querySelector(s)).contentVisibility"
    fresh.evaluate("location.hash = '#s11-1'")  # the target now in the first section
    fresh.evaluate("document.documentElement.classList.add('sections-pending', 'first-pending')")
    assert [fresh.evaluate(style, s) for s in ("#s11-1", "#s11-2", "#s11-4")] == ["auto", "hidden", "hidden"]
    fresh.evaluate("location.hash = '#q-70b-2bit'")  # a quiz in section 11.4
    assert [fresh.evaluate(style, s) for s in ("#s11-1", "#s11-2", "#s11-4")] == ["hidden", "hidden", "auto"]
    fresh.evaluate("document.documentElement.classList.remove('first-pending')")
    assert [fresh.evaluate(style, s) for s in ("#s11-1", "#s11-2", "#s11-4")] == ["auto", "hidden", "auto"]


def test_on_a_slow_connection_the_first_section_is_shown_before_the_parse_ends(context_factory, server):
    # head.js holds the first section for FIRST_SECTION_MS at most: here the page's
    # 380 kB arrive at 100 kB/s, and the first section is freed long before they have
    context, watch = context_factory()
    context.add_init_script(HELD_BACK)
    page = context.new_page()
    watch.attach(page)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions",
             {"offline": False, "latency": 20, "downloadThroughput": 100_000, "uploadThroughput": 100_000})
    page.goto(server, wait_until="load", timeout=30_000)
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    parsed = page.evaluate("performance.getEntriesByType('navigation')[0].domInteractive")
    assert parsed > 1500, parsed  # the throttle held the parse back
    freed = page.evaluate("window.__freedFirst")  # when the first section stopped being held
    assert page.evaluate("window.__heldFirst") is True
    assert freed is not None and 200 < freed < 1000 < parsed, (freed, parsed)
    laid_out(page)
    released = [id for id, _ in page.evaluate("window.__released")]
    assert "s11-1" not in released and released[0] == "s11-2"  # not released again
    assert watch.console_errors == []


def test_focus_entering_the_page_frees_the_first_section_at_once(context_factory, server):
    # the skip link, tabbed to as soon as it is parsed, leads to a first section that is
    # shown at once (focus() dispatches focusin before it returns), neither at head.js's
    # deadline nor after the parse
    context, _ = context_factory()
    context.add_init_script("""
window.__focus = null;
new MutationObserver((_, observer) => {
  const skip = document.querySelector("a[href='#main']");
  const classes = document.documentElement?.classList;
  if (!skip || !classes?.contains("first-pending")) return;
  observer.disconnect();
  skip.focus();
  window.__focus = {focused: document.activeElement === skip, heldAfter: classes.contains("first-pending"),
                    parsing: document.readyState === "loading"};
}).observe(document, {childList: true, subtree: true});""")
    page = context.new_page()
    page.goto(server, wait_until="load")
    assert page.evaluate("window.__focus") == {"focused": True, "heldAfter": False, "parsing": True}


def test_without_javascript_the_chapter_is_readable(context_factory, server):
    context, watch = context_factory(java_script_enabled=False)
    page = context.new_page()
    page.goto(server)
    expect(page.locator(".math.inline math").first).to_be_visible()
    expect(page.locator('#eq-11-1 math[display="block"]')).to_be_visible()
    assert page.locator('#eq-11-1 math[display="block"]').bounding_box()["height"] > 50  # laid out as math, not a line of text
    expect(page.locator("#cell-scaling_costs .cell-stdout")).to_contain_text("attention")
    # each chart of the cells' printed output is a picture, its data in a table under it
    plots = page.locator("figure.cell .plot")
    assert plots.count() >= 3
    for i in range(plots.count()):
        picture = plots.nth(i).locator("svg.plot-image")
        expect(picture).to_be_visible()
        assert picture.locator("g[class^=s] path").count() >= 1
        expect(plots.nth(i).locator("xpath=following-sibling::details[1]").locator("summary")).to_contain_text("Data of the chart")
    quiz = page.locator("#q-doubling")
    expect(quiz.get_by_role("textbox")).to_have_count(0)  # nothing could check an answer
    expect(quiz.get_by_role("button", name="Check")).to_have_count(0)
    expect(quiz.locator(".quiz-question")).to_be_visible()
    quiz.locator("summary").click()
    expect(quiz.locator(".quiz-answer")).to_contain_text("4×")
    expect(quiz.locator(".quiz-explanation")).to_be_visible()


# <html>'s class when the chapter's <body> is first parsed, before anything in it is styled
NO_JS_AT_BODY = """new MutationObserver((changes, observer) => {
  if (!document.body) return;
  window.__noJsAtBody = document.documentElement.classList.contains('no-js');
  observer.disconnect();
}).observe(document, {childList: true, subtree: true});"""


def test_the_page_says_that_scripts_run_before_the_chapter_is_parsed(page, server):
    page.add_init_script(NO_JS_AT_BODY)
    page.goto(server)
    # styled once as it stays: no restyle of the whole page when page.js starts
    assert page.evaluate("window.__noJsAtBody") is False
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.classList.contains('no-js')") is False
    laid_out(page)  # a section held back reads as hidden whatever its quiz's style
    expect(page.locator("#q-doubling .quiz-solution")).to_be_hidden()


def test_a_page_whose_script_never_starts_reads_as_without_javascript(page, server):
    page.route("**/assets/js/page.js", lambda route: route.fulfill(status=404, body=""))
    page.goto(server, wait_until="load")
    assert page.evaluate("document.documentElement.classList.contains('no-js')")
    solution = page.locator("#q-doubling .quiz-solution")
    expect(solution).to_be_visible()
    solution.locator("summary").click()
    expect(solution.locator(".quiz-answer")).to_contain_text("4×")


@pytest.mark.parametrize("missing", ["no-such-page.html", "a/b/no-such-page"])
def test_missing_page_gets_the_404_page_that_links_to_the_chapter(page, server, missing):
    response = page.goto(server + missing)
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_contain_text("does not exist")
    page.get_by_role("link", name=re.compile("Chapter 11")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("2026 Frontier")
    assert page.url == server + "index.html"


@pytest.mark.parametrize("width,scheme", [(375, "light"), (375, "dark"), (1280, "light"), (1280, "dark")])
def test_screenshots(read_page, screenshots_dir, width, scheme):
    page = read_page
    page.set_viewport_size({"width": width, "height": 900})
    page.emulate_media(color_scheme=scheme)
    page.evaluate("scrollTo(0, 0)")
    page.wait_for_load_state("networkidle")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {width}px"
    page.screenshot(path=str(screenshots_dir / f"page-{width}-{scheme}.png"))
    page.locator("#q-doubling").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots_dir / f"quiz-{width}-{scheme}.png"))


def test_the_notebook_can_be_downloaded(read_page):
    page = read_page
    link = page.get_by_role("link", name="Download notebook")
    expect(link).to_have_attribute("href", "chapter-11.ipynb")
    with page.expect_download() as download:
        link.click()
    path = download.value.path()
    notebook = json.loads(open(path, encoding="utf-8").read())
    assert notebook["nbformat"] == 4
    assert any(c["cell_type"] == "code" and "attention_flops" in "".join(c["source"]) for c in notebook["cells"])
