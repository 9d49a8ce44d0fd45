/**
 * A peer.db column whose values are sealed at rest with the profile's storage key
 * (crypto/at_rest.ts): private keys, ratchet states. Each value is bound to its table, column and
 * row — the context is "<table>.<column>" ‖ 0x00 ‖ the row's key —, so a sealed value copied to
 * another row, column or table does not open, and one that does not open is reported by name.
 */
import { openAtRestSync, sealAtRestSync } from "../../crypto/at_rest.ts";
import { DecryptionError } from "../../crypto/primitives.ts";

const encoder = new TextEncoder();

/** The at-rest context of the value of row `rowKey` under `label`: label ‖ 0x00 ‖ rowKey. */
export function rowContext(label: string, rowKey: Uint8Array): Uint8Array {
  const prefix = encoder.encode(label);
  const context = new Uint8Array(prefix.length + 1 + rowKey.length);
  context.set(prefix);
  context.set(rowKey, prefix.length + 1);
  return context;
}

/** One sealed column of one table. */
export class SealedColumn {
  readonly #label: string;

  /** The column `column` of `table`, sealed with `storageKey`. */
  constructor(
    private readonly storageKey: Uint8Array,
    readonly table: string,
    readonly column: string,
  ) {
    this.#label = `${table}.${column}`;
  }

  /** `plaintext` sealed for the row whose key is `rowKey`. */
  seal(rowKey: Uint8Array, plaintext: Uint8Array): Uint8Array {
    return sealAtRestSync(this.storageKey, plaintext, rowContext(this.#label, rowKey));
  }

  /**
   * The plaintext of `sealed`, stored in the row whose key is `rowKey`; `what` names the value
   * for the error ("the private key of signed prekey 3").
   * @throws DecryptionError naming `what`, the table and the column when it does not open:
   * altered, copied from another row, or sealed with another storage key.
   */
  open(rowKey: Uint8Array, sealed: Uint8Array, what: string): Uint8Array {
    const plaintext = this.tryOpen(rowKey, sealed);
    if (plaintext === undefined) {
      throw new DecryptionError(
        `Cannot open ${what} (${this.#label} in peer.db): it is damaged, was copied from ` +
          "another row, or was sealed with another storage.key",
      );
    }
    return plaintext;
  }

  /** The plaintext of `sealed` in the row keyed `rowKey`, or undefined when it does not open. */
  tryOpen(rowKey: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
    try {
      return openAtRestSync(this.storageKey, sealed, rowContext(this.#label, rowKey));
    } catch (err: unknown) {
      if (err instanceof DecryptionError || err instanceof RangeError) return undefined;
      throw err;
    }
  }
}

/** The row key of a row identified by a text key ("3:17" for kind 3, id 17). */
export function textRowKey(...parts: readonly (string | number)[]): Uint8Array {
  return encoder.encode(parts.join(":"));
}
