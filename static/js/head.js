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
// While the chapter is parsed, its sections after the first are not rendered (site.css,
// html.sections-pending). After the first frame has been painted they are released one
// a frame, so the browser's first layout of each falls into a task of its own instead of
// one long task before the first paint. Only on a plain visit: a URL with an #anchor, a
// reload or a step back in history needs the sections' real heights at once to land
// where it should.
(() => {
  const root = document.documentElement;
  root.classList.remove("no-js");
  // page.js marks <html data-started> first thing; a module script runs before the load
  window.addEventListener("load", () => "started" in root.dataset || root.classList.add("no-js"));
  const [visit] = performance.getEntriesByType("navigation");
  if (location.hash || (visit?.type ?? "navigate") !== "navigate") return;
  root.classList.add("sections-pending");
  const release = (held) => {
    const section = held.shift();
    if (!section) return root.classList.remove("sections-pending");
    section.classList.add("released");
    requestAnimationFrame(() => release(held));
  };
  document.addEventListener("DOMContentLoaded", () => {
    const held = [...document.querySelectorAll(".chapter-section ~ .chapter-section")];
    // a callback of the next frame runs before that frame is painted: wait one more
    requestAnimationFrame(() => requestAnimationFrame(() => release(held)));
  });
})();
