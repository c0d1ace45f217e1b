// In-page probes for tests/bench/run.py, installed before any page script runs
// (Playwright's add_init_script). Every time is performance.now(): milliseconds since
// the navigation started, on the page's own clock. Nothing here runs unless the
// bench calls it, except the click recorder (one capture-phase listener).
(() => {
  if (window.__bench) return;
  const now = () => performance.now();
  const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve(now())));
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // The time of the last trusted click, taken before any handler of the page runs.
  const clicks = [];
  window.addEventListener("click", (event) => { clicks.push({ t: now(), trusted: event.isTrusted }); }, true);

  // The roots the bench watches: a cell of ours, or a PyScript editor of the peer.
  function cellRoot(kind, name) {
    if (kind === "ours") return document.querySelector(`figure.cell[data-cell="${name}"]`);
    const script = document.querySelector(`script[data-cell="${name}"]`);
    return script ? script.nextElementSibling : null;
  }

  /** Resolve with the time `test()` first holds, re-checked on every DOM mutation. */
  function when(test, timeoutMs) {
    return new Promise((resolve) => {
      let done = false;
      const finish = (value) => {
        if (done) return;
        done = true;
        observer.disconnect();
        clearTimeout(timer);
        clearInterval(poll);
        resolve(value);
      };
      const check = () => { try { if (test()) finish(now()); } catch (e) { /* not there yet */ } };
      const observer = new MutationObserver(check);
      observer.observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
      const poll = setInterval(check, 50); // for changes a MutationObserver cannot see (properties)
      const timer = setTimeout(() => finish(null), timeoutMs);
      check();
    });
  }

  const pending = {};

  // Our page's worker says {type: "ready"} when Python has started (webworker.js's
  // protocol). The page exposes no flag for the end of its idle warm-up, so the
  // bench listens beside the page's own handler: it changes nothing the page sees.
  let workerReady = null;
  const workerLog = [];
  function watchWorkers() {
    const Original = window.Worker;
    if (!Original || Original.__benchWatched) return;
    class Watched extends Original {
      constructor(...args) {
        super(...args);
        workerLog.push({ t: now(), type: "created" });
        this.addEventListener("message", (event) => {
          const d = event.data || {};
          if (workerLog.length < 200) workerLog.push({ t: now(), type: d.type, step: d.step, phase: d.phase });
          if (d.type === "ready" && workerReady === null) workerReady = now();
        });
      }
    }
    Watched.__benchWatched = true;
    window.Worker = Watched;
  }

  // The accessible name of a range input: its <label>, aria-label or aria-labelledby.
  function nameOf(input) {
    const parts = [];
    if (input.labels) for (const l of input.labels) parts.push(l.textContent);
    if (input.getAttribute("aria-label")) parts.push(input.getAttribute("aria-label"));
    const by = input.getAttribute("aria-labelledby");
    if (by) by.split(/\s+/).forEach((id) => { const e = document.getElementById(id); if (e) parts.push(e.textContent); });
    return parts.join(" ").replace(/\s+/g, " ").trim();
  }

  function findSlider(label) {
    const inputs = [...document.querySelectorAll("figure.instrument input[type=range]")];
    const input = inputs.find((i) => nameOf(i).toLowerCase().includes(label.toLowerCase()));
    if (!input) return null;
    const figure = input.closest("figure.instrument");
    const readouts = [...figure.querySelectorAll("[aria-live]")];
    const chart = figure.querySelector(".js-plotly-plot, .instrument-chart, .plot");
    return { input, figure, readouts, chart };
  }

  const readoutText = (s) => s.readouts.map((r) => r.textContent).join("\u241f");

  // The next position of a range: one step up, or down at the top.
  function nextValue(input, direction) {
    const min = Number(input.min || 0), max = Number(input.max || 100);
    const step = Number(input.step) || 1;
    const v = Number(input.value);
    let next = v + direction * step;
    if (next > max || next < min) next = v - direction * step;
    return String(next);
  }

  function move(input, value) {
    input.value = value;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  window.__bench = {
    clicks,
    watchWorkers,
    workerReady: () => workerReady,
    workerLog: () => workerLog,
    lastClick: () => (clicks.length ? clicks[clicks.length - 1].t : null),

    /** Start waiting for `text` to appear in a cell; the bench clicks, then collects. */
    armText(kind, name, text, timeoutMs) {
      pending.text = when(() => {
        const root = cellRoot(kind, name);
        return root && root.textContent.includes(text);
      }, timeoutMs);
      return true;
    },
    collectText: () => pending.text,

    /** Start waiting for a cell to accept a new run after Stop. */
    armIdle(kind, name, timeoutMs) {
      pending.idle = when(() => {
        if (kind === "peer") {
          const root = cellRoot(kind, name);
          const button = root && root.querySelector(".py-editor-run-button");
          return button && button.isConnected && !button.classList.contains("running");
        }
        const root = cellRoot(kind, name);
        const run = [...root.querySelectorAll("button")].find((b) => b.textContent.trim() === "Run" || b.getAttribute("aria-label") === "Run");
        return run && !run.disabled && run.getAttribute("aria-disabled") !== "true";
      }, timeoutMs);
      return true;
    },
    collectIdle: () => pending.idle,

    /**
     * Instruments interactive: from the start of the document, every few ms move
     * the slider named `label` by one step and look whether an aria-live readout
     * of its instrument changed (at once, or by the next frame). Resolves with
     * the time of the first move that changed it.
     */
    pollInteractive(label, timeoutMs) {
      if (pending.interactive) return true;
      pending.interactive = new Promise((resolve) => {
        const deadline = now() + timeoutMs;
        let direction = 1;
        let attempts = 0;
        const attempt = async () => {
          if (now() > deadline) return resolve({ t: null, attempts });
          const s = findSlider(label);
          if (s && s.readouts.length) {
            attempts += 1;
            const before = readoutText(s);
            move(s.input, nextValue(s.input, direction));
            direction = -direction;
            if (readoutText(s) !== before) return resolve({ t: now(), attempts, sync: true });
            await frame();
            if (readoutText(s) !== before) return resolve({ t: now(), attempts, sync: false });
          }
          setTimeout(attempt, 5);
        };
        attempt();
      });
      return true;
    },
    collectInteractive: () => pending.interactive,

    sliderReady(label) {
      const s = findSlider(label);
      if (!s) return "no slider";
      if (!s.readouts.length) return "no aria-live readout";
      if (!s.chart) return "no chart";
      if (s.chart.classList.contains("js-plotly-plot") || s.chart.dataset.drawn || s.chart.querySelector(".main-svg")) return "ok";
      return "chart not drawn";
    },

    /**
     * Slider latency: `moves` input events on the slider named `label`, one at a
     * time, each dispatched at a random moment of a frame (as a key press or a
     * drag may come). For each: the time the synchronous input handlers took, the
     * time to the first mutation of an aria-live readout and of the chart (its SVG:
     * Plotly's, or the chosen point's laid over it), and to the frame after both (the
     * one that paints them). Moves are at least two frames apart so none overlap.
     */
    async sliderLatency(label, moves) {
      const s = findSlider(label);
      if (!s) throw new Error(`no slider labelled ${label}`);
      s.figure.scrollIntoView({ block: "center" });
      await frame(); await frame();
      const samples = [];
      let direction = 1;
      for (let k = 0; k < moves; k += 1) {
        await frame();
        await sleep(Math.random() * 16);
        let tRead = null, tChart = null;
        const ro = new MutationObserver(() => { if (tRead === null) tRead = now(); });
        s.readouts.forEach((r) => ro.observe(r, { subtree: true, childList: true, characterData: true }));
        const co = new MutationObserver(() => { if (tChart === null) tChart = now(); });
        if (s.chart) co.observe(s.chart, { subtree: true, childList: true, characterData: true, attributes: true });
        const value = nextValue(s.input, direction);
        if (Number(value) === Number(s.input.max) || Number(value) === Number(s.input.min)) direction = -direction;
        const t0 = now();
        move(s.input, value);
        const tHandler = now();
        const limit = t0 + 1000;
        while ((tRead === null || (s.chart && tChart === null)) && now() < limit) await frame();
        const tFrame = await frame();
        ro.disconnect(); co.disconnect();
        samples.push({
          handler: tHandler - t0,
          readout: tRead === null ? null : tRead - t0,
          chart: tChart === null ? null : tChart - t0,
          frame: tFrame - t0,
        });
      }
      return samples;
    },

    /** The cell's controls and status, for the bench's log and its waits. */
    cellState(kind, name) {
      const root = cellRoot(kind, name);
      if (!root) return null;
      const buttons = [...root.querySelectorAll("button")].map((b) => ({
        text: b.textContent.trim(), label: b.getAttribute("aria-label"), disabled: b.disabled || b.getAttribute("aria-disabled") === "true",
        cls: b.className,
      }));
      const status = root.querySelector("[role=status], .cell-status, [aria-live]");
      return { buttons, status: status ? status.textContent.trim() : null };
    },
    sleep,
  };
})();
