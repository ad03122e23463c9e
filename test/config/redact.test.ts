import { describe, expect, it } from "vitest";
import { displayUrl, Redactor } from "../../src/config/redact.js";

describe("displayUrl and the redactor on connection strings", () => {
  it("masks the user, the password and credential query parameters, and keeps the rest", () => {
    expect(displayUrl("postgresql://app:pw-in-url@db.example.com:5432/app?sslmode=require&password=pw-in-query&sslpassword=key-pass")).toBe(
      "postgresql://****:****@db.example.com:5432/app?sslmode=require&password=****&sslpassword=****",
    );
    expect(displayUrl("postgresql://db.example.com/app?application_name=bookflow")).toBe("postgresql://db.example.com/app?application_name=bookflow");
    expect(displayUrl("not a url")).toBe("(not a URL)");
  });

  it("the redactor knows a password given as ?password= in DATABASE_URL", () => {
    const r = new Redactor({ DATABASE_URL: "postgresql://app@db.example.com/app?password=onlyInTheQuery" });
    expect(r.redact("connecting with onlyInTheQuery")).not.toContain("onlyInTheQuery");
  });
});
