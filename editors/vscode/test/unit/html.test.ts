// Unit tests of the graph page's HTML and CSP (src/logic.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { escapeHtml, graphCsp, graphHtml } from "../../src/logic";

const SRC = "https://file+.vscode-resource.vscode-cdn.net";

test("the CSP lets the page load its modules and compile the wasm, and nothing else", () => {
  const csp = graphCsp(SRC, "abc=");
  const dir = (name: string) => csp.split("; ").find((d) => d.startsWith(`${name} `));
  assert.equal(dir("default-src"), "default-src 'none'");
  assert.equal(dir("script-src"), `script-src 'nonce-abc=' ${SRC} 'wasm-unsafe-eval'`);
  assert.equal(dir("connect-src"), `connect-src ${SRC}`);
  assert.ok(!csp.includes("'unsafe-eval'"), "no 'unsafe-eval': only 'wasm-unsafe-eval'");
});

test("the page: a module script by nonce, the wasm URLs on <body>, escaped", () => {
  const html = graphHtml({
    cspSource: SRC,
    nonce: "n0nce",
    css: `${SRC}/media/graph.css`,
    theme: `${SRC}/media/graph-theme.css`,
    js: `${SRC}/media/graph.js`,
    wasmJs: `${SRC}/media/wasm/stagecraft_wasm.js?a=1&b=2`,
    wasmBin: `${SRC}/media/wasm/stagecraft_wasm_bg.wasm`,
  });
  assert.match(html, /<script type="module" nonce="n0nce" src="https:\/\/[^"]+\/media\/graph\.js"><\/script>/);
  assert.ok(html.includes(`data-wasm-js="${SRC}/media/wasm/stagecraft_wasm.js?a=1&amp;b=2"`));
  assert.ok(html.includes(`data-wasm-bin="${SRC}/media/wasm/stagecraft_wasm_bg.wasm"`));
  assert.ok(html.includes('id="graph"') && html.includes('id="target"') && html.includes('id="status"'));
  // The graph theme first, so that the page's own rules (focus, selection) come after it.
  const theme = html.indexOf(`href="${SRC}/media/graph-theme.css"`);
  assert.ok(theme > 0 && theme < html.indexOf(`href="${SRC}/media/graph.css"`), html);
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
});
