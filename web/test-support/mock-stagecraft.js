// STAGECRAFT-MOCK — a stand-in for web/pkg/stagecraft_wasm.js, for developing and testing the web
// pages before the real wasm build exists. It implements the JS API of docs/interfaces.md §1 with
// a small line-based reading of Dockerfiles: global ARGs, FROM, COPY --from, RUN --mount from=,
// description comments, simple heredocs. It is NOT stagecraft's analysis (no escape directive,
// no ONBUILD, no BuildKit lint rules beyond a handful) and must never be shipped: build.sh does
// not copy it, and tests/run.mjs serves it as pkg/stagecraft_wasm.js only when STAGECRAFT_MOCK=1.

const INSTRUCTIONS = ['FROM', 'RUN', 'CMD', 'LABEL', 'MAINTAINER', 'EXPOSE', 'ENV', 'ADD', 'COPY',
  'ENTRYPOINT', 'VOLUME', 'USER', 'WORKDIR', 'ARG', 'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL'];
const STAGE_NAME = /^[a-z][a-z0-9\-_.]*$/;
const RESERVED = new Set(['scratch', 'context']);
const RULE_URL = (rule) => `https://docs.docker.com/go/dockerfile/rule/${rule.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}/`;

/** wasm-bindgen's default export; nothing to load here. */
export default async function init() {}

// ---------------------------------------------------------------------------------------------
// Reading the text

function physicalLines(text) {
  const lines = [];
  const re = /\r\n|\n|\r/g;
  let start = 0;
  let m;
  while ((m = re.exec(text))) {
    lines.push({ start, end: m.index, text: text.slice(start, m.index) });
    start = m.index + m[0].length;
  }
  lines.push({ start, end: text.length, text: text.slice(start) });
  return lines;
}

/** Whitespace-separated words with their offsets; a trailing `\` continuation is not a word. */
function wordsOf(parts) {
  const words = [];
  for (const p of parts) {
    const body = p.text.replace(/\\\s*$/, '');
    const re = /\S+/g;
    let m;
    while ((m = re.exec(body))) words.push({ text: m[0], from: p.start + m.index, to: p.start + m.index + m[0].length });
  }
  return words;
}

/** Logical instructions: continuations joined, comments above each kept for descriptions. */
function readInstructions(text) {
  const lines = physicalLines(text);
  const out = [];
  let comments = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    const t = l.text.trim();
    if (t === '') { comments = []; continue; }
    if (t.startsWith('#')) { comments.push(t.replace(/^#\s?/, '')); continue; }
    const parts = [l];
    let j = i;
    let last = l;
    while (/\\\s*$/.test(last.text) && j + 1 < lines.length) {
      j++;
      const tt = lines[j].text.trim();
      if (tt === '' || tt.startsWith('#')) continue; // skipped inside a continuation
      parts.push(lines[j]);
      last = lines[j];
    }
    const words = wordsOf(parts);
    // A heredoc (`<<EOF`, `<<-"EOF"`) reads lines up to its terminator.
    for (const w of words) {
      const h = /^<<-?(["']?)([A-Za-z_][A-Za-z0-9_]*)\1$/.exec(w.text.replace(/^\d/, ''));
      if (!h) continue;
      while (j + 1 < lines.length) {
        j++;
        last = lines[j];
        if (lines[j].text.trim() === h[2]) break;
      }
    }
    const lead = l.text.length - l.text.trimStart().length;
    out.push({
      keyword: words[0].text.toUpperCase(),
      words,
      from: l.start + lead,
      to: last.start + last.text.trimEnd().length,
      line: i + 1,
      endLine: j + 1,
      comments,
    });
    comments = [];
    i = j;
  }
  return { lines, instructions: out };
}

function expand(word, vars) {
  let ok = true;
  const value = word.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_, a, def, b) => {
    const key = a || b;
    if (vars.has(key) && vars.get(key) != null) return vars.get(key);
    if (def !== undefined) return def;
    ok = false;
    return '';
  });
  return ok ? value : null;
}

function levenshtein(a, b) {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length];
}

function closest(value, options) {
  let best = null;
  let dist = 3;
  for (const o of options) {
    const dd = levenshtein(value.toLowerCase(), o.toLowerCase());
    if (dd > 0 && dd < dist) { best = o; dist = dd; }
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// The model

function model(text, options = {}, withPlans = true) {
  const { lines, instructions } = readInstructions(text);
  const lineStarts = lines.map((l) => l.start);
  const lineOf = (off) => {
    let lo = 0; let hi = lineStarts.length - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (lineStarts[mid] <= off) lo = mid; else hi = mid - 1; }
    return lo + 1;
  };
  const colOf = (off) => off - lineStarts[lineOf(off) - 1] + 1;
  const buildArgs = new Map(Object.entries(options.buildArgs || {}));
  const skipped = new Set();
  for (const l of lines) {
    const t = l.text.trim();
    if (!t.startsWith('#')) break;
    const m = /^#\s*check\s*=\s*skip\s*=\s*(\S+)/i.exec(t);
    if (m) m[1].split(',').forEach((r) => skipped.add(r.trim()));
  }

  const stages = [];
  const references = [];
  const diagnostics = [];
  const globalArgs = [];
  const vars = new Map();
  const deps = []; // per stage: [{kind: 'from'|'copy'|'mount', stage|image|scratch}]
  const diag = (code, severity, from, to, message, extra = {}) => diagnostics.push({
    code, severity, message, from, to,
    line: lineOf(from), column: colOf(from), endLine: lineOf(to), endColumn: colOf(to),
    unnecessary: false, url: null, fix: null, ...extra,
  });

  for (const ins of instructions) {
    const kw = ins.keyword;
    if (!INSTRUCTIONS.includes(kw)) {
      const hint = closest(kw, INSTRUCTIONS);
      diag('syntax-error', 'error', ins.words[0].from, ins.words[0].to,
        `unknown instruction: ${ins.words[0].text}${hint ? ` (did you mean ${hint}?)` : ''}`);
      continue;
    }
    if (kw === 'ARG' && stages.length === 0) {
      for (const w of ins.words.slice(1)) {
        const [key, ...rest] = w.text.split('=');
        const value = rest.length ? rest.join('=').replace(/^["']|["']$/g, '') : null;
        const given = buildArgs.get(key);
        const expanded = given ?? (value == null ? null : expand(value, vars));
        vars.set(key, expanded);
        globalArgs.push({ key, value, expanded, from: w.from, to: w.to, line: ins.line });
      }
      continue;
    }
    if (kw === 'FROM') {
      const index = stages.length;
      const args = ins.words.slice(1);
      const flags = args.filter((w) => w.text.startsWith('--'));
      const rest = args.filter((w) => !w.text.startsWith('--'));
      const baseWord = rest[0];
      const nameWord = rest.length >= 3 ? rest[2] : null;
      if (!baseWord || (rest.length !== 1 && rest.length !== 3)) {
        diag('syntax-error', 'error', ins.from, ins.to, 'FROM requires either one or three arguments');
      }
      const name = nameWord ? nameWord.text.toLowerCase() : null;
      const base = baseWord ? baseWord.text : '';
      const baseExpanded = base.includes('$') ? expand(base, vars) : base;
      const platform = flags.find((f) => f.text.startsWith('--platform='));
      const stage = {
        index, name, displayName: nameWord ? nameWord.text : `stage-${index}`,
        description: null, base, baseExpanded: base.includes('$') ? baseExpanded : null,
        baseKind: 'unresolved', baseStage: null, baseImage: null,
        platform: platform ? platform.text.slice('--platform='.length) : null,
        from: ins.from, to: ins.to,
        nameFrom: nameWord ? nameWord.from : null, nameTo: nameWord ? nameWord.to : null,
        stageFrom: ins.from, stageTo: ins.to, line: ins.line, unused: false,
      };
      if (name) {
        for (const c of ins.comments) {
          if (c.startsWith(`${name} `)) { stage.description = c.slice(name.length + 1).trim(); break; }
        }
        if (!STAGE_NAME.test(name)) diag('syntax-error', 'error', nameWord.from, nameWord.to, `invalid name for build stage: "${nameWord.text}", name can't start with a number or contain symbols`);
        if (nameWord.text !== name) diag('StageNameCasing', 'warning', nameWord.from, nameWord.to, `Stage name '${nameWord.text}' should be lowercase`, { url: RULE_URL('StageNameCasing') });
        if (RESERVED.has(name)) diag('ReservedStageName', 'warning', nameWord.from, nameWord.to, `Stage name should not use the same name as reserved stage "${name}"`, { url: RULE_URL('ReservedStageName') });
        if (stages.some((s) => s.name === name)) diag('DuplicateStageName', 'warning', nameWord.from, nameWord.to, `Duplicate stage name "${name}", stage names should be unique`, { url: RULE_URL('DuplicateStageName') });
      }
      const myDeps = [];
      if (baseWord) {
        const key = (baseExpanded ?? '').toLowerCase();
        const prev = [...stages].reverse().find((s) => s.name && s.name === key);
        const ref = { kind: 'from', inStage: index, value: base, from: baseWord.from, to: baseWord.to, line: ins.line, stage: null, image: null, forward: false, origin: 'direct' };
        if (prev) {
          Object.assign(stage, { baseKind: 'stage', baseStage: prev.index });
          ref.stage = prev.index;
          myDeps.push({ kind: 'from', stage: prev.index, from: baseWord.from });
        } else if (key === 'scratch') {
          stage.baseKind = 'scratch';
          myDeps.push({ kind: 'from', scratch: true, from: baseWord.from });
        } else if (baseExpanded && !baseExpanded.includes('$')) {
          Object.assign(stage, { baseKind: 'image', baseImage: baseExpanded });
          ref.image = baseExpanded;
          myDeps.push({ kind: 'from', image: baseExpanded, from: baseWord.from });
        } else {
          diag('UndefinedArgInFrom', 'warning', baseWord.from, baseWord.to, `FROM argument '${base}' is not declared`, { url: RULE_URL('UndefinedArgInFrom') });
        }
        references.push(ref);
      }
      stages.push(stage);
      deps.push(myDeps);
      continue;
    }
    const stage = stages[stages.length - 1];
    if (!stage) {
      diag('syntax-error', 'error', ins.from, ins.to, 'no build stage in current context');
      continue;
    }
    stage.stageTo = ins.to;
    const myDeps = deps[stage.index];
    const flagWords = [];
    for (const w of ins.words.slice(1)) { if (!w.text.startsWith('--')) break; flagWords.push(w); }
    const refTo = (kind, value, from, numeric) => {
      const ref = { kind, inStage: stage.index, value, from, to: from + value.length, line: lineOf(from), stage: null, image: null, forward: false, origin: 'direct' };
      const key = value.toLowerCase();
      let target = null;
      if (numeric && /^\d+$/.test(value)) target = Number(value);
      else target = [...stages].reverse().find((s) => s.name === key)?.index ?? null;
      if (target !== null && target < stages.length) {
        ref.stage = target;
        ref.forward = target >= stage.index;
        myDeps.push({ kind: kind === 'copy-from' ? 'copy' : 'mount', stage: target, from });
        if (ref.forward) diag('forward-reference', 'error', ref.from, ref.to, `stage \`${value}\` is the same stage or a later one: the build fails`);
      } else if (value.includes('$')) {
        diag('variable-reference', 'warning', ref.from, ref.to, `\`${value}\`: --from does not expand variables`);
      } else {
        ref.image = value;
        myDeps.push({ kind: kind === 'copy-from' ? 'copy' : 'mount', [key === 'scratch' ? 'scratch' : 'image']: value, from });
        const hint = closest(key, stages.filter((s) => s.name).map((s) => s.name));
        if (hint) diag('unknown-stage', 'warning', ref.from, ref.to, `no stage named \`${value}\` (did you mean \`${hint}\`?); BuildKit pulls it as an image`);
      }
      references.push(ref);
    };
    if (kw === 'COPY' || kw === 'ADD') {
      for (const f of flagWords) if (f.text.startsWith('--from=') && f.text.length > 7) refTo('copy-from', f.text.slice(7), f.from + 7, true);
    }
    if (kw === 'RUN') {
      for (const f of flagWords) {
        if (!f.text.startsWith('--mount=')) continue;
        let off = f.from + 8;
        for (const field of f.text.slice(8).split(',')) {
          if (field.toLowerCase().startsWith('from=') && field.length > 5) refTo('mount-from', field.slice(5), off + 5, false);
          off += field.length + 1;
        }
      }
    }
    if ((kw === 'CMD' || kw === 'ENTRYPOINT') && !skipped.has('JSONArgsRecommended') && !(ins.words[1]?.text.startsWith('['))) {
      diag('JSONArgsRecommended', 'warning', ins.from, ins.to, `JSON arguments recommended for ${kw} to prevent unintended behavior related to OS signals`, { url: RULE_URL('JSONArgsRecommended') });
    }
  }

  // Targets, plans and unused stages.
  const direct = deps.map((ds) => [...new Set(ds.filter((d) => d.stage !== undefined).map((d) => d.stage))]);
  const closure = (t) => {
    const seen = new Set();
    const stack = [t];
    while (stack.length) { const s = stack.pop(); if (seen.has(s)) continue; seen.add(s); stack.push(...direct[s]); }
    return [...seen].sort((a, b) => a - b);
  };
  // Every dependency of a stage is in its closure, so a stage's wave (the longest chain of
  // dependencies below it) does not depend on the target: compute it once.
  const depth = new Array(stages.length).fill(-1);
  const depthOf = (s, visiting = new Set()) => {
    if (depth[s] >= 0) return depth[s];
    if (visiting.has(s)) return 0; // a cycle: the build fails anyway
    visiting.add(s);
    let d = 0;
    for (const p of direct[s]) if (p !== s) d = Math.max(d, depthOf(p, visiting) + 1);
    visiting.delete(s);
    return (depth[s] = d);
  };
  const plan = (t) => {
    const set = closure(t);
    const waves = [];
    for (const s of set) (waves[depthOf(s)] ||= []).push(s);
    const dense = waves.filter(Boolean);
    const order = dense.flat();
    const images = [];
    for (const s of order) for (const d of deps[s]) if (d.image && !images.includes(d.image)) images.push(d.image);
    return { stages: order, waves: dense, images, legacyStages: Array.from({ length: t + 1 }, (_, i) => i) };
  };
  const defaultTarget = stages.length ? stages.length - 1 : null;
  const findTarget = (name) => [...stages].reverse().find((s) => s.name === String(name).toLowerCase())?.index;
  const targets = [];
  for (const s of stages) {
    const isDefault = s.index === defaultTarget;
    if (!s.name && !isDefault) continue;
    const dup = targets.findIndex((t) => s.name && t.name === s.name);
    if (dup >= 0) targets.splice(dup, 1);
    targets.push({ stage: s.index, name: s.name, description: s.description, isDefault, plan: withPlans ? plan(s.index) : null });
  }
  const inPlay = [defaultTarget, ...(options.targets || []).map(findTarget)].filter((t) => t != null);
  const used = new Set(inPlay.flatMap(closure));
  const unusedStages = stages.filter((s) => !used.has(s.index)).map((s) => s.index);
  for (const i of unusedStages) {
    const s = stages[i];
    s.unused = true;
    const removeFrom = lineStarts[s.line - 1];
    const next = stages[i + 1];
    const removeTo = next ? lineStarts[next.line - 1] : text.length;
    diag('unused-stage', 'hint', s.nameFrom ?? s.from, s.nameTo ?? s.to,
      `stage \`${s.displayName}\` is not used: the default target \`${stages[defaultTarget].displayName}\` does not build it, so BuildKit skips it (the legacy builder still builds it)`,
      { unnecessary: true, fix: { title: `Remove stage \`${s.displayName}\``, edits: [{ from: removeFrom, to: removeTo, insert: '' }] } });
  }
  diagnostics.sort((a, b) => a.from - b.from || a.code.localeCompare(b.code));

  // The graph: stage nodes, then images and scratch as first used.
  const nodes = stages.map((s) => ({ kind: 'stage', stage: s.index }));
  const edges = [];
  deps.forEach((ds, s) => {
    for (const d of ds) {
      let id;
      if (d.stage !== undefined) id = d.stage;
      else {
        const label = d.scratch ? 'scratch' : d.image;
        id = nodes.findIndex((n) => n.kind !== 'stage' && n.label === label);
        if (id < 0) { nodes.push({ kind: d.scratch ? 'scratch' : 'image', label }); id = nodes.length - 1; }
      }
      edges.push({ source: id, stage: s, kind: d.kind });
    }
  });

  return {
    analysis: { stages, references, targets, defaultTarget, unusedStages, diagnostics, globalArgs },
    graph: { nodes, edges }, findTarget, plan, lineOf,
  };
}

// ---------------------------------------------------------------------------------------------
// The API

export function analyze(text, options) {
  return model(String(text), options || {}).analysis;
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const SVG_STYLE = `
.stagecraft-graph{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
.stagecraft-graph .node rect{fill:#fff;stroke:#64748b;stroke-width:1.2}
.stagecraft-graph .node.stage rect{fill:#eef3ff;stroke:#3f5bd8}
.stagecraft-graph .node.image rect,.stagecraft-graph .node.scratch rect{fill:#f6f7f9;stroke:#8a94a6;stroke-dasharray:3 2}
.stagecraft-graph .node.default-target rect{stroke-width:2.2}
.stagecraft-graph .node.target rect{fill:#dbe6ff;stroke:#1d3fb8;stroke-width:2.6}
.stagecraft-graph .node.legacy-only rect{fill:#fff6e5;stroke:#b45309;stroke-dasharray:5 3}
.stagecraft-graph .node.unused text{font-style:italic}
.stagecraft-graph .node.selected rect{stroke:#c2410c;stroke-width:3}
.stagecraft-graph .node text{fill:#0f172a}
.stagecraft-graph .node text .sub{fill:#475569;font-size:10.5px}
.stagecraft-graph .edge path{fill:none;stroke:#64748b;stroke-width:1.3}
.stagecraft-graph .edge .head{fill:#64748b;stroke:none}
.stagecraft-graph .edge-copy path{stroke-dasharray:6 4}
.stagecraft-graph .edge-mount path{stroke-dasharray:2 3}
.stagecraft-graph .edge-onbuild path{stroke-width:2.4}
.stagecraft-graph .dimmed{opacity:.32}
.stagecraft-graph .legend text{fill:#475569;font-size:10.5px}`;

export function renderSvg(text, target) {
  const m = model(String(text), {}, false);
  const { analysis, graph } = m;
  const { stages } = analysis;
  let t = analysis.defaultTarget;
  if (target != null && target !== '') {
    t = String(target).startsWith('#') ? Number(String(target).slice(1)) : m.findTarget(target);
    if (t == null || !(t >= 0 && t < stages.length)) throw new Error(`no stage named \`${target}\``);
  }
  const plan = t == null ? null : m.plan(t);
  const inPlan = new Set(plan ? plan.stages : []);
  const legacy = new Set(plan ? plan.legacyStages : []);

  // Layered layout: a stage sits one row below its lowest dependency; images just above their
  // first user. Rows are ordered once by the mean position of their predecessors.
  const N = graph.nodes.length;
  const rank = new Array(N).fill(0);
  const preds = Array.from({ length: N }, () => []);
  const succs = Array.from({ length: N }, () => []);
  for (const e of graph.edges) { preds[e.stage].push(e.source); succs[e.source].push(e.stage); }
  for (let s = 0; s < stages.length; s++) {
    for (const p of preds[s]) if (p >= stages.length || p < s) rank[s] = Math.max(rank[s], (p >= stages.length ? 0 : rank[p]) + 1);
  }
  for (let n = stages.length; n < N; n++) rank[n] = Math.max(0, Math.min(...succs[n].map((s) => rank[s])) - 1);
  const rows = [];
  for (let n = 0; n < N; n++) (rows[rank[n]] ||= []).push(n);
  const pos = new Map();
  rows.forEach((row, r) => {
    if (r > 0) {
      const bary = (n) => { const ps = preds[n].filter((p) => rank[p] < r && pos.has(p)); return ps.length ? ps.reduce((a, p) => a + pos.get(p), 0) / ps.length : pos.size; };
      const key = new Map(row.map((n) => [n, bary(n)]));
      row.sort((a, b) => key.get(a) - key.get(b) || a - b);
    }
    row.forEach((n, i) => pos.set(n, i));
  });
  const label = (n) => (n < stages.length ? stages[n].displayName : graph.nodes[n].label);
  const sub = (n) => (n < stages.length ? `FROM ${stages[n].base}` : null);
  const size = (n) => {
    const chars = Math.max(label(n).length, sub(n) ? sub(n).length * 0.88 : 0);
    return { w: Math.max(96, Math.round(chars * 7.3 + 24)), h: n < stages.length ? 44 : 28 };
  };
  const GAP_X = 26; const ROW_H = 84; const PAD = 16;
  const box = new Array(N);
  const rowWidths = rows.map((row) => (row || []).reduce((a, n) => a + size(n).w, 0) + GAP_X * Math.max(0, (row || []).length - 1));
  const width = Math.max(260, ...rowWidths) + PAD * 2;
  rows.forEach((row, r) => {
    let x = PAD + (width - PAD * 2 - rowWidths[r]) / 2;
    for (const n of row || []) {
      const { w, h } = size(n);
      box[n] = { x, y: PAD + r * ROW_H + (44 - h) / 2, w, h };
      x += w + GAP_X;
    }
  });
  const legendY = PAD + rows.length * ROW_H;
  const height = legendY + 30;

  const out = [`<svg class="stagecraft-graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${Math.round(width)} ${height}" width="${Math.round(width)}" height="${height}"><style>${SVG_STYLE}</style>`];
  const stageClasses = (s) => {
    const c = ['node', 'stage'];
    if (s === analysis.defaultTarget) c.push('default-target');
    if (s === t) c.push('target');
    if (inPlan.has(s)) c.push('in-plan');
    else { if (legacy.has(s)) c.push('legacy-only'); c.push('dimmed'); }
    if (stages[s].unused) c.push('unused');
    return c.join(' ');
  };
  const builtNodes = new Set(inPlan);
  for (const e of graph.edges) if (inPlan.has(e.stage)) builtNodes.add(e.source);
  out.push('<g class="edges">');
  for (const e of graph.edges) {
    const a = box[e.source]; const b = box[e.stage];
    const x1 = a.x + a.w / 2; const y1 = a.y + a.h; const x2 = b.x + b.w / 2; const y2 = b.y - 2;
    const dy = Math.max(30, Math.abs(y2 - y1) / 2);
    const d = `M${x1.toFixed(1)},${y1.toFixed(1)} C${x1.toFixed(1)},${(y1 + dy).toFixed(1)} ${x2.toFixed(1)},${(y2 - dy).toFixed(1)} ${x2.toFixed(1)},${y2.toFixed(1)}`;
    const head = `M${x2.toFixed(1)},${(y2 + 1).toFixed(1)} l-4.5,-8 l9,0 z`;
    const dim = inPlan.has(e.stage) ? '' : ' dimmed';
    out.push(`<g class="edge edge-${e.kind}${dim}" data-source-node="${e.source}" data-stage="${e.stage}"><path d="${d}"/><path class="head" d="${head}"/></g>`);
  }
  out.push('</g><g class="nodes">');
  for (let n = 0; n < N; n++) {
    const b = box[n];
    const cx = (b.x + b.w / 2).toFixed(1);
    if (n < stages.length) {
      const s = stages[n];
      out.push(`<g class="${stageClasses(n)}" data-stage="${n}" data-from="${s.from}" data-line="${s.line}"><title>${esc(`${s.displayName}: FROM ${s.base} (line ${s.line})${s.description ? ` — ${s.description}` : ''}`)}</title>`
        + `<rect x="${b.x.toFixed(1)}" y="${b.y.toFixed(1)}" width="${b.w}" height="${b.h}" rx="7"/>`
        + `<text x="${cx}" y="${(b.y + 18).toFixed(1)}" text-anchor="middle"><tspan font-weight="600">${esc(s.displayName)}</tspan><tspan class="sub" x="${cx}" dy="15">${esc(sub(n))}</tspan></text></g>`);
    } else {
      const node = graph.nodes[n];
      const dim = builtNodes.has(n) ? '' : ' dimmed';
      const attr = node.kind === 'image' ? ` data-image="${esc(node.label)}"` : '';
      out.push(`<g class="node ${node.kind}${dim}"${attr}><title>${esc(node.label)}</title><rect x="${b.x.toFixed(1)}" y="${b.y.toFixed(1)}" width="${b.w}" height="${b.h}" rx="3"/><text x="${cx}" y="${(b.y + 18).toFixed(1)}" text-anchor="middle">${esc(node.label)}</text></g>`);
    }
  }
  out.push('</g>');
  out.push(`<g class="legend" transform="translate(${PAD},${legendY})"><text y="14">mock renderer</text></g>`);
  out.push('</svg>');
  return out.join('');
}

export function toDot(text) {
  const { analysis, graph } = model(String(text), {}, false);
  const q = (s) => String(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  const lines = ['digraph stages {', '  rankdir=TB;', '  node [fontname="Helvetica", fontsize=11];'];
  graph.nodes.forEach((n, id) => {
    if (n.kind === 'stage') {
      const s = analysis.stages[n.stage];
      lines.push(`  n${id} [label="${q(s.displayName)}\\nFROM ${q(s.base)}", shape=box, style="rounded${s.unused ? ',dashed' : ''}"${n.stage === analysis.defaultTarget ? ', penwidth=2' : ''}];`);
    } else lines.push(`  n${id} [label="${q(n.label)}", shape=folder${n.kind === 'scratch' ? ', style=dotted' : ''}];`);
  });
  const style = { from: 'style=solid', copy: 'style=dashed, label="COPY"', mount: 'style=dotted, label="mount"' };
  for (const e of graph.edges) lines.push(`  n${e.source} -> n${e.stage} [${style[e.kind]}];`);
  return `${lines.join('\n')}\n}\n`;
}

export function toMermaid(text) {
  const { analysis, graph } = model(String(text), {}, false);
  const q = (s) => String(s).replace(/"/g, '#quot;');
  const lines = ['flowchart TD'];
  graph.nodes.forEach((n, id) => {
    if (n.kind !== 'stage') lines.push(`  n${id}[("${q(n.label)}")]`);
    else if (n.stage === analysis.defaultTarget) lines.push(`  n${id}[["${q(analysis.stages[n.stage].displayName)}"]]`);
    else lines.push(`  n${id}["${q(analysis.stages[n.stage].displayName)}"]`);
  });
  const arrow = { from: '-->', copy: '-. COPY .->', mount: '-. mount .->' };
  for (const e of graph.edges) lines.push(`  n${e.source} ${arrow[e.kind]} n${e.stage}`);
  if (analysis.unusedStages.length) {
    lines.push('  classDef unused stroke-dasharray: 5 5,color:#888');
    lines.push(`  class ${analysis.unusedStages.map((s) => `n${s}`).join(',')} unused`);
  }
  return `${lines.join('\n')}\n`;
}

/** The stage named (or defined) at `offset`, if any. */
function stageNamedAt(a, offset) {
  const def = a.stages.find((s) => s.nameFrom != null && offset >= s.nameFrom && offset <= s.nameTo);
  if (def) return def.index;
  const ref = a.references.find((r) => r.stage != null && offset >= r.from && offset <= r.to);
  return ref ? ref.stage : null;
}

const quick = (text) => model(String(text), {}, false).analysis;

export function definition(text, offset) {
  const a = quick(text);
  const s = stageNamedAt(a, offset);
  if (s == null) return null;
  const st = a.stages[s];
  return { stage: s, from: st.nameFrom ?? st.from, to: st.nameTo ?? st.to };
}

export function references(text, offset) {
  const a = quick(text);
  const s = stageNamedAt(a, offset);
  if (s == null) return [];
  const st = a.stages[s];
  const out = [];
  if (st.nameFrom != null) out.push({ from: st.nameFrom, to: st.nameTo, isDefinition: true });
  for (const r of a.references) {
    if (r.stage === s && !/^\d+$/.test(r.value)) out.push({ from: r.from, to: r.to, isDefinition: false });
  }
  return out.sort((x, y) => x.from - y.from);
}

export function rename(text, offset, newName) {
  const a = quick(text);
  const s = stageNamedAt(a, offset);
  if (s == null) throw new Error('There is no stage name here to rename.');
  const st = a.stages[s];
  if (!st.name) throw new Error(`Stage ${st.displayName} has no name; add one with \`AS name\` first.`);
  const name = String(newName).trim();
  if (!STAGE_NAME.test(name.toLowerCase())) throw new Error(`\`${name}\` is not a valid stage name: start with a letter, then letters, digits, '-', '_' or '.'.`);
  if (RESERVED.has(name.toLowerCase())) throw new Error(`\`${name}\` is reserved by BuildKit.`);
  if (a.stages.some((o) => o.index !== s && o.name === name.toLowerCase())) throw new Error(`A stage named \`${name}\` already exists.`);
  if (a.references.some((r) => r.kind !== 'from' && r.value.includes('$'))) throw new Error('A --from with a variable may refer to this stage; the result would be uncertain.');
  const edits = references(text, offset).map((r) => ({ from: r.from, to: r.to, insert: name }));
  let out = text;
  for (const e of [...edits].reverse()) out = out.slice(0, e.from) + e.insert + out.slice(e.to);
  return { text: out, edits };
}

export function stageAt(text, offset) {
  const m = model(String(text), {}, false);
  const a = m.analysis;
  const line = m.lineOf(Math.max(0, Math.min(offset, text.length)));
  let found = null;
  for (const s of a.stages) if (s.line <= line) found = s.index;
  return found;
}
