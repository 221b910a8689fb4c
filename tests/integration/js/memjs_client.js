// Drives the daemon with memjs 1.3.2 (binary protocol) and asserts every reply.
// Usage: node memjs_client.js HOST:PORT. Exits 0 when all checks pass, 1 with a message
// naming the first mismatch otherwise. memjs comes from node_modules here (npm ci).
'use strict';

const memjs = require('memjs');

function check(name, got, want) {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  if (g !== w) {
    console.error(`MISMATCH ${name}: got ${g}, want ${w}`);
    process.exit(1);
  }
  console.log(`ok ${name}`);
}

async function main() {
  const server = process.argv[2];
  const silent = {log: () => {}};
  const client = memjs.Client.create(server, {retries: 1, timeout: 5, logger: silent});

  const flushed = await client.flush();
  check('flush', Object.values(flushed), [true]);

  check('get miss', (await client.get('missing')).value, null);
  check('set', await client.set('k1', 'v1', {}), true);
  check('get hit', (await client.get('k1')).value.toString(), 'v1');
  check('set expires', await client.set('k2', Buffer.from([0, 1, 2, 255]), {expires: 100}), true);
  check('get binary', [...(await client.get('k2')).value], [0, 1, 2, 255]);
  check('set overwrite', await client.set('k1', 'v1b', {}), true);
  check('get overwrite', (await client.get('k1')).value.toString(), 'v1b');

  check('add new', await client.add('a1', 'x', {}), true);
  check('add existing', await client.add('a1', 'y', {}), false);
  check('replace existing', await client.replace('a1', 'z', {}), true);
  check('replace missing', await client.replace('nope', 'z', {}), false);

  check('delete', await client.delete('k1'), true);
  check('delete miss', await client.delete('k1'), false);
  check('get deleted', (await client.get('k1')).value, null);

  check('set counter', await client.set('n', '10', {}), true);
  check('increment', await client.increment('n', 5, {}), {success: true, value: 15});
  check('get counter', (await client.get('n')).value.toString(), '15');
  check('increment initial', await client.increment('fresh', 3, {initial: 7}),
        {success: true, value: 7});
  check('increment again', await client.increment('fresh', 3, {}), {success: true, value: 10});
  check('decrement', await client.decrement('fresh', 4, {}), {success: true, value: 6});
  check('decrement floor', await client.decrement('fresh', 100, {}), {success: true, value: 0});

  const afterFlush = await client.flush();
  check('flush again', Object.values(afterFlush), [true]);
  check('get after flush', (await client.get('n')).value, null);
  check('get after flush 2', (await client.get('a1')).value, null);
  check('set after flush', await client.set('k1', 'again', {}), true);
  check('get after flush set', (await client.get('k1')).value.toString(), 'again');

  client.close();
  console.log('ALL OK');
}

main().catch((err) => {
  console.error(`ERROR ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
