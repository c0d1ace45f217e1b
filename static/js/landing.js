// Following a link within the chapter (to an equation, a quiz, a code cell, a section):
// the place landed on stays in view while the page settles (hold.js), is marked for a
// moment, and a button offers the way back to where the reader was. The browser's Back
// does the same; the button says so.

import { hold, holdOnArrival, placeOf } from "./hold.js";

const HIGHLIGHT_MS = 2600;

export function mount() {
  let back = null;
  let landed = null;

  const clear = () => {
    back?.remove();
    back = null;
    landed?.classList.remove("landed");
    landed = null;
  };

  const land = (target, from) => {
    clear();
    landed = target;
    target.classList.remove("landed");
    void target.offsetWidth; // restart the mark's fade
    target.classList.add("landed");
    setTimeout(() => target.classList.remove("landed"), HIGHLIGHT_MS);
    back = document.createElement("button");
    back.type = "button";
    back.className = "back-to-reading";
    back.textContent = "↩ Back to where you were";
    back.addEventListener("click", () => {
      const { link, y, hash } = from;
      clear();
      // the link added a history entry: going back keeps Back and Forward honest
      if (window.location.hash !== hash) window.history.back();
      window.setTimeout(() => {
        window.scrollTo({ top: y, behavior: "instant" });
        link.focus({ preventScroll: true });
      }, 50);
    });
    document.body.append(back);
  };

  holdOnArrival(placeOf(window.location.hash)); // a URL with an #anchor

  document.addEventListener("click", (event) => {
    const link = event.target.closest?.('a[href^="#"]');
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const target = placeOf(link.hash);
    if (!target) return;
    // the contents, the skip link, a heading's own anchor and a link inside its target
    // move the reader without a mark or a way back
    const marked = !link.closest(".toc, .skip-link") && !link.matches(".anchor, .header-anchor, .back-to-reading")
      && !target.contains(link);
    const from = { link, y: window.scrollY, hash: window.location.hash };
    setTimeout(() => { // after the browser has moved to the target
      hold(target);
      if (marked) land(target, from);
    });
  });
  window.addEventListener("popstate", clear);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && back) clear();
  });
}
