// Wide display math. Where an equation is wider than its box, the box scrolls
// sideways: a fade and an arrow at the edge where more is hidden say so, a tap on
// the arrow scrolls, and the box takes keyboard focus (the arrow keys scroll it).

import { markScrollable, scrollRegion, whenLaidOut } from "./instruments/widget.js";

const STEP = 0.8; // of the visible width, per tap on an arrow

function frameOf(box) {
  const frame = document.createElement("div");
  frame.className = "math-frame";
  box.before(frame);
  frame.append(box);
  const cue = (side, symbol) => {
    const node = document.createElement("span");
    node.className = `scroll-cue scroll-cue-${side}`;
    node.setAttribute("aria-hidden", "true"); // the box itself is the keyboard's way in
    node.textContent = symbol;
    node.addEventListener("click", () => {
      const by = box.clientWidth * STEP * (side === "end" ? 1 : -1);
      box.scrollBy({ left: by, behavior: "smooth" });
    });
    frame.append(node);
  };
  cue("start", "←");
  cue("end", "→");
  return frame;
}

function nameOf(box) {
  const title = box.closest("figure.equation")?.querySelector(".equation-title .anchor");
  return title ? title.textContent.trim() : "Equation";
}

/** Mark each box: does it overflow, and is more hidden before or after what is seen? */
function mark(box) {
  const frame = box.parentElement;
  const hidden = box.scrollWidth - box.clientWidth;
  const scrolls = hidden > 1;
  frame.classList.toggle("scrolls", scrolls);
  frame.classList.toggle("more-start", scrolls && box.scrollLeft > 1);
  frame.classList.toggle("more-end", scrolls && box.scrollLeft < hidden - 1);
  markScrollable(box, scrolls, `${nameOf(box)}, wider than the page: scroll sideways or use the arrow keys`, "group");
}

/** Mark each box as the browser lays it out, and again as its size or content changes (the math font arriving, the window resized). */
export function mount(root = document) {
  const measured = () => (document.documentElement.dataset.equationsMeasured = "1");
  for (const box of root.querySelectorAll(".math.display")) {
    frameOf(box);
    box.addEventListener("scroll", () => mark(box), { passive: true });
    whenLaidOut(box, () => {
      mark(box);
      measured();
    });
  }
  // the build's printed output (a live run's output, data-live, is focusable from the start)
  for (const pre of root.querySelectorAll(".cell-output pre.cell-stdout:not([data-live])")) {
    const cell = pre.closest("figure.cell")?.querySelector(".cell-title .anchor")?.textContent.trim();
    scrollRegion(pre, `Output${cell ? ` of ${cell}` : ""} (scrolls sideways)`);
  }
}
