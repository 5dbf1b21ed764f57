import { describe, expect, it } from 'vitest';
import type { WireExchange } from '../../world/wire.ts';
import { arrowsFor, layoutSequence, LANES, responseLabel, serverLane } from './sequence.ts';

const ex = (over: Partial<WireExchange>): WireExchange => ({
  id: 1, actor: 'cli', startedAt: 1000,
  request: { method: 'POST', url: 'https://idp.acme.test/token', headers: [], body: 'grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=x' },
  ...over,
});

describe('sequence diagram layout', () => {
  it('routes identity provider and API requests to their lifelines', () => {
    expect(serverLane('https://idp.acme.test/device_authorization')).toBe('IdP');
    expect(serverLane('https://api.acme.test/api/me')).toBe('API');
  });

  it('draws a request arrow and a response arrow labelled with path, grant, status and OAuth error', () => {
    const arrows = arrowsFor([ex({ response: { at: 1010, status: 400, headers: [['content-type', 'application/json']], body: '{"error":"authorization_pending"}' } })]);
    expect(arrows.map((a) => [a.kind, a.from, a.to, a.label, a.failed])).toEqual([
      ['request', 'CLI', 'IdP', 'POST /token (device_code)', false],
      ['response', 'IdP', 'CLI', '400 authorization_pending', true],
    ]);
  });

  it('takes the error from WWW-Authenticate for API refusals', () => {
    expect(responseLabel({ at: 0, status: 401, headers: [['WWW-Authenticate', 'Bearer error="invalid_token"']], body: '' })).toBe('401 invalid_token');
    expect(responseLabel({ at: 0, status: 200, headers: [], body: '{"sub":"alice"}' })).toBe('200');
  });

  it('marks hung and reset requests instead of a response; the victim draws on the Browser lifeline', () => {
    const arrows = arrowsFor([
      ex({ id: 2, fault: 'timeout' }),
      ex({ id: 3, actor: 'victim', fault: 'network-error', request: { method: 'GET', url: 'https://idp.acme.test/device', headers: [], body: '' } }),
      ex({ id: 4, actor: 'attacker', request: { method: 'GET', url: 'https://api.acme.test/api/projects', headers: [], body: '' } }),
    ]);
    expect(arrows.map((a) => `${a.kind}:${a.from}>${a.to}:${a.label}`)).toEqual([
      'request:CLI>IdP:POST /token (device_code)', 'fault:IdP>CLI:no answer (timeout)',
      'request:Browser>IdP:GET /device', 'fault:IdP>Browser:connection reset',
      'request:Attacker>API:GET /api/projects', 'fault:API>Attacker:waiting…',
    ]);
    expect(arrows[2]!.actor).toBe("Victim's browser");
  });

  it('places lifelines in columns and arrows in rows, in time order', () => {
    const layout = layoutSequence(arrowsFor([ex({ response: { at: 1, status: 200, headers: [], body: '{}' } })]), { laneGap: 100, rowGap: 20, top: 10, left: 50 });
    expect(layout.lanes.map((l) => l.x)).toEqual([50, 150, 250, 350, 450]);
    expect(layout.lanes.map((l) => l.name)).toEqual([...LANES]);
    expect(layout.arrows.map((a) => [a.x1, a.x2, a.y])).toEqual([[50, 250, 30], [250, 50, 50]]);
    expect(layout.width).toBe(500);
    expect(layout.height).toBe(70);
  });
});
