// Work the reader did not ask for waits for a quiet moment. While Python starts or a
// cell runs, the service worker's precache and the upgrade of the cells' static charts
// to Plotly would take the same CPU: on two cores they slowed Python's start by about a
// third. So they wait until nothing is busy and QUIET_MS have passed since the last
// busy moment (at once where Python was never busy).

export const QUIET_MS = 3000;

let busy = 0;
let lastBusy = -Infinity;
let waiters = [];
let timer = 0;

function settle() {
  clearTimeout(timer);
  if (busy || !waiters.length) return;
  const wait = lastBusy + QUIET_MS - Date.now();
  if (wait > 0) {
    timer = setTimeout(settle, wait);
    return;
  }
  const ready = waiters;
  waiters = [];
  ready.forEach((resolve) => resolve());
}

/** Mark the page busy (Python starting, a cell running); call the function returned when done. */
export function busyWith() {
  busy += 1;
  clearTimeout(timer);
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    busy -= 1;
    lastBusy = Date.now();
    settle();
  };
}

/** Resolves once the page is quiet. */
export function whenQuiet() {
  return new Promise((resolve) => {
    waiters.push(resolve);
    settle();
  });
}
