// uplot-loader.js: uPlot (npm "uplot"), served by the daemon at
// /vendor/uplot/ (no CDN), loaded once, on demand, by the pages that chart.
// Resolves to the uPlot constructor, or null (with a warning, not an error:
// the browser tests fail on console errors) when it cannot be loaded.

const UPLOT_JS = '/vendor/uplot/uPlot.esm.js';
const UPLOT_CSS = '/vendor/uplot/uPlot.min.css';

let uplotPromise = null;

function loadStylesheet(href) {
  return new Promise((resolve) => {
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = href;
    link.onload = () => resolve(true);
    link.onerror = () => resolve(false);
    // Before the page's own sheets, so that those win over uPlot's defaults.
    const first = document.head.querySelector('link[rel="stylesheet"]');
    document.head.insertBefore(link, first);
  });
}

export function loadUplot(what = 'page') {
  if (!uplotPromise) {
    uplotPromise = (async () => {
      await loadStylesheet(UPLOT_CSS);
      const mod = await import(UPLOT_JS);
      return mod.default;
    })().catch((e) => {
      console.warn(`${what}: uPlot not loaded from`, UPLOT_JS, e);
      return null;
    });
  }
  return uplotPromise;
}
