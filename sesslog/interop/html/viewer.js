// sesslog session viewer. Reads the session from the JSON block in the page and renders only
// what is looked at: the current branch in chunks of CHUNK entries around the point of view,
// folded parts (tool calls, results, thinking, data) when they are opened. Text goes into the
// page through textContent and text nodes only; links are made for http(s) URLs only; images
// only from base64 data of a few raster types.
'use strict';
const GZIP_BASE64 = 'application/x-sesslog-gzip-base64';
(function () {
  // ------------------------------------------------------------------ the data
  // The session travels as JSON, or (by default) as gzip-compressed JSON in base64, which the
  // browser's own DecompressionStream inflates: no network, no library.
  const block = document.getElementById('sesslog-data');
  const failed = (why) => {
    const note = document.createElement('p');
    note.className = 'noscript';
    note.textContent = 'This page cannot show the session: ' + String(why);
    document.getElementById('entries').appendChild(note);
    document.body.dataset.error = String(why);
  };
  if (block.type === GZIP_BASE64) {
    if (typeof DecompressionStream !== 'function') {
      failed('this browser has no DecompressionStream (export with --uncompressed for older browsers)');
      return;
    }
    const text = atob(block.textContent);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    const inflated = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    new Response(inflated).text().then((json) => view(JSON.parse(json)), failed);
  } else {
    view(JSON.parse(block.textContent));
  }

  function view(data) {
  const CHUNK = 100;
  const meta = data.meta;
  const entries = data.entries;
  const parents = data.parents;
  const N = entries.length;
  const $ = (id) => document.getElementById(id);
  const main = $('main');
  const list = $('entries');

  // ------------------------------------------------------------------ the tree
  const kids = new Array(N);
  const roots = [];
  for (let i = 0; i < N; i++) {
    const p = parents[i];
    if (p < 0) roots.push(i);
    else (kids[p] || (kids[p] = [])).push(i);
  }
  for (const key of Object.keys(data.forks)) kids[Number(key)] = data.forks[key];
  const childrenOf = (i) => kids[i] || [];
  const siblingsOf = (i) => (parents[i] < 0 ? roots : kids[parents[i]]);

  const byId = new Map();
  const resultOf = new Map(); // tool call id -> index of its toolResult entry
  const callAt = new Map(); // tool call id -> index of the assistant entry making the call
  entries.forEach((e, i) => {
    if (!isObject(e)) return;
    if (typeof e.id === 'string') byId.set(e.id, i);
    const m = e.message;
    if (e.type !== 'message' || !isObject(m)) return;
    if (m.role === 'toolResult' && typeof m.toolCallId === 'string' && !resultOf.has(m.toolCallId)) {
      resultOf.set(m.toolCallId, i);
    } else if (m.role === 'assistant' && Array.isArray(m.content)) {
      for (const b of m.content) {
        if (isObject(b) && b.type === 'toolCall' && !callAt.has(String(b.id))) callAt.set(String(b.id), i);
      }
    }
  });
  const labelAt = new Map();
  for (const [id, label] of Object.entries(meta.labels || {})) {
    if (byId.has(id)) labelAt.set(byId.get(id), String(label));
  }

  // The newest leaf (last in file order) of the subtree under entry i.
  function latestLeaf(i) {
    let best = -1;
    const stack = [i];
    while (stack.length) {
      const node = stack.pop();
      const ch = childrenOf(node);
      if (!ch.length && node > best) best = node;
      for (const c of ch) stack.push(c);
    }
    return best;
  }

  // ------------------------------------------------------------------ text and elements
  function isObject(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); }
  const ANSI = /\x1b\[[0-9;]*m/g;
  // C0 and C1 controls, and the bidi overrides and isolates that can reorder what is shown.
  const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;
  const LINK = /\bhttps?:\/\/[^\s<>"'`]+[^\s<>"'`.,;:!?)\]]/gi;

  function clean(value) {
    return String(value).replace(ANSI, '').replace(/\r\n?/g, '\n').replace(CONTROL, (c) => {
      const n = c.charCodeAt(0);
      return n === 0x7f ? '\u2421' : n < 0x20 ? String.fromCharCode(0x2400 + n) : '\ufffd';
    });
  }
  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = clean(text);
    return node;
  }
  function oneLine(value, max) {
    const s = clean(value).replace(/\s+/g, ' ').trim();
    return s.length > max ? s.slice(0, max - 1) + '\u2026' : s;
  }
  // Text with http(s) links and the search query marked.
  function addText(parent, value) {
    const s = clean(value);
    let at = 0;
    for (const m of s.matchAll(LINK)) {
      addMarked(parent, s.slice(at, m.index));
      const a = document.createElement('a');
      a.href = m[0];
      a.rel = 'noopener noreferrer nofollow';
      a.target = '_blank';
      addMarked(a, m[0]);
      parent.appendChild(a);
      at = m.index + m[0].length;
    }
    addMarked(parent, s.slice(at));
    return parent;
  }
  function addMarked(parent, s) {
    const low = query ? s.toLowerCase() : '';
    if (!query || low.length !== s.length) {
      parent.appendChild(document.createTextNode(s));
      return;
    }
    let at = 0;
    let k;
    while ((k = low.indexOf(query, at)) !== -1) {
      parent.appendChild(document.createTextNode(s.slice(at, k)));
      parent.appendChild(el('mark', '', s.slice(k, k + query.length)));
      at = k + query.length;
    }
    parent.appendChild(document.createTextNode(s.slice(at)));
  }
  function textBlock(parent, value, tag) {
    parent.appendChild(addText(el(tag || 'div', tag === 'pre' ? '' : 'text'), value));
  }
  function json(value) {
    try { return JSON.stringify(value, null, 2); } catch (err) { return String(value); }
  }
  // A folded part whose content is built the first time it is opened.
  function fold(parent, summary, fill, cls) {
    const d = el('details', 'fold' + (cls ? ' ' + cls : ''));
    d.appendChild(addText(el('summary'), oneLine(summary, 160)));
    let filled = false;
    d.addEventListener('toggle', () => {
      if (d.open && !filled) { filled = true; fill(d); }
    });
    parent.appendChild(d);
    return d;
  }
  const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
  const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
  function image(parent, block) {
    const type = String(block.mimeType || '').toLowerCase();
    const b64 = typeof block.data === 'string' ? block.data.replace(/\s+/g, '') : '';
    if (!IMAGE_TYPES.has(type) || !BASE64.test(b64)) {
      parent.appendChild(el('div', 'note', '[image not shown: ' + oneLine(type || '?', 40) + ']'));
      return;
    }
    const img = el('img', 'shot');
    img.alt = 'image (' + type + ')';
    img.src = 'data:' + type + ';base64,' + b64;
    parent.appendChild(img);
  }
  function number(v) { return typeof v === 'number' && isFinite(v) ? v : 0; }
  function fmt(v) { return number(v).toLocaleString('en-US'); }
  function money(v) { return '$' + number(v).toFixed(4); }

  // ------------------------------------------------------------------ entries
  function content(parent, value) {
    if (typeof value === 'string') { textBlock(parent, value); return; }
    if (!Array.isArray(value)) return;
    for (const b of value) {
      if (!isObject(b)) continue;
      if (b.type === 'text') textBlock(parent, b.text);
      else if (b.type === 'image') image(parent, b);
      else if (b.type === 'thinking') {
        const text = b.redacted ? '(redacted)' : b.thinking;
        fold(parent, b.redacted ? 'Thinking (redacted)' : 'Thinking', (d) => textBlock(d, text), 'thinking');
      } else if (b.type === 'toolCall') toolCall(parent, b);
      else fold(parent, 'Block: ' + b.type, (d) => textBlock(d, json(b), 'pre'));
    }
  }
  function toolCall(parent, b) {
    const r = resultOf.get(String(b.id));
    const result = r === undefined ? null : entries[r].message;
    const args = isObject(b.arguments) ? b.arguments : {};
    const hint = args.command || args.path || args.file_path || args.pattern || args.query || '';
    const status = result === null ? ' (no result)' : result.isError ? ' (error)' : '';
    const d = fold(parent, 'Tool: ' + b.name + (hint ? ' ' + hint : '') + status, (node) => {
      node.appendChild(el('div', 'note', 'Arguments'));
      textBlock(node, json(b.arguments), 'pre');
      if (result === null) return;
      node.appendChild(el('div', 'note', 'Result'));
      toolOutput(node, result.content);
    }, 'tool');
    if (result !== null && result.isError) d.classList.add('failed');
  }
  function toolOutput(parent, value) {
    if (typeof value === 'string') { textBlock(parent, value, 'pre'); return; }
    for (const b of Array.isArray(value) ? value : []) {
      if (isObject(b) && b.type === 'image') image(parent, b);
      else if (isObject(b) && b.type === 'text') textBlock(parent, b.text, 'pre');
      else textBlock(parent, json(b), 'pre');
    }
  }
  function usage(parent, u) {
    if (!isObject(u)) return;
    const cost = isObject(u.cost) ? u.cost.total : 0;
    parent.appendChild(el('div', 'usage',
      'tokens: in ' + fmt(u.input) + ' \u00b7 out ' + fmt(u.output) + ' \u00b7 cache read ' +
      fmt(u.cacheRead) + ' \u00b7 cache write ' + fmt(u.cacheWrite) + ' \u00b7 cost ' + money(cost)));
  }
  // Fills the entry's body; returns [who, css classes].
  function message(m, body) {
    const role = String(m.role);
    if (role === 'user') { content(body, m.content); return ['User', 'user']; }
    if (role === 'assistant') {
      content(body, m.content);
      const failed = m.stopReason === 'error' || m.stopReason === 'aborted';
      if (m.errorMessage) body.appendChild(el('div', 'note', String(m.stopReason) + ': ' + m.errorMessage));
      else if (m.stopReason === 'length') body.appendChild(el('div', 'note', 'stopped: output length limit'));
      usage(body, m.usage);
      return ['Assistant' + (m.model ? ' \u00b7 ' + m.model : ''), failed ? 'error' : 'assistant'];
    }
    if (role === 'toolResult') {
      const name = 'Result of ' + m.toolName + (m.isError ? ' (error)' : '');
      if (onPath[callAt.get(String(m.toolCallId))]) body.appendChild(el('span', 'note', '(shown with its tool call)'));
      else fold(body, name, (d) => toolOutput(d, m.content), 'tool');
      return [name, 'tool compact'];
    }
    if (role === 'bashExecution') {
      textBlock(body, '$ ' + m.command, 'pre');
      fold(body, 'Output (exit ' + m.exitCode + (m.cancelled ? ', cancelled' : '') + ')',
        (d) => textBlock(d, m.output, 'pre'));
      return ['Bash', m.exitCode ? 'bash error' : 'bash'];
    }
    if (role === 'custom') {
      content(body, m.content);
      return ['Custom \u00b7 ' + m.customType, 'special'];
    }
    fold(body, 'Message', (d) => textBlock(d, json(m), 'pre'));
    return [role, 'special'];
  }
  function snapshot(e, body) {
    const d = isObject(e.data) ? e.data : {};
    const name = d.name || d.label || d.title || '';
    body.appendChild(el('div', 'text', name ? 'Snapshot \u201c' + name + '\u201d' : 'Snapshot'));
    fold(body, 'Snapshot data', (node) => textBlock(node, json(e.data), 'pre'));
    return ['Snapshot', 'special'];
  }
  function entryBody(e, body) {
    switch (e.type) {
      case 'message':
        return isObject(e.message) ? message(e.message, body) : ['message', 'special'];
      case 'model_change':
        body.appendChild(el('span', '', 'model \u2192 ' + e.provider + '/' + e.modelId));
        return ['', 'compact'];
      case 'thinking_level_change':
        body.appendChild(el('span', '', 'thinking level \u2192 ' + e.thinkingLevel));
        return ['', 'compact'];
      case 'compaction':
        fold(body, 'Summary of earlier context (' + fmt(e.tokensBefore) + ' tokens before)',
          (d) => textBlock(d, e.summary));
        return ['Compaction', 'special'];
      case 'branch_summary':
        textBlock(body, e.summary);
        return ['Branch summary', 'special'];
      case 'custom_message':
        content(body, e.content);
        if (e.details !== undefined) fold(body, 'Details', (d) => textBlock(d, json(e.details), 'pre'));
        return ['Custom \u00b7 ' + e.customType, 'special'];
      case 'custom':
        if (e.customType === meta.snapshotType) return snapshot(e, body);
        fold(body, 'custom \u00b7 ' + e.customType, (d) => textBlock(d, json(e.data), 'pre'));
        return ['', 'compact'];
      case 'label': {
        const target = byId.get(e.targetId);
        const text = e.label ? 'label \u201c' + e.label + '\u201d on ' : 'label cleared on ';
        body.appendChild(el('span', '', text));
        const go = el('button', '', String(e.targetId));
        if (target === undefined) go.disabled = true;
        else go.addEventListener('click', () => jumpTo(target));
        body.appendChild(go);
        return ['', 'compact'];
      }
      case 'session_info':
        body.appendChild(el('span', '', 'session named \u201c' + e.name + '\u201d'));
        return ['', 'compact'];
      default:
        fold(body, String(e.type), (d) => textBlock(d, json(e), 'pre'));
        return ['', 'compact'];
    }
  }
  function renderEntry(i) {
    const e = isObject(entries[i]) ? entries[i] : {};
    const art = el('article', 'entry');
    art.id = 'e' + i;
    const head = el('header', 'entry-head');
    const body = el('div', 'entry-body');
    const [who, cls] = entryBody(e, body);
    art.className = 'entry ' + cls;
    if (who) head.appendChild(addText(el('span', 'who'), who));
    if (labelAt.has(i)) head.appendChild(addText(el('span', 'badge'), labelAt.get(i)));
    head.appendChild(el('span', 'when', String(e.timestamp || '').replace('T', ' ').replace(/\.\d+Z$/, 'Z')));
    head.appendChild(el('span', 'eid', String(e.id)));
    const sibs = siblingsOf(i);
    if (sibs.length > 1) head.appendChild(switcher(i, sibs));
    art.appendChild(head);
    art.appendChild(body);
    return art;
  }
  function switcher(i, sibs) {
    const k = sibs.indexOf(i);
    const box = el('span', 'switch');
    const prev = el('button', 'branch-prev', '\u2039');
    const next = el('button', 'branch-next', '\u203a');
    prev.title = 'previous branch';
    next.title = 'next branch';
    prev.disabled = k === 0;
    next.disabled = k === sibs.length - 1;
    prev.addEventListener('click', () => show(latestLeaf(sibs[k - 1]), sibs[k - 1]));
    next.addEventListener('click', () => show(latestLeaf(sibs[k + 1]), sibs[k + 1]));
    box.appendChild(prev);
    box.appendChild(el('span', '', 'branch ' + (k + 1) + '/' + sibs.length));
    box.appendChild(next);
    return box;
  }

  // ------------------------------------------------------------------ the branch on screen
  let path = [];
  let onPath = new Uint8Array(N);
  let first = 0;
  let last = 0;
  let query = '';
  const observer = new IntersectionObserver((seen) => {
    if (seen.some((s) => s.isIntersecting)) showLater();
  }, { root: main, rootMargin: '400px' });

  function setLeaf(leaf) {
    for (const i of path) onPath[i] = 0;
    path = [];
    for (let i = leaf; i >= 0; i = parents[i]) path.push(i);
    path.reverse();
    for (const i of path) onPath[i] = 1;
    const u = usageSum(path);
    $('branch-info').textContent = clean('branch to ' + (N ? entries[leaf].id : '-') + ': ' +
      fmt(path.length) + ' entries \u00b7 ' + fmt(u.tokens) + ' tokens \u00b7 ' + money(u.cost));
    markTree();
  }
  // Show the branch ending at `leaf`, scrolled to entry `focus` (default: its first entry).
  function show(leaf, focus) {
    setLeaf(leaf);
    const at = focus === undefined ? 0 : Math.max(0, path.indexOf(focus));
    renderWindow(at);
    if (focus !== undefined) reveal(focus, false);
    else main.scrollTop = 0;
  }
  function renderWindow(at) {
    const start = Math.max(0, at - 10);
    renderRange(start, Math.min(path.length, start + CHUNK));
  }
  function renderRange(from, to) {
    first = from;
    last = to;
    list.textContent = '';
    if (!path.length) list.appendChild(el('p', 'muted', 'This session has no entries.'));
    list.appendChild(el('div', 'top-marker'));
    const frag = document.createDocumentFragment();
    for (let k = first; k < last; k++) frag.appendChild(renderEntry(path[k]));
    list.appendChild(frag);
    list.appendChild(el('div', 'bottom-marker'));
    controls();
  }
  function controls() {
    for (const old of list.querySelectorAll('.more')) old.remove();
    observer.disconnect();
    if (first > 0) {
      const b = el('button', 'more earlier', 'Show earlier entries (' + fmt(first) + ' above)');
      b.addEventListener('click', showEarlier);
      list.querySelector('.top-marker').after(b);
    }
    if (last < path.length) {
      const b = el('button', 'more later', 'Show more (' + fmt(path.length - last) + ' below)');
      b.addEventListener('click', showLater);
      list.querySelector('.bottom-marker').before(b);
      observer.observe(b);
    }
  }
  function showLater() {
    const end = Math.min(path.length, last + CHUNK);
    const frag = document.createDocumentFragment();
    for (let k = last; k < end; k++) frag.appendChild(renderEntry(path[k]));
    last = end;
    list.querySelector('.bottom-marker').before(frag);
    controls();
  }
  function showEarlier() {
    const start = Math.max(0, first - CHUNK);
    const frag = document.createDocumentFragment();
    for (let k = start; k < first; k++) frag.appendChild(renderEntry(path[k]));
    const height = main.scrollHeight;
    first = start;
    list.querySelector('.top-marker').after(frag);
    controls();
    main.scrollTop += main.scrollHeight - height;
  }
  function reveal(i, openFolds) {
    const art = $('e' + i);
    if (!art) return;
    if (openFolds) for (const d of art.querySelectorAll('details')) d.open = true;
    art.scrollIntoView({ block: 'center' });
    art.classList.add('flash');
    setTimeout(() => art.classList.remove('flash'), 1500);
  }
  function jumpTo(i) {
    if (!onPath[i]) setLeaf(latestLeaf(i));
    // A tool result on the branch is shown folded under its call: go there instead.
    const m = entries[i].message;
    const call = isObject(m) && m.role === 'toolResult' ? callAt.get(String(m.toolCallId)) : undefined;
    const target = call !== undefined && onPath[call] ? call : i;
    renderWindow(path.indexOf(target));
    reveal(target, true);
  }

  // ------------------------------------------------------------------ side panels
  function entrySummary(i) {
    const e = entries[i];
    if (!isObject(e)) return '?';
    const m = e.message;
    if (e.type === 'message' && isObject(m)) {
      if (typeof m.content === 'string') return m.content;
      for (const b of Array.isArray(m.content) ? m.content : []) {
        if (isObject(b) && b.type === 'text') return b.text;
      }
      return m.role;
    }
    return e.summary || e.customType || e.type;
  }
  // The tree as segments: each run of entries without a fork, in pre-order.
  const segments = [];
  (function () {
    const stack = roots.slice().reverse().map((r) => [r, 0]);
    while (stack.length) {
      const [start, depth] = stack.pop();
      let end = start;
      let count = 1;
      while (childrenOf(end).length === 1) { end = childrenOf(end)[0]; count++; }
      segments.push({ start, end, depth, count });
      const ch = childrenOf(end);
      for (let k = ch.length - 1; k >= 0; k--) stack.push([ch[k], depth + 1]);
    }
  })();
  function firstUserText(seg) {
    let i = seg.start;
    for (let k = 0; k < 50; k++) {
      const e = entries[i];
      if (isObject(e) && e.type === 'message' && isObject(e.message) && e.message.role === 'user') return entrySummary(i);
      if (i === seg.end) break;
      i = childrenOf(i)[0];
    }
    return entrySummary(seg.start);
  }
  const treeRows = [];
  function buildTree() {
    const ol = $('tree');
    for (const seg of segments) {
      const li = el('li', 'depth-' + Math.min(seg.depth, 8));
      const leafNote = childrenOf(seg.end).length ? '' : ' \u00b7 leaf';
      const b = el('button', 'segment', oneLine(firstUserText(seg), 70) + ' (' + seg.count + leafNote + ')');
      b.addEventListener('click', () => show(latestLeaf(seg.start), seg.start));
      li.appendChild(b);
      ol.appendChild(li);
      treeRows.push([seg, li]);
    }
  }
  function markTree() {
    for (const [seg, li] of treeRows) li.classList.toggle('active', onPath[seg.start] === 1);
  }
  function listPanel(id, items) {
    const ol = $(id);
    for (const [i, text] of items) {
      const li = el('li');
      const b = el('button', '', oneLine(text, 80));
      b.addEventListener('click', () => jumpTo(i));
      li.appendChild(b);
      ol.appendChild(li);
    }
    if (!items.length) ol.appendChild(el('li', 'muted', 'none'));
  }
  // Usage summed over the assistant messages among the given entries.
  function usageSum(indexes) {
    const sum = { responses: 0, tokens: 0, input: 0, output: 0, cacheRead: 0, cacheWrite: 0, cost: 0, models: new Set() };
    for (const i of indexes) {
      const e = entries[i];
      const m = isObject(e) && e.type === 'message' ? e.message : null;
      if (!isObject(m) || m.role !== 'assistant') continue;
      if (m.model) sum.models.add(m.provider + '/' + m.model);
      const u = m.usage;
      if (!isObject(u)) continue;
      const counts = number(u.input) + number(u.output) + number(u.cacheRead) + number(u.cacheWrite);
      sum.responses += 1;
      sum.tokens += u.totalTokens === undefined ? counts : number(u.totalTokens);
      sum.input += number(u.input);
      sum.output += number(u.output);
      sum.cacheRead += number(u.cacheRead);
      sum.cacheWrite += number(u.cacheWrite);
      sum.cost += number(isObject(u.cost) ? u.cost.total : 0);
    }
    return sum;
  }
  function metaPanel() {
    const dl = $('meta');
    const u = usageSum(entries.keys());
    const rows = [
      ['id', meta.id], ['cwd', meta.cwd], ['created', meta.created], ['format', 'v' + meta.fileVersion],
      ['parent', meta.parentSession], ['entries', fmt(meta.entries)], ['branches', fmt(meta.branches)],
      ['models', [...u.models].join(', ')],
      ['tokens', fmt(u.tokens) + ' (in ' + fmt(u.input) + ', out ' + fmt(u.output) + ', cache read ' +
        fmt(u.cacheRead) + ', write ' + fmt(u.cacheWrite) + ')'],
      ['cost', money(u.cost) + ' over ' + fmt(u.responses) + ' responses'],
    ];
    for (const [k, v] of rows) {
      if (v === null || v === undefined || v === '') continue;
      dl.appendChild(el('dt', '', k));
      dl.appendChild(el('dd', '', v));
    }
  }

  // ------------------------------------------------------------------ search
  const SKIP = new Set(['id', 'parentId', 'timestamp', 'type', 'role', 'api', 'provider', 'stopReason',
    'mimeType', 'thinkingSignature', 'signature', 'toolCallId']);
  let texts = null;
  function entryText(e) {
    const out = [];
    const stack = [e];
    while (stack.length) {
      const v = stack.pop();
      if (typeof v === 'string') out.push(v);
      else if (Array.isArray(v)) for (let k = v.length - 1; k >= 0; k--) stack.push(v[k]);
      else if (isObject(v) && v.type !== 'image') {
        const keys = Object.keys(v);
        for (let k = keys.length - 1; k >= 0; k--) if (!SKIP.has(keys[k])) stack.push(v[keys[k]]);
      }
    }
    return out.join('\n');
  }
  function search(text) {
    query = text.trim().toLowerCase();
    const ol = $('results');
    ol.textContent = '';
    if (!query) {
      $('search-status').textContent = '';
      renderRange(first, last);
      return;
    }
    if (texts === null) texts = entries.map((e) => clean(entryText(e)).toLowerCase());
    const hits = [];
    for (let i = 0; i < N; i++) if (texts[i].includes(query)) hits.push(i);
    $('search-status').textContent = clean(fmt(hits.length) + (hits.length === 1 ? ' entry matches' : ' entries match') +
      (hits.length > 200 ? ' (first 200 listed)' : ''));
    for (const i of hits.slice(0, 200)) {
      const li = el('li', onPath[i] ? 'hit on-path' : 'hit');
      const b = addText(el('button'), oneLine(snippet(i), 120));
      b.addEventListener('click', () => jumpTo(i));
      li.appendChild(b);
      ol.appendChild(li);
    }
    renderRange(first, last);
  }
  // The text around the first match in entry i (in its own case where lower-casing kept the length).
  function snippet(i) {
    const low = texts[i];
    const k = low.indexOf(query);
    const full = clean(entryText(entries[i]));
    const source = full.length === low.length ? full : low;
    return (k > 30 ? '\u2026' : '') + source.slice(Math.max(0, k - 30), k + query.length + 60);
  }

  // ------------------------------------------------------------------ start
  document.title = clean(meta.title);
  $('title').textContent = clean(meta.title);
  metaPanel();
  buildTree();
  listPanel('labels', [...labelAt.entries()]);
  listPanel('snapshots', entries.flatMap((e, i) => (isObject(e) && e.type === 'custom' && e.customType === meta.snapshotType
    ? [[i, (isObject(e.data) && (e.data.name || e.data.label || e.data.title)) || e.id]] : [])));
  $('search').addEventListener('submit', (ev) => { ev.preventDefault(); search($('query').value); });
  $('go-top').addEventListener('click', () => { renderWindow(0); main.scrollTop = 0; });
  $('go-leaf').addEventListener('click', () => {
    renderWindow(Math.max(0, path.length - CHUNK + 10));
    main.scrollTop = main.scrollHeight;
  });
  show(N ? data.leaf : -1);
  document.body.dataset.ready = '1';
  }
})();
