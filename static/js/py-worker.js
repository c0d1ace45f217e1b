// The page's side of the Python worker: start it, queue runs, stop them.
//
// One worker, one Python session for the whole page. Runs go through a queue, one at
// a time, in the order asked. Stop interrupts the running cell through Pyodide's
// interrupt buffer when the page is cross-origin isolated; otherwise (GitHub Pages)
// it terminates the worker, drops every reference to it, and a standby worker (below)
// or a fresh one takes over.
// The worker's protocol is described at the top of webworker.js. The names are those
// of Pyodide's web-worker example: webworker.js runs Python, py-worker.js drives it.

import { busyWith } from "./quiet.js";

const INTERRUPT_GRACE_MS = 1000; // after this, an interrupt that did not land terminates
const STANDBY_AFTER_MS = 500; // a run still going after this may be one the reader stops

// Without an interrupt buffer, Stop must terminate the worker, and a new one takes
// seconds to start. So once a run has gone on for half a second (a run that may be
// stopped: most end sooner), a second worker starts Python in the background and waits,
// ready: Stop swaps it in at once. It stays until a Stop uses it, and it costs one more
// Python in the browser's memory (the worker reports its heap; `make bench` measures
// the whole). `standby: false` (Save-Data, a slow connection) keeps one worker only.

export function createRuntime({ indexURL, snapshotURL = "", pyBase, sizes = {}, standby = true, onStandby = () => {},
  onFiles = () => {}, workerURL = new URL("./webworker.js", import.meta.url) }) {
  let live = null; // {worker, ready, progress, handlers, heap}: the worker that runs cells
  let spare = null; // a worker started in reserve, for the run after a Stop
  let downloaded = false; // a worker of this page has started: its files are in the browser's cache
  let limits = null; // the output cap, as the worker's session announced it
  let nextId = 1;
  let tail = Promise.resolve();
  let current = null; // the job the live worker is running
  const progressListeners = new Set();
  const interrupt =
    globalThis.crossOriginIsolated && typeof SharedArrayBuffer === "function"
      ? new Uint8Array(new SharedArrayBuffer(1))
      : null;

  /** A new worker, starting Python: `ready` resolves when it can run cells. */
  function boot() {
    const id = nextId++;
    const w = { worker: new Worker(workerURL, { type: "module", name: "python" }), handlers: new Map(), progress: {}, heap: 0 };
    w.ready = new Promise((resolve, reject) => {
      w.handlers.set(id, (message) => {
        if (message.type === "progress") {
          const { step, of, text, loaded, total, reuse } = message;
          w.progress = { step, of, text, loaded, total, reuse };
          if (w === live) progressListeners.forEach((listener) => listener(w.progress));
        } else if (message.type === "ready") {
          w.handlers.delete(id);
          w.progress = null;
          w.heap = message.heap ?? 0;
          downloaded = true;
          limits = message.limits;
          resolve();
          if (w === live) onFiles(message.packages ?? []); // a standby's files are the same
        } else if (message.type === "error") {
          reject(message.error);
        }
      });
      w.worker.onerror = (event) => {
        event.preventDefault?.();
        const message = event.message || "the worker script failed to load";
        reject({ kind: "worker", message });
        if (w === live && current?.finish) {
          // the worker died under a running cell: say so, and start afresh
          current.finish({ phase: "failed", error: { kind: "crash", message } });
          restart();
        }
      };
    });
    // A worker that failed to start is gone: the next Run starts a new one.
    w.ready.catch(() => {
      if (w === live) discard();
      if (w === spare) dropSpare();
    });
    w.worker.onmessage = (event) => w.handlers.get(event.data?.id)?.(event.data);
    w.worker.postMessage({ id, type: "init", indexURL, snapshotURL, pyBase, interruptBuffer: interrupt, sizes, reuse: downloaded });
    // A Python starting keeps background work waiting (quiet.js) until it is ready,
    // failed or terminated.
    w.starting = busyWith();
    w.ready.then(w.starting, w.starting);
    return w;
  }

  function terminate(w) {
    w.starting();
    w.worker.onmessage = null;
    w.worker.onerror = null;
    w.worker.terminate();
    w.handlers.clear();
  }

  function discard() {
    if (!live) return;
    terminate(live);
    live = null;
  }

  function dropSpare() {
    if (!spare) return;
    terminate(spare);
    spare = null;
    onStandby(null);
  }

  /** The live worker's readiness; the standby becomes the live worker if there is one. */
  function start() {
    if (!live) {
      live = spare ?? boot();
      if (live === spare) {
        spare = null;
        onStandby(null);
      }
    }
    return live.ready;
  }

  /** While a run goes on, start a standby (if there is none). */
  function startStandby() {
    if (!standby || interrupt || spare || !live) return;
    const w = (spare = boot());
    w.ready.then(() => w === spare && onStandby({ heap: w.heap }), () => {});
  }

  async function execute(job) {
    if (job.cancelled) return { phase: "stopped", restarted: false };
    current = job;
    const onProgress = (p) => job.onStatus({ phase: "loading", ...p });
    try {
      if (!live || live.progress) {
        job.onStatus({ phase: "loading", ...(live?.progress ?? {}) });
        progressListeners.add(onProgress);
      }
      try {
        await start();
      } catch (error) {
        return { phase: "failed", error };
      } finally {
        progressListeners.delete(onProgress);
      }
      if (job.cancelled) return { phase: "stopped", restarted: false };
      const w = live;
      return await new Promise((resolve) => {
        const id = nextId++;
        job.finish = (outcome) => {
          w.handlers.delete(id);
          resolve(outcome);
        };
        w.handlers.set(id, (message) => {
          if (message.type === "status") job.onStatus(message);
          else if (message.type === "stream") job.onStream(message.stream, message.text);
          else if (message.type === "figure") job.onFigure(message.figure);
          else if (message.type === "packages") onFiles(message.packages); // downloaded whole, before the run
          else if (message.type === "done") job.finish({ phase: "done", result: message.result });
          else if (message.type === "error") {
            if (message.error?.kind === "crash") restart();
            job.finish({ phase: "failed", error: message.error });
          }
        });
        if (interrupt) interrupt[0] = 0;
        w.worker.postMessage({ id, type: "run", code: job.code, name: job.name });
        job.standbyTimer = setTimeout(startStandby, STANDBY_AFTER_MS);
      });
    } finally {
      clearTimeout(job.graceTimer);
      clearTimeout(job.standbyTimer);
      job.finish = null;
      current = null;
    }
  }

  /** Terminate the live worker (if any); the standby, or a fresh worker, takes over. */
  function restart() {
    discard();
    start().catch(() => {});
  }

  return {
    /** Start the worker now (idle warm-up); resolves when Python is ready. */
    warmUp() {
      return start();
    },

    get started() {
      return Boolean(live);
    },

    /** The output cap {lines, chars} of the running session (null before it started). */
    get limits() {
      return limits;
    },

    /** Whether a start of this page has already downloaded Python (a restart reuses it). */
    get downloaded() {
      return downloaded;
    },

    /**
     * Queue `code` to run as cell `name`. `on` = {onStatus, onStream, onFigure}.
     * Returns {done: Promise<outcome>, stop()}; outcome is {phase: "done", result} |
     * {phase: "failed", error} | {phase: "stopped", restarted}.
     */
    run(code, name, on = {}) {
      let stopped;
      const job = {
        code,
        name,
        cancelled: false,
        finish: null,
        graceTimer: 0,
        standbyTimer: 0,
        whenStopped: new Promise((resolve) => (stopped = resolve)),
        onStatus: on.onStatus ?? (() => {}),
        onStream: on.onStream ?? (() => {}),
        onFigure: on.onFigure ?? (() => {}),
      };
      if (current) job.onStatus({ phase: "queued" });
      const work = tail.then(() => execute(job));
      tail = work.catch(() => {});
      return {
        done: Promise.race([work, job.whenStopped]),
        stop() {
          if (job.cancelled && !job.finish) return;
          job.cancelled = true;
          if (!job.finish) {
            // queued, or waiting for the runtime: it never reaches Python
            stopped({ phase: "stopped", restarted: false });
            return;
          }
          if (interrupt && !job.graceTimer) {
            interrupt[0] = 2; // SIGINT: a KeyboardInterrupt in the running cell
            job.graceTimer = setTimeout(() => {
              if (job.finish) {
                job.finish({ phase: "stopped", restarted: true, reuse: downloaded });
                restart();
              }
            }, INTERRUPT_GRACE_MS);
            return;
          }
          job.finish({ phase: "stopped", restarted: true, reuse: downloaded });
          restart();
        },
      };
    },
  };
}
