/**
 * Secret highlighting for the raw views (wire log, token inspector): split a text into plain segments and
 * segments that are exactly a value the server issued, so the component can wrap those in <mark> without
 * ever building HTML from strings.
 */

/** Kinds of secret the server issues (the exposure ledger's kinds, plus the browser session). */
export type SecretKind = 'device_code' | 'user_code' | 'access_token' | 'refresh_token' | 'session';

/** One spelling of one secret to look for. */
export interface Needle {
  text: string;
  kind: SecretKind;
  /** A short label safe to show anywhere (never the value). */
  fingerprint: string;
}

export type Segment =
  | { text: string; secret?: undefined }
  | { text: string; secret: { kind: SecretKind; fingerprint: string } };

const KIND_LABELS: Record<SecretKind, string> = {
  device_code: 'device code',
  user_code: 'user code',
  access_token: 'access token',
  refresh_token: 'refresh token',
  session: 'browser session id',
};

export function kindLabel(kind: string): string {
  return KIND_LABELS[kind as SecretKind] ?? kind.replace(/_/g, ' ');
}

/** User codes are shown with a dash every 4 (or 3) characters; the form body may percent-encode a value. */
export function spellingsOf(kind: SecretKind, value: string): string[] {
  const out = [value];
  if (kind === 'user_code') {
    for (const n of [4, 3]) out.push(value.match(new RegExp(`.{1,${n}}`, 'g'))?.join('-') ?? value);
  }
  for (const s of [...out]) out.push(encodeURIComponent(s));
  return [...new Set(out)].filter((s) => s.length >= 4);
}

/** Needles for a list of issued secrets (values shorter than 4 characters are ignored: too many false hits). */
export function needlesFor(secrets: ReadonlyArray<{ kind: SecretKind; value: string; fingerprint: string }>): Needle[] {
  return secrets.flatMap((s) => spellingsOf(s.kind, s.value).map((text) => ({ text, kind: s.kind, fingerprint: s.fingerprint })));
}

/**
 * Split `text` into segments; every occurrence of a needle becomes its own segment. At each position the
 * longest matching needle wins; matches never overlap. Concatenating the segments' text gives `text` back.
 */
export function highlightSecrets(text: string, needles: readonly Needle[]): Segment[] {
  // Index by first character, longest first, so each position checks only the needles that can start there.
  const byFirst = new Map<string, Needle[]>();
  for (const n of [...needles].sort((a, b) => b.text.length - a.text.length)) {
    if (!n.text) continue;
    const list = byFirst.get(n.text[0]!) ?? [];
    list.push(n);
    byFirst.set(n.text[0]!, list);
  }
  const segments: Segment[] = [];
  let plainStart = 0;
  let i = 0;
  outer: while (i < text.length) {
    for (const n of byFirst.get(text[i]!) ?? []) {
      if (text.startsWith(n.text, i)) {
        if (i > plainStart) segments.push({ text: text.slice(plainStart, i) });
        segments.push({ text: n.text, secret: { kind: n.kind, fingerprint: n.fingerprint } });
        i += n.text.length;
        plainStart = i;
        continue outer;
      }
    }
    i++;
  }
  if (plainStart < text.length) segments.push({ text: text.slice(plainStart) });
  return segments;
}
