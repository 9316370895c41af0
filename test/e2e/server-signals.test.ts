// `pg-dts server` stopped by a signal other than a terminal's Ctrl-C (`kill`, systemd, docker stop, a closed
// terminal): the `temporal` child must stop with it and free its port (issue 15, item 9).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Connection } from '@temporalio/client';
import { freePort } from '../../src/util/ports';
import { waitFor } from '../harness/checksum';

const ROOT = join(__dirname, '..', '..');

/** Process ids whose parent is `pid` and whose command line holds `word` (from /proc). */
function childrenOf(pid: number, word: string): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(word)) children.push(Number(entry));
    } catch {
      // the process ended while listing
    }
  }
  return children;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

async function serving(address: string): Promise<boolean> {
  try {
    const conn = await Connection.connect({ address, connectTimeout: 1000 });
    await conn.workflowService.getSystemInfo({});
    await conn.close();
    return true;
  } catch {
    return false;
  }
}

describe('pg-dts server', () => {
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    it(`stops its temporal child and frees the port on ${signal}`, async () => {
      const port = await freePort();
      const uiPort = await freePort();
      const server = spawn(join(ROOT, 'bin', 'pg-dts.js'), ['server', '--port', String(port), '--ui-port', String(uiPort)], {
        env: process.env, stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      server.stderr!.on('data', (d: Buffer) => (stderr += d));
      const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
      let temporal: number[] = [];
      try {
        await waitFor('the server answers', () => serving(`127.0.0.1:${port}`), 60_000, 300).catch(() => assert.fail(`server did not start: ${stderr}`));
        temporal = childrenOf(server.pid!, 'start-dev');
        assert.equal(temporal.length, 1, `one temporal child of pg-dts server, found ${temporal.join(', ')}`);
        server.kill(signal);
        await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
        assert.notEqual(server.exitCode ?? server.signalCode, null, 'pg-dts server exited');
        await waitFor('the temporal child is gone', async () => !alive(temporal[0]!), 15_000, 200)
          .catch(() => assert.fail(`the temporal child ${temporal[0]} outlived pg-dts server (${signal})`));
        assert.equal(await portFree(port), true, `port ${port} is free after ${signal}`);
      } finally {
        server.kill('SIGKILL');
        for (const pid of temporal) if (alive(pid)) process.kill(pid, 'SIGKILL');
      }
    });
  }
});
