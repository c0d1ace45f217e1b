// The service worker: the chapter offline after the first visit.
//
// build.py writes it to the site's root as sw.js, after three constants:
//   VERSION   a hash of the site's files; names this build's cache
//   PRECACHE  the page and its assets, relative to the worker, cached at install
//   RUNTIME   {name, prefixes, core}: the Python runtime (Pyodide's core files, its
//             memory snapshot and packages, local or from its CDN), cached as it is
//             fetched, kept across builds of the same Pyodide version; `core` lists
//             what every start fetches, `snapshot` what a start may fetch
// A build's files are served from that build's cache, the page included, so a page
// never mixes two builds. A new build installs beside the old one; the page then shows
// "Updated" with a Reload button, which activates it. Older caches of this site are
// deleted at activation. Failed and opaque responses are never cached; a full quota
// is said with console.warn (here and in the page) and costs nothing but offline use.
// Messages, page → worker: {type: "state", snapshot}, {type: "activate"};
// worker → page: {type: "offline-state", saving, full}, {type: "offline-warning", text}.

const SCOPE = self.registration.scope;
const PREFIX = `llm-field-manual ${SCOPE} `; // Pages sites share an origin: touch only ours
const SITE = PREFIX + VERSION;
const PYTHON = PREFIX + RUNTIME.name;
const RUNTIME_URLS = RUNTIME.prefixes.map((prefix) => new URL(prefix, self.location).href);
const INDEX = new URL("index.html", SCOPE).href;
const state = { saving: 0, full: false };

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
      const cache = await caches.open(SITE);
      await Promise.all(
        PRECACHE.map(async (path) => {
          const url = new URL(path, self.location).href;
          const response = await fetch(url, { cache: "no-cache" }); // revalidated: never an older build's copy
          if (!cacheable(response)) throw new Error(`${path}: ${response.status}`);
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
      await self.clients.claim();
      await tell({ type: "offline-state", ...state });
    })(),
  );
});

self.addEventListener("message", (event) => {
  if (event.data?.type === "state") {
    event.source?.postMessage({ type: "offline-state", ...state });
    event.waitUntil(keepCore(Boolean(event.data.snapshot)));
  } else if (event.data?.type === "activate") {
    self.skipWaiting();
  }
});

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return;
  const url = request.url.split("#")[0];
  if (RUNTIME_URLS.some((prefix) => url.startsWith(prefix))) {
    event.respondWith(fromRuntime(event, request));
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

async function fromRuntime(event, request) {
  const cache = await caches.open(PYTHON);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (cacheable(response)) event.waitUntil(keep(cache, request, response.clone()));
  return response;
}

function keep(cache, request, response) {
  state.saving += 1;
  tell({ type: "offline-state", ...state });
  return cache
    .put(request, response)
    .catch((error) => {
      if (error?.name === "QuotaExceededError") state.full = true;
      return warn(`Not saved for offline use: ${request.url ?? request}`, error);
    })
    .finally(() => {
      state.saving -= 1;
      return tell({ type: "offline-state", ...state });
    });
}

// Python started before this worker took the page over (a first visit): fetch its core
// again, from the HTTP cache as a rule, to have it offline too.
async function keepCore(snapshot) {
  if (!(await self.clients.matchAll({ type: "worker" })).length) return;
  const cache = await caches.open(PYTHON);
  // the snapshot only where the page fetches it (not under Save-Data, for one)
  const files = snapshot && RUNTIME.snapshot ? [...RUNTIME.core, RUNTIME.snapshot] : RUNTIME.core;
  await Promise.all(
    files.map(async (file) => {
      const url = new URL(file, self.location).href;
      if (await cache.match(url)) return;
      const response = await fetch(url).catch(() => null);
      if (response && cacheable(response)) await keep(cache, url, response);
    }),
  );
}
