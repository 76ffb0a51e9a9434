/**
 * The alert e-mail addresses, as the deploy settings and the construct take them: the one
 * address rule (lambda/setting-rules.ts), and what to say when a list was written with
 * semicolons, the separator mail clients use, instead of commas.
 */
import { emailAddressProblem } from '../lambda/setting-rules.js';

/** The list, with commas where `text` had semicolons, for the message to show. */
const withCommas = (text: string) =>
  text
    .split(/[;,]/)
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .join(',');

/** Why `text`, one `alertEmails` value, cannot be split into addresses, or `undefined`. */
export function alertEmailListProblem(text: string): string | undefined {
  if (!text.includes(';')) return undefined;
  return `separate the addresses with commas, not semicolons (";"): ${withCommas(text)}`;
}

/** Why `address`, one alert e-mail address, is not one, or `undefined`. */
export function alertEmailProblem(address: string): string | undefined {
  if (address.includes(';'))
    return `"${address}" holds a semicolon (";"): list each address on its own, or separate them with commas`;
  return emailAddressProblem(address);
}

/** The id of the synth warning of a deployment that subscribes nobody (to acknowledge it). */
export const NO_ALERT_EMAILS_WARNING_ID = 'checkpoint-guard:no-alert-emails';

/** The synth warning of a deployment that subscribes nobody. */
export const NO_ALERT_EMAILS_WARNING =
  'alertEmails is empty: nobody is subscribed to the report topic, so nobody will be told of a finding, a revocation or an alarm. Set -c alertEmails=secops@example.com (commas between addresses), or subscribe an endpoint to the TopicArn output yourself.';
