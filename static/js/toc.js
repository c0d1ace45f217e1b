// The table of contents: mark the section being read. On a narrow screen the
// contents fold into a bar that stays at the top of the window, naming the current
// section; one tap opens the list, and "Top" goes back to the start.

const NARROW = "(max-width: 61.99rem)";

export function mount(nav) {
  const links = new Map(
    [...nav.querySelectorAll('.toc-panel ol a[href^="#"]')].map((a) => [a.getAttribute("href").slice(1), a]),
  );
  const sections = [...links.keys()].map((id) => document.getElementById(id)).filter(Boolean);
  const toggle = nav.querySelector(".toc-toggle");
  const current = nav.querySelector(".toc-current");
  const panel = nav.querySelector(".toc-panel");
  const topLink = nav.querySelector(".toc-top-link");
  const visible = new Set();

  const mark = () => {
    const section = sections.find((s) => visible.has(s.id)) ?? null;
    links.forEach((a, id) => {
      if (section && id === section.id) a.setAttribute("aria-current", "location");
      else a.removeAttribute("aria-current");
    });
    if (current) current.textContent = section ? links.get(section.id).textContent.trim().replace(/\s+/g, " ") : "";
  };
  const observer = new IntersectionObserver(
    (entries) => {
      entries.forEach((e) => (e.isIntersecting ? visible.add(e.target.id) : visible.delete(e.target.id)));
      mark();
    },
    { rootMargin: "-20% 0px -60% 0px" },
  );
  sections.forEach((s) => observer.observe(s));

  if (!toggle || !panel) return;
  const narrow = window.matchMedia(NARROW);
  const open = (yes, { focus = false } = {}) => {
    toggle.setAttribute("aria-expanded", String(yes));
    nav.classList.toggle("open", yes);
    if (yes && focus) (panel.querySelector("[aria-current]") ?? panel.querySelector("a"))?.focus();
  };
  toggle.hidden = false;
  if (topLink) topLink.hidden = false;
  nav.classList.add("foldable");
  toggle.addEventListener("click", () => open(toggle.getAttribute("aria-expanded") !== "true"));
  // a chosen section, Escape, or a tap elsewhere folds the list again
  panel.addEventListener("click", (event) => {
    if (narrow.matches && event.target.closest("a")) open(false);
  });
  nav.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && nav.classList.contains("open")) {
      open(false);
      toggle.focus();
    }
  });
  document.addEventListener("click", (event) => {
    if (!nav.contains(event.target)) open(false);
  });
  narrow.addEventListener("change", () => open(false));
}
