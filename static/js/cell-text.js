// What a live cell says: status lines, failures, durations, and safe chart specs.
// Pure functions (no DOM), so they can be tested on their own.

const RETRY = "Try Run again.";
const KEPT = "The pre-run output below is from the build. Try Run again.";

/** Bytes as megabytes with one decimal: 13531127 → "13.5". */
export function megabytes(bytes) {
  return (Number(bytes) / 1e6).toFixed(1);
}

export function formatMs(ms) {
  return `${Math.round(Number(ms) || 0).toLocaleString("en-US")} ms`;
}

function listWords(items) {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/**
 * The plain-words sentence for a failure the worker returned as data; `prerun` says
 * whether the cell still shows the build's output (it does until a run starts).
 */
export function failureText(error = {}, { prerun = true } = {}) {
  const where = error.url ? ` from ${error.url}` : "";
  const retry = prerun ? KEPT : RETRY;
  switch (error.kind) {
    case "runtime":
      return `Could not download the Python runtime (Pyodide)${where}: the network or the CDN is unreachable. ${retry}`;
    case "package": {
      const what = listWords(error.packages?.length ? error.packages : ["a package"]);
      return `Could not download ${what}${where}: the network or the package CDN is unreachable. ${retry}`;
    }
    case "crash":
      return `The Python runtime crashed${error.message ? ` (${error.message})` : ""}, so the session restarted: names defined by other cells are gone, run those cells again.`;
    case "worker":
      return `The Python worker could not start${error.message ? ` (${error.message})` : ""}. ${retry}`;
    default:
      return `Something went wrong${error.message ? `: ${error.message}` : ""}. ${retry}`;
  }
}

/**
 * The status line for a cell's state:
 * {phase: "idle" | "queued" | "loading" | "packages" | "running" | "done" | "failed" | "stopped" | "reset", …}
 */
export function statusText(state) {
  switch (state.phase) {
    case "queued":
      return "Queued: another cell is running; this one runs next.";
    case "loading": {
      if (state.step === 1 && state.reuse) return "Starting Python again, from the files already downloaded…";
      if (state.step === 1 && state.total) return `Downloading Python (${megabytes(state.total)} MB)…`;
      const step = state.step ? ` (step ${state.step} of ${state.of}: ${state.text})` : "";
      return `Loading the Python runtime${step}…`;
    }
    case "packages":
      return `Loading ${listWords(state.packages || [])}…`;
    case "running":
      return "Running…";
    case "done": {
      const { result } = state;
      if (result.status === "ok") return `Done in ${formatMs(result.ms)}.`;
      if (result.status === "error") return `Error after ${formatMs(result.ms)}: the traceback is below.`;
      if (result.status === "exit") return result.note || "The cell called sys.exit() and stopped there.";
      if (result.status === "interrupted") return "Stopped. The session is still running.";
      return "Done.";
    }
    case "failed":
      return failureText(state.error, { prerun: state.prerun !== false });
    case "stopped":
      return state.restarted
        ? `Stopped: the session restarted${state.reuse ? " (from the files already downloaded)" : ""}, `
          + "so names defined by other cells are gone; run those cells again."
        : "Stopped before it ran.";
    case "reset":
      return state.restarted
        ? "Reset to the original code and its pre-run output. The run was stopped and the Python session "
          + "restarted, so names defined by other cells are gone; run those cells again."
        : "Reset to the original code and its pre-run output.";
    case "editor-failed":
      return "The editor could not be loaded, so the code cannot be changed now; Run still runs it as shown.";
    default:
      return "Click the code to edit it; Run (or Shift+Enter) runs it in your browser.";
  }
}

export const BUSY_PHASES = new Set(["queued", "loading", "packages", "running"]);

const AXIS_TYPES = new Set(["linear", "log"]);
const MAX_POINTS = 100_000;

function numbers(values) {
  if (!Array.isArray(values)) return [];
  return values.slice(0, MAX_POINTS).map((v) => (typeof v === "number" && Number.isFinite(v) ? v : null));
}

function text(value, max = 200) {
  return typeof value === "string" ? value.slice(0, max) : "";
}

/**
 * A figure from the worker, rebuilt from the fields plot_xy makes and nothing else:
 * numbers stay numbers, labels stay short strings, anything else is dropped.
 */
export function cleanFigure(figure) {
  const layout = figure?.layout ?? {};
  const axis = (a = {}) => ({ title: text(a.title), type: AXIS_TYPES.has(a.type) ? a.type : "linear" });
  const traces = (Array.isArray(figure?.traces) ? figure.traces : []).slice(0, 20).map((t) => {
    const trace = { x: numbers(t?.x), y: numbers(t?.y), mode: "lines+markers" };
    if (text(t?.name)) trace.name = text(t.name);
    return trace;
  });
  const table = figure?.table ?? {};
  const strings = (row) => (Array.isArray(row) ? row.slice(0, traces.length + 1).map((v) => text(v)) : []);
  return {
    traces,
    layout: { title: text(layout.title), xaxis: axis(layout.xaxis), yaxis: axis(layout.yaxis) },
    table: {
      columns: strings(table.columns),
      rows: (Array.isArray(table.rows) ? table.rows : []).slice(0, MAX_POINTS).map(strings),
      total: Number.isInteger(table.total) ? table.total : 0,
    },
  };
}
