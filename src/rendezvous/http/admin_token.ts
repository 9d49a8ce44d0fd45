/**
 * The dashboard's admin token: 32 random bytes (hex) made at the first start with --http, kept
 * in the data directory in an owner-only file. The caller prints a new token once.
 */
import { join } from "node:path";
import { toHex } from "../../crypto/bytes.ts";

/** The token file's name in the data directory. */
export const ADMIN_TOKEN_FILE = "admin.token";

/**
 * Reads the token from `dataDir`, or makes and stores one. `created` says it is new.
 * @throws RangeError when the stored file holds no token.
 */
export async function loadOrCreateAdminToken(
  dataDir: string,
): Promise<{ token: string; created: boolean }> {
  const path = join(dataDir, ADMIN_TOKEN_FILE);
  try {
    const token = (await Deno.readTextFile(path)).trim();
    if (!/^[0-9a-f]{64}$/.test(token)) {
      throw new RangeError(`${path} does not hold an admin token; delete it to make a new one`);
    }
    await Deno.chmod(path, 0o600);
    return { token, created: false };
  } catch (err: unknown) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const token = toHex(crypto.getRandomValues(new Uint8Array(32)));
  await Deno.writeTextFile(path, token + "\n", { mode: 0o600, createNew: true });
  return { token, created: true };
}
