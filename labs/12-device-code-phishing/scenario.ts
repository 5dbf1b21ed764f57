/**
 * Lab 12: device-code phishing and the consent page (F15, F16, F17; G12). The learner is the identity
 * provider's admin. Its `verification_uri_complete` link approves in one click and its consent page shows
 * only the client's name, so a phishing mail carrying the attacker's link signed the attacker's terminal in
 * as alice. The learner makes the link open a confirmation page and the consent page show where the request
 * came from; a careful victim then refuses the next phish. Alice then kills the phished session by signing out
 * everywhere.
 */
import { defineLab, need } from '../../src/labs/types.ts';
import type { World } from '../../src/world/index.ts';

const phishes = (world: World) => world.attacker.log.filter((o) => o.move === 'phish');

/** In some phishing attempt, opening the link approved nothing: the victim reached a consent page and decided there. */
function linkNoLongerApproves(world: World): boolean {
  return phishes(world).some((o) => !o.detail.includes('one-click') && /consent page|despite the warning/.test(o.detail));
}

/** A phish failed because the consent page showed the requesting device and warned, and the victim denied. */
function victimRefused(world: World): boolean {
  return phishes(world).some((o) => !o.succeeded && /warned the victim, who denied it/.test(o.detail))
    && world.provider.audit('grant.denied').length > 0;
}

/** Every token the attacker phished is refused now, because alice's grants were revoked at the server. */
function phishedTokensDead(world: World): boolean {
  const loot = [...world.attacker.loot.access_token, ...world.attacker.loot.refresh_token];
  const issued = world.provider.issuedSecrets();
  return loot.length > 0 && loot.every((v) => issued.find((s) => s.value === v)?.usable === false)
    && world.provider.audit('grant.revoked').length > 0;
}

export default defineLab({
  setup: {
    world: {
      host: { kind: 'laptop' },
      serverKnobs: { verificationCompleteMode: 'one-click', consentDetail: 'minimal' },
    },
    showcase: 0,
    learnerKnobs: { server: ['verificationCompleteMode', 'consentDetail'] },
    // This morning: a mail "Your acme session expired, re-verify here" reached alice; she is careful, but the link did it all.
    prelude: [
      { do: 'attack', move: 'phish', victim: 'reads-consent' },
      { do: 'attack', move: 'replay-access-token' },
    ],
  },
  objectives: [
    {
      id: 'link-needs-confirmation',
      text: 'Make the identity provider stop approving on a link: opening `verification_uri_complete` must lead to a page where the person decides.',
      holds: (w) => need(linkNoLongerApproves(w), w.provider.knobs.verificationCompleteMode === 'one-click'
        ? 'opening the phishing link still approves in one click: nobody reached a page where they could decide'
        : 'no phishing link has been opened since your change: send the next phish from the attacker console')
        ?? true,
    },
    {
      id: 'victim-can-tell',
      text: 'Give the consent page enough context that the careful victim refuses the next phishing attempt.',
      holds: (w) => need(linkNoLongerApproves(w), 'the link approves by itself, so the victim never sees a consent page to judge')
        ?? need(victimRefused(w), w.provider.knobs.consentDetail === 'minimal'
          ? 'the consent page shows only the client\'s name: the careful victim has nothing to doubt and approves'
          : 'no phishing attempt has met the detailed consent page yet: send one')
        ?? true,
    },
    {
      id: 'phished-session-dead',
      text: 'Make the tokens the attacker phished this morning worthless.',
      holds: (w) => need(phishedTokensDead(w), 'the attacker\'s terminal still holds tokens for alice that the server accepts') ?? true,
    },
  ],
  solution: [
    { do: 'knobs', server: { verificationCompleteMode: 'confirm', consentDetail: 'full' } },
    { do: 'attack', move: 'phish', victim: 'reads-consent' },
    { do: 'sign-out-everywhere' },
    { do: 'attack', move: 'replay-access-token' },
  ],
  nearMisses: [
    {
      name: 'a detailed consent page while the link still approves in one click',
      objective: 'link-needs-confirmation',
      steps: [{ do: 'knobs', server: { consentDetail: 'full' } }, { do: 'attack', move: 'phish', victim: 'reads-consent' }],
    },
    {
      name: 'a confirmation page that still shows only the client\'s name: the victim reaches it and approves',
      objective: 'victim-can-tell',
      steps: [{ do: 'knobs', server: { verificationCompleteMode: 'confirm' } }, { do: 'attack', move: 'phish', victim: 'reads-consent' }],
      ticks: ['link-needs-confirmation'],
    },
    {
      name: 'the right settings, tested on a victim who approves anything',
      objective: 'victim-can-tell',
      steps: [{ do: 'knobs', server: { verificationCompleteMode: 'confirm', consentDetail: 'full' } }, { do: 'attack', move: 'phish', victim: 'approves-anything' }],
      ticks: ['link-needs-confirmation'],
    },
    {
      name: 'fixing the identity provider without ending the phished session',
      objective: 'phished-session-dead',
      after: 2,
      steps: [{ do: 'attack', move: 'replay-access-token' }],
      ticks: ['link-needs-confirmation', 'victim-can-tell'],
    },
  ],
});
