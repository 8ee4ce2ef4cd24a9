// The control plane's "Done when" through bin/platform, on the embedded SQLite log.
import { test } from 'node:test';
import { userJourney } from '../test-support/journey.ts';

test('through bin/platform only, on SQLite: login, org, org token, app, secrets, deploy, then a secret change rolls through one instance at a time with the digest unchanged', async () => {
  await userJourney([]);
});
