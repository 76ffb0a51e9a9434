/** What the emulator answers a request with, before it is written to the socket. */
import { type Identified, type ListObject, openAIErrorBody } from './wire-types.js';

export interface Reply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Serialized as JSON unless `text` is given. */
  readonly json?: unknown;
  readonly text?: string;
  readonly contentType?: string;
}

/**
 * A list operation's successful answer, kept typed until it is sent so that a pagination
 * fault can still break it. Sent with status 200.
 */
export interface ListPage {
  readonly list: ListObject<Identified>;
}

/** What an operation answers. */
export type OperationResult = Reply | ListPage;

export function errorReply(
  status: number,
  message: string,
  type: string,
  code: string | null = null,
  param: string | null = null,
  headers?: Readonly<Record<string, string>>,
): Reply {
  return { status, json: openAIErrorBody(message, type, code, param), ...(headers ? { headers } : {}) };
}

/** The body as it goes out: `text` as it is, otherwise `json` serialized. */
export function bodyText(reply: Reply): string {
  return reply.text ?? JSON.stringify(reply.json);
}
