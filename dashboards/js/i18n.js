// i18n.js: a page's labels (dashboards/i18n/LANG.json). The HTML carries the
// Chinese text; elements with data-i18n="KEY" (their text) or
// data-i18n-placeholder="KEY" take the file's label, so a missing file or
// key leaves the Chinese as it is.

/** The labels of lang, applied to the document; {} when not loaded. */
export async function loadLabels(lang, what = 'page') {
  let labels = {};
  try {
    const res = await fetch(new URL(`../i18n/${lang}.json`, import.meta.url));
    if (res.ok) labels = await res.json();
  } catch (e) {
    console.warn(`${what}: labels not loaded, keeping the built-in Chinese`, e);
  }
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-i18n]')) {
    const text = labels[el.dataset.i18n];
    if (typeof text === 'string') el.textContent = text;
  }
  for (const el of document.querySelectorAll('[data-i18n-placeholder]')) {
    const text = labels[el.dataset.i18nPlaceholder];
    if (typeof text === 'string') el.placeholder = text;
  }
  return labels;
}

/** labels[key] (else fallback) with {name} replaced from vars. */
export function translate(labels, key, fallback, vars = {}) {
  const text = typeof labels[key] === 'string' ? labels[key] : fallback;
  return text.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? ''));
}
