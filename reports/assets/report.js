// report.js — behaviour of report.html: reads the results document embedded in the page's
// script element id "regauth-data" (type application/json; or, for a large document,
// application/gzip+base64: the JSON gzipped and base64-encoded, inflated here with the browser's
// DecompressionStream) and builds the summary counts, the breakdowns, the credential x scope x
// action matrix, the client x scenario grid (regauth clients), the filters and a paginated case
// list.
//
// Security: the document holds bytes recorded from the registry under test. Every node is built
// with createElement and textContent/append(string); nothing is ever parsed as HTML. The page's
// CSP requires Trusted Types with no policy allowed, so handing a string to any HTML-parsing sink
// would throw rather than inject. Attributes are set only through el(), which refuses event
// handlers, URLs and style. (html_test.cc checks that this file names no HTML sink.)
'use strict';
(function () {
  const VERDICTS = ['PASS', 'FAIL', 'NON-STRICT', 'INFORMATIONAL', 'SKIP', 'ERROR'];
  // Display order for "worst verdict" (the matrix): what needs a reader's attention first.
  const RANK = { PASS: 0, SKIP: 1, INFORMATIONAL: 2, 'NON-STRICT': 3, FAIL: 4, ERROR: 5 };
  const SHORT = { PASS: 'pass', FAIL: 'fail', 'NON-STRICT': 'n-strict', INFORMATIONAL: 'info', SKIP: 'skip', ERROR: 'error' };
  const LAYERS = ['token-endpoint', 'registry', 'flow', 'client'];
  const PAGE_SIZES = [50, 100, 250, 1000];
  const BODY_PREVIEW = 16384; // characters shown before "show all"
  const PRETTY_LIMIT = 1 << 20; // bodies up to this size get a "pretty JSON" toggle
  const NONE = '\u2014'; // em dash: dimension absent

  // ---- DOM helpers ------------------------------------------------------------------------

  const UNSAFE_ATTR = /^(on|href$|src$|srcdoc$|style$|action$|formaction$|xlink)/i;

  function el(tag, props, children) {
    const node = document.createElement(tag);
    if (props) {
      for (const key of Object.keys(props)) {
        const value = props[key];
        if (value === undefined || value === null || value === false) continue;
        if (key === 'class') node.className = value;
        else if (key === 'text') node.textContent = value;
        else if (UNSAFE_ATTR.test(key)) throw new Error('refusing attribute ' + key);
        else node.setAttribute(key, value === true ? '' : String(value));
      }
    }
    if (children) {
      for (const child of children) {
        if (child !== null && child !== undefined && child !== false) node.append(child);
      }
    }
    return node;
  }

  function byId(id) {
    return document.getElementById(id);
  }

  function str(v) {
    return v === null || v === undefined ? '' : String(v);
  }

  // visible makes invisible or misleading characters visible: C0 controls and DEL become their
  // U+2400 control pictures, bidi controls become [U+202E] so hostile text cannot reorder what
  // is shown around it.
  const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;
  const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
  function visible(s) {
    return str(s)
      .replace(CONTROL, (c) => (c === '\u007f' ? '\u2421' : String.fromCharCode(0x2400 + c.charCodeAt(0))))
      .replace(BIDI, (c) => '[U+' + c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0') + ']');
  }

  function plural(n, one, many) {
    return n + ' ' + (n === 1 ? one : many);
  }

  function fmtMs(ms) {
    const n = Number(ms);
    if (!isFinite(n)) return '';
    if (n < 1000) return Math.round(n) + ' ms';
    return (n / 1000).toFixed(n < 10000 ? 2 : 1) + ' s';
  }

  function pct(n, total) {
    if (!total) return '';
    const p = (100 * n) / total;
    return (p > 0 && p < 0.1 ? '<0.1' : p.toFixed(p < 10 ? 1 : 0)) + '%';
  }

  // ---- model ------------------------------------------------------------------------------

  // expandCase gives a summary case (a PASS case written without its evidence,
  // reports/evidence.h) the members of a full one: its checks from doc.check_lists (all passed),
  // its dimensions from doc.dimension_sets, no exchanges.
  function expandCase(doc, c) {
    if (!c || typeof c !== 'object' || !('check_list' in c) || 'checks' in c) return c;
    const lists = Array.isArray(doc.check_lists) ? doc.check_lists : [];
    const sets = Array.isArray(doc.dimension_sets) ? doc.dimension_sets : [];
    const list = Array.isArray(lists[c.check_list]) ? lists[c.check_list] : [];
    const id = str(c.id);
    const parts = id.split('/');
    return Object.assign({}, c, {
      evidenceSummary: true,
      family: parts.length > 2 ? parts.slice(0, 2).join('/') : id,
      expected_verdict: 'PASS',
      unexpected: false,
      baseline: null,
      checks: list.map((pair) => ({ id: str(pair && pair[0]), severity: str(pair && pair[1]), result: 'pass' })),
      dimensions: sets[c.dimension_set] && typeof sets[c.dimension_set] === 'object' ? sets[c.dimension_set] : {},
      exchanges: [],
    });
  }

  // expandCitations gives a whole case its GitLab citations back from doc.citation_lists (the
  // cases that the same matrix rules decide share one list, reports/evidence.h).
  function expandCitations(doc, c) {
    if (!c || typeof c !== 'object' || !('gitlab_citations' in c)) return c;
    const lists = Array.isArray(doc.citation_lists) ? doc.citation_lists : [];
    const list = lists[c.gitlab_citations] && typeof lists[c.gitlab_citations] === 'object' ? lists[c.gitlab_citations] : {};
    return Object.assign({}, c, { gitlab_source: list.gitlab_source, gitlab_spec: list.gitlab_spec });
  }

  function buildModel(doc) {
    const cases = Array.isArray(doc.cases) ? doc.cases.map((c) => expandCase(doc, expandCitations(doc, c))) : [];
    const items = cases.map((c, index) => {
      const d = c && typeof c.dimensions === 'object' && c.dimensions ? c.dimensions : {};
      const verdict = VERDICTS.includes(c.verdict) ? c.verdict : 'ERROR';
      const kind = str(d.credential_kind);
      const scopes = str(d.scopes);
      const actions = str(d.actions);
      return {
        c,
        index,
        verdict,
        rank: RANK[verdict],
        unexpected: c.unexpected === true,
        stale: !!(c.baseline && c.baseline.stale === true),
        expectedFailure: !!c.baseline && c.unexpected !== true && (verdict === 'FAIL' || verdict === 'ERROR'),
        layer: str(c.layer),
        family: str(c.family),
        search: (str(c.id) + '\n' + str(c.title)).toLowerCase(),
        inMatrix: kind !== '' || scopes !== '' || actions !== '',
        mk: kind || NONE,
        ms: scopes || NONE,
        ma: actions || NONE,
      };
    });
    const counts = countOf(items);
    return { doc, items, counts };
  }

  function countOf(items) {
    const counts = { total: items.length, unexpected: 0, stale: 0, by: {} };
    for (const v of VERDICTS) counts.by[v] = 0;
    for (const it of items) {
      counts.by[it.verdict]++;
      if (it.unexpected) counts.unexpected++;
      if (it.stale) counts.stale++;
    }
    return counts;
  }

  function worst(items) {
    let w = 'PASS';
    for (const it of items) if (it.rank > RANK[w]) w = it.verdict;
    return w;
  }

  // ---- state ------------------------------------------------------------------------------

  const state = {
    verdicts: new Set(VERDICTS),
    layer: '',
    family: '',
    text: '',
    unexpectedOnly: false,
    staleOnly: false,
    cell: null, // {k, s, a}
    sort: 'severity',
    page: 0,
    pageSize: PAGE_SIZES[0],
    open: new Set(), // indices of expanded cases
  };
  let model = null;
  let filtered = [];

  function matches(it) {
    if (!state.verdicts.has(it.verdict)) return false;
    if (state.layer && it.layer !== state.layer) return false;
    if (state.family && it.family !== state.family) return false;
    if (state.unexpectedOnly && !it.unexpected) return false;
    if (state.staleOnly && !it.stale) return false;
    if (state.cell) {
      if (!it.inMatrix || it.mk !== state.cell.k || it.ms !== state.cell.s || it.ma !== state.cell.a) return false;
    }
    if (state.text && !it.search.includes(state.text)) return false;
    return true;
  }

  const SORTS = {
    severity: (a, b) => (b.unexpected - a.unexpected) || (b.rank - a.rank) || (a.index - b.index),
    document: (a, b) => a.index - b.index,
    id: (a, b) => (str(a.c.id) < str(b.c.id) ? -1 : str(a.c.id) > str(b.c.id) ? 1 : 0),
    duration: (a, b) => (Number(b.c.duration_ms) || 0) - (Number(a.c.duration_ms) || 0) || (a.index - b.index),
  };

  // ---- summary ----------------------------------------------------------------------------

  function setCount(id, value) {
    const node = byId(id);
    if (!node) return;
    node.textContent = String(value);
    node.setAttribute('data-filled', 'js');
  }

  function renderSummary() {
    const c = model.counts;
    setCount('count-total', c.total);
    setCount('count-unexpected', c.unexpected);
    setCount('count-stale', c.stale);
    for (const v of VERDICTS) {
      setCount('count-' + v, c.by[v]);
      const note = byId('pct-' + v);
      if (note) note.textContent = pct(c.by[v], c.total);
    }
    const unexpectedCard = document.querySelector('.card-unexpected');
    if (unexpectedCard) unexpectedCard.classList.toggle('zero', c.unexpected === 0);

    const bar = byId('summary-bar');
    bar.replaceChildren();
    for (const v of VERDICTS) {
      if (!c.by[v]) continue;
      const seg = el('span', { class: 'fill-' + v, title: v + ': ' + c.by[v] + ' (' + pct(c.by[v], c.total) + ')' });
      seg.style.flexGrow = String(c.by[v]);
      bar.append(seg);
    }

    const banner = byId('banner');
    const parts = VERDICTS.filter((v) => c.by[v]).map((v) => c.by[v] + ' ' + v);
    const run = model.doc.run && typeof model.doc.run === 'object' ? model.doc.run : {};
    // A run that stopped early (sanity probe, IP ban) is never "as expected".
    const runError = typeof run.error === 'string' ? run.error : '';
    const ok = c.unexpected === 0 && c.stale === 0 && runError === '';
    banner.className = 'banner ' + (ok ? 'banner-ok' : 'banner-bad');
    const head = ok
      ? '\u2713 All ' + plural(c.total, 'result', 'results') + ' as expected'
      : '\u2717 ' +
        [runError ? 'The run stopped early: ' + visible(runError) : '',
          c.unexpected ? plural(c.unexpected, 'unexpected result', 'unexpected results') : '',
          c.stale ? plural(c.stale, 'stale baseline entry', 'stale baseline entries') : '']
          .filter(Boolean)
          .join(' \u00b7 ');
    banner.replaceChildren(head, el('span', { class: 'sub', text: parts.join(' \u00b7 ') }));
    const summary = model.doc.summary;
    if (summary && typeof summary.total === 'number' && summary.total !== c.total) {
      banner.append(el('div', {
        class: 'sub',
        text: 'Note: summary.total says ' + summary.total + ' but the document lists ' + c.total +
          ' cases; the counts on this page are computed from the cases.',
      }));
    }
  }

  function miniBar(counts, total) {
    const bar = el('div', { class: 'mini-bar' });
    for (const v of VERDICTS) {
      if (!counts[v]) continue;
      const seg = el('span', { class: 'fill-' + v, title: v + ': ' + counts[v] });
      seg.style.width = ((100 * counts[v]) / total).toFixed(3) + '%';
      bar.append(seg);
    }
    return bar;
  }

  // renderBreakdown fills one table of verdict counts: a group of rows per layer, then per family.
  function renderBreakdown() {
    const head = el('tr', null, [el('th', { text: 'layer / family' }), el('th', { text: 'cases' })]
      .concat(VERDICTS.map((v) => el('th', { title: v }, [el('span', { class: 'dot v-' + v }), SHORT[v]])))
      .concat([el('th', { title: 'unexpected results', text: 'unexpected' }), el('th', { class: 'barcell', text: 'distribution' })]));
    const table = el('table', { class: 'stats' }, [el('thead', null, [head])]);
    const columns = VERDICTS.length + 4;
    for (const [key, label, order] of [['layer', 'Layers', LAYERS], ['family', 'Families', null]]) {
      const groups = new Map();
      for (const it of model.items) {
        const name = it[key] || NONE;
        if (!groups.has(name)) groups.set(name, []);
        groups.get(name).push(it);
      }
      let names = Array.from(groups.keys()).sort();
      if (order) names = order.filter((n) => groups.has(n)).concat(names.filter((n) => !order.includes(n)));
      const body = el('tbody', null, [el('tr', { class: 'group' }, [el('th', { colspan: columns, text: label })])]);
      for (const name of names) {
        const c = countOf(groups.get(name));
        const row = el('tr', { 'data-key': key, 'data-value': name, title: 'Show the ' + name + ' cases' }, [
          el('td', { class: 'name', text: name }),
          el('td', { text: String(c.total) }),
        ]);
        for (const v of VERDICTS) {
          row.append(el('td', { class: c.by[v] ? 'nz-' + v : 'zero', text: c.by[v] ? String(c.by[v]) : '\u00b7' }));
        }
        row.append(el('td', { class: c.unexpected ? 'nz-FAIL' : 'zero', text: c.unexpected ? String(c.unexpected) : '\u00b7' }));
        row.append(el('td', { class: 'barcell' }, [miniBar(c.by, c.total)]));
        row.addEventListener('click', () => {
          const value = name === NONE ? '' : name;
          state[key] = state[key] === value ? '' : value;
          state.page = 0;
          update();
          scrollToCases();
        });
        body.append(row);
      }
      table.append(body);
    }
    byId('breakdown').replaceChildren(table);
  }

  // ---- matrix -----------------------------------------------------------------------------

  function sortWithNoneLast(values) {
    return values.sort((a, b) => (a === NONE) - (b === NONE) || (a < b ? -1 : a > b ? 1 : 0));
  }

  function renderMatrix() {
    const container = byId('matrix');
    const cells = new Map(); // "k\u0000s\u0000a" -> items
    const rows = new Set();
    const columns = new Map(); // scopes -> Set(actions)
    let outside = 0;
    for (const it of model.items) {
      if (!it.inMatrix) {
        outside++;
        continue;
      }
      const key = it.mk + '\u0000' + it.ms + '\u0000' + it.ma;
      if (!cells.has(key)) cells.set(key, []);
      cells.get(key).push(it);
      rows.add(it.mk);
      if (!columns.has(it.ms)) columns.set(it.ms, new Set());
      columns.get(it.ms).add(it.ma);
    }
    if (cells.size === 0) {
      container.replaceChildren(el('p', { class: 'matrix-note', text: 'No case in this run carries credential_kind, scopes or actions dimensions.' }));
      return;
    }
    const scopeList = sortWithNoneLast(Array.from(columns.keys()));
    const cols = [];
    for (const s of scopeList) {
      for (const a of sortWithNoneLast(Array.from(columns.get(s)))) cols.push({ s, a, first: cols.length === 0 || cols[cols.length - 1].s !== s });
    }
    const head1 = el('tr', null, [el('th', { class: 'corner', rowspan: 2, text: 'credential kind \u2193 / scopes \u2192' })]);
    const head2 = el('tr');
    for (const s of scopeList) {
      head1.append(el('th', { class: 'scope-head', colspan: columns.get(s).size, text: s, title: 'token scopes: ' + s }));
    }
    for (const col of cols) {
      head2.append(el('th', { class: col.first ? 'group-start' : null, text: col.a, title: 'requested actions: ' + col.a }));
    }
    const body = el('tbody');
    for (const k of sortWithNoneLast(Array.from(rows))) {
      const row = el('tr', null, [el('th', { class: 'row-head', scope: 'row', text: k })]);
      for (const col of cols) {
        const items = cells.get(k + '\u0000' + col.s + '\u0000' + col.a);
        const td = el('td', { class: col.first ? 'group-start' : null });
        if (!items) {
          td.classList.add('cell-empty');
          td.textContent = '\u00b7';
        } else {
          const w = worst(items);
          const c = countOf(items);
          const detail = VERDICTS.filter((v) => c.by[v]).map((v) => v + ' ' + c.by[v]).join(', ');
          const selected = state.cell && state.cell.k === k && state.cell.s === col.s && state.cell.a === col.a;
          const button = el('button', {
            type: 'button',
            class: 'cell v-' + w + (selected ? ' selected' : ''),
            title: k + ' \u00b7 ' + col.s + ' \u00b7 ' + col.a + '\n' + plural(items.length, 'case', 'cases') + ': ' + detail,
            'aria-label': k + ', ' + col.s + ', ' + col.a + ': worst ' + w + ', ' + plural(items.length, 'case', 'cases'),
            'data-worst': w,
            text: String(items.length),
          });
          button.addEventListener('click', () => {
            const same = state.cell && state.cell.k === k && state.cell.s === col.s && state.cell.a === col.a;
            state.cell = same ? null : { k, s: col.s, a: col.a };
            state.page = 0;
            update();
            renderMatrixSelection();
            if (!same) scrollToCases();
          });
          td.append(button);
        }
        row.append(td);
      }
      body.append(row);
    }
    const parts = [el('table', { class: 'matrix' }, [el('thead', null, [head1, head2]), body])];
    container.replaceChildren(...parts);
    if (outside) {
      container.after(el('p', { class: 'panel-hint', text: plural(outside, 'case has', 'cases have') + ' none of these dimensions and ' + (outside === 1 ? 'is' : 'are') + ' listed only below.' }));
    }
  }

  function renderMatrixSelection() {
    for (const button of document.querySelectorAll('#matrix .cell')) {
      const label = button.getAttribute('aria-label') || '';
      const selected = state.cell && label.startsWith(state.cell.k + ', ' + state.cell.s + ', ' + state.cell.a + ':');
      button.classList.toggle('selected', !!selected);
    }
  }

  // ---- client x scenario grid (regauth clients) -------------------------------------------

  function renderClientGrid() {
    const section = byId('clients-section');
    const container = byId('client-grid');
    const cells = new Map(); // "client\u0000scenario" -> item
    const clients = [];
    const scenarios = [];
    for (const it of model.items) {
      const d = it.c.dimensions && typeof it.c.dimensions === 'object' ? it.c.dimensions : {};
      const client = str(d.client);
      const scenario = str(d.scenario);
      if (it.layer !== 'client' || !client || !scenario) continue;
      if (!clients.includes(client)) clients.push(client);
      if (!scenarios.includes(scenario)) scenarios.push(scenario);
      cells.set(client + '\u0000' + scenario, it);
    }
    if (!section || !container || cells.size === 0) return;
    section.hidden = false;
    scenarios.sort();
    const head = el('tr', null, [el('th', { class: 'corner', text: 'scenario \u2193 / client \u2192' })]);
    for (const client of clients) head.append(el('th', { text: client }));
    const body = el('tbody');
    for (const scenario of scenarios) {
      const row = el('tr', null, [el('th', { class: 'row-head', scope: 'row', text: scenario })]);
      for (const client of clients) {
        const it = cells.get(client + '\u0000' + scenario);
        const td = el('td');
        if (!it) {
          td.classList.add('cell-empty');
          td.textContent = '\u00b7';
        } else {
          const failed = (Array.isArray(it.c.checks) ? it.c.checks : []).find((k) => k && k.result === 'fail');
          const why = it.c.skip_reason || it.c.error || (failed ? failed.message || failed.observed : '');
          const button = el('button', {
            type: 'button',
            class: 'cell v-' + it.verdict,
            title: str(it.c.title) + (why ? '\n' + str(why) : ''),
            'aria-label': client + ', ' + scenario + ': ' + it.verdict,
            'data-case': str(it.c.id),
            text: it.verdict === 'INFORMATIONAL' ? 'INFO' : it.verdict,
          });
          button.addEventListener('click', () => {
            state.text = str(it.c.id).toLowerCase();
            byId('filter-text').value = str(it.c.id);
            state.verdicts = new Set(VERDICTS);
            state.cell = null;
            state.open = new Set([it.index]);
            state.page = 0;
            update();
            scrollToCases();
          });
          td.append(button);
        }
        row.append(td);
      }
      body.append(row);
    }
    container.replaceChildren(el('table', { class: 'matrix client-grid' }, [el('thead', null, [head]), body]));
  }

  // ---- filters ----------------------------------------------------------------------------

  function setupFilters() {
    const chips = byId('verdict-filter');
    for (const v of VERDICTS) {
      const chip = el('button', { type: 'button', class: 'chip v-' + v, 'aria-pressed': 'true', 'data-verdict': v }, [
        el('span', { class: 'dot' }),
        v,
        el('span', { class: 'count', text: String(model.counts.by[v]) }),
      ]);
      chip.addEventListener('click', (event) => {
        if (event.altKey || event.metaKey || event.ctrlKey) {
          state.verdicts = new Set([v]); // modifier-click: only this one
        } else if (state.verdicts.has(v)) {
          state.verdicts.delete(v);
        } else {
          state.verdicts.add(v);
        }
        state.page = 0;
        update();
      });
      chips.append(chip);
    }

    const layers = Array.from(new Set(model.items.map((it) => it.layer).filter(Boolean)));
    layers.sort((a, b) => (LAYERS.indexOf(a) + 1 || 99) - (LAYERS.indexOf(b) + 1 || 99) || (a < b ? -1 : 1));
    const layerSelect = byId('filter-layer');
    for (const l of layers) layerSelect.append(el('option', { value: l, text: l }));
    layerSelect.addEventListener('change', () => {
      state.layer = layerSelect.value;
      state.page = 0;
      update();
    });

    const families = Array.from(new Set(model.items.map((it) => it.family).filter(Boolean))).sort();
    const familySelect = byId('filter-family');
    for (const f of families) familySelect.append(el('option', { value: f, text: f }));
    familySelect.addEventListener('change', () => {
      state.family = familySelect.value;
      state.page = 0;
      update();
    });

    const text = byId('filter-text');
    let timer = 0;
    text.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        state.text = text.value.trim().toLowerCase();
        state.page = 0;
        update();
      }, 120);
    });

    const unexpected = byId('filter-unexpected');
    unexpected.addEventListener('change', () => {
      state.unexpectedOnly = unexpected.checked;
      state.page = 0;
      update();
    });

    const sort = byId('sort');
    sort.addEventListener('change', () => {
      state.sort = SORTS[sort.value] ? sort.value : 'severity';
      state.page = 0;
      update();
    });

    byId('filter-reset').addEventListener('click', resetFilters);

    for (const card of document.querySelectorAll('.card')) {
      card.addEventListener('click', () => {
        const v = card.getAttribute('data-verdict');
        const what = card.getAttribute('data-filter');
        if (v) {
          const only = state.verdicts.size === 1 && state.verdicts.has(v);
          state.verdicts = only ? new Set(VERDICTS) : new Set([v]);
        } else if (what === 'unexpected') {
          state.unexpectedOnly = !state.unexpectedOnly;
        } else if (what === 'stale') {
          state.staleOnly = !state.staleOnly;
        } else {
          resetFilters();
          return;
        }
        state.page = 0;
        update();
        scrollToCases();
      });
    }
  }

  function resetFilters() {
    state.verdicts = new Set(VERDICTS);
    state.layer = '';
    state.family = '';
    state.text = '';
    state.unexpectedOnly = false;
    state.staleOnly = false;
    state.cell = null;
    state.page = 0;
    byId('filter-text').value = '';
    update();
    renderMatrixSelection();
  }

  function syncControls() {
    for (const chip of document.querySelectorAll('#verdict-filter .chip')) {
      chip.setAttribute('aria-pressed', String(state.verdicts.has(chip.getAttribute('data-verdict'))));
    }
    byId('filter-layer').value = state.layer;
    byId('filter-family').value = state.family;
    byId('filter-unexpected').checked = state.unexpectedOnly;
    for (const card of document.querySelectorAll('.card')) {
      const v = card.getAttribute('data-verdict');
      const what = card.getAttribute('data-filter');
      let pressed = false;
      if (v) pressed = state.verdicts.size === 1 && state.verdicts.has(v);
      else if (what === 'unexpected') pressed = state.unexpectedOnly;
      else if (what === 'stale') pressed = state.staleOnly;
      card.setAttribute('aria-pressed', String(pressed));
    }
    for (const row of document.querySelectorAll('table.stats tbody tr')) {
      const key = row.getAttribute('data-key');
      const value = row.getAttribute('data-value');
      row.classList.toggle('selected', !!state[key] && state[key] === value);
    }
  }

  function pill(label, clear) {
    const button = el('button', { type: 'button', title: 'Remove this filter', 'aria-label': 'Remove filter ' + label, text: '\u00d7' });
    button.addEventListener('click', () => {
      clear();
      state.page = 0;
      update();
      renderMatrixSelection();
    });
    return el('span', { class: 'filter-pill' }, [label, button]);
  }

  function renderActiveFilters() {
    const box = byId('active-filters');
    const pills = [];
    if (state.cell) {
      pills.push(pill('matrix cell: ' + state.cell.k + ' \u00b7 ' + state.cell.s + ' \u00b7 ' + state.cell.a, () => {
        state.cell = null;
      }));
    }
    if (state.staleOnly) pills.push(pill('stale baseline entries only', () => { state.staleOnly = false; }));
    if (state.text) {
      pills.push(pill('text: \u201c' + state.text + '\u201d', () => {
        state.text = '';
        byId('filter-text').value = '';
      }));
    }
    box.replaceChildren(...pills);
  }

  function scrollToCases() {
    const section = byId('cases-section');
    if (section && section.scrollIntoView) section.scrollIntoView({ block: 'start' });
  }

  // ---- case list --------------------------------------------------------------------------

  function update() {
    filtered = model.items.filter(matches);
    filtered.sort(SORTS[state.sort]);
    const pages = Math.max(1, Math.ceil(filtered.length / state.pageSize));
    if (state.page >= pages) state.page = pages - 1;
    if (state.page < 0) state.page = 0;
    syncControls();
    renderActiveFilters();
    renderList();
    renderPager(pages);
  }

  function renderList() {
    const list = byId('case-list');
    const start = state.page * state.pageSize;
    const slice = filtered.slice(start, start + state.pageSize);
    const status = byId('list-status');
    if (filtered.length === 0) {
      status.textContent = 'No case matches the filters (' + plural(model.items.length, 'case', 'cases') + ' in the run).';
    } else {
      status.textContent = 'Showing ' + (start + 1) + '\u2013' + (start + slice.length) + ' of ' +
        plural(filtered.length, 'matching case', 'matching cases') +
        (filtered.length !== model.items.length ? ' (' + model.items.length + ' in the run)' : '') + '.';
    }
    const nodes = [];
    for (const it of slice) {
      const row = caseRow(it);
      nodes.push(row);
      if (state.open.has(it.index)) nodes.push(caseDetail(it));
    }
    list.replaceChildren(...nodes);
  }

  function caseRow(it) {
    const c = it.c;
    const open = state.open.has(it.index);
    const tags = el('span', { class: 'case-tags' });
    if (it.unexpected) tags.append(el('span', { class: 'tag tag-unexpected', text: 'unexpected' }));
    if (it.stale) tags.append(el('span', { class: 'tag tag-stale', text: 'stale baseline' }));
    else if (it.expectedFailure) tags.append(el('span', { class: 'tag tag-baseline', text: 'expected failure' }));
    const row = el('div', {
      class: 'case-row',
      role: 'button',
      tabindex: 0,
      'aria-expanded': String(open),
      'data-index': it.index,
    }, [
      el('span', null, [el('span', { class: 'badge v-' + it.verdict, text: it.verdict })]),
      el('div', { class: 'case-main' }, [
        el('div', { class: 'case-id' }, [el('span', { class: 'caret', text: open ? '\u25bc' : '\u25b6' }), visible(c.id), tags]),
        el('div', { class: 'case-title', text: c.evidenceSummary ? 'passed \u00b7 ' + plural(c.checks.length, 'check', 'checks') + ' held' : visible(c.title) }),
      ]),
      el('div', { class: 'case-layer', text: it.layer }),
      el('div', { class: 'case-time', text: fmtMs(c.duration_ms) }),
    ]);
    const toggle = () => {
      if (state.open.has(it.index)) state.open.delete(it.index);
      else state.open.add(it.index);
      const wasOpen = row.getAttribute('aria-expanded') === 'true';
      if (wasOpen) {
        const next = row.nextSibling;
        if (next && next.classList && next.classList.contains('case-detail')) next.remove();
      } else {
        row.after(caseDetail(it));
      }
      row.setAttribute('aria-expanded', String(!wasOpen));
      row.querySelector('.caret').textContent = wasOpen ? '\u25b6' : '\u25bc';
    };
    row.addEventListener('click', toggle);
    row.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        toggle();
      }
    });
    return row;
  }

  function kvRow(dl, label, value) {
    if (value === null || value === undefined || value === '') return;
    dl.append(el('dt', { text: label }), el('dd', null, [value]));
  }

  // gitlabLinks lists GitLab code as links to the file at the commit read: `gitlab_source`
  // (the code a matrix rule was read from) and `gitlab_spec` (the contexts of GitLab's own RSpec a
  // case reproduces, with a #L<line> anchor), results-schema.md. Only GitHub blob URLs that match
  // `pattern` become links (opened in a new tab, no referrer); anything else is shown as text.
  function gitlabLinks(list, pattern, labelOf) {
    if (!Array.isArray(list) || list.length === 0) return null;
    return el('ul', { class: 'gitlab-sources' }, list.map((s) => {
      const label = labelOf(s);
      let target;
      if (pattern.test(str(s.url))) {
        target = el('a', { rel: 'noopener noreferrer', target: '_blank', title: str(s.repo) + ' @ ' + str(s.commit) });
        target.href = s.url;
        target.textContent = visible(label);
      } else {
        target = el('span', { text: visible(label) });
      }
      return el('li', null, [target, el('span', { class: 'muted', text: ' (' + visible(s.version) + ')' })]);
    }));
  }
  const GITHUB_BLOB = /^https:\/\/github\.com\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/blob\/[0-9a-f]{40}\/[A-Za-z0-9_.\/-]+$/;
  const GITHUB_BLOB_LINE = /^https:\/\/github\.com\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/blob\/[0-9a-f]{40}\/spec\/[A-Za-z0-9_.\/-]+#L[0-9]+$/;
  const gitlabSources = (list) => gitlabLinks(list, GITHUB_BLOB, (s) => str(s.path) + ' \u2014 ' + str(s.symbol));
  const gitlabSpecs = (list) =>
    gitlabLinks(list, GITHUB_BLOB_LINE, (s) => str(s.file) + ':' + str(s.line) + ' \u2014 ' + str(s.context));

  function caseDetail(it) {
    const c = it.c;
    const box = el('div', { class: 'case-detail', 'data-index': it.index });
    const dl = el('dl', { class: 'kv' });
    kvRow(dl, 'Case id', el('code', { text: visible(c.id) }));
    if (c.evidenceSummary) {
      kvRow(dl, 'Evidence', 'summary: this case passed, so the run kept which checks held but not their values or its exchanges (regauth run --evidence all keeps everything; regauth show ' + visible(c.id) + ' prints the case)');
    }
    kvRow(dl, 'Requirement', visible(c.requirement));
    kvRow(dl, 'Source', visible(c.source));
    kvRow(dl, 'GitLab source', gitlabSources(c.gitlab_source));
    kvRow(dl, 'GitLab RSpec', gitlabSpecs(c.gitlab_spec));
    kvRow(dl, 'Family / layer', it.family + ' \u00b7 ' + it.layer);
    if (Array.isArray(c.tags) && c.tags.length) {
      kvRow(dl, 'Tags', el('span', { class: 'dims' }, c.tags.map((t) => el('span', { class: 'tag', text: visible(t) }))));
    }
    const expectation = el('span', null, [
      el('span', { class: 'badge v-' + it.verdict, text: it.verdict }),
      ' expected ',
      el('span', { class: 'badge v-' + (VERDICTS.includes(c.expected_verdict) ? c.expected_verdict : 'SKIP'), text: str(c.expected_verdict) }),
      it.unexpected ? el('span', { class: 'tag tag-unexpected', text: 'unexpected' }) : null,
    ]);
    kvRow(dl, 'Verdict', expectation);
    if (c.baseline && typeof c.baseline === 'object') {
      kvRow(dl, 'Baseline', (c.baseline.stale === true ? 'STALE \u2014 ' : '') + visible(c.baseline.reason));
    }
    kvRow(dl, 'Skip reason', visible(c.skip_reason));
    kvRow(dl, 'Error', c.error ? el('span', { class: 'result-fail', text: visible(c.error) }) : '');
    kvRow(dl, 'Duration', fmtMs(c.duration_ms));
    const dims = c.dimensions && typeof c.dimensions === 'object' ? c.dimensions : {};
    const dimNodes = Object.keys(dims)
      .filter((k) => dims[k] !== null && dims[k] !== undefined && dims[k] !== '')
      .map((k) => el('span', { class: 'dim' }, [el('b', { text: k + ' ' }), visible(dims[k])]));
    if (dimNodes.length) kvRow(dl, 'Dimensions', el('span', { class: 'dims' }, dimNodes));
    box.append(dl);

    const checks = Array.isArray(c.checks) ? c.checks : [];
    const failedChecks = checks.filter((k) => k && k.result === 'fail').length;
    box.append(el('h3', { text: 'Checks (' + checks.length + (failedChecks ? ', ' + failedChecks + ' failed' : '') + ')' }));
    if (checks.length === 0) {
      box.append(el('p', { class: 'empty', text: 'No checks ran.' }));
    } else {
      const table = el('table', { class: 'checks' }, [
        el('colgroup', null, [
          el('col', { width: '7%' }), el('col', { width: '16%' }), el('col', { width: '8%' }),
          el('col', { width: '24%' }), el('col', { width: '24%' }), el('col', { width: '21%' }),
        ]),
        el('thead', null, [el('tr', null, ['result', 'check', 'severity', 'expected', 'observed', 'message'].map((h) => el('th', { text: h })))]),
      ]);
      const tbody = el('tbody');
      for (const k of checks) {
        const failed = k && k.result === 'fail';
        tbody.append(el('tr', { class: failed ? 'failed sev-' + str(k.severity) : null }, [
          el('td', { class: failed ? 'result-fail' : 'result-pass', text: failed ? '\u2717 fail' : '\u2713 pass' }),
          el('td', { class: 'mono', text: visible(k && k.id) }),
          el('td', { text: str(k && k.severity) }),
          el('td', { class: 'mono', text: c.evidenceSummary ? NONE : visible(k && k.expected) }),
          el('td', { class: 'mono', text: c.evidenceSummary ? NONE : visible(k && k.observed) }),
          el('td', { text: visible(k && k.message) }),
        ]));
      }
      table.append(tbody);
      box.append(table);
    }

    const exchanges = Array.isArray(c.exchanges) ? c.exchanges : [];
    const tools = Array.isArray(c.tools) ? c.tools : [];
    box.append(el('h3', { text: 'Exchanges (' + exchanges.length + ')' }));
    if (exchanges.length === 0) {
      box.append(el('p', {
        class: 'empty',
        text: tools.length
          ? 'No HTTP exchange was recorded by the suite itself: the client tools below made their own requests.'
          : 'No HTTP exchange was recorded.',
      }));
    }
    const autoOpen = it.verdict !== 'PASS' && exchanges.length <= 2;
    exchanges.forEach((x, i) => box.append(exchangeNode(x, i, autoOpen)));
    if (tools.length) {
      // client_tool runs (docker, skopeo): argv, standard input, exit code and output, all
      // redacted at capture like the exchanges.
      box.append(el('h3', { text: 'Client tool runs (' + tools.length + ')' }));
      const autoOpenTools = it.verdict !== 'PASS' && tools.length <= 2;
      tools.forEach((t, i) => box.append(toolNode(t, i, autoOpenTools)));
    }
    return box;
  }

  // shellWord shows one argv element as a POSIX shell word (quoted when it needs to be).
  function shellWord(a) {
    const s = visible(a);
    return /^[A-Za-z0-9_.,:/=@%+-]+$/.test(s) ? s : "'" + s.replace(/'/g, "'\\''") + "'";
  }

  // lazyDetails fills a <details> the first time it opens (a full report holds thousands of
  // exchanges; building every body up front would make the page slow to open), or at once when
  // `open` asks for it.
  function lazyDetails(details, build, open) {
    let built = false;
    const buildOnce = () => {
      if (built) return;
      built = true;
      build();
    };
    details.addEventListener('toggle', () => {
      if (details.open) buildOnce();
    });
    if (open) {
      buildOnce();
      details.open = true;
    }
    return details;
  }

  function toolNode(t, i, open) {
    t = t && typeof t === 'object' ? t : {};
    const argv = Array.isArray(t.argv) ? t.argv.map(shellWord).join(' ') : '';
    const timedOut = t.timed_out === true;
    const ended = timedOut ? 'timed out' : 'exit ' + str(t.exit_code);
    const failed = timedOut || Number(t.exit_code) !== 0;
    const summary = el('summary', null, [
      el('span', { text: '#' + (i + 1) }),
      el('strong', { text: visible(t.tool) }),
      el('span', { class: 'url', text: argv, title: argv }),
      el('span', { class: 'status ' + (failed ? 'status-5' : 'status-2'), text: '\u2192 ' + ended }),
      el('span', { class: 'case-time', text: fmtMs(t.duration_ms) }),
    ]);
    const details = el('details', { class: 'exchange tool' }, [summary]);
    const build = () => {
      details.append(el('div', { class: 'msg' }, [
        el('div', { class: 'msg-head', text: 'Command' }),
        el('pre', { class: 'body', text: argv }),
      ]));
      if (str(t.stdin) !== '') {
        details.append(el('div', { class: 'msg' }, [
          el('div', { class: 'msg-head', text: 'Standard input' }),
          bodyNode(str(t.stdin)),
        ]));
      }
      details.append(el('div', { class: 'msg' }, [
        el('div', { class: 'msg-head', text: 'Output (' + ended + ')' }),
        bodyNode(str(t.output)),
      ]));
    };
    return lazyDetails(details, build, open);
  }

  function statusClass(status) {
    const n = Number(status);
    return n >= 200 && n < 600 ? 'status status-' + Math.floor(n / 100) : 'status status-x';
  }

  function exchangeNode(x, i, open) {
    x = x && typeof x === 'object' ? x : {};
    const req = x.request && typeof x.request === 'object' ? x.request : {};
    const resp = x.response && typeof x.response === 'object' ? x.response : null;
    const summary = el('summary', null, [
      el('span', { text: '#' + (i + 1) }),
      el('span', { text: visible(x.step) }),
      el('strong', { text: visible(req.method) }),
      el('span', { class: 'url', text: visible(req.url), title: visible(req.url) }),
      resp ? el('span', { class: statusClass(resp.status), text: '\u2192 ' + str(resp.status) })
        : el('span', { class: 'status status-x', text: '\u2192 no response' }),
      el('span', { class: 'case-time', text: fmtMs(x.duration_ms) }),
    ]);
    const details = el('details', { class: 'exchange' }, [summary]);
    const build = () => {
      details.append(messageNode('Request', visible(req.method) + ' ' + visible(req.url), null, req));
      if (resp) details.append(messageNode('Response', 'HTTP ' + str(resp.status), resp.status, resp));
      if (x.error) details.append(el('div', { class: 'transport-error', text: 'transport error: ' + visible(x.error) }));
    };
    return lazyDetails(details, build, open);
  }

  function messageNode(label, startLine, status, message) {
    const box = el('div', { class: 'msg' }, [
      el('div', { class: 'msg-head', text: label }),
      el('div', { class: 'start-line' + (status !== null ? ' ' + statusClass(status) : ''), text: startLine }),
    ]);
    const headers = Array.isArray(message.headers) ? message.headers : [];
    if (headers.length) {
      const table = el('table', { class: 'headers' });
      for (const h of headers) {
        const pair = Array.isArray(h) ? h : [];
        table.append(el('tr', null, [el('td', { text: visible(pair[0]) + ':' }), el('td', { text: visible(pair[1]) })]));
      }
      box.append(table);
    }
    box.append(bodyNode(str(message.body)));
    return box;
  }

  function bodyNode(body) {
    if (body === '') return el('div', { class: 'empty', text: '(empty body)' });
    const wrap = el('div');
    const pre = el('pre', { class: 'body' });
    const tools = el('div', { class: 'body-tools' }, [el('span', { text: body.length + ' characters' })]);
    let pretty = null;
    if (body.length <= PRETTY_LIMIT && /^\s*[[{]/.test(body)) {
      try {
        pretty = JSON.stringify(JSON.parse(body), null, 2);
      } catch (e) {
        pretty = null;
      }
    }
    let mode = 'raw';
    let full = body.length <= BODY_PREVIEW;
    let moreButton = null;
    const show = () => {
      const text = mode === 'pretty' ? pretty : body;
      pre.textContent = visible(full ? text : text.slice(0, BODY_PREVIEW));
      if (moreButton) moreButton.hidden = full || text.length <= BODY_PREVIEW;
    };
    if (pretty !== null) {
      const toggle = el('button', { type: 'button', class: 'btn', text: 'pretty JSON' });
      toggle.addEventListener('click', () => {
        mode = mode === 'raw' ? 'pretty' : 'raw';
        toggle.textContent = mode === 'raw' ? 'pretty JSON' : 'raw';
        show();
      });
      tools.append(toggle);
    }
    if (!full) {
      moreButton = el('button', { type: 'button', class: 'btn', text: 'show all (' + body.length + ' characters)' });
      moreButton.addEventListener('click', () => {
        full = true;
        show();
      });
      tools.append(el('span', { text: 'first ' + BODY_PREVIEW + ' shown' }), moreButton);
    }
    show();
    wrap.append(tools, pre);
    return wrap;
  }

  function renderPager(pages) {
    const pager = byId('pager');
    if (filtered.length === 0) {
      pager.replaceChildren();
      return;
    }
    const go = (page) => () => {
      state.page = page;
      update();
      const list = byId('case-list');
      if (list.scrollIntoView) list.scrollIntoView({ block: 'nearest' });
    };
    const button = (text, page, disabled, label) => {
      const b = el('button', { type: 'button', class: 'btn', text, disabled, 'aria-label': label });
      b.addEventListener('click', go(page));
      return b;
    };
    const size = el('select', { 'aria-label': 'Cases per page' }, PAGE_SIZES.map((n) => el('option', { value: n, text: n + ' per page' })));
    size.value = String(state.pageSize);
    size.addEventListener('change', () => {
      state.pageSize = Number(size.value) || PAGE_SIZES[0];
      state.page = 0;
      update();
    });
    pager.replaceChildren(
      size,
      button('\u00ab', 0, state.page === 0, 'First page'),
      button('\u2039 Prev', state.page - 1, state.page === 0, 'Previous page'),
      el('span', { text: 'Page ' + (state.page + 1) + ' of ' + pages }),
      button('Next \u203a', state.page + 1, state.page >= pages - 1, 'Next page'),
      button('\u00bb', pages - 1, state.page >= pages - 1, 'Last page'),
    );
  }

  // applyHash reads #case=<id> (open that case), #verdict=FAIL,ERROR, #q=text, #unexpected=1.
  // Returns whether a case was opened.
  function applyHash() {
    const hash = location.hash.replace(/^#/, '');
    if (!hash) return false;
    // Not URLSearchParams: it reads '+' as a space, and case ids contain '+'.
    const values = new Map();
    for (const part of hash.split('&')) {
      const eq = part.indexOf('=');
      const key = eq < 0 ? part : part.slice(0, eq);
      let value = eq < 0 ? '' : part.slice(eq + 1);
      try {
        value = decodeURIComponent(value);
      } catch (e) {
        // keep the raw text of a malformed escape
      }
      values.set(key, value);
    }
    const params = { get: (key) => (values.has(key) ? values.get(key) : null) };
    const verdicts = (params.get('verdict') || '').split(',').filter((v) => VERDICTS.includes(v));
    if (verdicts.length) state.verdicts = new Set(verdicts);
    if (params.get('unexpected') === '1') state.unexpectedOnly = true;
    const q = params.get('q') || params.get('case') || '';
    if (q) {
      state.text = q.toLowerCase();
      byId('filter-text').value = q;
    }
    const id = params.get('case');
    if (id) {
      for (const it of model.items) if (it.c.id === id) state.open.add(it.index);
    }
    return state.open.size > 0;
  }

  function showError(error) {
    const box = byId('script-error');
    if (box) {
      box.hidden = false;
      box.textContent = 'The report script failed: ' + str(error && error.stack ? error.stack : error);
    }
    document.body.setAttribute('data-state', 'error');
  }

  // readDocument returns the embedded results document (a promise: inflating is asynchronous).
  async function readDocument() {
    const data = byId('regauth-data');
    if (!data) return null;
    if (data.getAttribute('type') !== 'application/gzip+base64') return JSON.parse(data.textContent);
    const binary = atob(data.textContent.trim());
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return JSON.parse(await new Response(stream).text());
  }

  async function main() {
    const started = performance.now();
    const doc = await readDocument();
    if (!doc || typeof doc !== 'object') throw new Error('no results document embedded');
    model = buildModel(doc);
    renderSummary();
    renderBreakdown();
    renderMatrix();
    renderClientGrid();
    setupFilters();
    const openedFromHash = applyHash();
    update();
    if (openedFromHash) {
      const detail = document.querySelector('#case-list .case-row[aria-expanded="true"]');
      if (detail && detail.scrollIntoView) detail.scrollIntoView({ block: 'start' });
    }
    document.body.setAttribute('data-render-ms', String(Math.round(performance.now() - started)));
    // Since navigation start: what a reader waits for (bench/reports.sh).
    document.body.setAttribute('data-ready-ms', String(Math.round(performance.now())));
    document.body.setAttribute('data-state', 'ready');
  }

  main().catch(showError);
})();
