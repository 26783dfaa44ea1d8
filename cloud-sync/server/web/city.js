/**
 * The city page: log in (the session is an HttpOnly cookie the page never sees), then one of five
 * views, refreshed every 10 s. Filters come from the tenancy tree (`/api/v1/city/places`).
 */
import { empty } from './dom.js';
import { alarmsView, dailyView, devicesView, housesView, rankingsView } from './views.js';

const REFRESH_MS = 10_000;
const LIMIT = 100;

const VIEWS = {
  houses: { path: 'houses', render: housesView, params: ['health'] },
  devices: { path: 'devices', render: devicesView, params: ['offline'] },
  alarms: { path: 'alarms', render: alarmsView, params: ['state'] },
  rankings: { path: 'rankings', render: rankingsView, params: ['month', 'branch'] },
  daily: { path: 'records-per-day', render: dailyView, params: ['days'], unpaged: true },
};
const PLACE = ['city', 'district', 'street', 'community'];

const $ = (id) => document.getElementById(id);
const state = { view: 'houses', offset: 0, places: { cities: [] }, inFlight: 0, asked: 0, timer: 0 };

class HttpError extends Error {
  constructor(status, body) {
    super(body?.reason ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
  }
}

async function api(path, init = {}) {
  const res = await fetch(path, {
    credentials: 'same-origin',
    ...init,
    headers: { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}) },
  });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new HttpError(res.status, body);
  return body;
}

function showLogin(message = '') {
  clearInterval(state.timer);
  $('views').hidden = true;
  $('who').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message;
}

async function showViews(user) {
  $('login').hidden = true;
  $('views').hidden = false;
  $('who').hidden = false;
  $('who-name').textContent =
    `${user.username}（${{ admin: '管理员', staff: '工作人员', viewer: '只读' }[user.role] ?? user.role}）`;
  await loadPlaces();
  selectView(state.view);
  clearInterval(state.timer);
  state.timer = setInterval(() => void refresh(true), REFRESH_MS);
}

async function loadPlaces() {
  try {
    state.places = await api('/api/v1/city/places');
  } catch {
    state.places = { cities: [] };
  }
  fillPlaceSelects();
}

/** Each place select offers the children of what the one above it holds. */
function fillPlaceSelects() {
  const form = $('filters');
  let level = state.places.cities;
  const childKey = { city: 'districts', district: 'streets', street: 'communities' };
  for (const name of PLACE) {
    const select = form.elements.namedItem(name);
    const current = select.value;
    select.replaceChildren(new Option('全部', ''));
    for (const item of level ?? []) select.append(new Option(item.name, item.name));
    select.value = (level ?? []).some((i) => i.name === current) ? current : '';
    const chosen = (level ?? []).find((i) => i.name === select.value);
    level = chosen && name !== 'community' ? chosen[childKey[name]] : [];
  }
}

function selectView(view) {
  state.view = view;
  state.offset = 0;
  for (const b of document.querySelectorAll('.tabs button')) {
    b.setAttribute('aria-selected', String(b.dataset.view === view));
  }
  for (const l of document.querySelectorAll('#filters [data-for]')) l.hidden = l.dataset.for !== view;
  void refresh();
}

function query() {
  const form = $('filters');
  const v = VIEWS[state.view];
  const q = new URLSearchParams();
  for (const name of [...PLACE, ...v.params]) {
    const input = form.elements.namedItem(name);
    if (input.type === 'checkbox') {
      if (input.checked) q.set(name, 'true');
    } else if (input.value.trim() !== '') {
      q.set(name, input.value.trim());
    }
  }
  if (!v.unpaged) {
    q.set('limit', String(LIMIT));
    q.set('offset', String(state.offset));
  }
  return q;
}

/**
 * Asks for the current view. The 10 s tick skips while a request is out (no pile-up on a slow
 * link); a tab, filter or page change always asks, and only the latest question's answer is shown.
 */
async function refresh(tick = false) {
  if ($('views').hidden || (tick && state.inFlight > 0)) return;
  const mine = ++state.asked;
  state.inFlight++;
  const v = VIEWS[state.view];
  try {
    const answer = await api(`/api/v1/city/${v.path}?${query()}`);
    if (mine !== state.asked) return;
    $('view').replaceChildren(...v.render(answer));
    $('status').textContent =
      `更新于 ${new Date(answer.serverTime).toLocaleTimeString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false })}，每 10 秒刷新`;
    const total = answer.total ?? 0;
    $('page').textContent = v.unpaged
      ? ''
      : `第 ${state.offset + 1}–${Math.min(total, state.offset + LIMIT)} 条，共 ${total} 条`;
    $('prev').hidden = v.unpaged || state.offset === 0;
    $('next').hidden = v.unpaged || state.offset + LIMIT >= total;
  } catch (err) {
    if (mine !== state.asked) return;
    if (err instanceof HttpError && err.status === 401) return showLogin('请重新登录');
    $('status').textContent = `刷新失败：${err instanceof Error ? err.message : String(err)}（稍后自动重试）`;
    if (!$('view').hasChildNodes()) $('view').replaceChildren(empty('暂时无法取得数据'));
  } finally {
    state.inFlight--;
  }
}

async function login(event) {
  event.preventDefault();
  const form = event.target;
  const username = form.elements.namedItem('username').value;
  const password = form.elements.namedItem('password').value;
  $('login-error').textContent = '';
  try {
    const answer = await api('/api/auth/login', {
      method: 'POST',
      body: JSON.stringify({ username, password }),
    });
    form.reset();
    await showViews(answer.user);
  } catch (err) {
    const msg =
      err instanceof HttpError && err.status === 401
        ? '用户名或密码错误'
        : err instanceof HttpError && err.status === 429
          ? '尝试次数过多，请稍后再试'
          : '登录失败，请稍后再试';
    $('login-error').textContent = msg;
  }
}

async function logout() {
  await api('/api/auth/logout', { method: 'POST' }).catch(() => undefined);
  showLogin();
}

function start() {
  $('login-form').addEventListener('submit', (e) => void login(e));
  $('logout').addEventListener('click', () => void logout());
  for (const b of document.querySelectorAll('.tabs button')) {
    b.addEventListener('click', () => selectView(b.dataset.view));
  }
  $('filters').addEventListener('change', (e) => {
    if (PLACE.includes(e.target.name)) fillPlaceSelects();
    state.offset = 0;
    void refresh();
  });
  $('filters').addEventListener('submit', (e) => e.preventDefault());
  $('prev').addEventListener('click', () => {
    state.offset = Math.max(0, state.offset - LIMIT);
    void refresh();
  });
  $('next').addEventListener('click', () => {
    state.offset += LIMIT;
    void refresh();
  });
  void api('/api/auth/me').then(
    (me) => showViews(me),
    () => showLogin(),
  );
}

start();
