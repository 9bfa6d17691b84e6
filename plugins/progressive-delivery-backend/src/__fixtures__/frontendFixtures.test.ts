import { readFileSync } from 'node:fs';
import {
  FRONTEND_FIXTURES_FILE,
  frontendFixturesText,
} from './frontendFixtures';

describe('the frontend fixtures', () => {
  it('are what the summarizer makes of the captured objects', () => {
    const committed = readFileSync(FRONTEND_FIXTURES_FILE, 'utf8');
    const produced = frontendFixturesText();
    if (committed !== produced) {
      // The message says what to do; the comparison below shows where they differ.
      // eslint-disable-next-line no-console
      console.error(
        'plugins/progressive-delivery/src/testing/__fixtures__/summaries.json differs from what ' +
          'the summarizer produces. Regenerate it with\n  node -r sucrase/register/ts ' +
          'plugins/progressive-delivery-backend/src/__fixtures__/frontendFixtures.ts\n' +
          'and commit it with the change that made it differ.',
      );
    }
    expect(JSON.parse(committed)).toEqual(JSON.parse(produced));
    expect(committed).toBe(produced);
  });
});
