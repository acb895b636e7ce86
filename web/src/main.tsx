import './styles.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { portalPageOf } from '../../common/portal-pages.ts';
import { App } from './App.tsx';
import { fetchEarly, publicCategoriesEarly } from './api.ts';
import { getLang, loadLang } from './i18n.ts';

// The appeal form (here or on the kiosk) is code loaded on demand, and it asks for the category list
// only once that code has arrived: start now — from the tree the server put in the page, or else by
// asking for it while the page's code travels (common/portal-pages.ts).
const firstData = portalPageOf(window.location.pathname)?.categories;
if (firstData) fetchEarly(...publicCategoriesEarly(firstData));

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
const start = () =>
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
// zh-CN is part of this code; another remembered language is its own file, loaded before the first
// render so the page never flashes in the wrong language (without it, the page shows zh-CN).
const lang = getLang();
if (lang === 'zh-CN') start();
else loadLang(lang).then(start, start);

/** How long after `load` the service worker is registered. */
const SW_DELAY_MS = 5000;

// Opens without a network next time (a village with no signal): see web/sw-template.js.
// It installs by fetching every portal file (~100 KB gzipped) and the public lists: a few seconds
// after the page has loaded, so that on a weak network it does not take the bandwidth the first
// page's own code and data (loaded on demand, after `load`) still need.
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  const register = () => {
    navigator.serviceWorker.register('/sw.js').catch(() => undefined);
  };
  window.addEventListener('load', () => {
    // Offline by then (a grid worker walking out of coverage): fetching the worker's script would
    // fail and Chromium logs it; register once the network is back instead.
    setTimeout(() => {
      if (navigator.onLine) register();
      else window.addEventListener('online', register, { once: true });
    }, SW_DELAY_MS);
  });
}
