// A partner's or an app's subscription to Kiji's change feed, through the
// `graphql-ws` client library (the graphql-transport-ws protocol), for
// tests/subscriptions.rs. Prints one JSON line per event, `{"ready": true}`
// once the subscription is acknowledged, and `{"error"}` on failure.
// argv: URL, TOKEN ("-" for none), AFTER ("-" for the start), and
// optionally another document to send instead of the subscription.
const { createClient } = require("graphql-ws");
const WebSocket = require("ws");

const [url, token, after, document] = process.argv.slice(2);
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  retryAttempts: 0,
  connectionParams: token === "-" ? {} : { Authorization: `Bearer ${token}` },
  on: { connected: () => console.log(JSON.stringify({ ready: true })) },
});
client.subscribe(
  {
    query:
      document ||
      "subscription($after: String) { changes(after: $after) { cursor type reason articleId locale } }",
    variables: { after: after === "-" ? null : after },
  },
  {
    next: (value) => console.log(JSON.stringify(value)),
    error: (error) => {
      console.log(JSON.stringify({ error: String(error && (error.message || error.reason || JSON.stringify(error))) }));
      process.exit(1);
    },
    complete: () => {
      console.log(JSON.stringify({ complete: true }));
      process.exit(0);
    },
  },
);
