// Mark the section being read in the table of contents.

export function mount(nav) {
  const links = new Map(
    [...nav.querySelectorAll('a[href^="#"]')].map((a) => [a.getAttribute("href").slice(1), a]),
  );
  const sections = [...links.keys()].map((id) => document.getElementById(id)).filter(Boolean);
  const visible = new Set();
  const mark = () => {
    const current = sections.find((s) => visible.has(s.id)) ?? null;
    links.forEach((a, id) => {
      if (current && id === current.id) a.setAttribute("aria-current", "location");
      else a.removeAttribute("aria-current");
    });
  };
  const observer = new IntersectionObserver(
    (entries) => {
      entries.forEach((e) => (e.isIntersecting ? visible.add(e.target.id) : visible.delete(e.target.id)));
      mark();
    },
    { rootMargin: "-20% 0px -60% 0px" },
  );
  sections.forEach((s) => observer.observe(s));
}
