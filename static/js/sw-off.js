// The service worker of a development build (build.py --serve), served as sw.js in
// place of the offline worker: a production build visited earlier at the same origin
// left a worker that answers from its cache; this one replaces it, deletes the site's
// caches, unregisters, and reloads the open pages from the network, so the author
// sees each rebuild. The development page itself registers no worker.

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const prefix = `llm-field-manual ${self.registration.scope} `;
      for (const name of await caches.keys()) if (name.startsWith(prefix)) await caches.delete(name);
      await self.registration.unregister();
      for (const client of await self.clients.matchAll({ type: "window" })) client.navigate(client.url);
    })(),
  );
});
