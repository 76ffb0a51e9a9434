/**
 * A rule written as a `...Problem` function (lambda/setting-rules.ts and lib/'s rules: why a value
 * breaks the rule, or `undefined`) turned into a zod check. The Lambda's settings (zod/mini) and
 * the deploy settings (classic zod) both use it: the two APIs share zod's core, whose checks
 * either accepts.
 */
import * as z from './zod.js';

/** A zod check that raises `problem`'s answer, when there is one, as the issue. */
export function keeps<T>(problem: (value: T) => string | undefined): z.core.$ZodCheck<T> {
  return z.superRefine((value: T, ctx) => {
    const found = problem(value);
    if (found !== undefined) ctx.addIssue({ code: 'custom', message: found });
  });
}
