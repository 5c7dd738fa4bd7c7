// stagecraft-embed: a documentation page includes this one script
//
//   <script src="/path/to/embed/stagecraft-embed.js" defer></script>
//
// and every Dockerfile code block gets its stage graph beside it, with a target picker.
// Options, as data- attributes on that <script> tag:
//   data-selector    the code blocks (default: `pre > code` with the class language-dockerfile or
//                    lang-dockerfile in any case, as Markdown renderers write ```Dockerfile fences)
//   data-pkg         URL of stagecraft_wasm.js (default: ../pkg/stagecraft_wasm.js from this script)
//   data-css="none"  do not add stagecraft-embed.css (the page brings its own styles)
// A block opts out with <pre data-stagecraft="off">. Pages that add code blocks later call
// window.stagecraftEmbed.scan(element). If the wasm does not load, code blocks stay as they are.

import { describeWaves, errorMessage, loadStagecraft, planFor, plural, targetArg, targetLabel } from '../shared/stagecraft.js';
import { graphView } from '../shared/graph.js';

// Read while this script is the one running: later, currentScript is another script or null.
const script = document.currentScript ?? document.querySelector('script[src*="stagecraft-embed"]');
const scriptUrl = script?.src || document.baseURI;
const config = script?.dataset ?? {};
const SELECTOR =
  config.selector || 'pre > code[class~="language-dockerfile" i], pre > code[class~="lang-dockerfile" i]';
const PKG_URL = new URL(config.pkg || '../pkg/stagecraft_wasm.js', config.pkg ? document.baseURI : scriptUrl).href;
const HIGHLIGHT = 'stagecraft-from';

let loading = null;
let blockCount = 0;

function addStylesheet() {
  if (config.css === 'none' || document.querySelector('link[data-stagecraft-embed]')) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = new URL('stagecraft-embed.css', scriptUrl).href;
  link.dataset.stagecraftEmbed = '';
  document.head.append(link);
}

/** Renders a graph beside every matching code block under `root` not done yet; returns how many. */
async function scan(root = document) {
  const blocks = [...root.querySelectorAll(SELECTOR)].filter((code) => {
    const pre = code.closest('pre');
    return pre && pre.dataset.stagecraft !== 'off' && !pre.closest('.stagecraft-embed');
  });
  if (!blocks.length) return 0; // pages without Dockerfiles never load the wasm
  addStylesheet();
  let sc;
  try {
    sc = await (loading ??= loadStagecraft(PKG_URL));
  } catch (e) {
    console.warn(`stagecraft-embed: ${errorMessage(e)}; the code blocks stay as they are.`);
    return 0;
  }
  let done = 0;
  for (const code of blocks) {
    // Another scan may have drawn it while this one waited for the module (a page that scans on
    // DOMContentLoaded while the first scan loads it).
    if (code.closest('.stagecraft-embed')) continue;
    try {
      if (embed(sc, code)) done++;
    } catch (e) {
      console.warn('stagecraft-embed: could not render a graph for a code block:', e);
    }
  }
  return done;
}

/** The smallest scale a graph is drawn at (its text at 12 px becomes 9). */
const MIN_SCALE = 0.75;

function el(tag, className, props = {}) {
  return Object.assign(document.createElement(tag), { className, ...props });
}

function embed(sc, code) {
  const pre = code.closest('pre');
  const text = code.textContent;
  const analysis = sc.analyze(text);
  if (analysis.stages.length === 0) return false;
  const id = `stagecraft-embed-${++blockCount}`;

  const wrap = el('div', 'stagecraft-embed');
  const codeColumn = el('div', 'stagecraft-embed__code');
  const figure = el('figure', 'stagecraft-embed__figure');
  const bar = el('div', 'stagecraft-embed__bar');
  const host = el('div', 'stagecraft-embed__graph');
  const caption = el('figcaption', 'stagecraft-embed__caption', { id: `${id}-plan` });
  // Said under a graph wider than its box, and the key of the stage picked in the graph (shown
  // once one is).
  const scrollHint = el('p', 'stagecraft-embed__scroll-hint', { hidden: true, textContent: 'The graph is wider than this box: scroll it sideways to see the rest.' });
  const key = el('p', 'stagecraft-embed__key', { hidden: true, textContent: 'stage highlighted in the code' });
  pre.before(wrap);
  codeColumn.append(pre);
  wrap.append(codeColumn, figure);

  let target = null;
  const graph = graphView(host, {
    label: `Stage graph of this Dockerfile. Arrow keys move between stages; Enter highlights the stage in the code.`,
    onActivate: (stage) => {
      graph.select(stage);
      key.hidden = false;
      highlightRange(code, analysis.stages[stage].from, analysis.stages[stage].to);
    },
  });

  function render() {
    let drawn = null;
    try {
      // The picked target is the build's, as `stagecraft graph --target` has it: the stages it
      // does not use are the ones marked unused (the analysis above is the default build's).
      drawn = sc.renderSvg(text, target, target == null ? undefined : { target });
    } catch (e) {
      // A graph too large to draw: say so where it would be; the plan below still follows.
      host.replaceChildren(el('p', 'stagecraft-embed__error', { textContent: `The stage graph is not drawn: ${e?.message ?? e}` }));
    }
    const svg = drawn === null ? null : graph.show(drawn, analysis);
    const vb = svg?.viewBox?.baseVal;
    if (vb && vb.width) {
      svg.style.maxWidth = `${vb.width}px`; // never blown up past 100%
      // Never shrunk past where its labels stop being readable (on a phone the text went down
      // to 5 px): a wider graph scrolls sideways in its box instead.
      svg.style.minWidth = `${Math.round(vb.width * MIN_SCALE)}px`;
    }
    showOverflow();
    const stage = target == null ? analysis.defaultTarget : analysis.targets.find((t) => targetArg(analysis, t.stage) === target)?.stage;
    caption.replaceChildren(...describePlan(planFor(analysis, stage, (s) => sc.plan(text, s))), ...describeErrors(analysis), ...describeUnknownStages(analysis));
  }

  if (analysis.targets.length > 1) {
    const select = el('select', 'stagecraft-embed__target', { id: `${id}-target` });
    select.setAttribute('aria-describedby', caption.id);
    for (const t of analysis.targets) select.append(new Option(targetLabel(analysis, t), t.isDefault ? '' : targetArg(analysis, t.stage)));
    select.value = ''; // the default target, wherever it is in the list
    select.addEventListener('change', () => {
      target = select.value || null;
      render();
    });
    bar.append(el('label', '', { htmlFor: select.id, textContent: 'Target' }), select);
    figure.append(bar);
  }
  /** Which sides of the graph are cut off by its box (data-overflow), and the hint under it. */
  function showOverflow() {
    const more = host.scrollWidth - host.clientWidth;
    const left = more > 1 && host.scrollLeft > 1;
    const right = more > 1 && host.scrollLeft < more - 1;
    const sides = left && right ? 'both' : left ? 'left' : right ? 'right' : '';
    if (sides) host.dataset.overflow = sides;
    else delete host.dataset.overflow;
    scrollHint.hidden = more <= 1;
  }
  host.addEventListener('scroll', showOverflow, { passive: true });
  new ResizeObserver(showOverflow).observe(host);

  figure.append(host, scrollHint, key, caption);
  render();
  wrap.dataset.stagecraftState = 'ready';
  return true;
}

/** A list inline, or folded under `summary` when it is too long to read in a caption. */
function foldable(text, summary) {
  if (text.length <= 160) return text;
  const details = el('details', 'stagecraft-embed__more');
  details.append(el('summary', '', { textContent: summary }), text);
  return details;
}

function describePlan(plan) {
  if (!plan) return [];
  const strong = (content) => {
    const b = el('strong', '');
    b.append(content);
    return b;
  };
  const waves = describeWaves(plan);
  const out = ['BuildKit builds ', strong(plural(plan.buildkit.length, 'stage')), ` for ${plan.target}: `,
    foldable(waves.text, `${waves.count} (show them)`), '.'];
  if (plan.legacyOnly.length) {
    // (Unless it fails first: the browser build does not know where the legacy builder fails of
    // its own accord, on a `RUN --mount` say; `stagecraft plan --legacy` does.)
    out.push(` The legacy builder would also build ${plan.legacyOnly.length === 1 ? 'the stage' : 'the stages'} `,
      strong(foldable(plan.legacyOnly.join(', '), plural(plan.legacyOnly.length, 'stage'))), ', unless it fails first.');
  }
  return out;
}

/** The file's errors, said after the plan (a plan of a file with errors is no promise): the
 * first by position. (Of any stage: the graph and the plan are the file's, whatever the target.) */
function describeErrors(analysis) {
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  if (!errors.length) return [];
  const first = errors.reduce((a, b) => (b.from < a.from ? b : a));
  const what = errors.length === 1 ? 'an error' : `${errors.length} errors`;
  const more = errors.length > 1 ? ', and more' : '';
  return [` This Dockerfile has ${what} (line ${first.line}: ${first.message.replace(/\.$/, '')}${more}).`];
}

/** A `--from` or `FROM` close to a stage's name that pulls an image instead (`COPY --from=buidl`):
 * the commonest slip in a documentation page's Dockerfile, which the graph shows only as an image
 * node. Said after the errors, the first by position. */
function describeUnknownStages(analysis) {
  const found = analysis.diagnostics.filter((d) => d.code === 'unknown-stage');
  if (!found.length) return [];
  const first = found.reduce((a, b) => (b.from < a.from ? b : a));
  const more = found.length > 1 ? ` (and ${found.length - 1} more)` : '';
  const end = /[.?!]$/.test(first.message) && !more ? '' : '.';
  return [` Line ${first.line}: ${first.message}${more}${end}`];
}

/** Each code block's highlighted range: the page's one highlight holds them all, so that a stage
 * picked in one embed leaves another's as it is (its node stays selected too). */
const highlighted = new Map();

/** Shows `from..to` of the code block's text: a CSS highlight where supported, else the selection. */
function highlightRange(code, from, to) {
  const range = document.createRange();
  let offset = 0;
  let started = false;
  const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const len = node.data.length;
    if (!started && from <= offset + len) { range.setStart(node, from - offset); started = true; }
    if (started && to <= offset + len) { range.setEnd(node, to - offset); break; }
    offset += len;
  }
  if (!started) return;
  if (globalThis.CSS?.highlights && globalThis.Highlight) {
    highlighted.set(code, range);
    for (const c of highlighted.keys()) if (!c.isConnected) highlighted.delete(c);
    CSS.highlights.set(HIGHLIGHT, new Highlight(...highlighted.values()));
  } else {
    const sel = getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }
  // Scroll the code block (not the page) to the line.
  const pre = code.closest('pre');
  const r = range.getBoundingClientRect();
  const p = pre.getBoundingClientRect();
  if (r.top < p.top || r.bottom > p.bottom) pre.scrollTop += r.top - p.top - pre.clientHeight / 3;
  if (r.left < p.left || r.right > p.right) pre.scrollLeft += r.left - p.left - 16;
}

const ready = new Promise((resolve) => {
  const go = () => scan().then(resolve, () => resolve(0));
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', go, { once: true });
  else go();
});

window.stagecraftEmbed = { scan, ready };
