// The service worker: the chapter offline after the first visit.
//
// build.py writes it to the site's root as sw.js, after three constants:
//   VERSION   a hash of the site's files; names this build's cache
//   PRECACHE  the page and its assets, relative to the worker, cached at install
//   RUNTIME   {name, prefixes, core}: the Python runtime (Pyodide's core files, its
//             memory snapshot and packages, local or from its CDN), kept once Python
//             has fetched it, across builds of the same Pyodide and snapshot recipe;
//             `core` lists what every start fetches, `snapshot` what a start may fetch
// A build's files are served from that build's cache, the page included, so a page
// never mixes two builds. A new build installs beside the old one; the page then shows
// "Updated" with a Reload button, which activates it. Older caches of this site are
// deleted at activation. Failed and opaque responses are never cached; a full quota
// is said with console.warn (here and in the page) and costs nothing but offline use.
// Messages, page → worker: {type: "state", python: {snapshot, packages} or null}, {type: "activate"};
// worker → page: {type: "offline-state", saving, missing, full}, {type: "offline-warning", text}.
// The page says what its Python uses (it remembers it across visits); this worker keeps
// no record of its own, which the browser would lose each time it stops the worker.

const SCOPE = self.registration.scope;
const PREFIX = `llm-field-manual ${SCOPE} `; // Pages sites share an origin: touch only ours
const SITE = PREFIX + VERSION;
const PYTHON = PREFIX + RUNTIME.name;
const RUNTIME_URLS = RUNTIME.prefixes.map((prefix) => new URL(prefix, self.location).href);
const INDEX = new URL("index.html", SCOPE).href;
const ASSETS = new URL("assets/", SCOPE).href;
const runtimePrefix = (url) => RUNTIME_URLS.find((prefix) => url.startsWith(prefix));
const warned = new Set(); // files whose failure was said already: said once, tried again
let full = false; // the quota ran out while this worker lived: nothing more is tried
let keeping = Promise.resolve(); // one keeping pass at a time

async function tell(message, includeUncontrolled = false) {
  for (const client of await self.clients.matchAll({ type: "window", includeUncontrolled })) {
    client.postMessage(message);
  }
}

function warn(text, error) {
  const said = `${text}: ${error?.name === "QuotaExceededError" ? "the browser's storage for this site is full" : error}`;
  console.warn(said);
  return tell({ type: "offline-warning", text: said }, true);
}

// A URL as a URLPattern that matches it and everything below it.
const patternSyntax = /[:*?+(){}\\]/g;
function below(prefix) {
  const url = new URL(prefix);
  return new URLPattern({ protocol: url.protocol.slice(0, -1), hostname: url.hostname, port: url.port,
    pathname: `${url.pathname.replace(patternSyntax, "\\$&")}*` });
}

self.addEventListener("install", (event) => {
  // Python's files and the page's assets are answered by the browser itself, from
  // their cache or else the network, without starting this worker (static routing,
  // where the browser has it; elsewhere the fetch handler below does the same): each
  // Python a page starts fetches a dozen of them, and a worker that has nothing to do
  // is stopped, its memory with it. The page itself still comes through the handler.
  if (event.addRoutes && typeof URLPattern === "function") {
    const routes = [...RUNTIME_URLS.map((prefix) => [prefix, PYTHON]), [ASSETS, SITE]];
    event.waitUntil(
      event
        .addRoutes(routes.map(([prefix, cacheName]) => ({
          condition: { urlPattern: below(prefix), requestMethod: "GET" },
          source: { cacheName },
        })))
        .catch(() => {}), // a route refused: the fetch handler answers instead
    );
  }
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SITE);
      await Promise.all(
        PRECACHE.map(async (path) => {
          const url = new URL(path, self.location).href;
          const response = await fetch(url, { cache: "no-cache" }); // revalidated: never an older build's copy
          if (!response.ok) throw new Error(`${path}: ${response.status}`);
          await cache.put(url, response);
        }),
      );
    })().catch(async (error) => {
      await caches.delete(SITE);
      await warn("The chapter was not saved for offline reading", error);
      throw error; // this worker is discarded; the page goes on as it is, online
    }),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith(PREFIX) && name !== SITE && name !== PYTHON) await caches.delete(name);
      }
      await self.clients.claim(); // the page then says what it uses, and hears the state
    })(),
  );
});

self.addEventListener("message", (event) => {
  if (event.data?.type === "state") {
    const { source, data } = event;
    const say = (state) => source?.postMessage({ type: "offline-state", ...state });
    keeping = keeping
      .then(() => keepRuntime(data, say))
      .then(say)
      .catch((error) => warn("Python was not saved for offline use", error))
      .catch(() => {});
    event.waitUntil(keeping);
  } else if (event.data?.type === "activate") {
    self.skipWaiting();
  }
});

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return;
  const url = request.url.split("#")[0];
  if (runtimePrefix(url)) {
    event.respondWith(fromRuntime(request));
  } else if (url.startsWith(SCOPE)) {
    event.respondWith(fromSite(request, url));
  }
});

async function fromSite(request, url) {
  const path = url.split("?")[0];
  const page = request.mode === "navigate" && (path === SCOPE || path === INDEX);
  const key = page ? INDEX : url;
  return (await caches.match(key, { cacheName: SITE, ignoreSearch: page })) || fetch(request);
}

// Python's files come from the cache, or else pass on untouched: a copy taken of a body
// as it streams by stays in this worker's memory until its garbage is collected, tens
// of megabytes for Python's files (README). They are kept once Python has them.
async function fromRuntime(request) {
  return (await caches.match(request, { cacheName: PYTHON })) || fetch(request);
}

const MOST_PACKAGES = 200; // Pyodide has about 300; a list longer than this is not a page's

/** `url` as the cache would store it, if it names a file right inside a runtime prefix. */
function runtimeFile(url) {
  let href;
  try {
    href = new URL(url).href; // "..", "%2e%2e" and the like resolved, as cache.add would
  } catch {
    return null;
  }
  const prefix = runtimePrefix(href);
  const name = prefix && href.slice(prefix.length);
  return name && /^[\w.+-]+$/.test(name) ? href : null;
}

/**
 * Keep what the page's Python uses, once it has it: every start's files (`core`, the
 * snapshot where the page fetches it) and the packages its cells loaded. Each missing
 * file is fetched again, from the browser's HTTP cache as a rule (Python has just
 * downloaded it: no second download), and stored by `cache.add`, which never brings
 * the body into this worker. A file that fails is said once and tried again at the
 * page's next word. `say` tells the page that asked while files are saved; resolves
 * to its state afterwards: {saving, missing, full}.
 */
async function keepRuntime({ python }, say) {
  if (!python) return { saving: 0, missing: 0, full: false };
  const { snapshot, packages = [] } = python;
  const files = snapshot && RUNTIME.snapshot ? [...RUNTIME.core, RUNTIME.snapshot] : [...RUNTIME.core];
  const urls = new Set(files.map((file) => new URL(file, self.location).href));
  for (const url of Array.isArray(packages) ? packages.slice(0, MOST_PACKAGES) : []) {
    const file = typeof url === "string" && runtimeFile(url);
    if (file) urls.add(file);
  }
  const cache = await caches.open(PYTHON);
  const missing = [];
  for (const url of urls) if (!(await cache.match(url))) missing.push(url);
  if (!missing.length) return { saving: 0, missing: 0, full: false };
  if (full || !self.navigator.onLine) return { saving: 0, missing: missing.length, full }; // tried when it can be
  say({ saving: missing.length, missing: 0, full: false });
  let failed = 0;
  await Promise.all(
    missing.map(async (url) => {
      try {
        await cache.add(url);
        warned.delete(url);
      } catch (error) {
        failed += 1;
        full ||= error?.name === "QuotaExceededError";
        if (!warned.has(url)) {
          warned.add(url);
          await warn(`Not saved for offline use: ${url}`, error);
        }
      }
    }),
  );
  return { saving: 0, missing: failed, full };
}
