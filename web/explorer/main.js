// The stagecraft explorer: a CodeMirror editor on the left, the stage graph, build plan and
// problems on the right, all recomputed from the text as it changes. Every fact shown comes from
// the wasm package (docs/interfaces.md §1); this file only wires it to the page.

import { ChangeSet, Compartment, EditorSelection, EditorState, StateEffect } from '@codemirror/state';
import {
  EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter,
  highlightSpecialChars, drawSelection, dropCursor,
} from '@codemirror/view';
import { defaultKeymap, history, historyKeymap, invertedEffects } from '@codemirror/commands';
import { HighlightStyle, StreamLanguage, syntaxHighlighting, defaultHighlightStyle } from '@codemirror/language';
import { tags } from '@lezer/highlight';
import { dockerFile } from '@codemirror/legacy-modes/mode/dockerfile';
import { lintGutter, lintKeymap, setDiagnostics } from '@codemirror/lint';
import { highlightSelectionMatches, searchKeymap } from '@codemirror/search';

import exampleText from '../../examples/multistage.Dockerfile';
import { describeWaves, errorMessage, loadStagecraft, planFor, plural, stageNamer, targetArg, targetLabel } from '../shared/stagecraft.js';
import { graphView } from '../shared/graph.js';
import { copyHeredocState, heredocLine, heredocStart } from './heredoc.js';

const PKG_URL = new URL('./pkg/stagecraft_wasm.js', import.meta.url).href;
const EXAMPLE_NAME = 'multistage.Dockerfile';

const $ = (id) => document.getElementById(id);
const ui = {
  editor: $('editor'), graph: $('graph'), plan: $('plan'), problems: $('problems'),
  problemCount: $('problem-count'), target: $('target'), summary: $('summary'), timing: $('timing'),
  cursor: $('cursor'), fileName: $('file-name'), fileInput: $('file-input'), announce: $('announce'),
  renameForm: $('rename'), renameStage: $('rename-stage'), renameTo: $('rename-to'),
  renameSubmit: $('rename-submit'), renameError: $('rename-error'), renameHint: $('rename-hint'), zoomLevel: $('zoom-level'),
  buildArgs: $('build-args'), buildArgsError: $('build-args-error'), platform: $('platform'),
  platformError: $('platform-error'), buildOptionsState: $('build-options-state'),
  fileNotice: $('file-notice'), fileNoticeText: $('file-notice-text'),
};

let sc = null; // the wasm module, once loaded
let current = null; // {text, optionsKey, options, analysis} of the last successful analysis
// The edits made since the text of the last analysis (a ChangeSet; null before the first):
// where its offsets are now.
let sinceAnalysis = null;
// The target the user picked (renderSvg's target argument); null follows the default target.
// It is kept while no stage has its name (a name half retyped, a stage cut and pasted back): the
// graph and the plan show the default target meanwhile, and the picked one again once it is back.
let chosenTarget = null;
let chosenMissing = false; // chosenTarget names no target of the text shown
let fileName = EXAMPLE_NAME;
let zoom = 'auto'; // 'auto' | 'fit' | a scale
let lastCost = 0;
// Build options (the "Build options" form): what analyze() and renderSvg() are given.
let buildArgs = {}; // NAME -> VALUE from the well-formed lines
let platform = ''; // the target platform as typed (trimmed); '' = not given
let optionsKey = JSON.stringify([buildArgs, platform]); // the form as it is now
let badPlatform = null; // {platform, message}: the last platform the module could not read

// ---------------------------------------------------------------------------------------------
// Editor

// How lines end. CodeMirror ends a line at `\r\n`, `\n` and a lone `\r`, and writes `\n`: for
// CRLF that is the same Dockerfile (BuildKit drops the `\r` before a `\n`; the analysis is the
// same either way, crates/analysis/tests/metamorphic.rs), but BuildKit reads a lone `\r` as
// part of its line. A file that has one is edited as it is: lines end at `\n` only, and every
// `\r` is shown, so none is hidden where the cursor can go.
const lineEnds = new Compartment();
const exactLineEnds = (text) => /\r(?!\n)/.test(text);
let exact = false; // lines end at \n only (the document has a lone \r)

// Dark mode follows the system's setting, as the page's style sheet does. CodeMirror's own
// theme has a dark variant (cursor, selection, gutters, tooltips) that the `dark` flag turns on;
// the default highlighting is for light backgrounds, so dark mode has its own colours for what
// the Dockerfile mode marks (keywords, strings, numbers, comments, errors).
const darkScheme = window.matchMedia?.('(prefers-color-scheme: dark)');
const colorTheme = new Compartment();
const darkHighlight = HighlightStyle.define([
  { tag: tags.keyword, color: '#ff7b72' },
  { tag: tags.string, color: '#a5d6ff' },
  { tag: tags.number, color: '#79c0ff' },
  { tag: tags.comment, color: '#8b949e', fontStyle: 'italic' },
  { tag: tags.invalid, color: '#ffa198' },
], { themeType: 'dark' });
const themeFor = (dark) => (dark ? [
  EditorView.theme({ '.cm-gutters': { backgroundColor: 'var(--panel)', color: 'var(--muted)', borderColor: 'var(--border)' } }, { dark: true }),
  syntaxHighlighting(darkHighlight),
] : []);
darkScheme?.addEventListener?.('change', (event) => {
  view.dispatch({ effects: colorTheme.reconfigure(themeFor(event.matches)) });
});

// Syntax colouring: CodeMirror's Dockerfile mode, which knows no heredocs, and their bodies read
// as text (a string) with their terminators: `COPY <<EOF /Dockerfile` followed by `FROM busybox`
// is a file's content, not an instruction. Which lines are bodies is heredoc.js's, which finds
// them as BuildKit does (whole shell words, continuations, the escape directive). Colouring only:
// the analysis is the module's.
const dockerfileWithHeredocs = {
  name: 'dockerfile',
  // inner: the Dockerfile mode's state; heredocs: heredoc.js's.
  startState: () => ({ inner: dockerFile.startState(), heredocs: heredocStart() }),
  copyState: (s) => ({ inner: dockerFile.copyState(s.inner), heredocs: copyHeredocState(s.heredocs) }),
  token(stream, state) {
    if (stream.sol() && state.heredocs.bodies.length) {
      // A body line, or its terminator, whole.
      heredocLine(state.heredocs, stream.string);
      stream.skipToEnd();
      return 'string';
    }
    const style = dockerFile.token(stream, state.inner);
    // At the end of the line (once: the mode may read a line's start more than once).
    if (stream.eol()) {
      heredocLine(state.heredocs, stream.string);
      // An instruction that ends here ends for the mode too (it takes a backquote for a line
      // continuation in any file, and would read the line after a heredoc's body as one).
      if (!state.heredocs.continued) state.inner = dockerFile.startState();
    }
    return style;
  },
  blankLine(state, indentUnit) {
    // An empty line in a body is part of it; elsewhere it ends the directives.
    const body = state.heredocs.bodies.length > 0;
    heredocLine(state.heredocs, '');
    if (!body) dockerFile.blankLine?.(state.inner, indentUnit);
  },
  languageData: dockerFile.languageData,
};

// A rename of the chosen target's stage renames the target too: an effect in the rename's
// transaction, which undo inverts and redo applies again ({from, to}: target arguments).
const renameTarget = StateEffect.define();
const renameTargetHistory = invertedEffects.of((tr) =>
  tr.effects.filter((e) => e.is(renameTarget)).map((e) => renameTarget.of({ from: e.value.to, to: e.value.from })));

const view = new EditorView({
  parent: ui.editor,
  state: EditorState.create({
    doc: exampleText,
    extensions: [
      lineEnds.of([]),
      lineNumbers(),
      highlightActiveLineGutter(),
      highlightSpecialChars(),
      history(),
      renameTargetHistory,
      drawSelection(),
      dropCursor(),
      highlightActiveLine(),
      highlightSelectionMatches(),
      StreamLanguage.define(dockerfileWithHeredocs),
      syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
      colorTheme.of(themeFor(Boolean(darkScheme?.matches))),
      lintGutter(),
      // Tab is left alone on purpose so that keyboard users can leave the editor.
      keymap.of([
        { key: 'F2', run: () => { startRename(); return true; } },
        ...defaultKeymap, ...historyKeymap, ...searchKeymap, ...lintKeymap,
      ]),
      EditorView.contentAttributes.of({ 'aria-label': 'Dockerfile editor' }),
      EditorView.updateListener.of((update) => {
        for (const tr of update.transactions) {
          for (const e of tr.effects) {
            if (e.is(renameTarget) && chosenTarget === e.value.from) chosenTarget = e.value.to;
          }
        }
        if (update.docChanged) {
          sinceAnalysis = sinceAnalysis?.newLength === update.startState.doc.length ? sinceAnalysis.compose(update.changes) : null;
          scheduleAnalysis();
        }
        // Pasting over everything, or deleting everything, starts another file: no longer the
        // one opened (nor named after it in downloads).
        if (update.docChanged && (pastedOverEverything(update) || update.state.doc.length === 0)) {
          setFileName('Dockerfile');
          showFileNotice(null); // (it was about the file opened)
          // Another file starts at its default target: a name picked in the one before does
          // not come back when a stage of this one happens to have it.
          chosenTarget = null;
          chosenMissing = false;
        }
        if (update.docChanged || update.selectionSet) scheduleCursor();
      }),
      EditorView.domEventHandlers({
        // Pasted text with a lone `\r` is edited as it is from then on, as an opened file with
        // one is: the default reading would end a line there, and BuildKit does not.
        paste(event, view) {
          const text = event.clipboardData?.getData('text/plain');
          if (text == null || exact || !exactLineEnds(text)) return false;
          event.preventDefault();
          const { from, to } = view.state.selection.main;
          exact = true;
          view.dispatch({ effects: lineEnds.reconfigure(EditorState.lineSeparator.of('\n')) });
          view.dispatch({ changes: { from, to, insert: text }, selection: { anchor: from + text.length }, userEvent: 'input.paste', scrollIntoView: true });
          return true;
        },
        // A dropped file replaces the document instead of being pasted into it.
        drop(event) {
          const file = event.dataTransfer?.files?.[0];
          if (!file) return false;
          event.preventDefault();
          openFile(file);
          return true;
        },
      }),
    ],
  }),
});

function setDocument(text, name) {
  zoom = 'auto';
  allProblems = false;
  // Another file starts at its default target.
  chosenTarget = null;
  chosenMissing = false;
  // First how lines end, then the text, which is split by the new rule.
  exact = exactLineEnds(text);
  view.dispatch({ effects: lineEnds.reconfigure(exact ? EditorState.lineSeparator.of('\n') : []) });
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text }, selection: { anchor: 0 }, scrollIntoView: true });
  setFileName(name);
  showFileNotice(null);
}

/** The name shown above the editor and given to downloads. */
function setFileName(name) {
  fileName = name;
  ui.fileName.textContent = name;
}

/** A paste that replaced the whole text (select all, paste): another file, no longer the one opened. */
function pastedOverEverything(update) {
  const before = update.startState.doc.length;
  let whole = false;
  update.changes.iterChangedRanges((fromA, toA) => { whole ||= before > 0 && fromA === 0 && toA === before; });
  return whole && update.transactions.some((tr) => tr.isUserEvent('input.paste'));
}

// How a file's bytes become the editor's text. BuildKit reads a Dockerfile as UTF-8 (a UTF-8
// byte-order mark is dropped) and passes bytes that are not UTF-8 through; stagecraft reads each
// such byte as one U+FFFD, as the command line does (crates/cli/src/input.rs), so that columns
// after one are the same here and in `stagecraft check`. (A browser's File.text() reads UTF-16
// by its byte-order mark without a word, and makes one U+FFFD of a whole bad sequence.)
async function openFile(file) {
  let bytes;
  try {
    bytes = new Uint8Array(await file.arrayBuffer());
  } catch (e) {
    announce(`Could not read ${file.name}: ${errorMessage(e)}`);
    return;
  }
  // UTF-16 (BOM FF FE or FE FF): not a Dockerfile BuildKit can read; the editor keeps its text.
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    const bom = `${hexByte(bytes[0])} ${hexByte(bytes[1])}`;
    showFileNotice('error', `${file.name} was not opened: it is UTF-16 text (it starts with the byte-order mark ${bom}). BuildKit reads Dockerfiles as UTF-8 and cannot read it: save the file as UTF-8, which BuildKit reads, and open it again.`);
    return;
  }
  const bad = firstNonUtf8Byte(bytes);
  setDocument(decodeUtf8(bytes), file.name);
  if (bad < 0) {
    announce(`Opened ${file.name}.`);
    return;
  }
  let line = 1;
  for (let i = 0; i < bad; i++) if (bytes[i] === 0x0a) line++;
  showFileNotice('warning', `${file.name} is not valid UTF-8: line ${line} has the byte 0x${hexByte(bytes[bad])}. BuildKit passes bytes that are not UTF-8 through; stagecraft reads each as U+FFFD (\uFFFD, as shown here), so names or values containing them may differ from BuildKit's. Saved as UTF-8, the file reads the same to both.`);
}

/** `E9` for 0xe9. */
const hexByte = (b) => b.toString(16).toUpperCase().padStart(2, '0');

/** The length of the UTF-8 character at `bytes[i]`, or 0 when no character starts there. */
function utf8CharLength(bytes, i) {
  const b = bytes[i];
  if (b < 0x80) return 1;
  const n = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : 0;
  if (!n) return 0;
  // The second byte's range excludes overlong forms, surrogates and code points past U+10FFFF.
  const lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
  const hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
  if (!(bytes[i + 1] >= lo && bytes[i + 1] <= hi)) return 0;
  for (let k = 2; k <= n; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return 0; // (past the end: undefined & 0xc0 is 0)
  return n + 1;
}

/** The offset of the first byte of `bytes` that does not belong to UTF-8 text, or -1. */
function firstNonUtf8Byte(bytes) {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return -1;
  } catch {
    // Found below.
  }
  for (let i = 0; i < bytes.length;) {
    const n = utf8CharLength(bytes, i);
    if (!n) return i;
    i += n;
  }
  return -1;
}

/**
 * `bytes` as text, without a leading byte-order mark, each byte that is not part of a UTF-8
 * character one U+FFFD (the command line's lossy(); TextDecoder makes one of a whole malformed
 * sequence: `E9 A9` is two here, one there).
 */
function decodeUtf8(bytes) {
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true }); // (each piece's start is not the file's)
  let from = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let bad = firstNonUtf8Byte(bytes.subarray(from));
  if (bad < 0) return decoder.decode(bytes.subarray(from));
  let out = '';
  let i = from + bad;
  while (i < bytes.length) {
    const n = utf8CharLength(bytes, i);
    if (n) { i += n; continue; }
    out += `${decoder.decode(bytes.subarray(from, i))}\uFFFD`;
    i++;
    from = i;
  }
  return out + decoder.decode(bytes.subarray(from));
}

/** The notice about the file opened (kind 'error' or 'warning'), or none (`kind` null). */
function showFileNotice(kind, message) {
  ui.fileNotice.hidden = !kind;
  ui.fileNotice.className = kind ? `banner ${kind}` : 'banner';
  ui.fileNoticeText.textContent = message ?? ''; // (an alert: screen readers say it)
}

/** Selects `anchor..head` in the editor, scrolls it to the middle and focuses the editor. */
function revealRange(anchor, head) {
  const len = view.state.doc.length;
  view.dispatch({
    selection: EditorSelection.single(Math.min(anchor, len), Math.min(head, len)),
    effects: EditorView.scrollIntoView(Math.min(head, len), { y: 'center' }),
  });
  view.focus();
}

/** Applies stagecraft edits ({from, to, insert}, offsets into the current text) as one undo step. */
function applyEdits(edits, effects = []) {
  view.dispatch({ changes: edits.map(({ from, to, insert }) => ({ from, to, insert })), effects, userEvent: 'input.stagecraft' });
}

// ---------------------------------------------------------------------------------------------
// Analysis: text -> analysis, graph, problems, plan

const graph = graphView(ui.graph, {
  label: 'Stage graph. Arrow keys move between stages; Enter selects the stage in the editor.',
  onActivate: (stage) => {
    const s = freshAnalysis()?.stages[stage];
    if (s) revealRange(s.to, s.from); // cursor at the FROM keyword, the instruction selected
  },
});

let analysisTimer = 0;
let analysisFrame = 0;
function scheduleAnalysis() {
  if (!sc) return;
  clearTimeout(analysisTimer);
  cancelAnimationFrame(analysisFrame);
  // Small files update on the next frame; when a pass is slow, wait for a pause in typing.
  if (lastCost > 25) analysisTimer = setTimeout(refresh, 200);
  else analysisFrame = requestAnimationFrame(refresh);
}

/** The analysis of the editor's text as it is now (recomputed if an update is pending). */
function freshAnalysis() {
  if (!sc) return null;
  if (!current || current.optionsKey !== optionsKey || current.text !== view.state.doc.toString()) refresh();
  return current?.analysis ?? null;
}

function refresh() {
  if (!sc) return;
  const text = view.state.doc.toString();
  sinceAnalysis = ChangeSet.empty(text.length);
  let analysis;
  let svg;
  let options;
  let graphError;
  const t0 = performance.now();
  try {
    ({ analysis, svg, graphError, options } = analyzeWithOptions(text));
  } catch (e) {
    current = null;
    showPlatformError(null);
    showGraphMessage(`The analysis failed: ${errorMessage(e)}`, true);
    // No panel may keep showing the previous text's results.
    const none = { stages: [], targets: [], diagnostics: [], defaultTarget: null };
    view.dispatch(setDiagnostics(view.state, []));
    showProblems(none, '');
    showTargets(none);
    showPlan(none);
    showRenameChoices(none);
    ui.summary.textContent = 'The analysis failed';
    console.error(e);
    return;
  }
  lastCost = performance.now() - t0;
  current = { text, optionsKey, options, analysis };
  showPlatformError(platform && options.platform !== platform ? badPlatform.message : null);
  ui.timing.textContent = `text → SVG ${lastCost.toFixed(1)} ms`;

  if (analysis.stages.length === 0) {
    showGraphMessage('No stages yet. Start with a FROM line, or open a Dockerfile.');
  } else if (graphError) {
    showGraphMessage(graphNotDrawn(graphError), true);
  } else {
    graph.show(svg, analysis);
    applyZoom();
  }
  view.dispatch(setDiagnostics(view.state, analysis.diagnostics.map((d) => toCodeMirror(d, text.length))));
  showProblems(analysis, text);
  showTargets(analysis);
  showPlan(analysis);
  showRenameChoices(analysis);
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error').length;
  ui.summary.textContent = [plural(analysis.stages.length, 'stage'), plural(analysis.targets.length, 'target'),
    plural(analysis.diagnostics.length, 'problem') + (errors ? ` (${plural(errors, 'error')})` : '')].join(' · ');
  updateCursor();
}

/**
 * A new target for the same text: the analysis, problems and lists stay; only the graph and the
 * plan change (with 2,000 stages, rebuilding everything took a third of the time of a pick).
 */
function redrawForTarget() {
  const analysis = freshAnalysis();
  if (!analysis) return;
  if (analysis.stages.length === 0) return;
  const t0 = performance.now();
  let svg;
  try {
    svg = renderFor(current.text, analysis, current.options);
  } catch (e) {
    // The plan and the picker follow the target still; only the drawing is missing.
    showGraphMessage(graphNotDrawn(errorMessage(e)), true);
    svg = null;
  }
  ui.timing.textContent = `target → SVG ${(performance.now() - t0).toFixed(1)} ms`;
  if (svg !== null) {
    graph.show(svg, analysis);
    applyZoom();
  }
  showTargets(analysis);
  showPlan(analysis);
  updateCursor();
}

/**
 * analyze() and renderSvg() of `text` with the build options. A platform the module cannot read
 * (it throws) is left out, so that the page keeps its analysis; `options` says what was given.
 */
function analyzeWithOptions(text) {
  const run = (options) => {
    const analysis = sc.analyze(text, options);
    // A graph too large to draw is an error of the drawing alone: the analysis stands.
    let svg = null;
    let graphError = null;
    try {
      svg = renderFor(text, analysis, options);
    } catch (e) {
      graphError = errorMessage(e);
    }
    return { analysis, svg, graphError, options };
  };
  const wanted = platform && platform !== badPlatform?.platform ? platform : undefined;
  try {
    return run({ buildArgs, platform: wanted });
  } catch (e) {
    if (!wanted) throw e;
    const result = run({ buildArgs }); // throws as before when the platform was not the cause
    badPlatform = { platform: wanted, message: errorMessage(e) };
    return result;
  }
}

/**
 * The chosen target when the analysis has it, else null (the default target). Says so when the
 * chosen target goes away and when it comes back.
 */
function activeTarget(analysis) {
  if (chosenTarget == null) return null;
  const there = analysis.targets.some((t) => targetArg(analysis, t.stage) === chosenTarget);
  if (there === chosenMissing) {
    chosenMissing = !there;
    announce(there ? `Target ${chosenTarget} is back.` : `Target ${chosenTarget} no longer exists; showing the default target until a stage has that name again.`);
  }
  return there ? chosenTarget : null;
}

/**
 * renderSvg for the chosen target (the default when the text has no such target now). The target
 * is in play as the build's, as `stagecraft graph --target` has it: the stages it does not use are
 * the ones marked unused, and never the target itself.
 */
function renderFor(text, analysis, options) {
  const target = activeTarget(analysis);
  return sc.renderSvg(text, target, target == null ? options : { ...options, target });
}

/** What the graph's place says when renderSvg threw (a graph too large to draw). */
function graphNotDrawn(reason) {
  return `The graph is not drawn: ${reason}. The problems, targets and plans are complete.`;
}

function showGraphMessage(message, isError = false) {
  ui.zoomLevel.textContent = ''; // no graph, no scale
  ui.graph.replaceChildren(Object.assign(document.createElement('p'), { className: isError ? 'empty error' : 'empty', textContent: message }));
}

/**
 * `d` (a diagnostic of the analysis shown) in the analysis of the text as it is now, or null when
 * the problem is gone. Offsets go stale as soon as the text changes, and a slow file is analysed
 * only after a pause in typing: a fix applied at the old offsets would write into the wrong place.
 */
function freshDiagnostic(d) {
  const shown = current;
  const moved = sinceAnalysis; // (before freshAnalysis() starts them again)
  const analysis = freshAnalysis();
  if (!analysis || !shown) return null;
  if (analysis === shown.analysis) return d;
  // The same problem is the one of the same code on the same text, nearest to where the edits
  // since moved it. (Not the same message: messages name lines, which an edit above changes.)
  const where = moved?.length === shown.text.length ? moved.mapPos(Math.min(d.from, shown.text.length), 1) : d.from;
  const text = shown.text.slice(d.from, d.to);
  const same = analysis.diagnostics.filter((x) => x.code === d.code && current.text.slice(x.from, x.to) === text);
  return same.reduce((best, x) => (best && Math.abs(best.from - where) <= Math.abs(x.from - where) ? best : x), null);
}

/**
 * Applies the fix of `d`, as it is for the text now: the fix whose title was shown, and no other
 * (an edit since, a stage renamed, can make the same problem's fix another one). Returns the
 * title of the fix applied, or null (and says why).
 */
function applyFix(d) {
  const fresh = freshDiagnostic(d);
  if (!fresh?.fix) {
    announce('That problem is no longer in the text.');
    return null;
  }
  if (fresh.fix.title !== d.fix.title) {
    announce(`That fix has changed: it is now "${fresh.fix.title}". Nothing was changed; look at the problem again.`);
    return null;
  }
  applyEdits(fresh.fix.edits);
  return fresh.fix.title;
}

function toCodeMirror(d, length) {
  const from = Math.min(d.from, length);
  return {
    from,
    to: Math.max(from, Math.min(d.to, length)),
    severity: d.severity,
    // What stagecraft cannot see (a base image's config), on a line of its own.
    message: d.note ? `${d.message}\n${d.note}` : d.message,
    source: d.code,
    markClass: d.unnecessary ? 'cm-unnecessary' : undefined,
    actions: d.fix ? [{ name: d.fix.title, apply: () => { const title = applyFix(d); if (title) announce(`Applied: ${title}.`); } }] : undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// Problems, targets, plan, rename choices

const SEVERITY_LABEL = { error: 'Error', warning: 'Warning', info: 'Info', hint: 'Hint' };

/**
 * Where a finding starts, as the gutter counts lines. The module counts them as editors do, a
 * lone `\r` ending one too; a document edited as it is ends them at `\n` only, as BuildKit does.
 */
function position(d, text) {
  if (!exact || d.from > text.length) return { line: d.line, column: d.column };
  const before = text.slice(0, d.from);
  const start = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: d.from - start + 1 };
}

/**
 * Rows the problems list draws at first: a file of thousands of stages has thousands of
 * problems, and a list of them all made every later layout (a cursor move in the editor) slow.
 */
const PROBLEMS_SHOWN = 200;
/** Whether the list shows every problem ("Show N more" was pressed for this file). */
let allProblems = false;

/** `message` with each word over 200 characters cut to its first 120 and last 40, as the
 * command line and the language server show them (a 4,000-character junk line is one word). */
function shortWords(message) {
  return message.replace(/\S{201,}/gu, (w) => {
    const chars = [...w];
    return chars.length > 200 ? `${chars.slice(0, 120).join('')}…${chars.slice(-40).join('')}` : w;
  });
}

/** The problems list of `analysis`, the analysis of `text`: the first PROBLEMS_SHOWN rows, and a
 * button for the rest. */
function showProblems(analysis, text) {
  const shown = allProblems ? analysis.diagnostics : analysis.diagnostics.slice(0, PROBLEMS_SHOWN);
  const items = shown.map((d) => {
    const li = document.createElement('li');
    li.className = `problem sev-${d.severity}`;
    const loc = document.createElement('button');
    loc.type = 'button';
    loc.className = 'loc';
    const { line, column } = position(d, text);
    loc.textContent = `line ${line}:${column}`;
    const message = shortWords(d.message);
    const note = d.note ? shortWords(d.note) : '';
    loc.setAttribute('aria-label', `${SEVERITY_LABEL[d.severity] ?? d.severity} at line ${line}, column ${column}: ${message}${note ? ` (${note})` : ''}`);
    loc.addEventListener('click', () => {
      const fresh = freshDiagnostic(d);
      if (fresh) revealRange(fresh.from, fresh.to);
      else announce('That problem is no longer in the text.');
    });
    const sev = document.createElement('span');
    sev.className = 'sev';
    sev.textContent = SEVERITY_LABEL[d.severity] ?? d.severity;
    const msg = document.createElement('span');
    msg.className = 'msg';
    msg.textContent = message;
    if (note) msg.append(Object.assign(document.createElement('span'), { className: 'note', textContent: note }));
    li.append(loc, sev, msg);
    if (d.url) {
      const a = Object.assign(document.createElement('a'), { href: d.url, textContent: d.code, className: 'code', target: '_blank', rel: 'noopener noreferrer' });
      li.append(a);
    } else {
      li.append(Object.assign(document.createElement('span'), { className: 'code', textContent: d.code }));
    }
    if (d.fix) {
      const fix = Object.assign(document.createElement('button'), { type: 'button', className: 'fix', textContent: d.fix.title });
      // Only a "safe" fix leaves the build as it was (see docs/interfaces.md).
      if (d.fix.applicability !== 'safe') {
        fix.classList.add('changes-build');
        fix.title = 'This fix changes what the build does: check the result.';
      }
      fix.addEventListener('click', () => {
        const title = applyFix(d);
        if (title) announce(`Applied: ${title}.`);
        view.focus();
      });
      li.append(fix);
    }
    return li;
  });
  // The browser build leaves out the failures BuildKit finds only as it makes each step (see
  // the README's "In the browser"): "none" here is not a clean build.
  if (!items.length) {
    items.push(Object.assign(document.createElement('li'), {
      className: 'empty',
      textContent: 'No problems found. The browser build leaves out the failures BuildKit meets only as it makes each step (COPY and ADD sources and flags, RUN --mount and --device options, ports, signals, volumes, commands written as lists that are not JSON): stagecraft check and the editor extensions find those too.',
    }));
  }
  const rest = analysis.diagnostics.length - shown.length;
  if (rest > 0) {
    const more = Object.assign(document.createElement('button'), {
      type: 'button',
      className: 'more',
      textContent: `Show ${rest} more problem${rest === 1 ? '' : 's'}`,
    });
    more.addEventListener('click', () => {
      // (Until another file is opened: the next keystroke keeps them all.)
      allProblems = true;
      showProblems(analysis, text);
      // (Focus stays in the list: on the first row the button's click added.)
      ui.problems.children[PROBLEMS_SHOWN]?.querySelector('button')?.focus();
    });
    const li = Object.assign(document.createElement('li'), { className: 'more-row' });
    li.append(more);
    items.push(li);
  }
  ui.problems.replaceChildren(...items);
  ui.problemCount.textContent = analysis.diagnostics.length ? `(${analysis.diagnostics.length})` : '';
}

/** The picker's value of the picked target while the text has no such target (no name has a space). */
const MISSING_TARGET = ' missing';

function showTargets(analysis) {
  const value = targetSelectValue(analysis); // (says whether the picked target is missing)
  const options = analysis.targets.map((t) => ({ value: targetArg(analysis, t.stage), label: targetLabel(analysis, t), isDefault: t.isDefault, description: t.description }));
  // The picked target the text lacks is shown, and selected: the graph shows the default target
  // meanwhile, and picking that is a change that forgets the picked one.
  const missing = value === MISSING_TARGET ? chosenTarget : null;
  const signature = JSON.stringify([options, missing]);
  // Rebuilding the list while someone has it open would reset it; only do so when it changed.
  if (ui.target.dataset.signature !== signature) {
    ui.target.dataset.signature = signature;
    const list = options.map((o) => {
      const opt = new Option(o.label, o.isDefault ? '' : o.value);
      if (o.description) opt.title = o.description;
      return opt;
    });
    if (missing != null) {
      const opt = new Option(`${missing} (not in the file)`, MISSING_TARGET);
      opt.disabled = true;
      opt.title = `No stage is called ${missing} now: the graph and the plan show the default target until one is again. Pick a target to forget ${missing}.`;
      list.unshift(opt);
    }
    ui.target.replaceChildren(...list);
  }
  ui.target.value = value;
  ui.target.disabled = options.length === 0;
}

/**
 * The picker's value for the chosen target: the default target's option has value '' (it follows
 * the default), so a chosen target that has become the default (a later stage deleted) selects it;
 * MISSING_TARGET while the text has no target of its name.
 */
function targetSelectValue(analysis) {
  const target = activeTarget(analysis);
  if (target == null) return chosenTarget != null && chosenMissing ? MISSING_TARGET : '';
  const stage = analysis.targets.find((t) => targetArg(analysis, t.stage) === target)?.stage;
  return stage != null && stage === analysis.defaultTarget ? '' : target;
}

function showPlan(analysis) {
  const target = activeTarget(analysis);
  const stage = target == null ? analysis.defaultTarget : analysis.targets.find((t) => targetArg(analysis, t.stage) === target)?.stage;
  const plan = stage == null ? null : planFor(analysis, stage, (s) => sc.plan(current.text, s));
  if (!plan) { ui.plan.replaceChildren(); return; }
  // Long lists (hundreds of stages) fold away so that the graph keeps its room.
  const row = (term, detail, cls, summary) => {
    const dt = Object.assign(document.createElement('dt'), { textContent: term });
    const dd = document.createElement('dd');
    if (summary && detail.length > 160) {
      const details = document.createElement('details');
      details.append(Object.assign(document.createElement('summary'), { textContent: summary }), detail);
      dd.append(details);
    } else {
      dd.textContent = detail;
    }
    if (cls) dt.className = cls;
    return [dt, dd];
  };
  const waves = describeWaves(plan);
  const legacyRow = row(`Legacy builder would build ${plural(plan.legacy.length, 'stage')}`,
    plan.legacyOnly.length ? `${plan.legacy.join(', ')} · BuildKit skips ${plan.legacyOnly.join(', ')}` : plan.legacy.join(', '), 'key-legacy',
    plan.legacyOnly.length ? `BuildKit skips ${plan.legacyOnly.length} of them` : 'every stage up to the target');
  // The browser build does not know where the legacy builder fails of its own accord (a
  // `RUN --mount`, a heredoc, an automatic platform ARG...): said after the list, never folded
  // away with it. `stagecraft plan --legacy` says where.
  legacyRow[1].append(Object.assign(document.createElement('span'), {
    className: 'plan-note',
    textContent: ' (if the legacy builder does not fail first: the browser does not check that; stagecraft plan --legacy does)',
  }));
  const dl = document.createElement('dl');
  dl.append(
    ...row(`BuildKit builds ${plural(plan.buildkit.length, 'stage')}`, waves.text, 'key-buildkit', waves.count),
    ...legacyRow,
  );
  if (plan.images.length) dl.append(...row('Images pulled', plan.images.join(', ')));
  // A plan of a file with errors is no promise: the first error, as the docs embed says it.
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) {
    const first = errors.reduce((a, b) => (b.from < a.from ? b : a));
    const more = errors.length > 1 ? ` (and ${plural(errors.length - 1, 'more error')}: see Problems)` : ' (see Problems)';
    dl.append(...row('The file has errors', `line ${first.line}: ${first.message.replace(/\.$/, '')}${more}`, 'plan-errors'));
  }
  const title = Object.assign(document.createElement('p'), { className: 'plan-title' });
  title.append('Building ', Object.assign(document.createElement('strong'), { textContent: plan.target }), ' (→ marks the waves BuildKit can build in parallel)');
  ui.plan.replaceChildren(title, dl);
}

function showRenameChoices(analysis) {
  const named = analysis.stages.filter((s) => s.name);
  const keep = ui.renameStage.value;
  const name = stageNamer(analysis);
  ui.renameStage.replaceChildren(...named.map((s) => new Option(name(s.index), String(s.index))));
  if (named.some((s) => String(s.index) === keep)) ui.renameStage.value = keep;
  const enabled = named.length > 0;
  for (const el of [ui.renameStage, ui.renameTo, ui.renameSubmit]) el.disabled = !enabled;
}

// ---------------------------------------------------------------------------------------------
// Cursor: position, the stage under it

let cursorFrame = 0;
/** How long the cursor rests before the graph scrolls to its stage (see `updateCursor`). */
const GRAPH_SCROLL_DELAY_MS = 150;
let graphScroll = 0;
function scheduleCursor() {
  cancelAnimationFrame(cursorFrame);
  cursorFrame = requestAnimationFrame(updateCursor);
}

function updateCursor() {
  const sel = view.state.selection.main;
  const line = view.state.doc.lineAt(sel.head);
  const selected = sel.to - sel.from;
  ui.cursor.textContent = `Ln ${line.number}, Col ${sel.head - line.from + 1}${selected ? ` (${selected} selected)` : ''}`;
  // Only when the analysis matches the text: offsets into an older text would point elsewhere.
  if (!sc || !current || current.text.length !== view.state.doc.length || current.text !== view.state.doc.toString()) return;
  const stage = sc.stageAt(current.text, sel.head);
  // The node is marked at once, and the graph scrolled to it once the cursor rests: scrolling a
  // graph of thousands of stages makes Chromium paint the newly shown part (≈2 s a PageDown at
  // 2,000 stages, which held up the editor; 10 PageDowns took 17 s).
  graph.select(stage);
  clearTimeout(graphScroll);
  graphScroll = setTimeout(() => graph.select(stage, { scroll: true }), GRAPH_SCROLL_DELAY_MS);
  // The rename form follows the cursor unless someone is using it.
  if (stage != null && current.analysis.stages[stage]?.name && !ui.renameForm.contains(document.activeElement)) {
    ui.renameStage.value = String(stage);
  }
}

// ---------------------------------------------------------------------------------------------
// Rename

/** F2: rename the stage named at the cursor (a reference or a definition), else the one around it. */
function startRename() {
  const analysis = freshAnalysis();
  if (!analysis) return;
  const head = view.state.selection.main.head;
  const text = current.text;
  const stage = sc.definition(text, head)?.stage ?? sc.stageAt(text, head);
  if (stage == null || !analysis.stages[stage]?.name) {
    // Shown under the rename form (an alert, so screen readers hear it too): F2 must not seem
    // to do nothing.
    ui.renameError.textContent = stage == null
      ? 'F2 renames the stage at the cursor: put the cursor on a stage or a reference to one.'
      : `${analysis.stages[stage].displayName} has no name to rename: give it one with "AS name" on its FROM line.`;
    return;
  }
  ui.renameStage.value = String(stage);
  // The name as written (lists show BuildKit's, in lower case): a rename that keeps it
  // changes nothing.
  const s = analysis.stages[stage];
  ui.renameTo.value = text.slice(s.nameFrom, s.nameTo);
  ui.renameError.textContent = '';
  showRenameHint(ui.renameTo.value);
  ui.renameTo.focus();
  ui.renameTo.select();
}

ui.renameForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const analysis = freshAnalysis();
  const stage = analysis?.stages[Number(ui.renameStage.value)];
  const newName = ui.renameTo.value.trim();
  if (!stage) return;
  if (!newName) { ui.renameError.textContent = 'Enter a new name.'; ui.renameTo.focus(); return; }
  let result;
  try {
    result = sc.rename(current.text, stage.nameFrom ?? stage.from, newName);
  } catch (e) {
    ui.renameError.textContent = errorMessage(e); // stagecraft says why it refused
    ui.renameTo.setAttribute('aria-invalid', 'true');
    ui.renameTo.focus();
    return;
  }
  // The name it has, as written: no edit to make.
  if (result.edits.length === 0) {
    ui.renameError.textContent = `${current.text.slice(stage.nameFrom, stage.nameTo)} is already called ${newName}: nothing was changed.`;
    ui.renameTo.focus();
    return;
  }
  ui.renameError.textContent = '';
  ui.renameTo.removeAttribute('aria-invalid');
  // The chosen target follows when it is this stage (a target names the last stage of a name),
  // through the transaction's effect: undo takes it back.
  const targetStage = analysis.targets.find((t) => targetArg(analysis, t.stage) === chosenTarget)?.stage;
  const effects = targetStage === stage.index ? [renameTarget.of({ from: chosenTarget, to: newName.toLowerCase() })] : [];
  applyEdits(result.edits, effects);
  refresh();
  ui.renameTo.value = ''; // (the hint about the name stays: the rename took it)
  view.focus();
  announce(`Renamed ${stage.displayName} to ${newName} (${plural(result.edits.length, 'place')}).`);
});

ui.renameTo.addEventListener('input', () => {
  ui.renameError.textContent = '';
  ui.renameTo.removeAttribute('aria-invalid');
  showRenameHint(ui.renameTo.value.trim());
});

/**
 * Under the rename form, for a name shaped as `docker build` may refuse (a separator at its end,
 * separators in a row other than `__` and dashes, more than 247 characters): the browser build does not check what `docker
 * build` makes of a stage name (it looks each up as a named build context, an image reference);
 * `stagecraft rename` and `stagecraft check` do. Nothing for other names.
 */
function showRenameHint(name) {
  // An image reference's separators between letters and digits: one `.`, one or two `_`, or any
  // number of `-` (`a--b` and `a__b` are names docker build takes).
  const separators = name.match(/[-_.]+/g) || [];
  const shape = name.length > 247 || /[-_.]$/.test(name) || separators.some((s) => !/^(?:[._]|__|-+)$/.test(s));
  ui.renameHint.hidden = !shape;
  ui.renameHint.textContent = shape
    ? 'The browser build does not check that docker build accepts this name (separators only between letters or digits: one ".", one or two "_", or dashes; at most 247 characters); stagecraft rename does.'
    : '';
}
ui.renameForm.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') { event.preventDefault(); ui.renameError.textContent = ''; view.focus(); }
});

// ---------------------------------------------------------------------------------------------
// Build options: --build-arg lines and --platform, for analyze() and renderSvg()

/** Reads the form; shows the lines that are not NAME=VALUE under it. */
function readBuildOptions() {
  const args = Object.create(null); // a NAME such as __proto__ is a name like any other
  const problems = [];
  ui.buildArgs.value.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const eq = line.indexOf('=');
    const shown = line.length > 40 ? `${line.slice(0, 40)}…` : line;
    if (eq > 0 && !/\s/.test(line.slice(0, eq))) args[line.slice(0, eq)] = line.slice(eq + 1);
    // `--build-arg NAME` alone takes NAME's value from the environment, which a page has not.
    else if (eq < 0 && !/\s/.test(line)) problems.push(`Line ${i + 1} (${shown}): a NAME alone takes its value from the environment in docker build, and the browser has none: write ${shown}=VALUE; this line is left out.`);
    else problems.push(`Line ${i + 1} (${shown}): expected NAME=VALUE, as --build-arg takes it; this line is left out.`);
  });
  buildArgs = args;
  platform = ui.platform.value.trim();
  optionsKey = JSON.stringify([buildArgs, platform]);
  ui.buildArgsError.replaceChildren(...problems.map((p) => Object.assign(document.createElement('li'), { textContent: p })));
  if (problems.length) ui.buildArgs.setAttribute('aria-invalid', 'true');
  else ui.buildArgs.removeAttribute('aria-invalid');
  showBuildOptionsState();
}

/** `message`: why the module could not read the platform (then left out of the analysis), or null. */
function showPlatformError(message) {
  if (message) {
    ui.platformError.replaceChildren(message, Object.assign(document.createElement('span'), {
      className: 'note', textContent: 'The analysis shown is without a platform (as for linux/amd64).',
    }));
    ui.platform.setAttribute('aria-invalid', 'true');
  } else {
    ui.platformError.replaceChildren();
    ui.platform.removeAttribute('aria-invalid');
  }
  showBuildOptionsState();
}

/** What is in effect, beside "Build options" (seen with the section closed too). */
function showBuildOptionsState() {
  const n = Object.keys(buildArgs).length;
  const parts = [];
  if (n) parts.push(plural(n, 'build arg'));
  if (platform) parts.push(ui.platform.hasAttribute('aria-invalid') ? `${platform} (not read)` : platform);
  const left = ui.buildArgsError.childElementCount;
  if (left) parts.push(`${plural(left, 'line')} left out`);
  ui.buildOptionsState.textContent = parts.length ? `· ${parts.join(' · ')}` : '';
}

for (const field of [ui.buildArgs, ui.platform]) {
  field.addEventListener('input', () => { readBuildOptions(); scheduleAnalysis(); });
}

// ---------------------------------------------------------------------------------------------
// Toolbar: open, example, target, downloads, zoom

$('open-file').addEventListener('click', () => ui.fileInput.click());
ui.fileInput.addEventListener('change', () => {
  const file = ui.fileInput.files?.[0];
  if (file) openFile(file);
  ui.fileInput.value = ''; // opening the same file again still fires `change`
});
$('load-example').addEventListener('click', () => { setDocument(exampleText, EXAMPLE_NAME); announce('Loaded the example.'); });
$('retry').addEventListener('click', () => location.reload());
$('file-notice-close').addEventListener('click', () => { showFileNotice(null); view.focus(); });

ui.target.addEventListener('change', () => {
  chosenTarget = ui.target.value === '' ? null : ui.target.value;
  chosenMissing = false;
  redrawForTarget();
  const plan = ui.plan.querySelector('dd');
  announce(`Target ${ui.target.selectedOptions[0]?.text}. BuildKit builds ${plan?.textContent ?? ''}.`);
});

// toDot and toMermaid take no options: they use the last analysis of the text, so it is made
// again with the options shown (docs/interfaces.md §1).
// Each the graph on screen: the chosen target is the build's (which stages are unused), as
// `stagecraft graph --target` has it (the default target while the text has no such target).
const withTarget = (o) => {
  const target = current ? activeTarget(current.analysis) : null;
  return target == null ? o : { ...o, target };
};
const DOWNLOADS = {
  svg: { ext: 'svg', type: 'image/svg+xml', make: (t, o) => { const w = withTarget(o); return sc.renderSvg(t, w?.target ?? null, w); } },
  dot: { ext: 'dot', type: 'text/vnd.graphviz', make: (t, o) => { sc.analyze(t, withTarget(o)); return sc.toDot(t); } },
  mermaid: { ext: 'mmd', type: 'text/plain', make: (t, o) => { sc.analyze(t, withTarget(o)); return sc.toMermaid(t); } },
};
for (const button of document.querySelectorAll('[data-download]')) {
  button.addEventListener('click', () => {
    const kind = DOWNLOADS[button.dataset.download];
    let data;
    try {
      freshAnalysis(); // the text and options as they are now, a platform it cannot read left out
      data = kind.make(view.state.doc.toString(), current?.options);
    } catch (e) {
      announce(`Could not export: ${errorMessage(e)}`);
      return;
    }
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([data], { type: kind.type }));
    a.download = `${fileName.replace(/\.(dockerfile|Dockerfile)$/, '') || 'Dockerfile'}.stages.${kind.ext}`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  });
}

document.querySelector('.zoom').addEventListener('click', (event) => {
  const action = event.target.closest('[data-zoom]')?.dataset.zoom;
  if (!action) return;
  const scale = currentScale();
  if (action === 'fit') zoom = 'fit';
  else zoom = Math.min(3, Math.max(0.1, (action === 'in' ? scale * 1.25 : scale / 1.25)));
  applyZoom();
});

function viewBoxOf(svg) {
  const vb = svg?.viewBox?.baseVal;
  return vb && vb.width > 0 ? vb : null;
}

/** The scale that shows the whole graph in the pane (never blown up past 125%). */
function fitScale(vb) {
  // A little slack so that rounding never brings up scrollbars (which would change the fit).
  return Math.min(1.25, (ui.graph.clientWidth - 24) / vb.width, (ui.graph.clientHeight - 24) / vb.height);
}

function currentScale() {
  const vb = viewBoxOf(ui.graph.querySelector('svg'));
  if (typeof zoom === 'number' || !vb) return typeof zoom === 'number' ? zoom : 1;
  const fit = fitScale(vb);
  // 'auto' fits, but not below 75% (as the docs embed): smaller, the text is unreadable (7 px on
  // a phone); there it scrolls.
  return zoom === 'fit' ? fit : Math.max(fit, 0.75);
}

function applyZoom() {
  const svg = ui.graph.querySelector('svg');
  const vb = viewBoxOf(svg);
  if (!vb) return;
  const scale = currentScale();
  svg.style.width = `${Math.round(vb.width * scale)}px`;
  svg.style.height = `${Math.round(vb.height * scale)}px`;
  ui.zoomLevel.textContent = `${Math.round(scale * 100)}%`;
  document.querySelector('[data-zoom="fit"]').setAttribute('aria-pressed', String(zoom === 'fit'));
}
new ResizeObserver(() => applyZoom()).observe(ui.graph.parentElement);

// ---------------------------------------------------------------------------------------------

let announceTimer = 0;
/** Tells screen-reader users about things that happen away from their focus. */
function announce(message) {
  clearTimeout(announceTimer);
  ui.announce.textContent = message;
  announceTimer = setTimeout(() => { ui.announce.textContent = ''; }, 5000);
}

// A read-only view of the editor for automation (the browser tests) and the browser console.
window.stagecraftExplorer = Object.freeze({
  text: () => view.state.doc.toString(),
  /** Replaces from..to with `insert` as typing does (the analysis follows as it does for typing). */
  edit: (from, to, insert) => view.dispatch({ changes: { from, to, insert }, userEvent: 'input.type' }),
  selection: () => {
    const { from, to, head } = view.state.selection.main;
    return { from, to, head, line: view.state.doc.lineAt(head).number };
  },
});

async function start() {
  ui.fileName.textContent = fileName;
  try {
    sc = await loadStagecraft(PKG_URL);
  } catch (e) {
    $('load-error-detail').textContent = errorMessage(e);
    $('load-error').hidden = false;
    showGraphMessage('The graph is unavailable because the stagecraft module did not load.', true);
    ui.problems.replaceChildren(Object.assign(document.createElement('li'), { className: 'empty', textContent: 'Problems are unavailable.' }));
    document.body.dataset.state = 'error';
    return;
  }
  for (const b of document.querySelectorAll('[data-download]')) b.disabled = false;
  refresh();
  document.body.dataset.state = 'ready'; // for tests and styling
}

start();
