// The page's one entry point: mount each interactive part where it is.

import * as quiz from "./quiz.js";
import * as toc from "./toc.js";
import * as plots from "./plots.js";
import * as storage from "./storage.js";
import * as overflow from "./overflow.js";

document.documentElement.classList.remove("no-js");

const quizzes = [...document.querySelectorAll(".quiz[data-quiz]")].map((el) => quiz.mount(el));
const nav = document.querySelector(".toc");
if (nav) toc.mount(nav);
plots.drawWhenVisible();
overflow.mount();

const clearButton = document.getElementById("clear-saved");
if (clearButton) {
  clearButton.addEventListener("click", () => {
    const removed = storage.clear("quiz:");
    quizzes.forEach((q) => q.reset());
    document.getElementById("clear-saved-status").textContent =
      removed ? `Cleared ${removed} saved answer${removed === 1 ? "" : "s"}.` : "No saved answers to clear.";
  });
}

window.addEventListener("beforeprint", () => {
  document.querySelectorAll("details").forEach((d) => (d.open = true));
});
