// A customer's webhook receiver for the delivery test (delivery_test.go): every request to /hook
// is verified with the reference Standard Webhooks library (npm `standardwebhooks`) under each
// configured secret separately, answered 500 while its event type has planned failures left,
// else 204, and logged. The test configures it (POST /_config {secrets: {label: whsec_…},
// fail: {event_type: n}}) and reads the log (GET /_log). Listens on 127.0.0.1; prints its port.
import http from "node:http";
import { Webhook } from "standardwebhooks";

let secrets = {};
let fail = {};
const log = [];

const read = (req) =>
  new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });

const server = http.createServer(async (req, res) => {
  const body = await read(req);
  if (req.method === "POST" && req.url === "/_config") {
    const cfg = JSON.parse(body);
    secrets = cfg.secrets ?? {};
    fail = cfg.fail ?? {};
    res.writeHead(204).end();
    return;
  }
  if (req.method === "GET" && req.url === "/_log") {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(log));
    return;
  }
  if (req.method !== "POST" || req.url !== "/hook") {
    res.writeHead(404).end();
    return;
  }
  const verified = [];
  const errors = {};
  let payload = null;
  for (const [label, secret] of Object.entries(secrets)) {
    try {
      payload = new Webhook(secret).verify(body, req.headers);
      verified.push(label);
    } catch (e) {
      errors[label] = String(e.message ?? e);
    }
  }
  let type = null;
  try {
    type = JSON.parse(body).type;
  } catch {}
  const planned = fail[type] ?? 0;
  const status = planned > 0 ? 500 : 204;
  if (planned > 0) fail[type] = planned - 1;
  log.push({
    id: req.headers["webhook-id"],
    timestamp: req.headers["webhook-timestamp"],
    signatures: (req.headers["webhook-signature"] ?? "").split(" ").length,
    type,
    payload,
    body,
    verified,
    errors,
    status,
  });
  res.writeHead(status).end();
});

server.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ port: server.address().port }));
});
// Ends with the test: stdin closes when the Go test's process goes away.
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
