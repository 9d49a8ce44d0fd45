/**
 * Who signs the statements (certificate, key log) for a name: our home's key for its own users;
 * for `bob@work`, the key our home vouches is `work`'s, pinned per server name (trust on first
 * use). A different key for `work` later is a server key change: nothing from `work` is accepted
 * until the user trusts the new key with its fingerprint, as for a contact's key.
 */
import type { PublicKey } from "@libp2p/interface";
import { StatementError } from "../../crypto/statements.ts";
import { fingerprintDigits } from "../../crypto/safety_number.ts";
import type { HomeName } from "../names.ts";
import type { ServerKeyStore } from "../store/server_keys.ts";
import { judgeServerKey, verifyVouch } from "./remote_chain.ts";

/** The key a name's statements verify with, and the username they name there. */
export interface Issuer {
  readonly key: PublicKey;
  /** Unqualified, as homed at the issuer. */
  readonly username: string;
  /** The federated node, for another node's user. */
  readonly server?: string;
}

/** Our home vouches a different key for a federated node than the one pinned. */
export class ServerKeyChangedError extends StatementError {
  override name = "ServerKeyChangedError";
}

/** What Issuers works with. */
export interface IssuerPorts {
  /** Our home's key (the rendezvous PeerId we are pinned to). */
  readonly homeKey: PublicKey;
  readonly names: HomeName;
  readonly store: ServerKeyStore;
  /** Told once per new pending key: `server`'s key changed (show it loudly). */
  readonly onChange: (server: string, fingerprint: string) => void;
}

/** Resolves and pins the issuers of names. */
export class Issuers {
  constructor(private readonly ports: IssuerPorts) {}

  /**
   * The issuer of `name` (stored form), using `vouch` from the answer that carried its statements.
   * @throws StatementError when a remote name comes without a valid vouch from our home;
   * ServerKeyChangedError when the vouched key is not the one pinned for that server.
   */
  async of(name: string, vouch: Uint8Array | undefined, now: number): Promise<Issuer> {
    const { homeKey, names, store } = this.ports;
    const { username, server } = names.parse(name);
    if (server === undefined) return { key: homeKey, username };
    const vouched = await verifyVouch(vouch, homeKey, server, now);
    const pinned = store.get(server);
    const standing = judgeServerKey(pinned?.key, vouched.key);
    if (standing === "new") store.pin(server, vouched.key, now);
    if (standing === "changed") {
      const fingerprint = serverFingerprint(server, vouched.key);
      if (judgeServerKey(pinned?.pendingKey, vouched.key) !== "trusted") {
        store.setPending(server, vouched.key, now);
        this.ports.onChange(server, fingerprint);
      }
      throw new ServerKeyChangedError(
        `the key of server ${server} changed (now ${fingerprint}); nothing from ${server} is ` +
          `accepted until you /trust-server ${server} ${fingerprint}`,
      );
    }
    return { key: vouched.publicKey, username, server };
  }

  /** The fingerprint of `server`'s changed key awaiting trust, if any. */
  pending(server: string): string | undefined {
    const key = this.ports.store.get(server)?.pendingKey;
    return key && serverFingerprint(server, key);
  }

  /**
   * Trusts `server`'s changed key if `fingerprint` is the one shown; returns whether it did.
   */
  trust(server: string, fingerprint: string, now: number): boolean {
    const key = this.ports.store.get(server)?.pendingKey;
    const digits = (s: string) => s.replace(/\D/g, "");
    if (key === undefined || digits(serverFingerprint(server, key)) !== digits(fingerprint)) {
      return false;
    }
    return this.ports.store.acceptPending(server, key, now);
  }
}

/** The fingerprint of a server key, as shown when it changes (digits in groups of 5). */
function serverFingerprint(server: string, key: Uint8Array): string {
  return fingerprintDigits({ username: server, identityKey: key });
}
