/** Building a FederationResponse: every field empty but those given. */
import { type FederationResponse, FederationStatus } from "../../proto/federation.ts";

const EMPTY: Omit<FederationResponse, "status"> = {
  statusText: "",
  retryAfterMs: 0n,
  name: "",
  bundle: new Uint8Array(0),
  keyLog: [],
  online: [],
  nextCursor: "",
  mailId: 0n,
};

/** A FederationResponse with `status`, `statusText` and `extra`, every other field empty. */
export function federationResponse(
  status: FederationStatus = FederationStatus.OK,
  statusText = "",
  extra: Partial<FederationResponse> = {},
): FederationResponse {
  return { ...EMPTY, status, statusText, ...extra };
}
