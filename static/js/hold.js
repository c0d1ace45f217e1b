// A place linked to stays where it landed while the page above it settles.
//
// After a link to an anchor, the page keeps changing above the target: a section held
// back with content-visibility takes its real height once rendered, a quiz's form joins,
// a table restacks, the math font arrives. Until the load event the browser scrolls to
// the anchor again after each change; after it, only scroll anchoring keeps the page
// still, and it anchors on whatever is at the window's top edge: on a phone, something
// under the sticky contents bar in the section before the target. Here, on a busy
// machine, half the loads of "#s11-4" at a phone's width left the section's title under
// that bar or pushed it 150 to 980 px down. So each frame, while the hold lasts, the
// target is put back where a link puts it. The hold ends when the reader scrolls,
// touches, clicks or types, when something else scrolls the page (find-in-page, a
// screen reader, a script), when the URL moves to another place, or after HOLD_MS.

const HOLD_MS = 10000;
const READER_ACTS = ["wheel", "touchstart", "pointerdown", "keydown"];
let release = null;

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
  // page by `shift` (what changed above it). Scroll anchoring only ever takes back part
  // of a shift; a target that moved further in the window than in the page was
  // scrolled away.
  const scrolledAway = () => {
    const now = where();
    const away = now - top;
    const shift = now + window.scrollY - inPage;
    return Math.abs(away) > Math.abs(shift) + 2;
  };
  let frame = 0;
  const watch = () => {
    if (moved()) place();
    frame = requestAnimationFrame(watch);
  };
  const stop = new AbortController();
  const timer = setTimeout(() => release?.(), HOLD_MS);
  release = () => {
    cancelAnimationFrame(frame);
    stop.abort();
    clearTimeout(timer);
    release = null;
  };
  const { signal } = stop;
  for (const type of READER_ACTS) window.addEventListener(type, () => release?.(), { capture: true, passive: true, signal });
  window.addEventListener("scroll", () => (!moved() ? see() : scrolledAway() ? release?.() : place()), { signal });
  // another link, or a step in history, ends it (a link's own hash change does not)
  const elsewhere = () => decodeURIComponent(window.location.hash.slice(1)) !== target.id && release?.();
  window.addEventListener("hashchange", elsewhere, { signal });
  window.addEventListener("popstate", elsewhere, { signal });
  place();
  frame = requestAnimationFrame(watch);
}
