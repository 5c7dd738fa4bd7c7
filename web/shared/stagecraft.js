// Loading the stagecraft wasm package and the bits of the stage model both pages present the same
// way (target labels, build plans).

const REQUIRED = ['analyze', 'plan', 'renderSvg', 'toDot', 'toMermaid', 'definition', 'references', 'rename', 'stageAt'];

/**
 * Imports `pkg/stagecraft_wasm.js` (wasm-bindgen `--target web`) from `url` and instantiates it.
 * Throws an Error whose message says what failed, for the page to show.
 */
export async function loadStagecraft(url) {
  let mod;
  try {
    mod = await import(url);
  } catch (e) {
    throw new Error(`could not load ${url} (${errorMessage(e)})`);
  }
  try {
    // Without arguments the package fetches stagecraft_wasm_bg.wasm next to itself.
    await mod.default();
  } catch (e) {
    throw new Error(`could not instantiate the WebAssembly module (${errorMessage(e)})`);
  }
  const missing = REQUIRED.filter((f) => typeof mod[f] !== 'function');
  if (missing.length) throw new Error(`the package lacks ${missing.join(', ')}`);
  return mod;
}

/** The text of anything thrown: wasm may throw an Error or a bare string. */
export function errorMessage(e) {
  return typeof e?.message === 'string' ? e.message : String(e);
}

/** The `target` argument of renderSvg for a stage: its name, or `#index` when unnamed. */
export function targetArg(analysis, stage) {
  if (stage == null) return null;
  const s = analysis.stages[stage];
  return s && s.name ? s.name : `#${stage}`;
}

/** How a target reads in a picker: `release (default)`. */
export function targetLabel(analysis, target) {
  const name = analysis.stages[target.stage]?.displayName ?? target.name ?? `stage-${target.stage}`;
  return target.isDefault ? `${name} (default)` : name;
}

/**
 * What building `stage` takes, by display name: BuildKit's waves, the stages only the legacy
 * builder builds, the images pulled. `planOf(stage)` (the package's `plan` on the same text)
 * gives the plan where `analyze` left it null, in a file with thousands of stages in a chain.
 */
export function planFor(analysis, stage, planOf) {
  const target = analysis.targets.find((t) => t.stage === stage);
  if (!target) return null;
  const name = stageNamer(analysis);
  const plan = target.plan ?? planOf?.(stage);
  if (!plan) return null;
  const built = new Set(plan.stages);
  return {
    target: name(stage),
    buildkit: plan.stages.map(name),
    waves: plan.waves.map((w) => w.map(name)),
    // Stages on or after a cycle of references (a build error): no order builds them.
    inCycle: plan.inCycle.map(name),
    legacy: plan.legacyStages.map(name),
    legacyOnly: plan.legacyStages.filter((s) => !built.has(s)).map(name),
    images: plan.images,
  };
}

/**
 * Names for stages in running text: the display name, with the FROM's line where several stages
 * have that name (`a (line 1)`, `a (line 3)`; BuildKit's `--target` and `--from` take the last).
 */
export function stageNamer(analysis) {
  const seen = new Map();
  for (const s of analysis.stages) seen.set(s.displayName, (seen.get(s.displayName) ?? 0) + 1);
  return (i) => {
    const s = analysis.stages[i];
    if (!s) return `stage-${i}`;
    return seen.get(s.displayName) > 1 ? `${s.displayName} (line ${s.line})` : s.displayName;
  };
}

/**
 * A plan of `planFor` in words: its waves (`a, b → c`, then the stages on or after a cycle of
 * references, which are in no wave) and how many waves that is.
 */
export function describeWaves(plan) {
  const cycle = plan.inCycle.length ? `in no wave, on or after a cycle of references: ${plan.inCycle.join(', ')}` : '';
  const waves = plan.waves.map((w) => w.join(', ')).join(' → ');
  return {
    text: waves && cycle ? `${waves} · ${cycle}` : waves || cycle,
    count: `in ${plural(plan.waves.length, 'wave')}${plan.inCycle.length ? `, ${plan.inCycle.length} in none` : ''}`,
  };
}

/** `1 stage`, `2 stages`. */
export function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
