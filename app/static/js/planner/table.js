// The measures table: click a header to sort by its column (again to reverse).
export function makeSortable(table) {
  const headers = table.querySelectorAll("thead th");
  headers.forEach((th, col) => {
    th.querySelector("button").addEventListener("click", () => {
      const numeric = th.getAttribute("data-type") === "num";
      const dir = th.getAttribute("aria-sort") === "descending" ? 1 : -1;
      headers.forEach((h) => h.removeAttribute("aria-sort"));
      th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
      const body = table.tBodies[0];
      const rows = Array.from(body.rows);
      rows.sort((a, b) => {
        let x = a.cells[col].getAttribute("data-v");
        let y = b.cells[col].getAttribute("data-v");
        if (numeric) {
          x = x === "" ? -Infinity : parseFloat(x);
          y = y === "" ? -Infinity : parseFloat(y);
          return (x - y) * dir;
        }
        return x.localeCompare(y) * dir;
      });
      rows.forEach((r) => body.appendChild(r));
    });
  });
}
