// Inline quizzes: check an answer, say why, remember it across reloads.
//
// A wrong answer shows its verdict and, where the author foresaw that mistake, a
// hint aimed at it, both in the quiz's live region so that screen readers hear
// them. The answer and its explanation open after a right answer or "Show answer".

import { grade } from "./quiz-answer.js";
import * as storage from "./storage.js";

// A text field in a section the browser has not yet laid out (content-visibility)
// makes Chromium's form autofill style and lay out that whole section once the page
// has been parsed (README, "How it is made": two fields made it one task of 56 to
// 109 ms here). So a quiz's form, built into a <template>, joins the page when the
// reader nears the quiz, when the browser renders its section (find-in-page, a screen
// reader), or when focus enters the quiz; until then it answers, restores and resets
// unseen.
const NEAR = "50% 0px";
let observer = null;
const waiting = new Map(); // quiz section -> its form's insertion

function whenNeeded(section, insert) {
  if (typeof IntersectionObserver !== "function") return insert();
  const listening = new AbortController(); // the first of the three signals ends all three
  const once = () => {
    if (listening.signal.aborted) return;
    listening.abort();
    observer.unobserve(section);
    waiting.delete(section);
    insert();
  };
  observer ??= new IntersectionObserver(
    (entries) => entries.forEach((entry) => entry.isIntersecting && waiting.get(entry.target)?.()),
    { rootMargin: NEAR },
  );
  waiting.set(section, once);
  observer.observe(section);
  const { signal } = listening;
  section.addEventListener("focusin", once, { signal });
  section.closest(".chapter-section")?.addEventListener(
    "contentvisibilityautostatechange",
    (event) => event.skipped || once(),
    { signal },
  );
}

export function mount(section, { onChange = () => {} } = {}) {
  const spec = JSON.parse(section.dataset.quiz);
  const template = section.querySelector("template.quiz-form-template");
  const form = template.content.querySelector(".quiz-form");
  const field = form.querySelector('input[type="text"]');
  const choices = [...form.querySelectorAll('input[type="radio"]')];
  const status = section.querySelector(".quiz-verdict");
  const solution = section.querySelector(".quiz-solution");
  const feedbacks = [...section.querySelectorAll(".quiz-feedback")];
  const key = `quiz:${section.id}`;
  const verdict = document.createElement("p");
  verdict.className = "quiz-verdict-text";
  status.append(verdict, ...feedbacks); // the hints are heard with the verdict
  let answered = false; // right, or the answer shown

  const value = () => (field ? field.value : choices.find((c) => c.checked)?.value ?? "");
  const setValue = (text) => {
    if (field) field.value = text;
    else choices.forEach((c) => (c.checked = c.value === text));
  };
  const invalid = (yes) => {
    const targets = field ? [field] : choices;
    targets.forEach((t) => (yes === null ? t.removeAttribute("aria-invalid") : t.setAttribute("aria-invalid", String(yes))));
  };

  const reveal = () => {
    solution.classList.add("revealed");
    solution.open = true;
  };
  const settle = (state) => {
    if (answered === state) return;
    answered = state;
    onChange();
  };

  const say = (message, kind, feedback = null) => {
    status.className = `quiz-verdict ${kind}`.trim();
    feedbacks.forEach((f) => (f.hidden = f.dataset.when !== feedback));
    if (message && message === verdict.textContent) {
      // the same verdict again: empty the region a moment, so that it is heard again
      verdict.textContent = "";
      setTimeout(() => (verdict.textContent = message), 100);
    } else {
      verdict.textContent = message;
    }
  };

  const check = (text, { remember }) => {
    const result = grade(text, spec, feedbacks.map((f) => f.dataset.when));
    say(result.message, result.verdict, result.feedback);
    invalid(result.verdict === "unreadable");
    if (result.verdict === "right") {
      reveal();
      settle(true);
    }
    if (remember && result.verdict !== "unreadable") {
      const saved = JSON.parse(storage.load(key) || "{}");
      storage.save(key, JSON.stringify({ ...saved, answer: text }));
    }
  };

  whenNeeded(section, () => template.replaceWith(form));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    check(value(), { remember: true });
  });
  form.querySelector(".quiz-reveal").addEventListener("click", () => {
    reveal();
    say("The answer and its explanation are shown below.", "");
    storage.save(key, JSON.stringify({ answer: value(), revealed: true }));
    settle(true);
  });

  const saved = storage.load(key);
  if (saved) {
    try {
      const state = JSON.parse(saved);
      setValue(state.answer || "");
      if (state.answer) check(state.answer, { remember: false });
      if (state.revealed) {
        reveal();
        settle(true);
      }
    } catch {
      storage.remove(key);
    }
  }

  return {
    get answered() {
      return answered;
    },
    reset() {
      setValue("");
      say("", "");
      invalid(null);
      solution.classList.remove("revealed");
      solution.open = false;
      settle(false);
    },
  };
}

/** "3 of 6 quizzes answered" (right, or the answer shown) into `element`. */
export function showProgress(element, quizzes) {
  if (!element || !quizzes.length) return () => {};
  const update = () => {
    const done = quizzes.filter((q) => q.answered).length;
    const noun = quizzes.length === 1 ? "quiz" : "quizzes";
    element.textContent = `${done} of ${quizzes.length} ${noun} answered`;
    element.dataset.done = String(done === quizzes.length);
  };
  update();
  return update;
}
