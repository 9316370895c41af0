// A failed task's status says why: the Temporal failure's cause chain walked down to the activity's own
// messages (issue 15, item 8), instead of the wrapper's "Activity task failed".
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ActivityFailure, ApplicationFailure, RetryState, TimeoutFailure, TimeoutType } from '@temporalio/common';
import { failureCause } from '../../workflows/failure-cause';

const activityFailure = (cause: Error): ActivityFailure =>
  new ActivityFailure('Activity task failed', 'incrementalSync', '3', RetryState.NON_RETRYABLE_FAILURE, 'worker-1', cause);

describe('failureCause', () => {
  it('names the activity and the ApplicationFailure message, with its type, not "Activity task failed"', () => {
    const window = ApplicationFailure.nonRetryable('relation "other_w.t" does not exist\n  failing for 5 s without progress, over retry.otherMinutes: the task stops here', 'RetryWindowExceeded');
    const text = failureCause(activityFailure(window));
    assert.match(text, /^incrementalSync: relation "other_w\.t" does not exist/);
    assert.match(text, /over retry\.otherMinutes/);
    assert.match(text, /\(RetryWindowExceeded\)/);
    assert.doesNotMatch(text, /Activity task failed/);
  });

  it('follows nested causes and says a repeated message once', () => {
    const inner = ApplicationFailure.create({ message: 'no partition of relation "m" found for row', type: 'OtherFailure' });
    const outer = ApplicationFailure.create({ message: 'no partition of relation "m" found for row\n  failing for 6 s', type: 'RetryWindowExceeded', cause: inner });
    const text = failureCause(activityFailure(outer));
    assert.equal((text.match(/no partition/g) ?? []).length, 1, text);
    assert.match(text, /RetryWindowExceeded/);
  });

  it('says which timeout ended an activity', () => {
    const text = failureCause(activityFailure(new TimeoutFailure(undefined, undefined, TimeoutType.HEARTBEAT)));
    assert.match(text, /^incrementalSync: .*timeout/i);
  });

  it('keeps a plain error as it is', () => {
    assert.equal(failureCause(new Error('boom')), 'boom');
    assert.equal(failureCause('text'), 'text');
  });
});
