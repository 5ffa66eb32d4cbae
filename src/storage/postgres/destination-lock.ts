/**
 * The advisory lock of a workspace's destinations. Creating or deleting a destination takes
 * it exclusively; a group commit takes it shared before it reads the destinations its events
 * are routed to. So an event either commits before a destination exists (and is not routed
 * to it) or sees it, on every node: an outbox row is never missed in between.
 */
export function destinationsLockKey(param: string): string {
  return `hashtextextended('tally:destinations|' || ${param}, 0)`;
}
