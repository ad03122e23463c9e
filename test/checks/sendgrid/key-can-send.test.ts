import check from "../../../checks/sendgrid/key-can-send.js";
import { checkTester } from "../../support/check-tester.js";

checkTester(check, {
  pass: [
    { name: "full set of scopes", facts: { sendgridScopes: { authenticated: true, scopes: ["mail.send", "templates.read", "whitelabel.read"] } } },
    { name: "mail.send only", facts: { sendgridScopes: { authenticated: true, scopes: ["mail.send"] } } },
  ],
  fail: [
    { name: "key refused", facts: { sendgridScopes: { authenticated: false, status: 401, reason: "authorization required" } }, expect: { status: "fail", messageId: "keyInvalid", data: { status: 401 } } },
    { name: "key forbidden from reading its scopes (403)", facts: { sendgridScopes: { authenticated: false, status: 403, reason: "access forbidden" } }, expect: { status: "fail", messageId: "keyCannotReadScopes", data: { status: 403 } } },
    { name: "no mail.send", facts: { sendgridScopes: { authenticated: true, scopes: ["templates.read", "whitelabel.read"] } }, expect: { status: "fail", messageId: "noMailSendScope" } },
  ],
});
