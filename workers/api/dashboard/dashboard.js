/*
 * The clicklake dashboard (GET / of the serving API): a plain browser script, no build step, charts
 * from ECharts served by the API itself (/assets/echarts.min.js). Every number comes from one of the
 * API's endpoints, called with the key in the Authorization header; docs/dashboard.md says which.
 *
 * The key comes from the URL fragment (#key=..., never sent to a server), or from the form, and is
 * kept in sessionStorage for this tab only. `window.__dashboard` holds the last payload of each
 * endpoint, the charts and the errors, for the browser test (test/integration/dashboard.test.ts).
 */
(function () {
  'use strict';

  var KEY_STORAGE = 'clicklake.apiKey';
  var CAMPAIGN_STORAGE = 'clicklake.campaign';
  var LIVE_MS = 5000;
  var STATUS_MS = 15000;
  var GOLD_MS = 60000;
  var LIVE_MINUTES = 30;
  var LIVE_LIMIT = 8;
  var HOUR_MS = 3600 * 1000;
  var DAY_MS = 24 * HOUR_MS;
  var STATE_COLORS = { final: '#2e7d32', provisional: '#f9a825', restated: '#7b1fa2' };

  var state = {
    key: null,
    campaign: null,
    payloads: { top: null, status: null, hourly: null, daily: null },
    errors: {},
    charts: {},
    renders: { top: 0, status: 0, hourly: 0, daily: 0 },
    timers: {},
  };
  window.__dashboard = state;

  // ---- small DOM helpers (text only: nothing from the API is parsed as HTML) ----

  function $(id) {
    return document.getElementById(id);
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === undefined || value === null) return;
      if (name === 'text') node.textContent = String(value);
      else if (name === 'className') node.className = value;
      else node.setAttribute(name, String(value));
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }

  function td(text, attrs) {
    var a = attrs || {};
    a.text = text;
    return el('td', a);
  }

  function replaceRows(tbody, rows) {
    while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
    rows.forEach(function (row) {
      tbody.appendChild(row);
    });
  }

  function int(n) {
    return n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US');
  }

  function pct(ctr) {
    return ctr === null || ctr === undefined ? '–' : (ctr * 100).toFixed(2) + '%';
  }

  function shortVersion(v) {
    return v === null || v === undefined ? '–' : v.length > 22 ? v.slice(0, 16) + '…' + v.slice(-4) : v;
  }

  function isoOf(ms) {
    return ms === null || ms === undefined ? '–' : new Date(ms).toISOString().slice(0, 19).replace('T', ' ') + 'Z';
  }

  function hourKeyOf(ms) {
    return new Date(ms).toISOString().slice(0, 13);
  }

  function dayOf(ms) {
    return new Date(ms).toISOString().slice(0, 10);
  }

  /** A stable id fragment for data-testid from a campaign id or a bucket start. */
  function testId(s) {
    return String(s).replace(/[^A-Za-z0-9._:-]/g, '_');
  }

  // ---- errors: shown on the page, per section, never swallowed ----

  function setError(section, err) {
    var node = $('error-' + section);
    if (err) {
      state.errors[section] = err.message || String(err);
      if (node) {
        node.textContent = state.errors[section];
        node.hidden = false;
      }
    } else {
      delete state.errors[section];
      if (node) node.hidden = true;
    }
    var banner = $('errors');
    var names = Object.keys(state.errors);
    while (banner.firstChild) banner.removeChild(banner.firstChild);
    names.forEach(function (name) {
      banner.appendChild(el('div', { 'data-testid': 'banner-' + name, text: name + ': ' + state.errors[name] }));
    });
    banner.hidden = names.length === 0;
  }

  // ---- the key ----

  function readFragment() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ''));
    var key = params.get('key');
    var campaign = params.get('campaign');
    if (key) {
      sessionStorage.setItem(KEY_STORAGE, key);
      // Out of the address bar (and the history), so a copied link never carries it.
      params.delete('key');
      var rest = params.toString();
      history.replaceState(null, '', location.pathname + location.search + (rest ? '#' + rest : ''));
    }
    if (campaign) sessionStorage.setItem(CAMPAIGN_STORAGE, campaign);
  }

  function showKeyForm(message) {
    $('key-form').hidden = false;
    $('dashboard').hidden = true;
    $('forget-key').hidden = true;
    var error = $('key-error');
    error.textContent = message || '';
    error.hidden = !message;
  }

  // ---- the API ----

  function ApiError(status, message, retryAfterSec) {
    this.name = 'ApiError';
    this.status = status;
    this.message = message;
    this.retryAfterSec = retryAfterSec;
  }
  ApiError.prototype = Object.create(Error.prototype);

  function api(path) {
    return fetch(path, { headers: { Authorization: 'Bearer ' + state.key }, cache: 'no-store' }).then(
      function (res) {
        return res.text().then(function (text) {
          var body = null;
          try {
            body = text ? JSON.parse(text) : null;
          } catch {
            body = null;
          }
          if (res.ok && body !== null) return body;
          var retry = Number(res.headers.get('retry-after'));
          var what = body && body.error ? body.error + ': ' + (body.detail || '') : text.slice(0, 300) || res.statusText;
          throw new ApiError(res.status, path.split('?')[0] + ' answered ' + res.status + ' ' + what, Number.isFinite(retry) && retry > 0 ? retry : undefined);
        });
      },
      function (err) {
        throw new ApiError(0, path.split('?')[0] + ': the API did not answer (' + err.message + ')');
      },
    );
  }

  /** Runs `fetchAndRender` now and again `everyMs` after each end; a 429 waits its Retry-After. */
  function poll(name, sections, everyMs, fetchAndRender) {
    function tick() {
      var wait = everyMs;
      Promise.resolve()
        .then(fetchAndRender)
        .then(
          function () {
            sections.forEach(function (s) {
              setError(s, null);
            });
          },
          function (err) {
            if (err && err.status === 401) {
              sessionStorage.removeItem(KEY_STORAGE);
              stopAll();
              showKeyForm(err.message);
              return;
            }
            if (err && err.retryAfterSec) wait = Math.max(1000, err.retryAfterSec * 1000);
            setError(sections[0], err);
          },
        )
        .then(function () {
          if (state.key !== null) state.timers[name] = setTimeout(tick, wait);
        });
    }
    state.timers[name] = setTimeout(tick, 0);
  }

  function stopAll() {
    Object.keys(state.timers).forEach(function (name) {
      clearTimeout(state.timers[name]);
    });
    state.timers = {};
    state.key = null;
  }

  // ---- charts ----

  function chart(id) {
    if (!state.charts[id]) state.charts[id] = echarts.init($(id + '-chart'), null, { renderer: 'canvas' });
    return state.charts[id];
  }

  // ---- live minute CTR ----

  function renderLive(top) {
    state.payloads.top = top;
    $('live-as-of').textContent = top.as_of;
    $('live-minutes').textContent = String(top.minutes.length);
    var labels = top.minutes.map(function (m) {
      return m.slice(11, 16);
    });
    chart('live').setOption(
      {
        animation: false,
        tooltip: { trigger: 'axis', valueFormatter: function (v) { return v === null || v === undefined ? '–' : v.toFixed(2) + '%'; } },
        legend: { type: 'scroll', top: 0 },
        grid: { left: 50, right: 20, top: 40, bottom: 30 },
        xAxis: { type: 'category', data: labels, name: 'minute (UTC)', nameLocation: 'middle', nameGap: 22 },
        yAxis: { type: 'value', name: 'CTR %', axisLabel: { formatter: '{value}%' } },
        series: top.campaigns.map(function (c) {
          return {
            name: c.campaign_id,
            type: 'line',
            showSymbol: false,
            connectNulls: false,
            data: c.series.map(function (p) {
              return p.ctr === null ? null : Number((p.ctr * 100).toFixed(4));
            }),
          };
        }),
      },
      { notMerge: true },
    );
    replaceRows(
      $('live-table').tBodies[0],
      top.campaigns.map(function (c) {
        var id = testId(c.campaign_id);
        var row = el('tr', { className: c.campaign_id === state.campaign ? 'selected' : '', title: 'show this campaign below' }, [
          td(c.campaign_id, { 'data-testid': 'live-campaign-' + id }),
          td(int(c.impressions), { 'data-testid': 'live-impressions-' + id }),
          td(int(c.clicks), { 'data-testid': 'live-clicks-' + id }),
          td(pct(c.ctr), { 'data-testid': 'live-ctr-' + id }),
        ]);
        row.addEventListener('click', function () {
          chooseCampaign(c.campaign_id);
        });
        return row;
      }),
    );
    $('live-empty').hidden = top.campaigns.length > 0;
    var list = $('campaign-list');
    while (list.firstChild) list.removeChild(list.firstChild);
    top.campaigns.forEach(function (c) {
      list.appendChild(el('option', { value: c.campaign_id }));
    });
    state.renders.top++;
    if (state.campaign === null && top.campaigns.length > 0) chooseCampaign(top.campaigns[0].campaign_id);
  }

  function fetchLive() {
    return api('/v1/realtime/top?minutes=' + LIVE_MINUTES + '&limit=' + LIVE_LIMIT).then(renderLive);
  }

  // ---- hourly and daily CTR of one campaign ----

  function bucketRows(buckets, grain) {
    return buckets.map(function (b) {
      var id = testId(b.start);
      var source = b.source === 'cache' && b.origin ? 'cache (' + b.origin + ')' : b.source;
      return el('tr', { className: b.impressions === 0 && b.clicks === 0 ? 'empty' : '' }, [
        td(grain === 'hour' ? b.start.slice(0, 13).replace('T', ' ') + 'h' : b.start.slice(0, 10)),
        td(int(b.impressions), { 'data-testid': grain + '-impressions-' + id }),
        td(int(b.clicks), { 'data-testid': grain + '-clicks-' + id }),
        td(pct(b.ctr)),
        td(source, { 'data-testid': grain + '-source-' + id }),
        td(shortVersion(b.version), { title: b.version || '' }),
        el('td', {}, [el('span', { className: 'badge state-' + b.state, 'data-testid': grain + '-state-' + id, title: b.restated_at ? 'restated at ' + b.restated_at : '', text: b.state })]),
      ]);
    });
  }

  function renderHourly(answer) {
    state.payloads.hourly = answer;
    var buckets = answer.buckets;
    var total = buckets.reduce(function (t, b) {
      return { impressions: t.impressions + b.impressions, clicks: t.clicks + b.clicks };
    }, { impressions: 0, clicks: 0 });
    $('hourly-total-impressions').textContent = int(total.impressions);
    $('hourly-total-clicks').textContent = int(total.clicks);
    $('hourly-route').textContent = 'route: ' + answer.route.reason + ' · cache ' + answer.cache;
    chart('hourly').setOption(
      {
        animation: false,
        tooltip: { trigger: 'axis' },
        legend: { top: 0, data: ['impressions', 'CTR %'] },
        grid: { left: 60, right: 60, top: 40, bottom: 30 },
        xAxis: { type: 'category', data: buckets.map(function (b) { return b.start.slice(5, 13).replace('T', ' ') + 'h'; }) },
        yAxis: [{ type: 'value', name: 'impressions' }, { type: 'value', name: 'CTR %', axisLabel: { formatter: '{value}%' } }],
        series: [
          {
            name: 'impressions',
            type: 'bar',
            data: buckets.map(function (b) {
              return { value: b.impressions, itemStyle: { color: STATE_COLORS[b.state] || '#888' } };
            }),
          },
          {
            name: 'CTR %',
            type: 'line',
            yAxisIndex: 1,
            showSymbol: false,
            data: buckets.map(function (b) {
              return b.ctr === null ? null : Number((b.ctr * 100).toFixed(4));
            }),
          },
        ],
      },
      { notMerge: true },
    );
    replaceRows($('hourly-table').tBodies[0], bucketRows(buckets.slice().reverse(), 'hour'));
    state.renders.hourly++;
  }

  function renderDaily(answer) {
    state.payloads.daily = answer;
    $('daily-route').textContent = 'route: ' + answer.route.reason + ' · cache ' + answer.cache;
    replaceRows($('daily-table').tBodies[0], bucketRows(answer.buckets.slice().reverse(), 'day'));
    state.renders.daily++;
  }

  function ctrPath(campaign, granularity, from, to) {
    return '/v1/metrics/ctr?campaign_id=' + encodeURIComponent(campaign) + '&granularity=' + granularity + '&from=' + from + '&to=' + to;
  }

  function fetchGold() {
    var campaign = state.campaign;
    if (campaign === null) return Promise.resolve();
    var hour = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
    var day = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    var hourly = api(ctrPath(campaign, 'hour', hourKeyOf(hour - 47 * HOUR_MS), hourKeyOf(hour + HOUR_MS))).then(function (answer) {
      if (campaign === state.campaign) renderHourly(answer);
    });
    // The daily answer has its own error line, so a failure of one is not hidden by the other.
    var daily = api(ctrPath(campaign, 'day', dayOf(day - 6 * DAY_MS), dayOf(day + DAY_MS))).then(
      function (answer) {
        if (campaign === state.campaign) renderDaily(answer);
        setError('daily', null);
      },
      function (err) {
        setError('daily', err);
      },
    );
    return Promise.all([hourly, daily]);
  }

  function chooseCampaign(campaign) {
    if (!campaign) return;
    var changed = campaign !== state.campaign;
    state.campaign = campaign;
    sessionStorage.setItem(CAMPAIGN_STORAGE, campaign);
    $('campaign-input').value = campaign;
    $('gold-empty').hidden = true;
    if (changed && state.key !== null) {
      clearTimeout(state.timers.gold);
      poll('gold', ['hourly'], GOLD_MS, fetchGold);
    }
  }

  // ---- status: freshness, lag, ledger, drift, quarantine, erasures ----

  function renderFreshness(datasets) {
    var hourly = datasets.filter(function (d) { return d.hr !== undefined && d.hr !== null; });
    var daily = datasets.filter(function (d) { return d.hr === undefined || d.hr === null; });
    $('freshness-empty').hidden = datasets.length > 0;
    grid($('freshness-hours'), hourly, function (d) { return d.dt + 'T' + d.hr; }, function (k) { return k.slice(5).replace('T', ' ') + 'h'; });
    grid($('freshness-days'), daily, function (d) { return d.dt; }, function (k) { return k; });
  }

  /** A table: a row per dataset, a column per hour (or day), each cell colored by its state. */
  function grid(table, items, columnOf, labelOf) {
    while (table.firstChild) table.removeChild(table.firstChild);
    if (items.length === 0) return;
    var columns = Array.from(new Set(items.map(columnOf))).sort();
    var names = Array.from(new Set(items.map(function (d) { return d.dataset; })));
    table.appendChild(el('thead', {}, [el('tr', {}, [el('th', { text: 'dataset' })].concat(columns.map(function (c) { return el('th', { text: labelOf(c) }); })))]));
    var body = el('tbody');
    names.forEach(function (name) {
      var cells = columns.map(function (c) {
        var d = items.filter(function (x) { return x.dataset === name && columnOf(x) === c; })[0];
        if (!d) return el('td', { className: 'cell none', text: '' });
        var title = [name + ' ' + c + ': ' + d.state, 'version ' + (d.version || '–')];
        if (d.waiting_events) title.push(d.waiting_events + ' events waiting');
        if (d.final !== undefined) title.push(d.final ? 'final' : 'provisional');
        if (d.error) title.push('error: ' + d.error);
        var text = d.state + (d.waiting_events ? ' ' + d.waiting_events : '') + (d.final ? ' ✓' : '');
        return el('td', { className: 'cell state-' + d.state, title: title.join('\n'), 'data-testid': 'fresh-' + testId(name) + '-' + testId(c), 'data-state': d.state, text: text });
      });
      body.appendChild(el('tr', {}, [el('th', { text: name })].concat(cells)));
    });
    table.appendChild(body);
  }

  function renderLedger(hours) {
    replaceRows(
      $('ledger-table').tBodies[0],
      hours.slice().reverse().map(function (h) {
        var id = testId(h.hour);
        var quality = h.quality === null ? '–' : h.quality + (h.quality_reasons ? ': ' + h.quality_reasons : '');
        return el('tr', {}, [
          td(h.hour.replace('T', ' ') + 'h'),
          el('td', {}, [el('span', { className: 'badge state-' + h.status, text: h.status })]),
          td(int(h.rows_in), { 'data-testid': 'ledger-rows-in-' + id }),
          td(int(h.rows_out), { 'data-testid': 'ledger-rows-out-' + id }),
          td(int(h.late_events), { 'data-testid': 'ledger-late-' + id }),
          td(quality, { className: 'wrap' + (h.quality === 'warn' || h.quality === 'accepted' ? ' warn' : '') }),
          td(shortVersion(h.version), { title: h.version || '' }),
          td(h.last_run || '–'),
          td(h.error || '', { className: h.error ? 'error-text wrap' : '' }),
        ]);
      }),
    );
  }

  function renderDrift(hours) {
    var withDrift = hours.filter(function (h) { return h.drift !== null; });
    chart('drift').setOption(
      {
        animation: false,
        tooltip: { trigger: 'axis' },
        legend: { top: 0, data: ['impressions', 'clicks'] },
        grid: { left: 50, right: 20, top: 40, bottom: 30 },
        xAxis: { type: 'category', data: hours.map(function (h) { return h.hour.slice(5).replace('T', ' ') + 'h'; }) },
        yAxis: { type: 'value', minInterval: 1 },
        series: ['impressions', 'clicks'].map(function (k) {
          return { name: k, type: 'bar', data: hours.map(function (h) { return h.drift === null ? null : h.drift[k]; }) };
        }),
      },
      { notMerge: true },
    );
    var off = withDrift.filter(function (h) { return h.drift.impressions > 0 || h.drift.clicks > 0; });
    $('drift-summary').textContent =
      withDrift.length === 0
        ? 'No hour has been compared yet (drift is measured when an hour is promoted).'
        : off.length === 0
          ? withDrift.length + ' hour(s) compared, no drift.'
          : off.length + ' of ' + withDrift.length + ' compared hour(s) drift: ' + off.map(function (h) { return h.hour + ' (' + h.drift.impressions + ' impressions, ' + h.drift.clicks + ' clicks)'; }).join(', ');
  }

  function renderStatus(status) {
    state.payloads.status = status;
    $('status-as-of').textContent = status.as_of;
    $('lag-bronze').textContent = int(status.lag.bronze_records);
    $('lag-ctr').textContent = int(status.lag.ctr_records);
    replaceRows(
      $('schedules'),
      status.schedules.map(function (s) {
        return el('li', { className: s.paused ? 'warn' : '', text: s.id + ': ' + (s.paused ? 'PAUSED' : 'active') + ', next ' + (s.next_run || '–') });
      }),
    );
    renderFreshness(status.datasets);
    renderLedger(status.hours);
    renderDrift(status.hours);
    var late = status.hours.reduce(function (n, h) { return n + (h.late_events || 0); }, 0);
    $('quarantine-total').textContent = int(late);
    if (status.dead_letters !== undefined) $('dead-letters').textContent = int(status.dead_letters);
    var e = status.erasures;
    $('erasures-pending').textContent = int(e.pending);
    $('erasures-done').textContent = int(e.done);
    $('erasures-verified').textContent = int(e.verified);
    $('erasures-failed').textContent = int(e.failed);
    replaceRows(
      $('erasures-table').tBodies[0],
      e.latest.map(function (r) {
        return el('tr', {}, [
          td(r.request_id),
          el('td', {}, [el('span', { className: 'badge erasure-' + r.status, text: r.status })]),
          td(isoOf(r.requested_at)),
          td(isoOf(r.completed_at)),
          td(isoOf(r.verified_at)),
          td(r.error || '', { className: r.error ? 'error-text' : '' }),
        ]);
      }),
    );
    state.renders.status++;
  }

  function fetchStatus() {
    return api('/v1/status').then(renderStatus);
  }

  // ---- start ----

  function start(key) {
    state.key = key;
    $('key-form').hidden = true;
    $('dashboard').hidden = false;
    $('forget-key').hidden = false;
    poll('live', ['live'], LIVE_MS, fetchLive);
    poll('status', ['status'], STATUS_MS, fetchStatus);
    var campaign = sessionStorage.getItem(CAMPAIGN_STORAGE);
    if (campaign) chooseCampaign(campaign);
  }

  $('key-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var key = $('key-input').value.trim();
    if (!key) return;
    sessionStorage.setItem(KEY_STORAGE, key);
    $('key-input').value = '';
    start(key);
  });

  $('campaign-form').addEventListener('submit', function (event) {
    event.preventDefault();
    chooseCampaign($('campaign-input').value.trim());
  });

  $('forget-key').addEventListener('click', function () {
    sessionStorage.removeItem(KEY_STORAGE);
    stopAll();
    showKeyForm('');
  });

  window.addEventListener('resize', function () {
    Object.keys(state.charts).forEach(function (id) {
      state.charts[id].resize();
    });
  });

  window.addEventListener('hashchange', function () {
    readFragment();
    var key = sessionStorage.getItem(KEY_STORAGE);
    if (key && key !== state.key) {
      stopAll();
      start(key);
      return;
    }
    var campaign = sessionStorage.getItem(CAMPAIGN_STORAGE);
    if (campaign && state.key !== null) chooseCampaign(campaign);
  });

  if (typeof echarts === 'undefined') {
    setError('live', new Error('/assets/echarts.min.js did not load: charts are off (is the echarts package installed?)'));
  }
  readFragment();
  var stored = sessionStorage.getItem(KEY_STORAGE);
  if (stored) start(stored);
  else showKeyForm('');
})();
