// Wide display math scrolls sideways; make such a box reachable by keyboard.

export function mount(root = document) {
  const boxes = [...root.querySelectorAll(".math.display")];
  const mark = () => {
    for (const box of boxes) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.tabIndex = 0;
        box.setAttribute("role", "group");
        box.setAttribute("aria-label", "Equation (scrolls sideways)");
      } else if (box.hasAttribute("tabindex")) {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    }
  };
  // Measuring forces a layout of the whole page: do it when the browser is idle.
  const idle = window.requestIdleCallback ?? ((fn) => setTimeout(fn, 200));
  idle(() => {
    mark();
    new ResizeObserver(mark).observe(document.documentElement);
  });
}
