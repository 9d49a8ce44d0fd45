/**
 * Tallies a V8 heap snapshot (the .heapsnapshot JSON format of Chrome DevTools) by object kind:
 * self bytes and count per "type:name" (a constructor, or "(string)", "(array)" …). Pure.
 */

/** Self bytes and count of the objects of one kind. */
export interface HeapCount {
  readonly bytes: number;
  readonly count: number;
}

/** Heap objects by kind. */
export type HeapTally = Map<string, HeapCount>;

/** The parts of a .heapsnapshot this reads. */
export interface HeapSnapshot {
  readonly snapshot: {
    readonly meta: {
      readonly node_fields: readonly string[];
      readonly node_types: readonly [readonly string[], ...unknown[]];
    };
  };
  readonly nodes: readonly number[];
  readonly strings: readonly string[];
}

/**
 * Tallies `snapshot`'s nodes by kind: objects by constructor name, other types by type.
 * @throws TypeError when the snapshot lacks the type, name or self_size node fields.
 */
export function tallyHeapSnapshot(snapshot: HeapSnapshot): HeapTally {
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const [type, name, size] = ["type", "name", "self_size"].map((f) => fields.indexOf(f));
  if (type! < 0 || name! < 0 || size! < 0) {
    throw new TypeError("The heap snapshot lacks the type, name or self_size node fields");
  }
  const tally: HeapTally = new Map();
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    const kind = types[snapshot.nodes[i + type!]!] ?? "?";
    const key = kind === "object" || kind === "closure"
      ? `${kind}:${snapshot.strings[snapshot.nodes[i + name!]!]}`
      : `(${kind})`;
    const was = tally.get(key) ?? { bytes: 0, count: 0 };
    tally.set(key, { bytes: was.bytes + snapshot.nodes[i + size!]!, count: was.count + 1 });
  }
  return tally;
}

/** What `after` holds beyond `before`, kind by kind (kinds that shrank are negative). */
export function heapDifference(before: HeapTally, after: HeapTally): HeapTally {
  const difference: HeapTally = new Map();
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const a = after.get(key) ?? { bytes: 0, count: 0 };
    const b = before.get(key) ?? { bytes: 0, count: 0 };
    difference.set(key, { bytes: a.bytes - b.bytes, count: a.count - b.count });
  }
  return difference;
}
