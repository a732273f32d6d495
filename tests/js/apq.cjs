// Runs Apollo Client and urql, each with its own automatic persisted query
// support and hashed GET requests, against the Kiji at process.argv[2], and
// prints what each sent and got as one JSON line for tests/js_clients.rs.
'use strict';

const crypto = require('node:crypto');
const { ApolloClient, InMemoryCache, HttpLink, gql } = require('@apollo/client/core');
const { createPersistedQueryLink } = require('@apollo/client/link/persisted-queries');
const { Client, fetchExchange } = require('@urql/core');
const { persistedExchange } = require('@urql/exchange-persisted');

const endpoint = `${process.argv[2]}/graphql`;
const sha256 = (text) => crypto.createHash('sha256').update(text).digest('hex');

// A fetch that records each request: its method and whether the document
// itself was sent or only its hash.
function recorder() {
  const sent = [];
  const fetchAndRecord = async (input, init = {}) => {
    const method = (init.method || 'GET').toUpperCase();
    const url = new URL(typeof input === 'string' ? input : input.url);
    let withQuery;
    if (method === 'GET') {
      withQuery = url.searchParams.has('query');
    } else {
      withQuery = typeof JSON.parse(init.body).query === 'string';
    }
    const response = await fetch(input, init);
    sent.push({ method, withQuery, status: response.status });
    return response;
  };
  return { sent, fetchAndRecord };
}

async function apollo(variables) {
  const { sent, fetchAndRecord } = recorder();
  const runs = [];
  // Two clients one after the other, as two app launches: the first
  // registers the document, the second finds it by hash alone.
  for (let i = 0; i < 2; i += 1) {
    const client = new ApolloClient({
      cache: new InMemoryCache(),
      link: createPersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(
        new HttpLink({ uri: endpoint, fetch: fetchAndRecord }),
      ),
    });
    const result = await client.query({
      query: gql`
        query ApolloTitle($slug: String!) {
          article(slug: $slug, locale: "en") { title }
        }
      `,
      variables,
      fetchPolicy: 'network-only',
    });
    runs.push(result.data.article.title);
  }
  return { sent, titles: runs };
}

async function urql(variables) {
  const { sent, fetchAndRecord } = recorder();
  const runs = [];
  for (let i = 0; i < 2; i += 1) {
    const client = new Client({
      url: endpoint,
      fetch: fetchAndRecord,
      requestPolicy: 'network-only',
      exchanges: [
        persistedExchange({ preferGetForPersistedQueries: true, generateHash: async (query) => sha256(query) }),
        fetchExchange,
      ],
    });
    const result = await client
      .query('query UrqlTitle($slug: String!) { article(slug: $slug, locale: "en") { title } }', variables)
      .toPromise();
    if (result.error) {
      throw result.error;
    }
    runs.push(result.data.article.title);
  }
  return { sent, titles: runs };
}

(async () => {
  const variables = { slug: 'exosome-effects-and-side-effects' };
  const out = { apollo: await apollo(variables), urql: await urql(variables) };
  process.stdout.write(`${JSON.stringify(out)}\n`);
})().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
