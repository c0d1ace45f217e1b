// Render the chapter's sections from the first frame after the parse (site.css keeps
// those after the first unrendered while the page loads). A module of its own, which
// imports nothing: whatever else fails to load, the chapter can still be read.
requestAnimationFrame(() => document.documentElement.classList.remove("sections-pending"));
