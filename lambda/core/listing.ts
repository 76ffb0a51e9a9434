/**
 * One checkpoint's listing as the audit builds it: its state while the walk reads its pages, then
 * the findings that enforcement (enforcement.ts) gives their actions.
 */
import type { CheckpointPolicy } from './policy.js';
import type { Action, Finding, ReasonCode } from './report.js';

/** Mutable state of one checkpoint while its listing is walked. */
export interface Listing {
  readonly checkpoint: CheckpointPolicy;
  status: 'complete' | 'incomplete' | 'error';
  reason?: string;
  reasonCode?: ReasonCode;
  pagesRead: number;
  permissionsSeen: number;
  allowed: number;
  readonly findings: Finding[];
}

/** A listing not walked yet: complete until a page says otherwise. */
export function newListing(checkpoint: CheckpointPolicy): Listing {
  return { checkpoint, status: 'complete', pagesRead: 0, permissionsSeen: 0, allowed: 0, findings: [] };
}

/** Gives the finding at `index` its action (and why), in place; returns it. */
export function setAction(listing: Listing, index: number, action: Action, actionReason?: string): Finding {
  const finding = listing.findings[index] as Finding;
  const updated: Finding = { ...finding, action, ...(actionReason !== undefined ? { actionReason } : {}) };
  listing.findings[index] = updated;
  return updated;
}
