// landing.js: the links of the landing page carry ?token= (and ?lang=) on,
// so a kiosk opened on / with its token reaches the wallboard with it.
const params = new URLSearchParams(window.location.search);
const lang = params.get('lang') === 'en' ? 'en' : 'zh-CN';

const carried = new URLSearchParams();
for (const key of ['token', 'lang']) {
  const value = params.get(key);
  if (value) carried.set(key, value);
}
const query = carried.toString();
document.getElementById('to-wallboard').href = '/wallboard/' + (query ? `?${query}` : '');
// The supervisor's and the manager's pages ask for a login: the TV's token
// is no use there.
if (params.get('lang')) {
  document.getElementById('to-supervisor').href = `/supervisor/?lang=${lang}`;
  document.getElementById('to-manager').href = `/manager/?lang=${lang}`;
}

if (lang !== 'zh-CN') {
  fetch(new URL(`../i18n/${lang}.json`, import.meta.url))
    .then((res) => (res.ok ? res.json() : {}))
    .then((labels) => {
      document.documentElement.lang = lang;
      for (const el of document.querySelectorAll('[data-i18n]')) {
        if (typeof labels[el.dataset.i18n] === 'string') el.textContent = labels[el.dataset.i18n];
      }
    })
    .catch(() => {});
}
