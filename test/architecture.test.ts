// The shape of src/: every file sits in one layer, imports only point down, there are no import cycles and no
// exported mutable module state. Imports are read with the TypeScript compiler (ts.preProcessFile finds every
// import, export-from, import() and import type) and resolved as tsc resolves them.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Layers, top to bottom. A file may import a file of its own layer or of any layer with a lower rank; never one
 * with a higher rank, nor one of another layer with the same rank (siblings stay independent). Paths are relative
 * to the repository: a file name, or a folder followed by `/**`. Edit this table as files move.
 */
const LAYERS: readonly { layer: string; rank: number; paths: readonly string[] }[] = [
  // Entry point and subcommands: parse argv, dispatch, write the output. v8-settings is the entry point's first import.
  { layer: 'cli', rank: 8, paths: ['src/cli.ts', 'src/kills/command.ts', 'src/kills/output.ts', 'src/top/**', 'src/v8-settings.ts'] },
  // The composition root and the configuration it is built from.
  { layer: 'exporter', rank: 7, paths: ['src/exporter.ts', 'src/config.ts'] },
  { layer: 'web', rank: 6, paths: ['src/web/**'] },
  { layer: 'collection', rank: 5, paths: ['src/collection.ts'] },
  { layer: 'collectors', rank: 4, paths: ['src/collectors/**'] },
  // The family/sample writer the collectors emit through, and the kill store and formatting (collectors and cli).
  { layer: 'exposition', rank: 3, paths: ['src/exposition/**'] },
  { layer: 'kills', rank: 3, paths: ['src/kills/store.ts', 'src/kills/format.ts'] },
  // Readers of the machine. cgroup and kernellog may use procfs; procfs uses neither; cgroup and kernellog are siblings.
  { layer: 'cgroup', rank: 2, paths: ['src/cgroup/**'] },
  { layer: 'kernellog', rank: 2, paths: ['src/kernellog/**'] },
  { layer: 'procfs', rank: 1, paths: ['src/procfs/**'] },
  // Shared leaves, importable from anywhere; they import only each other.
  { layer: 'shared', rank: 0, paths: ['src/log.ts', 'src/version.ts', 'src/size.ts', 'src/flags.ts', 'src/types/**'] },
];

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = path.join(ROOT, 'src');
const TABLE = 'add it to the layer table (LAYERS in test/architecture.test.ts)';

const rel = (abs: string): string => path.relative(ROOT, abs).split(path.sep).join('/');
const isSource = (name: string): boolean => /\.(m|c)?ts$/.test(name);

/** Every TypeScript file under src/, as repository-relative paths, sorted. */
function sourceFiles(): string[] {
  return fs
    .readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((f) => isSource(f) && fs.statSync(path.join(SRC, f)).isFile())
    .map((f) => rel(path.join(SRC, f)))
    .sort();
}

function layersOf(file: string): (typeof LAYERS)[number][] {
  return LAYERS.filter((l) => l.paths.some((p) => (p.endsWith('/**') ? file.startsWith(p.slice(0, -2)) : file === p)));
}

const COMPILER_OPTIONS: ts.CompilerOptions = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext };

interface Graph {
  files: string[];
  /** file -> the src/ files it imports (sorted, each once). */
  imports: Map<string, string[]>;
  /** Relative imports that do not resolve to a file under src/. */
  unresolved: string[];
}

function importGraph(): Graph {
  const files = sourceFiles();
  const imports = new Map<string, string[]>();
  const unresolved: string[] = [];
  for (const file of files) {
    const abs = path.join(ROOT, file);
    const targets = new Set<string>();
    for (const { fileName: spec } of ts.preProcessFile(fs.readFileSync(abs, 'utf8'), true, true).importedFiles) {
      const resolved = ts.resolveModuleName(spec, abs, COMPILER_OPTIONS, ts.sys).resolvedModule;
      const target = resolved ? rel(path.resolve(resolved.resolvedFileName)) : undefined;
      if (target !== undefined && target.startsWith('src/') && !resolved?.isExternalLibraryImport) targets.add(target);
      else if (spec.startsWith('.')) unresolved.push(`${file}: '${spec}' does not resolve to a file under src/`);
      // Anything else is a package (node:*, fastify, ...): not part of the layering.
    }
    imports.set(file, [...targets].sort());
  }
  return { files, imports, unresolved };
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
function cycles(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.imports.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.imports.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const f of graph.files) if (!index.has(f)) visit(f);
  return out;
}

/** The shortest import path from start back to start, inside one strongly connected component. */
function cyclePath(graph: Graph, scc: string[]): string[] {
  const start = scc[0]!;
  const members = new Set(scc);
  const from = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.imports.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const route = [start];
        for (let u = v; u !== start; u = from.get(u)!) route.splice(1, 0, u);
        return [...route, start];
      }
      if (!from.has(w)) {
        from.set(w, v);
        queue.push(w);
      }
    }
  }
  return scc;
}

/** `export let` / `export var`, and `export { x }` of a module-level let or var. */
function exportedMutables(file: string): string[] {
  const sf = ts.createSourceFile(file, fs.readFileSync(path.join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const mutable = new Set<string>();
  const at = (node: ts.Node): string => `${file}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`;
  for (const st of sf.statements) {
    if (!ts.isVariableStatement(st) || st.declarationList.flags & ts.NodeFlags.Constant) continue;
    const exported = st.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) ?? false;
    for (const d of st.declarationList.declarations) {
      const name = d.name.getText(sf);
      if (exported) found.push(`${at(d)}: export let/var ${name}`);
      else mutable.add(name);
    }
  }
  for (const st of sf.statements) {
    if (!ts.isExportDeclaration(st) || st.moduleSpecifier || !st.exportClause || !ts.isNamedExports(st.exportClause)) continue;
    for (const e of st.exportClause.elements) {
      const local = (e.propertyName ?? e.name).getText(sf);
      if (mutable.has(local)) found.push(`${at(e)}: exports the module-level let/var ${local}`);
    }
  }
  return found;
}

describe('architecture of src/', () => {
  const graph = importGraph();

  it('finds the sources', () => {
    expect(graph.files).toContain('src/cli.ts');
  });

  it('has every file in exactly one layer', () => {
    const problems = graph.files.flatMap((f) => {
      const ls = layersOf(f);
      if (ls.length === 0) return [`${f}: in no layer: ${TABLE}`];
      if (ls.length > 1) return [`${f}: in ${ls.length} layers (${ls.map((l) => l.layer).join(', ')}): keep it in one`];
      return [];
    });
    expect(problems).toEqual([]);
  });

  it('resolves every relative import to a file under src/', () => {
    expect(graph.unresolved).toEqual([]);
  });

  it('has no import cycles', () => {
    const found = cycles(graph).map((scc) => {
      const route = cyclePath(graph, scc).join(' -> ');
      return scc.length > 2 ? `${route} (files in this knot: ${scc.join(', ')})` : route;
    });
    expect(found).toEqual([]);
  });

  it('imports only point down the layers', () => {
    const problems: string[] = [];
    for (const [file, targets] of graph.imports) {
      const [from] = layersOf(file);
      if (from === undefined) continue; // reported above
      for (const target of targets) {
        const [to] = layersOf(target);
        if (to === undefined || to.layer === from.layer || to.rank < from.rank) continue;
        const why = to.rank === from.rank ? 'a sibling layer' : 'a higher layer';
        problems.push(`${file} (${from.layer}) imports ${target} (${to.layer}): ${why}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('exports no mutable module-level state (export let)', () => {
    expect(graph.files.filter((f) => !f.endsWith('.d.ts')).flatMap(exportedMutables)).toEqual([]);
  });
});
