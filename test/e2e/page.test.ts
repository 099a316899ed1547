// The console in a real browser (playwright-core driving Debian's chromium) while the kernel OOM-kills a
// process of ours: the page, opened before the kill, shows it without a reload; and under TLS with basic
// auth, where its script, style, API calls and event stream must all carry the credentials.
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, startExporter, type RunningExporter } from '../helpers/cli.js';
import { makeMemoryCgroup, realOomKill } from '../helpers/oom.js';
import { requireRoot } from '../helpers/root.js';
import { makePki } from '../helpers/tls.js';

const CHROMIUM = '/usr/bin/chromium';
// Markup as a name: the page must show it as text. Unique to this test (other tests kill too).
const COMM = `<i>x</i>${process.pid % 1000}`;
/** CI keeps this file (.ci/run). */
const SCREENSHOT = path.join(REPO, 'test-artifacts', 'page.png');

// Root makes the cgroup and reads /dev/kmsg; CI runs as root and installs chromium, so there this never skips.
describe.runIf(requireRoot() && fs.existsSync(CHROMIUM))('the console in a browser on a real OOM kill', () => {
  let exp: RunningExporter;
  let browser: Browser;
  beforeAll(async () => {
    exp = await startExporter(['--kernel-log.source=kmsg']);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await exp?.stop();
  });

  it('shows the victim, its cgroup and its memory live, as text, with no script error; the plain page lists it too', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(`console: ${msg.text()} (${msg.location().url})`);
    });
    page.on('requestfailed', (req) => {
      // The event stream stays open (a failure of it is an error too until the page closes).
      errors.push(`request failed: ${req.url()}`);
    });
    await page.goto(exp.url + '/');
    // The script ran: it fills this once it has refreshed from the API.
    await page.locator('#live', { hasText: 'live' }).waitFor({ timeout: 10_000 });
    const cells = (): Promise<number> => page.locator('#kills-body td').count();
    const before = await page.locator('i').count();
    const cellsBefore = await cells();

    const cg = makeMemoryCgroup('oompage');
    try {
      // A second old when it dies: the exporter has seen it, so it knows its memory.
      const kill = await realOomKill(COMM, cg, 1);
      const row = page.locator('#kills-body tr', { hasText: `${COMM} (${kill.pid})` });
      await row.waitFor({ timeout: 10_000 });
      const text = (await row.locator('td').allTextContents()).map((t) => t.trim());
      expect(text[1]).toBe(`${COMM} (${kill.pid})`);
      expect(text[2]).toContain(cg.path);
      // The constraint label, as oom_kill_events_total has it (also when the kernel printed no CONSTRAINT_*).
      expect(text[3]).toBe('memcg');
      expect(text[4]).toBe('kernel');
      // The kernel's RSS and what the exporter saw of it alive.
      expect(text[5]).toMatch(/^RSS \d+\.\d (KiB|MiB), seen \d+\.\d (KiB|MiB) \+ swap /);
      // As text: the name added no <i> element, and the row is one row of six cells.
      expect(await page.locator('i').count()).toBe(before);
      expect(await row.locator('td').count()).toBe(7);
      expect(await cells()).toBeGreaterThanOrEqual(cellsBefore + 7);
      fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });

      // Without JavaScript (curl, a text browser): the same kill, escaped.
      const html = await (await fetch(exp.url + '/')).text();
      const escaped = COMM.replace(/</g, '&#60;').replace(/>/g, '&#62;');
      expect(html).toContain(`<td>${escaped} (${kill.pid})</td>`);
      expect(html).toContain(cg.path);
      expect(html).not.toContain(COMM);
      // Before the close, which aborts what is in flight.
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await cg.remove();
    }
  });
});

describe.runIf(fs.existsSync(CHROMIUM))('the console under the web config: TLS and basic auth', () => {
  let exp: RunningExporter;
  let browser: Browser;
  let dir = '';
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'oom-page-tls-'));
    makePki(dir);
    const web = path.join(dir, 'web.yml');
    const tls = `tls_server_config:\n  cert_file: ${dir}/server.crt\n  key_file: ${dir}/server.key\n`;
    fs.writeFileSync(web, `${tls}basic_auth_users:\n  ops: ${bcrypt.hashSync('s3cret', 4)}\n`);
    exp = await startExporter(['--kernel-log.source=none', `--web.config.file=${web}`]);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await exp?.stop();
    if (dir !== '') fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is refused without the password, and with it loads its files and its API live, with no error', async () => {
    const url = `https://127.0.0.1:${exp.port}/`;
    // Without credentials (the browser would prompt): the page and its files are refused.
    const anonymous = await browser.newContext({ ignoreHTTPSErrors: true });
    for (const p of ['', 'static/page.js', 'static/page.css']) expect([p, (await anonymous.request.get(url + p)).status()]).toEqual([p, 401]);
    await anonymous.close();

    const ctx = await browser.newContext({ ignoreHTTPSErrors: true, httpCredentials: { username: 'ops', password: 's3cret' } });
    const page = await ctx.newPage();
    const errors: string[] = [];
    const statuses = new Map<string, number>();
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(`console: ${msg.text()} (${msg.location().url})`);
    });
    page.on('response', (res) => statuses.set(new URL(res.url()).pathname, res.status()));
    expect((await page.goto(url))?.status()).toBe(200);
    await page.locator('#live', { hasText: 'live' }).waitFor({ timeout: 10_000 });
    // The stream is open when the kills were read again (its open event).
    await expect.poll(() => statuses.get('/api/v1/kills'), { timeout: 10_000 }).toBe(200);
    for (const p of ['/static/page.js', '/static/page.css', '/api/v1/events', '/api/v1/processes', '/api/v1/status']) expect([p, statuses.get(p)]).toEqual([p, 200]);
    expect(await page.locator('#host dd').count()).toBe(4);
    expect(errors).toEqual([]);
    await ctx.close();
  });
});

describe.runIf(fs.existsSync(CHROMIUM))('the console when its event stream is refused', () => {
  let exp: RunningExporter;
  let browser: Browser;
  let dir = '';
  let log = '';
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'oom-page-503-'));
    log = path.join(dir, 'kern.log');
    fs.writeFileSync(log, '');
    exp = await startExporter(['--kernel-log.source=file', `--kernel-log.file=${log}`]);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await exp?.stop();
    if (dir !== '') fs.rmSync(dir, { recursive: true, force: true });
  });

  it('says the stream is down after a 503 (EventSource then gives up), reconnects by itself, and shows the next kill live', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
    // The first two connections get what the exporter answers when 100 streams are open (or a proxy's 502).
    let refused = 0;
    await page.route('**/api/v1/events', async (route) => {
      if (refused < 2) {
        refused++;
        await route.fulfill({ status: 503, contentType: 'application/json', body: '{"status":"error","error":"too many event streams open"}' });
      } else await route.continue();
    });
    await page.goto(exp.url + '/');
    await page.locator('#live', { hasText: 'reconnecting' }).waitFor({ timeout: 10_000 });
    // Reconnected (1 s, then 2 s): the live status comes back with the next refresh.
    await page.locator('#live', { hasText: /^live, updated/ }).waitFor({ timeout: 20_000 });
    expect(refused).toBe(2);
    const comm = `after503-${process.pid % 1000}`;
    fs.appendFileSync(
      log,
      `Nov 30 12:00:01 host kernel: [  101.000000] Memory cgroup out of memory: Killed process 4321 (${comm}) total-vm:1000kB, anon-rss:900kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:40kB oom_score_adj:0\n`,
    );
    await page.locator('#kills-body tr', { hasText: comm }).waitFor({ timeout: 10_000 });
    expect(errors).toEqual([]);
  });
});
