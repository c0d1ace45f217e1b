// The page's one entry point: mount each interactive part where it is.

import * as quiz from "./quiz.js";
import * as toc from "./toc.js";
import * as plots from "./plots.js";
import * as storage from "./storage.js";
import * as overflow from "./overflow.js";
import * as cells from "./cells.js";
import * as tables from "./tables.js";
import * as landing from "./landing.js";
import { holdOnArrival } from "./hold.js";
import * as offline from "./offline.js";
import { scrollToFragment } from "./instruments/widget.js";
import widgets from "./instruments/page_widgets.js"; // written by build.py (page_widgets)

document.documentElement.dataset.started = ""; // the page's scripts run (head.js)

let updateProgress = () => {};
const quizzes = [...document.querySelectorAll(".quiz[data-quiz]")].map((el) =>
  quiz.mount(el, { onChange: () => updateProgress() }),
);
updateProgress = quiz.showProgress(document.getElementById("quiz-progress"), quizzes);
const codeCells = cells.mountAll(document); // before charts are drawn: cells keep the build's output
const nav = document.querySelector(".toc");
if (nav) toc.mount(nav);
plots.drawWhenVisible();
overflow.mount();
tables.mount();

// Instruments: each figure's widget replaces its no-JS table with the live view,
// from the numbers the build embedded (no Python needed), before the first frame
// after the parse. A shared URL's state is read as each mounts; its anchor is
// scrolled to once all have their height.
const instrumentFigures = document.querySelectorAll("figure.instrument[data-instrument]");
const instrumentData = document.getElementById("instrument-data");
if (instrumentFigures.length && instrumentData) {
  const data = JSON.parse(instrumentData.textContent);
  for (const figure of instrumentFigures) {
    const name = figure.dataset.instrument;
    try {
      widgets[name].mount(figure.querySelector(".instrument-body"), { data: data[name], loadPlotly: plots.loadPlotly });
      figure.classList.add("mounted");
    } catch (error) {
      console.error(`Instrument ${name} failed to start:`, error);
    }
  }
  holdOnArrival(scrollToFragment());
}

landing.mount(); // after the instruments: an anchor is placed with their heights
offline.mount(); // registers the service worker after the load, where there is one

const clearButton = document.getElementById("clear-saved");
if (clearButton) {
  clearButton.addEventListener("click", () => {
    const answers = storage.clear("quiz:");
    const edits = storage.clear("code:");
    quizzes.forEach((q) => q.reset());
    codeCells.forEach((c) => c.forgetEdits());
    const said = [];
    if (answers) said.push(`${answers} saved answer${answers === 1 ? "" : "s"}`);
    if (edits) said.push(`${edits} edited code cell${edits === 1 ? "" : "s"}`);
    document.getElementById("clear-saved-status").textContent = said.length
      ? `Cleared ${said.join(" and ")}.`
      : "No saved answers or code to clear.";
  });
}

window.addEventListener("beforeprint", () => {
  document.querySelectorAll("details").forEach((d) => (d.open = true));
});
