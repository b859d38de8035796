/**
 * Test certificates made with the `openssl` CLI: a CA, a server certificate it
 * signs for one name only (by default `DNS:localhost`, no IP address, so
 * host-name checking can be seen), and an unrelated CA that signed nothing the
 * server presents.
 * `installServerCertificate` copies the server pair into a PostgreSQL data
 * directory with the ownership and mode the server insists on.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Files of a test PKI; `close()` deletes them. */
export interface TestCertificates {
  readonly directory: string;
  /** PEM of the CA that signed the server certificate. */
  readonly caFile: string;
  /** PEM of a CA that did not. */
  readonly otherCaFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  close(): void;
}

/** Makes the CA, the server certificate (for `subjectAltName` only) and an unrelated CA. */
export function createTestCertificates(subjectAltName: string = 'DNS:localhost'): TestCertificates {
  const directory = mkdtempSync(join(tmpdir(), 'clientats-tls-'));
  const file = (name: string): string => join(directory, name);
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: directory, stdio: 'pipe', timeout: 30_000 });
  };
  for (const ca of ['ca', 'other-ca']) {
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=clientats test ${ca}`,
      '-keyout',
      file(`${ca}.key`),
      '-out',
      file(`${ca}.pem`),
    );
  }
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    `/CN=${subjectAltName.slice(subjectAltName.indexOf(':') + 1)}`,
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
  );
  openssl(
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    writeExtensions(directory, subjectAltName),
    '-out',
    file('server.pem'),
  );
  return {
    directory,
    caFile: file('ca.pem'),
    otherCaFile: file('other-ca.pem'),
    serverCertFile: file('server.pem'),
    serverKeyFile: file('server.key'),
    close: () => rmSync(directory, { recursive: true, force: true }),
  };
}

function writeExtensions(directory: string, subjectAltName: string): string {
  const path = join(directory, 'server.ext');
  writeFileSync(
    path,
    `subjectAltName=${subjectAltName}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`,
  );
  return path;
}

/**
 * Copies the server certificate and key into a data directory as `server.crt`
 * and `server.key` (PostgreSQL's default names; key mode 0600, owned by the
 * server's user when the tests run as root). Start the server with `ssl=on`.
 */
export function installServerCertificate(
  certificates: TestCertificates,
  dataDirectory: string,
  owner: { uid: number; gid: number } | undefined,
): void {
  const cert = join(dataDirectory, 'server.crt');
  const key = join(dataDirectory, 'server.key');
  copyFileSync(certificates.serverCertFile, cert);
  copyFileSync(certificates.serverKeyFile, key);
  chmodSync(key, 0o600);
  if (owner !== undefined) {
    chownSync(cert, owner.uid, owner.gid);
    chownSync(key, owner.uid, owner.gid);
  }
}
