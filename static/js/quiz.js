// Inline quizzes: check an answer, say why, remember it across reloads.

import { grade } from "./quiz-answer.js";
import * as storage from "./storage.js";

export function mount(section) {
  const spec = JSON.parse(section.dataset.quiz);
  const form = section.querySelector(".quiz-form");
  const input = form.querySelector("input");
  const verdict = section.querySelector(".quiz-verdict");
  const solution = section.querySelector(".quiz-solution");
  const feedbacks = [...section.querySelectorAll(".quiz-feedback")];
  const key = `quiz:${section.id}`;

  const reveal = () => {
    solution.classList.add("revealed");
    solution.open = true;
  };

  const check = (text, { remember }) => {
    const result = grade(text, spec, feedbacks.map((f) => f.dataset.when));
    verdict.textContent = result.message;
    verdict.className = `quiz-verdict ${result.verdict}`;
    input.setAttribute("aria-invalid", result.verdict === "unreadable" ? "true" : "false");
    feedbacks.forEach((f) => (f.hidden = f.dataset.when !== result.feedback));
    if (result.verdict !== "unreadable") reveal();
    if (remember && result.verdict !== "unreadable") storage.save(key, JSON.stringify({ answer: text }));
  };

  form.hidden = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    check(input.value, { remember: true });
  });
  form.querySelector(".quiz-reveal").addEventListener("click", () => {
    reveal();
    verdict.textContent = "Answer shown below.";
    verdict.className = "quiz-verdict";
    storage.save(key, JSON.stringify({ answer: input.value, revealed: true }));
  });

  const saved = storage.load(key);
  if (saved) {
    try {
      const state = JSON.parse(saved);
      input.value = state.answer || "";
      if (state.answer) check(state.answer, { remember: false });
      if (state.revealed) reveal();
    } catch {
      storage.remove(key);
    }
  }

  return {
    reset() {
      input.value = "";
      verdict.textContent = "";
      verdict.className = "quiz-verdict";
      input.removeAttribute("aria-invalid");
      feedbacks.forEach((f) => (f.hidden = true));
      solution.classList.remove("revealed");
      solution.open = false;
    },
  };
}
