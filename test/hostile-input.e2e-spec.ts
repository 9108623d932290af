/**
 * Hostile and careless callers: every fault class the fuzzing found is sent
 * here and must come back as a coded client error (never a 500, a stack, SQL
 * or a path), decided before any SQL runs, and must write nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import { connect, type AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import type { DepartmentRef } from '@app/auth';
import { encodeCursor } from '@app/common';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { startTestApp, type TestApp } from './test-app.js';
import { World, type WorldFile } from './world.js';

let database: TestDatabase;
let db: DataSource;
let api: TestApp;
let owner: DepartmentRef;
let other: DepartmentRef;
let file: WorldFile;
let steward: string;
let member: string;
let auditor: string;

const counts = async () => {
  const [row] = await db.query(
    `SELECT (SELECT count(*) FROM data_file)::int AS files, (SELECT count(*) FROM permission)::int AS grants,
            (SELECT count(*) FROM exchange)::int AS exchanges, (SELECT count(*) FROM audit_entry)::int AS entries,
            (SELECT count(*) FROM data_version)::int AS versions`,
  );
  return row as Record<string, number>;
};

/** A client error: the code, an HTTP status below 500, and nothing an attacker could learn from. */
function expectClientError(
  response: { status: number; errors?: { message: string; extensions?: Record<string, unknown> }[] },
  code = 'BAD_USER_INPUT',
) {
  expect(response.status).toBeLessThan(500);
  expect(response.errors?.length).toBeGreaterThan(0);
  const error = response.errors![0];
  expect(error.extensions?.code).toBe(code);
  expect(JSON.stringify(response.errors)).not.toMatch(/\bat \w+ \(|node_modules|\/src\/|SELECT |INSERT |invalid byte sequence|stack/i);
  return error;
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource();
  const world = new World(db);
  const district = await world.district('hx-east');
  owner = await world.department('hx-health', district);
  other = await world.department('hx-civil', await world.district('hx-west'));
  file = await world.file(owner, 'PUBLIC', { title: 'Vaccination register' });
  api = await startTestApp(database);
  steward = await api.tokenFor(owner, ['STEWARD'], 'steward');
  member = await api.tokenFor(other, ['MEMBER'], 'member');
  auditor = await api.tokenFor(other, ['AUDITOR'], 'auditor');
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
});

describe('text that PostgreSQL cannot store is refused at the edge, naming the argument', () => {
  const NUL = 'a\u0000b';
  const SURROGATE = 'x\ud800y';

  it.each([
    ['search', `query ($v: String) { files(filter: { search: $v }) { totalCount } }`, 'search'],
    ['district codes', `query ($v: String!) { files(filter: { districtCodes: [$v] }) { totalCount } }`, 'districtCodes'],
    ['a ledger name', `query ($v: String!) { auditLog(ledger: $v) { edges { cursor } } }`, 'ledger'],
    ['a department code', `query ($v: String!) { departments(districtCode: $v) { code } }`, 'districtCode'],
  ])('a NUL byte in %s', async (_name, query, argument) => {
    const token = argument === 'ledger' ? auditor : member;
    const error = expectClientError(await api.gql(token, query, { v: NUL }));
    expect(error.message).toContain(argument);
  });

  it('a NUL byte or a lone surrogate in a mutation writes nothing', async () => {
    const before = await counts();
    for (const bad of [NUL, SURROGATE]) {
      const grant = await api.gql(steward, `mutation ($i: GrantPermissionInput!) { grantPermission(input: $i) { id } }`, {
        i: { fileId: file.id, granteeDepartmentCode: other.code, actions: ['READ'], purpose: bad },
      });
      expect(expectClientError(grant).message).toContain('purpose');
      const request = await api.gql(member, `mutation ($i: RequestExchangeInput!) { requestExchange(input: $i) { id } }`, {
        i: { fileId: file.id, fields: ['age'], purpose: bad },
      });
      expect(expectClientError(request).message).toContain('purpose');
      const publish = await api.gql(steward, `mutation ($id: ID!, $r: [JSON!]!) { publishRecords(fileId: $id, records: $r) { id } }`, {
        id: file.id,
        r: [{ record_id: bad }],
      });
      expect(expectClientError(publish).message).toContain('records');
    }
    expect(await counts()).toEqual(before);
  });

  it('the same faults written inline in the query text', async () => {
    expectClientError(await api.gql(member, `{ files(filter: { search: "a\\u0000b" }) { totalCount } }`));
    expectClientError(await api.gql(member, `{ files(filter: { search: "\\ud800" }) { totalCount } }`));
  });
});

describe('values that would fail in a cast are refused before SQL', () => {
  it('a well-formed cursor holding an impossible date', async () => {
    const after = encodeCursor(['2024-02-30 10:00:00.000000+00', '6b1c2a4e-7f0e-4d55-9a51-4b3c2d1e0f9a']);
    const error = expectClientError(await api.gql(member, `query ($a: String) { files(after: $a) { totalCount } }`, { a: after }));
    expect(error.message).toContain('after');
  });

  it('a search cursor with a rank of 1e39', async () => {
    const after = encodeCursor([1e39, '6b1c2a4e-7f0e-4d55-9a51-4b3c2d1e0f9a']);
    expectClientError(
      await api.gql(member, `query ($a: String) { files(filter: { search: "register" }, after: $a) { totalCount } }`, { a: after }),
    );
  });

  it('an exchange cursor with an impossible time', async () => {
    const after = encodeCursor(['2024-13-01 10:00:00+00', '6b1c2a4e-7f0e-4d55-9a51-4b3c2d1e0f9a']);
    expectClientError(await api.gql(member, `query ($a: String) { exchanges(after: $a) { totalCount } }`, { a: after }));
  });

  it.each(['garbage', '2024-02-30T00:00:00Z', '', '99999-01-01T00:00:00Z', '2024-01-01T00:00:00+99:99', '2024-01-01T00:00:00-16:00'])(
    'permissions(asOf: %j)',
    async (asOf) => {
      const error = expectClientError(await api.gql(steward, `query ($d: DateTime) { permissions(asOf: $d) { totalCount } }`, { d: asOf }));
      expect(error.message).toMatch(/DateTime|asOf/);
    },
  );

  it.each([
    ['accessCounts', `query ($d: DateTime) { accessCounts(departmentCode: "hx-health", asOf: $d) { discover } }`],
    ['fileAudience', `query ($d: DateTime, $f: ID!) { fileAudience(fileId: $f, action: READ, asOf: $d) { totalCount } }`],
  ])('%s with an offset past 15:59 is refused before SQL', async (_name, query) => {
    expectClientError(await api.gql(steward, query, { d: '2024-01-01T00:00:00+99:99', f: file.id }));
  });

  it.each([
    ['files', `query ($a: String) { files(after: $a) { totalCount } }`],
    ['exchanges', `query ($a: String) { exchanges(after: $a) { totalCount } }`],
  ])('a %s cursor whose time has an offset PostgreSQL refuses', async (_name, query) => {
    const after = encodeCursor(['2024-01-01 00:00:00+99', '6b1c2a4e-7f0e-4d55-9a51-4b3c2d1e0f9a']);
    expectClientError(await api.gql(member, query, { a: after }));
  });

  it.each([
    ['a NUL', 'a\u0000b'],
    ['an unpaired surrogate', 'a\ud800b'],
  ])('a fileAudience cursor holding %s', async (_name, code) => {
    const after = encodeCursor([code, '6b1c2a4e-7f0e-4d55-9a51-4b3c2d1e0f9a']);
    expectClientError(
      await api.gql(steward, `query ($f: ID!, $a: String) { fileAudience(fileId: $f, action: READ, after: $a) { totalCount } }`, {
        f: file.id,
        a: after,
      }),
    );
  });

  it('a 100,000-deep JSON record is refused before authorization, by a member too', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    const response = await api.app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${member}` },
      // JSON.stringify itself cannot write this depth: build the text by hand.
      payload: `{"query":"mutation ($r: [JSON!]!) { publishRecords(fileId: \\"${file.id}\\", records: $r) { id } }","variables":{"r":[${'['.repeat(100_000)}1${']'.repeat(100_000)}]}}`,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors[0].extensions.code).toBe('BAD_USER_INPUT');
    // Refused by a scan before the body is parsed: the parse of such a body would hold the event loop.
    expect(response.json().errors[0].message).toMatch(/request body is nested more than 64 deep/);
    void deep;
  });
});

describe('the GraphQL layer refuses malformed requests with a client error', () => {
  it('query text nested 5,000 levels deep', async () => {
    const query = `{ ${'files { edges { node { '.repeat(1_700)}id${' } } }'.repeat(1_700)} }`;
    expectClientError(await api.gql(member, query));
  });

  it('a mutation sent with GET is 405', async () => {
    const response = await api.app.inject({
      method: 'GET',
      url: `/graphql?query=${encodeURIComponent('mutation { revokePermission(id: "x", reason: "y") { id } }')}`,
      headers: { authorization: `Bearer ${steward}` },
    });
    expect(response.statusCode).toBe(405);
    expect(response.json().errors[0].extensions.code).toBe('METHOD_NOT_ALLOWED');
  });

  it.each([{ query: 1 }, { query: null }, { query: ['{ me { subject } }'] }, {}, { query: '{ me { subject } }', variables: 'x' }])(
    'body %j',
    async (body) => {
      const response = await api.app.inject({
        method: 'POST',
        url: '/graphql',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${member}` },
        payload: JSON.stringify(body),
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().errors[0].extensions.code).toBe('BAD_USER_INPUT');
    },
  );

  it.each(['PUT', 'DELETE', 'PATCH'] as const)('%s is 405 in the GraphQL error shape, whatever its body', async (method) => {
    const response = await api.app.inject({
      method,
      url: '/graphql',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${member}` },
    });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET, POST');
    expect(response.json().errors[0]).toMatchObject({
      extensions: { code: 'METHOD_NOT_ALLOWED' },
      message: expect.stringMatching(/^\w+ is not served here/),
    });
  });

  it('"extensions": null is allowed, as GraphQL over HTTP says', async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${member}` },
      payload: JSON.stringify({ query: '{ me { subject } }', extensions: null, operationName: null, variables: null }),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().data.me.subject).toBe('member');
  });

  it('a client error carries the request id; it is not an INTERNAL_SERVER_ERROR', async () => {
    const response = await api.gql(member, `{ file(id: 1 }`);
    expectClientError(response);
    expect(response.requestIds?.[0]).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('variables are bounded before they are coerced', () => {
  const TAGS = `query ($tags: [String!]) { files(first: 1, filter: { tags: $tags }) { totalCount } }`;

  it('a list of a million items is refused by its length, not walked item by item', async () => {
    // Numbers, which coercion would refuse item by item ("String cannot represent..."): refused before that.
    const error = expectClientError(await api.gql(member, TAGS, { tags: Array.from({ length: 1_000_000 }, () => 1) }), 'PAYLOAD_TOO_LARGE');
    expect(error.message).toMatch(/^\$tags holds 1,000,000 items; no list takes more than 20,000/);
    const fine = await api.gql(member, TAGS, { tags: ['vaccination'] });
    expect(fine.errors).toBeUndefined();
  });

  it('many short lists, or an input object of many unknown members, are refused by the values they hold in all', async () => {
    const lists = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`t${i}`, Array.from({ length: 3_000 }, () => 'x')]));
    const declared = Object.keys(lists).map((name) => `$${name}: [String!]`);
    const used = Object.keys(lists).map((name, i) => `f${i}: files(first: 1, filter: { tags: $${name} }) { totalCount }`);
    const many = expectClientError(
      await api.gql(member, `query (${declared.join(', ')}) { ${used.join(' ')} }`, lists),
      'PAYLOAD_TOO_LARGE',
    );
    expect(many.message).toMatch(/more than 40,000 values in all/);
    const members = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`unknown${i}`, 1]));
    const wide = expectClientError(
      await api.gql(member, `query ($filter: FileFilter) { files(first: 1, filter: $filter) { totalCount } }`, { filter: members }),
      'PAYLOAD_TOO_LARGE',
    );
    expect(wide.message).toMatch(/more than 40,000 values in all/);
  });
});

describe('a subscription is refused over HTTP, with where to send it', () => {
  it.each([1, 2])('run %i (the second run of a text is the compiled one)', async () => {
    const response = await api.gql(member, `subscription { fileEvents { seq } }`);
    const error = expectClientError(response);
    expect(error.message).toMatch(/subscriptions are served over WebSocket/);
  });
});

describe('free text has a maximum, enforced before any write', () => {
  it.each([
    ['a revocation reason', 'reason', 1_000],
    ['an approval note', 'note', 1_000],
    ['a rejection reason', 'reason', 1_000],
    ['a purpose', 'purpose', 500],
    ['a description', 'description', 2_000],
    ['a category', 'category', 100],
  ])('%s over the limit', async (_what, argument, limit) => {
    const before = await counts();
    const text = 'x'.repeat(limit + 1);
    let response;
    if (_what === 'a revocation reason') {
      response = await api.gql(
        steward,
        `mutation ($r: String!) { revokePermission(id: "6b1c2a4e-7f0e-4d55-9a51-4b3c2d1e0f9a", reason: $r) { id } }`,
        { r: text },
      );
    } else if (_what === 'an approval note') {
      response = await api.gql(
        steward,
        `mutation ($r: String) { approveExchange(id: "6b1c2a4e-7f0e-4d55-9a51-4b3c2d1e0f9a", note: $r) { id } }`,
        { r: text },
      );
    } else if (_what === 'a rejection reason') {
      response = await api.gql(
        steward,
        `mutation ($r: String!) { rejectExchange(id: "6b1c2a4e-7f0e-4d55-9a51-4b3c2d1e0f9a", reason: $r) { id } }`,
        { r: text },
      );
    } else if (_what === 'a purpose') {
      response = await api.gql(
        steward,
        `mutation ($r: String!) { grantPermission(input: { fileId: "${file.id}", granteeDepartmentCode: "${other.code}", actions: [READ], purpose: $r }) { id } }`,
        { r: text },
      );
    } else {
      const input = {
        code: 'limit-test',
        title: 'Limit test',
        classification: 'PUBLIC',
        category: 'health',
        format: 'table',
        fields: [{ name: 'a', type: 'string' }],
        description: null as string | null,
      };
      if (argument === 'description') input.description = text;
      else input.category = text;
      response = await api.gql(steward, `mutation ($i: RegisterFileInput!) { registerFile(input: $i) { id } }`, { i: input });
    }
    const error = expectClientError(response);
    expect(error.message).toContain(argument);
    expect(error.message).toContain(String(limit).replace(/\B(?=(\d{3})+$)/, ','));
    expect(await counts()).toEqual(before);
  });
});

describe("registering a file reveals nothing of another department's files", () => {
  it("a hidden file's code is free to register; only the steward's own department's code conflicts", async () => {
    const world = new World(db);
    const neighbour = await world.department('hx-water', { id: owner.districtId, code: 'hx-east' });
    const hidden = await world.file(neighbour, 'CONFIDENTIAL');
    const [{ code }] = await db.query(`SELECT code FROM data_file WHERE id = $1`, [hidden.id]);
    // The steward cannot discover it...
    expect((await api.gql(steward, `{ file(id: "${hidden.id}") { id } }`)).data?.file).toBeNull();
    const register = () =>
      api.gql(steward, `mutation ($i: RegisterFileInput!) { registerFile(input: $i) { id code } }`, {
        i: {
          code,
          title: 'Same code',
          classification: 'PUBLIC',
          category: 'health',
          format: 'table',
          fields: [{ name: 'a', type: 'string' }],
        },
      });
    // ...and registering its code neither conflicts nor says anything about it.
    const first = await register();
    expect(first.errors).toBeUndefined();
    expect(first.data?.registerFile.code).toBe(code);
    const again = expectClientError(await register(), 'CONFLICT');
    expect(again.message).toBe(`your department already has a file with code "${code}"`);
  });
});

describe('a body sent slowly', () => {
  it('is cut off at REQUEST_TIMEOUT_MS with a 408, the connection closed', async () => {
    const slow = await startTestApp(database, { REQUEST_TIMEOUT_MS: '1000' });
    try {
      await slow.app.listen(0, '127.0.0.1');
      const { port } = slow.app.getHttpServer().address() as AddressInfo;
      const socket = connect(port, '127.0.0.1');
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
      await once(socket, 'connect');
      const started = Date.now();
      // With a token, so that the request waits for its body rather than being refused at once.
      socket.write(
        `POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${await slow.tokenFor(other, ['MEMBER'], 'member')}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`,
      );
      await once(socket, 'close');
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
      // Cut within the timeout and Node's check interval (1 s each here), not left open.
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await slow.close();
    }
  });
});
