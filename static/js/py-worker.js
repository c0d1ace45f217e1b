// The page's side of the Python worker: start it, queue runs, stop them.
//
// One worker, one Python session for the whole page. Runs go through a queue, one at
// a time, in the order asked. Stop interrupts the running cell through Pyodide's
// interrupt buffer when the page is cross-origin isolated; otherwise (GitHub Pages)
// it terminates the worker, drops every reference to it and starts a fresh one.
// The worker's protocol is described at the top of webworker.js. The names are those
// of Pyodide's web-worker example: webworker.js runs Python, py-worker.js drives it.

const INTERRUPT_GRACE_MS = 1000; // after this, an interrupt that did not land terminates

export function createRuntime({ indexURL, pyBase, sizes = {}, workerURL = new URL("./webworker.js", import.meta.url) }) {
  let worker = null;
  let ready = null; // the one readiness promise of the current worker
  let progress = null; // last {step, of, text, loaded, total, reuse} while starting
  let downloaded = false; // a worker of this page has started: its files are in the browser's cache
  let limits = null; // the output cap, as the worker's session announced it
  let nextId = 1;
  let tail = Promise.resolve();
  let current = null; // the job the worker is running
  const progressListeners = new Set();
  const handlers = new Map(); // message id → function(message)
  const interrupt =
    globalThis.crossOriginIsolated && typeof SharedArrayBuffer === "function"
      ? new Uint8Array(new SharedArrayBuffer(1))
      : null;

  function discard() {
    if (!worker) return;
    worker.onmessage = null;
    worker.onerror = null;
    worker.terminate();
    worker = null;
    ready = null;
    progress = null;
    handlers.clear();
  }

  function start() {
    if (ready) return ready;
    const id = nextId++;
    worker = new Worker(workerURL, { type: "module", name: "python" });
    const mine = worker;
    progress = {}; // starting; steps arrive as "progress" messages
    ready = new Promise((resolve, reject) => {
      handlers.set(id, (message) => {
        if (message.type === "progress") {
          const { step, of, text, loaded, total, reuse } = message;
          progress = { step, of, text, loaded, total, reuse };
          progressListeners.forEach((listener) => listener(progress));
        } else if (message.type === "ready") {
          handlers.delete(id);
          progress = null;
          downloaded = true;
          limits = message.limits;
          resolve();
        } else if (message.type === "error") {
          reject(message.error);
        }
      });
      worker.onerror = (event) => {
        event.preventDefault?.();
        const message = event.message || "the worker script failed to load";
        reject({ kind: "worker", message });
        if (current?.finish) {
          // the worker died under a running cell: say so, and start afresh
          current.finish({ phase: "failed", error: { kind: "crash", message } });
          restart();
        }
      };
    });
    // A worker that failed to start is gone: the next Run starts a new one.
    ready.catch(() => {
      if (worker === mine) discard();
    });
    worker.onmessage = (event) => {
      const handler = handlers.get(event.data?.id);
      if (handler) handler(event.data);
    };
    worker.postMessage({ id, type: "init", indexURL, pyBase, interruptBuffer: interrupt, sizes, reuse: downloaded });
    return ready;
  }

  async function execute(job) {
    if (job.cancelled) return { phase: "stopped", restarted: false };
    current = job;
    const onProgress = (p) => job.onStatus({ phase: "loading", ...p });
    try {
      if (!ready || progress) {
        job.onStatus({ phase: "loading", ...(progress ?? {}) });
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
      return await new Promise((resolve) => {
        const id = nextId++;
        job.finish = (outcome) => {
          handlers.delete(id);
          resolve(outcome);
        };
        handlers.set(id, (message) => {
          if (message.type === "status") job.onStatus(message);
          else if (message.type === "stream") job.onStream(message.stream, message.text);
          else if (message.type === "figure") job.onFigure(message.figure);
          else if (message.type === "done") job.finish({ phase: "done", result: message.result });
          else if (message.type === "error") {
            if (message.error?.kind === "crash") restart();
            job.finish({ phase: "failed", error: message.error });
          }
        });
        if (interrupt) interrupt[0] = 0;
        worker.postMessage({ id, type: "run", code: job.code, name: job.name });
      });
    } finally {
      clearTimeout(job.graceTimer);
      job.finish = null;
      current = null;
    }
  }

  /** Terminate the worker (if any) and start a fresh one in the background. */
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
      return Boolean(ready);
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
