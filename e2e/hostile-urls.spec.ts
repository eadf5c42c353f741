import { expect, test } from '@playwright/test';
import { deflateSync, strToU8 } from 'fflate';
import { PlaygroundPage } from './pages/playground';
import { decodeExperiment, encodeExperiment } from '../src/state/url';
import { defaultFieldValues } from '../src/state/experiment';

/** 200 fragments: random junk, mutations of valid links, and hand-made attacks. */
function fragments(): string[] {
  let seed = 20240611;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const junk = 'vzmrcbkpsoqlf=&%#_-.:;0123456789abcxyzAZ<>"\'`/\\ \u00e9\u4e2d\u0000+';
  const valid = [
    encodeExperiment(defaultFieldValues()),
    encodeExperiment({
      ...defaultFieldValues(),
      model: 'proxyless-w0.3',
      resolution: 96,
      preset: 'bias-only',
      seed: 77,
    }),
    'v=1&m=mbv2-w0.35&r=144&c=5&b=rp2040&kb=200&p=paper:73kb&o=0&f=1&lr=0.01&rd=truncate&q=0&seed=9',
  ];
  const handMade = [
    'z=' + Buffer.from(deflateSync(strToU8('v=1&m=' + 'x'.repeat(500000)))).toString('base64url'),
    'z=' + 'A'.repeat(3000),
    'v=1&m=<script>alert(1)</script>',
    'v=1&p=__proto__&constructor=1&__proto__=x',
    'v=99999&m=mcunet-5fps',
    'v=1&s=' + '9'.repeat(300),
    'v=1&r=1e999&lr=NaN&seed=-1&kb=0',
    'v=1&m=mcunet-5fps&m=mbv2-w0.35',
    '%E0%A4%A',
    'v=1&' + 'a=1&'.repeat(1500),
  ];
  const out = [...handMade];
  while (out.length < 200) {
    const kind = rand();
    if (kind < 0.3) {
      out.push(Array.from({ length: 1 + Math.floor(rand() * 90) }, () => pick([...junk])).join(''));
    } else {
      const chars = [...pick(valid)];
      const edits = 1 + Math.floor(rand() * 4);
      for (let j = 0; j < edits; j++) {
        const at = Math.floor(rand() * chars.length);
        if (rand() < 0.5) chars[at] = pick([...junk]);
        else chars.splice(at, 1 + Math.floor(rand() * 6));
      }
      out.push(chars.join(''));
    }
  }
  return out;
}

const FRAGMENTS = fragments();
const CHUNKS = 4;
test.describe.configure({ mode: 'parallel' });

for (let chunk = 0; chunk < CHUNKS; chunk++) {
  const cases = FRAGMENTS.map((frag, i) => ({ frag, i })).filter(({ i }) => i % CHUNKS === chunk);
  test(`mutated or random links ${chunk + 1}/${CHUNKS} (${cases.length} of ${FRAGMENTS.length}): a working page and a message`, async ({
    page,
  }) => {
    // 50 page loads: about 1.5 s each on a quiet 2-core machine, 6 s when its cores are shared with other jobs
    test.setTimeout(480_000);
    const app = new PlaygroundPage(page);
    for (const { frag, i } of cases) {
      const expected = decodeExperiment(frag);
      await page.goto(`/?case=${i}#${frag}`, { waitUntil: 'domcontentloaded' });
      await expect(app.app, `case ${i}: #${frag.slice(0, 60)}`).toBeVisible();
      // A working page: the editor answers and a plan (or the reason there is none) is shown.
      await expect(app.backbone('mcunet-5fps')).toBeEnabled();
      await expect(app.peak.or(app.compileNotice).first()).toBeVisible();
      if (expected.messages.length > 0) {
        await expect(app.urlNotice, `case ${i} should explain: ${expected.messages[0]}`).toBeVisible();
      }
    }
    // The page keeps working after the last bad link: switch model, see a plan.
    await app.backbone('proxyless-w0.3').click();
    await expect(app.peak).toHaveAttribute('data-bytes', /^\d+$/);
    await app.expectNoConsoleErrors();
  });
}

test('nearly every generated link is malformed, so nearly every case must show a message', () => {
  const bad = FRAGMENTS.filter((f) => decodeExperiment(f).messages.length > 0).length;
  expect(FRAGMENTS).toHaveLength(200);
  expect(bad).toBeGreaterThanOrEqual(180);
});
