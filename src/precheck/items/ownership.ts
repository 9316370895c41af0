// Isolation (DESIGN.md invariant 8): a task starts only when the names it will use — slot, publication,
// origin, the helper objects and records named after its id — are free or already its own. Another task
// owning one of them (the same workflow id in another Temporal namespace, two workflow ids whose hashed
// task ids collide, a task started before names were collision-free) or an object existing with no
// recorded owner refuses the task before it creates or drops anything.
import {
  conflictsOf, describeConflict, describeOwner, registryProblem, type OwnershipConflict, type OwnershipFacts,
} from '../../stream/ownership';
import { pass, problem, type CheckItem } from './check';

const ID = 'task-id-unique';

function sideProblems(side: string, facts: OwnershipFacts | undefined, owner: Parameters<typeof conflictsOf>[1]): { problems: string[]; conflicts: OwnershipConflict[] } {
  if (!facts || !facts.objects.length) return { problems: [], conflicts: [] };
  if (!facts.registry.usable) return { problems: [`on the ${side}, ${registryProblem(facts.registry, facts.user)}`], conflicts: [] };
  const conflicts = conflictsOf(facts.objects, owner);
  return { problems: conflicts.map((c) => `on the ${side}, ${describeConflict(c)}`), conflicts };
}

export const taskIdUnique: CheckItem = (input) => {
  if (!input.task) return null;
  const { taskId, owner } = input.task;
  const source = sideProblems('source', input.source.ownership, owner);
  const destination = sideProblems('destination', input.destination.ownership, owner);
  const problems = [...source.problems, ...destination.problems];
  const whose = owner ? ` (owned by ${describeOwner(owner)})` : '';
  if (!problems.length) return pass(ID, 'fail', `task id ${taskId}: its slot, publication, origin and helper objects are free or already this task's own${whose}`);
  const conflicts = [...source.conflicts, ...destination.conflicts];
  const owners = [...new Set(conflicts.filter((c) => c.owner).map((c) => describeOwner(c.owner!)))];
  const fix = conflicts.length
    ? `start this task under another workflow id (the spec's name); ${owners.length ? `or release ${owners.join(', ')} first; ` : ''}objects left by a task that no longer runs can be dropped by hand (pg_drop_replication_slot, DROP PUBLICATION, pg_replication_origin_drop, and their rows in _pg_dts.owners)`
    : 'grant the access named above, or run every pg-dts task on that database as one role';
  const headline = conflicts.length ? `task id ${taskId} is in use by another task` : `who owns the names of task id ${taskId} cannot be checked`;
  return problem(ID, 'fail', `${headline}: ${problems.join('; ')}`, fix);
};
