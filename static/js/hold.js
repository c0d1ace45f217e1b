// A place linked to stays where it landed while the page above it settles.
//
// After a link to an anchor, the page keeps changing above the target: a section held
// back with content-visibility takes its real height once rendered, a quiz's form joins,
// a table restacks, the math font arrives. Until the load event the browser scrolls to
// the anchor again after each change; after it, only scroll anchoring keeps the page
// still, and it anchors on whatever is at the window's top edge: on a phone, something
// under the sticky contents bar in the section before the target. On this machine with
// both cores busy, 21 of 30 loads of "#s11-4" at a phone's width left the section's
// title under that bar or lower (README, "How it is made"). So each frame, while the
// hold lasts, the target is put back where a link puts it. The hold ends when the
// reader scrolls, touches, clicks or types, when something else scrolls the page
// (find-in-page, a screen reader, a script), when the URL moves to another place, or
// HOLD_MS after the page has loaded and drawn a frame: what settles comes after the
// load, however slow the load was. A scroll without an input event in the very frame
// that something above the target changes size reads as that change: the target is
// put back once, and the next scroll ends the hold.

const HOLD_MS = 10000;
const READER_ACTS = ["wheel", "touchstart", "pointerdown", "keydown"];
let release = null;

/** The element a plain "#id" names, or null (an instrument's "#…?state" names none). */
export function placeOf(hash) {
  try {
    return hash.length > 1 ? document.getElementById(decodeURIComponent(hash.slice(1))) : null;
  } catch {
    return null; // a stray "%": no place
  }
}

/** Hold `target` if this page was opened afresh: a reload or a step back in history
 * restores the place the reader left instead. */
export function holdOnArrival(target) {
  const [visit] = performance.getEntriesByType("navigation");
  if ((visit?.type ?? "navigate") === "navigate") hold(target);
}

/** Keep `target` at the top of the window, where a link puts it, until the reader acts. */
export function hold(target) {
  if (!target) return;
  release?.();
  const where = () => target.getBoundingClientRect().top;
  let top = 0; // where the target was last seen in place: in the window
  let inPage = 0; // and in the page
  const see = () => {
    top = where();
    inPage = top + window.scrollY;
  };
  const place = () => {
    target.scrollIntoView({ block: "start", behavior: "instant" });
    see();
  };
  const moved = () => Math.abs(where() - top) > 1;
  // Since it was last seen, the target has moved in the window by `away`, and in the
  // page by `shift` (what changed above it). Scroll anchoring takes back part of a
  // shift, so a target that moved further in the window than in the page was scrolled
  // away. (Rarely a change reads as a scroll, as when the page's end shrinks under a
  // target near it: then the hold ends early, which costs only the hold.)
  const scrolledAway = () => {
    const now = where();
    const away = now - top;
    const shift = now + window.scrollY - inPage;
    return Math.abs(away) > Math.abs(shift) + 2;
  };
  const stop = new AbortController();
  const { signal } = stop;
  let frame = 0;
  let timer = 0;
  const end = () => {
    cancelAnimationFrame(frame);
    clearTimeout(timer);
    stop.abort();
    if (release === end) release = null;
  };
  release = end;
  const check = () => (!moved() ? see() : scrolledAway() ? end() : place());
  const watch = () => {
    // from the load on (a tab opened in the background waits for its first frame)
    if (!timer && document.readyState === "complete") timer = setTimeout(end, HOLD_MS);
    check();
    if (!signal.aborted) frame = requestAnimationFrame(watch);
  };
  for (const type of READER_ACTS) window.addEventListener(type, end, { capture: true, passive: true, signal });
  window.addEventListener("scroll", check, { signal });
  // another link, or a step in history, ends it (a link's own hash change does not)
  const elsewhere = () => placeOf(window.location.hash) !== target && end();
  window.addEventListener("hashchange", elsewhere, { signal });
  window.addEventListener("popstate", elsewhere, { signal });
  place();
  frame = requestAnimationFrame(watch);
}
