/**
 * What a home checks in a federated node's LOOKUP answer before it passes it to its peer: a
 * well-formed OK directory answer whose certificate verifies with that node's key (the PeerId it
 * is listed with), is for the user asked, and whose prekeys are signed by the certified identity
 * key. A node cannot so answer for a user of another node, nor hand out keys of its own making.
 */
import type { PublicKey } from "@libp2p/interface";
import { PrekeyKind, verifyPrekey } from "../../crypto/prekeys.ts";
import { StatementError, verifyCertificate } from "../../crypto/statements.ts";
import { DirectoryResponse, type SignedKey, Status } from "../../proto/services.ts";
import { MAX_PEER_RECORDS_PER_LOOKUP } from "../../protocol/limits.ts";
import { directoryResponse } from "../user_directory.ts";

/**
 * Decodes and checks `bytes`, `server`'s answer to a LOOKUP of `username`; returns the bundle to
 * give the peer (only a bundle's fields: nothing else the remote put in).
 * @throws StatementError saying what does not verify.
 */
export async function checkRemoteBundle(
  bytes: Uint8Array,
  server: string,
  serverKey: PublicKey,
  username: string,
  now: number,
): Promise<DirectoryResponse> {
  let bundle: DirectoryResponse;
  try {
    bundle = DirectoryResponse.decode(bytes, {
      limits: {
        peerRecords: MAX_PEER_RECORDS_PER_LOOKUP,
        keyLog: 0,
        online: 0,
        servers: 0,
      },
    });
  } catch (err: unknown) {
    throw new StatementError(`${server} sent a malformed bundle`, { cause: err });
  }
  if (bundle.status !== Status.OK) {
    throw new StatementError(`${server} sent a bundle with status ${bundle.status}`);
  }
  const certificate = await verifyCertificate(bundle.certificate, serverKey, now);
  if (certificate.username !== username) {
    throw new StatementError(
      `${server} answered a lookup of ${username} with a certificate for ${certificate.username}`,
    );
  }
  const keys: [PrekeyKind, SignedKey | undefined][] = [
    [PrekeyKind.IdentityDh, bundle.identityDhKey],
    [PrekeyKind.Signed, bundle.signedPrekey],
    [PrekeyKind.OneTime, bundle.oneTimePrekey],
    [PrekeyKind.KemLastResort, bundle.kemLastResortPrekey],
    [PrekeyKind.KemOneTime, bundle.kemOneTimePrekey],
  ];
  for (const [kind, key] of keys) {
    if (key !== undefined && !await verifyPrekey(kind, key, certificate.identityKey)) {
      throw new StatementError(
        `${server}'s bundle for ${username} has a ${
          PrekeyKind[kind]
        } key not signed by ${username}`,
      );
    }
  }
  const { identityDhKey, signedPrekey, oneTimePrekey, kemLastResortPrekey, kemOneTimePrekey } =
    bundle;
  return directoryResponse(Status.OK, "", {
    certificate: bundle.certificate,
    ...(identityDhKey ? { identityDhKey } : {}),
    ...(signedPrekey ? { signedPrekey } : {}),
    ...(oneTimePrekey ? { oneTimePrekey } : {}),
    ...(kemLastResortPrekey ? { kemLastResortPrekey } : {}),
    ...(kemOneTimePrekey ? { kemOneTimePrekey } : {}),
    peerRecords: bundle.peerRecords,
    oneTimePrekeysLeft: bundle.oneTimePrekeysLeft,
    ...(bundle.kemOneTimePrekeysLeft === undefined
      ? {}
      : { kemOneTimePrekeysLeft: bundle.kemOneTimePrekeysLeft }),
  });
}
