/** The booking core: status rules, webhook payloads and intake, notifications, booking services, ports. */
export * from "./ports.js";
export * from "./status-rules.js";
export * from "./webhook-payloads.js";
export * from "./webhook-intake.js";
export * from "./notifications.js";
export * from "./bookings.js";
