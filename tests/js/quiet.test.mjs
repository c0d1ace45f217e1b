// static/js/quiet.js under Node's test runner, its clock and timers mocked: work the
// reader did not ask for waits while Python starts or runs, and for a quiet moment after.
import { test, mock } from "node:test";
import assert from "node:assert/strict";

test("quiet at once while Python was never busy; after busy, QUIET_MS after the last busy moment", async () => {
  mock.timers.enable({ apis: ["setTimeout", "Date"], now: 1_000_000 });
  try {
    const { QUIET_MS, busyWith, whenQuiet } = await import("../../static/js/quiet.js");
    const order = [];
    const settled = () => new Promise((resolve) => setImmediate(resolve));

    await whenQuiet();
    order.push("never busy");

    const starting = busyWith();
    const running = busyWith();
    whenQuiet().then(() => order.push("quiet"));
    starting();
    mock.timers.tick(QUIET_MS * 2);
    await settled();
    assert.deepEqual(order, ["never busy"], "a run still going keeps it busy");

    running();
    running(); // a second call changes nothing
    mock.timers.tick(QUIET_MS - 1);
    await settled();
    assert.deepEqual(order, ["never busy"]);
    mock.timers.tick(1);
    await settled();
    assert.deepEqual(order, ["never busy", "quiet"]);
  } finally {
    mock.timers.reset();
  }
});
