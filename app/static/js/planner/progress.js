// A progress indication for anything that may take a while: the region is marked busy at
// once (aria-busy), and after SLOW_MS the status line says what is going on.
export const SLOW_MS = 300;

// Mark `region` busy now and write `message` in `status` after SLOW_MS; returns done(text),
// which ends both (and leaves `text`, if any, in the status line).
export function busy(region, status, message) {
  region.setAttribute("aria-busy", "true");
  const timer = setTimeout(() => { status.hidden = false; status.textContent = message; }, SLOW_MS);
  return (text) => {
    clearTimeout(timer);
    region.setAttribute("aria-busy", "false");
    status.textContent = text || "";
  };
}
