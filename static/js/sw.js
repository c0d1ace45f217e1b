// The service worker: the chapter offline after the first visit.
//
// build.py writes it to the site's root as sw.js, after three constants:
//   VERSION   a hash of the site's files; names this build's cache
//   PRECACHE  the page and its assets, relative to the worker, cached at install
//   RUNTIME   {name, prefixes, core}: the Python runtime (Pyodide's core files, its
//             memory snapshot and packages, local or from its CDN), kept once Python
//             has fetched it, across builds of the same Pyodide version; `core` lists
//             what every start fetches, `snapshot` what a start may fetch
// A build's files are served from that build's cache, the page included, so a page
// never mixes two builds. A new build installs beside the old one; the page then shows
// "Updated" with a Reload button, which activates it. Older caches of this site are
// deleted at activation. Failed and opaque responses are never cached; a full quota
// is said with console.warn (here and in the page) and costs nothing but offline use.
// Messages, page → worker: {type: "state", snapshot, python}, {type: "activate"};
// worker → page: {type: "offline-state", saving, full}, {type: "offline-warning", text}.

const SCOPE = self.registration.scope;
const PREFIX = `llm-field-manual ${SCOPE} `; // Pages sites share an origin: touch only ours
const SITE = PREFIX + VERSION;
const PYTHON = PREFIX + RUNTIME.name;
const RUNTIME_URLS = RUNTIME.prefixes.map((prefix) => new URL(prefix, self.location).href);
const INDEX = new URL("index.html", SCOPE).href;
const state = { full: false };
// Python's files that came from the network through this worker and are not kept yet
// (or could not be: they are tried again at the page's next word).
const unkept = new Set();
const kept = new Set(); // found in the cache by this worker
let keeping = Promise.resolve(); // one keeping pass at a time
const offlineState = () => ({ type: "offline-state", saving: state.full ? 0 : unkept.size, full: state.full });

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

const cacheable = (response) => response.ok && response.type !== "opaque";

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      // fetched and stored by the browser, the bodies never in this worker's memory;
      // revalidated: never an older build's copy
      const cache = await caches.open(SITE);
      await cache.addAll(PRECACHE.map((path) => new Request(new URL(path, self.location), { cache: "no-cache" })));
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
      await self.clients.claim();
      await tell(offlineState());
    })(),
  );
});

self.addEventListener("message", (event) => {
  if (event.data?.type === "state") {
    event.source?.postMessage(offlineState());
    if (event.data.python) event.waitUntil(keepRuntime(Boolean(event.data.snapshot)));
  } else if (event.data?.type === "activate") {
    self.skipWaiting();
  }
});

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return;
  const url = request.url.split("#")[0];
  if (RUNTIME_URLS.some((prefix) => url.startsWith(prefix))) {
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

// Python's files are passed on as they come, and kept only once Python has them (the
// page says so): a copy taken of a body as it streams by stays in this worker's memory
// until its garbage is collected, tens of megabytes for Python's files (README).
async function fromRuntime(request) {
  const cache = await caches.open(PYTHON);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (cacheable(response) && !state.full && !unkept.has(request.url)) {
    unkept.add(request.url);
    tell(offlineState());
  }
  return response;
}

// Keep Python's files: every start's (`core`; they were fetched before this worker took
// the page over, on a first visit) and the others fetched through it. Each is fetched
// again, from the browser's HTTP cache as a rule, and stored by `cache.add`, which
// never brings the body into this worker. Called once the page's Python has its
// files, so a download is never started twice; one pass at a time.
function keepRuntime(snapshot) {
  const core = snapshot && RUNTIME.snapshot ? [...RUNTIME.core, RUNTIME.snapshot] : RUNTIME.core;
  keeping = keeping
    .then(() => keepAll(core.map((file) => new URL(file, self.location).href)))
    .catch((error) => warn("Python was not saved for offline use", error));
  return keeping;
}

async function keepAll(core) {
  const cache = await caches.open(PYTHON);
  for (const url of core) {
    if (state.full || kept.has(url)) continue;
    if (await cache.match(url)) kept.add(url);
    else unkept.add(url);
  }
  if (!unkept.size) return;
  await tell(offlineState());
  await Promise.all(
    [...unkept].map(async (url) => {
      try {
        await cache.add(url);
        unkept.delete(url);
        kept.add(url);
      } catch (error) {
        if (error?.name === "QuotaExceededError") {
          state.full = true; // nothing more is tried: the page works online as before
          unkept.clear();
        }
        await warn(`Not saved for offline use: ${url}`, error);
      }
    }),
  );
  await tell(offlineState());
}
