// Which lines of a Dockerfile are heredoc bodies, line by line, as BuildKit's parser finds them
// (crates/syntax/src/parser/mod.rs and heredoc.rs follow it; the explorer's tests check this file
// against the wasm module's analyze()). For colouring only: the wasm module exports no tokens,
// and its size budget leaves no room for them.
//
// BuildKit joins an instruction's continuation lines (the escape character of a leading
// `# escape=` directive, else a backslash, at the end of a line; comment lines and blank lines
// in between are skipped), and a RUN, COPY or ADD in shell form, or an ONBUILD around one, then
// reads a body for each of its heredoc words, one after the other, from the next line: a word of
// the line (split as the shell splits it, quotes kept) that is `<<NAME`, `<<-NAME` (the
// terminator may follow tabs) or `3<<NAME`, NAME quoted or not. `cat<<EOF` is one word that is no
// heredoc, and `"<<EOF"` is quoted text. A body ends at the line that is NAME (after the tabs for
// `<<-`), trailing carriage returns aside.

/** The state before the first line. */
export function heredocStart() {
  return { first: true, directives: true, seen: [], escape: '\\', continued: false, logical: '', bodies: [] };
}

export function copyHeredocState(s) {
  return { ...s, seen: s.seen.slice(), bodies: s.bodies.slice() };
}

// BuildKit's directive regex, after the leading blanks: `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`.
const DIRECTIVE = /^#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$/;

/**
 * Reads the next line (its text without the line break) into `s`, and says what it is: 'body'
 * (a heredoc body's line), 'terminator' (the line that ends one), or 'line' (anything else).
 */
export function heredocLine(s, raw) {
  let line = raw;
  if (s.first) {
    s.first = false;
    if (line.startsWith('\uFEFF')) line = line.slice(1);
  }
  // (BuildKit's scanner drops the `\r` of a CRLF; stagecraft drops every `\r` at a line's end.)
  const content = line.replace(/\r+$/, '');
  if (s.bodies.length) {
    const { name, tabs } = s.bodies[0];
    if ((tabs ? content.replace(/^\t+/, '') : content) === name) {
      s.bodies.shift();
      return 'terminator';
    }
    return 'body';
  }
  const trimmed = content.trimStart();
  if (s.directives) {
    const d = DIRECTIVE.exec(trimmed);
    const key = d?.[1].toLowerCase();
    if (key === 'syntax' || key === 'escape' || key === 'check') {
      if (!s.seen.includes(key)) {
        s.seen.push(key);
        if (key === 'escape' && (d[2] === '\\' || d[2] === '`')) s.escape = d[2];
      }
      return 'line';
    }
    s.directives = false;
  }
  // Comment lines and blank lines: between continuation lines too, where BuildKit skips them.
  if (trimmed.startsWith('#') || trimmed === '') return 'line';
  const esc = continuationAt(content, s.escape);
  const part = esc < 0 ? content : content.slice(0, esc);
  s.logical = s.continued ? s.logical + part : part.trimStart();
  s.continued = esc >= 0;
  if (!s.continued) {
    s.bodies = heredocCapable(s.logical) ? heredocsOf(s.logical) : [];
    s.logical = '';
  }
  return 'line';
}

/** Where the line's continuation escape is (`([^E])E[ \t]*$|^E[ \t]*$`), or -1. */
function continuationAt(line, escape) {
  let i = line.length;
  while (i > 0 && (line[i - 1] === ' ' || line[i - 1] === '\t')) i--;
  if (i === 0 || line[i - 1] !== escape) return -1;
  return i - 1 > 0 && line[i - 2] === escape ? -1 : i - 1;
}

const BLANK = /^[\t\v\f\r ]+/;
/** Leading flags (`--mount=...`), as BuildKit's extractBuilderFlags skips them (roughly). */
const FLAGS = /^(?:--(?:[^\t\v\f\r "']|"[^"]*"|'[^']*')*[\t\v\f\r ]*)*/;

/** BuildKit's canContainHeredoc: RUN, COPY or ADD (or an ONBUILD around one), not in JSON form. */
function heredocCapable(logical) {
  const keyword = (text) => {
    const t = text.replace(BLANK, '');
    const end = t.search(/[\t\v\f\r ]/);
    const word = (end < 0 ? t : t.slice(0, end)).toLowerCase();
    const rest = end < 0 ? '' : t.slice(end).replace(BLANK, '').replace(FLAGS, '');
    return { word, rest };
  };
  let { word, rest } = keyword(logical);
  if (word === 'onbuild') ({ word, rest } = keyword(rest));
  if (word !== 'run' && word !== 'copy' && word !== 'add') return false;
  const args = rest.trim();
  if (!args.startsWith('[')) return true;
  try {
    const list = JSON.parse(args);
    return !(Array.isArray(list) && list.every((x) => typeof x === 'string'));
  } catch {
    return true;
  }
}

/**
 * The line's words as BuildKit's heredocsFromLine splits them (quotes and escapes kept; `<<`
 * keeps the blanks after it), or [] when a quote is not closed (BuildKit then finds no heredoc).
 */
function shellWords(line) {
  const words = [];
  let word = null;
  const add = (text) => { word = (word ?? '') + text; };
  for (let i = 0; i < line.length;) {
    const c = line[i];
    if (c === '<' && line[i + 1] === '<') {
      let j = i + 2;
      while (j < line.length && ' \t\r\n'.includes(line[j])) j++;
      add(line.slice(i, j));
      i = j;
    } else if (c === "'") {
      const j = line.indexOf("'", i + 1);
      if (j < 0) return [];
      add(line.slice(i, j + 1));
      i = j + 1;
    } else if (c === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') j += line[j] === '\\' && '"$\\'.includes(line[j + 1] ?? '') ? 2 : 1;
      if (j >= line.length) return [];
      add(line.slice(i, j + 1));
      i = j + 1;
    } else if (c === '\\') {
      add(line.slice(i, i + 2));
      i += 2;
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
      i++;
    } else {
      add(c);
      i++;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

/** A word's text with its quotes and escapes removed (the heredoc's name), or '' when empty. */
function unquote(text) {
  let out = '';
  for (let i = 0; i < text.length;) {
    const c = text[i];
    if (c === "'") {
      const j = text.indexOf("'", i + 1);
      out += text.slice(i + 1, j);
      i = j + 1;
    } else if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') {
        if (text[j] === '\\' && '"$\\'.includes(text[j + 1] ?? '')) { out += text[j + 1]; j += 2; } else { out += text[j]; j++; }
      }
      i = j + 1;
    } else if (c === '\\') {
      out += text[i + 1] ?? '';
      i += 2;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** The heredocs of a logical instruction line, in order: [{name, tabs}]. */
function heredocsOf(logical) {
  if (!logical.includes('<<')) return [];
  const found = [];
  for (const word of shellWords(logical)) {
    const m = /^\d*<<(-?)/.exec(word);
    if (!m) continue;
    const rest = word.slice(m[0].length).replace(/^[\t\n\f\r ]+/, '');
    if (!rest || rest.includes('<')) continue;
    const name = unquote(rest);
    if (name) found.push({ name, tabs: m[1] === '-' });
  }
  return found;
}
