// Upgrade safety: a task started by the release before collision-free names (recorded from that release:
// start with a hashed task id, stream, add a table, release) replays on today's workflow code without a
// nondeterminism error, and schedules every activity with the task id and addition names it used then —
// its slot, publication and origin keep their names (src/spec/task-id.ts, naming 'v1').
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { taskIdFromWorkflowId } from '../../src/spec/task-id';

const WORKFLOW_ID = 'Legacy-Task.1';
const LEGACY_TASK_ID = 'legacy_task_1_c6c14019';

/**
 * The `temporal workflow show --output json` file as a History. (The SDK's historyFromJSON fails in this
 * install: @temporalio/common's protobufjs is not the one @temporalio/proto was built with.) proto3 JSON
 * writes timestamps and durations as strings; fromObject wants { seconds, nanos }.
 */
function historyFromFile(file: string): temporal.api.history.v1.History {
  const convert = (key: string, value: unknown): unknown => {
    if (Array.isArray(value)) return value.map((v) => convert('', v));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(k, v)]));
    if (typeof value !== 'string' || key === 'data') return value;
    if (/^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(value)) {
      const ms = Date.parse(value);
      const fraction = value.match(/\.(\d+)Z$/)?.[1] ?? '';
      return { seconds: Math.floor(ms / 1000), nanos: Number(fraction.padEnd(9, '0').slice(0, 9)) };
    }
    const duration = value.match(/^(\d+)(?:\.(\d+))?s$/);
    if (duration) return { seconds: Number(duration[1]), nanos: Number((duration[2] ?? '').padEnd(9, '0').slice(0, 9)) };
    return value;
  };
  return temporal.api.history.v1.History.fromObject(convert('', JSON.parse(readFileSync(file, 'utf8'))) as Record<string, unknown>);
}

interface Scheduled {
  type: string;
  args: unknown[];
}

type TaskArgs = { taskId?: string; naming?: string; addition?: { slot: string; origin: string } };

describe('a task started before collision-free names', () => {
  it('replays, and keeps its task id and addition names in every activity it schedules', async () => {
    const history = historyFromFile(join(__dirname, 'fixtures', 'legacy-sync-task-history.json'));
    const recorded: Scheduled[] = (history.events ?? []).flatMap((e) => {
      const a = e.activityTaskScheduledEventAttributes;
      return a ? [{ type: a.activityType!.name!, args: (a.input?.payloads ?? []).map((p) => defaultPayloadConverter.fromPayload(p)) }] : [];
    });
    assert.ok(recorded.some((r) => r.type === 'finishAddition'), 'the history has an addition');
    assert.notEqual(taskIdFromWorkflowId(WORKFLOW_ID), LEGACY_TASK_ID, 'today\'s derivation gives a new task started under this id another id');

    const scheduled: Scheduled[] = [];
    await Worker.runReplayHistory(
      {
        workflowsPath: require.resolve('../../workflows'),
        interceptors: { workflowModules: [require.resolve('./replay-capture')] },
        sinks: { capture: { activity: { fn: (_info: unknown, type: string, args: unknown[]) => void scheduled.push({ type, args }), callDuringReplay: true } } },
      },
      history,
      WORKFLOW_ID,
    );

    assert.deepEqual(scheduled.map((s) => s.type), recorded.map((r) => r.type));
    for (const [i, s] of scheduled.entries()) {
      const now = s.args[0] as TaskArgs | undefined;
      const then = recorded[i]!.args[0] as TaskArgs | undefined;
      if (then?.taskId === undefined) continue;
      assert.equal(then.taskId, LEGACY_TASK_ID);
      assert.equal(now?.taskId, LEGACY_TASK_ID, `${s.type}: the task id it was started with`);
      assert.equal(now?.naming, 'v1', `${s.type}: activities take over its unrecorded objects and keep its legacy addition names`);
      if (then.addition) assert.deepEqual({ slot: now.addition?.slot, origin: now.addition?.origin }, { slot: then.addition.slot, origin: then.addition.origin });
    }
    const addition = recorded.find((r) => (r.args[0] as TaskArgs | undefined)?.addition)?.args[0] as TaskArgs;
    assert.equal(addition.addition!.slot, `dts_sync_${LEGACY_TASK_ID}_add`);
  });
});
