import { dashboardChangeProblem } from './queue-dashboard';

const req = (headers: Record<string, string>) => ({
  protocol: 'http' as const,
  headers: { host: '127.0.0.1:4000', ...headers },
});

describe('dashboardChangeProblem', () => {
  it('refuses every change on the read-only dashboard, whatever the credentials', () => {
    expect(
      dashboardChangeProblem(
        false,
        req({ authorization: 'Bearer t', origin: 'http://127.0.0.1:4000' }),
        undefined,
      ),
    ).toMatch(/read-only/);
  });

  it('accepts a change on the admin dashboard with the Authorization header and no or the own Origin', () => {
    expect(dashboardChangeProblem(true, req({ authorization: 'Bearer t' }), undefined)).toBeNull();
    expect(
      dashboardChangeProblem(
        true,
        req({ authorization: 'Bearer t', origin: 'http://127.0.0.1:4000' }),
        undefined,
      ),
    ).toBeNull();
    expect(
      dashboardChangeProblem(
        true,
        req({ authorization: 'Bearer t', origin: 'https://ops.example.lu' }),
        'https://ops.example.lu',
      ),
    ).toBeNull();
  });

  it('never lets the cookie alone authorize a change', () => {
    expect(
      dashboardChangeProblem(
        true,
        req({ cookie: 'broker_ops=t', origin: 'http://127.0.0.1:4000' }),
        undefined,
      ),
    ).toMatch(/Authorization header/);
  });

  it('refuses a change from another origin, even with the Authorization header (an SSO proxy adds it)', () => {
    expect(
      dashboardChangeProblem(
        true,
        req({ authorization: 'Bearer t', origin: 'https://evil.example' }),
        undefined,
      ),
    ).toMatch(/Origin is not this site/);
    expect(
      dashboardChangeProblem(
        true,
        req({ authorization: 'Bearer t', origin: 'http://127.0.0.1:4000' }),
        'https://ops.example.lu',
      ),
    ).toMatch(/Origin is not this site/);
  });
});
