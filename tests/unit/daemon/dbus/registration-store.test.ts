import { strict as assert } from 'node:assert';
import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistrationStore } from '../../../../daemon/dbus/registration-store.js';

describe('dbus: Registration remembered per IMSI', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'imsdt-store-'))));
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('is auto for a SIM never seen, and each IMSI keeps its own setting', async () => {
    const store = new RegistrationStore(join(dir, 'state'));
    assert.equal(await store.load('001010000000001'), 'auto');
    await store.save('001010000000001', 'disabled');
    await store.save('001010000000002', 'enabled');
    const again = new RegistrationStore(join(dir, 'state'));
    assert.equal(await again.load('001010000000001'), 'disabled');
    assert.equal(await again.load('001010000000002'), 'enabled');
    assert.deepEqual((await readdir(join(dir, 'state', 'registration'))).sort(), ['001010000000001', '001010000000002']);
  });

  it('a damaged file reads as auto; an IMSI that is not 5-15 digits never becomes a path', async () => {
    await mkdir(join(dir, 'registration'));
    await writeFile(join(dir, 'registration', '001010000000003'), 'sometimes\n');
    const store = new RegistrationStore(dir);
    assert.equal(await store.load('001010000000003'), 'auto');
    await assert.rejects(store.save('../../etc/x', 'enabled'), RangeError);
    await assert.rejects(store.load('0010100000000031'), RangeError);
  });
});
