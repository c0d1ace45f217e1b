// While the chapter is parsed, its sections after the first are not rendered (site.css,
// html.sections-pending); they are from the first frame after the parse. Only on a plain
// visit: a URL with an #anchor, a reload or a step back in history needs the sections'
// real heights at once to land where it should. A classic script in <head>, so it runs
// before the chapter is parsed (fetched beside the stylesheet); where it does not run
// (a failed request, a page opened from a file), nothing is held back.
const [visit] = performance.getEntriesByType("navigation");
if (!location.hash && (visit?.type ?? "navigate") === "navigate") {
  const root = document.documentElement;
  root.classList.add("sections-pending");
  document.addEventListener("DOMContentLoaded", () =>
    requestAnimationFrame(() => root.classList.remove("sections-pending")),
  );
}
