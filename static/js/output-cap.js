// The page's copy of a live cell's output cap. Pure: no DOM. The limits are
// runnable/session.py's (MAX_LINES, MAX_CHARS), which applies them where output is
// born and announces them when it starts; the page applies them once more to what
// arrives, so a cell printing a million lines costs it a few messages and no more.

/**
 * A running budget of lines and characters. `take(text)` returns the part of
 * `text` that still fits ("" once the budget is spent); `truncated` says whether
 * anything was cut.
 */
export function createCap(limits) {
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

export function truncationNote(limits) {
  const lines = limits.lines.toLocaleString("en-US");
  const chars = limits.chars.toLocaleString("en-US");
  return `Output truncated: a run shows at most ${lines} lines or ${chars} characters; the rest was not shown.`;
}
