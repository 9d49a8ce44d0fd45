import assert from "node:assert/strict";
import {
  chooseRendezvous,
  connectRendezvous,
  DEFAULT_RENDEZVOUS,
  RendezvousPinError,
  savedRendezvous,
} from "../../src/peer/rendezvous_link.ts";
import { openProfile } from "../../src/peer/profile.ts";
import { clientNode, stopAll, withRendezvous } from "./harness.ts";

Deno.test("the rendezvous address falls back from flag to env to profile to the local default", () => {
  assert.equal(
    chooseRendezvous("/ip4/1.2.3.4/tcp/1", "/ip4/5.6.7.8/tcp/2", "/x"),
    "/ip4/1.2.3.4/tcp/1",
  );
  assert.equal(chooseRendezvous(undefined, "/ip4/5.6.7.8/tcp/2", "/x"), "/ip4/5.6.7.8/tcp/2");
  assert.equal(chooseRendezvous(undefined, undefined, "/ip4/9.9.9.9/tcp/3"), "/ip4/9.9.9.9/tcp/3");
  assert.equal(chooseRendezvous(undefined, undefined, undefined), DEFAULT_RENDEZVOUS);
});

Deno.test("a rendezvous reached without /p2p/ is pinned; another PeerId there is refused", async () => {
  const first = await withRendezvous();
  const port = first.address.toString().match(/\/tcp\/(\d+)\//)![1];
  const plain = `/ip4/127.0.0.1/tcp/${port}`;
  const profile = await openProfile(await Deno.makeTempDir());
  const node = await clientNode(profile.identity);
  let impostor: Awaited<ReturnType<typeof withRendezvous>> | undefined;
  try {
    const linked = await connectRendezvous(node, plain, profile.db);
    assert.equal(linked.peerId.toString(), first.rendezvous.node.peerId.toString());
    assert.equal(linked.address.toString(), first.address.toString());
    // Saved as the default only after a login (start_peer.ts), not on connecting.
    assert.equal(savedRendezvous(profile.db), undefined);
    await first.rendezvous.stop();
    await node.hangUp(linked.peerId).catch(() => {});

    // Someone else answers on the same address, with another key.
    impostor = await withRendezvous({ listen: [`/ip4/127.0.0.1/tcp/${port}`] });
    await assert.rejects(
      () => connectRendezvous(node, plain, profile.db),
      (err: unknown) => {
        assert.ok(err instanceof RendezvousPinError);
        assert.match(err.message, /pinned .* Refusing to continue/);
        return true;
      },
    );
    // With the new PeerId written out in full, the user says which one to trust.
    const explicit = await connectRendezvous(node, impostor.address.toString(), profile.db);
    assert.equal(explicit.peerId.toString(), impostor.rendezvous.node.peerId.toString());
  } finally {
    await stopAll(node, impostor?.rendezvous, first.rendezvous);
    profile.close();
  }
});
