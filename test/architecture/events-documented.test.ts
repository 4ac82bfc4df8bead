import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * docs/events.md is the contract of `--json` for people who parse it: a row per event type with
 * every field, and the build-all summary with its rows. This reads the event union and the row type
 * from the code with the TypeScript parser and fails when the docs miss a type or a field (an event
 * or field added to the code and never written down), or name a type the code does not have.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const DOCS = readFileSync(resolve(ROOT, 'docs/events.md'), 'utf8');
/** Emitted to library sinks only: the JSON renderer keeps command output in the log file. */
const LIBRARY_ONLY = new Set(['step-output']);

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, readFileSync(resolve(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true);
}

function members(node: ts.TypeNode | ts.InterfaceDeclaration): { name: string; optional: boolean; type: ts.TypeNode | undefined }[] {
  const list: readonly ts.TypeElement[] = ts.isInterfaceDeclaration(node) ? node.members : ts.isTypeLiteralNode(node) ? node.members : [];
  return list
    .filter((p): p is ts.PropertySignature => ts.isPropertySignature(p))
    .map((p) => ({ name: p.name.getText(), optional: p.questionToken !== undefined, type: p.type }));
}

/** Every member of `export type BuildEvent = | {…} | {…}`: its `type` literal and its other fields. */
function eventsInCode(): Map<string, string[]> {
  const file = parse('src/core/events.ts');
  const alias = file.statements.find((s): s is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(s) && s.name.text === 'BuildEvent');
  if (!alias || !ts.isUnionTypeNode(alias.type)) throw new Error('BuildEvent is not a union in src/core/events.ts');
  const events = new Map<string, string[]>();
  for (const member of alias.type.types) {
    const fields = members(member);
    const type = fields.find((f) => f.name === 'type')?.type;
    if (!type || !ts.isLiteralTypeNode(type) || !ts.isStringLiteral(type.literal))
      throw new Error(`an event without a type literal: ${member.getText()}`);
    events.set(
      type.literal.text,
      fields.filter((f) => f.name !== 'type').map((f) => `${f.name}${f.optional ? '?' : ''}`),
    );
  }
  return events;
}

/** The rows of the docs' event table: type → the text of its fields cell. */
function eventsInDocs(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of DOCS.split('\n')) {
    // Cells are split on `|`; an escaped `\|` inside a cell (`ok` \| `failed`) is not a border.
    const cells = line.replaceAll('\\|', '\u0000').split('|');
    const type = /^ `([a-z-]+)` $/.exec(cells[1] ?? '')?.[1];
    if (line.startsWith('|') && type) rows.set(type, cells[2]);
  }
  return rows;
}

describe('docs/events.md lists every event and field the code emits', () => {
  const code = eventsInCode();
  const docs = eventsInDocs();

  it('reads the union from the code (the parse found the events)', () => {
    expect([...code.keys()]).toEqual(expect.arrayContaining(['run-start', 'step-progress', 'run-end']));
  });

  it('has a row for every event --json prints, and none the code does not have', () => {
    const printed = [...code.keys()].filter((t) => !LIBRARY_ONLY.has(t)).sort();
    expect([...docs.keys()].sort()).toEqual(printed);
  });

  it.each([...code.entries()].filter(([t]) => !LIBRARY_ONLY.has(t)))('the %s row names each of its fields', (type, fields) => {
    const cell = docs.get(type) ?? '';
    // A field is written `name`, or `name?` when it may be absent; its values may follow.
    const missing = fields.filter((f) => !cell.includes(`\`${f}\``));
    expect(missing, `docs/events.md, the ${type} row`).toEqual([]);
  });

  it('says where the library-only events go', () => {
    for (const type of LIBRARY_ONLY) expect(DOCS).toContain(`\`${type}\``);
  });

  it('documents the build-all summary with time and every field of its rows', () => {
    const summary = /`build-all --json` ends with one more line, the summary: `([^`]*)`/s.exec(DOCS)?.[1] ?? '';
    for (const key of ['time', 'type: "summary"', 'status', 'rows']) expect(summary).toContain(key);
    const file = parse('src/actions/build-all-graph.ts');
    const row = file.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'TargetRow');
    expect(row).toBeDefined();
    for (const f of members(row!)) expect(summary, `summary row field ${f.name}`).toContain(`${f.name}${f.optional ? '?' : ''}`);
  });
});
