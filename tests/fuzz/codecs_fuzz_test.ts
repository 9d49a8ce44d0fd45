/**
 * Every generated decoder against random and mutated bytes: it returns a message or throws an
 * Error, and it never hangs or throws anything else. A decoder that answered hostile bytes with
 * an endless loop or a non-Error would take down whatever reads the frame.
 */
import fc from "fast-check";
import assert from "node:assert/strict";
import * as certificate from "../../src/proto/certificate.ts";
import * as chat from "../../src/proto/chat.ts";
import * as envelope from "../../src/proto/envelope.ts";
import * as file from "../../src/proto/file.ts";
import * as mailbox from "../../src/proto/mailbox.ts";
import * as ratchet from "../../src/proto/ratchet.ts";
import * as rendezvous from "../../src/proto/rendezvous.ts";
import * as room from "../../src/proto/room.ts";
import * as services from "../../src/proto/services.ts";
import { fuzzParameters, mutated } from "./fuzz_runs.ts";

/** A generated message codec (protons). */
interface Codec {
  encode(value: unknown): Uint8Array;
  decode(bytes: Uint8Array): unknown;
}

function isCodec(value: unknown): value is Codec {
  return typeof value === "object" && value !== null &&
    typeof (value as Partial<Codec>).decode === "function" &&
    typeof (value as Partial<Codec>).encode === "function";
}

/** Every message codec of every .proto, by "module.Message". */
const CODECS: [string, Codec][] = Object.entries({
  certificate,
  chat,
  envelope,
  file,
  mailbox,
  ratchet,
  rendezvous,
  room,
  services,
}).flatMap(([module, exports]) =>
  Object.entries(exports).flatMap(([name, value]): [string, Codec][] =>
    isCodec(value) ? [[`${module}.${name}`, value]] : []
  )
);

/** A valid encoding to mutate: the codec's own encoding of what it decodes from no bytes. */
function seedOf(codec: Codec): Uint8Array {
  try {
    return codec.encode(codec.decode(new Uint8Array(0)));
  } catch {
    return new Uint8Array(0); // required fields: no empty message exists
  }
}

Deno.test("fuzz: the codecs cover every .proto module", () => {
  assert.ok(CODECS.length >= 40, `only ${CODECS.length} codecs found`);
});

for (const [name, codec] of CODECS) {
  Deno.test(`fuzz: ${name}.decode returns or throws an Error on hostile bytes`, () => {
    fc.assert(
      fc.property(mutated(seedOf(codec)), (bytes) => {
        try {
          codec.decode(bytes);
        } catch (err: unknown) {
          assert.ok(err instanceof Error, `${name}.decode threw a non-Error: ${String(err)}`);
        }
      }),
      fuzzParameters(200),
    );
  });
}
