// A live run's output in a cell: streamed text, charts, the traceback, notes.
// Everything the worker sends is shown as text (text nodes, textContent), never as
// HTML. Text is capped here too (output-cap.js) and written at most once a frame:
// at once if nothing was written in this frame yet, else at the next one.

import { createCap, truncationNote } from "./output-cap.js";
import { cleanFigure } from "./cell-text.js";
import { draw } from "./plots.js";
import { makeFocusableBox } from "./instruments/widget.js";

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The chart's numbers as a table: the display strings plot_xy made (as under the build's charts). */
function dataTable(figure, title) {
  const details = element("details", "plot-data");
  details.append(element("summary", "", `Data of the chart “${title}”`));
  const table = element("table");
  const head = table.createTHead().insertRow();
  figure.table.columns.forEach((name) => {
    const th = element("th", "", name);
    th.scope = "col";
    head.append(th);
  });
  const body = table.createTBody();
  figure.table.rows.forEach((cells) => {
    const row = body.insertRow();
    cells.forEach((v) => (row.insertCell().textContent = v));
  });
  details.append(table);
  const { rows, total } = figure.table;
  if (total > rows.length) details.append(element("p", "", `First ${rows.length} of ${total} rows.`));
  return details;
}

/**
 * Output of one run into `container`. Nothing is touched until `begin()`, so the
 * pre-run output stays until the run really starts.
 */
export function createOutput(container, limitsOf) {
  let cap = null; // made with the first text, with the limits of the session that runs the cell
  const capped = () => (cap ??= createCap(limitsOf()));
  let pending = [];
  let frame = 0; // a write waiting for the next frame
  let fresh = true; // nothing written since the current frame began
  let pre = null;
  let begun = false;
  let noted = false;

  function flush() {
    cancelAnimationFrame(frame);
    frame = 0;
    if (!pending.length) return;
    // Stick to the bottom if the reader had not scrolled up. A new box is at its bottom
    // without asking: measuring it would force a layout of the whole chapter before the
    // first line shows.
    let atBottom = !pre;
    let top = 0; // where the box was scrolled to, read with atBottom before the new text
    if (!pre) {
      pre = element("pre", "cell-stdout");
      makeFocusableBox(pre, "Output"); // always: it may scroll as lines stream in
      pre.dataset.live = "";
      container.append(pre);
    } else {
      top = pre.scrollTop;
      atBottom = top + pre.clientHeight >= pre.scrollHeight - 4;
    }
    for (const [stream, text] of pending) {
      const last = pre.lastChild;
      if (stream === "stderr") {
        if (last?.nodeType === 1 && last.classList.contains("cell-stderr")) last.append(text);
        else pre.append(element("span", "cell-stderr", text));
      } else if (last?.nodeType === 3) {
        last.appendData(text);
      } else {
        pre.append(text);
      }
    }
    pending = [];
    // scrolled in the next frame, which lays the page out anyway, not by a forced layout
    // now; not if the reader scrolled the box in between
    const box = pre;
    if (atBottom) requestAnimationFrame(() => box.scrollTop === top && (box.scrollTop = box.scrollHeight));
    if (fresh) {
      fresh = false;
      requestAnimationFrame(() => (fresh = true));
    }
  }

  function note(text, className = "cell-note") {
    container.append(element("p", className, text));
  }

  /** Say once that output was cut, by the page's cap or by Python's. */
  function noteTruncated() {
    if (noted) return;
    noted = true;
    flush();
    note(truncationNote(limitsOf()), "cell-note cell-truncated");
  }

  return {
    begin() {
      if (begun) return;
      begun = true;
      container.replaceChildren();
      container.setAttribute("aria-busy", "true");
    },
    get begun() {
      return begun;
    },
    text(stream, text) {
      const part = capped().take(text);
      if (part) {
        pending.push([stream === "stderr" ? "stderr" : "stdout", part]);
        // The first text of a frame is shown at once; more waits for the next frame.
        if (!frame) {
          if (fresh) flush();
          else frame = requestAnimationFrame(flush);
        }
      }
      if (cap.truncated) noteTruncated();
    },
    figure(raw) {
      flush();
      pre = null;
      const figure = cleanFigure(raw);
      const title = figure.layout.title || "Chart";
      const plot = element("div", "plot");
      plot.setAttribute("role", "group");
      plot.setAttribute("aria-label", `Chart: ${title}`);
      plot.dataset.drawn = "1";
      container.append(plot, dataTable(figure, title));
      draw(plot, figure).catch((error) => {
        plot.textContent = `${error.message} The data is in the table below.`;
      });
    },
    finish(result) {
      flush();
      if (result.truncated) noteTruncated();
      if (result.traceback) {
        const error = element("pre", "cell-error", result.traceback);
        makeFocusableBox(error, "Error");
        container.append(error);
      }
      if (result.note && result.status !== "interrupted") note(result.note);
    },
    close() {
      flush();
      container.removeAttribute("aria-busy");
    },
  };
}
