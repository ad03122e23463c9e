import { describe, expect, it } from "vitest";
import { connectionError, withDatabase } from "../../src/ops/database.js";
import { ConfigError } from "../../src/errors.js";

const URL_WITH_PASSWORD = "postgresql://app:FAKEpw4db@db.internal:6543/bookings";

/** What pg and Prisma's driver adapter throw when a connection fails, reduced to the fields that are read. */
const socket = (code: string) => Object.assign(new Error(`connect ${code}`), { code, syscall: "connect", errno: -1 });
const prismaWrapped = (cause: object) => Object.assign(new Error("Raw query failed."), { code: "P2010", meta: { driverAdapterError: { name: "DriverAdapterError", cause } } });

describe("connectionError: a failed connection as a configuration error", () => {
  it.each([
    ["ECONNREFUSED from pg", socket("ECONNREFUSED"), /nothing answers there/],
    ["an unresolved host from pg", socket("ENOTFOUND"), /host name does not resolve/],
    ["the adapter's DatabaseNotReachable with a port", prismaWrapped({ kind: "DatabaseNotReachable", host: "db.internal", port: 6543 }), /nothing answers there/],
    ["the adapter's DatabaseNotReachable without a port (unresolved host)", prismaWrapped({ kind: "DatabaseNotReachable", host: "db.internal" }), /does not resolve/],
    ["a wrong password (28P01)", Object.assign(new Error("password authentication failed"), { code: "28P01" }), /refused the credentials/],
    ["the adapter's AuthenticationFailed", prismaWrapped({ kind: "AuthenticationFailed", user: "app" }), /refused the credentials/],
    ["no such database (3D000), as a cause", new Error("query failed", { cause: Object.assign(new Error('database "bookings" does not exist'), { code: "3D000" }) }), /has no database "bookings"/],
  ])("%s", (_what, err, message) => {
    const e = connectionError(err, URL_WITH_PASSWORD);
    expect(e).toBeInstanceOf(ConfigError);
    expect(e?.code).toBe("DATABASE_UNAVAILABLE");
    expect(e?.message).toMatch(message);
    expect(e?.message).toContain("db.internal:6543");
    expect(`${e?.message} ${e?.hint}`).not.toContain("FAKEpw4db");
  });

  it("leaves other errors alone (withDatabase keeps its generic message for them)", async () => {
    expect(connectionError(new Error('relation "Booking" does not exist'), URL_WITH_PASSWORD)).toBeUndefined();
    await expect(withDatabase("list bookings", () => Promise.reject(new Error('relation "Booking" does not exist')))).rejects.toMatchObject({ code: "DATABASE_UNAVAILABLE", message: expect.stringContaining("did not answer as expected") });
    await expect(withDatabase("list bookings", () => Promise.reject(socket("ECONNREFUSED")), URL_WITH_PASSWORD)).rejects.toMatchObject({ message: expect.stringContaining("db.internal:6543") });
  });
});
