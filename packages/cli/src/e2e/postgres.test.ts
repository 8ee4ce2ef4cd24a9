// The control plane's "Done when" through bin/platform, with the event log in a real PostgreSQL 15.
import { test } from 'node:test';
import { usePostgres } from '../../../control/src/test-support/postgres.ts';
import { userJourney } from '../test-support/journey.ts';

const pg = usePostgres();

test('through bin/platform only, on PostgreSQL: login, org, org token, app, secrets, deploy, then a secret change rolls through one instance at a time with the digest unchanged', async () => {
  await userJourney(['--database', await pg.database('cli_e2e')]);
});
