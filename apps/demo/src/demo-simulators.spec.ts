import { createServer, type AddressInfo, type Server } from 'node:net';
import {
  demoSimulators,
  moveOffTakenDefaults,
  portInUse,
  portsInUse,
  withSimulatorUrls,
} from './demo-simulators';

describe('the simulators npm start runs', () => {
  it('listen on 4100, 4101 and 4102 by default, where the gateway finds them', () => {
    const { rnpp, ccss, rcs } = demoSimulators({});
    expect(rnpp).toEqual({
      name: 'rnpp-simulator',
      portVar: 'RNPP_PORT',
      port: 4100,
      host: '127.0.0.1',
      urlVar: 'RNPP_URL',
      url: 'http://127.0.0.1:4100',
      chosen: false,
    });
    expect([ccss.name, ccss.port, ccss.url]).toEqual(['ccss-simulator', 4101, 'http://127.0.0.1:4101']);
    expect([rcs.name, rcs.port, rcs.url]).toEqual(['rcs-simulator', 4102, 'http://127.0.0.1:4102']);
  });

  it('derive an unset URL from the port, and keep a URL that is set', () => {
    const env: NodeJS.ProcessEnv = {
      CCSS_PORT: '5101',
      RCS_PORT: '5102',
      RCS_URL: 'http://rcs.example:8080/',
      RNPP_PORT: '',
    };
    const sims = demoSimulators(env);
    expect(sims.ccss).toMatchObject({ port: 5101, url: 'http://127.0.0.1:5101' });
    expect(sims.rcs).toMatchObject({ port: 5102, url: 'http://rcs.example:8080' });
    expect(sims.rnpp.port).toBe(4100);
    withSimulatorUrls(env, [sims.rnpp, sims.ccss, sims.rcs]);
    expect(env.CCSS_URL).toBe('http://127.0.0.1:5101');
    expect(env.RCS_URL).toBe('http://rcs.example:8080/');
    expect(env.RNPP_URL).toBe('http://127.0.0.1:4100');
  });

  it('refuse a port that is not one, naming its variable', () => {
    expect(() => demoSimulators({ CCSS_PORT: 'abc' })).toThrow(/^CCSS_PORT must be an integer in 1\.\.65535/);
    expect(() => demoSimulators({ RCS_PORT: '0' })).toThrow(/^RCS_PORT/);
  });

  describe('with a port already taken', () => {
    let holder: Server;
    let port: number;
    beforeEach(async () => {
      holder = createServer();
      await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
      port = (holder.address() as AddressInfo).port;
    });
    afterEach(async () => {
      if (holder.listening) await new Promise((r) => holder.close(r));
    });

    it('say which variable to change', async () => {
      expect(await portInUse('127.0.0.1', port)).toBe(true);
      const problems = await portsInUse([
        { portVar: 'CCSS_PORT', host: '127.0.0.1', port },
        { portVar: 'RCS_PORT', host: '127.0.0.1', port: 0 },
      ]);
      expect(problems).toEqual([
        `CCSS_PORT ${port} is already in use on 127.0.0.1 (another demo on this machine? set CCSS_PORT to a free port)`,
      ]);
    });

    it('move a simulator whose port nobody chose to a free port, never one that was set', async () => {
      const env: NodeJS.ProcessEnv = { RCS_PORT: String(port) };
      const sims = demoSimulators(env);
      sims.ccss.port = port; // the default taken, as by another demo
      const moved = await moveOffTakenDefaults(env, [sims.ccss, sims.rcs]);
      expect(moved).toEqual([
        expect.stringMatching(
          new RegExp(`^CCSS_PORT ${port} is in use: the ccss-simulator listens on \\d+ instead$`),
        ),
      ]);
      expect(sims.ccss.port).not.toBe(port);
      expect(env.CCSS_PORT).toBe(String(sims.ccss.port));
      expect(sims.ccss.url).toBe(`http://127.0.0.1:${sims.ccss.port}`);
      expect(sims.rcs.port).toBe(port); // chosen: left for portsInUse to report
      expect(await portsInUse([sims.rcs])).toHaveLength(1);
    });

    it('find it free again once released', async () => {
      await new Promise((r) => holder.close(r));
      expect(await portInUse('127.0.0.1', port)).toBe(false);
    });
  });
});
