/**
 * The baseline: what a simple script over the official SDK's auto-pagination does. One
 * request at a time, checkpoint after checkpoint, following `has_more` / `last_id`, and
 * counting the grants to projects that are not on the allowlist. No retries, no checks.
 * It uses `fetch`, as the official SDK does.
 */

export interface SequentialWalkResult {
  readonly requests: number;
  readonly permissionsSeen: number;
  readonly unexpected: number;
}

interface Page {
  readonly data: ReadonlyArray<{ readonly id: string; readonly project_id: string }>;
  readonly has_more: boolean;
  readonly last_id: string | null;
}

export async function sequentialWalk(options: {
  readonly baseUrl: string;
  readonly adminKey: string;
  readonly checkpoints: readonly string[];
  readonly allowedProjects: ReadonlySet<string>;
  readonly pageSize: number;
}): Promise<SequentialWalkResult> {
  let requests = 0;
  let permissionsSeen = 0;
  let unexpected = 0;
  for (const checkpoint of options.checkpoints) {
    let after: string | null = null;
    do {
      const query = new URLSearchParams({ limit: String(options.pageSize), order: 'ascending' });
      if (after !== null) query.set('after', after);
      const response = await fetch(
        `${options.baseUrl}/fine_tuning/checkpoints/${encodeURIComponent(checkpoint)}/permissions?${query}`,
        { headers: { authorization: `Bearer ${options.adminKey}` } },
      );
      if (!response.ok) throw new Error(`the sequential walk got HTTP ${response.status}`);
      const page = (await response.json()) as Page;
      requests++;
      for (const permission of page.data) {
        permissionsSeen++;
        if (!options.allowedProjects.has(permission.project_id)) unexpected++;
      }
      after = page.has_more ? page.last_id : null;
    } while (after !== null);
  }
  return { requests, permissionsSeen, unexpected };
}
