/** Where consumers' sizing values sit, read by `readManifests({ locations: true })` for `--format github`. */
import { describe, expect, it } from 'vitest';
import { readManifests } from '../../src/readers/read-manifests.js';

const compose = `services:
  web:
    image: clientats
    deploy:
      replicas: 4
    environment:
      - POOL_SIZE=10
      - MAX_OVERFLOW=2
  api:
    image: clientats
    environment:
      POOL_COUNT: "2"
`;

const appJson = `{
  "name": "clientats",
  "env": {
    "POOL_SIZE": { "value": "8" }
  },
  "formation": {
    "web": { "quantity": 3 }
  }
}
`;

describe('readManifests with locations', () => {
  it('locates Compose replicas and environment entries (list and map forms)', () => {
    const { files } = readManifests([{ path: 'docker-compose.yml', text: compose }], { locations: true });
    expect(
      files[0].consumers.map((consumer) => (consumer.kind === 'other' ? undefined : consumer.locations)),
    ).toEqual([
      {
        object: { file: 'docker-compose.yml', line: 2 },
        replicas: { file: 'docker-compose.yml', line: 5 },
        POOL_SIZE: { file: 'docker-compose.yml', line: 7 },
        MAX_OVERFLOW: { file: 'docker-compose.yml', line: 8 },
      },
      {
        object: { file: 'docker-compose.yml', line: 9 },
        POOL_COUNT: { file: 'docker-compose.yml', line: 12 },
      },
    ]);
  });

  it('locates app.json formation quantity and env, parsing the JSON as YAML', () => {
    const { files } = readManifests([{ path: 'heroku/app.json', text: appJson }], { locations: true });
    expect(
      files[0].consumers.map((consumer) => (consumer.kind === 'other' ? undefined : consumer.locations)),
    ).toEqual([
      {
        object: { file: 'heroku/app.json', line: 7 },
        replicas: { file: 'heroku/app.json', line: 7 },
        POOL_SIZE: { file: 'heroku/app.json', line: 4 },
      },
    ]);
  });

  it('adds no locations unless asked', () => {
    const { files } = readManifests([{ path: 'docker-compose.yml', text: compose }]);
    expect(files[0].consumers.every((consumer) => !('locations' in consumer))).toBe(true);
  });
});
