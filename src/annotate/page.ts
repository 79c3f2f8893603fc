// The annotation page (served by server.ts): one query at a time, as in the paper's user study
// (Appendix A, Fig. 10): the instruction, the image patch with the region outlined in red, the whole
// image small beside it, and the classes as buttons. Each query carries its form (multi-class or
// dominant-class), so one page serves a run's round and a study that mixes both. Plain HTML and a script without libraries, so
// it works offline in any current browser. Keys: 1-9, 0, then a-z pick classes in the order of
// classes.json; Enter submits (multi-class mode); ? answers "unsure"; Backspace undoes the last
// answer. The page's address carries the server's token (access.ts): the script sends it back in a
// header with each API call and in the URL of each picture; in a study it also names the annotator,
// passed on with every request.
import { TOKEN_HEADER, TOKEN_PARAM } from './access.js';
import { ANNOTATOR_PARAM } from './study-book.js';

export function annotationPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>alseg annotate</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 0; background: #f4f4f2; color: #222; }
  header { background: #263238; color: #fff; padding: 10px 20px; display: flex; gap: 24px; align-items: baseline; }
  header h1 { font-size: 17px; margin: 0; }
  #progress { margin-left: auto; font-variant-numeric: tabular-nums; }
  #clock { min-width: 8em; text-align: right; font-variant-numeric: tabular-nums; color: #cfd8dc; }
  main { padding: 16px 20px; }
  #instruction { font-size: 16px; margin: 0 0 12px; }
  .pictures { display: flex; gap: 20px; align-items: flex-start; }
  #patch { width: 360px; height: 360px; image-rendering: pixelated; border: 1px solid #999; background: #ddd; }
  .context { display: flex; flex-direction: column; gap: 6px; font-size: 13px; color: #555; }
  #context { width: 240px; image-rendering: pixelated; border: 1px solid #999; }
  #classes { display: flex; flex-wrap: wrap; gap: 8px; margin: 16px 0; max-width: 760px; }
  .cls { display: flex; align-items: center; gap: 8px; padding: 7px 12px; border: 2px solid #bbb; border-radius: 6px; background: #fff; cursor: pointer; font-size: 15px; }
  .cls[aria-pressed="true"] { border-color: #1565c0; background: #e3f0ff; font-weight: 600; }
  .swatch { width: 14px; height: 14px; border-radius: 3px; border: 1px solid #0004; }
  kbd { font: 12px monospace; background: #eee; border: 1px solid #ccc; border-radius: 3px; padding: 0 4px; color: #444; }
  .actions { display: flex; gap: 10px; }
  .actions button { padding: 7px 14px; font-size: 15px; border-radius: 6px; border: 1px solid #888; background: #fff; cursor: pointer; }
  #submit { background: #1565c0; color: #fff; border-color: #1565c0; }
  #error { color: #b00020; font-weight: 600; min-height: 1.4em; margin-top: 10px; }
  #done { display: none; font-size: 16px; }
  #done code { background: #fff; padding: 2px 6px; border: 1px solid #ccc; }
</style>
</head>
<body>
<header><h1>alseg annotate</h1><span id="round"></span><span id="progress"></span><span id="clock"></span></header>
<main>
  <section id="task">
    <p id="instruction"></p>
    <div class="pictures">
      <img id="patch" alt="image patch, the region outlined in red">
      <div class="context"><img id="context" alt="the whole image, the patch marked"><span id="where"></span></div>
    </div>
    <div id="classes" role="group" aria-label="classes"></div>
    <div class="actions">
      <button id="submit">Submit <kbd>Enter</kbd></button>
      <button id="unsure">Unsure <kbd>?</kbd></button>
      <button id="undo">Undo <kbd>Backspace</kbd></button>
    </div>
    <div id="error" role="alert"></div>
  </section>
  <section id="done"></section>
</main>
<script src="/app.js"></script>
</body>
</html>
`;
}

/**
 * The page's script; written without template strings so it can live in this one (its `${...}` are
 * the server's names of the token and annotator parameters, filled in here).
 */
export function annotationScript(): string {
  return String.raw`'use strict';
const PARAMS = new URLSearchParams(location.search);
const TOKEN = PARAMS.get('${TOKEN_PARAM}') || '';
// Every request names the annotator where the address does (a study), so the server finds their answers.
const WHO = PARAMS.has('${ANNOTATOR_PARAM}') ? '${ANNOTATOR_PARAM}=' + encodeURIComponent(PARAMS.get('${ANNOTATOR_PARAM}')) : '';
const withWho = (path, sep) => WHO ? path + sep + WHO : path;
const KEYS = '1234567890abcdefghijklmnopqrstuvwxyz';
const $ = (id) => document.getElementById(id);
let state = null;
let current = null;
let chosen = new Set();
let shownAt = 0;

function fmt(s) { return s.toFixed(1) + ' s'; }

// Writes are JSON with the token header: what the server accepts from its own page only.
async function api(method, path, body) {
  const headers = { '${TOKEN_HEADER}': TOKEN };
  if (method !== 'GET') headers['content-type'] = 'application/json';
  const res = await fetch(withWho(path, '?'), { method, headers, body: method === 'GET' ? undefined : JSON.stringify(body || {}) });
  const data = await res.json().catch(() => ({ error: 'HTTP ' + res.status }));
  if (!res.ok) throw new Error(data.error || ('HTTP ' + res.status));
  return data;
}

async function load() {
  state = await api('GET', '/api/state');
  $('round').textContent = state.title;
  const box = $('classes');
  box.textContent = '';
  state.classes.forEach((c, i) => {
    const b = document.createElement('button');
    b.className = 'cls';
    b.dataset.cls = String(i);
    b.setAttribute('aria-pressed', 'false');
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = 'rgb(' + c.colour.join(',') + ')';
    b.append(sw, document.createTextNode(c.name));
    if (i < KEYS.length) { const k = document.createElement('kbd'); k.textContent = KEYS[i]; b.append(k); }
    b.addEventListener('click', () => pick(i));
    box.append(b);
  });
  show(firstUnanswered());
}

function modeOf(id) { return state.queries.find((x) => x.id === id).mode; }

function firstUnanswered() {
  const q = state.queries.find((x) => !(String(x.id) in state.answers));
  return q ? q.id : null;
}

function progress() {
  const done = state.order.length;
  const secs = Object.values(state.answers).map((a) => a.seconds);
  const mean = secs.length ? secs.reduce((s, v) => s + v, 0) / secs.length : 0;
  $('progress').textContent = done + ' / ' + state.queries.length + ' answered' + (secs.length ? ' \u00b7 ' + fmt(mean) + ' per query' : '');
}

function show(id) {
  current = id;
  chosen = new Set();
  $('error').textContent = '';
  progress();
  if (id === null) {
    $('task').style.display = 'none';
    $('done').style.display = 'block';
    $('done').innerHTML = '';
    const p = document.createElement('p');
    p.textContent = state.done;
    const c = document.createElement('code');
    c.textContent = state.next || '';
    if (!state.next) c.style.display = 'none';
    const u = document.createElement('button');
    u.id = 'undo-done';
    u.textContent = 'Undo the last answer';
    u.addEventListener('click', undo);
    $('done').append(p, c, document.createElement('p'), u);
    return;
  }
  $('task').style.display = '';
  $('done').style.display = 'none';
  const q = state.queries.find((x) => x.id === id);
  $('instruction').textContent = q.mode === 'multi'
    ? 'Select every class that appears inside the red outline, then submit.'
    : 'Select the one class that covers most of the area inside the red outline.';
  $('submit').style.display = q.mode === 'multi' ? '' : 'none';
  const t = withWho('?${TOKEN_PARAM}=' + encodeURIComponent(TOKEN), '&');
  $('patch').src = '/query/' + id + '.png' + t;
  $('context').src = '/query/' + id + '-context.png' + t;
  $('where').textContent = 'query ' + (id + 1) + ' of ' + state.queries.length + ' \u00b7 ' + q.sample;
  for (const b of document.querySelectorAll('.cls')) b.setAttribute('aria-pressed', 'false');
  shownAt = performance.now();
}

function pick(i) {
  if (current === null) return;
  if (modeOf(current) === 'dominant') { chosen = new Set([i]); submit(false); return; }
  if (chosen.has(i)) chosen.delete(i); else chosen.add(i);
  document.querySelector('.cls[data-cls="' + i + '"]').setAttribute('aria-pressed', String(chosen.has(i)));
}

async function submit(unsure) {
  if (current === null) return;
  const answer = { id: current, classes: unsure ? [] : [...chosen], unsure: unsure, seconds: (performance.now() - shownAt) / 1000 };
  try {
    await api('POST', '/api/answer', answer);
    state.answers[String(current)] = { classes: answer.classes, unsure: unsure, seconds: answer.seconds };
    state.order = state.order.filter((x) => x !== current).concat([current]);
    show(firstUnanswered());
  } catch (e) {
    $('error').textContent = e.message;
  }
}

async function undo() {
  try {
    const r = await api('POST', '/api/undo');
    delete state.answers[String(r.id)];
    state.order = state.order.filter((x) => x !== r.id);
    show(r.id);
  } catch (e) {
    $('error').textContent = e.message;
  }
}

// Time on the query shown, the figure each answer records.
setInterval(() => { $('clock').textContent = current === null ? '' : 'this query ' + fmt((performance.now() - shownAt) / 1000); }, 250);
$('submit').addEventListener('click', () => submit(false));
$('unsure').addEventListener('click', () => submit(true));
$('undo').addEventListener('click', undo);
document.addEventListener('keydown', (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === 'Enter') { e.preventDefault(); if (current !== null && modeOf(current) === 'multi') submit(false); return; }
  if (e.key === '?') { e.preventDefault(); submit(true); return; }
  if (e.key === 'Backspace') { e.preventDefault(); undo(); return; }
  const i = KEYS.indexOf(e.key.toLowerCase());
  if (i >= 0 && state && i < state.classes.length) { e.preventDefault(); pick(i); }
});
load().catch((e) => { $('error').textContent = 'cannot load the queries: ' + e.message; });
`;
}
