// Tables of the prose on a narrow screen: each row becomes a card (its first cell
// as the title, every other cell under its column's name), so nothing scrolls
// sideways. The labels are set here; site.css switches the layout. Roles are set
// explicitly, since a table laid out as blocks loses its table semantics.

export function mount(root = document) {
  for (const table of root.querySelectorAll(".chapter-section > table, .chapter-section > .table-wrap > table")) {
    const names = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    if (names.length < 3 || !table.tBodies.length) continue;
    table.classList.add("stacks");
    table.setAttribute("role", "table");
    table.querySelectorAll("thead, tbody").forEach((group) => group.setAttribute("role", "rowgroup"));
    table.querySelectorAll("tr").forEach((row) => row.setAttribute("role", "row"));
    table.querySelectorAll("thead th").forEach((th) => th.setAttribute("role", "columnheader"));
    for (const row of table.tBodies[0].rows) {
      [...row.cells].forEach((cell, i) => {
        cell.dataset.label = names[i] ?? "";
        cell.setAttribute("role", i === 0 ? "rowheader" : "cell");
      });
    }
  }
}
