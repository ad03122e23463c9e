import { describe, expect, it } from "vitest";
import check from "../../../checks/sendgrid/delivery-rates.js";
import { defaultConfig, type BookflowConfig } from "../../../src/config/bookflow-config.js";
import { maskEmail, maskEmailsIn, type SendGridDeliveryStatsFact, type SendGridDeliveryTotals, type SendGridSuppressionSummary } from "../../../src/engine/facts/sendgrid.js";
import { checkTester, decide, type World } from "../../support/check-tester.js";

const NOW = 1_800_000_000;
const none: SendGridSuppressionSummary = { count: 0, truncated: false, reasons: [] };
const totals = (over: Partial<SendGridDeliveryTotals>): SendGridDeliveryTotals => ({ requests: 0, processed: 0, delivered: 0, deferred: 0, bounces: 0, bounce_drops: 0, blocks: 0, invalid_emails: 0, spam_reports: 0, ...over });
const stats = (t: Partial<SendGridDeliveryTotals>, lists: { bounces?: SendGridSuppressionSummary; blocks?: SendGridSuppressionSummary } = {}, window = { windowHours: 24, startDate: "2027-01-14", endDate: "2027-01-15" }): SendGridDeliveryStatsFact => ({
  readable: true,
  readAt: NOW,
  ...window,
  totals: totals(t),
  bounces: lists.bounces ?? none,
  blocks: lists.blocks ?? none,
});
const thresholds = (over: Partial<BookflowConfig["thresholds"]>): BookflowConfig => ({ ...defaultConfig(), thresholds: { ...defaultConfig().thresholds, ...over } });
const world = (s: SendGridDeliveryStatsFact, config: BookflowConfig = defaultConfig()): World => ({ config, sendgridDeliveryStats: s });

const BOUNCES: SendGridSuppressionSummary = {
  count: 12,
  truncated: false,
  reasons: [
    { reason: "550 5.1.1 The email account that you tried to reach does not exist.", status: "5.1.1", count: 10, examples: ["g***@example.org", "a***@example.org"] },
    { reason: "552 5.2.2 Mailbox full", status: "5.2.2", count: 2, examples: ["b***@example.net"] },
  ],
};
const BLOCKS: SendGridSuppressionSummary = { count: 5, truncated: false, reasons: [{ reason: "550 5.7.1 Message rejected due to the receiving server's policy", status: "5.7.1", count: 5, examples: ["c***@mail.example"] }] };

checkTester(check, {
  pass: [
    { name: "every email delivered", facts: world(stats({ requests: 200, processed: 200, delivered: 200 })), messageId: "withinThresholds" },
    { name: "exactly at the thresholds (95% delivered, 5% bounced)", facts: world(stats({ requests: 100, processed: 100, delivered: 95, bounces: 5 })), messageId: "withinThresholds" },
    { name: "2% blocked is the maximum, not above it", facts: world(stats({ requests: 100, processed: 100, delivered: 96, blocks: 2 })), messageId: "withinThresholds" },
    { name: "no email requested in the window: nothing to judge", facts: world(stats({})), messageId: "noEmails" },
    { name: "no email requested, even with thresholds.emailStatsMinVolume 0", facts: world(stats({}), thresholds({ emailStatsMinVolume: 0 })), messageId: "noEmails" },
    { name: "below thresholds.emailStatsMinVolume every rate is left unjudged (3 of 5 bounced)", facts: world(stats({ requests: 5, processed: 5, delivered: 2, bounces: 3 })), messageId: "notEnoughVolume" },
    { name: "looser thresholds accept 80% delivered", facts: world(stats({ requests: 100, processed: 100, delivered: 80, bounces: 20 }), thresholds({ emailDeliveryRateMin: 0.8, emailBounceRateMax: 0.2 })), messageId: "withinThresholds" },
  ],
  fail: [
    {
      name: "bounces above the maximum fail, naming each rate beside its threshold, the window, the counts and the top reasons",
      facts: world(stats({ requests: 100, processed: 100, delivered: 85, bounces: 12, blocks: 3 }, { bounces: BOUNCES, blocks: BLOCKS })),
      expect: {
        status: "fail",
        messageId: "outsideThresholds",
        data: { hours: 24, rates: "delivered 85.0% (minimum 95.0%), bounced 12.0% (maximum 5.0%), blocked 3.0% (maximum 2.0%)", counts: "100 emails requested, 85 delivered, 12 bounced, 3 blocked" },
        message:
          /^Email delivery over the last 24 hours \(SendGrid's daily stats for 2027-01-14 to 2027-01-15 UTC\) is outside the thresholds: .*; top reasons: bounce: 10× "550 5\.1\.1 The email account .*" \(5\.1\.1, e\.g\. g\*\*\*@example\.org, a\*\*\*@example\.org\); bounce: 2× .*; block: 5× .*5\.7\.1/,
      },
    },
    {
      name: "only the delivered rate below its minimum (deferred mail not yet delivered) names only it",
      facts: world(stats({ requests: 100, processed: 100, delivered: 90, deferred: 10 })),
      expect: { status: "fail", messageId: "outsideThresholds", data: { rates: "delivered 90.0% (minimum 95.0%)", reasons: "SendGrid's bounce and block lists name no reason for this window" } },
    },
    {
      name: "blocks above the maximum alone",
      facts: world(stats({ requests: 1000, processed: 1000, delivered: 970, blocks: 30 }, { blocks: BLOCKS })),
      expect: { status: "fail", messageId: "outsideThresholds", data: { rates: "blocked 3.0% (maximum 2.0%)" }, message: /top reasons: block: 5× "550 5\.7\.1/ },
    },
    {
      name: "mail dropped because its address bounced before counts as not delivered, and is said",
      facts: world(stats({ requests: 40, processed: 30, delivered: 30, bounce_drops: 10 })),
      expect: { status: "fail", messageId: "outsideThresholds", data: { rates: "delivered 75.0% (minimum 95.0%)" }, message: /10 dropped as earlier bounces/ },
    },
    {
      name: "thresholds.emailStatsMinVolume 0 judges even a handful of sends",
      facts: world(stats({ requests: 3, processed: 3, delivered: 0, bounces: 3 }, {}, { windowHours: 6, startDate: "2027-01-15", endDate: "2027-01-15" }), thresholds({ emailStatsMinVolume: 0 })),
      expect: { status: "fail", messageId: "outsideThresholds", message: /^Email delivery over the last 6 hours \(SendGrid's stats for 2027-01-15 UTC\)/ },
    },
    {
      name: "partly read suppression lists are said",
      facts: world(stats({ requests: 100, processed: 100, delivered: 50, bounces: 50 }, { bounces: { ...BOUNCES, truncated: true } })),
      expect: { status: "fail", messageId: "outsideThresholds", message: /read in part/ },
    },
    {
      name: "a stricter minimum fails 97% delivered",
      facts: world(stats({ requests: 100, processed: 100, delivered: 97, bounces: 3 }), thresholds({ emailDeliveryRateMin: 0.99 })),
      expect: { status: "fail", messageId: "outsideThresholds", data: { rates: "delivered 97.0% (minimum 99.0%)" } },
    },
    {
      name: "a key without the stats and suppression scopes is skipped, saying which to add",
      facts: world({
        readable: false,
        missing: [
          { what: "GET /v3/stats", scope: "stats.global.read", permission: "Stats: Read Access" },
          { what: "GET /v3/suppression/bounces", scope: "suppression.bounces.read", permission: "Suppressions: Read Access" },
          { what: "GET /v3/suppression/blocks", scope: "suppression.blocks.read", permission: "Suppressions: Read Access" },
        ],
      }),
      expect: {
        status: "skip",
        messageId: "scopesMissing",
        data: { permissions: "Stats: Read Access and Suppressions: Read Access", scopes: "stats.global.read, suppression.bounces.read, suppression.blocks.read" },
      },
    },
  ],
});

describe("sendgrid.delivery-rates: figures and privacy", () => {
  it("a pass gives the figures", async () => {
    const outcome = await decide(check, world(stats({ requests: 250, processed: 250, delivered: 249, bounces: 1 })));
    expect(outcome.message).toBe(
      "Over the last 24 hours (SendGrid's daily stats for 2027-01-14 to 2027-01-15 UTC): delivered 99.6% (minimum 95.0%), bounced 0.4% (maximum 5.0%), blocked 0.0% (maximum 2.0%) (250 emails requested, 249 delivered, 1 bounced, 0 blocked)",
    );
  });

  it("not enough volume says so, with the minimum", async () => {
    const outcome = await decide(check, world(stats({ requests: 1, processed: 1, delivered: 1 })));
    expect(outcome.message).toMatch(/^1 email requested over the last 24 hours .*fewer than thresholds\.emailStatsMinVolume \(20\): not enough volume to judge delivery rates/);
  });

  it("addresses are masked, in SMTP answers too", () => {
    expect(maskEmail("grace.sample@example.com")).toBe("g***@example.com");
    expect(maskEmail("not-an-address")).toBe("***");
    expect(maskEmailsIn("550 5.1.1 <ada.lovelace@example.org>: Recipient address rejected")).toBe("550 5.1.1 <a***@example.org>: Recipient address rejected");
  });
});
