/** Calendly-shaped tokens for tests: JWTs whose header says what they are (made up here, signatures not real). */
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const jwt = (header: Record<string, unknown>, payload: Record<string, unknown>) => `${b64(header)}.${b64(payload)}.${Buffer.from("not-a-real-signature").toString("base64url")}`;

/** A personal access token's shape: `typ: "PAT"` in the JWT header. */
export const CALENDLY_PAT_JWT = jwt({ kid: "test-kid", typ: "PAT", alg: "ES256" }, { iss: "https://auth.calendly.com", iat: 1_700_000_000, jti: "test-jti", user_uuid: "U1" });
/** An OAuth access token's shape: a JWT of another type. */
export const CALENDLY_OAUTH_JWT = jwt({ kid: "test-kid", typ: "JWT", alg: "ES256" }, { iss: "https://auth.calendly.com", iat: 1_700_000_000, jti: "test-jti", user_uuid: "U1", app_uid: "test-app", scope: "default" });
