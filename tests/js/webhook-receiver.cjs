// A partner's webhook receiver for tests/webhooks.rs: listens on a random
// local port and checks every delivery with the reference Standard Webhooks
// library (`standardwebhooks` from the npm registry), not with Kiji's code.
// Prints one JSON line per request: {"port"} first, then {"verified", "id",
// "payload"} or {"verified": false, "error"}.
//
// argv: SECRET_FILE (read at every request, so a test can rotate it),
// DELAY_MS before answering, FAIL_FILE: while this file exists, answer 500
// to every verified delivery.
const http = require("http");
const fs = require("fs");
const { Webhook } = require("standardwebhooks");

const [secretFile, delayArg, failFile] = process.argv.slice(2);
const delay = Number(delayArg || 0);
const attempts = new Map();

const server = http.createServer((req, res) => {
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (chunk) => (body += chunk));
  req.on("end", () => {
    const headers = {
      "webhook-id": req.headers["webhook-id"],
      "webhook-timestamp": req.headers["webhook-timestamp"],
      "webhook-signature": req.headers["webhook-signature"],
    };
    const id = headers["webhook-id"];
    const seen = (attempts.get(id) || 0) + 1;
    attempts.set(id, seen);
    let payload;
    try {
      const secret = fs.readFileSync(secretFile, "utf8").trim();
      payload = new Webhook(secret).verify(body, headers);
    } catch (error) {
      console.log(JSON.stringify({ verified: false, id, error: String(error) }));
      res.writeHead(400);
      res.end();
      return;
    }
    if (failFile && fs.existsSync(failFile)) {
      console.log(JSON.stringify({ verified: true, id, failed: true }));
      res.writeHead(500);
      res.end();
      return;
    }
    setTimeout(() => {
      console.log(JSON.stringify({ verified: true, id, attempt: seen, payload }));
      res.writeHead(204);
      res.end();
    }, delay);
  });
});

server.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ port: server.address().port }));
});
