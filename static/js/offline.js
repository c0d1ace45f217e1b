// The page's side of the service worker (sw.js at the site's root, see sw.js): register
// it once the page has loaded and is idle, say "Available offline" in the masthead once
// the worker holds the page and everything the reader has used, and offer Reload when a
// new build has been installed. Where service workers are unavailable (file://, insecure
// contexts, private modes where register() rejects) nothing happens at all.

import { QUIET_MS, whenQuiet } from "./quiet.js";
import * as storage from "./storage.js";

// What the page's Python has used, remembered across visits for this site and this
// Pyodide: {version, snapshot, packages (their URLs)}. The worker keeps it, and the
// masthead says whether it is kept.
function used(key, version) {
  try {
    const found = JSON.parse(storage.load(key) ?? "null");
    if (found?.version === version && Array.isArray(found.packages)) return found;
  } catch {
    /* unreadable: as if Python had not been used */
  }
  return null;
}

export function mount(main = document.getElementById("main")) {
  const url = main?.dataset.serviceWorker;
  const sw = navigator.serviceWorker;
  if (!url || !sw || !window.isSecureContext || !location.protocol.startsWith("http")) return;
  const fact = document.getElementById("offline-fact");
  const said = document.getElementById("offline-state");
  const notice = document.getElementById("update-notice");
  let controlled = Boolean(sw.controller);
  // Once the page's Python has its files (its start, packages a run loaded: cells.js
  // says so), the worker keeps them: the memory snapshot where Python fetched it. The
  // worker hears of it on each load and when something new was used.
  const key = `offline:python:${new URL(url, document.baseURI).href}`; // one per site of the origin
  const version = main.dataset.pyodideVersion ?? "";
  let python = used(key, version);
  const state = () => ({ type: "state", python: python && { snapshot: python.snapshot, packages: python.packages } });
  document.addEventListener("python-files", (event) => {
    const packages = new Set([...(python?.packages ?? []), ...(event.detail?.packages ?? [])]);
    const snapshot = Boolean(python?.snapshot || event.detail?.snapshot);
    if (python && packages.size === python.packages.length && snapshot === Boolean(python.snapshot)) return;
    python = { version, snapshot, packages: [...packages].sort() };
    storage.save(key, JSON.stringify(python));
    sw.controller?.postMessage(state());
  });
  let reloading = false;

  function show({ saving, missing, full }) {
    if (!sw.controller || !fact || !said) return;
    said.textContent = full
      ? "Available offline, but not Python: the browser's storage for this site is full"
      : saving
        ? "Saving Python for offline use…"
        : missing
          ? "Available offline, but not Python yet: it could not be saved"
          : "Available offline";
    fact.hidden = false;
  }

  function offer(worker) {
    if (!notice || notice.childElementCount) return;
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Reload";
    button.addEventListener("click", () => {
      reloading = true;
      if (worker.state === "installed") worker.postMessage({ type: "activate" });
      else location.reload(); // already active (another tab reloaded first)
    });
    notice.append("This chapter has been updated. ", button);
  }

  sw.addEventListener("message", (event) => {
    if (event.data?.type === "offline-state") show(event.data);
    else if (event.data?.type === "offline-warning") console.warn(event.data.text);
  });
  sw.addEventListener("controllerchange", () => {
    // A new build took over from another tab: a hidden page reloads at once, a visible
    // one is offered Reload (it is not reloaded under the reader's eyes).
    if (reloading || (controlled && document.visibilityState === "hidden")) location.reload();
    else if (controlled && sw.controller) offer(sw.controller);
    else sw.controller?.postMessage(state());
    controlled = true;
  });

  async function start() {
    let registration;
    try {
      registration = await sw.register(new URL(url, document.baseURI), { updateViaCache: "none" });
    } catch {
      return; // offline (the worker in charge stays), private modes: nothing to do
    }
    if (!registration) return;
    if (registration.waiting && sw.controller) offer(registration.waiting);
    registration.addEventListener("updatefound", () => {
      const worker = registration.installing;
      worker?.addEventListener("statechange", () => {
        if (worker.state === "installed" && sw.controller) offer(worker);
      });
    });
  }

  sw.controller?.postMessage(state()); // the masthead at once, offline too
  // After the load, a quiet moment and an idle callback: the precache (megabytes) never
  // competes with the page, nor with a reader who reaches for a cell soon after the load
  // (Python starting, the first runs).
  const idle = () => (window.requestIdleCallback ? requestIdleCallback(start, { timeout: 3000 }) : setTimeout(start));
  const later = () => setTimeout(() => whenQuiet().then(idle), QUIET_MS);
  if (document.readyState === "complete") later();
  else window.addEventListener("load", later, { once: true });
}
