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
// that something above the target changes size reads as that change: the target is put
// back once, and the next scroll ends the hold.

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
  let inPage = 0; // in the page
  let tall = 0; // and how tall the page was then
  const see = () => {
    top = where();
    inPage = top + window.scrollY;
    tall = document.documentElement.scrollHeight;
  };
  const place = () => {
    target.scrollIntoView({ block: "start", behavior: "instant" });
    see();
  };
  const moved = () => Math.abs(where() - top) > 1;
  // The target has moved in the window since it was last seen: did someone scroll, or
  // did the page change under it? If something above it changed size (its place in the
  // page moved), the change moved it, whatever the page's scroll: scroll anchoring takes
  // some changes back and not others, and the scroll event of one it took back may come
  // a frame late, after one it did not (on this machine, 2 of 25 loads at a phone's
  // width). If nothing above changed, the page was scrolled, unless its end came up
  // under the window (something below shrank, and the browser pulled the page with it).
  const scrolledAway = () => {
    if (Math.abs(where() + window.scrollY - inPage) > 1) return false;
    const { scrollHeight } = document.documentElement;
    return !(scrollHeight < tall && window.scrollY + window.innerHeight >= scrollHeight - 1);
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
