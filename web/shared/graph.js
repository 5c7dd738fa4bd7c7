// Putting a renderSvg() graph on the page and making its stage nodes usable: click, keyboard
// (one tab stop for the whole graph, arrows move between stages, Enter/Space activate) and
// names for assistive technology. The SVG itself comes from stagecraft; we only decorate it.

import { explainForwardEdges } from './graph-edges.js';

const STAGE_NODE = 'g.node.stage[data-stage]';

/**
 * Makes `host` the home of stage graphs. `onActivate(stageIndex)` runs when a stage node is
 * clicked or activated with the keyboard. Returns {show, select}.
 */
export function graphView(host, { onActivate, label = 'Stage graph' } = {}) {
  let selected = null;
  // The SVG text shown, and the element made of it.
  let shown = null;

  const nodes = () => [...host.querySelectorAll(STAGE_NODE)];
  const stageOf = (el) => Number(el.getAttribute('data-stage'));

  const nodeOf = (stage) => (stage == null ? null : host.querySelector(`${STAGE_NODE}[data-stage="${stage}"]`));

  // Roving tabindex: the selected stage (or the first) is the graph's single tab stop. Only the
  // old and the new stop change: with thousands of stages, touching every node on each cursor
  // move cost tens of milliseconds.
  function updateTabStop(stop) {
    stop ??= host.querySelector(STAGE_NODE);
    for (const g of host.querySelectorAll(`${STAGE_NODE}[tabindex="0"]`)) {
      if (g !== stop) g.setAttribute('tabindex', '-1');
    }
    stop?.setAttribute('tabindex', '0');
  }

  host.addEventListener('click', (event) => {
    const node = event.target.closest?.(STAGE_NODE);
    if (node && host.contains(node)) onActivate?.(stageOf(node));
  });

  host.addEventListener('keydown', (event) => {
    const node = event.target.closest?.(STAGE_NODE);
    if (!node) return;
    const all = nodes();
    const i = all.indexOf(node);
    let next = null;
    switch (event.key) {
      case 'Enter':
      case ' ':
        event.preventDefault();
        onActivate?.(stageOf(node));
        return;
      case 'ArrowDown':
      case 'ArrowRight':
        next = all[Math.min(i + 1, all.length - 1)];
        break;
      case 'ArrowUp':
      case 'ArrowLeft':
        next = all[Math.max(i - 1, 0)];
        break;
      case 'Home':
        next = all[0];
        break;
      case 'End':
        next = all[all.length - 1];
        break;
      default:
        return;
    }
    event.preventDefault();
    updateTabStop(next);
    next.focus();
    scrollIntoViewWithin(host, next);
  });

  /** Replaces the graph. `analysis` names the nodes for screen readers. */
  function show(svgText, analysis) {
    // The same drawing (most keystrokes change no stage, reference or line of one): the element
    // stays. A new one is laid out and rasterised again, which took Chromium seconds for a
    // graph of thousands of stages with long dashed edges (see the README's explorer section).
    if (shown && svgText === shown.text && host.contains(shown.svg)) return shown.svg;
    // Re-rendering on every edit must not steal keyboard focus from a node.
    const focused = document.activeElement?.closest?.(STAGE_NODE);
    const refocus = focused && host.contains(focused) ? stageOf(focused) : null;
    host.innerHTML = svgText;
    const svg = host.querySelector('svg');
    shown = svg ? { text: svgText, svg } : null;
    if (!svg) return null;
    svg.setAttribute('role', 'group');
    svg.setAttribute('aria-label', label);
    svg.removeAttribute('width'); // sized by CSS (fit or zoom), from the viewBox
    svg.removeAttribute('height');
    explainForwardEdges(svg);
    // Drawn for the default target (its node is the selected target), or for a picked one.
    const forDefault = svg.querySelector(`${STAGE_NODE}.default-target.target`) !== null;
    for (const g of nodes()) {
      const stage = analysis?.stages[stageOf(g)];
      g.setAttribute('role', 'button');
      g.setAttribute('tabindex', '-1');
      if (stage) g.setAttribute('aria-label', describeStage(stage, g.classList, forDefault));
    }
    select(selected);
    if (refocus != null) host.querySelector(`${STAGE_NODE}[data-stage="${refocus}"]`)?.focus();
    return svg;
  }

  /** Marks the stage under the cursor (class `selected`, as interfaces.md asks). */
  function select(stage, { scroll = false } = {}) {
    selected = stage;
    const hit = nodeOf(stage);
    for (const g of host.querySelectorAll(`${STAGE_NODE}.selected`)) {
      if (g !== hit) g.classList.remove('selected');
    }
    hit?.classList.add('selected');
    updateTabStop(hit);
    if (hit && scroll) scrollIntoViewWithin(host, hit);
  }

  return { show, select };
}

function describeStage(stage, classes, forDefault) {
  const parts = [`Stage ${stage.displayName}`, `from ${stage.base}`, `line ${stage.line}`];
  if (classes.contains('target')) parts.push('selected target');
  if (classes.contains('legacy-only')) parts.push('only the legacy builder builds it');
  else if (classes.contains('dimmed')) parts.push('not built for this target');
  // `unused`: what no target in play builds. A graph drawn for a picked target has that target
  // in play (`stagecraft graph --target`): unused is then what "not built for this target" said.
  if (classes.contains('unused') && forDefault) parts.push('not built by the default target');
  return parts.join(', ');
}

/** Scrolls only `box` (not the page) so that `el` is visible. */
export function scrollIntoViewWithin(box, el) {
  const b = box.getBoundingClientRect();
  const r = el.getBoundingClientRect();
  const margin = 16;
  if (r.left < b.left + margin) box.scrollLeft -= b.left + margin - r.left;
  else if (r.right > b.right - margin) box.scrollLeft += Math.min(r.left - b.left - margin, r.right - b.right + margin);
  if (r.top < b.top + margin) box.scrollTop -= b.top + margin - r.top;
  else if (r.bottom > b.bottom - margin) box.scrollTop += Math.min(r.top - b.top - margin, r.bottom - b.bottom + margin);
}
