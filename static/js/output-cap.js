// The output cap of a live cell, shared by the worker and the page. Pure: no DOM.
// runnable/session.py applies the same limits in Python; each side enforces them,
// so a cell printing a million lines costs the page a few messages and 5,000 lines.

export const LIMITS = Object.freeze({ lines: 5000, chars: 1_000_000 });

/**
 * A running budget of lines and characters. `take(text)` returns the part of
 * `text` that still fits ("" once the budget is spent); `truncated` says whether
 * anything was cut.
 */
export function createCap(limits = LIMITS) {
  let lines = 0;
  let chars = 0;
  let truncated = false;
  return {
    take(text) {
      if (truncated || !text) return "";
      if (lines >= limits.lines) {
        truncated = true;
        return "";
      }
      let part = String(text);
      const room = limits.chars - chars;
      if (part.length > room) {
        part = part.slice(0, Math.max(room, 0));
        truncated = true;
      }
      let newlines = 0;
      for (let at = part.indexOf("\n"); at !== -1; at = part.indexOf("\n", at + 1)) {
        newlines += 1;
        if (lines + newlines === limits.lines) {
          if (at + 1 < part.length) {
            part = part.slice(0, at + 1);
            truncated = true;
          }
          break;
        }
      }
      lines += newlines;
      chars += part.length;
      return part;
    },
    get truncated() {
      return truncated;
    },
  };
}

export function truncationNote(limits = LIMITS) {
  const lines = limits.lines.toLocaleString("en-US");
  const chars = limits.chars.toLocaleString("en-US");
  return `Output truncated: a run shows at most ${lines} lines or ${chars} characters; the rest was not shown.`;
}
