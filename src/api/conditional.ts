/**
 * HTTP conditional requests on versioned entries (RFC 9110 §13): the ETag is the
 * store version in quotes; `If-Match` turns a write into compare-and-set and
 * `If-None-Match: *` into create-only. Weak tags (W/"…") never match for writes,
 * as the RFC requires strong comparison there.
 */
import { ValidationError } from '../core/errors.js';

export type Precondition = { kind: 'none' } | { kind: 'exists' } | { kind: 'absent' } | { kind: 'versions'; versions: number[] };

export function etagOf(version: number): string {
  return `"${version}"`;
}

/** Reads If-Match / If-None-Match of a write (PUT or DELETE). */
export function writePrecondition(ifMatch: string | undefined, ifNoneMatch: string | undefined, allowCreateOnly: boolean): Precondition {
  if (ifMatch !== undefined && ifNoneMatch !== undefined) {
    throw new ValidationError('send either If-Match or If-None-Match, not both');
  }
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== '*' || !allowCreateOnly) {
      throw new ValidationError(
        allowCreateOnly ? 'If-None-Match on a write supports only "*" (create only)' : 'If-None-Match is not supported here',
      );
    }
    return { kind: 'absent' };
  }
  if (ifMatch === undefined) return { kind: 'none' };
  if (ifMatch.trim() === '*') return { kind: 'exists' };
  return { kind: 'versions', versions: parseTags(ifMatch, 'If-Match', false) };
}

/** The versions listed in a GET's If-None-Match (weak tags count: RFC 9110 weak comparison). */
export function notModifiedVersions(ifNoneMatch: string | undefined): number[] | '*' {
  if (ifNoneMatch === undefined) return [];
  if (ifNoneMatch.trim() === '*') return '*';
  return parseTags(ifNoneMatch, 'If-None-Match', true);
}

function parseTags(header: string, name: string, allowWeak: boolean): number[] {
  const versions: number[] = [];
  for (const raw of header.split(',')) {
    const tag = raw.trim();
    const match = /^(W\/)?"(\d{1,16})"$/.exec(tag);
    if (!match) throw new ValidationError(`${name} must be "*" or a list of ETags like "17" (got ${JSON.stringify(tag)})`);
    if (match[1] && !allowWeak) continue;
    versions.push(Number(match[2]));
  }
  return versions;
}
