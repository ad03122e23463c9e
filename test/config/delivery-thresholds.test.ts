import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultConfig, loadBookflowConfig } from "../../src/config/bookflow-config.js";
import { ConfigError } from "../../src/errors.js";
import { runCli, tempDir } from "../support/cli.js";

/** bookflow.config.json's thresholds for sendgrid.delivery-rates: defaults, and a readable refusal of each bad value. */

function refusal(thresholds: Record<string, unknown>): string {
  const dir = tempDir("bookflow-delivery-thresholds-");
  const file = join(dir, "bookflow.config.json");
  writeFileSync(file, JSON.stringify({ thresholds }));
  try {
    loadBookflowConfig(file, dir);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(thresholds)}`);
}

describe("thresholds for email delivery rates", () => {
  it("default to 95% delivered, at most 5% bounced and 2% blocked, over 24 hours, judged from 20 emails", () => {
    expect(defaultConfig().thresholds).toMatchObject({ emailDeliveryRateMin: 0.95, emailBounceRateMax: 0.05, emailBlockRateMax: 0.02, emailStatsWindowHours: 24, emailStatsMinVolume: 20 });
  });

  it("are read from the file, the others keeping their defaults", () => {
    const dir = tempDir("bookflow-delivery-thresholds-");
    writeFileSync(join(dir, "bookflow.config.json"), JSON.stringify({ thresholds: { emailDeliveryRateMin: 0.9, emailStatsWindowHours: 48 } }));
    expect(loadBookflowConfig(undefined, dir).config.thresholds).toMatchObject({ emailDeliveryRateMin: 0.9, emailStatsWindowHours: 48, emailBounceRateMax: 0.05, databaseLatencyMs: 500 });
  });

  it("a rate written as a percentage (95) is refused, saying it is a fraction", () => {
    expect(refusal({ emailDeliveryRateMin: 95 })).toMatch(/thresholds\.emailDeliveryRateMin: must be from 0 to 1 \(a fraction: 0\.95 is 95%, not 95\)/);
  });

  it("a negative rate, a rate as text, and a window or volume that is not a whole number in range are each refused by name", () => {
    expect(refusal({ emailBounceRateMax: -0.1 })).toMatch(/thresholds\.emailBounceRateMax: must be from 0 to 1/);
    expect(refusal({ emailBlockRateMax: "2%" })).toMatch(/thresholds\.emailBlockRateMax: must be a number from 0 to 1/);
    expect(refusal({ emailStatsWindowHours: 0 })).toMatch(/thresholds\.emailStatsWindowHours: must be at least 1 hour/);
    expect(refusal({ emailStatsWindowHours: 1000 })).toMatch(/thresholds\.emailStatsWindowHours: must be at most 720 hours \(30 days\)/);
    expect(refusal({ emailStatsWindowHours: 1.5 })).toMatch(/thresholds\.emailStatsWindowHours: must be a whole number of hours/);
    expect(refusal({ emailStatsMinVolume: -1 })).toMatch(/thresholds\.emailStatsMinVolume: must be 0 or more/);
    expect(refusal({ emailStatsMinVolume: 2.5 })).toMatch(/thresholds\.emailStatsMinVolume: must be a whole number of emails/);
  });

  it("verify exits 2 on a bad threshold, naming the file and the field", async () => {
    const dir = tempDir("bookflow-delivery-thresholds-");
    const file = join(dir, "bad.json");
    writeFileSync(file, JSON.stringify({ thresholds: { emailBounceRateMax: 5 } }));
    const r = await runCli(["verify", "--only", "sendgrid.delivery-rates", "--config", file]);
    expect(r.exitCode, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(/thresholds\.emailBounceRateMax: must be from 0 to 1 \(a fraction: 0\.95 is 95%, not 95\)/);
  });
});
