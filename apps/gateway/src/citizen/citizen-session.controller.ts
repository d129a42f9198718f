import { Readable } from 'node:stream';
import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import {
  CitizenAccessLogService,
  CitizenAuthenticatorService,
  CitizenCallerService,
  DEV_IDP_ISSUER,
  DEV_IDP_NAME,
  DemoCitizensService,
  LANGUAGES,
  csvHeader,
  entryCsvRecord,
  type Citizen,
  type DemoCitizen,
  type Language,
} from '@broker/citizen';
import { bearerToken } from '@broker/consent';
import { BrokerError, ErrorCode } from '@broker/errors';
import {
  CITIZEN_COOKIE,
  STATE_MAX_AGE_S,
  clearedSessionCookie,
  clearedStateCookie,
  cookieValue,
  sessionCookie,
  stateCookie,
} from './citizen-cookie';
import { newState } from '../http/same-origin';
import { PAGE_SECURITY_HEADERS } from './static-files';

/** What a sign-in answers: the token for the page's GraphQL calls (Bearer), and who it is. */
export interface SessionAnswer {
  token: string;
  expiresAt: string;
  subject: string;
}

type Body = Record<string, unknown> | undefined;

function field(body: Body, name: string): unknown {
  return body && typeof body === 'object' && !Array.isArray(body) ? body[name] : undefined;
}

/**
 * The citizen page's HTTP side: sign-in (an ID token into an HttpOnly cookie), the downloads of
 * one's own log (right of access, CSV and JSON), and the demo sign-in (development mode only).
 * Thin: it authenticates, calls one service and writes the answer.
 */
@Controller('me')
export class CitizenSessionController {
  constructor(
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    @Inject(CitizenAuthenticatorService) private readonly citizens: CitizenAuthenticatorService,
    @Inject(CitizenCallerService) private readonly callers: CitizenCallerService,
    @Inject(CitizenAccessLogService) private readonly log: CitizenAccessLogService,
    @Inject(DemoCitizensService) private readonly demo: DemoCitizensService,
  ) {}

  /**
   * A one-time state (cookie and `{ state }`): the page echoes it in X-CSRF-Token on its next
   * sign-in or sign-out, an identity provider returns it as the `state` form field (see
   * CitizenCsrfHooks). Each unsafe /me request spends it.
   */
  @Get('session/state')
  issueState(@Req() req: FastifyRequest, @Res() reply: FastifyReply): void {
    const state = newState();
    void reply
      .status(200)
      .headers(PAGE_SECURITY_HEADERS)
      .header('cache-control', 'no-store')
      .header('set-cookie', stateCookie(state, STATE_MAX_AGE_S, this.plainHttp(req)))
      .send({ state, expiresInS: STATE_MAX_AGE_S });
  }

  /** Signs in with `{ id_token }` (JSON or form): sets the cookie and answers the session. */
  @Post('session')
  async signIn(@Body() body: Body, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const idToken = field(body, 'id_token');
    if (typeof idToken !== 'string' || idToken === '')
      throw new BrokerError(ErrorCode.BAD_REQUEST, 'Send { "id_token": "<ID token>" } as JSON or a form.');
    const citizen = await this.callers.fromToken(idToken.trim());
    this.answerSession(req, reply, idToken.trim(), citizen);
  }

  /** The session of the cookie (so that the page can reload without signing in again). */
  @Get('session')
  async session(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const token = cookieValue(req.headers.cookie, CITIZEN_COOKIE);
    const citizen = await this.callers.fromToken(token);
    this.answerSession(req, reply, token!, citizen);
  }

  /** Signs out: clears the cookie. */
  @Delete('session')
  @HttpCode(204)
  signOut(@Req() req: FastifyRequest, @Res() reply: FastifyReply): void {
    void reply
      .status(204)
      .headers(PAGE_SECURITY_HEADERS)
      .header('cache-control', 'no-store')
      .header('set-cookie', [
        clearedSessionCookie(this.plainHttp(req)),
        clearedStateCookie(this.plainHttp(req)),
      ])
      .send();
  }

  /** My whole access log as JSON: `{ subject, generatedAt, entries: [...] }`, newest first. */
  @Get('access-log.json')
  async downloadJson(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const citizen = await this.citizen(req);
    const log = this.log;
    async function* body(): AsyncGenerator<string> {
      yield `{"subject":${JSON.stringify(citizen.subject)},"generatedAt":${JSON.stringify(new Date().toISOString())},"entries":[`;
      let first = true;
      for await (const page of log.all(citizen)) {
        yield (first ? '' : ',') + page.map((e) => JSON.stringify(e)).join(',');
        first = false;
      }
      yield ']}\n';
    }
    this.download(reply, 'application/json; charset=utf-8', 'json', Readable.from(body()));
  }

  /** My whole access log as CSV (RFC 4180, UTF-8 with BOM, header row), newest first. */
  @Get('access-log.csv')
  async downloadCsv(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Query('lang') lang: string | undefined,
  ): Promise<void> {
    const citizen = await this.citizen(req);
    const language: Language = LANGUAGES.includes(lang as Language) ? (lang as Language) : 'en';
    const log = this.log;
    async function* body(): AsyncGenerator<string> {
      // the BOM lets spreadsheet programs read the accents of member names as UTF-8
      yield `\ufeff${csvHeader()}`;
      for await (const page of log.all(citizen)) yield page.map((e) => entryCsvRecord(e, language)).join('');
    }
    this.download(reply, 'text/csv; charset=utf-8; header=present', 'csv', Readable.from(body()));
  }

  /** Demo sign-in (development mode only, else 404): synthetic citizens to pick from. */
  @Get('demo/citizens')
  async demoCitizens(): Promise<{ provider: { issuer: string; name: string }; citizens: DemoCitizen[] }> {
    const citizens = await this.demo.list();
    return { provider: { issuer: DEV_IDP_ISSUER, name: DEV_IDP_NAME }, citizens };
  }

  /** Demo sign-in (development mode only, else 404): `{ matricule }` -> an ID token of the demo provider, as a session. */
  @Post('demo/sign-in')
  async demoSignIn(
    @Body() body: Body,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { token } = await this.demo.signIn(field(body, 'matricule'));
    const citizen = await this.citizens.authenticateToken(token);
    this.answerSession(req, reply, token, citizen);
  }

  /** The citizen of the Bearer header, else of the cookie. */
  private citizen(req: FastifyRequest): Promise<Citizen> {
    const authorization = req.headers.authorization;
    const token = authorization
      ? bearerToken(authorization)
      : cookieValue(req.headers.cookie, CITIZEN_COOKIE);
    return this.callers.fromToken(token);
  }

  private answerSession(req: FastifyRequest, reply: FastifyReply, token: string, citizen: Citizen): void {
    const maxAge = citizen.expiresAt - Math.floor(Date.now() / 1000);
    const answer: SessionAnswer = {
      token,
      expiresAt: new Date(citizen.expiresAt * 1000).toISOString(),
      subject: citizen.subject,
    };
    void reply
      .headers(PAGE_SECURITY_HEADERS)
      .header('cache-control', 'no-store')
      .header('set-cookie', [
        sessionCookie(token, maxAge, this.plainHttp(req)),
        // a GET /me/session answers without spending the state: only the unsafe requests spend it
        ...(req.method === 'GET' ? [] : [clearedStateCookie(this.plainHttp(req))]),
      ]);
    // an identity provider posting a form (response_mode=form_post) gets the page, not JSON
    const form = String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    if (form && String(req.headers.accept ?? '').includes('text/html')) {
      void reply.status(303).header('location', '/me').send();
      return;
    }
    void reply.status(200).send(answer);
  }

  private download(reply: FastifyReply, type: string, ext: string, body: Readable): void {
    const day = new Date().toISOString().slice(0, 10);
    void reply
      .status(200)
      .headers(PAGE_SECURITY_HEADERS)
      .header('content-type', type)
      .header('content-disposition', `attachment; filename="my-access-log-${day}.${ext}"`)
      .header('cache-control', 'no-store')
      .send(body);
  }

  /** The development demo on plain http: the cookie cannot be Secure there. Never in production. */
  private plainHttp(req: FastifyRequest): boolean {
    return this.config.mode !== 'production' && req.protocol === 'http';
  }
}
