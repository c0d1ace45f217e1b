// What runs before the chapter is parsed. The build writes this script into <head>,
// before the stylesheet, so it runs without a request (build.py INLINE_SCRIPT).
//
// It says that scripts run: <html> loses "no-js" before anything is styled, so the
// page is styled once as it will stay (quiz solutions hidden, the .js-only parts
// shown) instead of restyled whole when page.js starts, with a flash of what changed.
// Should page.js never start (a network error, a file missing), the load event puts
// "no-js" back: the page reads as it does with JavaScript off, every solution there to
// open. With JavaScript off, nothing runs and the page stays as written.
//
// While the chapter is parsed, its sections are not rendered (site.css,
// html.sections-pending, html.first-pending). After the first frame has been painted
// (the masthead and the contents) they are released one a frame, from the first, so
// the browser's first layout of each falls into a task of its own instead of into the
// parse: frames drawn while the chapter was parsed laid the first section out twice,
// and the scripts started that much later. The first section is held for
// FIRST_SECTION_MS at most, and not at all in a page opened out of view (no frames to
// release it there): where the parse takes longer (a slow connection or device), it is
// shown from then on as it arrives. Focus entering the page (the skip link) frees it
// too. Only on a plain visit: a URL with an #anchor, a reload or a step back in history
// needs the sections' real heights at once to land where it should.
(() => {
  const FIRST_SECTION_MS = 250;
  const root = document.documentElement;
  root.classList.remove("no-js");
  // page.js marks <html data-started> first thing; a module script runs before the load
  window.addEventListener("load", () => "started" in root.dataset || root.classList.add("no-js"));
  const [visit] = performance.getEntriesByType("navigation");
  if (location.hash || (visit?.type ?? "navigate") !== "navigate") return;
  root.classList.add("sections-pending");
  const free = () => root.classList.remove("first-pending");
  if (!document.hidden && !document.prerendering) {
    root.classList.add("first-pending");
    setTimeout(free, FIRST_SECTION_MS);
    addEventListener("focusin", free, { once: true });
  }
  const release = (held) => {
    const section = held.shift();
    if (!section) return root.classList.remove("sections-pending", "first-pending");
    section.classList.add("released");
    requestAnimationFrame(() => release(held));
  };
  document.addEventListener("DOMContentLoaded", () => {
    const first = root.classList.contains("first-pending");
    const held = [...document.querySelectorAll(first ? ".chapter-section" : ".chapter-section ~ .chapter-section")];
    // a callback of the next frame runs before that frame is painted: wait one more
    requestAnimationFrame(() => requestAnimationFrame(() => release(held)));
  });
})();
