// The destination side of copying a table again (workflows/recopy-table.ts): once its copy has joined the
// stream, the requests that copy answers are closed.
import type { TableRef } from '../src/catalog/names';
import { withClient } from '../src/conn/connect';
import { closeRecopy } from '../src/stream/recopy-requests';
import { taskContext, type TaskInput } from './context';

export async function closeRecopyRequest(input: TaskInput & { table: TableRef; copiedAt: string }): Promise<void> {
  await withClient(taskContext(input).destination, (db) => closeRecopy(db, input.taskId, input.table, input.copiedAt));
}
