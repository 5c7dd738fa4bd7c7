// What the graph's edges mean, for their tooltips: shared by the explorer and docs embed
// (web/shared/graph.js) and the VS Code graph webview (editors/vscode/build.sh copies this file
// into editors/vscode/media/). The SVG comes from stagecraft; the wasm build has no room for
// these sentences, so the page adds them.

/**
 * An edge to the stage itself or to one defined after it is drawn red (class `forward`): a
 * build of that stage fails there (every build, when the edge closes a cycle: BuildKit checks
 * for cycles before it picks the target's stages). Appends that to each such edge's tooltip.
 */
export function explainForwardEdges(svg) {
  for (const title of svg.querySelectorAll('g.edge.forward > title')) {
    title.textContent += ': BuildKit fails a build of this stage here (every build, when this closes a cycle): a stage can only use the stages above it';
  }
}
