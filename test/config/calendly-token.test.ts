import { describe, expect, it } from "vitest";
import { calendlyTokenKind } from "../../src/config/calendly-token.js";
import { CALENDLY_OAUTH_JWT, CALENDLY_PAT_JWT } from "../support/calendly-tokens.js";

describe("calendlyTokenKind: the kind of a Calendly token, from its JWT header", () => {
  it("a JWT typed PAT is a personal access token", () => {
    expect(calendlyTokenKind(CALENDLY_PAT_JWT)).toBe("personal");
    expect(calendlyTokenKind(`  ${CALENDLY_PAT_JWT}\n`)).toBe("personal");
  });

  it("a JWT of another type is an OAuth access token", () => {
    expect(calendlyTokenKind(CALENDLY_OAUTH_JWT)).toBe("oauth");
  });

  it("anything else cannot be told apart", () => {
    for (const token of [undefined, "", "cal_pat_FAKEtoken0123456789abcdef", "a.b", "e30.e30.x", "%%%.e30.x", `${Buffer.from("not json").toString("base64url")}.e30.x`]) {
      expect(calendlyTokenKind(token), String(token)).toBe("unknown");
    }
  });
});
